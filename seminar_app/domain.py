"""The vocabulary of design.md's glossary: identifiers stored in the database."""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Series(StrEnum):
    TRADE_SECRET_IP_STRATEGY = "trade-secret-ip-strategy"  # noqa: S105 - a series name
    IP_UTILIZATION = "ip-utilization"


class Level(StrEnum):
    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    BEGINNER_INTERMEDIATE = "beginner-intermediate"
    WORKSHOP = "workshop"


class HostType(StrEnum):
    AGENCY = "agency"
    IN_COMPANY = "in-company"
    EXTERNAL = "external"


class Delivery(StrEnum):
    ONLINE = "online"
    IN_PERSON = "in-person"
    HYBRID = "hybrid"


class Admission(StrEnum):
    """How seats are given: in order of registration, or by a draw after a deadline."""

    FIRST_COME = "first-come"
    LOTTERY = "lottery"


class SeminarStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class Role(StrEnum):
    ORGANIZER = "organizer"
    LECTURER = "lecturer"
    RECEPTION = "reception"
    ADMIN = "admin"
    #: 知財戦略アドバイザー of the consultation desk (often also a lecturer).
    ADVISOR = "advisor"


#: What a person reads for each identifier; translated at render time.
LABELS = {
    Series.TRADE_SECRET_IP_STRATEGY: _l("Trade Secret & IP Strategy Seminar"),
    Series.IP_UTILIZATION: _l("IP Utilization Support Seminar"),
    Level.BEGINNER: _l("Beginner"),
    Level.INTERMEDIATE: _l("Intermediate"),
    Level.BEGINNER_INTERMEDIATE: _l("Beginner–intermediate"),
    Level.WORKSHOP: _l("Workshop"),
    HostType.AGENCY: _l("Agency-hosted seminar"),
    HostType.IN_COMPANY: _l("In-company seminar"),
    HostType.EXTERNAL: _l("Talk at another organization's seminar"),
    Delivery.ONLINE: _l("Online"),
    Delivery.IN_PERSON: _l("In person"),
    Delivery.HYBRID: _l("Hybrid"),
    SeminarStatus.DRAFT: _l("Draft"),
    SeminarStatus.PUBLISHED: _l("Published"),
    SeminarStatus.CANCELLED: _l("Cancelled"),
    Role.ORGANIZER: _l("Organizer"),
    Role.LECTURER: _l("Lecturer"),
    Role.RECEPTION: _l("Reception"),
    Role.ADMIN: _l("Administrator"),
    Role.ADVISOR: _l("IP strategy advisor"),
}


def label(value: StrEnum | str | None) -> str:
    """The translated label of a glossary identifier ('' for None)."""
    if value is None:
        return ""
    text = LABELS.get(value)  # a StrEnum member hashes like its value
    return str(text) if text is not None else str(value)


def choices(enum: type[StrEnum]) -> list[tuple[str, str]]:
    """(identifier, translated label) pairs for a select field."""
    return [(member.value, label(member)) for member in enum]


class RegistrationStatus(StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    #: Applied to a lottery seminar, waiting for the draw.
    APPLIED = "applied"


class Attribute(StrEnum):
    SME = "sme"
    LARGE_COMPANY = "large-company"
    INDIVIDUAL = "individual"
    UNIVERSITY = "university"
    SUPPORT_ORGANIZATION = "support-organization"
    PUBLIC_BODY = "public-body"
    OTHER = "other"


class EmployeeBand(StrEnum):
    """Breaks from which the SME Basic Act's thresholds (5, 20, 50, 100, 300) can be read."""

    B1_5 = "1-5"
    B6_20 = "6-20"
    B21_50 = "21-50"
    B51_100 = "51-100"
    B101_300 = "101-300"
    B301_1000 = "301-1000"
    B1001_PLUS = "1001+"


class HeardFrom(StrEnum):
    AGENCY_WEBSITE = "agency-website"
    NEWSLETTER = "newsletter"
    PREFECTURAL_DESK = "prefectural-desk"
    PARTNER = "partner-organization"
    SOCIAL_MEDIA = "social-media"
    COLLEAGUE = "colleague"
    OTHER = "other"


LABELS.update(
    {
        RegistrationStatus.CONFIRMED: _l("Confirmed"),
        RegistrationStatus.WAITLISTED: _l("Waitlisted"),
        RegistrationStatus.CANCELLED: _l("Cancelled registration"),
        RegistrationStatus.APPLIED: _l("Applied (lottery)"),
        Admission.FIRST_COME: _l("First come, first served"),
        Admission.LOTTERY: _l("Lottery after a deadline"),
        Attribute.SME: _l("Small or medium-sized company"),
        Attribute.LARGE_COMPANY: _l("Large company"),
        Attribute.INDIVIDUAL: _l("Individual"),
        Attribute.UNIVERSITY: _l("University or research body"),
        Attribute.SUPPORT_ORGANIZATION: _l("Support organization"),
        Attribute.PUBLIC_BODY: _l("Public body"),
        Attribute.OTHER: _l("Other"),
        HeardFrom.AGENCY_WEBSITE: _l("Our website"),
        HeardFrom.NEWSLETTER: _l("Our mail newsletter"),
        HeardFrom.PREFECTURAL_DESK: _l("A prefectural IP support desk"),
        HeardFrom.PARTNER: _l("A partner organization"),
        HeardFrom.SOCIAL_MEDIA: _l("Social media"),
        HeardFrom.COLLEAGUE: _l("A colleague or acquaintance"),
        HeardFrom.OTHER: _l("Other"),
    }
)
for _band in EmployeeBand:
    LABELS[_band] = _l("%(band)s employees", band=_band.value)
