"""Reading a ticket's QR code (seminar_app.qr draws it) from a photo taken at the desk."""

from __future__ import annotations

import io
import struct
import zlib


class DecoderUnavailable(RuntimeError):
    """zbar (Debian's libzbar0) is not installed on this server."""


class PhotoUnreadable(Exception):
    """The photo is refused before or while it is decoded; `reason` says why."""

    NOT_AN_IMAGE = "not-an-image"
    TOO_MANY_PIXELS = "too-many-pixels"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


#: Pixels of a photo that is decoded at all: a phone's camera takes 12 to 50 million; a
#: small file claiming far more (a "decompression bomb") would take the memory of a worker.
MAX_PHOTO_PIXELS = 50_000_000
#: What phones send from a file input with accept="image/*" (Safari converts HEIC to JPEG).
PHOTO_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
#: Side of the image zbar reads: phone photos are large, and zbar needs far less.
_READ_SIZE = (1600, 1600)


def codes_in_photo(data: bytes) -> list[str]:
    """Every QR code zbar finds in a photo, as text; [] when there is none.

    PhotoUnreadable when the data is not a photo in PHOTO_FORMATS, or when its header
    announces more than MAX_PHOTO_PIXELS: the size is read from the header, before any
    pixel is decoded.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        from pyzbar import pyzbar
    except (ImportError, OSError) as exc:  # pyzbar loads libzbar when imported
        raise DecoderUnavailable(str(exc)) from exc
    unreadable = (
        UnidentifiedImageError,
        OSError,  # truncated or corrupt data
        ValueError,
        SyntaxError,  # Pillow's parsers raise it for malformed headers
        EOFError,
        struct.error,
        zlib.error,
        pyzbar.PyZbarError,
    )
    try:
        with Image.open(io.BytesIO(data), formats=PHOTO_FORMATS) as image:
            width, height = image.size
            if width * height > MAX_PHOTO_PIXELS:
                raise PhotoUnreadable(PhotoUnreadable.TOO_MANY_PIXELS)
            image.draft("L", _READ_SIZE)  # a JPEG is decoded at a fraction of its size
            gray = image.convert("L")
        gray.thumbnail(_READ_SIZE)
        found = pyzbar.decode(gray, symbols=[pyzbar.ZBarSymbol.QRCODE])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own check, in Image.open, for sizes far beyond ours.
        raise PhotoUnreadable(PhotoUnreadable.TOO_MANY_PIXELS) from exc
    except unreadable as exc:
        raise PhotoUnreadable(PhotoUnreadable.NOT_AN_IMAGE) from exc
    return [item.data.decode("ascii", "replace") for item in found]
