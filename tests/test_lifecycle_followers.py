"""The seminar lifecycle (catalogue) is handed registration's follow-ups instead of importing
them: it uses exactly those, and refuses to change a seminar when nobody would follow."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from seminar_app.catalogue import lifecycle
from seminar_app.catalogue.models import Seminar
from seminar_app.registration import services as registrations
from tests.registration_helpers import register


def test_registration_hands_over_its_own_rules():
    followers = lifecycle._registrations()
    assert followers.any_active is registrations.any_active
    assert followers.announce_change is registrations.announce_change
    assert followers.promote_waitlisted is registrations.promote_waitlisted
    assert followers.announce_cancellation is registrations.announce_cancellation


def test_without_registration_no_seminar_changes_unheard(monkeypatch, db_session, make_seminar):
    seminar = make_seminar(capacity=1)
    register(db_session, seminar)
    db_session.commit()
    monkeypatch.setattr(lifecycle, "_handed_over", None)
    with pytest.raises(RuntimeError, match="registration"):
        lifecycle.cancel(db_session, seminar, "台風のため")
    db_session.rollback()
    assert db_session.scalar(select(Seminar.status).where(Seminar.id == seminar.id)) == "published"
