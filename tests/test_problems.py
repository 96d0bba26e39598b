"""One shape for a refusal of the rules, shown beside the fields of any form."""

from __future__ import annotations

from wtforms import Form, StringField

from seminar_app.announcements.services import AnnouncementError
from seminar_app.consultations.desks import DeskError
from seminar_app.consultations.services import ConsultationError
from seminar_app.problems import FieldProblems, show_problems
from seminar_app.reports.plans import PlanRefused
from seminar_app.surveys.services import QuestionError


class Small(Form):
    title = StringField()
    body = StringField()


def test_every_refusal_of_field_rules_is_one_kind():
    for refusal in (AnnouncementError, ConsultationError, DeskError, PlanRefused, QuestionError):
        refused = refusal({"title": "長すぎます。"})
        assert isinstance(refused, FieldProblems)
        assert refused.problems == {"title": "長すぎます。"}


def test_each_problem_goes_beside_its_field_and_the_rest_is_returned():
    form = Small()
    form.validate()

    elsewhere = show_problems(form, {"title": "入力してください。", "seminar": "中止されました。"})

    assert list(form.title.errors) == ["入力してください。"]
    assert list(form.body.errors) == []
    assert elsewhere == ["中止されました。"]
