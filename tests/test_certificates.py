"""Certificates of attendance: who gets one, the PDF, one code per person, public checks."""

from __future__ import annotations

import re
import subprocess
from datetime import timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from seminar_app.attendance import services as attendance
from seminar_app.attendance.models import CheckInMethod, OnlineAttendance
from seminar_app.audit.models import AuditEvent
from seminar_app.certificates import services
from seminar_app.certificates.models import Certificate
from seminar_app.certificates.pdf import _register_fonts, _wrap, duration_ja
from seminar_app.domain import Delivery
from seminar_app.i18n import format_day
from seminar_app.registration import services as registrations
from seminar_app.timeutil import to_jst, utcnow
from tests.registration_helpers import register

PDFTOTEXT = "/usr/bin/pdftotext"
NAME = "知財 花子"
ORGANIZATION = "株式会社サンプル精工"


def ended_seminar(make_seminar, **overrides):
    """A seminar that started three hours ago and ended an hour ago."""
    values = dict(
        starts_at=utcnow().replace(microsecond=0) - timedelta(hours=3),
        registration_opens_at=None,
        registration_closes_at=None,
    )
    values.update(overrides)
    return make_seminar(**values)


def registered(db_session, seminar, **overrides):
    """A registration made well before the seminar began."""
    return register(db_session, seminar, now=seminar.starts_at - timedelta(days=7), **overrides)


def check_in(db_session, registration):
    result = attendance.admit(
        db_session,
        registration,
        registration.seminar_id,
        by=None,
        method=CheckInMethod.SCAN,
        desk="受付A",
        now=registration.seminar.starts_at,
    )
    assert result.admitted
    db_session.commit()


@pytest.fixture
def attendee(db_session, make_seminar):
    seminar = ended_seminar(make_seminar)
    registration = registered(db_session, seminar, name=NAME, organization=ORGANIZATION)
    check_in(db_session, registration)
    return registration


def certificate_url(registration) -> str:
    return f"/r/{registration.manage_token}/certificate.pdf"


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(data)
    result = subprocess.run(
        [PDFTOTEXT, "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        check=True,
        timeout=30,
    )
    # Lines and spaces fall wherever the layout puts them: compare without them.
    return "".join(result.stdout.decode("utf-8").split())


def certificates(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Certificate))


def issued_events(db_session) -> int:
    return db_session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "certificate.issued")
    )


def page_text(response) -> str:
    return re.sub(r"<[^>]+>", "", response.get_data(as_text=True))


def test_attendee_downloads_a_pdf_with_name_seminar_and_code(
    client, db_session, attendee, tmp_path
):
    response = client.get(certificate_url(attendee))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    certificate = db_session.scalar(select(Certificate))
    assert certificate.registration_id == attendee.id
    assert re.fullmatch(r"([2-9A-HJ-NP-Z]{4}-){4}[2-9A-HJ-NP-Z]{4}", certificate.code)

    text = pdf_text(response.data, tmp_path)
    assert "".join(NAME.split()) + "様" in text
    assert ORGANIZATION in text
    assert attendee.seminar.title in text
    assert "受講証明書" in text
    assert format_day(attendee.seminar.starts_at, "ja") in text
    assert "（2時間）" in text
    assert "知財戦略支援センター" in text
    assert certificate.code in text
    assert f"http://seminars.test/certificates/verify/{certificate.code}" in text

    day = to_jst(attendee.seminar.starts_at).date().isoformat()
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote(f'受講証明書_{day}.pdf')}" in disposition
    assert f'filename="certificate-of-attendance_{day}.pdf"' in disposition
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_every_download_carries_the_same_code_and_is_audited_once(
    client, db_session, attendee, tmp_path
):
    first = client.get(certificate_url(attendee))
    code = db_session.scalar(select(Certificate.code))
    second = client.get(certificate_url(attendee))
    assert first.status_code == second.status_code == 200
    assert certificates(db_session) == 1
    assert db_session.scalar(select(Certificate.code)) == code
    assert code in pdf_text(second.data, tmp_path)
    assert issued_events(db_session) == 1
    assert services.issue(db_session, attendee, utcnow()).code == code


def test_no_show_is_refused_and_gets_no_certificate(client, db_session, make_seminar):
    seminar = ended_seminar(make_seminar)
    absent = registered(db_session, seminar)
    client.get("/language/en")  # the refusal follows the session's choice over the locale
    response = client.get(certificate_url(absent))
    assert response.status_code == 403
    assert "We have no record of your attendance" in page_text(response)
    assert response.headers["Cache-Control"] == "no-store"
    assert certificates(db_session) == 0
    assert issued_events(db_session) == 0
    with pytest.raises(services.NotEligible) as refused:
        services.issue(db_session, absent, utcnow())
    assert refused.value.reason == "not-attended"


def test_refusal_speaks_the_registrants_language(client, db_session, make_seminar):
    absent = registered(db_session, ended_seminar(make_seminar), locale="en")
    response = client.get(certificate_url(absent), headers={"Accept-Language": "ja"})
    assert response.status_code == 403
    assert "We have no record of your attendance" in page_text(response)
    assert '<html lang="en">' in response.get_data(as_text=True)
    client.get("/language/ja")  # an explicit choice on the site wins
    chosen = client.get(certificate_url(absent))
    assert chosen.status_code == 403
    assert '<html lang="ja">' in chosen.get_data(as_text=True)


def test_waitlisted_and_cancelled_are_refused(client, db_session, make_seminar):
    full = ended_seminar(make_seminar, capacity=1)
    seated, waiting = registered(db_session, full), registered(db_session, full)
    assert waiting.status == "waitlisted"
    check_in(db_session, seated)
    # Even with a trace of presence, a waitlisted person has no certificate.
    db_session.add(OnlineAttendance(registration_id=waiting.id, minutes=None))
    other = ended_seminar(make_seminar)
    leaving = registered(db_session, other)
    check_in(db_session, leaving)
    registrations.cancel(db_session, leaving.id, utcnow(), by_participant=False)
    db_session.commit()
    assert leaving.status == "cancelled"
    for registration, reason in ((waiting, "not-confirmed"), (leaving, "cancelled")):
        assert client.get(certificate_url(registration)).status_code == 403
        assert services.refusal_reason(db_session, registration, utcnow()) == reason
        assert not services.may_have_certificate(db_session, registration, utcnow())
    assert client.get(certificate_url(seated)).status_code == 200
    assert certificates(db_session) == 1


def test_no_certificate_before_the_seminar_has_ended(client, db_session, make_seminar):
    now = utcnow().replace(microsecond=0)
    running = make_seminar(
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
        registration_opens_at=None,
        registration_closes_at=None,
    )
    registration = registered(db_session, running)
    check_in(db_session, registration)
    client.get("/language/en")
    response = client.get(certificate_url(registration))
    assert response.status_code == 403
    assert "once the seminar has ended" in page_text(response)
    assert certificates(db_session) == 0
    assert services.may_have_certificate(db_session, registration, now + timedelta(hours=2))


def test_online_attendance_counts_when_long_enough(client, db_session, make_seminar):
    seminar = ended_seminar(make_seminar, delivery=Delivery.ONLINE, min_online_minutes=30)
    long_enough, too_short, unreported = (registered(db_session, seminar) for _ in range(3))
    for registration, minutes in ((long_enough, 45), (too_short, 10), (unreported, None)):
        db_session.add(OnlineAttendance(registration_id=registration.id, minutes=minutes))
    db_session.commit()
    assert client.get(certificate_url(long_enough)).status_code == 200
    assert client.get(certificate_url(unreported)).status_code == 200
    client.get("/language/en")
    refused = client.get(certificate_url(too_short))
    assert refused.status_code == 403
    assert "for less time than" in page_text(refused)
    assert certificates(db_session) == 2


def test_the_persons_attendance_counts_even_with_a_head_count(client, db_session, make_seminar):
    seminar = ended_seminar(make_seminar, head_count=40)
    came, absent = registered(db_session, seminar), registered(db_session, seminar)
    check_in(db_session, came)
    assert client.get(certificate_url(came)).status_code == 200
    assert client.get(certificate_url(absent)).status_code == 403


def test_unknown_management_token_is_404(client, db_session):
    assert client.get("/r/not-a-real-token/certificate.pdf").status_code == 404


def test_verify_page_shows_seminar_and_date_but_no_personal_data(client, db_session, attendee):
    client.get(certificate_url(attendee))
    code = db_session.scalar(select(Certificate.code))
    response = client.get(f"/certificates/verify/{code}", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "This certificate is genuine." in html
    assert attendee.seminar.title_en in html
    assert format_day(attendee.seminar.starts_at, "en") in html
    japanese = client.get(f"/certificates/verify/{code}", headers={"Accept-Language": "ja"})
    assert attendee.seminar.title in japanese.get_data(as_text=True)
    assert format_day(attendee.seminar.starts_at, "ja") in japanese.get_data(as_text=True)
    for page in (html, japanese.get_data(as_text=True)):
        assert NAME not in page and NAME.replace(" ", "") not in page
        assert ORGANIZATION not in page
        assert attendee.email not in page


def test_unknown_or_malformed_code_is_404(client, db_session, attendee):
    client.get(certificate_url(attendee))
    real = db_session.scalar(select(Certificate.code))
    unknown = services.new_code()
    assert unknown != real
    for code in (unknown, "0000-1111-OOOO-IIII-0000", "short", "x" * 500):
        response = client.get(f"/certificates/verify/{code}")
        assert response.status_code == 404, code
        assert attendee.seminar.title not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "typed",
    [
        lambda code: code.lower(),
        lambda code: code.replace("-", ""),
        lambda code: code.replace("-", " ").lower(),
        lambda code: code.translate(str.maketrans("-", "－")),  # full-width hyphen
    ],
)
def test_codes_verify_in_any_case_with_or_without_hyphens(client, db_session, attendee, typed):
    client.get(certificate_url(attendee))
    code = db_session.scalar(select(Certificate.code))
    assert services.verify(db_session, typed(code)).code == code
    response = client.get(f"/certificates/verify/{quote(typed(code))}")
    assert response.status_code == 200
    assert attendee.seminar.title in response.get_data(as_text=True)


def test_verify_form_redirects_to_the_page_or_explains(client, db_session, attendee):
    client.get(certificate_url(attendee))
    code = db_session.scalar(select(Certificate.code))
    assert client.get("/certificates/verify").status_code == 200
    assert client.get("/certificates/verify?code=+").status_code == 200
    response = client.get("/certificates/verify", query_string={"code": code.lower()})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/certificates/verify/{code}")
    bad = client.get(
        "/certificates/verify", query_string={"code": "hello"}, headers={"Accept-Language": "en"}
    )
    assert bad.status_code == 400
    assert "That is not a certificate code" in page_text(bad)


def test_undone_check_in_no_longer_verifies(client, db_session, attendee):
    client.get(certificate_url(attendee))
    code = db_session.scalar(select(Certificate.code))
    assert client.get(f"/certificates/verify/{code}").status_code == 200
    assert attendance.undo(db_session, attendee.seminar_id, attendee.id, by=None, desk="受付A")
    db_session.commit()
    assert client.get(f"/certificates/verify/{code}").status_code == 404
    assert client.get(certificate_url(attendee)).status_code == 403


def test_management_page_links_the_certificate_only_for_attendees(client, db_session, attendee):
    absent = registered(db_session, attendee.seminar)
    link = "Download your certificate of attendance (PDF)"
    came_page = client.get(f"/r/{attendee.manage_token}", headers={"Accept-Language": "en"})
    absent_page = client.get(f"/r/{absent.manage_token}", headers={"Accept-Language": "en"})
    assert came_page.status_code == absent_page.status_code == 200
    assert link in came_page.get_data(as_text=True)
    assert certificate_url(attendee) in came_page.get_data(as_text=True)
    assert link not in absent_page.get_data(as_text=True)
    assert "certificate.pdf" not in absent_page.get_data(as_text=True)


def test_codes_are_random_readable_and_normalised():
    codes = {services.new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert re.fullmatch(r"([2-9A-HJ-NP-Z]{4}-){4}[2-9A-HJ-NP-Z]{4}", code)
        assert services.normalize_code(code.lower().replace("-", "")) == code
    assert len(services.CODE_ALPHABET) ** services.CODE_LENGTH >= 2**80
    assert not set("01OI") & set(services.CODE_ALPHABET)
    assert services.normalize_code("ABCD-EFGH-JKLM-NPQR-STU0") is None
    assert services.normalize_code("ABCD-EFGH-JKLM-NPQR") is None
    assert services.normalize_code(None) is None


def test_qr_code_on_the_certificate_opens_the_verify_page(client, db_session, attendee, tmp_path):
    from seminar_app.attendance.tickets import codes_in_photo

    response = client.get(certificate_url(attendee))
    code = db_session.scalar(select(Certificate.code))
    (tmp_path / "c.pdf").write_bytes(response.data)
    subprocess.run(
        [
            "/usr/bin/pdftoppm",
            "-png",
            "-r",
            "150",
            "-singlefile",
            str(tmp_path / "c.pdf"),
            str(tmp_path / "page"),
        ],
        check=True,
        timeout=60,
    )
    found = codes_in_photo((tmp_path / "page.png").read_bytes())
    assert found == [f"http://seminars.test/certificates/verify/{code}"]


def test_duration_and_title_wrapping():
    start = utcnow()
    assert duration_ja(start, start + timedelta(hours=2)) == "2時間"
    assert duration_ja(start, start + timedelta(minutes=90)) == "1時間30分"
    assert duration_ja(start, start + timedelta(minutes=45)) == "45分"
    _register_fonts()
    title = "営業秘密・知財戦略セミナー（中級）〜秘密管理規程の作り方〜"
    # The break goes before the wave dash, not between 管 and 理.
    assert _wrap(title, "HeiseiMin-W3", 14, 300) == [
        "営業秘密・知財戦略セミナー（中級）",
        "〜秘密管理規程の作り方〜",
    ]
    # A full stop never starts a line: it hangs at the end of the one before.
    assert _wrap("あいう。えお", "HeiseiMin-W3", 14, 14 * 3) == ["あいう。", "えお"]
