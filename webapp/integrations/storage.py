"""Uploaded file storage: a small interface and a local directory implementation."""

import contextlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

# One or more path segments of safe characters. A segment may not start with a dot, which rules
# out "." and ".." and keeps the names of temporary files apart from keys.
_KEY = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*")

# What the operating system reports when a key names no file: nothing there, a directory there,
# or a file where a directory was expected.
_NO_FILE = (FileNotFoundError, IsADirectoryError, NotADirectoryError)


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
        try:
            return self._path(key).read_bytes()
        except _NO_FILE:
            raise KeyError(key) from None

    def delete(self, key: str) -> None:
        with contextlib.suppress(*_NO_FILE):
            self._path(key).unlink()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def _path(self, key: str) -> Path:
        if not _KEY.fullmatch(key):
            raise ValueError(f"unsafe storage key: {key!r}")
        return self.root / key


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
