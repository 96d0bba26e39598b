"""Certificates of attendance: who gets one, the PDF, one code per person, public checks."""

from __future__ import annotations

import re
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from flask_migrate import upgrade
from sqlalchemy import Boolean, Integer, String, column, func, select, table, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from seminar_app.attendance import services as attendance
from seminar_app.attendance.models import OnlineAttendance
from seminar_app.audit.models import AuditEvent
from seminar_app.certificates import services
from seminar_app.certificates.models import Certificate
from seminar_app.certificates.pdf import (
    _register_fonts,
    _wrap,
    certificate_text,
    duration_ja,
    render_pdf,
)
from seminar_app.codes import ALPHABET
from seminar_app.database import UTCDateTime, begin_write
from seminar_app.domain import CheckInMethod, Delivery
from seminar_app.extensions import db
from seminar_app.i18n import format_day
from seminar_app.privacy import services as privacy
from seminar_app.registration import services as registrations
from seminar_app.registration.models import Registration
from seminar_app.timeutil import fiscal_year_of, to_jst, utcnow
from tests.conftest import fresh_database_url, make_app, post_form
from tests.registration_helpers import add_open_seminar, details_data, register
from tests.waiting import patience, wait_until

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
        timeout=patience(120),
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
    assert services.CERTIFICATE_CODE.bits >= 80
    assert not set("01OI") & set(ALPHABET)
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
        timeout=patience(120),
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


# --- one code, one name: what a certificate states is fixed when it is issued -------------------

NEW_NAME = "別人 次郎"


def correct_my_details(client, registration, **changes):
    """The participant's own edit page, as a browser posts it."""
    data = details_data(name=registration.name, organization=registration.organization)
    data.pop("email")
    data.update(changes)
    response = post_form(client, f"/r/{registration.manage_token}/edit", data)
    assert response.status_code == 303, page_text(response)[:500]


def verify_page(client, code, language="en"):
    return client.get(f"/certificates/verify/{code}", headers={"Accept-Language": language})


def check_name(client, code, name, language="en"):
    url = f"/certificates/verify/{code}"
    return post_form(client, url, {"name": name}, headers={"Accept-Language": language})


def all_certificates(db_session) -> list[Certificate]:
    db_session.expire_all()
    return list(db_session.scalars(select(Certificate).order_by(Certificate.id)))


def test_a_changed_name_gets_a_new_code_and_the_old_one_verifies_as_replaced(
    client, db_session, attendee, tmp_path
):
    """The attack of the review: download, change the name, download again."""
    first = client.get(certificate_url(attendee))
    old_code = db_session.scalar(select(Certificate.code))
    correct_my_details(client, attendee, name=NEW_NAME)
    assert attendee.name == NEW_NAME
    second = client.get(certificate_url(attendee))
    assert first.status_code == second.status_code == 200

    old, new = all_certificates(db_session)
    assert old.code == old_code and new.code != old_code
    assert (old.name, new.name) == (NAME, NEW_NAME)
    assert old.replaced_at is not None and new.in_force
    assert "".join(NAME.split()) + "様" in pdf_text(first.data, tmp_path)
    second_text = pdf_text(second.data, tmp_path)
    assert "".join(NEW_NAME.split()) + "様" in second_text
    assert new.code in second_text and old_code not in second_text

    replaced = verify_page(client, old_code)
    assert replaced.status_code == 410
    text = page_text(replaced)
    assert "This certificate is genuine" not in text
    replaced_on = format_day(old.replaced_at, "en")
    assert f"This certificate was replaced by a newer one on {replaced_on}" in text
    assert "no longer valid" in text
    assert new.code not in text  # the old paper does not lead to the new one
    japanese = page_text(verify_page(client, old_code, "ja"))
    assert (
        f"この証明書は{format_day(old.replaced_at, 'ja')}に新しい証明書に差し替えられ" in japanese
    )
    assert "本物です" not in japanese

    # The old code is not genuine for the new name; it was issued to the old one.
    for_new_name = check_name(client, old_code, NEW_NAME)
    assert for_new_name.status_code == 410
    assert f"This certificate was not issued to “{NEW_NAME}”" in page_text(for_new_name)
    for_old_name = page_text(check_name(client, old_code, NAME))
    assert f"The name matches: this certificate was issued to {NAME}." in for_old_name
    assert "It has since been replaced" in for_old_name

    current = verify_page(client, new.code)
    assert current.status_code == 200
    assert "This certificate is genuine." in page_text(current)
    assert "The name matches" in page_text(check_name(client, new.code, NEW_NAME))
    assert "was not issued to" in page_text(check_name(client, new.code, NAME))

    assert issued_events(db_session) == 2
    reissue = db_session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "certificate.issued")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert reissue.details["replaces"] == old_code
    assert reissue.details["changed"] == ["name"]
    assert NAME not in str(reissue.details) and NEW_NAME not in str(reissue.details)


def test_the_pdf_of_an_issued_certificate_states_what_was_issued(
    client, db_session, attendee, tmp_path
):
    client.get(certificate_url(attendee))
    issued = db_session.scalar(select(Certificate))
    attendee.name, attendee.organization = NEW_NAME, "別会社株式会社"
    attendee.seminar.title = "後から直した題名"
    db_session.commit()
    data = render_pdf(
        certificate_text(
            issued, agency_name="知財戦略支援センター", agency_name_en=None, verify_url="http://x/"
        )
    )
    text = pdf_text(data, tmp_path)
    assert "".join(NAME.split()) + "様" in text and ORGANIZATION in text
    assert issued.seminar_title in text
    assert NEW_NAME.replace(" ", "") not in text and "後から直した題名" not in text


def test_details_a_certificate_does_not_state_keep_the_code(client, db_session, attendee):
    client.get(certificate_url(attendee))
    code = db_session.scalar(select(Certificate.code))
    correct_my_details(client, attendee, department="法務部", job_title="部長")
    assert attendee.department == "法務部"
    assert client.get(certificate_url(attendee)).status_code == 200
    assert [c.code for c in all_certificates(db_session)] == [code]
    assert issued_events(db_session) == 1


def test_an_organizers_correction_of_the_organization_also_issues_a_new_certificate(
    db_session, attendee, make_user
):
    first = services.issue(db_session, attendee, utcnow())
    data = {name: getattr(attendee, name) for name in privacy.CORRECTABLE}
    changed, errors = privacy.correct(
        db_session, attendee, data | {"organization": "株式会社訂正後"}, by=make_user()
    )
    assert (changed, errors) == (["organization"], {})
    second = services.issue(db_session, attendee, utcnow())
    assert second.code != first.code
    assert (second.name, second.organization) == (NAME, "株式会社訂正後")
    db_session.refresh(first)
    assert first.organization == ORGANIZATION and not first.in_force
    assert services.issue(db_session, attendee, utcnow()).code == second.code


def test_a_corrected_seminar_issues_a_new_certificate_too(db_session, attendee):
    first = services.issue(db_session, attendee, utcnow())
    seminar = attendee.seminar
    seminar.starts_at -= timedelta(minutes=30)
    db_session.flush()
    second = services.issue(db_session, attendee, utcnow())
    assert second.code != first.code
    assert (first.starts_at, second.starts_at) == (
        seminar.starts_at + timedelta(minutes=30),
        seminar.starts_at,
    )


def test_the_name_check_forgives_spaces_width_case_and_the_honorific(db_session, attendee):
    certificate = services.issue(db_session, attendee, utcnow())
    for typed in (
        "知財 花子",
        "知財花子",
        "知財　花子",
        " 知財花子 様",
        "知財花子様",
        "知財花子殿",
    ):
        assert services.issued_to(certificate, typed), typed
    for typed in ("知財 花", "知財 花子子", "花子 知財", "様"):
        assert not services.issued_to(certificate, typed), typed
    assert services.issued_to(Certificate(name="Ｈａｎａｋｏ  CHIZAI"), "hanako chizai")


def test_the_name_check_explains_bad_input_in_both_languages(client, db_session, attendee):
    client.get(certificate_url(attendee))
    code = db_session.scalar(select(Certificate.code))
    empty = check_name(client, code, "  ")
    assert empty.status_code == 400
    assert "Type the name as it is printed on the certificate." in page_text(empty)
    too_long = check_name(client, code, "長" * 121, "ja")
    assert too_long.status_code == 400
    assert "証明書の氏名は100文字以内です。" in page_text(too_long)
    script = check_name(client, code, "<script>alert(1)</script>")
    assert script.status_code == 200
    assert "<script>alert(1)</script>" not in script.get_data(as_text=True)
    assert "&lt;script&gt;" in script.get_data(as_text=True)
    japanese = page_text(check_name(client, code, NAME, "ja"))
    assert f"氏名が一致しました。この証明書は{NAME}様に発行したものです。" in japanese
    assert issued_events(db_session) == 1 and certificates(db_session) == 1


def test_verify_page_asks_for_the_name_and_shows_none(client, db_session, attendee):
    client.get(certificate_url(attendee))
    code = db_session.scalar(select(Certificate.code))
    for language in ("en", "ja"):
        html = verify_page(client, code, language).get_data(as_text=True)
        assert 'name="name"' in html and 'name="csrf_token"' in html
        assert NAME not in html and NAME.replace(" ", "") not in html
        assert ORGANIZATION not in html
    mismatch = check_name(client, code, "誰か 別人").get_data(as_text=True)
    assert NAME not in mismatch and ORGANIZATION not in mismatch


def test_only_one_certificate_in_force_per_registration(db_session, attendee):
    """The database itself refuses a second certificate in force (the race's last guard)."""
    first = services.issue(db_session, attendee, utcnow())
    twin = Certificate(
        registration_id=attendee.id,
        code=services.new_code(),
        issued_at=utcnow(),
        **services.statement_of(attendee),
    )
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.add(twin)
        db_session.flush()
    first.replaced_at = utcnow()
    db_session.add(
        Certificate(
            registration_id=attendee.id,
            code=services.new_code(),
            issued_at=utcnow(),
            **services.statement_of(attendee),
        )
    )
    db_session.flush()  # beside a replaced one, a new one in force is fine
    assert certificates(db_session) == 2


def test_the_purge_clears_the_name_a_certificate_was_issued_to(client, db_session, make_seminar):
    long_ago = utcnow().replace(microsecond=0) - timedelta(days=800)
    seminar = make_seminar(
        starts_at=long_ago, registration_opens_at=None, registration_closes_at=None
    )
    registration = registered(db_session, seminar, name=NAME, organization=ORGANIZATION)
    check_in(db_session, registration)
    old = services.issue(db_session, registration, long_ago + timedelta(days=1))
    registration.name = NEW_NAME
    current = services.issue(db_session, registration, long_ago + timedelta(days=2))
    db_session.commit()
    privacy.purge_before(db_session, fiscal_year_of(long_ago) + 1, utcnow())
    db_session.commit()
    for certificate in (old, current):
        db_session.refresh(certificate)
        assert (certificate.name, certificate.organization) == (None, None)
    # The code still says that someone attended; the name can no longer be checked.
    assert verify_page(client, current.code).status_code == 200
    answer = check_name(client, current.code, NEW_NAME)
    assert answer.status_code == 200
    assert "The name can no longer be checked" in page_text(answer)
    assert "The name matches" not in page_text(answer)


# --- two first downloads at the same moment ------------------------------------------------------


def _fresh_world(backend, tmp_path, name):
    """A migrated database of its own (the tests' rolled-back connection cannot race), with
    one attendee of an ended seminar, committed."""
    app = make_app(fresh_database_url(backend, tmp_path, name))
    with app.app_context():
        upgrade()
        seminar = add_open_seminar(db.session, slug="race", capacity=10)
        registration = register(db.session, seminar, name=NAME)
        seminar.starts_at = utcnow() - timedelta(hours=3)
        seminar.ends_at = seminar.starts_at + timedelta(hours=2)
        db.session.commit()
        check_in(db.session, registration)
        ids = registration.id
        db.engine.dispose()
    return app, ids


def _wait_for_lock_wait(engine) -> None:
    """Until another PostgreSQL session waits on a lock (SQLite: its waiter cannot be seen,
    and whichever order the two take, the outcome is the same)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as connection:

        def someone_waits_on_a_lock() -> bool:
            waiting = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar()
            connection.rollback()
            return bool(waiting)

        assert wait_until(someone_waits_on_a_lock, timeout=60), (
            "the second download never waited for the first"
        )


@pytest.mark.parametrize("change_first", [False, True], ids=["first-issue", "replacement"])
def test_two_downloads_at_once_issue_one_certificate(backend, tmp_path, change_first):
    """The second download reads before the first commits, and writes after: it must take
    the first one's certificate, not issue a second (on PostgreSQL it provably waits on
    the unique index or the row; on SQLite BEGIN IMMEDIATE makes it wait before reading)."""
    app, registration_id = _fresh_world(backend, tmp_path, f"seminar_cert_race_{change_first}")
    with app.app_context():
        if change_first:
            with Session(db.engine) as session:
                services.issue(session, session.get(Registration, registration_id), utcnow())
                session.get(Registration, registration_id).name = NEW_NAME
                session.commit()
        first, second = Session(db.engine), Session(db.engine)
        outcome = {}

        def download_in(session) -> None:
            try:
                begin_write(session)
                registration = session.get(Registration, registration_id)
                outcome["code"] = services.issue(session, registration, utcnow()).code
                session.commit()
            except Exception as exc:  # reported below, not lost in the thread
                outcome["error"] = exc

        begin_write(first)
        code = services.issue(first, first.get(Registration, registration_id), utcnow()).code
        racer = threading.Thread(target=download_in, args=(second,))
        racer.start()
        _wait_for_lock_wait(db.engine)
        first.commit()
        racer.join(timeout=patience(120))
        assert not racer.is_alive()
        assert "error" not in outcome, outcome
        assert outcome["code"] == code
        first.close()
        second.close()
        with Session(db.engine) as session:
            in_force = session.scalars(
                select(Certificate).where(Certificate.replaced_at.is_(None))
            ).all()
            assert [c.code for c in in_force] == [code]
            assert in_force[0].name == (NEW_NAME if change_first else NAME)
            assert session.scalar(select(func.count()).select_from(Certificate)) == (
                2 if change_first else 1
            )
            assert session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "certificate.issued")
            ) == (2 if change_first else 1)
        db.engine.dispose()


def test_simultaneous_first_downloads_through_the_page_get_one_code(backend, tmp_path):
    app, registration_id = _fresh_world(backend, tmp_path, "seminar_cert_rush")
    with app.app_context():
        token = db.session.get(Registration, registration_id).manage_token
        db.session.remove()
        db.engine.dispose()
    start = threading.Barrier(4)
    codes, problems = [], []

    def download() -> None:
        client = app.test_client()
        start.wait(timeout=patience(120))
        response = client.get(f"/r/{token}/certificate.pdf")
        if response.status_code != 200:
            problems.append(response.status_code)
            return
        with app.app_context():
            codes.append(db.session.scalar(select(Certificate.code)))

    threads = [threading.Thread(target=download) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=patience(240))
    assert not any(thread.is_alive() for thread in threads)
    assert not problems
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1
        assert len(set(codes)) == 1
        db.engine.dispose()


# --- the migration: certificates issued before it keep verifying for their name ------------------


def test_migration_gives_existing_certificates_the_name_they_were_issued_to(backend, tmp_path):
    app = make_app(fresh_database_url(backend, tmp_path, "seminar_cert_migration"))
    held = datetime(2026, 11, 16, 5, 0, tzinfo=UTC)
    issued = held + timedelta(days=3)
    # Dates fixed for the data; an older "now" would make the seminar one still to come.
    now = max(utcnow(), issued + timedelta(days=1))
    seminars = table(
        "seminars",
        *(column(c, String) for c in ("slug", "series", "host_type", "delivery", "status")),
        *(column(c, String) for c in ("title", "title_en", "description")),
        *(column(c, UTCDateTime) for c in ("starts_at", "ends_at", "created_at", "updated_at")),
        column("id", Integer),
    )
    registrations = table(
        "registrations",
        *(column(c, Integer) for c in ("id", "seminar_id", "calendar_sequence")),
        *(
            column(c, String)
            for c in (
                "status",
                "manage_token",
                "join_token",
                "ticket_code",
                "email",
                "email_key",
                "name",
                "name_kana",
                "organization",
                "prefecture",
                "attribute",
                "privacy_notice_version",
                "locale",
                "source",
            )
        ),
        column("announcements_opt_in", Boolean),
        *(column(c, UTCDateTime) for c in ("privacy_agreed_at", "created_at", "updated_at")),
    )
    check_ins = table(
        "check_ins",
        column("registration_id", Integer),
        column("method", String),
        column("checked_in_at", UTCDateTime),
    )
    old_certificates = table(
        "certificates",
        column("registration_id", Integer),
        column("code", String),
        column("created_at", UTCDateTime),
        column("updated_at", UTCDateTime),
    )
    people = {1: (NAME, ORGANIZATION), 2: (privacy.PLACEHOLDER_NAME, None)}
    with app.app_context():
        upgrade(revision="a0fafd092340")
        with db.engine.begin() as connection:
            connection.execute(
                seminars.insert().values(
                    id=1,
                    slug="fy2026-ip",
                    series="ip-utilization",
                    host_type="agency",
                    delivery="online",
                    status="published",
                    title="知財活用支援セミナー",
                    title_en="IP Utilization Support Seminar",
                    description="",
                    starts_at=held,
                    ends_at=held + timedelta(hours=2),
                    created_at=held,
                    updated_at=held,
                )
            )
            for number, (name, organization) in people.items():
                email = f"person{number}@example.jp" if number == 1 else "purged-2@invalid"
                connection.execute(
                    registrations.insert().values(
                        id=number,
                        seminar_id=1,
                        calendar_sequence=0,
                        status="confirmed",
                        manage_token=f"manage-{number}" * 4,
                        join_token=f"join-{number}" * 4,
                        ticket_code=f"TICKET-{number}",
                        email=email,
                        email_key=email,
                        name=name,
                        name_kana=name,
                        organization=organization,
                        prefecture="13",
                        attribute="sme",
                        privacy_notice_version="2026-04",
                        locale="ja",
                        source="web",
                        announcements_opt_in=False,
                        privacy_agreed_at=held,
                        created_at=held,
                        updated_at=held,
                    )
                )
                connection.execute(
                    check_ins.insert().values(
                        registration_id=number, method="scan", checked_in_at=held
                    )
                )
                connection.execute(
                    old_certificates.insert().values(
                        registration_id=number,
                        code=f"ABCD-EFGH-JKLM-NPQR-STU{number + 1}",
                        created_at=issued,
                        updated_at=issued,
                    )
                )
        upgrade()

        kept = services.verify(db.session, "abcd efgh jklm npqr stu2", now)
        assert (kept.name, kept.organization) == (NAME, ORGANIZATION)
        assert (kept.seminar_title, kept.seminar_title_en) == (
            "知財活用支援セミナー",
            "IP Utilization Support Seminar",
        )
        assert (kept.starts_at, kept.ends_at) == (held, held + timedelta(hours=2))
        assert kept.issued_at == issued and kept.in_force
        assert services.issued_to(kept, NAME)
        anonymised = services.verify(db.session, "ABCD-EFGH-JKLM-NPQR-STU3", now)
        assert (anonymised.name, anonymised.organization) == (None, None)
        assert services.issued_to(anonymised, privacy.PLACEHOLDER_NAME) is None
        # The next download finds nothing corrected: the same code, no new certificate.
        registration = db.session.get(Registration, 1)
        assert services.issue(db.session, registration, now).code == kept.code
        assert db.session.scalar(select(func.count()).select_from(Certificate)) == 2
        db.session.remove()
        db.engine.dispose()
