"""What a lecturer may upload: the name, the size, and content that matches its extension."""

from __future__ import annotations

import io
import unicodedata
import zipfile
from dataclasses import dataclass

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"


#: Bytes of a ZIP archive's central directory (its list of names) that are read: a slide
#: deck lists some hundreds of parts in tens of KB; 2 MB still lists tens of thousands.
MAX_ZIP_DIRECTORY = 2 * 1024 * 1024
_ZIP_END = b"PK\x05\x06"
_ZIP_END_SIZE = 22
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_LOCATOR_SIZE = 20


def _zip_names(data: bytes) -> list[str] | None:
    """The names in a ZIP archive, or None when it is not one that is read here.

    The directory's size is taken from the archive's end record first, so that a small
    file listing millions of entries is refused before zipfile builds an object for each.
    """
    if not data.startswith(_ZIP):
        return None
    # zipfile looks for the end record in the same place: the last 22 bytes plus a comment.
    end = data.rfind(_ZIP_END, max(0, len(data) - _ZIP_END_SIZE - 0xFFFF))
    if end < 0 or len(data) < end + _ZIP_END_SIZE:
        return None
    if int.from_bytes(data[end + 12 : end + 16], "little") > MAX_ZIP_DIRECTORY:
        return None
    if data[max(0, end - _ZIP64_LOCATOR_SIZE) : end].startswith(_ZIP64_LOCATOR):
        return None  # ZIP64 states its own directory size; no upload of 50 MB needs it
    try:
        return zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        return None  # ValueError: a name flagged UTF-8 that is not, a negative offset


def _office(prefix: str):
    def check(data: bytes) -> bool:
        names = _zip_names(data)
        if names is None:
            return False
        return "[Content_Types].xml" in names and any(n.startswith(prefix) for n in names)

    return check


def _zip(data: bytes) -> bool:
    return _zip_names(data) is not None


#: Extension → (Content-Type, check of the first bytes or the structure).
KINDS = {
    ".pdf": ("application/pdf", lambda d: d.startswith(b"%PDF-")),
    ".pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        _office("ppt/"),
    ),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _office("word/"),
    ),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _office("xl/")),
    ".ppt": ("application/vnd.ms-powerpoint", lambda d: d.startswith(_OLE)),
    ".doc": ("application/msword", lambda d: d.startswith(_OLE)),
    ".xls": ("application/vnd.ms-excel", lambda d: d.startswith(_OLE)),
    ".png": ("image/png", lambda d: d.startswith(b"\x89PNG\r\n\x1a\n")),
    ".jpg": ("image/jpeg", lambda d: d.startswith(b"\xff\xd8\xff")),
    ".jpeg": ("image/jpeg", lambda d: d.startswith(b"\xff\xd8\xff")),
    ".gif": ("image/gif", lambda d: d[:6] in (b"GIF87a", b"GIF89a")),
    ".zip": ("application/zip", _zip),
}

MAX_NAME_LENGTH = 200


class UploadRefused(ValueError):
    """Why an upload is refused, as a code the page turns into words."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class CheckedUpload:
    filename: str
    content_type: str
    data: bytes


def clean_filename(raw: str | None) -> str:
    """The name as the person gave it (NFC, Japanese kept), or UploadRefused."""
    name = unicodedata.normalize("NFC", raw or "").strip()
    if not name:
        raise UploadRefused("no-name")
    if any(unicodedata.category(char) in ("Cc", "Cf") for char in name):
        raise UploadRefused("control-characters")
    if "/" in name or "\\" in name or name in (".", "..") or name.startswith("."):
        raise UploadRefused("path")
    if len(name) > MAX_NAME_LENGTH:
        raise UploadRefused("name-too-long")
    return name


def check_upload(raw_name: str | None, data: bytes, max_bytes: int) -> CheckedUpload:
    """Accept a file only if its name is safe, it has content, and the content is its kind."""
    name = clean_filename(raw_name)
    extension = name[name.rfind(".") :].lower() if "." in name else ""
    if extension not in KINDS:
        raise UploadRefused("kind")
    if not data:
        raise UploadRefused("empty")
    if len(data) > max_bytes:
        raise UploadRefused("too-large")
    content_type, matches = KINDS[extension]
    if not matches(data):
        raise UploadRefused("content-mismatch")
    return CheckedUpload(filename=name, content_type=content_type, data=data)
