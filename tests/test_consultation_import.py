"""Importing the consultation desk's past records from a spreadsheet's CSV."""

from datetime import date
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import event, func, select

from seminar_app import imports
from seminar_app.audit.models import AuditEvent
from seminar_app.consultations import importer, services
from seminar_app.consultations.figures import consultation_figures
from seminar_app.consultations.models import Client, Consultation, ConsultationTopic
from seminar_app.domain import Topic
from seminar_app.imports import ReportError

EXAMPLE = Path(__file__).resolve().parent.parent / "content" / "consultations-example.csv"
HEADER = "date,channel,attribute,employee_band,industry,prefecture,topics,source,step,organization"
TODAY = date(2026, 11, 26)
COLUMNS = HEADER.split(",")
GOOD = {
    "date": "2020-11-16",
    "channel": "online",
    "attribute": "sme",
    "employee_band": "21-50",
    "industry": "E",
    "prefecture": "13",
    "topics": "trade-secret-management",
    "source": "prefectural-desk",
    "step": "3",
    "organization": "株式会社ＡＢＣ商事",
}


def line(**overrides: str) -> str:
    return ",".join({**GOOD, **overrides}[name] for name in COLUMNS)


def csv_text(*lines: str, header: str = HEADER) -> str:
    return "\r\n".join((header, *lines)) + "\r\n"


def do_import(db_session, text: str, encoding: str = "utf-8", **kwargs) -> int:
    kwargs.setdefault("actor_label", "cli")
    return importer.import_file(db_session, text.encode(encoding), today=TODAY, **kwargs).count


def count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


def problems_of(db_session, text: str | bytes) -> list[str]:
    """The problems reported for the file (in English), after checking nothing was written."""
    data = text if isinstance(text, bytes) else text.encode()
    with pytest.raises(ReportError) as caught, force_locale("en"):
        importer.import_file(db_session, data, today=TODAY, actor_label="cli")
    assert count(db_session, Consultation) == 0
    assert count(db_session, Client) == 0
    assert count(db_session, AuditEvent) == 0
    return caught.value.problems


GOOD_FILE = csv_text(
    line(topics="trade-secret-management;contracts"),
    line(
        date="2021/1/28",
        channel="in-person",
        employee_band="",
        industry="",
        prefecture="",
        topics="ip-strategy",
        source="seminar",
        step="",
        organization="(株)ABC商事",
    ),
    line(channel="phone", attribute="individual", step="", organization=""),
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_a_good_file_imports_its_rows_in_each_encoding(db_session, encoding):
    data = GOOD_FILE.encode(encoding)
    assert importer.import_file(db_session, data, today=TODAY, actor_label="cli").count == 3
    key = imports.fingerprint(data)
    rows = {
        row.import_ref: row
        for row in db_session.scalars(select(Consultation).order_by(Consultation.id))
    }
    assert set(rows) == {f"{key}:2", f"{key}:3", f"{key}:4"}
    first, second, third = rows[f"{key}:2"], rows[f"{key}:3"], rows[f"{key}:4"]
    assert (first.held_on, first.channel, first.attribute, first.source) == (
        date(2020, 11, 16),
        "online",
        "sme",
        "prefectural-desk",
    )
    assert (first.employee_band, first.industry, first.prefecture, first.step) == (
        "21-50",
        "E",
        "13",
        3,
    )
    assert first.topics == [Topic.TRADE_SECRET_MANAGEMENT, Topic.CONTRACTS]
    assert first.advisor_id is None and first.notes is None
    assert (second.held_on, second.channel, second.topics) == (
        date(2021, 1, 28),
        "in-person",
        [Topic.IP_STRATEGY],
    )
    assert (second.employee_band, second.industry, second.prefecture, second.step) == (
        None,
        None,
        None,
        None,
    )
    # 株式会社ＡＢＣ商事 and (株)ABC商事 are one client; a row without organization has none.
    assert first.client is not None and second.client is first.client
    assert first.client.name == "株式会社ABC商事" and first.client.corporate_number is None
    assert third.client is None and third.channel == "phone"
    assert count(db_session, Client) == 1


def test_the_example_file_imports(db_session):
    data = EXAMPLE.read_bytes()
    assert importer.import_file(db_session, data, today=TODAY, actor_label="cli").count == 8
    # 株式会社サンプル精機 (twice) and (株)サンプル精機 are one client; one row has none.
    assert count(db_session, Client) == 5
    figures = consultation_figures(db_session, 2020)
    assert figures.total == 8 and figures.online == 4


def test_existing_clients_are_found_and_new_ones_match_the_desk(db_session):
    existing = services.find_or_create_client(db_session, "ABC商事 株式会社", None)
    do_import(db_session, csv_text(line(), line(organization="有限会社みなと台ソフト")))
    linked = db_session.scalars(select(Consultation.client_id).order_by(Consultation.id)).all()
    assert linked[0] == existing.id
    assert count(db_session, Client) == 2
    # The desk's own matching finds the client the import created, so no duplicate later.
    created = db_session.get(Client, linked[1])
    assert created.name_key == "みなと台ソフト"
    assert services.find_or_create_client(db_session, "(有) みなと台ソフト", None) is created


def test_the_same_file_again_is_recognised(db_session):
    assert do_import(db_session, GOOD_FILE) == 3
    with pytest.raises(importer.AlreadyImported) as caught:
        do_import(db_session, GOOD_FILE)
    assert str(caught.value) == imports.fingerprint(GOOD_FILE.encode())
    assert count(db_session, Consultation) == 3
    assert count(db_session, AuditEvent) == 1


def test_two_consultations_on_one_day_with_one_client_are_two_records(db_session):
    assert do_import(db_session, csv_text(line(), line())) == 2
    refs = db_session.scalars(select(Consultation.import_ref)).all()
    assert len(set(refs)) == 2
    assert db_session.scalars(select(Consultation.client_id).distinct()).all() != [None]
    assert count(db_session, Client) == 1


@pytest.mark.parametrize(
    ("cells", "problem"),
    [
        ({"channel": "fax"}, "channel “fax” is not one of in-person, online, phone, email"),
        ({"channel": ""}, "channel is empty; it must be one of in-person, online, phone, email"),
        ({"attribute": "company"}, "attribute “company” is not one of sme, large-company,"),
        ({"source": "rumour"}, "source “rumour” is not one of direct, prefectural-desk, seminar"),
        ({"topics": "contracts;astrology"}, "topic “astrology” is not one of"),
        ({"topics": " ; "}, "topics is empty; it must be one or more of"),
        ({"step": "0"}, "step “0” is not a step of the seven-step support, 1 to 7"),
        ({"step": "8"}, "step “8” is not a step of the seven-step support, 1 to 7"),
        ({"step": "x"}, "step “x” is not a step of the seven-step support, 1 to 7"),
        # Longer than int() reads (Python refuses digit strings above 4,300 digits).
        ({"step": "9" * 5000}, "step “9999"),
        ({"date": "2021-02-30"}, "date “2021-02-30” is not a date written YYYY-MM-DD"),
        ({"date": "R3.4.1"}, "date “R3.4.1” is not a date written YYYY-MM-DD"),
        ({"date": "2026-11-27"}, "date 2026-11-27 is in the future"),
        ({"prefecture": "48"}, "prefecture “48” is not a JIS X 0401 code, 01 to 47"),
        ({"industry": "Z"}, "industry “Z” is not a JSIC major group, A to T"),
        ({"employee_band": "50"}, "employee_band “50” is not one of 1-5, 6-20,"),
    ],
)
def test_a_bad_cell_is_reported_with_its_line_and_nothing_is_written(db_session, cells, problem):
    text = csv_text(line(), line(**cells), line())
    found = problems_of(db_session, text)
    assert len(found) == 1
    assert found[0].startswith(f"line 3: {problem}")


def test_only_the_last_line_bad_still_writes_nothing(db_session):
    lines = [line(date=f"2020-05-{day:02d}") for day in range(1, 31)]
    found = problems_of(db_session, csv_text(*lines, line(step="8")))
    assert found == ["line 32: step “8” is not a step of the seven-step support, 1 to 7"]


def test_every_problem_of_every_line_is_reported_together(db_session):
    text = csv_text(
        line(channel="fax"),
        line(),
        line(step="0", topics="astrology"),
        "",  # an empty line is skipped but still counted
        line(date="2030-01-01"),
        line(organization="株式会社A,B"),  # an unquoted comma: one cell too many
    )
    assert problems_of(db_session, text) == [
        "line 2: channel “fax” is not one of in-person, online, phone, email, visit, visit-joint",
        "line 4: topic “astrology” is not one of trade-secret-management, ip-strategy, "
        "ip-system-general, contracts, leak-incident, departing-employees, other",
        "line 4: step “0” is not a step of the seven-step support, 1 to 7",
        "line 6: date 2030-01-01 is in the future",
        "line 7: 11 columns, the header has 10 (a comma inside a cell needs quotes)",
    ]


def test_missing_columns_are_named_on_line_1(db_session):
    header = HEADER.replace(",source", "").replace(",step", "")
    text = "\n".join([header, "2020-11-16,online,sme,21-50,E,13,contracts,株式会社ABC"]) + "\n"
    assert problems_of(db_session, text) == ["line 1: missing columns: source, step"]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "the file is empty"),
        (csv_text().encode(), "the file holds no consultations, only the header"),
        (b"\xff\xfe\x81\x00", "line 1: the file is neither UTF-8 nor Shift_JIS (cp932) text"),
        (f'{HEADER}\r\n"{"x" * 200_000}"\r\n'.encode(), "line 2: not readable as CSV"),
    ],
)
def test_files_without_consultations_are_refused(db_session, data, problem):
    found = problems_of(db_session, data)
    assert len(found) == 1 and found[0].startswith(problem)


def test_what_spreadsheets_write_is_understood(db_session):
    header = "No.,Date,Organization,Channel,Attribute,従業員数,Employee_Band,Industry,Prefecture,"
    header += "Topics,Source,Step,備考"
    text = csv_text(
        "1,2021/4/1,株式会社ＡＢＣ商事,Online,SME,,1月5日,e,1,contracts；ip-strategy,direct,７,",
        "2,２０２１-０４-０２,,phone,sme,,6〜20,E,東京都,other,direct,,電話のみ",
        "3,2021-04-03,,email,sme,,21-50,E,大阪,other,direct,,",
        header=header,
    )
    assert do_import(db_session, text) == 3
    rows = db_session.scalars(select(Consultation).order_by(Consultation.held_on)).all()
    assert [row.held_on for row in rows] == [date(2021, 4, d) for d in (1, 2, 3)]
    assert (rows[0].channel, rows[0].attribute, rows[0].employee_band) == ("online", "sme", "1-5")
    assert (rows[0].industry, rows[0].prefecture, rows[0].step) == ("E", "01", 7)
    assert rows[0].topics == [Topic.IP_STRATEGY, Topic.CONTRACTS]
    assert [row.prefecture for row in rows[1:]] == ["13", "27"]
    assert rows[1].employee_band == "6-20"


def test_fiscal_year_edges_follow_the_date_of_the_consultation(db_session):
    text = csv_text(
        line(date="2021-03-31", channel="online"),
        line(date="2021-04-01", channel="online"),
        line(date="2021-04-01", channel="in-person"),
        line(date="2022-03-31", channel="email"),
        line(date="2022-04-01", channel="online"),
    )
    assert do_import(db_session, text) == 5
    expected = {2020: (1, 1), 2021: (3, 1), 2022: (1, 1)}
    for fiscal_year, (total, online) in expected.items():
        figures = consultation_figures(db_session, fiscal_year)
        assert (figures.total, figures.online) == (total, online), fiscal_year


def test_a_file_leaves_one_audit_record(db_session, make_user):
    organizer = make_user()
    do_import(db_session, GOOD_FILE, actor=organizer, actor_label=organizer.email)
    events = db_session.scalars(select(AuditEvent)).all()
    assert [(e.action, e.subject_type, e.subject_id) for e in events] == [
        ("consultation.imported", "file", imports.fingerprint(GOOD_FILE.encode()))
    ]
    assert events[0].details == {"consultations": 3}
    assert events[0].actor_id == organizer.id and events[0].actor_label == organizer.email


def test_large_files_are_written_in_batches_with_progress(db_session, monkeypatch):
    monkeypatch.setattr(importer, "BATCH_SIZE", 1000)
    organizations = [f"株式会社テスト{number}" for number in range(1200)]
    lines = [
        line(
            date=f"2020-{4 + n % 9:02d}-{1 + n % 28:02d}",
            organization=organizations[n % 1200],
            topics="contracts;leak-incident" if n % 2 else "other",
        )
        for n in range(2500)
    ]
    data = csv_text(*lines).encode("cp932")
    key = imports.fingerprint(data)
    rows = importer.parse(data, TODAY)
    assert len(rows) == 2500
    statements = []
    engine = db_session.get_bind()
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    done: list[int] = []
    try:
        written = importer.import_rows(
            db_session, rows, key, actor_label="cli", progress=done.append
        )
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert written == 2500 and done == [1000, 1000, 500]
    assert count(db_session, Consultation) == 2500 and count(db_session, Client) == 1200
    assert count(db_session, ConsultationTopic) == 1250 * 2 + 1250
    topics = dict(
        db_session.execute(
            select(Consultation.import_ref, func.count(ConsultationTopic.topic))
            .join(Consultation.topic_rows)
            .group_by(Consultation.import_ref)
        ).all()
    )
    # Each row's topics went to its own consultation, in every batch.
    assert [topics[f"{key}:{line}"] for line in (2, 3, 1002, 1003, 2500, 2501)] == [1, 2] * 3
    names = dict(
        db_session.execute(
            select(Consultation.import_ref, Client.name).join(Consultation.client)
        ).all()
    )
    assert len(names) == 2500
    assert names[f"{key}:2"] == names[f"{key}:1202"] == "株式会社テスト0"
    assert names[f"{key}:1201"] == names[f"{key}:2401"] == "株式会社テスト1199"
    client_lookups = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(client_lookups) <= 5, client_lookups  # 1200 names in batches, not one by one
    topic_inserts = [s for s in statements if "INSERT INTO consultation_topics" in s]
    assert len(topic_inserts) <= 6, topic_inserts  # in batches too, not one per row
    assert len(statements) < 60
