"""QR tickets: the code as a PNG (error correction M), and reading one from a photo."""

from __future__ import annotations

import io

import qrcode
from qrcode.constants import ERROR_CORRECT_M


def qr_png(code: str, box_size: int = 8) -> bytes:
    """A PNG of the ticket code; ASCII only, so any scanner reads it the same."""
    if not code.isascii():
        raise ValueError("ticket codes are ASCII")
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=4)
    qr.add_data(code)
    qr.make(fit=True)
    buffer = io.BytesIO()
    qr.make_image().save(buffer, format="PNG")
    return buffer.getvalue()


class DecoderUnavailable(RuntimeError):
    """zbar (Debian's libzbar0) is not installed on this server."""


def codes_in_photo(data: bytes) -> list[str]:
    """Every QR code zbar finds in a photo, as text; [] when none or not an image."""
    from PIL import Image, UnidentifiedImageError

    try:
        from pyzbar import pyzbar
    except (ImportError, OSError) as exc:  # pyzbar loads libzbar when imported
        raise DecoderUnavailable(str(exc)) from exc
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError):
        return []
    image = image.convert("L")
    image.thumbnail((1600, 1600))  # phone photos are large; zbar needs far less
    found = pyzbar.decode(image, symbols=[pyzbar.ZBarSymbol.QRCODE])
    return [item.data.decode("ascii", "replace") for item in found]
