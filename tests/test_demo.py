"""The demo past fiscal year: every report shows figures at first start, and only once."""

from __future__ import annotations

from sqlalchemy import func, select

from seminar_app import demo
from seminar_app.catalogue.models import Seminar
from seminar_app.consultations.figures import consultation_figures
from seminar_app.reports.services import fiscal_year_figures
from seminar_app.timeutil import utcnow


def test_the_demo_fills_last_fiscal_year_once_and_is_marked(app, db_session):
    now = utcnow()
    year = demo.load(db_session, now)
    assert year == demo.demo_year(now)
    figures = fiscal_year_figures(db_session, year, now)
    assert figures.seminars.total == len(demo.PROGRAMME) + len(demo.COUNTED)
    assert figures.seminars.by_host_type["in-company"].total == 2
    assert figures.attendees.total > 100
    assert 0 < figures.registrations.attendance_rate < 1
    assert consultation_figures(db_session, year).total == 48
    titles = db_session.scalars(select(Seminar.title)).all()
    assert titles and all("【デモ】" in title for title in titles)
    count = db_session.scalar(select(func.count()).select_from(Seminar))
    assert demo.load(db_session, now) is None
    assert db_session.scalar(select(func.count()).select_from(Seminar)) == count


def test_the_command_says_what_it_did_and_can_be_turned_off(app, db_session):
    runner = app.test_cli_runner()
    app.config["DEMO_DATA"] = False
    try:
        assert "nothing loaded" in runner.invoke(args=["demo", "load"]).output
    finally:
        app.config["DEMO_DATA"] = True
    assert db_session.scalar(select(func.count()).select_from(Seminar)) == 0
