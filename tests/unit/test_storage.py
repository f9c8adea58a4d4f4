import os
import stat
from pathlib import Path

import pytest

from webapp.integrations import storage as storage_module
from webapp.integrations.storage import FileSystemStorage


@pytest.fixture
def storage(tmp_path):
    return FileSystemStorage(tmp_path / "uploads")


def _all_files(root):
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def test_round_trip(storage):
    storage.save("applications/42/ktp.jpg", b"\xff\xd8\xffphoto")

    assert storage.load("applications/42/ktp.jpg") == b"\xff\xd8\xffphoto"
    assert (storage.root / "applications" / "42" / "ktp.jpg").read_bytes() == b"\xff\xd8\xffphoto"


def test_saving_again_replaces_the_content(storage):
    storage.save("a/kk.pdf", b"first version, longer than the second")
    storage.save("a/kk.pdf", b"second")

    assert storage.load("a/kk.pdf") == b"second"


def test_exists_follows_save_and_delete(storage):
    assert storage.exists("a/b.jpg") is False
    storage.save("a/b.jpg", b"x")
    assert storage.exists("a/b.jpg") is True
    storage.delete("a/b.jpg")
    assert storage.exists("a/b.jpg") is False
    assert not (storage.root / "a" / "b.jpg").exists()


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
def test_unsafe_keys_are_refused(storage, tmp_path, key):
    for operation in (
        lambda: storage.save(key, b"x"),
        lambda: storage.load(key),
        lambda: storage.delete(key),
        lambda: storage.exists(key),
    ):
        with pytest.raises(ValueError, match="unsafe storage key"):
            operation()
    assert _all_files(tmp_path) == []


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


def test_write_leaves_no_temporary_file(storage):
    storage.save("a/b/c.jpg", b"1")
    storage.save("a/b/c.jpg", b"2")
    storage.save("a/d.jpg", b"3")

    assert _all_files(storage.root) == ["a/b/c.jpg", "a/d.jpg"]


def test_failed_write_keeps_the_old_file_and_no_temporary_file(storage, monkeypatch):
    storage.save("a/kk.pdf", b"old")

    def failing_replace(source, destination):
        raise OSError("disk full")

    monkeypatch.setattr(storage_module.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        storage.save("a/kk.pdf", b"new")

    assert storage.load("a/kk.pdf") == b"old"
    assert _all_files(storage.root) == ["a/kk.pdf"]


def test_content_is_synced_before_the_rename(storage, monkeypatch):
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
    storage.save("a.jpg", b"complete")

    # The file, then after the rename the directory holding it.
    assert events == ["fsync", "replace", "fsync"]


def test_files_and_directories_are_private(storage):
    storage.save("a/b/c.jpg", b"x")

    for directory in (storage.root, storage.root / "a", storage.root / "a" / "b"):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE((storage.root / "a" / "b" / "c.jpg").stat().st_mode) == 0o600


def test_replacing_keeps_the_file_private(storage):
    storage.save("c.jpg", b"1")
    os.chmod(storage.root / "c.jpg", 0o644)

    storage.save("c.jpg", b"2")

    assert stat.S_IMODE((storage.root / "c.jpg").stat().st_mode) == 0o600


def test_root_may_already_exist(tmp_path):
    storage = FileSystemStorage(str(tmp_path))

    storage.save("k.jpg", b"x")

    assert (tmp_path / "k.jpg").read_bytes() == b"x"
