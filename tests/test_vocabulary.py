"""The vocabulary: each coded value carries its label, and columns hand back members."""

from __future__ import annotations

from flask_babel import force_locale

from seminar_app.catalogue.models import Seminar
from seminar_app.domain import RegistrationStatus, SeminarStatus, Vocabulary, choices, label


def test_identifiers_shared_by_two_vocabularies_keep_their_own_labels(app):
    with app.test_request_context(), force_locale("en"):
        assert label(SeminarStatus.CANCELLED) == "Cancelled"
        assert label(RegistrationStatus.CANCELLED) == "Cancelled registration"


#: Labels that Japanese writes as English does.
SAME_IN_BOTH = {"api"}


def test_every_member_has_a_label_of_its_own_in_japanese(app):
    with app.test_request_context():
        for vocabulary in Vocabulary.__subclasses__():
            for member in vocabulary:
                with force_locale("en"):
                    english = member.label
                with force_locale("ja"):
                    japanese = member.label
                assert english != member.value or member.value in SAME_IN_BOTH, member
                assert japanese != english or member.value in SAME_IN_BOTH, member


def test_a_coded_column_gives_back_the_member_of_its_vocabulary(db_session, make_seminar):
    seminar = make_seminar(status="cancelled")
    db_session.expire_all()
    status = db_session.get(Seminar, seminar.id).status
    assert status is SeminarStatus.CANCELLED
    with force_locale("en"):
        assert label(status) == "Cancelled"


def test_choices_offer_identifiers_with_their_labels(app):
    with app.test_request_context(), force_locale("en"):
        assert ("draft", "Draft") in choices(SeminarStatus)
