"""Importing seminars from before the system, with their head-counts."""

import io
from pathlib import Path

from sqlalchemy import func, select

from seminar_app.catalogue.models import Seminar
from seminar_app.reports.services import fiscal_year_figures
from seminar_app.timeutil import utcnow
from tests.conftest import csrf_token

EXAMPLE = Path(__file__).resolve().parent.parent / "content" / "historic-example.csv"


def seminars(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Seminar))


def run(app, path):
    return app.test_cli_runner().invoke(args=["import", "historic", str(path)])


def test_example_file_imports_once_and_counts_in_its_year(app, db_session, client):
    result = run(app, EXAMPLE)
    assert result.exit_code == 0, result.output
    figures = fiscal_year_figures(db_session, 2019, utcnow())
    assert figures.seminars.total == 3
    assert figures.attendees.by_host_type == {"agency": 48, "in-company": 25, "external": 80}
    again = run(app, EXAMPLE)
    assert again.exit_code != 0 and "already imported" in again.output
    assert seminars(db_session) == 3
    catalogue = client.get("/?fiscal_year=2019").get_data(as_text=True)
    assert "社内研修" not in catalogue  # in-company seminars stay out of the catalogue


def test_an_error_in_the_last_line_writes_nothing(app, db_session, tmp_path):
    text = (
        EXAMPLE.read_text(encoding="utf-8") + "2020-03-01,壊れた行,no-such-series,,agency,"
        "online,10,,,\n"
    )
    path = tmp_path / "broken.csv"
    path.write_text(text, encoding="utf-8")
    result = run(app, path)
    assert result.exit_code != 0
    assert "line 5: series" in result.output and "nothing was imported" in result.output
    assert seminars(db_session) == 0


def test_cp932_files_from_japanese_excel(app, db_session, tmp_path):
    path = tmp_path / "sjis.csv"
    path.write_bytes(EXAMPLE.read_text(encoding="utf-8").encode("cp932"))
    assert run(app, path).exit_code == 0
    assert db_session.scalar(select(Seminar.title).where(Seminar.head_count == 25)) == (
        "社内研修：営業秘密管理の基礎"
    )


def test_future_dates_and_missing_columns_are_refused(app, db_session, tmp_path):
    future = tmp_path / "future.csv"
    future.write_text(
        "date,title,series,level,host_type,delivery,attendees,organization\n"
        "2099-01-01,未来,ip-utilization,,agency,online,5,\n",
        encoding="utf-8",
    )
    assert "must be in the past" in run(app, future).output
    columns = tmp_path / "columns.csv"
    columns.write_text("date,title\n2019-01-01,x\n", encoding="utf-8")
    assert "missing columns" in run(app, columns).output
    assert seminars(db_session) == 0


def test_import_through_the_console(organizer_client, db_session):
    token = csrf_token(organizer_client, "/console/reports/")
    response = organizer_client.post(
        "/console/reports/historic",
        data={"csrf_token": token, "file": (io.BytesIO(EXAMPLE.read_bytes()), "past.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303 and seminars(db_session) == 3


def test_an_import_lands_on_the_fiscal_year_it_filled(organizer_client, db_session):
    token = csrf_token(organizer_client, "/console/reports/?fy=2015")
    posted = {"csrf_token": token, "fy": "2015"}
    response = organizer_client.post(
        "/console/reports/historic",
        data={**posted, "file": (io.BytesIO(EXAMPLE.read_bytes()), "past.csv")},
        content_type="multipart/form-data",
    )
    # The example's seminars are in FY2019: that page shows them, not the one it came from.
    assert response.headers["Location"].endswith("/console/reports/?fy=2019")
    empty = organizer_client.post(
        "/console/reports/historic", data=posted, content_type="multipart/form-data"
    )
    assert empty.headers["Location"].endswith("/console/reports/?fy=2015")  # nothing written


def test_an_empty_attendees_cell_is_a_seminar_held_whose_attendees_nobody_knows(
    app, db_session, tmp_path
):
    path = tmp_path / "unknown.csv"
    path.write_text(
        "date,title,series,level,host_type,delivery,attendees,organization\n"
        "2019-06-01,数えた回,ip-utilization,,agency,online,30,\n"
        "2019-07-01,数えていない回,ip-utilization,,in-company,online,,株式会社A\n",
        encoding="utf-8",
    )
    assert run(app, path).exit_code == 0
    figures = fiscal_year_figures(db_session, 2019, utcnow())
    assert figures.seminars.total == 2 and figures.seminars.without_head_count == 1
    assert figures.attendees.total == 30
    assert figures.attendees.by_host_type["in-company"] == 0
    assert (
        db_session.scalar(select(Seminar.head_count).where(Seminar.title == "数えていない回"))
        is None
    )


def test_attendees_that_are_not_a_count_are_still_refused(app, db_session, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "date,title,series,level,host_type,delivery,attendees,organization\n"
        "2019-06-01,回,ip-utilization,,agency,online,約30,\n",
        encoding="utf-8",
    )
    result = run(app, path)
    assert result.exit_code != 0 and "or empty where unknown" in result.output
    assert seminars(db_session) == 0


def test_attendees_of_thousands_of_digits_are_refused_not_converted(app, db_session, tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(
        "date,title,series,level,host_type,delivery,attendees,organization\n"
        f"2019-06-01,回,ip-utilization,,agency,online,{'9' * 5000},\n",
        encoding="utf-8",
    )
    result = run(app, path)
    assert result.exit_code == 1 and "or empty where unknown" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert seminars(db_session) == 0
