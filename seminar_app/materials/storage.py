"""Where uploaded files live: a small interface, and the filesystem behind it.

Files are named by the SHA-256 of their content, so the same file stored twice is kept
once and a name can never be chosen by an uploader. A file is written to a temporary
name in its final folder and renamed into place: a crash leaves no half file under a
real name. An S3-compatible store implements the same three methods.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Protocol

_KEY_LENGTH = 64


class Storage(Protocol):
    def save(self, data: bytes) -> str:
        """Store the bytes; return their key (the SHA-256, hex)."""

    def read(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...


def content_key(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class FilesystemStorage:
    """Keys as paths `ab/abcdef…` under a folder outside `static/`."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if len(key) != _KEY_LENGTH or any(c not in "0123456789abcdef" for c in key):
            raise ValueError("not a storage key")
        return self.root / key[:2] / key

    def save(self, data: bytes) -> str:
        key = content_key(data)
        path = self._path(key)
        if path.exists():
            return key
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return key

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).exists()
