"""The storage contract, held by the local directory and by an S3 bucket alike, then what each
one adds: the directory's atomic private files, the bucket's prefix and its failures."""

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

from tests import loopback, services
from webapp.integrations import storage as storage_module
from webapp.integrations.storage import (
    FileSystemStorage,
    S3Storage,
    StorageUnavailable,
    storage_from_config,
)


class Backend(NamedTuple):
    """A storage under test and what it holds, read past it: files on disk or a bucket's keys."""

    storage: object
    keys: Callable[[], list[str]]


@pytest.fixture(params=["filesystem", "s3"])
def backend(request, tmp_path) -> Backend:
    if request.param == "filesystem":
        root = tmp_path / "uploads"
        return Backend(FileSystemStorage(root), lambda: _all_files(root) if root.exists() else [])
    url = request.getfixturevalue("s3_server")
    bucket = services.create_bucket(url)
    storage = S3Storage(bucket, endpoint_url=url, region=services.S3_TEST_REGION)
    return Backend(storage, lambda: services.bucket_keys(url, bucket))


@pytest.fixture
def storage(backend):
    return backend.storage


@pytest.fixture
def files(tmp_path):
    return FileSystemStorage(tmp_path / "uploads")


def _all_files(root):
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def test_round_trip(backend):
    backend.storage.save("applications/42/ktp.jpg", b"\xff\xd8\xffphoto")

    assert backend.storage.load("applications/42/ktp.jpg") == b"\xff\xd8\xffphoto"
    assert backend.keys() == ["applications/42/ktp.jpg"]


def test_files_are_kept_under_the_root(files):
    files.save("applications/42/ktp.jpg", b"\xff\xd8\xffphoto")

    assert (files.root / "applications" / "42" / "ktp.jpg").read_bytes() == b"\xff\xd8\xffphoto"


def test_saving_again_replaces_the_content(storage):
    storage.save("a/kk.pdf", b"first version, longer than the second")
    storage.save("a/kk.pdf", b"second")

    assert storage.load("a/kk.pdf") == b"second"


def test_exists_follows_save_and_delete(backend):
    storage = backend.storage
    assert storage.exists("a/b.jpg") is False
    storage.save("a/b.jpg", b"x")
    assert storage.exists("a/b.jpg") is True
    storage.delete("a/b.jpg")
    assert storage.exists("a/b.jpg") is False
    assert backend.keys() == []
    storage.delete("a/b.jpg")  # deleting again is fine


def test_delete_leaves_other_keys(storage):
    storage.save("a/one.jpg", b"1")
    storage.save("a/two.jpg", b"2")

    storage.delete("a/one.jpg")

    assert storage.load("a/two.jpg") == b"2"


@pytest.mark.parametrize("key", ["never/saved.jpg", "a", "a/b.jpg/c"])
def test_missing_keys(storage, key):
    storage.save("a/b.jpg", b"x")  # "a" is then a directory and "a/b.jpg" a file

    with pytest.raises(KeyError) as raised:
        storage.load(key)
    assert raised.value.args == (key,)
    assert storage.exists(key) is False
    storage.delete(key)  # missing is fine
    assert storage.load("a/b.jpg") == b"x"


def test_empty_content_is_stored(storage):
    storage.save("empty.bin", b"")

    assert storage.exists("empty.bin") is True
    assert storage.load("empty.bin") == b""


@pytest.mark.parametrize(
    "key",
    [
        "",
        "../x",
        "/etc/passwd",
        "a/../../b",
        "a/./b",
        "..",
        ".",
        "a/..",
        "a\\b",
        "..\\x",
        "a//b",
        "a/",
        ".hidden",
        "a/.tmp",
        "a b",
        "a\x00b",
        "ktp\n.jpg",
        "C:/x",
        "~/x",
        "ktp.jpg\u0301",
        "ﬁle",
    ],
)
def test_unsafe_keys_are_refused(backend, tmp_path, key):
    storage = backend.storage
    for operation in (
        lambda: storage.save(key, b"x"),
        lambda: storage.load(key),
        lambda: storage.delete(key),
        lambda: storage.exists(key),
    ):
        with pytest.raises(ValueError, match="unsafe storage key"):
            operation()
    assert _all_files(tmp_path) == []
    assert backend.keys() == []


@pytest.mark.parametrize("key", ["ktp.jpg", "a-b_c.1/D-2/e.f.pdf", "_x", "-", "0/1/2/3/4/5"])
def test_safe_keys_are_accepted(storage, key):
    storage.save(key, b"x")

    assert storage.load(key) == b"x"


def test_traversal_cannot_reach_outside_the_root(tmp_path):
    root = tmp_path / "uploads"
    storage = FileSystemStorage(root)
    (tmp_path / "secret.txt").write_bytes(b"secret")

    with pytest.raises(ValueError):
        storage.load("../secret.txt")
    with pytest.raises(ValueError):
        storage.delete("../secret.txt")
    assert (tmp_path / "secret.txt").read_bytes() == b"secret"


def test_write_leaves_no_temporary_file(files):
    files.save("a/b/c.jpg", b"1")
    files.save("a/b/c.jpg", b"2")
    files.save("a/d.jpg", b"3")

    assert _all_files(files.root) == ["a/b/c.jpg", "a/d.jpg"]


def test_failed_write_keeps_the_old_file_and_no_temporary_file(files, monkeypatch):
    files.save("a/kk.pdf", b"old")

    def failing_replace(source, destination):
        raise OSError("disk full")

    monkeypatch.setattr(storage_module.os, "replace", failing_replace)
    with pytest.raises(StorageUnavailable, match="disk full"):
        files.save("a/kk.pdf", b"new")

    assert files.load("a/kk.pdf") == b"old"
    assert _all_files(files.root) == ["a/kk.pdf"]


def test_content_is_synced_before_the_rename(files, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def recording_fsync(descriptor):
        events.append("fsync")
        real_fsync(descriptor)

    def recording_replace(source, destination):
        # The file about to take the key's place is complete.
        assert Path(source).read_bytes() == b"complete"
        events.append("replace")
        real_replace(source, destination)

    monkeypatch.setattr(storage_module.os, "fsync", recording_fsync)
    monkeypatch.setattr(storage_module.os, "replace", recording_replace)
    files.save("a.jpg", b"complete")

    # The file, then after the rename the directory holding it.
    assert events == ["fsync", "replace", "fsync"]


def test_files_and_directories_are_private(files):
    files.save("a/b/c.jpg", b"x")

    for directory in (files.root, files.root / "a", files.root / "a" / "b"):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE((files.root / "a" / "b" / "c.jpg").stat().st_mode) == 0o600


def test_replacing_keeps_the_file_private(files):
    files.save("c.jpg", b"1")
    os.chmod(files.root / "c.jpg", 0o644)

    files.save("c.jpg", b"2")

    assert stat.S_IMODE((files.root / "c.jpg").stat().st_mode) == 0o600


def test_root_may_already_exist(tmp_path):
    storage = FileSystemStorage(str(tmp_path))

    storage.save("k.jpg", b"x")

    assert (tmp_path / "k.jpg").read_bytes() == b"x"


def test_objects_are_kept_under_the_prefix(s3_bucket, s3_server):
    storage = S3Storage(s3_bucket, prefix="/mpaspor", endpoint_url=s3_server)

    storage.save("a/ktp.jpg", b"x")

    assert services.bucket_keys(s3_server, s3_bucket) == ["mpaspor/a/ktp.jpg"]
    assert storage.load("a/ktp.jpg") == b"x"
    assert S3Storage(s3_bucket, endpoint_url=s3_server).exists("a/ktp.jpg") is False


def test_a_bucket_out_of_reach_is_unavailable_never_missing(s3_server):
    closed = S3Storage("mpaspor", endpoint_url=f"http://127.0.0.1:{loopback.free_port()}")
    missing_bucket = S3Storage("mpaspor-never-made", endpoint_url=s3_server)

    for storage in (closed, missing_bucket):
        with pytest.raises(StorageUnavailable):
            storage.save("a/ktp.jpg", b"x")
        with pytest.raises(StorageUnavailable):
            storage.load("a/ktp.jpg")  # not KeyError: the file may well be there
        assert storage.reachable() is False
    with pytest.raises(StorageUnavailable):
        closed.delete("a/ktp.jpg")
    with pytest.raises(StorageUnavailable):
        closed.exists("a/ktp.jpg")


def test_a_reachable_bucket_is_reported(s3_bucket, s3_server):
    assert S3Storage(s3_bucket, endpoint_url=s3_server).reachable() is True


def test_the_bucket_is_used_when_named(tmp_path):
    config = {
        "STORAGE_S3_BUCKET": "mpaspor-uploads",
        "STORAGE_S3_PREFIX": "jakarta/",
        "STORAGE_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
        "STORAGE_S3_REGION": "ap-southeast-3",
    }
    chosen = storage_from_config(config, str(tmp_path))
    assert isinstance(chosen, S3Storage)
    assert (chosen.bucket, chosen.prefix) == ("mpaspor-uploads", "jakarta/")

    local = storage_from_config({**config, "STORAGE_S3_BUCKET": None}, str(tmp_path))
    assert isinstance(local, FileSystemStorage) and local.root == tmp_path / "uploads"
