"""Post-seminar surveys: one answer per registration, attendees only, closing, invitations
through the outbox, results, exports without names unless agreed, fiscal-year figures."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from seminar_app.attendance import services as attendance
from seminar_app.audit.models import AuditEvent
from seminar_app.domain import CheckInMethod, Level, Role, Series
from seminar_app.notifications.models import OutboxMessage
from seminar_app.notifications.services import MailboxTransport, deliver_due
from seminar_app.reports.results import SurveyNumbers
from seminar_app.reports.services import survey_figures
from seminar_app.surveys import services
from seminar_app.surveys.models import SurveyAnswer
from seminar_app.timeutil import to_jst, utcnow
from tests.conftest import csrf_token, login, post_form
from tests.registration_helpers import register


def end(db_session, seminar, *, starts_at=None, ended_ago=timedelta(hours=1)):
    """Move a seminar that took registrations into the past."""
    starts_at = starts_at or utcnow().replace(microsecond=0) - ended_ago - timedelta(hours=2)
    seminar.starts_at, seminar.ends_at = starts_at, starts_at + timedelta(hours=2)
    db_session.commit()
    return seminar


def check_in(db_session, registration):
    attendance.admit(
        db_session,
        registration,
        registration.seminar_id,
        by=None,
        method=CheckInMethod.SCAN,
        desk="A",
        now=registration.seminar.starts_at,
    )
    db_session.commit()


@pytest.fixture
def surveyed(db_session, make_seminar):
    """An ended seminar with the standard survey, one attendee and one no-show."""
    seminar = make_seminar()
    came = register(db_session, seminar)
    absent = register(db_session, seminar)
    end(db_session, seminar)
    check_in(db_session, came)
    survey = services.create_survey(db_session, seminar)
    db_session.commit()
    return survey, came, absent


GOOD = {"satisfaction": "5", "understanding": "4", "step": "3", "comment": "とても良かった"}


def answers_count(db_session, survey) -> int:
    return db_session.scalar(
        select(func.count(SurveyAnswer.id)).where(SurveyAnswer.survey_id == survey.id)
    )


def answer(db_session, survey, registration, data, *, may_name=False, now=None):
    answers, errors = services.validate_answers(survey, data)
    assert errors == {}
    stored = services.submit_answer(
        db_session, survey, registration, answers, may_name, now or utcnow()
    )
    db_session.commit()
    return stored


def test_standard_survey_has_the_five_questions(surveyed):
    survey, _came, _absent = surveyed
    kinds = {question["key"]: question["type"] for question in survey.questions}
    assert kinds == {
        "satisfaction": "rating",
        "understanding": "rating",
        "next_themes": "multiple",
        "step": "single",
        "comment": "text",
    }
    step = next(question for question in survey.questions if question["key"] == "step")
    assert [choice["value"] for choice in step["choices"]] == [str(n) for n in range(1, 8)]
    assert step["choices"][0]["label_en"] == "1. Awareness"


def test_a_seminar_gets_one_survey(db_session, surveyed):
    survey, _came, _absent = surveyed
    with pytest.raises(services.SurveyError) as refused:
        services.create_survey(db_session, survey.seminar)
    assert refused.value.code == "exists"


def test_survey_answered_twice_keeps_one_answer_with_the_second_content(db_session, surveyed):
    survey, came, _absent = surveyed
    first = answer(db_session, survey, came, GOOD)
    second = answer(
        db_session, survey, came, {**GOOD, "satisfaction": "2", "next_themes": ["contracts"]}
    )
    assert answers_count(db_session, survey) == 1
    assert second.id == first.id
    stored = db_session.scalar(select(SurveyAnswer).where(SurveyAnswer.survey_id == survey.id))
    assert stored.answers["satisfaction"] == 2
    assert stored.answers["next_themes"] == ["contracts"]


def test_answered_twice_through_the_page_keeps_one_answer(client, db_session, surveyed):
    survey, came, _absent = surveyed
    url = f"/r/{came.manage_token}/survey"
    for satisfaction in ("5", "3"):
        response = post_form(
            client, url, {"q-satisfaction": satisfaction, "q-understanding": "4", "may_name": "1"}
        )
        assert response.status_code == 303
    assert answers_count(db_session, survey) == 1
    stored = services.answer_of(db_session, survey, came)
    assert stored.answers["satisfaction"] == 3 and stored.may_name is True
    page = client.get(url).get_data(as_text=True)
    assert 'value="3" checked' in page


def test_non_attendee_is_refused(db_session, client, surveyed):
    survey, _came, absent = surveyed
    answers, _errors = services.validate_answers(survey, GOOD)
    with pytest.raises(services.SurveyError) as refused:
        services.submit_answer(db_session, survey, absent, answers, False, utcnow())
    assert refused.value.code == "not-attendee"
    response = client.get(f"/r/{absent.manage_token}/survey")
    assert response.status_code == 403
    assert answers_count(db_session, survey) == 0


def test_rating_of_six_is_refused_with_a_message_and_nothing_stored(client, db_session, surveyed):
    survey, came, _absent = surveyed
    _answers, errors = services.validate_answers(survey, {**GOOD, "satisfaction": "6"})
    assert set(errors) == {"satisfaction"}
    client.get("/language/en")
    response = post_form(
        client,
        f"/r/{came.manage_token}/survey",
        {"q-satisfaction": "6", "q-understanding": "4", "q-comment": "x"},
    )
    assert response.status_code == 400
    assert "Choose a rating from 1 to 5." in response.get_data(as_text=True)
    assert answers_count(db_session, survey) == 0


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"understanding": "4"}, "satisfaction"),
        ({**GOOD, "step": "8"}, "step"),
        ({**GOOD, "next_themes": ["contracts", "astrology"]}, "next_themes"),
        ({**GOOD, "comment": "あ" * 2001}, "comment"),
    ],
)
def test_invalid_answers_are_named(surveyed, data, key):
    survey, _came, _absent = surveyed
    _answers, errors = services.validate_answers(survey, data)
    assert list(errors) == [key]


def test_closed_survey_refuses_edits(client, db_session, surveyed):
    survey, came, _absent = surveyed
    answer(db_session, survey, came, GOOD)
    survey.closes_at = utcnow() - timedelta(minutes=1)
    db_session.commit()
    answers, _errors = services.validate_answers(survey, {**GOOD, "satisfaction": "1"})
    with pytest.raises(services.SurveyError) as refused:
        services.submit_answer(db_session, survey, came, answers, False, utcnow())
    assert refused.value.code == "closed"
    db_session.rollback()
    client.get("/language/en")
    response = post_form(
        client,
        f"/r/{came.manage_token}/survey",
        {"q-satisfaction": "1", "q-understanding": "1"},
        page=f"/r/{came.manage_token}/edit",  # the closed page has no form to take a token from
    )
    assert response.status_code == 409
    page = client.get(f"/r/{came.manage_token}/survey")
    assert page.status_code == 200 and "This survey is closed" in page.get_data(as_text=True)
    assert services.answer_of(db_session, survey, came).answers["satisfaction"] == 5


def test_bad_token_is_not_found(client, surveyed):
    assert client.get("/r/no-such-token/survey").status_code == 404


def test_manage_page_links_to_the_survey_for_attendees_only(client, db_session, surveyed):
    _survey, came, absent = surveyed
    link = f'href="/r/{came.manage_token}/survey"'
    assert link in client.get(f"/r/{came.manage_token}").get_data(as_text=True)
    absent_page = client.get(f"/r/{absent.manage_token}").get_data(as_text=True)
    assert f"/r/{absent.manage_token}/survey" not in absent_page


def drain_outbox(db_session, tmp_path):
    """Send what registration queued (confirmations) somewhere out of the way."""
    deliver_due(db_session, transport=MailboxTransport(str(tmp_path / "drained")))


def test_invitations_wait_for_the_end_of_the_seminar(db_session, make_seminar):
    seminar = make_seminar()
    person = register(db_session, seminar)
    services.create_survey(db_session, seminar)
    db_session.commit()
    assert services.queue_invitations(db_session, utcnow()) == 0
    end(db_session, seminar)
    check_in(db_session, person)
    assert services.queue_invitations(db_session, utcnow()) == 1


def test_invitations_queued_once_per_attendee_and_delivered_with_the_link(
    db_session, surveyed, smtp_app, mail_server, tmp_path
):
    survey, came, _absent = surveyed
    drain_outbox(db_session, tmp_path)
    assert services.queue_invitations(db_session, utcnow()) == 1
    db_session.commit()
    assert services.queue_invitations(db_session, utcnow()) == 0
    db_session.commit()
    assert survey.invitations_queued_at is not None
    rows = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "survey.invitation")
    ).all()
    assert [row.recipient for row in rows] == [came.email]
    assert deliver_due(db_session).sent == 1
    [mail] = mail_server.wait_for(1)
    assert mail["To"] == came.email
    assert "アンケート" in mail["Subject"] or "Survey" in mail["Subject"]
    body = mail.get_body(("plain",)).get_content()
    assert f"http://seminars.test/r/{came.manage_token}/survey" in body


def test_cli_queues_invitations_and_says_how_many(app, db_session, surveyed):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["surveys", "send-invitations"])
    assert first.exit_code == 0, first.output
    assert first.output.startswith("1 survey invitation(s) queued")
    assert runner.invoke(args=["surveys", "send-invitations"]).output.startswith("0 survey")


def test_results_averages_distribution_and_comments(db_session, make_seminar):
    seminar = make_seminar()
    people = [register(db_session, seminar) for _ in range(3)]
    end(db_session, seminar)
    for person in people:
        check_in(db_session, person)
    survey = services.create_survey(db_session, seminar)
    db_session.commit()
    for person, (satisfaction, understanding, themes, comment) in zip(
        people,
        [
            ("5", "4", ["contracts", "ip-strategy"], "良い"),
            ("4", "4", ["contracts"], ""),
            ("2", "3", [], "もっと事例を"),
        ],
        strict=True,
    ):
        answer(
            db_session,
            survey,
            person,
            {
                "satisfaction": satisfaction,
                "understanding": understanding,
                "next_themes": themes,
                "comment": comment,
            },
        )
    figures = {
        entry["question"]["key"]: entry
        for entry in services.results(db_session, survey)["questions"]
    }
    assert figures["satisfaction"]["average"] == 3.67
    assert figures["satisfaction"]["distribution"] == {1: 0, 2: 1, 3: 0, 4: 1, 5: 1}
    assert figures["understanding"]["average"] == 3.67
    assert figures["next_themes"]["counts"]["contracts"] == 2
    assert figures["next_themes"]["counts"]["ip-strategy"] == 1
    assert figures["next_themes"]["counts"]["leak-response"] == 0
    assert figures["comment"]["comments"] == ["良い", "もっと事例を"]


def test_csv_export_has_no_names_unless_agreed_and_is_audited(
    client, db_session, make_seminar, make_user
):
    seminar = make_seminar()
    named, anonymous = register(db_session, seminar), register(db_session, seminar)
    end(db_session, seminar)
    check_in(db_session, named)
    check_in(db_session, anonymous)
    survey = services.create_survey(db_session, seminar)
    db_session.commit()
    answer(db_session, survey, named, GOOD, may_name=True)
    answer(db_session, survey, anonymous, {**GOOD, "comment": "=HYPERLINK(1)"}, may_name=False)
    login(client, make_user(Role.ORGANIZER))
    response = client.get(f"/console/seminars/{seminar.id}/survey.csv")
    assert response.status_code == 200
    text = response.data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 3
    assert named.name in text and anonymous.name not in text
    assert "'=HYPERLINK(1)" in text
    events = db_session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action == "survey.exported")
    )
    assert events == 1
    xlsx = client.get(f"/console/seminars/{seminar.id}/survey.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_results_page_is_for_organizers(client, db_session, surveyed, make_user):
    survey, _came, _absent = surveyed
    login(client, make_user(Role.LECTURER))
    assert client.get(f"/console/seminars/{survey.seminar_id}/survey").status_code == 403


def test_organizer_creates_the_standard_survey(client, db_session, make_seminar, make_user):
    seminar = make_seminar()
    login(client, make_user(Role.ORGANIZER))
    url = f"/console/seminars/{seminar.id}/survey"
    assert url in client.get(f"/console/seminars/{seminar.id}/edit").get_data(as_text=True)
    assert post_form(client, url, {}).status_code == 303
    assert services.survey_for_seminar(db_session, seminar.id) is not None
    assert "Create the standard survey" not in client.get(url).get_data(as_text=True)


def answered_fy2022(db_session, make_seminar) -> None:
    """Three answers to seminars of FY2022 (two series, a level and none), one in FY2023."""
    fy2022 = datetime(2022, 6, 1, 5, 0, tzinfo=UTC)
    setups = [
        (Series.TRADE_SECRET_IP_STRATEGY, Level.BEGINNER, fy2022, [("5", "4"), ("3", "2")]),
        (Series.IP_UTILIZATION, None, fy2022, [("4", "5")]),
        (Series.IP_UTILIZATION, None, datetime(2023, 6, 1, 5, 0, tzinfo=UTC), [("1", "1")]),
    ]
    for series, level, starts_at, ratings in setups:
        seminar = make_seminar(series=series, level=level)
        people = [register(db_session, seminar) for _ in ratings]
        end(db_session, seminar, starts_at=starts_at)
        survey = services.create_survey(db_session, seminar)
        db_session.commit()
        for person, (satisfaction, understanding) in zip(people, ratings, strict=True):
            check_in(db_session, person)
            answer(
                db_session,
                survey,
                person,
                {"satisfaction": satisfaction, "understanding": understanding},
            )


def test_fiscal_year_figures_per_series_and_level(db_session, make_seminar):
    answered_fy2022(db_session, make_seminar)
    figures = survey_figures(db_session, 2022, utcnow())
    assert figures.overall == SurveyNumbers(
        answers=3, satisfaction=4.0, understanding=3.67, satisfied_share=0.6667
    )
    assert figures.by_series == {
        "trade-secret-ip-strategy": SurveyNumbers(
            answers=2, satisfaction=4.0, understanding=3.0, satisfied_share=0.5
        ),
        "ip-utilization": SurveyNumbers(
            answers=1, satisfaction=4.0, understanding=5.0, satisfied_share=1.0
        ),
    }
    assert figures.by_level["beginner"].answers == 2
    assert figures.by_level["none"] == SurveyNumbers(
        answers=1, satisfaction=4.0, understanding=5.0, satisfied_share=1.0
    )


def test_the_fiscal_year_report_shows_and_exports_the_survey_figures(
    db_session, make_seminar, make_user, app
):
    answered_fy2022(db_session, make_seminar)
    client = app.test_client()
    login(client, make_user(Role.ORGANIZER))
    client.get("/language/en")
    page = client.get("/console/reports/?fy=2022").get_data(as_text=True)
    assert "3 answers: satisfaction 4.0, understanding 3.67" in page
    book = load_workbook(io.BytesIO(client.get("/console/reports/2022.xlsx").data))
    rows = list(book["Surveys"].iter_rows(values_only=True))
    assert rows[0][-1] is not None  # the share of 4 and 5 answers has its own column
    assert rows[1] == ("All seminars", None, 3, 4, 3.67, 0.6667)
    assert ("Series", "IP Utilization Support Seminar", 1, 4, 5, 1) in rows


def test_questions_are_asked_in_the_reader_s_language(client, surveyed):
    _survey, came, _absent = surveyed
    url = f"/r/{came.manage_token}/survey"
    japanese = client.get(url).get_data(as_text=True)
    english = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "本セミナーの満足度" in japanese and "How satisfied" not in japanese
    assert "How satisfied were you with this seminar?" in english
    assert "1. Awareness" in english and "本セミナーの満足度" not in english


def test_closing_date_is_set_in_tokyo_time_and_not_before_the_end(
    client, db_session, surveyed, make_user
):
    survey, _came, _absent = surveyed
    login(client, make_user(Role.ORGANIZER))
    client.get("/language/en")
    url = f"/console/seminars/{survey.seminar_id}/survey/closing"
    page = f"/console/seminars/{survey.seminar_id}/survey"
    too_early = to_jst(survey.seminar.ends_at - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = post_form(client, url, {"closes_at": too_early}, page=page, follow_redirects=True)
    assert "The survey must close after the seminar ends." in response.get_data(as_text=True)
    db_session.expire_all()
    assert survey.closes_at is None
    later = to_jst(survey.seminar.ends_at) + timedelta(days=14)
    post_form(client, url, {"closes_at": later.strftime("%Y-%m-%dT%H:%M")}, page=page)
    db_session.expire_all()
    assert survey.closes_at == later.replace(second=0, microsecond=0).astimezone(UTC)


def test_survey_page_waits_for_the_end_of_the_seminar(client, db_session, make_seminar):
    seminar = make_seminar()
    person = register(db_session, seminar)
    services.create_survey(db_session, seminar)
    db_session.commit()
    response = client.get(f"/r/{person.manage_token}/survey", headers={"Accept-Language": "en"})
    assert response.status_code == 403
    assert "The survey opens when the seminar has ended." in response.get_data(as_text=True)


def test_results_page_shows_averages_distribution_and_comments(
    client, db_session, surveyed, make_user
):
    survey, came, _absent = surveyed
    answer(db_session, survey, came, {**GOOD, "next_themes": ["contracts"]})
    login(client, make_user(Role.ORGANIZER))
    response = client.get(f"/console/seminars/{survey.seminar_id}/survey")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<strong>5.00</strong>" in page and "<strong>4.00</strong>" in page
    assert "とても良かった" in page
    assert page.count('<svg class="bar"') == 5 + 5 + len(services.NEXT_THEMES) + 7


# Changing the questions before the first answer


def spec(kind, label, *, label_en="", choices="", required=False):
    return {
        "type": kind,
        "label": label,
        "label_en": label_en,
        "choices": choices,
        "required": required,
    }


def question_form(kind, label, *, label_en="", choices="", required=False):
    data = {"type": kind, "label": label, "label_en": label_en, "choices": choices}
    return {**data, "required": "y"} if required else data


def keys(survey):
    return [question["key"] for question in survey.questions]


def audited(db_session, action):
    return db_session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == action))


def test_organizer_adds_each_kind_of_question_and_the_attendee_answers_them(
    client, db_session, surveyed, make_user
):
    survey, came, _absent = surveyed
    login(client, make_user(Role.ORGANIZER))
    page = f"/console/seminars/{survey.seminar_id}/survey"
    url = f"{page}/questions"
    forms = [
        question_form("rating", "講師の説明は分かりやすかったですか", required=True),
        question_form(
            "single",
            "参加のきっかけ",
            label_en="How did you hear of it?",
            choices="メール | Mail\n\nウェブサイト | Website\n知人",
        ),
        question_form("multiple", "関心のある分野", choices="特許\n商標 | Trademarks\n意匠"),
        question_form("text", "次回への要望", label_en="Wishes for next time"),
    ]
    for form in forms:
        response = post_form(client, url, form, page=page)
        assert response.status_code == 303, response.get_data(as_text=True)[:800]
    db_session.expire_all()
    assert keys(survey) == [
        "satisfaction",
        "understanding",
        "next_themes",
        "step",
        "comment",
        "q1",
        "q2",
        "q3",
        "q4",
    ]
    rating, single, multiple, text = survey.questions[5:]
    assert (rating["type"], rating["required"]) == ("rating", True)
    assert single["choices"] == [
        {"value": "1", "label": "メール", "label_en": "Mail"},
        {"value": "2", "label": "ウェブサイト", "label_en": "Website"},
        {"value": "3", "label": "知人", "label_en": ""},
    ]
    assert single["label_en"] == "How did you hear of it?" and single["required"] is False
    assert [choice["label"] for choice in multiple["choices"]] == ["特許", "商標", "意匠"]
    assert text["type"] == "text" and "choices" not in text
    assert audited(db_session, "survey.question_added") == 4

    answer_url = f"/r/{came.manage_token}/survey"
    english = client.get(answer_url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "How did you hear of it?" in english and "Trademarks" in english
    assert "講師の説明は分かりやすかったですか" in english  # no English label: the Japanese one
    missing = post_form(client, answer_url, {"q-satisfaction": "5", "q-understanding": "4"})
    assert missing.status_code == 400  # the new rating is required
    assert answers_count(db_session, survey) == 0
    response = client.post(
        answer_url,
        data={
            "csrf_token": csrf_token(client, answer_url),
            "q-satisfaction": "5",
            "q-understanding": "4",
            "q-q1": "3",
            "q-q2": "2",
            "q-q3": ["1", "3"],
            "q-q4": "事例をもっと",
        },
    )
    assert response.status_code == 303
    stored = services.answer_of(db_session, survey, came).answers
    assert {key: stored[key] for key in ("q1", "q2", "q3", "q4")} == {
        "q1": 3,
        "q2": "2",
        "q3": ["1", "3"],
        "q4": "事例をもっと",
    }


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (spec("single", "参加のきっかけ", choices="メール"), "choices"),
        (spec("multiple", "関心", choices="特許\n特許 | Patents"), "choices"),
        (spec("multiple", "関心", choices="特許 | Patents\n商標 | patents"), "choices"),
        (spec("single", "関心", choices="\n".join(f"分野{n}" for n in range(13))), "choices"),
        (spec("single", "関心", choices="特許\n | Trademarks"), "choices"),
        (spec("rating", "  "), "label"),
        (spec("rating", "満足度", label_en="x" * 201), "label_en"),
        (spec("scale", "満足度"), "type"),
    ],
)
def test_invalid_questions_are_refused_by_field_and_nothing_changes(
    db_session, surveyed, bad, field
):
    survey, _came, _absent = surveyed
    before = [dict(question) for question in survey.questions]
    with pytest.raises(services.QuestionError) as refused:
        services.add_question(db_session, survey, bad, by=None)
    assert list(refused.value.problems) == [field]
    db_session.expire_all()
    assert survey.questions == before
    assert audited(db_session, "survey.question_added") == 0


def test_twelve_choices_are_taken(db_session, surveyed):
    survey, _came, _absent = surveyed
    choices = "\n".join(f"分野{n}" for n in range(12))
    question = services.add_question(
        db_session, survey, spec("multiple", "関心", choices=choices), by=None
    )
    assert len(question["choices"]) == 12
    assert keys(survey)[-1] == question["key"] == "q1"


def test_single_choice_with_one_choice_is_refused_on_the_page(
    client, db_session, surveyed, make_user
):
    survey, _came, _absent = surveyed
    login(client, make_user(Role.ORGANIZER))
    client.get("/language/en")
    page = f"/console/seminars/{survey.seminar_id}/survey"
    response = post_form(
        client,
        f"{page}/questions",
        question_form("single", "参加のきっかけ", choices="メール"),
        page=page,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Give at least 2 choices, one per line." in html
    assert "参加のきっかけ" in html  # what was typed is kept
    db_session.expire_all()
    assert keys(survey) == ["satisfaction", "understanding", "next_themes", "step", "comment"]


def test_organizer_removes_and_reorders_questions(client, db_session, surveyed, make_user):
    survey, _came, _absent = surveyed
    login(client, make_user(Role.ORGANIZER))
    page = f"/console/seminars/{survey.seminar_id}/survey"
    base = f"{page}/questions"
    for url, data in (
        (f"{base}/comment/move", {"direction": "up"}),
        (f"{base}/satisfaction/move", {"direction": "down"}),
        (f"{base}/next_themes/remove", {}),
    ):
        assert post_form(client, url, data, page=page).status_code == 303
    db_session.expire_all()
    assert keys(survey) == ["understanding", "satisfaction", "comment", "step"]
    assert audited(db_session, "survey.question_moved") == 2
    assert audited(db_session, "survey.question_removed") == 1
    html = client.get(page).get_data(as_text=True)
    assert html.index("本セミナーの理解度") < html.index("本セミナーの満足度")
    assert f"{base}/next_themes/" not in html


def test_moves_past_the_ends_and_removing_the_last_question_are_refused(db_session, surveyed):
    survey, _came, _absent = surveyed
    with pytest.raises(services.QuestionError) as first:
        services.move_question(db_session, survey, "satisfaction", "up", by=None)
    assert list(first.value.problems) == ["direction"]
    with pytest.raises(services.QuestionError) as last:
        services.move_question(db_session, survey, "comment", "down", by=None)
    assert list(last.value.problems) == ["direction"]
    with pytest.raises(services.QuestionError) as unknown:
        services.remove_question(db_session, survey, "no-such-key", by=None)
    assert list(unknown.value.problems) == ["question"]
    for key in ("satisfaction", "understanding", "next_themes", "step"):
        services.remove_question(db_session, survey, key, by=None)
    with pytest.raises(services.QuestionError) as only:
        services.remove_question(db_session, survey, "comment", by=None)
    assert list(only.value.problems) == ["question"]
    db_session.expire_all()
    assert keys(survey) == ["comment"]


def test_new_keys_stay_unique(db_session, surveyed):
    survey, _came, _absent = surveyed
    for label in ("一", "二", "三"):
        services.add_question(db_session, survey, spec("text", label), by=None)
    services.remove_question(db_session, survey, "q2", by=None)
    added = services.add_question(db_session, survey, spec("text", "四"), by=None)
    assert added["key"] == "q4"
    assert len(set(keys(survey))) == len(keys(survey))


def test_editing_is_refused_once_an_answer_exists(client, db_session, surveyed, make_user):
    survey, came, _absent = surveyed
    answer(db_session, survey, came, GOOD)
    before = keys(survey)
    for change in (
        lambda: services.add_question(db_session, survey, spec("text", "追加"), by=None),
        lambda: services.remove_question(db_session, survey, "comment", by=None),
        lambda: services.move_question(db_session, survey, "comment", "up", by=None),
    ):
        with pytest.raises(services.QuestionError) as refused:
            change()
        assert list(refused.value.problems) == ["survey"]
    db_session.rollback()
    login(client, make_user(Role.ORGANIZER))
    client.get("/language/en")
    page = f"/console/seminars/{survey.seminar_id}/survey"
    html = client.get(page).get_data(as_text=True)
    assert "The questions can no longer be changed: answers have come in" in html
    assert f"{page}/questions" not in html and "Add a question" not in html
    assert "本セミナーの満足度" in html  # the questions are still listed
    token = csrf_token(client, page)
    added = client.post(
        f"{page}/questions", data={"csrf_token": token, **question_form("text", "追加")}
    )
    assert added.status_code == 400
    assert "The questions can no longer be changed" in added.get_data(as_text=True)
    removed = client.post(
        f"{page}/questions/comment/remove", data={"csrf_token": token}, follow_redirects=True
    )
    assert "The questions can no longer be changed" in removed.get_data(as_text=True)
    db_session.expire_all()
    assert keys(survey) == before
    assert audited(db_session, "survey.question_added") == 0
    assert audited(db_session, "survey.question_removed") == 0


def test_an_answer_to_questions_changed_meanwhile_is_refused(db_session, surveyed):
    survey, came, _absent = surveyed
    answers, errors = services.validate_answers(survey, GOOD)
    assert errors == {}
    services.add_question(db_session, survey, spec("rating", "講師", required=True), by=None)
    db_session.commit()
    with pytest.raises(services.SurveyError) as refused:
        services.submit_answer(db_session, survey, came, answers, False, utcnow())
    assert refused.value.code == "changed"
    db_session.rollback()
    assert answers_count(db_session, survey) == 0


def test_custom_rating_has_its_average_in_results_and_exports(
    client, db_session, make_seminar, make_user
):
    seminar = make_seminar()
    people = [register(db_session, seminar) for _ in range(2)]
    end(db_session, seminar)
    for person in people:
        check_in(db_session, person)
    survey = services.create_survey(db_session, seminar)
    services.add_question(
        db_session, survey, spec("rating", "会場の快適さ", label_en="Comfort of the venue"), by=None
    )
    services.remove_question(db_session, survey, "satisfaction", by=None)
    db_session.commit()
    for person, rating in zip(people, ("4", "5"), strict=True):
        answer(db_session, survey, person, {"understanding": "3", "q1": rating})
    figures = {
        entry["question"]["key"]: entry
        for entry in services.results(db_session, survey)["questions"]
    }
    assert figures["q1"]["average"] == 4.5
    assert figures["q1"]["distribution"] == {1: 0, 2: 0, 3: 0, 4: 1, 5: 1}
    login(client, make_user(Role.ORGANIZER))
    client.get("/language/en")
    html = client.get(f"/console/seminars/{seminar.id}/survey").get_data(as_text=True)
    assert "Comfort of the venue" in html and "<strong>4.50</strong>" in html
    text = client.get(f"/console/seminars/{seminar.id}/survey.csv").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][-1] == "Comfort of the venue"
    assert [row[-1] for row in rows[1:]] == ["4", "5"]
    held = to_jst(seminar.starts_at)
    fiscal_year = held.year if held.month >= 4 else held.year - 1
    year = survey_figures(db_session, fiscal_year, utcnow()).overall
    assert year.answers == 2
    assert year.satisfaction is None and year.understanding == 3.0


def test_question_editing_is_for_organizers(client, db_session, surveyed, make_user):
    survey, _came, _absent = surveyed
    login(client, make_user(Role.LECTURER))
    page = f"/console/seminars/{survey.seminar_id}/survey"
    token = csrf_token(client, "/")
    for url, data in (
        (f"{page}/questions", question_form("text", "追加")),
        (f"{page}/questions/comment/remove", {}),
        (f"{page}/questions/comment/move", {"direction": "up"}),
    ):
        assert client.post(url, data={"csrf_token": token, **data}).status_code == 403
    db_session.expire_all()
    assert keys(survey) == ["satisfaction", "understanding", "next_themes", "step", "comment"]
