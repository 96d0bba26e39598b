"""The certificate of attendance as an A4 PDF, drawn with reportlab.

Japanese is set in reportlab's built-in CID fonts (HeiseiMin-W3, HeiseiKakuGo-W5):
nothing to install or embed, every PDF viewer substitutes its own Japanese font.
Characters outside the BMP (e.g. 𠮷) have no glyph in these fonts.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from ..i18n import format_day
from ..timeutil import to_jst

SERIF = "HeiseiMin-W3"
SANS = "HeiseiKakuGo-W5"
LATIN = "Helvetica"
LATIN_BOLD = "Helvetica-Bold"

INK = HexColor("#1c2430")
MUTED = HexColor("#5a6472")
BRAND = HexColor("#17427a")
RULE = HexColor("#d8dde5")
WASH = HexColor("#f4f6f9")

WIDTH, HEIGHT = A4
CENTER = WIDTH / 2
#: The details table: label column, then value column, centred on the page.
LABEL_WIDTH = 84
VALUE_WIDTH = 320
TABLE_LEFT = (WIDTH - LABEL_WIDTH - VALUE_WIDTH) / 2
TABLE_RIGHT = TABLE_LEFT + LABEL_WIDTH + VALUE_WIDTH


def _register_fonts() -> None:
    registered = pdfmetrics.getRegisteredFontNames()
    for name in (SERIF, SANS):
        if name not in registered:
            pdfmetrics.registerFont(UnicodeCIDFont(name))


@dataclass(frozen=True)
class CertificateText:
    """Everything printed on a certificate, already formatted."""

    name: str
    organization: str | None
    seminar_title: str
    day: str
    time: str
    duration: str
    agency_name: str
    agency_name_en: str | None
    issued_on: str
    code: str
    verify_url: str


def duration_ja(starts_at: datetime, ends_at: datetime) -> str:
    """2時間, 1時間30分, 45分."""
    minutes = max(0, round((ends_at - starts_at).total_seconds() / 60))
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours}時間{rest}分"
    return f"{hours}時間" if hours else f"{rest}分"


def date_ja(moment: datetime) -> str:
    """2026年11月26日, in Tokyo time."""
    local = to_jst(moment)
    return f"{local.year}年{local.month}月{local.day}日"


def time_range_ja(starts_at: datetime, ends_at: datetime) -> str:
    """14:00〜16:00, or with the end's date when the seminar runs past midnight."""
    start, end = to_jst(starts_at), to_jst(ends_at)
    if start.date() == end.date():
        return f"{start:%H:%M}〜{end:%H:%M}"
    return f"{start:%H:%M}〜{format_day(ends_at, 'ja')} {end:%H:%M}"


def certificate_text(
    certificate,
    *,
    agency_name: str,
    agency_name_en: str | None,
    verify_url: str,
) -> CertificateText:
    """What the certificate states, from what was fixed when it was issued."""
    return CertificateText(
        name=certificate.name,
        organization=certificate.organization,
        seminar_title=certificate.seminar_title,
        day=format_day(certificate.starts_at, "ja"),
        time=time_range_ja(certificate.starts_at, certificate.ends_at),
        duration=duration_ja(certificate.starts_at, certificate.ends_at),
        agency_name=agency_name,
        agency_name_en=agency_name_en,
        issued_on=date_ja(certificate.issued_at),
        code=certificate.code,
        verify_url=verify_url,
    )


def _width(text: str, font: str, size: float) -> float:
    return pdfmetrics.stringWidth(text, font, size)


def _fit(text: str, font: str, size: float, width: float, smallest: float) -> float:
    """The largest size up to `size` at which `text` fits `width` (not below `smallest`)."""
    while size > smallest and _width(text, font, size) > width:
        size -= 0.5
    return size


#: Never at the start of a line (kinsoku): they stay at the end of the line before.
_NO_LINE_START = set("、。，．・：；？！）」』】〕〉》”’ー〜～ぁぃぅぇぉっゃゅょァィゥェォッャュョ")
#: A good place to break a long title: before an opening bracket or a wave dash.
_BREAK_BEFORE = set("（「『【〔〈《“〜～(")


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Lines of at most `width`, broken between characters (Japanese has no spaces).

    A closing bracket or small kana is never put at the start of a line, and a break
    before an opening bracket in the second half of a line is preferred.
    """
    lines, line = [], ""
    for char in text:
        if line and _width(line + char, font, size) > width and char not in _NO_LINE_START:
            cut = max((i for i, c in enumerate(line) if c in _BREAK_BEFORE and i > 0), default=-1)
            if char == " " or cut < len(line) // 2:
                cut = len(line)
            if char != " " and " " in line and line[-1].isascii() and char.isascii():
                cut = line.rindex(" ")  # keep a Latin word whole
            lines.append(line[:cut].rstrip())
            line = line[cut:].lstrip()
            if char == " " and not line:
                continue
        line += char
    if line:
        lines.append(line)
    return lines


def _spaced_centered(
    canvas: Canvas, text: str, y: float, font: str, size: float, spacing: float
) -> None:
    """Centred text with letter-spacing (the spacing after the last letter not counted)."""
    width = _width(text, font, size) + spacing * (len(text) - 1)
    line = canvas.beginText(CENTER - width / 2, y)
    line.setFont(font, size)
    line.setCharSpace(spacing)
    line.textOut(text)
    line.setCharSpace(0)  # the spacing would otherwise stay set for all later text
    canvas.drawText(line)


def _qr(canvas: Canvas, data: str, x: float, y: float, size: float) -> None:
    """A QR code drawn as vector squares: sharp at any zoom and in print."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    qr.add_data(data)
    qr.make(fit=True)
    matrix = qr.get_matrix()
    module = size / len(matrix)
    canvas.setFillColor(INK)
    for row, cells in enumerate(matrix):
        top = y + size - (row + 1) * module
        column = 0
        while column < len(cells):
            if not cells[column]:
                column += 1
                continue
            run = column
            while run < len(cells) and cells[run]:
                run += 1
            # One rectangle per run, a hair taller than a module: no seams when rasterised.
            canvas.rect(
                x + column * module, top - 0.05, (run - column) * module, module + 0.1, 0, 1
            )
            column = run


def _frame(canvas: Canvas) -> None:
    canvas.setStrokeColor(BRAND)
    canvas.setLineWidth(2.2)
    canvas.rect(26, 26, WIDTH - 52, HEIGHT - 52)
    canvas.setLineWidth(0.6)
    canvas.rect(33, 33, WIDTH - 66, HEIGHT - 66)


def _heading(canvas: Canvas) -> None:
    canvas.setFillColor(INK)
    _spaced_centered(canvas, "受講証明書", 726, SERIF, 34, 10)
    canvas.setFillColor(MUTED)
    _spaced_centered(canvas, "CERTIFICATE OF ATTENDANCE", 700, LATIN, 9.5, 2.4)
    canvas.setStrokeColor(BRAND)
    canvas.setLineWidth(0.8)
    canvas.line(CENTER - 40, 684, CENTER + 40, 684)


def _addressee(canvas: Canvas, text: CertificateText) -> float:
    """Organization and name with 様; returns the y below them."""
    y = 600
    if text.organization:
        size = _fit(text.organization, SERIF, 13, 400, 9)
        canvas.setFillColor(INK)
        canvas.setFont(SERIF, size)
        canvas.drawCentredString(CENTER, y + 36, text.organization)
    honorific = "　様"
    size = _fit(text.name, SERIF, 26, 380, 12)
    name_width = _width(text.name, SERIF, size)
    honorific_width = _width(honorific, SERIF, 16)
    left = CENTER - (name_width + honorific_width) / 2
    canvas.setFillColor(INK)
    canvas.setFont(SERIF, size)
    canvas.drawString(left, y, text.name)
    canvas.setFont(SERIF, 16)
    canvas.drawString(left + name_width, y, honorific)
    underline = max(300, name_width + honorific_width + 40)
    canvas.setStrokeColor(INK)
    canvas.setLineWidth(0.7)
    canvas.line(CENTER - underline / 2, y - 10, CENTER + underline / 2, y - 10)
    return y - 10


def _details(canvas: Canvas, text: CertificateText, top: float) -> float:
    """The statement and the table of seminar, date, time; returns the y below them."""
    canvas.setFillColor(INK)
    canvas.setFont(SERIF, 12.5)
    canvas.drawCentredString(
        CENTER, top - 46, "あなたは下記のセミナーを受講されたことを証明します。"
    )
    canvas.setFont(SERIF, 12.5)
    canvas.drawCentredString(CENTER, top - 80, "記")

    title_size = 14.0
    title_lines = _wrap(text.seminar_title, SERIF, title_size, VALUE_WIDTH)
    while len(title_lines) > 2 and title_size > 11:
        title_size -= 0.5
        title_lines = _wrap(text.seminar_title, SERIF, title_size, VALUE_WIDTH)
    while len(title_lines) > 3 and title_size > 8:  # only very long titles get this small
        title_size -= 0.5
        title_lines = _wrap(text.seminar_title, SERIF, title_size, VALUE_WIDTH)
    rows = [
        ("セミナー名", title_lines, title_size),
        ("開催日", [text.day], 13),
        ("時間", [f"{text.time}（{text.duration}）"], 13),
    ]
    y = top - 108
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.8)
    canvas.line(TABLE_LEFT, y, TABLE_RIGHT, y)
    for label, lines, size in rows:
        leading = size * 1.55
        height = leading * len(lines) + 16
        first_baseline = y - 8 - size
        canvas.setFillColor(BRAND)
        canvas.setFont(SANS, 10)
        canvas.drawString(TABLE_LEFT + 6, first_baseline + 1, label)
        canvas.setFillColor(INK)
        canvas.setFont(SERIF, size)
        for index, line in enumerate(lines):
            canvas.drawString(TABLE_LEFT + LABEL_WIDTH, first_baseline - index * leading, line)
        y -= height
        canvas.line(TABLE_LEFT, y, TABLE_RIGHT, y)
    canvas.setFillColor(INK)
    canvas.setFont(SERIF, 12)
    canvas.drawRightString(TABLE_RIGHT, y - 22, "以上")
    return y - 22


def _issuer(canvas: Canvas, text: CertificateText, top: float) -> None:
    y = max(min(top - 48, 320), 262)
    canvas.setFillColor(INK)
    canvas.setFont(SERIF, 12)
    canvas.drawRightString(TABLE_RIGHT, y, f"発行日　{text.issued_on}")
    size = _fit(text.agency_name, SERIF, 18, TABLE_RIGHT - TABLE_LEFT, 11)
    canvas.setFont(SERIF, size)
    canvas.drawRightString(TABLE_RIGHT, y - 36, text.agency_name)
    if text.agency_name_en:
        canvas.setFillColor(MUTED)
        canvas.setFont(LATIN, 8.5)
        canvas.drawRightString(TABLE_RIGHT, y - 52, text.agency_name_en)


def _verification(canvas: Canvas, text: CertificateText) -> None:
    left, bottom, width, height = 70, 62, WIDTH - 140, 118
    canvas.setFillColor(WASH)
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.8)
    canvas.roundRect(left, bottom, width, height, 6, stroke=1, fill=1)
    qr_size = 92
    canvas.setFillColor(HexColor("#ffffff"))
    canvas.rect(left + 10, bottom + 10, qr_size + 8, qr_size + 8, stroke=0, fill=1)
    _qr(canvas, text.verify_url, left + 14, bottom + 14, qr_size)

    x = left + qr_size + 34
    room = left + width - 14 - x
    canvas.setFillColor(MUTED)
    canvas.setFont(SANS, 8.5)
    canvas.drawString(x, bottom + height - 26, "検証コード　Verification code")
    canvas.setFillColor(INK)
    canvas.setFont(LATIN_BOLD, _fit(text.code, LATIN_BOLD, 17, room, 10))
    canvas.drawString(x, bottom + height - 50, text.code)
    canvas.setFillColor(MUTED)
    canvas.setFont(SANS, 8)
    canvas.drawString(x, bottom + 44, "この証明書が本物であることは、次のページで確かめられます。")
    canvas.setFont(LATIN, 7.5)
    canvas.drawString(x, bottom + 32, "Anyone can check this certificate at:")
    canvas.setFillColor(BRAND)
    canvas.setFont(LATIN, _fit(text.verify_url, LATIN, 8.5, room, 5))
    canvas.drawString(x, bottom + 16, text.verify_url)
    canvas.linkURL(text.verify_url, (x, bottom + 12, x + room, bottom + 26), relative=0)


def render_pdf(text: CertificateText) -> bytes:
    _register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(f"受講証明書 {text.seminar_title}")
    canvas.setAuthor(text.agency_name)
    canvas.setSubject("Certificate of Attendance")
    canvas.setCreator(text.agency_name)
    _frame(canvas)
    _heading(canvas)
    below_name = _addressee(canvas, text)
    below_table = _details(canvas, text, below_name)
    _issuer(canvas, text, below_table)
    _verification(canvas, text)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
