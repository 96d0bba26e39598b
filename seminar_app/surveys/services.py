"""The rules of post-seminar surveys (アンケート): questions, answers, invitations, results.

A survey belongs to one seminar; each attendee (checked in, or online long enough, the
rule of the fiscal-year report) answers once per registration and may change the answer
until the survey closes. Invitations go through the outbox once, after the seminar ended.
People who did not register (an in-company seminar's participants) answer through a link
shared with them, once per browser (Browser), anonymously.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from ..attendance.attended import attended, attended_condition, registrations_with_attendance
from ..audit.services import record
from ..catalogue.models import Seminar
from ..consultations.models import STEPS
from ..database import DbSession, begin_write, rows_changed
from ..domain import SeminarStatus
from ..notifications.services import queue
from ..problems import FieldProblems
from ..registration.models import Registration
from ..timeutil import to_jst
from .models import Survey, SurveyAnswer

RATING, SINGLE, MULTIPLE, TEXT = "rating", "single", "multiple", "text"
QUESTION_TYPES = (RATING, SINGLE, MULTIPLE, TEXT)
RATINGS = (1, 2, 3, 4, 5)
MAX_TEXT = 2000

#: Themes the agency could take up next (value, Japanese, English).
NEXT_THEMES = (
    ("trade-secret-management", "営業秘密の管理", "Managing trade secrets"),
    ("ip-strategy", "知財戦略", "IP strategy"),
    ("contracts", "契約・秘密保持契約", "Contracts and NDAs"),
    ("leak-response", "情報漏えいへの対応", "Responding to a leak"),
    ("departing-employees", "退職者・転職者への対応", "Departing employees"),
    (
        "patents-and-know-how",
        "特許出願とノウハウ秘匿の選択",
        "Patenting or keeping know-how secret",
    ),
)


def _choice(value: str, label: str, label_en: str) -> dict[str, str]:
    return {"value": value, "label": label, "label_en": label_en}


def _step_choices() -> list[dict[str, str]]:
    """The seven steps, labelled from the desk's own list in both languages."""
    choices = []
    for number, text in STEPS.items():
        with force_locale("ja"):
            japanese = str(text)
        with force_locale("en"):
            english = str(text)
        choices.append(_choice(str(number), f"{number}. {japanese}", f"{number}. {english}"))
    return choices


def standard_questions() -> list[dict[str, Any]]:
    """The agency's standard survey: satisfaction, understanding, next themes, step, comment."""
    return [
        {
            "key": "satisfaction",
            "type": RATING,
            "label": "本セミナーの満足度",
            "label_en": "How satisfied were you with this seminar?",
            "required": True,
        },
        {
            "key": "understanding",
            "type": RATING,
            "label": "本セミナーの理解度",
            "label_en": "How well did you understand the content?",
            "required": True,
        },
        {
            "key": "next_themes",
            "type": MULTIPLE,
            "label": "今後取り上げてほしいテーマ（複数選択可）",
            "label_en": "Themes you would like next (choose any)",
            "choices": [_choice(*theme) for theme in NEXT_THEMES],
            "required": False,
        },
        {
            "key": "step",
            "type": SINGLE,
            "label": "貴社の営業秘密管理は7つのステップのどこまで進んでいますか",
            "label_en": "Where is your company in the seven steps of trade-secret management?",
            "choices": _step_choices(),
            "required": False,
        },
        {
            "key": "comment",
            "type": TEXT,
            "label": "ご意見・ご感想",
            "label_en": "Comments",
            "required": False,
        },
    ]


class SurveyError(Exception):
    """A survey action that cannot be done; `message` is for the person."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def label_of(item: dict[str, Any], language: str) -> str:
    """A question's or a choice's label in `language`, the Japanese one when missing."""
    return (item.get("label_en") if language == "en" else None) or item["label"]


def choice_label(question: dict[str, Any], value: str, language: str) -> str:
    for choice in question.get("choices", []):
        if choice["value"] == value:
            return label_of(choice, language)
    return value


def survey_for_seminar(session: DbSession, seminar_id: int) -> Survey | None:
    return session.scalar(select(Survey).where(Survey.seminar_id == seminar_id))


def create_survey(
    session: DbSession,
    seminar: Seminar,
    questions: list[dict[str, Any]] | None = None,
    closes_at: datetime | None = None,
    *,
    by: Any = None,
) -> Survey:
    """A seminar's survey, the standard one unless `questions` are given; one per seminar."""
    if seminar.status == SeminarStatus.CANCELLED:
        raise SurveyError("cancelled", _("A cancelled seminar gets no survey."))
    if survey_for_seminar(session, seminar.id) is not None:
        raise SurveyError("exists", _("This seminar already has a survey."))
    questions = questions if questions is not None else standard_questions()
    for question in questions:
        if question.get("type") not in QUESTION_TYPES or not question.get("key"):
            raise ValueError(f"not a survey question: {question!r}")
    survey = Survey(seminar_id=seminar.id, questions=questions, closes_at=closes_at)
    session.add(survey)
    session.flush()  # the unique seminar_id refuses a concurrent second survey here
    record(
        session, "survey.created", "survey", survey.id, actor=by, details={"seminar": seminar.id}
    )
    return survey


def set_closing(session: DbSession, survey: Survey, closes_at: datetime | None, *, by: Any) -> None:
    """Answers are taken until `closes_at` (None: no end); never before the seminar ends."""
    if closes_at is not None and closes_at <= survey.seminar.ends_at:
        raise SurveyError("closes-early", _("The survey must close after the seminar ends."))
    survey.closes_at = closes_at
    record(
        session,
        "survey.closing_set",
        "survey",
        survey.id,
        actor=by,
        details={"closes_at": closes_at.isoformat() if closes_at else None},
    )


# Changing the questions: only while nobody has answered, or the results would mix answers
# to different questions.

MAX_QUESTIONS = 30
MAX_CHOICES = 12
MIN_CHOICES = 2
MAX_LABEL = 200
MAX_CHOICE_LABEL = 100
#: The keys the fiscal-year report reads; the editor never gives these to a new question.
REPORTED_KEYS = ("satisfaction", "understanding")


class QuestionError(FieldProblems):
    """A change to the questions that cannot be made; `problems` is field → message."""


def has_answers(session: DbSession, survey: Survey) -> bool:
    return answer_count(session, survey) > 0


def editing_refusal() -> str:
    return _(
        "The questions can no longer be changed: answers have come in, and changing the "
        "questions now would mix up the results."
    )


def _lock_for_editing(session: DbSession, survey: Survey) -> list[dict[str, Any]]:
    """Lock the survey row (as submit_answer does), re-read it, refuse once answered.

    Returns the current questions; the caller assigns a new list to survey.questions.
    """
    begin_write(session)
    session.execute(select(Survey.id).where(Survey.id == survey.id).with_for_update())
    session.refresh(survey)
    if has_answers(session, survey):
        raise QuestionError({"survey": editing_refusal()})
    return list(survey.questions)


def _clean(value: object) -> str:
    return " ".join(str(value or "").split())


def parse_choices(text: str | list[str] | None) -> tuple[list[dict[str, str]], str | None]:
    """Choices from one per line, "Japanese | English" or just Japanese: (choices, problem)."""
    lines = text.splitlines() if isinstance(text, str) else list(text or [])
    choices: list[dict[str, str]] = []
    seen_ja: set[str] = set()
    seen_en: set[str] = set()
    for line in lines:
        if not line.strip():
            continue
        japanese, _bar, english = (_clean(part) for part in str(line).partition("|"))
        if not japanese:
            return [], _("Each choice needs a Japanese label before the “|”.")
        if len(japanese) > MAX_CHOICE_LABEL or len(english) > MAX_CHOICE_LABEL:
            return [], _("Keep each choice to %(n)d characters.", n=MAX_CHOICE_LABEL)
        if japanese.casefold() in seen_ja or (english and english.casefold() in seen_en):
            return [], _("“%(choice)s” is listed twice; each choice must differ.", choice=japanese)
        seen_ja.add(japanese.casefold())
        if english:
            seen_en.add(english.casefold())
        choices.append(_choice(str(len(choices) + 1), japanese, english))
    if len(choices) < MIN_CHOICES:
        return [], _("Give at least %(n)d choices, one per line.", n=MIN_CHOICES)
    if len(choices) > MAX_CHOICES:
        return [], _("Give at most %(n)d choices.", n=MAX_CHOICES)
    return choices, None


def _new_key(questions: list[dict[str, Any]]) -> str:
    """ "q" and the next number after every "q<number>" key used so far."""
    numbers = [
        int(question["key"][1:])
        for question in questions
        if question["key"][:1] == "q" and question["key"][1:].isdigit()
    ]
    return f"q{max(numbers, default=0) + 1}"


def add_question(session: DbSession, survey: Survey, spec: dict[str, Any], *, by: Any) -> dict:
    """Append a question built from `spec` {type, label, label_en, choices, required}.

    `choices` (one per line, or a list of lines) counts for single and multiple choice only.
    Raises QuestionError (field → message) and changes nothing when a rule is broken.
    """
    problems: dict[str, str] = {}
    kind = spec.get("type")
    if kind not in QUESTION_TYPES:
        problems["type"] = _("Choose the kind of question.")
    label, label_en = _clean(spec.get("label")), _clean(spec.get("label_en"))
    if not label:
        problems["label"] = _("Enter the question in Japanese.")
    elif len(label) > MAX_LABEL:
        problems["label"] = _("Keep the question to %(n)d characters.", n=MAX_LABEL)
    if len(label_en) > MAX_LABEL:
        problems["label_en"] = _("Keep the question to %(n)d characters.", n=MAX_LABEL)
    choices: list[dict[str, str]] = []
    if kind in (SINGLE, MULTIPLE):
        choices, problem = parse_choices(spec.get("choices"))
        if problem:
            problems["choices"] = problem
    if problems:
        raise QuestionError(problems)
    questions = _lock_for_editing(session, survey)
    if len(questions) >= MAX_QUESTIONS:
        raise QuestionError({"survey": _("A survey has at most %(n)d questions.", n=MAX_QUESTIONS)})
    question: dict[str, Any] = {
        "key": _new_key(questions),
        "type": kind,
        "label": label,
        "label_en": label_en,
        "required": bool(spec.get("required")),
    }
    if choices:
        question["choices"] = choices
    survey.questions = [*questions, question]  # a new list: the JSON column sees the change
    record(
        session,
        "survey.question_added",
        "survey",
        survey.id,
        actor=by,
        details={"key": question["key"], "type": kind, "position": len(questions) + 1},
    )
    return question


def _position(questions: list[dict[str, Any]], key: str) -> int:
    for index, question in enumerate(questions):
        if question["key"] == key:
            return index
    raise QuestionError({"question": _("This question is no longer in the survey.")})


def remove_question(session: DbSession, survey: Survey, key: str, *, by: Any) -> None:
    """Take a question out of the survey; the last one stays."""
    questions = _lock_for_editing(session, survey)
    index = _position(questions, key)
    if len(questions) == 1:
        raise QuestionError({"question": _("A survey needs at least one question.")})
    removed = questions.pop(index)
    survey.questions = questions
    record(
        session,
        "survey.question_removed",
        "survey",
        survey.id,
        actor=by,
        details={"key": key, "type": removed["type"], "label": removed["label"]},
    )


def move_question(session: DbSession, survey: Survey, key: str, direction: str, *, by: Any) -> None:
    """Swap a question with the one before ("up") or after ("down") it."""
    if direction not in ("up", "down"):
        raise QuestionError({"direction": _("Move a question up or down.")})
    questions = _lock_for_editing(session, survey)
    index = _position(questions, key)
    target = index - 1 if direction == "up" else index + 1
    if not 0 <= target < len(questions):
        raise QuestionError(
            {
                "direction": _("This question is first already.")
                if direction == "up"
                else _("This question is last already.")
            }
        )
    questions[index], questions[target] = questions[target], questions[index]
    survey.questions = questions
    record(
        session,
        "survey.question_moved",
        "survey",
        survey.id,
        actor=by,
        details={"key": key, "from": index + 1, "to": target + 1},
    )


def is_open(survey: Survey, now: datetime) -> bool:
    return survey.closes_at is None or now < survey.closes_at


def _rating(raw: object) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if raw in RATINGS else None
    text = str(raw).strip()
    return int(text) if text.isascii() and text.isdigit() and int(text) in RATINGS else None


def _as_list(raw: object) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, (list, tuple)):
        return [str(item) for item in raw]
    return [str(raw)]


def validate_answers(survey: Survey, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(answers to store, errors by question key); answers count only when errors is empty."""
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for question in survey.questions:
        key, kind = question["key"], question["type"]
        raw = data.get(key)
        empty = raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []
        if empty:
            if question.get("required"):
                errors[key] = _("Please answer this question.")
            continue
        choices = [choice["value"] for choice in question.get("choices", [])]
        if kind == RATING:
            rating = _rating(raw)
            if rating is None:
                errors[key] = _("Choose a rating from 1 to 5.")
            else:
                answers[key] = rating
        elif kind == SINGLE:
            value = str(raw)
            if value not in choices:
                errors[key] = _("Choose one of the options.")
            else:
                answers[key] = value
        elif kind == MULTIPLE:
            chosen = set(_as_list(raw))
            if not chosen <= set(choices):
                errors[key] = _("Choose among the options shown.")
            else:
                answers[key] = [value for value in choices if value in chosen]
        else:
            text = str(raw).strip()
            if len(text) > MAX_TEXT:
                errors[key] = _("Please keep this to %(n)d characters.", n=MAX_TEXT)
            else:
                answers[key] = text
    return answers, errors


@dataclass(frozen=True)
class Browser:
    """A respondent who came by a link shared with a seminar's participants who did not
    register, known only by the secret their browser keeps (a cookie): one answer per
    browser, never a name. `key` is what is stored: the secret's SHA-256."""

    seminar_id: int
    key: str

    @classmethod
    def of(cls, seminar_id: int, secret: str) -> Browser:
        return cls(seminar_id, hashlib.sha256(secret.encode()).hexdigest())


#: Who answers: an attendee's registration, or a browser that came by a shared link.
Respondent = Registration | Browser


def _respondent_is(respondent: Respondent) -> Any:
    if isinstance(respondent, Browser):
        return SurveyAnswer.browser_key == respondent.key
    return SurveyAnswer.registration_id == respondent.id


def answer_of(session: DbSession, survey: Survey, respondent: Respondent) -> SurveyAnswer | None:
    return session.scalar(
        select(SurveyAnswer).where(SurveyAnswer.survey_id == survey.id, _respondent_is(respondent))
    )


def check_may_answer(
    session: DbSession, survey: Survey, respondent: Respondent, now: datetime
) -> None:
    """Raise SurveyError unless this respondent may answer this survey now: its seminar's,
    after the seminar, while the survey is open; a registration only if it attended (a
    shared link's browsers were let in by whoever shared it)."""
    seminar = survey.seminar
    if respondent.seminar_id != survey.seminar_id:
        raise SurveyError("other-seminar", _("This survey belongs to another seminar."))
    if seminar.ends_at > now:
        raise SurveyError("not-yet", _("The survey opens when the seminar has ended."))
    if isinstance(respondent, Registration) and not attended(session, respondent):
        raise SurveyError(
            "not-attendee", _("This survey is for the people who attended the seminar.")
        )
    if not is_open(survey, now):
        raise SurveyError("closed", _("This survey is closed; answers can no longer be changed."))


def submit_answer(
    session: DbSession,
    survey: Survey,
    respondent: Respondent,
    answers: dict[str, Any],
    may_name: bool,
    now: datetime,
) -> SurveyAnswer:
    """Store the respondent's answer, replacing an earlier one: one row per registration or
    browser (a browser's is never named).

    `answers` must come from validate_answers; they are checked again against the questions
    read under the lock, as the editor may change them until the first answer is stored.
    Two submissions at once meet the unique (survey, registration) key: the lock on the
    survey row makes the second wait and then update the first one's row instead of failing.
    """
    begin_write(session)
    session.execute(
        select(Survey.id).where(Survey.id == survey.id).with_for_update()
    )  # PostgreSQL: one writer per survey at a time; SQLite: BEGIN IMMEDIATE did it
    check_may_answer(session, survey, respondent, now)
    session.refresh(survey)  # the questions may have been changed before the first answer
    answers, errors = validate_answers(survey, answers)
    if errors:
        raise SurveyError(
            "changed",
            _(
                "The questions were changed while you were answering. "
                "Please check your answers and send them again."
            ),
        )
    answer = answer_of(session, survey, respondent)
    if answer is None:
        answer = SurveyAnswer(survey_id=survey.id)
        if isinstance(respondent, Browser):
            answer.browser_key = respondent.key
        else:
            answer.registration_id = respondent.id
        session.add(answer)
    answer.answers = answers
    answer.may_name = bool(may_name) and isinstance(respondent, Registration)
    session.flush()
    return answer


def queue_invitations(session: DbSession, now: datetime) -> int:
    """Queue one "survey.invitation" per attendee of each ended seminar; each survey once.

    A survey is claimed by setting invitations_queued_at where it is still empty, so two
    runs at the same time cannot both queue its mails. The caller commits.
    """
    begin_write(session)
    due = session.scalars(
        select(Survey.id)
        .join(Seminar, Seminar.id == Survey.seminar_id)
        .where(
            Survey.invitations_queued_at.is_(None),
            Seminar.status == SeminarStatus.PUBLISHED,
            Seminar.ends_at <= now,
            (Survey.closes_at.is_(None)) | (Survey.closes_at > now),
        )
        .order_by(Survey.id)
    ).all()
    queued = 0
    for survey_id in due:
        claimed = rows_changed(
            session,
            update(Survey)
            .where(Survey.id == survey_id, Survey.invitations_queued_at.is_(None))
            .values(invitations_queued_at=now)
            .execution_options(synchronize_session=False),
        )
        if not claimed:
            continue
        survey = session.get_one(Survey, survey_id)
        session.refresh(survey)
        attendees = session.scalars(
            registrations_with_attendance()
            .where(Registration.seminar_id == survey.seminar_id, attended_condition())
            .order_by(Registration.id)
        ).all()
        for registration in attendees:
            queue(
                session,
                "survey.invitation",
                registration.email,
                {"registration_id": registration.id, "survey_id": survey.id},
                language=registration.locale,
            )
            queued += 1
        record(
            session,
            "survey.invitations_queued",
            "survey",
            survey.id,
            actor_label="system",
            details={"mails": len(attendees)},
        )
    return queued


def answer_count(session: DbSession, survey: Survey) -> int:
    """How many have answered: registrations and shared links' browsers alike."""
    return (
        session.scalar(
            select(func.count())
            .select_from(SurveyAnswer)
            .where(SurveyAnswer.survey_id == survey.id)
        )
        or 0
    )


def _answers(session: DbSession, survey: Survey) -> list[SurveyAnswer]:
    return list(
        session.scalars(
            select(SurveyAnswer)
            .where(SurveyAnswer.survey_id == survey.id)
            .order_by(SurveyAnswer.id)
        )
    )


def results(session: DbSession, survey: Survey) -> dict[str, Any]:
    """One seminar's results: per rating its average and distribution, per choice its counts,
    the comments of text questions. A seminar's answers are few: they are summed here."""
    rows = _answers(session, survey)
    questions = []
    for question in survey.questions:
        key, kind = question["key"], question["type"]
        given = [row.answers[key] for row in rows if key in row.answers]
        entry: dict[str, Any] = {"question": question, "answered": len(given)}
        if kind == RATING:
            counts = Counter(given)
            entry["distribution"] = {rating: counts.get(rating, 0) for rating in RATINGS}
            entry["average"] = round(sum(given) / len(given), 2) if given else None
        elif kind in (SINGLE, MULTIPLE):
            counts = Counter(
                value for answer in given for value in (answer if kind == MULTIPLE else [answer])
            )
            entry["counts"] = {
                choice["value"]: counts.get(choice["value"], 0)
                for choice in question.get("choices", [])
            }
        else:
            entry["comments"] = [text for text in given if text]
        questions.append(entry)
    return {"answers": len(rows), "questions": questions}


def export_rows(
    session: DbSession, survey: Survey, language: str = "ja"
) -> tuple[list[str], list[list[object]]]:
    """(header, rows) of every answer; name and organization only where the person agreed."""
    header = [_("No."), _("Answered (JST)"), _("Name"), _("Organization")]
    header += [label_of(question, language) for question in survey.questions]
    rows = []
    for number, answer in enumerate(_answers(session, survey), start=1):
        registration = answer.registration if answer.may_name else None
        row: list[object] = [
            number,
            to_jst(answer.updated_at),
            registration.name if registration else "",
            (registration.organization or "") if registration else "",
        ]
        for question in survey.questions:
            value = answer.answers.get(question["key"])
            if value is None:
                row.append(None)
            elif question["type"] == MULTIPLE:
                row.append("; ".join(choice_label(question, item, language) for item in value))
            elif question["type"] == SINGLE:
                row.append(choice_label(question, value, language))
            else:
                row.append(value)
        rows.append(row)
    return header, rows
