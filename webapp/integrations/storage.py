"""Stored files (uploads, thumbnails, receipt batches): a small interface, a local directory for
a single server, and an S3 bucket that several servers share."""

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Protocol

# One or more path segments of safe characters. A segment may not start with a dot, which rules
# out "." and ".." and keeps the names of temporary files apart from keys.
_KEY = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*")

# What the operating system reports when a key names no file: nothing there, a directory there,
# or a file where a directory was expected.
_NO_FILE = (FileNotFoundError, IsADirectoryError, NotADirectoryError)


class StorageUnavailable(Exception):
    """The storage could not be reached or refused the operation; what the operation would have
    changed is unchanged or unknown, and the same call may succeed later."""


class Storage(Protocol):
    def save(self, key: str, content: bytes) -> None:
        """Store content under key, replacing what was there."""

    def load(self, key: str) -> bytes:
        """The content stored under key; KeyError when there is none."""

    def delete(self, key: str) -> None:
        """Remove what is stored under key, if anything."""

    def exists(self, key: str) -> bool:
        """Whether something is stored under key."""


class FileSystemStorage:
    """Files under a root directory, readable by the owner only."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def save(self, key: str, content: bytes) -> None:
        path = self._path(key)
        try:
            self._write(path, content)
        except OSError as error:
            raise StorageUnavailable(f"cannot write {key!r}: {error}") from error

    def _write(self, path: Path, content: bytes) -> None:
        _make_directories(path.parent)
        # mkstemp creates the file with mode 0o600. Writing aside and renaming means a reader sees
        # the old file or the new one, never half of one.
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        _fsync_directory(path.parent)

    def load(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except _NO_FILE:
            raise KeyError(key) from None
        except OSError as error:
            raise StorageUnavailable(f"cannot read {key!r}: {error}") from error

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink()
        except _NO_FILE:
            pass
        except OSError as error:
            raise StorageUnavailable(f"cannot delete {key!r}: {error}") from error

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def _path(self, key: str) -> Path:
        return self.root / checked_key(key)


def checked_key(key: str) -> str:
    """The key itself, or ValueError when it is not one of the safe keys (_KEY)."""
    if not _KEY.fullmatch(key):
        raise ValueError(f"unsafe storage key: {key!r}")
    return key


def _make_directories(directory: Path) -> None:
    # os.makedirs applies its mode to the last directory only, so each missing one is made here.
    missing = []
    while not directory.is_dir():
        missing.append(directory)
        directory = directory.parent
    for path in reversed(missing):
        path.mkdir(mode=0o700, exist_ok=True)


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself survive a crash.
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class S3Storage:
    """Objects in an S3 bucket, or on any S3-protocol server (MinIO, Ceph) at endpoint_url.

    Credentials come from boto3's own chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the
    instance's role). One client serves every thread: boto3 clients are thread-safe, sessions
    are not, so each storage makes its client from a session of its own.
    """

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
    ) -> None:
        import boto3  # a third of a second to import: paid only where S3 is used
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self._client = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            # Fail within seconds rather than hold a request: an upload is refused and can be
            # sent again, a stuck worker cannot serve anyone.
            config=Config(
                connect_timeout=3,
                read_timeout=15,
                retries={"mode": "standard", "max_attempts": 3},
            ),
        )

    def save(self, key: str, content: bytes) -> None:
        with self._answers("put", key):
            self._client.put_object(Bucket=self.bucket, Key=self._object(key), Body=content)

    def load(self, key: str) -> bytes:
        with self._answers("get", key):
            found = self._client.get_object(Bucket=self.bucket, Key=self._object(key))
            return found["Body"].read()

    def delete(self, key: str) -> None:
        # S3 answers a delete of a missing key as done.
        with self._answers("delete", key):
            self._client.delete_object(Bucket=self.bucket, Key=self._object(key))

    def exists(self, key: str) -> bool:
        # A HEAD answer has no body: a missing bucket reads as a missing key here, unlike in load.
        try:
            with self._answers("head", key):
                self._client.head_object(Bucket=self.bucket, Key=self._object(key))
        except KeyError:
            return False
        return True

    def reachable(self) -> bool:
        """Whether the bucket answers, for the health check."""
        try:
            with self._answers("head bucket"):
                self._client.head_bucket(Bucket=self.bucket)
        except StorageUnavailable:
            return False
        return True

    def _object(self, key: str) -> str:
        return self.prefix + checked_key(key)

    @contextlib.contextmanager
    def _answers(self, operation: str, key: str | None = None) -> Iterator[None]:
        """Translate the client's errors: a missing object is KeyError, the rest
        StorageUnavailable."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except ClientError as error:
            if key is not None and error.response.get("Error", {}).get("Code") in _MISSING:
                raise KeyError(key) from None
            raise StorageUnavailable(self._failed(operation, key, error)) from error
        except BotoCoreError as error:
            raise StorageUnavailable(self._failed(operation, key, error)) from error

    def _failed(self, operation: str, key: str | None, error: Exception) -> str:
        return f"S3 {operation} {key or ''} in bucket {self.bucket!r} failed: {error}"


# How S3 names a missing object: get_object says NoSuchKey, head_object has no body and gives
# only its status.
_MISSING = {"NoSuchKey", "404", "NotFound"}


def storage_from_config(config: Mapping, instance_path: str) -> Storage:
    """The bucket named by STORAGE_S3_BUCKET, else files under the instance directory."""
    if config.get("STORAGE_S3_BUCKET"):
        return S3Storage(
            config["STORAGE_S3_BUCKET"],
            prefix=config.get("STORAGE_S3_PREFIX") or "",
            endpoint_url=config.get("STORAGE_S3_ENDPOINT_URL") or None,
            region=config.get("STORAGE_S3_REGION") or None,
        )
    return FileSystemStorage(os.path.join(instance_path, "uploads"))
