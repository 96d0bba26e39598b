"""QR tickets in the confirmation mail, read back with zbar as a reception scanner would."""

import re
import shutil
import subprocess

import pytest

from seminar_app.attendance.tickets import PhotoUnreadable, codes_in_photo
from seminar_app.codes import ALPHABET, TICKET, ticket_code_of
from seminar_app.notifications.services import deliver_due
from seminar_app.qr import qr_png
from tests.registration_helpers import register

#: ASCII letters and digits to their full-width forms, as an IME types them.
FULL_WIDTH = {code: code + 0xFEE0 for code in range(0x21, 0x7F)}

pytestmark = pytest.mark.skipif(
    shutil.which("zbarimg") is None,
    reason="zbarimg not found (apt-get install zbar-tools): QR decoding tests are skipped",
)


def test_ticket_in_the_mail_decodes_with_zbar(
    db_session, smtp_app, mail_server, make_seminar, tmp_path
):
    registration = register(db_session, make_seminar(), email="ticket@example.jp")
    deliver_due(db_session)
    [mail] = mail_server.wait_for(1)
    html = mail.get_body(("html",)).get_content()
    cid = re.search(r'src="cid:([^"]+)"', html).group(1)
    [image] = [part for part in mail.walk() if part.get("Content-ID") == f"<{cid}>"]
    assert image.get_content_type() == "image/png"
    path = tmp_path / "ticket.png"
    path.write_bytes(image.get_content())
    decoded = subprocess.run(
        ["zbarimg", "--raw", "-q", str(path)], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert decoded == registration.ticket_code
    assert registration.ticket_code in mail.get_body(("plain",)).get_content()
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}", decoded)


def test_waitlisted_mail_has_no_ticket(db_session, smtp_app, mail_server, make_seminar):
    seminar = make_seminar(capacity=0)
    registration = register(db_session, seminar)
    deliver_due(db_session)
    [mail] = mail_server.wait_for(1)
    assert not [part for part in mail.walk() if part.get_content_type() == "image/png"]
    assert registration.ticket_code not in mail.get_body(("plain",)).get_content()


def test_management_page_shows_the_ticket(client, db_session, make_seminar, tmp_path):
    registration = register(db_session, make_seminar())
    html = client.get(f"/r/{registration.manage_token}").get_data(as_text=True)
    assert registration.ticket_code in html
    png = client.get(f"/r/{registration.manage_token}/ticket.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert codes_in_photo(png.data) == [registration.ticket_code]


def test_a_photo_decoder_reads_the_code_and_ignores_junk():
    assert codes_in_photo(qr_png("TKT-" + "a" * 24)) == ["TKT-" + "a" * 24]
    with pytest.raises(PhotoUnreadable):
        codes_in_photo(b"not an image")
    with pytest.raises(ValueError):
        qr_png("受講票")


def test_ticket_qr_uses_error_correction_m(make_seminar, db_session):
    """Read the format information the code carries (ISO/IEC 18004): level M is 00."""
    import io

    from PIL import Image

    registration = register(db_session, make_seminar())
    image = Image.open(io.BytesIO(qr_png(registration.ticket_code))).convert("L")
    box, border = 8, 4
    count = image.width // box - 2 * border

    def dark(row, column):
        return image.getpixel(((border + column) * box + 4, (border + row) * box + 4)) < 128

    # Bit i of the 15 format bits sits in column 8: rows 0–5, then 7–8, then the bottom 7.
    rows = [0, 1, 2, 3, 4, 5, 7, 8] + [count - 15 + i for i in range(8, 15)]
    bits = sum(dark(row, 8) << i for i, row in enumerate(rows))
    assert (bits ^ 0b101010000010010) >> 13 == 0b00  # M; L would be 01, Q 11, H 10


def test_a_ticket_code_has_50_random_bits_at_least_without_look_alikes():
    assert TICKET.bits >= 50
    assert not set("01OI") & set(ALPHABET)  # shown in capitals: no l to mistake
    codes = {TICKET.new() for _ in range(500)}
    assert len(codes) == 500


@pytest.mark.parametrize(
    "typed",
    [
        lambda code: code.lower(),
        lambda code: code.replace("-", ""),
        lambda code: code.replace("-", " "),
        lambda code: code.translate(FULL_WIDTH),  # typed with a Japanese input method
        lambda code: code.replace("-", "ー"),
    ],
    ids=["lower case", "no hyphens", "spaces", "full width", "long vowel mark"],
)
def test_a_ticket_is_found_however_its_code_is_typed(db_session, make_seminar, typed):
    from seminar_app.attendance import services
    from seminar_app.domain import CheckInMethod
    from seminar_app.timeutil import utcnow

    seminar = make_seminar()
    registration = register(db_session, seminar)
    result = services.check_in_code(
        db_session,
        seminar.id,
        typed(registration.ticket_code),
        by=None,
        method=CheckInMethod.SEARCH,
        desk="受付A",
        now=utcnow(),
    )
    assert result.outcome == services.Outcome.CHECKED_IN


def test_tickets_issued_before_readable_codes_keep_working(db_session, make_seminar):
    from seminar_app.attendance import services
    from seminar_app.domain import CheckInMethod
    from seminar_app.timeutil import utcnow

    seminar = make_seminar()
    registration = register(db_session, seminar)
    registration.ticket_code = "TKT-" + "aB3_-" * 4 + "xyzw"
    db_session.commit()
    result = services.check_in_code(
        db_session,
        seminar.id,
        "TKT-" + "aB3_-" * 4 + "xyzw",
        by=None,
        method=CheckInMethod.SCAN,
        desk="受付A",
        now=utcnow(),
    )
    assert result.outcome == services.Outcome.CHECKED_IN
    assert ticket_code_of(("TKT-" + "aB3_-" * 4 + "xyzw").lower()) != registration.ticket_code
