"""The consultation desk in the console: who sees what, the notes, clients' history, exports."""

import io
import re
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from pptx import Presentation
from sqlalchemy import func, select

from seminar_app.attendance import services as attendance
from seminar_app.audit.models import AuditEvent
from seminar_app.consultations import services
from seminar_app.consultations.models import Consultation
from seminar_app.domain import CheckInMethod, Delivery, Role, Topic
from seminar_app.timeutil import fiscal_year_of, utcnow
from tests.conftest import csrf_token, login, post_form
from tests.registration_helpers import register

SECRET = "配合表Xの保管場所は第二倉庫"


def consultation(db_session, advisor, **overrides):
    values = dict(
        held_on=utcnow().date(),
        channel="in-person",
        attribute="sme",
        topics=["trade-secret-management"],
        source="seminar",
        step=2,
        organization="株式会社ＡＢＣ商事",
        notes=SECRET,
    )
    values.update(overrides)
    made = services.record_consultation(
        db_session, services.ConsultationInput(**values), advisor=advisor, by=advisor
    )
    db_session.commit()
    return made


def reads(db_session) -> int:
    return db_session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "consultation.notes_read")
    )


@pytest.mark.parametrize(
    ("roles", "status"),
    [
        ((Role.LECTURER,), 403),
        ((Role.RECEPTION,), 403),
        ((Role.ADMIN,), 403),
        ((Role.ADVISOR,), 200),
        ((Role.ORGANIZER,), 200),
        ((Role.ADVISOR, Role.LECTURER), 200),
    ],
)
def test_the_desk_is_for_organizers_and_advisors(client, make_user, roles, status):
    assert client.get("/console/consultations/").status_code == 302  # to the login page
    login(client, make_user(*roles))
    for page in ("/console/consultations/", "/console/consultations/clients"):
        assert client.get(page).status_code == status


def test_an_advisor_records_a_consultation_through_the_form(client, db_session, make_user):
    advisor = make_user(Role.ADVISOR)
    login(client, advisor)
    response = post_form(
        client,
        "/console/consultations/new",
        {
            "held_on": "2026-10-05",
            "channel": "phone",
            "advisor": str(advisor.id),
            "organization": "（株）ＡＢＣ商事",
            "corporate_number": "９２３４５６７８９０１２３",
            "attribute": "sme",
            "employee_band": "21-50",
            "industry": "E",
            "prefecture": "27",
            "topics": ["leak-incident", "departing-employees"],
            "source": "prefectural-desk",
            "step": "3",
            "notes": SECRET,
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
    saved = db_session.scalar(select(Consultation))
    assert saved.advisor_id == advisor.id and saved.channel == "phone" and saved.step == 3
    assert saved.topics == [Topic.LEAK_INCIDENT, Topic.DEPARTING_EMPLOYEES]  # in Topic's order
    assert saved.client.corporate_number == "9234567890123"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert SECRET not in page and "/notes" in page  # shown only on request
    assert "2026年10月5日（月）の相談" in page  # dates read as dates in Japanese


def test_a_form_without_a_topic_is_refused_and_writes_nothing(client, db_session, make_user):
    advisor = make_user(Role.ADVISOR)
    login(client, advisor)
    client.get("/language/en")
    response = post_form(
        client,
        "/console/consultations/new",
        {
            "held_on": "2026-10-05",
            "channel": "online",
            "advisor": "0",
            "attribute": "sme",
            "source": "direct",
            "step": "0",
            "corporate_number": "12345",
            **dict.fromkeys(("employee_band", "industry", "prefecture"), ""),
        },
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Choose at least one topic." in text
    assert "Enter 13 digits whose check digit matches." in text
    assert db_session.scalar(select(func.count()).select_from(Consultation)) == 0


def test_notes_are_shown_on_request_to_the_advisor_and_organizers_only(app, db_session, make_user):
    advisor, other = make_user(Role.ADVISOR), make_user(Role.ADVISOR)
    lecturer, organizer = make_user(Role.LECTURER), make_user(Role.ORGANIZER)
    record = consultation(db_session, advisor)
    show = f"/console/consultations/{record.id}"
    for user, allowed in ((advisor, True), (organizer, True), (other, False), (lecturer, False)):
        client = app.test_client()
        login(client, user)
        before = reads(db_session)
        page = client.get(show)
        if user is lecturer:
            assert page.status_code == 403
        else:
            assert page.status_code == 200 and SECRET not in page.get_data(as_text=True)
        notes = client.get(f"{show}/notes")
        edit = client.get(f"{show}/edit")
        if allowed:
            assert notes.status_code == 200 and SECRET in notes.get_data(as_text=True)
            assert edit.status_code == 200 and SECRET in edit.get_data(as_text=True)
            assert reads(db_session) == before + 2  # the page and the edit form
        else:
            assert notes.status_code == 403 and edit.status_code == 403
            assert reads(db_session) == before


def test_a_clients_history_has_its_consultations_and_the_seminars_its_people_attended(
    client, db_session, make_user, make_seminar
):
    advisor = make_user(Role.ADVISOR)
    now = utcnow()
    held = make_seminar(
        starts_at=now - timedelta(days=30),
        registration_opens_at=None,
        registration_closes_at=None,
        delivery=Delivery.IN_PERSON,
        venue="本部",
        meeting_url=None,
        title="営業秘密の管理 入門",
    )
    missed = make_seminar(
        starts_at=now - timedelta(days=20),
        registration_opens_at=None,
        registration_closes_at=None,
        title="欠席したセミナー",
    )
    came = register(db_session, held, now=now - timedelta(days=40), organization="(株)ABC商事")
    register(db_session, missed, now=now - timedelta(days=40), organization="株式会社ABC商事")
    register(db_session, held, now=now - timedelta(days=40), organization="別の会社")
    attendance.admit(
        db_session, came, held.id, by=None, method=CheckInMethod.SCAN, desk="A", now=held.starts_at
    )
    consultation(db_session, advisor, held_on=(now - timedelta(days=60)).date(), step=2)
    latest = consultation(db_session, advisor, held_on=(now - timedelta(days=5)).date(), step=5)
    consultation(db_session, advisor, held_on=(now - timedelta(days=3)).date(), step=None)

    entries, highest = services.client_history(db_session, latest.client)
    assert highest == 5
    assert [entry.kind for entry in entries] == [
        "consultation",
        "seminar",
        "consultation",
        "consultation",
    ]
    assert entries[1].seminar.id == held.id and entries[1].people == 1

    login(client, advisor)
    client.get("/language/en")
    page = client.get(f"/console/consultations/clients/{latest.client.id}").get_data(as_text=True)
    assert "営業秘密の管理 入門" in page and "欠席したセミナー" not in page
    assert page.count("step-done") == 5
    assert SECRET not in page
    listing = client.get("/console/consultations/clients?q=ａｂｃ").get_data(as_text=True)
    assert "株式会社ABC商事" in listing  # stored as NFKC


def test_exports_leave_the_notes_out_unless_an_organizer_asks(app, db_session, make_user):
    advisor, organizer = make_user(Role.ADVISOR), make_user(Role.ORGANIZER)
    record = consultation(db_session, advisor)
    fy = fiscal_year_of(utcnow())
    client = app.test_client()
    login(client, advisor)
    plain = client.get(f"/console/consultations/{fy}.csv")
    assert plain.status_code == 200
    assert "株式会社ABC商事" in plain.get_data(as_text=True)
    assert SECRET not in plain.get_data(as_text=True)
    assert client.get(f"/console/consultations/{fy}.csv?notes=1").status_code == 403

    client = app.test_client()
    login(client, organizer)
    workbook = openpyxl.load_workbook(
        io.BytesIO(client.get(f"/console/consultations/{fy}.xlsx").data)
    )
    assert SECRET not in [cell.value for row in workbook.active.iter_rows() for cell in row]
    with_notes = client.get(f"/console/consultations/{fy}.xlsx?notes=1")
    workbook = openpyxl.load_workbook(io.BytesIO(with_notes.data))
    assert SECRET in [cell.value for row in workbook.active.iter_rows() for cell in row]
    logged = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "consultation.exported_with_notes")
    ).all()
    assert [event.actor_id for event in logged] == [organizer.id]
    assert record.id  # the record itself is untouched by the exports
    assert db_session.get(Consultation, record.id).notes == SECRET


def test_topics_are_ticked_on_the_edit_form_and_listed_in_order_everywhere(
    client, db_session, make_user
):
    advisor = make_user(Role.ADVISOR)
    record = consultation(db_session, advisor, topics=["departing-employees", "leak-incident"])
    login(client, advisor)
    client.get("/language/en")
    form = client.get(f"/console/consultations/{record.id}/edit").get_data(as_text=True)
    ticked = re.findall(r'<input checked[^>]*value="([^"]+)"', form)
    ticked += re.findall(r'<input[^>]*value="([^"]+)"[^>]*checked', form)
    assert set(ticked) & {t.value for t in Topic} == {"departing-employees", "leak-incident"}
    # Topic's order, not the identifiers' alphabetical order.
    shown = client.get(f"/console/consultations/{record.id}").get_data(as_text=True)
    assert shown.index("A leak or suspected leak") < shown.index("Departing employees")
    fy = fiscal_year_of(utcnow())
    exported = client.get(f"/console/consultations/{fy}.csv").get_data(as_text=True)
    assert "A leak or suspected leak・Departing employees" in exported


def test_the_fiscal_year_report_shows_and_exports_the_desk(client, db_session, make_user):
    advisor = make_user(Role.ADVISOR)
    today = utcnow().date()
    consultation(db_session, advisor, held_on=today, channel="online")
    consultation(db_session, advisor, held_on=today, channel="phone", topics=["contracts"])
    fy = fiscal_year_of(utcnow())
    login(client, make_user(Role.ORGANIZER))
    client.get("/language/en")
    page = client.get(f"/console/reports/?fy={fy}").get_data(as_text=True)
    # The report's wording is the report's (helper Y, issue 17): the figures are the desk's.
    assert "All desks: 2 consultations, of which online 1 consultation." in page
    assert SECRET not in page
    csv_text = client.get(f"/console/reports/{fy}-consultations.csv").get_data(as_text=True)
    assert "Channel,Online,—,—,1" in csv_text and "Topics,Contracts,—,—,1" in csv_text
    workbook = openpyxl.load_workbook(io.BytesIO(client.get(f"/console/reports/{fy}.xlsx").data))
    assert "Consultations" in workbook.sheetnames
    years = {row[0]: row for row in workbook["Year on year"].iter_rows(values_only=True)}
    assert years[f"FY{fy}"][3:5] == (2, 1)


def test_an_edit_by_another_advisor_is_refused(client, db_session, make_user):
    advisor, other = make_user(Role.ADVISOR), make_user(Role.ADVISOR)
    record = consultation(db_session, advisor)
    login(client, other)
    response = post_form(
        client,
        f"/console/consultations/{record.id}/edit",
        {"held_on": "2026-10-05", "channel": "email", "topics": ["other"]},
        page="/console/consultations/new",
    )
    assert response.status_code == 403
    assert db_session.get(Consultation, record.id).channel == "in-person"


EXAMPLE = Path(__file__).resolve().parent.parent / "content" / "consultations-example.csv"
HEADER = (
    "date,channel,attribute,employee_band,industry,prefecture,topics,source,step,organization\n"
)


def count_consultations(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Consultation))


def test_the_import_command_reports_lines_and_exits_non_zero(app, db_session, tmp_path):
    runner = app.test_cli_runner()
    good = runner.invoke(args=["import", "consultations", str(EXAMPLE)])
    assert good.exit_code == 0, good.output
    imported = count_consultations(db_session)
    assert imported > 0 and f"Imported {imported} consultation(s)" in good.output
    again = runner.invoke(args=["import", "consultations", str(EXAMPLE)])
    assert again.exit_code == 1 and "already imported" in again.output
    broken = tmp_path / "broken.csv"
    broken.write_text(
        HEADER
        + "2024-05-01,online,sme,,,,ip-strategy,direct,,A社\n"
        + "2024-05-02,fax,sme,,,,ip-strategy,direct,,B社\n"
        + "2024-05-03,online,sme,,,,ip-strategy,direct,9,C社\n",
        encoding="utf-8",
    )
    failed = runner.invoke(args=["import", "consultations", str(broken)])
    assert failed.exit_code == 1
    assert "line 3: channel" in failed.output and "line 4: step" in failed.output
    assert "nothing was imported" in failed.output
    assert count_consultations(db_session) == imported


def test_the_console_imports_a_file_for_organizers_only(app, db_session, make_user):
    advisor_client = app.test_client()
    login(advisor_client, make_user(Role.ADVISOR))
    token = csrf_token(advisor_client, "/console/consultations/")
    refused = advisor_client.post(
        "/console/consultations/import",
        data={"csrf_token": token, "file": (io.BytesIO(EXAMPLE.read_bytes()), "desk.csv")},
    )
    assert refused.status_code == 403 and count_consultations(db_session) == 0

    client = app.test_client()
    login(client, make_user(Role.ORGANIZER))
    client.get("/language/en")
    token = csrf_token(client, "/console/consultations/")
    bad = client.post(
        "/console/consultations/import",
        data={
            "csrf_token": token,
            "file": (
                io.BytesIO((HEADER + "2024-13-01,online,sme,,,,,direct,,X\n").encode()),
                "x.csv",
            ),
        },
    )
    assert bad.status_code == 400 and "line 2" in bad.get_data(as_text=True)
    assert count_consultations(db_session) == 0
    good = client.post(
        "/console/consultations/import",
        data={"csrf_token": token, "file": (io.BytesIO(EXAMPLE.read_bytes()), "desk.csv")},
        follow_redirects=True,
    )
    assert "consultations were imported" in good.get_data(as_text=True)
    assert count_consultations(db_session) > 0
    # The imported years (the example starts in April 2020) can be chosen on the desk's page.
    assert '<option value="2020"' in client.get("/console/consultations/").get_data(as_text=True)


def test_the_activity_command_and_download_give_the_same_deck(app, db_session, make_user, tmp_path):
    advisor = make_user(Role.ADVISOR)
    consultation(db_session, advisor, channel="online")
    fy = fiscal_year_of(utcnow())
    output = tmp_path / "activity.pptx"
    result = app.test_cli_runner().invoke(
        args=["report", "activity", str(fy), "--output", str(output)]
    )
    assert result.exit_code == 0, result.output
    client = app.test_client()
    login(client, make_user(Role.ORGANIZER))
    download = client.get(f"/console/reports/{fy}/activity.pptx")
    assert download.status_code == 200
    assert download.mimetype.endswith("presentationml.presentation")
    texts = []
    for data in (output.read_bytes(), download.data):
        deck = Presentation(io.BytesIO(data))
        texts.append(
            [
                shape.text_frame.text
                for slide in deck.slides
                for shape in slide.shapes
                if shape.has_text_frame
            ]
        )
    assert texts[0] == texts[1] and len(texts[0]) > 5
    lecturer = app.test_client()
    login(lecturer, make_user(Role.LECTURER))
    assert lecturer.get(f"/console/reports/{fy}/activity.pptx").status_code == 403


def test_a_registration_with_the_clients_corporate_number_joins_its_history(
    db_session, make_user, make_seminar
):
    now = utcnow()
    held = make_seminar(
        starts_at=now - timedelta(days=10),
        registration_opens_at=None,
        registration_closes_at=None,
    )
    # Registered under a trading name nobody could match, but with the 法人番号.
    came = register(
        db_session,
        held,
        now=now - timedelta(days=20),
        organization="ミライ・ブランド事業部",
        corporate_number="9234-5678-9012-3",
    )
    assert came.corporate_number == "9234567890123"
    attendance.admit(
        db_session, came, held.id, by=None, method=CheckInMethod.SCAN, desk="A", now=held.starts_at
    )
    record = consultation(
        db_session,
        make_user(Role.ADVISOR),
        organization="株式会社みらい精工",
        corporate_number="9234567890123",
    )
    entries, _highest = services.client_history(db_session, record.client)
    assert [entry.seminar.id for entry in entries if entry.seminar] == [held.id]


def test_a_corporate_number_of_the_wrong_length_is_refused_at_registration():
    from seminar_app.registration.details import parse_details
    from tests.registration_helpers import details_data

    details, errors = parse_details(details_data(corporate_number="12345"))
    assert details is None and set(errors) == {"corporate_number"}


def test_a_consultation_is_dated_by_its_consultation_date_not_a_seminar_date(
    app, db_session, make_user
):
    advisor = make_user(Role.ADVISOR)
    consultation(db_session, advisor)
    fy = fiscal_year_of(utcnow())
    client = app.test_client()
    login(client, advisor)
    pages = [
        client.get(f"/console/consultations/?fy={fy}").get_data(as_text=True),
        client.get("/console/consultations/new").get_data(as_text=True),
        client.get(f"/console/consultations/{fy}.csv").data.decode("utf-8-sig"),
    ]
    for page in pages:
        assert "相談日" in page and "開催日" not in page


def test_a_registrations_corporate_number_must_have_a_matching_check_digit():
    """The same rule as the desk's and lecturer dispatch's (text.normalize_corporate_number):
    a mistyped number would link the registration to another company's history."""
    from seminar_app.registration.details import parse_details
    from tests.registration_helpers import details_data

    details, errors = parse_details(details_data(corporate_number="1234567890123"))
    assert details is None and set(errors) == {"corporate_number"}
    details, errors = parse_details(details_data(corporate_number="７０００－０１２０－５０００２"))
    assert not errors and details.corporate_number == "7000012050002"
