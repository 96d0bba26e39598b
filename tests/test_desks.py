"""Desks (相談窓口): the list organizers keep, the desk of each consultation, and a year's
consultation totals recorded for a desk, through every door (console, CLI, CSV, API)."""

import html
import re
from datetime import date
from threading import Barrier

import click
import pytest
from flask_babel import force_locale
from flask_migrate import upgrade
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from seminar_app.audit.models import AuditEvent
from seminar_app.consultations import desks, importer, services
from seminar_app.consultations.cli import totals as totals_command
from seminar_app.consultations.forms import DeskForm, ShowsProblems, TotalsForm
from seminar_app.consultations.models import Consultation, ConsultationTotal, Desk
from seminar_app.domain import Role
from seminar_app.extensions import db
from seminar_app.imports import ReportError
from seminar_app.problems import FieldProblems
from tests.concurrency import READY_WITHIN, run_together
from tests.conftest import fresh_database_url, login, make_app, post_form
from tests.test_api_consultations import body, call, organizer_token  # noqa: F401
from tests.test_consultation_import import HEADER, TODAY, csv_text, line

JAPANESE = {"Accept-Language": "ja"}


def count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


def desk(db_session, code: str) -> Desk:
    return db_session.scalar(select(Desk).where(Desk.code == code))


def values(**overrides) -> services.ConsultationInput:
    data = dict(
        held_on=date(2024, 5, 1),
        channel="in-person",
        attribute="sme",
        topics=["trade-secret-management"],
        source="direct",
    )
    data.update(overrides)
    return services.ConsultationInput(**data)


@pytest.fixture
def organizer(make_user):
    return make_user(Role.ORGANIZER)


@pytest.fixture
def kansai(db_session, organizer) -> Desk:
    return desks.add_desk(db_session, "kansai", "関西窓口", "Kansai desk", by=organizer)


# ---------------------------------------------------------------- the migration


def test_the_migration_moves_every_existing_consultation_to_the_main_desk(backend, tmp_path):
    app = make_app(fresh_database_url(backend, tmp_path, "seminar_desks"))
    with app.app_context():
        upgrade(revision="d15d7e1b0007")
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO consultations (id, held_on, channel, attribute, source, step, "
                    "created_at, updated_at) VALUES (7, '2020-05-01', 'phone', 'sme', 'direct', "
                    "3, '2026-05-01 00:00:00', '2026-05-01 00:00:00')"
                )
            )
        upgrade(revision="e17a1d2c0008")
        with db.engine.connect() as connection:
            main = connection.execute(
                text("SELECT id, name_ja, name_en, active FROM desks WHERE code = 'main'")
            ).one()
            moved = connection.execute(
                text("SELECT desk_id, channel, step FROM consultations WHERE id = 7")
            ).one()
        assert tuple(main[1:]) == ("本部窓口", "Main desk", True)
        assert tuple(moved) == (main[0], "phone", 3)
        db.engine.dispose()


# ---------------------------------------------------------------- the desk of a consultation


def test_a_consultation_without_a_desk_goes_to_the_first_active_desk(db_session, organizer, kansai):
    desks.move_desk(db_session, kansai, -1, by=organizer)
    made = services.record_consultation(db_session, values(), advisor=None, by=organizer)
    assert made.desk.code == "kansai"


def test_an_inactive_desk_takes_no_new_consultation(db_session, organizer, kansai):
    desks.set_desk_active(db_session, kansai, False, by=organizer)
    with pytest.raises(services.ConsultationError) as caught:
        services.record_consultation(db_session, values(desk="kansai"), advisor=None, by=organizer)
    assert list(caught.value.problems) == ["desk"]
    assert count(db_session, Consultation) == 0


def test_a_record_of_an_inactive_desk_can_still_be_corrected(db_session, organizer, kansai):
    made = services.record_consultation(
        db_session, values(desk="kansai"), advisor=None, by=organizer
    )
    desks.set_desk_active(db_session, kansai, False, by=organizer)
    services.update_consultation(
        db_session, made, values(desk="kansai", step=2), advisor=None, by=organizer
    )
    assert (made.desk.code, made.step) == ("kansai", 2)


# ---------------------------------------------------------------- keeping the list


@pytest.mark.parametrize(
    ("code", "name_ja", "name_en", "fields"),
    [
        ("Kansai Desk", "関西窓口", "Kansai", ["code"]),
        ("1st", "関西窓口", "Kansai", ["code"]),
        ("main", "関西窓口", "Kansai", ["code"]),
        ("kansai", "  ", "", ["name_ja", "name_en"]),
        ("kansai", "関" * 101, "Kansai", ["name_ja"]),
    ],
)
def test_a_bad_desk_is_refused_field_by_field(
    db_session, organizer, code, name_ja, name_en, fields
):
    with pytest.raises(desks.DeskError) as caught:
        desks.add_desk(db_session, code, name_ja, name_en, by=organizer)
    assert sorted(caught.value.problems) == sorted(fields)
    assert count(db_session, Desk) == 1


def test_a_desk_code_is_kept_in_lower_case_ascii(db_session, organizer):
    added = desks.add_desk(db_session, "ＴＯＨＯＫＵ", "東北窓口", "Tohoku desk", by=organizer)
    assert added.code == "tohoku"


def test_desks_are_reordered_and_renamed(db_session, organizer, kansai):
    desks.move_desk(db_session, kansai, -1, by=organizer)
    desks.rename_desk(db_session, kansai, "大阪窓口", "Osaka desk", by=organizer)
    listed = [(row.desk.code, row.desk.name_ja) for row in desks.desks_overview(db_session)]
    assert listed == [("kansai", "大阪窓口"), ("main", "本部窓口")]


def test_the_last_active_desk_cannot_be_deactivated(db_session, organizer):
    with pytest.raises(desks.DeskError) as caught:
        desks.set_desk_active(db_session, desk(db_session, "main"), False, by=organizer)
    assert list(caught.value.problems) == ["active"]
    assert desk(db_session, "main").active


def test_a_desk_with_consultations_cannot_be_deleted(db_session, organizer, kansai):
    services.record_consultation(db_session, values(desk="kansai"), advisor=None, by=organizer)
    with pytest.raises(desks.DeskError):
        desks.delete_desk(db_session, kansai, by=organizer)
    assert desk(db_session, "kansai") is not None


def test_a_desk_with_totals_cannot_be_deleted(db_session, organizer, kansai):
    desks.record_totals(db_session, 2020, kansai, 5, None, by=organizer)
    with pytest.raises(desks.DeskError):
        desks.delete_desk(db_session, kansai, by=organizer)


def test_a_desk_nothing_rests_on_is_deleted(db_session, organizer, kansai):
    desks.delete_desk(db_session, kansai, by=organizer)
    assert desk(db_session, "kansai") is None
    assert db_session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "desk.deleted")
    )


# ---------------------------------------------------------------- totals


def test_a_second_record_of_a_years_totals_replaces_the_first(db_session, organizer):
    main = desk(db_session, "main")
    desks.record_totals(db_session, 2020, main, 40, 10, by=organizer)
    desks.record_totals(db_session, 2020, main, 42, None, by=organizer)
    stored = db_session.scalars(select(ConsultationTotal)).all()
    assert [(row.fiscal_year, row.consultations, row.online) for row in stored] == [
        (2020, 42, None)
    ]


@pytest.mark.parametrize(
    ("year", "consultations", "online", "fields"),
    [
        (1999, 10, 1, ["fiscal_year"]),
        (2101, 10, 1, ["fiscal_year"]),
        (2020, -1, None, ["consultations"]),
        (2020, None, None, ["consultations"]),
        (2020, 10, -1, ["online"]),
        (2020, 10, 11, ["online"]),
    ],
)
def test_bad_totals_are_refused_field_by_field(
    db_session, organizer, year, consultations, online, fields
):
    with pytest.raises(desks.DeskError) as caught:
        desks.record_totals(
            db_session, year, desk(db_session, "main"), consultations, online, by=organizer
        )
    assert list(caught.value.problems) == fields
    assert count(db_session, ConsultationTotal) == 0


def test_a_consultation_without_a_desk_is_refused_by_the_database(db_session):
    """No hidden default: a door that forgets the desk fails loudly."""
    db_session.add(
        Consultation(
            held_on=date(2024, 5, 1),
            channel="in-person",
            attribute="sme",
            topics=["contracts"],
            source="direct",
        )
    )
    with pytest.raises(IntegrityError):
        db_session.flush()
    db_session.rollback()


def test_the_default_desk_is_the_first_active_desk_in_order(db_session, organizer, kansai):
    assert desks.default_desk(db_session).code == "main"
    desks.move_desk(db_session, kansai, -1, by=organizer)
    assert desks.default_desk(db_session).code == "kansai"
    desks.set_desk_active(db_session, kansai, False, by=organizer)
    assert desks.default_desk(db_session).code == "main"


def test_a_consultation_without_a_date_is_refused(db_session, organizer):
    with pytest.raises(services.ConsultationError) as caught:
        services.record_consultation(db_session, values(held_on=None), advisor=None, by=organizer)
    assert list(caught.value.problems) == ["held_on"]
    assert count(db_session, Consultation) == 0


@pytest.mark.parametrize("consultations", [desks.MOST_CONSULTATIONS + 1, 10**30])
def test_totals_above_the_most_a_desk_records_are_refused(db_session, organizer, consultations):
    with pytest.raises(desks.DeskError) as caught:
        desks.record_totals(
            db_session, 2020, desk(db_session, "main"), consultations, None, by=organizer
        )
    assert list(caught.value.problems) == ["consultations"]
    assert count(db_session, ConsultationTotal) == 0


@pytest.mark.parametrize("refusal", [desks.DeskError, services.ConsultationError])
def test_the_desks_refusals_have_one_shape_that_every_form_shows(app, refusal):
    refused = refusal({"name_ja": "Enter the desk's name."})
    assert isinstance(refused, FieldProblems)
    with app.test_request_context():
        for form in (DeskForm(), TotalsForm(), DeskForm(formdata=None)):
            assert isinstance(form, ShowsProblems)
        shown = DeskForm()
        shown.show_problems(refused.problems)
        assert shown.name_ja.errors == ["Enter the desk's name."]


# ---------------------------------------------------------------- the console


def test_every_desk_page_declares_that_it_is_for_organizers(app):
    """The rule stands on each view (roles_required), where the security matrix reads it,
    not as a call inside it."""
    endpoints = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/console/consultations/desks")
    }
    assert len(endpoints) == 9
    for endpoint in endpoints:
        assert hasattr(app.view_functions[endpoint], "__wrapped__"), endpoint


def test_an_advisor_does_not_manage_desks(client, make_user):
    login(client, make_user(Role.ADVISOR))
    assert client.get("/console/consultations/desks").status_code == 403


def test_an_organizer_adds_a_desk_on_the_desks_page(client, db_session, organizer):
    login(client, organizer)
    response = post_form(
        client,
        "/console/consultations/desks",
        {"code": "kansai", "name_ja": "関西窓口", "name_en": "Kansai desk"},
    )
    assert response.status_code == 303
    assert desk(db_session, "kansai").name_en == "Kansai desk"


def test_a_bad_desk_on_the_page_is_told_in_japanese_and_nothing_is_added(
    client, db_session, organizer
):
    login(client, organizer)
    client.get("/language/ja")
    response = post_form(
        client, "/console/consultations/desks", {"code": "main", "name_ja": "", "name_en": "X"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "このコードは別の窓口が使っています。" in page
    assert "窓口の名称を入力してください。" in page
    assert count(db_session, Desk) == 1


def test_totals_are_recorded_on_the_desks_page(client, db_session, organizer):
    login(client, organizer)
    response = post_form(
        client,
        "/console/consultations/desks/main/totals",
        {"fiscal_year": "2020", "consultations": "40", "online": ""},
        page="/console/consultations/desks/main",
    )
    assert response.status_code == 303
    stored = db_session.scalar(select(ConsultationTotal))
    assert (stored.fiscal_year, stored.consultations, stored.online) == (2020, 40, None)
    assert stored.recorded_by_id == organizer.id


def test_bad_totals_on_the_page_are_told_field_by_field_and_nothing_is_written(
    client, db_session, organizer
):
    login(client, organizer)
    client.get("/language/ja")
    response = post_form(
        client,
        "/console/consultations/desks/main/totals",
        {"fiscal_year": "1999", "consultations": "10", "online": "11"},
        page="/console/consultations/desks/main",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "2000年度から2100年度までの年度を指定してください。" in page
    assert "オンラインの件数が相談件数を上回ることはできません。" in page
    assert count(db_session, ConsultationTotal) == 0


def test_online_above_the_consultations_is_told_on_the_page(client, db_session, organizer):
    login(client, organizer)
    client.get("/language/ja")
    response = post_form(
        client,
        "/console/consultations/desks/main/totals",
        {"fiscal_year": "2020", "consultations": "10", "online": "11"},
        page="/console/consultations/desks/main",
    )
    assert "オンラインの件数が相談件数を上回ることはできません。" in response.get_data(as_text=True)
    assert count(db_session, ConsultationTotal) == 0


def test_a_huge_number_of_consultations_on_the_page_is_told_in_japanese(
    client, db_session, organizer
):
    login(client, organizer)
    client.get("/language/ja")
    response = post_form(
        client,
        "/console/consultations/desks/main/totals",
        {"fiscal_year": "2020", "consultations": "9" * 30, "online": "9" * 30},
        page="/console/consultations/desks/main",
    )
    assert response.status_code == 422
    assert "1000000以下の数を入力してください。" in response.get_data(as_text=True)
    assert count(db_session, ConsultationTotal) == 0


def test_a_record_in_a_year_kept_as_totals_warns_on_the_form_the_list_and_the_desk_page(
    client, db_session, organizer
):
    desks.record_totals(db_session, 2024, desk(db_session, "main"), 200, None, by=organizer)
    db_session.commit()
    login(client, organizer)
    client.get("/language/ja")
    saved = post_form(client, "/console/consultations/new", FORM, follow_redirects=True)
    assert "の本部窓口は集計値（200件）で記録されていました" in saved.get_data(as_text=True)
    listed = client.get("/console/consultations/?fy=2024").get_data(as_text=True)
    assert 'data-warning="totals-set-aside"' in listed
    desk_page = client.get("/console/consultations/desks/main").get_data(as_text=True)
    assert 'data-warning="totals-set-aside"' in desk_page


def test_a_year_without_totals_gives_no_warning(client, db_session, organizer):
    login(client, organizer)
    saved = post_form(client, "/console/consultations/new", FORM, follow_redirects=True)
    assert "flash-warning" not in saved.get_data(as_text=True)
    listed = client.get("/console/consultations/?fy=2024").get_data(as_text=True)
    assert "totals-set-aside" not in listed


def test_the_desks_japanese_uses_the_agencys_words(client, db_session, organizer):
    made = services.record_consultation(
        db_session, values(channel="visit-joint"), advisor=None, by=organizer
    )
    db_session.commit()
    login(client, organizer)
    client.get("/language/ja")
    shown = client.get(f"/console/consultations/{made.id}").get_data(as_text=True)
    assert "訪問支援（知財総合支援窓口と同行）" in shown
    desk_page = client.get("/console/consultations/desks/main").get_data(as_text=True)
    assert "年度の始まる年を西暦で入力します" in desk_page


def test_the_api_says_an_unknown_parameter_is_not_defined_in_japanese(
    client,
    organizer_token,  # noqa: F811
):
    answer = call(client, "GET", "/consultations?colour=red", organizer_token, headers=JAPANESE)
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "colour: このパラメータ名は定義されていません。"


def test_the_consultation_form_records_the_desk_and_the_referrals(
    client, db_session, organizer, kansai
):
    login(client, organizer)
    response = post_form(
        client,
        "/console/consultations/new",
        {
            "held_on": "2024-05-01",
            "desk": "kansai",
            "channel": "visit-joint",
            "advisor": "0",
            "attribute": "sme",
            "topics": ["leak-incident"],
            "source": "prefectural-desk",
            "referring_desk": "27",
            "referrals": ["police", "ipa"],
            "step": "0",
            **dict.fromkeys(("employee_band", "industry", "prefecture"), ""),
        },
    )
    assert response.status_code == 303
    made = db_session.scalar(select(Consultation))
    assert (made.desk.code, made.channel, made.referring_desk) == ("kansai", "visit-joint", "27")
    assert [referral.value for referral in made.referrals] == ["police", "ipa"]


FORM = {
    "held_on": "2024-05-01",
    "desk": "main",
    "channel": "in-person",
    "advisor": "0",
    "attribute": "sme",
    "topics": ["contracts"],
    "source": "direct",
    "referring_desk": "",
    "step": "0",
    **dict.fromkeys(("employee_band", "industry", "prefecture"), ""),
}


@pytest.mark.parametrize(
    ("sent", "told"),
    [
        ({"desk": "kansai"}, "受付中の窓口を選んでください。"),
        ({"organization": "（株）"}, "会社の種類だけでない組織名（「株式会社」だけでは組織"),
        ({"held_on": "1999-05-01"}, "2000年度から2100年度までの日付を入力してください。"),
        ({"referring_desk": "48"}, "一覧にある知財総合支援窓口を選んでください。"),
    ],
)
def test_the_form_refuses_each_field_in_japanese_and_writes_nothing(
    client, db_session, organizer, kansai, sent, told
):
    desks.set_desk_active(db_session, kansai, False, by=organizer)
    db_session.commit()
    login(client, organizer)
    client.get("/language/ja")
    response = post_form(client, "/console/consultations/new", {**FORM, **sent})
    assert response.status_code == 200
    assert told in response.get_data(as_text=True)
    assert count(db_session, Consultation) == 0


def test_the_export_names_the_desk_and_the_referrals(client, db_session, organizer, kansai):
    services.record_consultation(
        db_session,
        values(desk="kansai", referring_desk="27", referrals=["police", "inpit"]),
        advisor=None,
        by=organizer,
    )
    db_session.commit()
    login(client, organizer)
    client.get("/language/ja")
    exported = client.get("/console/consultations/2024.csv").get_data(as_text=True)
    assert "関西窓口" in exported and "大阪府知財総合支援窓口" in exported
    assert "警察・INPIT（工業所有権情報・研修館）" in exported


def test_the_export_of_one_desk_holds_that_desks_consultations_only(
    client, db_session, organizer, kansai
):
    services.record_consultation(
        db_session,
        values(desk="kansai", organization="関西商事株式会社"),
        advisor=None,
        by=organizer,
    )
    services.record_consultation(
        db_session, values(desk="main", organization="本店工業株式会社"), advisor=None, by=organizer
    )
    db_session.commit()
    login(client, organizer)
    page = client.get("/console/consultations/?fy=2024&desk=kansai").get_data(as_text=True)
    links = re.findall(r'href="(/console/consultations/2024\.[^"]+)"', page)
    assert len(links) == 3 and all("desk=kansai" in link for link in links)
    response = client.get(html.unescape(links[0]))
    assert "consultations-fy2024-desk-kansai" in response.headers["Content-Disposition"]
    csv = client.get("/console/consultations/2024.csv?desk=kansai").get_data(as_text=True)
    assert "関西商事株式会社" in csv and "本店工業株式会社" not in csv
    audited = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "consultation.exported")
    ).all()
    assert [event.details["desk"] for event in audited] == ["kansai", "kansai"]


@pytest.mark.parametrize(
    "url",
    ["/console/consultations/?fy=2024&desk=closed", "/console/consultations/2024.csv?desk=closed"],
)
def test_a_desk_code_no_desk_has_is_not_found_on_the_console(client, db_session, organizer, url):
    login(client, organizer)
    assert client.get(url).status_code == 404
    exported = select(func.count(AuditEvent.id)).where(AuditEvent.action.like("%exported%"))
    assert db_session.scalar(exported) == 0


# ---------------------------------------------------------------- the command


@pytest.fixture
def report_group():
    """The `report` group, as reports/cli.py registers the command in it."""
    group = click.Group("report")
    group.add_command(totals_command)
    return group


def test_the_totals_command_records_and_replaces(app, db_session, report_group):
    runner = app.test_cli_runner()
    first = runner.invoke(
        report_group, ["totals", "2020", "--desk", "main", "--consultations", "40", "--online", "9"]
    )
    second = runner.invoke(report_group, ["totals", "2020", "--consultations", "41"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    stored = db_session.scalars(select(ConsultationTotal)).all()
    assert [(row.consultations, row.online) for row in stored] == [(41, None)]
    assert "41 consultations recorded" in second.output


def test_the_totals_command_takes_the_desk_code_as_the_desks_page_does(
    app, db_session, report_group
):
    result = app.test_cli_runner().invoke(
        report_group, ["totals", "2020", "--desk", " ＭＡＩＮ ", "--consultations", "40"]
    )
    assert result.exit_code == 0, result.output
    assert db_session.scalar(select(ConsultationTotal)).desk.code == "main"


@pytest.mark.parametrize(
    ("arguments", "told"),
    [
        (["1999", "--consultations", "4"], "fiscal_year: Choose a fiscal year from 2000"),
        (["2020", "--desk", "nowhere", "--consultations", "4"], "desk: No desk has this code."),
        (["2020", "--consultations", "4", "--online", "5"], "online: Online consultations"),
        (["2020", "--consultations", "-4"], "consultations: Enter a number of 0 or more."),
        (["2020", "--consultations", "9" * 30], "consultations: Enter a number of at most"),
        (["2020", "--consultations", "4", "--online", "9" * 30], "online: Enter a number of at"),
    ],
)
def test_the_totals_command_refuses_bad_input_and_writes_nothing(
    app, db_session, report_group, arguments, told
):
    result = app.test_cli_runner().invoke(report_group, ["totals", *arguments])
    assert result.exit_code == 1
    assert told in result.output
    assert count(db_session, ConsultationTotal) == 0


#: Years each terminal records, the same years in the same order as the others.
YEARS_AT_ONCE = 2060


def _record_years_at_once(url: str, consultations: int, start: Barrier) -> list[str]:
    """One organizer's terminal: the totals of every year from FY2000 for the main desk,
    begun when every terminal is ready (spawning and importing the app take unequal time)."""
    app = make_app(url)
    group = click.Group("report")
    group.add_command(totals_command)
    outcomes = []
    with app.app_context():
        start.wait(timeout=READY_WITHIN)
        for year in range(2000, YEARS_AT_ONCE):
            result = app.test_cli_runner().invoke(
                group, ["totals", str(year), "--consultations", str(consultations)]
            )
            outcomes.append("ok" if result.exit_code == 0 else result.output)
        db.engine.dispose()
    return outcomes


def test_totals_recorded_at_the_same_moment_replace_each_other(backend, tmp_path):
    url = fresh_database_url(backend, tmp_path, "seminar_totals")
    app = make_app(url)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    terminals = (10, 20, 30, 40, 50, 60)
    parts = run_together(_record_years_at_once, [(url, c) for c in terminals])
    outcomes = [outcome for part in parts for outcome in part]
    assert set(outcomes) == {"ok"}
    with app.app_context():
        rows = db.session.execute(
            select(ConsultationTotal.fiscal_year, ConsultationTotal.consultations)
        ).all()
        db.engine.dispose()
    assert sorted(year for year, _count in rows) == list(range(2000, YEARS_AT_ONCE))
    assert {count for _year, count in rows} <= {10, 20, 30, 40, 50, 60}


# ---------------------------------------------------------------- the CSV import


def _with_desk(code: str) -> str:
    return csv_text(f"{line()},{code}", header=f"{HEADER},desk")


def test_an_imported_row_goes_to_the_desk_it_names(db_session, kansai):
    importer.import_file(db_session, _with_desk("kansai").encode(), today=TODAY, actor_label="t")
    assert db_session.scalar(select(Consultation)).desk.code == "kansai"


def test_an_imported_row_without_a_desk_goes_to_the_first_active_desk(db_session, kansai):
    importer.import_file(db_session, csv_text(line()).encode(), today=TODAY, actor_label="t")
    importer.import_file(db_session, _with_desk("").encode(), today=TODAY, actor_label="t")
    codes = {row.desk.code for row in db_session.scalars(select(Consultation))}
    assert codes == {"main"}


def test_an_imported_row_naming_no_active_desk_is_refused_with_its_line(
    db_session, organizer, kansai
):
    desks.set_desk_active(db_session, kansai, False, by=organizer)
    with pytest.raises(ReportError) as caught, force_locale("en"):
        importer.import_file(
            db_session, _with_desk("kansai").encode(), today=TODAY, actor_label="t"
        )
    assert "line 2" in str(caught.value.problems[0]) and "kansai" in str(caught.value.problems[0])
    assert count(db_session, Consultation) == 0


# ---------------------------------------------------------------- the API


def test_the_api_records_and_shows_the_desk_and_the_referrals(
    client,
    kansai,
    organizer_token,  # noqa: F811
):
    sent = body(desk="kansai", referring_desk="13", referrals=["attorney"], channel="visit")
    answer = call(client, "POST", "/consultations", organizer_token, sent)
    assert answer.status_code == 201, answer.get_json()
    shown = answer.get_json()
    assert (shown["desk"], shown["referring_desk"], shown["referrals"]) == (
        "kansai",
        "13",
        ["attorney"],
    )


def test_the_api_keeps_the_desk_a_change_leaves_out(client, kansai, organizer_token):  # noqa: F811
    made = call(client, "POST", "/consultations", organizer_token, body(desk="kansai"))
    changed = call(
        client, "PATCH", f"/consultations/{made.get_json()['id']}", organizer_token, {"step": 4}
    )
    assert changed.get_json()["desk"] == "kansai"


def test_the_api_refuses_an_unknown_desk_in_the_requests_language(
    client,
    db_session,
    organizer_token,  # noqa: F811
):
    answer = call(client, "POST", "/consultations", organizer_token, body(desk="nowhere"), JAPANESE)
    assert answer.status_code == 422
    assert answer.get_json()["fields"] == {"desk": "受付中の窓口のコードを指定してください。"}
    assert count(db_session, Consultation) == 0


def test_the_api_lists_one_desks_consultations(client, kansai, organizer_token):  # noqa: F811
    call(client, "POST", "/consultations", organizer_token, body(desk="kansai"))
    call(client, "POST", "/consultations", organizer_token, body())
    listed = call(client, "GET", "/consultations?desk=kansai", organizer_token).get_json()
    assert [row["desk"] for row in listed["consultations"]] == ["kansai"]
    refused = call(client, "GET", "/consultations?desk=Kansai Desk", organizer_token)
    assert refused.status_code == 400
    assert refused.get_json()["field"] == "desk"


def test_the_api_answers_a_desk_filter_no_desk_has_as_the_console_does(
    client,
    db_session,
    organizer_token,  # noqa: F811
):
    call(client, "POST", "/consultations", organizer_token, body())
    answer = call(client, "GET", "/consultations?desk=closed", organizer_token, headers=JAPANESE)
    assert answer.status_code == 404
    assert answer.get_json() == {
        "error": "このコードの窓口はありません。",
        "field": "desk",
        "status": 404,
    }
    exported = select(func.count(AuditEvent.id)).where(AuditEvent.action == "consultation.exported")
    assert db_session.scalar(exported) == 0


def test_an_imported_row_keeps_its_referring_desk_and_referrals(db_session):
    data = csv_text(f"{line()},大阪府,police；IPA", header=f"{HEADER},referring_desk,referrals")
    importer.import_file(db_session, data.encode(), today=TODAY, actor_label="t")
    made = db_session.scalar(select(Consultation))
    assert made.referring_desk == "27"
    assert [referral.value for referral in made.referrals] == ["police", "ipa"]


def test_an_imported_row_with_an_unknown_referral_is_refused_with_its_line(db_session):
    data = csv_text(f"{line()},48,lawyer", header=f"{HEADER},referring_desk,referrals")
    with pytest.raises(ReportError) as caught, force_locale("en"):
        importer.import_file(db_session, data.encode(), today=TODAY, actor_label="t")
    problems = [str(problem) for problem in caught.value.problems]
    assert problems == [
        "line 2: referring_desk “48” is not a prefecture, by its JIS X 0401 code or its name",
        "line 2: referrals “lawyer” is not none or more of police, ipa, attorney, "
        "patent-attorney, inpit, prefectural-desk, other",
    ]
    assert count(db_session, Consultation) == 0
