"""The vocabulary of design.md's glossary: the coded values stored in the database.

Every coded column is typed by one of these enums (database.Coded) and kept to its members
by a CHECK (database.enum_check). Each member carries what a person reads for it, in
English in the code and in Japanese through the translations: `label(member)`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l


class Vocabulary(StrEnum):
    """A coded value and its label: `NAME = "identifier", _l("What a person reads")`."""

    _label: Any

    def __new__(cls, value: str, text: Any = None) -> Vocabulary:
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = text
        return member

    @property
    def label(self) -> str:
        return str(self._label) if self._label is not None else self.value


class Series(Vocabulary):
    TRADE_SECRET_IP_STRATEGY = (
        "trade-secret-ip-strategy",
        _l("Trade Secret & IP Strategy Seminar"),
    )
    IP_UTILIZATION = "ip-utilization", _l("IP Utilization Support Seminar")


class Level(Vocabulary):
    BEGINNER = "beginner", _l("Beginner")
    INTERMEDIATE = "intermediate", _l("Intermediate")
    BEGINNER_INTERMEDIATE = "beginner-intermediate", _l("Beginner–intermediate")
    WORKSHOP = "workshop", _l("Workshop")


class HostType(Vocabulary):
    AGENCY = "agency", _l("Agency-hosted seminar")
    IN_COMPANY = "in-company", _l("In-company seminar")
    EXTERNAL = "external", _l("Talk at another organization's seminar")


class Delivery(Vocabulary):
    ONLINE = "online", _l("Online")
    IN_PERSON = "in-person", _l("In person")
    HYBRID = "hybrid", _l("Hybrid")


class AttendanceMode(Vocabulary):
    """How one person attends: a hybrid seminar asks; otherwise its delivery decides."""

    VENUE = "venue", _l("At the venue")
    ONLINE = "online", _l("Online")


class Admission(Vocabulary):
    """How seats are given: in order of registration, or by a draw after a deadline."""

    FIRST_COME = "first-come", _l("First come, first served")
    LOTTERY = "lottery", _l("Lottery after a deadline")


class SeminarStatus(Vocabulary):
    DRAFT = "draft", _l("Draft")
    PUBLISHED = "published", _l("Published")
    CANCELLED = "cancelled", _l("Cancelled")


class Role(Vocabulary):
    ORGANIZER = "organizer", _l("Organizer")
    LECTURER = "lecturer", _l("Lecturer")
    RECEPTION = "reception", _l("Reception")
    ADMIN = "admin", _l("Administrator")
    #: 知財戦略アドバイザー of the consultation desk (often also a lecturer).
    ADVISOR = "advisor", _l("IP strategy advisor")


#: The roles of the staff who may be named a seminar's lecturers (講師): lecturers, and the
#: desk's advisors, who give the in-company seminars of lecturer dispatch. Being named one
#: of its lecturers is what lets them see the seminar's numbers and manage its materials.
SPEAKERS = (Role.LECTURER, Role.ADVISOR)


class RegistrationStatus(Vocabulary):
    CONFIRMED = "confirmed", _l("Confirmed")
    WAITLISTED = "waitlisted", _l("Waitlisted")
    CANCELLED = "cancelled", _l("Cancelled registration")
    #: Applied to a lottery seminar, waiting for the draw.
    APPLIED = "applied", _l("Applied (lottery)")


class Attribute(Vocabulary):
    SME = "sme", _l("Small or medium-sized company")
    LARGE_COMPANY = "large-company", _l("Large company")
    INDIVIDUAL = "individual", _l("Individual")
    UNIVERSITY = "university", _l("University or research body")
    SUPPORT_ORGANIZATION = "support-organization", _l("Support organization")
    PUBLIC_BODY = "public-body", _l("Public body")
    OTHER = "other", _l("Other")


class EmployeeBand(Vocabulary):
    """Breaks from which the SME Basic Act's thresholds (5, 20, 50, 100, 300) can be read."""

    B1_5 = "1-5", _l("%(band)s employees", band="1-5")
    B6_20 = "6-20", _l("%(band)s employees", band="6-20")
    B21_50 = "21-50", _l("%(band)s employees", band="21-50")
    B51_100 = "51-100", _l("%(band)s employees", band="51-100")
    B101_300 = "101-300", _l("%(band)s employees", band="101-300")
    B301_1000 = "301-1000", _l("%(band)s employees", band="301-1000")
    B1001_PLUS = "1001+", _l("%(band)s employees", band="1001+")


class HeardFrom(Vocabulary):
    AGENCY_WEBSITE = "agency-website", _l("Our website")
    NEWSLETTER = "newsletter", _l("Our mail newsletter")
    PREFECTURAL_DESK = "prefectural-desk", _l("A prefectural IP support desk")
    PARTNER = "partner-organization", _l("A partner organization")
    SOCIAL_MEDIA = "social-media", _l("Social media")
    COLLEAGUE = "colleague", _l("A colleague or acquaintance")
    OTHER = "other", _l("Other")


class RegistrationSource(Vocabulary):
    """Where a registration was made."""

    WEB = "web", _l("Registration form")
    API = "api", _l("API")
    DESK = "desk", _l("At the door (walk-in)")


class CheckInMethod(Vocabulary):
    """How the person was found at the desk."""

    SCAN = "scan", _l("Ticket scanned")
    PHOTO = "photo", _l("Photo of the ticket")
    SEARCH = "search", _l("Name search")
    WALK_IN = "walk-in", _l("Walk-in")
    API = "api", _l("API")


class Audience(Vocabulary):
    """Who may download a lecturer's material."""

    EVERYONE = "everyone", _l("Everyone")
    REGISTRANTS = "registrants", _l("Registrants")
    ATTENDEES = "attendees", _l("Attendees only")


class RecordingAudience(Vocabulary):
    """Who may watch a recording: a material's audiences and the absentees."""

    EVERYONE = "everyone", _l("Everyone")
    REGISTRANTS = "registrants", _l("Registrants")
    ATTENDEES = "attendees", _l("Attendees only")
    #: Registered but did not attend: 見逃し配信.
    ABSENTEES = "absentees", _l("Registered but absent (見逃し配信)")


class Channel(Vocabulary):
    """How a consultation was held."""

    IN_PERSON = "in-person", _l("In person")
    ONLINE = "online", _l("Online")
    PHONE = "phone", _l("Phone")
    EMAIL = "email", _l("By e-mail")
    #: 訪問支援: at the client's site, by the desk alone.
    VISIT = "visit", _l("Visit")
    #: 訪問支援 together with the client's prefectural IP comprehensive support desk.
    VISIT_JOINT = "visit-joint", _l("Visit with a prefectural IP support desk")


class Topic(Vocabulary):
    """What a consultation was about (one or more)."""

    TRADE_SECRET_MANAGEMENT = (
        "trade-secret-management",
        _l("Trade-secret management"),
    )
    IP_STRATEGY = "ip-strategy", _l("IP strategy")
    IP_SYSTEM_GENERAL = "ip-system-general", _l("The IP system and its amendments")
    CONTRACTS = "contracts", _l("Contracts")
    LEAK_INCIDENT = "leak-incident", _l("A leak or suspected leak")
    DEPARTING_EMPLOYEES = "departing-employees", _l("Departing employees")
    OTHER = "other", _l("Other topic")


class Source(Vocabulary):
    """How a client came to the desk."""

    DIRECT = "direct", _l("Came to the desk directly")
    PREFECTURAL_DESK = "prefectural-desk", _l("Referred by a prefectural IP support desk")
    SEMINAR = "seminar", _l("Came from a seminar")


class Referral(Vocabulary):
    """Where the desk referred a client on to (several per consultation)."""

    POLICE = "police", _l("Police")
    #: Information-technology Promotion Agency: cyber-security.
    IPA = "ipa", _l("IPA (cyber-security)")
    ATTORNEY = "attorney", _l("Attorney")
    PATENT_ATTORNEY = "patent-attorney", _l("Patent attorney")
    INPIT = "inpit", _l("INPIT")
    #: 知財総合支援窓口 of the client's prefecture.
    PREFECTURAL_DESK = "prefectural-desk", _l("Prefectural IP comprehensive support desk")
    OTHER = "other", _l("Other referral")


class DispatchState(Vocabulary):
    """Where a company's request for a lecturer (講師派遣) stands (dispatch.services)."""

    RECEIVED = "received", _l("Received")
    UNDER_REVIEW = "under-review", _l("Under review")
    #: A date and the staff are fixed: its in-company seminar exists.
    SCHEDULED = "scheduled", _l("Scheduled")
    DECLINED = "declined", _l("Declined")
    DELIVERED = "delivered", _l("Delivered")
    #: The company took its request back (or an organizer did, on its word).
    WITHDRAWN = "withdrawn", _l("Withdrawn")


class FigureSource(Vocabulary):
    """Where a fiscal year's consultation figure comes from (consultations/figures.py)."""

    #: Counted from the consultations recorded one by one.
    RECORDS = "records", _l("Counted from records")
    #: 集計値: totals an organizer recorded for a year without records.
    TOTALS = "totals", _l("Recorded totals")
    #: Combined over desks: some counted from records, some from recorded totals.
    BOTH = "both", _l("Records and recorded totals")


class OutboxStatus(Vocabulary):
    PENDING = "pending", _l("Waiting to be sent")
    SENT = "sent", _l("Sent")
    FAILED = "failed", _l("Not delivered")


class OutboxFailure(Vocabulary):
    """Why a failed message was given up: what an organizer reads beside it."""

    #: The recipient's address cannot receive mail (malformed, or not in a deliverable form).
    ADDRESS = "address", _l("The address cannot receive mail")
    #: The mail server refused the message for good (a 5xx answer).
    REFUSED = "refused", _l("Refused by the recipient's mail server")
    #: The message could not be written (a fault in the data or the code; see last_error).
    RENDERING = "rendering", _l("The mail could not be prepared")
    #: Handing the message over failed in a way that trying again would not change.
    SENDING = "sending", _l("The mail could not be handed to the mail server")
    #: No longer to be sent (the person unsubscribed before delivery): not a fault.
    WITHDRAWN = "withdrawn", _l("Withdrawn before delivery")


class SessionEnd(Vocabulary):
    """Why a staff session ended (kept for the record; the audit log says who ended it)."""

    LOGGED_OUT = "logged-out", _l("Logged out")
    #: The staff member ended it from their list of sessions.
    ENDED_BY_OWNER = "ended-by-owner", _l("Ended from the list of sessions")
    PASSWORD_CHANGED = "password-changed", _l("The password was changed")
    PASSWORD_RESET = "password-reset", _l("The password was reset")
    ACCOUNT_DISABLED = "account-disabled", _l("The account was disabled")
    #: An admin removed the member's second factors (a lost phone or key).
    SECOND_FACTOR_RESET = "second-factor-reset", _l("Two-step verification was reset")


def label(value: StrEnum | str | None) -> str:
    """What a person reads for a coded value, translated ('' for None).

    A member knows its label. A bare identifier (from a form, a file, a JSON key) is looked
    up among the members; where two vocabularies share an identifier with different
    labels (a cancelled seminar, a cancelled registration), pass the member.
    """
    if value is None:
        return ""
    if isinstance(value, Vocabulary):
        return value.label
    member = _BY_IDENTIFIER.get(value)
    return member.label if member is not None else str(value)


def choices(enum: type[Vocabulary]) -> list[tuple[str, str]]:
    """(identifier, translated label) pairs for a select field."""
    return [(member.value, member.label) for member in enum]


def _first_by_identifier() -> dict[str, Vocabulary]:
    found: dict[str, Vocabulary] = {}
    for vocabulary in Vocabulary.__subclasses__():
        for member in vocabulary:
            found.setdefault(member.value, member)
    return found


_BY_IDENTIFIER = _first_by_identifier()
