""" "Attended" has one meaning: every feature judges each edge case alike.

The rule lives in seminar_app/attendance/attended.py. Here each case is set up on a
seminar of its own, then asked of every feature that decides by attendance: the rule
itself, the attendance list, materials and recordings (attendees, absentees), surveys,
certificates, the lecturer's counts, the fiscal-year report and announcements.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from seminar_app.announcements.services import _attendees
from seminar_app.attendance import services as attendance
from seminar_app.attendance.attended import attended
from seminar_app.attendance.models import OnlineAttendance
from seminar_app.attendance.online import record_join
from seminar_app.certificates.services import may_have_certificate
from seminar_app.domain import AttendanceMode, CheckInMethod, Delivery, RecordingAudience
from seminar_app.materials import services as materials
from seminar_app.reports.services import fiscal_year_figures
from seminar_app.surveys import services as surveys
from seminar_app.timeutil import fiscal_year_of
from tests.registration_helpers import register

STARTS = datetime(2025, 6, 10, 4, 0, tzinfo=UTC)
NOW = STARTS + timedelta(days=30)


def checked_in(session, registration, seminar):
    attendance.admit(
        session,
        registration,
        seminar.id,
        by=None,
        method=CheckInMethod.SEARCH,
        desk="test",
        now=STARTS,
    )


def online_for(minutes):
    def arrange(session, registration, seminar):
        session.add(OnlineAttendance(registration_id=registration.id, minutes=minutes))

    return arrange


def joined_by_link(session, registration, seminar):
    assert record_join(session, registration, STARTS + timedelta(minutes=5))


def check_in_undone(session, registration, seminar):
    checked_in(session, registration, seminar)
    assert attendance.undo(session, seminar.id, registration.id, by=None, desk="test")


def head_count_only(session, registration, seminar):
    attendance.set_head_count(session, seminar, 20, by=None)


CASES = [
    ("checked in at the door", checked_in, True),
    ("online 5 of 30 minutes", online_for(5), False),
    ("online 30 of 30 minutes", online_for(30), True),
    ("a join click without the platform's report", joined_by_link, True),
    ("a check-in undone", check_in_undone, False),
    ("a head-count only", head_count_only, False),
]


def judgements(session, seminar, registration) -> dict[str, bool]:
    """What each feature says of this registration's attendance."""
    [row] = [
        row
        for row in attendance.attendance_rows(session, seminar.id)
        if row.registration.id == registration.id
    ]
    survey = surveys.create_survey(session, seminar)
    try:
        surveys.check_may_answer(session, survey, registration, NOW)
        may_answer = True
    except surveys.SurveyError as refused:
        assert refused.code == "not-attendee", refused.code
        may_answer = False
    figures = fiscal_year_figures(session, fiscal_year_of(STARTS), NOW)
    profile = figures.attendees.registered_attendees_by["attribute"]
    _seated, came = materials.attendance_counts(session, seminar.id)
    announced = set(session.scalars(_attendees(None, None)))
    return {
        "the rule": attended(session, registration),
        "attendance list": row.attended,
        "materials for attendees": materials.in_audience(
            session, RecordingAudience.ATTENDEES, registration
        ),
        "recordings for absentees (negated)": not materials.in_audience(
            session, RecordingAudience.ABSENTEES, registration
        ),
        "survey": may_answer,
        "certificate": may_have_certificate(session, registration, NOW),
        "lecturer's count": came == 1,
        "fiscal-year report": sum(profile.values()) == 1,
        "announcements to attendees": registration.email_key in announced,
    }


@pytest.mark.parametrize(("case", "arrange", "expected"), CASES, ids=[c[0] for c in CASES])
def test_every_feature_judges_attendance_alike(db_session, make_seminar, case, arrange, expected):
    seminar = make_seminar(
        starts_at=STARTS,
        ends_at=STARTS + timedelta(hours=2),
        delivery=Delivery.HYBRID,
        venue="東京都千代田区",
        min_online_minutes=30,
        registration_closes_at=None,
    )
    registration = register(
        db_session, seminar, now=STARTS - timedelta(days=3), attendance_mode=AttendanceMode.VENUE
    )
    arrange(db_session, registration, seminar)
    db_session.flush()
    judged = judgements(db_session, seminar, registration)
    assert judged == dict.fromkeys(judged, expected), case
