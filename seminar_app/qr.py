"""QR codes as PNG images: a ticket's code, an authenticator app's setup link.

ASCII only and error correction M, so that every scanner and phone camera reads the same
text from them; a PNG because mail clients show neither SVG nor data: URIs.
"""

from __future__ import annotations

import io

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from qrcode.image.pil import PilImage


def qr_png(text: str, box_size: int = 8) -> bytes:
    """A PNG of `text` with a quiet zone of four modules; ValueError unless it is ASCII."""
    if not text.isascii():
        raise ValueError("QR codes here hold ASCII text only")
    qr = qrcode.QRCode(
        error_correction=ERROR_CORRECT_M, box_size=box_size, border=4, image_factory=PilImage
    )
    qr.add_data(text)
    qr.make(fit=True)
    buffer = io.BytesIO()
    qr.make_image().save(buffer, format="PNG")
    return buffer.getvalue()
