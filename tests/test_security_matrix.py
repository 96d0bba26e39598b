"""The security matrix: every route the app registers, who may use it, and what protects it.

Every rule of `app.url_map` is classified in ROUTES below; a rule that is not there fails
`test_every_route_is_classified`, so a new route cannot escape the matrix. From the class
(never from recorded answers) each identity's expected outcome follows:

- public: anyone gets the page;
- token: the holder of the link gets the page; anyone else, logged in or not, who tries a
  similar but wrong token gets 404 (400 for the signed links that say "expired");
- staff(roles): anonymous is sent to the login page, a staff member without the role gets 403;
- lecturer-of / consultation-owner: like staff, and the object decides (another lecturer's
  seminar, another advisor's consultation: 403);
- api-public / api-staff: the JSON API; staff routes take a bearer token only, never the
  session cookie (the API is exempt from CSRF, so a cookie must not authenticate it);
- dev-only: the development mailbox, registered only without SMTP and never in production;
- static: files under /static.

Then: CSRF on every form (400 and nothing changed), the security headers on every page, the
session cookie's flags, and no link or ticket token in any log record.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from seminar_app.announcements.services import unsubscribe_token
from seminar_app.audit.models import AuditEvent
from seminar_app.auth.models import ApiToken, User
from seminar_app.auth.services import issue_api_token, make_reset_token
from seminar_app.catalogue.models import Seminar
from seminar_app.consultations import services as consultations
from seminar_app.consultations.models import Consultation
from seminar_app.dispatch import services as dispatch_services
from seminar_app.dispatch.models import DispatchRequest, DispatchStateChange
from seminar_app.domain import Admission, Audience, RecordingAudience, Role
from seminar_app.elearning.models import Recording
from seminar_app.extensions import csrf, db
from seminar_app.materials import services as materials
from seminar_app.materials.models import Material
from seminar_app.materials.validation import check_upload
from seminar_app.notifications.models import OutboxMessage
from seminar_app.registration.models import CalendarFeed, Registration
from seminar_app.registration.overview import overview_token
from seminar_app.surveys import services as surveys
from seminar_app.surveys.models import SurveyAnswer
from seminar_app.timeutil import fiscal_year_of, utcnow
from tests import dispatch_helpers
from tests.conftest import PASSWORD, login, make_app, post_form
from tests.registration_helpers import details_data, register

# --- the classification ------------------------------------------------------------------------

PUBLIC = "public"
TOKEN = "token"
STAFF = "staff"
LECTURER_OF = "lecturer-of"
CONSULTATION_OWNER = "consultation-owner"
API_PUBLIC = "api-public"
API_STAFF = "api-staff"
DEV_ONLY = "dev-only"
STATIC = "static"

ALLOWED = frozenset({200, 302, 303})


@dataclass(frozen=True)
class Access:
    kind: str
    methods: frozenset[str]
    roles: tuple[Role, ...] = ()
    #: Which of the world's secrets fills <token>.
    token: str | None = None
    #: The answer to a wrong token: 404, or 400 for signed links that can expire.
    bad_token_status: int = 404
    #: URL parameters taken from other objects than the default ones.
    params: Mapping[str, str] = field(default_factory=dict)
    #: Statuses that count as "allowed" for whoever may use the route.
    allowed: frozenset[int] = ALLOWED
    note: str = ""


def _access(kind: str, methods: str, *roles: Role, **kwargs) -> Access:
    return Access(kind, frozenset(methods.split()), tuple(roles), **kwargs)


def public(methods: str = "GET", **kwargs) -> Access:
    return _access(PUBLIC, methods, **kwargs)


def token(methods: str, which: str, **kwargs) -> Access:
    return _access(TOKEN, methods, token=which, **kwargs)


def staff(methods: str, *roles: Role, **kwargs) -> Access:
    return _access(STAFF, methods, *roles, **kwargs)


def api_public(methods: str = "GET", **kwargs) -> Access:
    return _access(API_PUBLIC, methods, **kwargs)


def api_staff(methods: str, *roles: Role, **kwargs) -> Access:
    return _access(API_STAFF, methods, *roles, **kwargs)


ORG, ADM, LEC, REC, ADV = Role.ORGANIZER, Role.ADMIN, Role.LECTURER, Role.RECEPTION, Role.ADVISOR
SIGNED = {"bad_token_status": 400}

#: Every rule, by (endpoint, rule): its access class and methods (HEAD and OPTIONS aside).
ROUTES: dict[tuple[str, str], Access] = {
    # the public site
    ("catalogue.index", "/"): public(),
    ("catalogue.detail", "/seminars/<slug>"): public(),
    ("registration.register", "/seminars/<slug>/register"): public("GET POST"),
    ("registration.resend_link", "/seminars/<slug>/resend"): public("POST"),
    ("registration.privacy", "/privacy"): public(),
    ("materials.public_download", "/seminars/<slug>/materials/<id:material_id>"): public(),
    ("elearning.public_open", "/seminars/<slug>/recordings/<id:recording_id>"): public(),
    ("calendars.public_feed", "/calendar/seminars.ics"): public(),
    ("certificates.verify_form", "/certificates/verify"): public(),
    ("certificates.verify", "/certificates/verify/<code>"): public(
        "GET POST",
        allowed=frozenset({404}),
        note="a made-up code: the honest answer is 404 (POST checks a printed name)",
    ),
    ("i18n.switch_language", "/language/<code>"): public(params={"code": "language"}),
    ("overview.ask", "/me"): public("GET POST"),
    ("health.healthz", "/healthz"): public(),
    ("favicon", "/favicon.ico"): public(),
    ("catalogue.robots", "/robots.txt"): public(),
    ("catalogue.sitemap", "/sitemap.xml"): public(),
    ("catalogue.open_data", "/opendata/events.csv"): public(),
    ("catalogue.open_data", "/opendata/events-<fy:fiscal_year>.csv"): public(),
    ("auth.login", "/login"): public("GET POST"),
    ("auth.forgot_password", "/password/forgot"): public("GET POST"),
    # participants' links: the token is the proof
    ("registration.manage", "/r/<token>"): token("GET", "manage"),
    ("registration.edit", "/r/<token>/edit"): token("GET POST", "manage"),
    ("registration.cancel", "/r/<token>/cancel"): token("GET POST", "manage"),
    ("registration.ticket", "/r/<token>/ticket.png"): token("GET", "manage"),
    # a group's contact (or a person registered alone) reaches their own group's people; a
    # member's link reaches none (tests/test_group_pages.py)
    ("registration.group_add", "/r/<token>/group/add"): token("GET POST", "manage"),
    ("registration.member_edit", "/r/<token>/group/<id:member_id>/edit"): token(
        "GET POST", "manage", params={"member_id": "registration_id"}
    ),
    ("registration.member_cancel", "/r/<token>/group/<id:member_id>/cancel"): token(
        "GET POST", "manage", params={"member_id": "registration_id"}
    ),
    ("calendars.registration_ics", "/r/<token>/calendar.ics"): token("GET", "manage"),
    ("certificates.download", "/r/<token>/certificate.pdf"): token(
        "GET",
        "manage",
        allowed=frozenset({403}),
        note="the seminar is still to come: the holder gets the 'no certificate yet' page",
    ),
    ("materials.participant_download", "/r/<token>/materials/<id:material_id>"): token(
        "GET", "manage"
    ),
    ("elearning.participant_open", "/r/<token>/recordings/<id:recording_id>"): token(
        "GET", "manage"
    ),
    ("surveys.answer", "/r/<token>/survey"): token(
        "GET POST",
        "manage",
        allowed=frozenset({403}),
        note="the holder has not attended yet: the survey's refusal page",
    ),
    ("online.join", "/j/<token>"): token("GET", "join"),
    ("calendars.private_feed", "/calendar/<token>.ics"): token("GET", "feed"),
    ("overview.show", "/me/<token>"): token("GET", "overview", **SIGNED),
    ("announcements.unsubscribe", "/unsubscribe/<token>"): token("GET", "unsubscribe"),
    ("announcements.unsubscribe_now", "/unsubscribe/<token>"): token("POST", "unsubscribe"),
    ("auth.reset_password", "/password/reset/<token>"): token("GET POST", "reset", **SIGNED),
    # lecturer dispatch: a company asks without an account; its contact's link reaches its
    # own request only
    ("dispatch.request_form", "/dispatch/request"): public("GET POST"),
    ("dispatch.manage", "/dispatch/r/<token>"): token("GET", "dispatch"),
    ("dispatch.withdraw", "/dispatch/r/<token>/withdraw"): token("GET POST", "dispatch"),
    # ... and the participants' link it forwards reaches that seminar's page, its materials
    # for them and its survey, and nothing of any other seminar
    ("dispatch.participants", "/dispatch/p/<token>"): token("GET", "participants"),
    (
        "dispatch.participant_material",
        "/dispatch/p/<token>/materials/<id:material_id>",
    ): token("GET", "participants", params={"material_id": "dispatch_material_id"}),
    ("dispatch.participant_survey", "/dispatch/p/<token>/survey"): token(
        "GET POST", "participants"
    ),
    # a staff member's feed of assignments: the token is the proof, for calendar apps
    ("dispatch.staff_feed", "/calendar/staff/<token>.ics"): token("GET", "staff-feed"),
    # any staff member
    ("auth.home", "/staff"): staff("GET"),
    ("auth.change_password", "/account/password"): staff("GET POST"),
    ("auth.logout", "/logout"): staff("POST"),
    ("auth.own_sessions", "/account/sessions"): staff("GET"),
    ("auth.end_other_sessions", "/account/sessions/end-others"): staff("POST"),
    ("auth.end_all_sessions", "/account/sessions/end-all"): staff("POST"),
    ("auth.api_tokens", "/account/tokens"): staff("GET POST"),
    ("auth.revoke_api_token", "/account/tokens/<id:token_id>/revoke"): staff("POST"),
    # two-step verification: the login's second step opens only after the password (a
    # pending login, no session); without one it sends to the login page like staff pages
    ("mfa.challenge", "/login/second-factor"): staff("GET POST"),
    ("mfa.passkey_login_options", "/login/second-factor/passkey/options"): staff("POST"),
    ("mfa.passkey_login", "/login/second-factor/passkey"): staff("POST"),
    ("mfa.account", "/account/second-factor"): staff("GET"),
    ("mfa.app_setup", "/account/second-factor/app"): staff("GET POST"),
    ("mfa.app_remove", "/account/second-factor/app/remove"): staff("POST"),
    ("mfa.recovery_codes", "/account/second-factor/recovery-codes"): staff("POST"),
    ("mfa.passkey_options", "/account/second-factor/passkeys/options"): staff("POST"),
    ("mfa.passkey_add", "/account/second-factor/passkeys"): staff("POST"),
    (
        "mfa.passkey_remove",
        "/account/second-factor/passkeys/<id:passkey_id>/remove",
    ): staff("POST"),
    # the organizer console
    ("console.index", "/console/"): staff("GET", ORG),
    ("console.new", "/console/seminars/new"): staff("GET POST", ORG),
    ("console.seminar", "/console/seminars/<id:seminar_id>"): staff("GET", ORG),
    ("console.edit", "/console/seminars/<id:seminar_id>/edit"): staff("GET POST", ORG),
    ("console.duplicate", "/console/seminars/<id:seminar_id>/duplicate"): staff("POST", ORG),
    ("console.publish", "/console/seminars/<id:seminar_id>/publish"): staff("POST", ORG),
    ("console.unpublish", "/console/seminars/<id:seminar_id>/unpublish"): staff("POST", ORG),
    ("console.cancel", "/console/seminars/<id:seminar_id>/cancel"): staff("GET POST", ORG),
    ("console.registrations", "/console/seminars/<id:seminar_id>/registrations"): staff("GET", ORG),
    (
        "console.export",
        "/console/seminars/<id:seminar_id>/registrations.<any(csv, xlsx):extension>",
    ): staff("GET", ORG),
    ("console.lottery_page", "/console/seminars/<id:seminar_id>/lottery"): staff(
        "GET", ORG, params={"seminar_id": "lottery_seminar_id"}
    ),
    ("console.draw_lottery", "/console/seminars/<id:seminar_id>/lottery"): staff("POST", ORG),
    (
        "console.cancel_registration",
        "/console/registrations/<id:registration_id>/cancel",
    ): staff("POST", ORG),
    (
        "console.promote_registration",
        "/console/registrations/<id:registration_id>/promote",
    ): staff("POST", ORG),
    ("console.change_capacity", "/console/seminars/<id:seminar_id>/capacity"): staff("POST", ORG),
    ("console.message", "/console/seminars/<id:seminar_id>/message"): staff("POST", ORG),
    ("console.attendance_page", "/console/seminars/<id:seminar_id>/attendance"): staff("GET", ORG),
    (
        "console.attendance_export",
        "/console/seminars/<id:seminar_id>/attendance.<any(csv, xlsx):extension>",
    ): staff("GET", ORG),
    ("console.head_count", "/console/seminars/<id:seminar_id>/head-count"): staff("POST", ORG),
    ("console.attendee_report", "/console/seminars/<id:seminar_id>/attendee-report"): staff(
        "POST", ORG
    ),
    ("elearning.manage", "/console/seminars/<id:seminar_id>/recordings"): staff("GET POST", ORG),
    ("elearning.publish", "/console/recordings/<id:recording_id>/publish"): staff("POST", ORG),
    ("surveys.console", "/console/seminars/<id:seminar_id>/survey"): staff("GET", ORG),
    ("surveys.create", "/console/seminars/<id:seminar_id>/survey"): staff("POST", ORG),
    (
        "surveys.export",
        "/console/seminars/<id:seminar_id>/survey.<any(csv, xlsx):extension>",
    ): staff("GET", ORG),
    ("surveys.set_closing", "/console/seminars/<id:seminar_id>/survey/closing"): staff("POST", ORG),
    ("surveys.add_question", "/console/seminars/<id:seminar_id>/survey/questions"): staff(
        "POST", ORG
    ),
    (
        "surveys.move_question",
        "/console/seminars/<id:seminar_id>/survey/questions/<key>/move",
    ): staff("POST", ORG),
    (
        "surveys.remove_question",
        "/console/seminars/<id:seminar_id>/survey/questions/<key>/remove",
    ): staff("POST", ORG),
    ("announcements.console", "/console/announcements"): staff("GET POST", ORG),
    ("reports.fiscal_year", "/console/reports/"): staff("GET", ORG),
    ("reports.export", "/console/reports/<fy:fy>.<any(csv, xlsx):extension>"): staff("GET", ORG),
    (
        "reports.export",
        "/console/reports/<fy:fy>-<any(seminars, consultations, dispatch):table>"
        ".<any(csv):extension>",
    ): staff("GET", ORG),
    ("reports.activity_deck", "/console/reports/<fy:fy>/activity.pptx"): staff("GET", ORG),
    ("reports.historic_import", "/console/reports/historic"): staff("POST", ORG),
    ("reports.targets", "/console/reports/<fy:fy>/targets"): staff("GET POST", ORG),
    ("reports.commentary", "/console/reports/<fy:fy>/commentary"): staff("GET POST", ORG),
    # the consultation desk
    ("consultations.index", "/console/consultations/"): staff("GET", ORG, ADV),
    ("consultations.new", "/console/consultations/new"): staff("GET POST", ORG, ADV),
    ("consultations.show", "/console/consultations/<int:consultation_id>"): staff("GET", ORG, ADV),
    ("consultations.notes", "/console/consultations/<int:consultation_id>/notes"): _access(
        CONSULTATION_OWNER, "GET", ORG, ADV
    ),
    ("consultations.edit", "/console/consultations/<int:consultation_id>/edit"): _access(
        CONSULTATION_OWNER, "GET POST", ORG, ADV
    ),
    ("consultations.clients", "/console/consultations/clients"): staff("GET", ORG, ADV),
    ("consultations.client", "/console/consultations/clients/<int:client_id>"): staff(
        "GET", ORG, ADV
    ),
    (
        "consultations.export",
        "/console/consultations/<fy:fy>.<any(csv, xlsx):extension>",
    ): staff("GET", ORG, ADV),
    ("consultations.import_file", "/console/consultations/import"): staff("POST", ORG),
    ("consultations.desks_list", "/console/consultations/desks"): staff("GET", ORG),
    ("consultations.add_desk", "/console/consultations/desks"): staff("POST", ORG),
    ("consultations.desk_page", "/console/consultations/desks/<desk_code>"): staff("GET", ORG),
    ("consultations.rename_desk", "/console/consultations/desks/<desk_code>"): staff("POST", ORG),
    ("consultations.move_desk", "/console/consultations/desks/<desk_code>/move"): staff(
        "POST", ORG
    ),
    ("consultations.set_desk_active", "/console/consultations/desks/<desk_code>/active"): staff(
        "POST", ORG
    ),
    ("consultations.delete_desk", "/console/consultations/desks/<desk_code>/delete"): staff(
        "POST", ORG
    ),
    ("consultations.record_totals", "/console/consultations/desks/<desk_code>/totals"): staff(
        "POST", ORG
    ),
    (
        "consultations.remove_totals",
        "/console/consultations/desks/<desk_code>/totals/<fy:fy>/delete",
    ): staff("POST", ORG),
    # the organizers' queue of dispatch requests
    ("dispatch.queue", "/console/dispatch/"): staff("GET", ORG),
    ("dispatch.show", "/console/dispatch/<id:request_id>"): staff("GET", ORG),
    ("dispatch.change_state", "/console/dispatch/<id:request_id>/state"): staff("POST", ORG),
    ("dispatch.schedule", "/console/dispatch/<id:request_id>/schedule"): staff("POST", ORG),
    ("dispatch.record_delivery", "/console/dispatch/<id:request_id>/delivery"): staff("POST", ORG),
    # personal data: disclosure, correction, deletion (organizers only)
    ("privacy.index", "/console/privacy/"): staff("GET POST", ORG),
    ("privacy.notice", "/console/privacy/notice"): staff("GET", ORG),
    ("privacy.person", "/console/privacy/person/<int:registration_id>"): staff("GET", ORG),
    ("privacy.export", "/console/privacy/person/<int:registration_id>/export"): staff("GET", ORG),
    ("privacy.correct", "/console/privacy/registration/<int:registration_id>/correct"): staff(
        "GET POST", ORG
    ),
    ("privacy.delete", "/console/privacy/person/<int:registration_id>/delete"): staff(
        "GET POST", ORG
    ),
    # staff accounts
    ("admin.index", "/console/staff/"): staff("GET", ADM),
    ("admin.new", "/console/staff/new"): staff("GET POST", ADM),
    ("admin.edit", "/console/staff/<id:user_id>"): staff("GET POST", ADM),
    ("admin.reset_second_factor", "/console/staff/<id:user_id>/second-factor/reset"): staff(
        "POST", ADM
    ),
    # the check-in desk
    ("desk.index", "/desk/"): staff("GET", ORG, REC),
    ("desk.name_desk", "/desk/name"): staff("POST", ORG, REC),
    ("desk.desk", "/desk/<id:seminar_id>"): staff("GET", ORG, REC),
    ("desk.count", "/desk/<id:seminar_id>/count"): staff("GET", ORG, REC),
    ("desk.scan", "/desk/<id:seminar_id>/scan"): staff("POST", ORG, REC),
    ("desk.photo", "/desk/<id:seminar_id>/photo"): staff("POST", ORG, REC),
    (
        "desk.check_in",
        "/desk/<id:seminar_id>/registrations/<id:registration_id>/check-in",
    ): staff("POST", ORG, REC),
    ("desk.undo", "/desk/<id:seminar_id>/registrations/<id:registration_id>/undo"): staff(
        "POST", ORG, REC
    ),
    ("desk.walk_in", "/desk/<id:seminar_id>/walk-in"): staff("GET POST", ORG, REC),
    ("desk.sheet", "/desk/<id:seminar_id>/sheet"): staff("GET", ORG, REC),
    # the offline desk: its service worker (scope /desk/), the roster it keeps, and the
    # check-ins it kept, sent as JSON with the CSRF token in a header
    ("desk.service_worker", "/desk/service-worker.js"): staff("GET", ORG, REC),
    ("desk.roster", "/desk/<id:seminar_id>/roster"): staff("GET", ORG, REC),
    ("desk.sync", "/desk/<id:seminar_id>/sync"): staff("POST", ORG, REC),
    # lecturers and advisors (SPEAKERS): the materials of the seminars they are named
    # lecturers of (organizers: all)
    ("materials.lecturer_home", "/lecturer/"): staff("GET", LEC, ADV, ORG),
    # lecturers and advisors who lecture: their assignments and the address of their feed
    ("dispatch.assignments", "/lecturer/assignments"): staff("GET", LEC, ADV),
    ("dispatch.renew_feed", "/lecturer/assignments/feed"): staff("POST", LEC, ADV),
    ("materials.seminar_materials", "/lecturer/seminars/<id:seminar_id>"): _access(
        LECTURER_OF, "GET POST", LEC, ADV, ORG
    ),
    ("materials.replace", "/lecturer/materials/<id:material_id>/replace"): _access(
        LECTURER_OF, "POST", LEC, ADV, ORG
    ),
    ("materials.delete", "/lecturer/materials/<id:material_id>/delete"): _access(
        LECTURER_OF, "GET POST", LEC, ADV, ORG
    ),
    ("materials.staff_download", "/lecturer/materials/<id:material_id>/download"): _access(
        LECTURER_OF, "GET", LEC, ADV, ORG
    ),
    # the JSON API (bearer tokens, exempt from CSRF)
    ("api.openapi", "/api/v1/openapi.json"): api_public(),
    ("api.list_seminars", "/api/v1/seminars"): api_public(),
    ("api.get_seminar", "/api/v1/seminars/<id:seminar_id>"): api_public(),
    ("api.create_registration", "/api/v1/seminars/<id:seminar_id>/registrations"): api_public(
        "POST"
    ),
    ("api.create_seminar", "/api/v1/seminars"): api_staff("POST", ORG),
    ("api.update_seminar", "/api/v1/seminars/<id:seminar_id>"): api_staff("PATCH", ORG),
    ("api.list_registrations", "/api/v1/seminars/<id:seminar_id>/registrations"): api_staff(
        "GET", ORG
    ),
    ("api.create_checkin", "/api/v1/checkins"): api_staff("POST", ORG, REC),
    ("api.fiscal_year_report", "/api/v1/reports/fiscal-years/<fy:fiscal_year>"): api_staff(
        "GET", ORG
    ),
    ("api.send_announcement", "/api/v1/announcements"): api_staff("POST", ORG),
    ("api.upload_material", "/api/v1/seminars/<id:seminar_id>/materials"): api_staff(
        "POST", LEC, ADV, ORG
    ),
    ("api.add_recording", "/api/v1/seminars/<id:seminar_id>/recordings"): api_staff("POST", ORG),
    ("api.cancel_registration", "/api/v1/registrations/<id:registration_id>/cancel"): api_staff(
        "POST", ORG
    ),
    ("api.promote_registration", "/api/v1/registrations/<id:registration_id>/promote"): api_staff(
        "POST", ORG
    ),
    ("api.list_attendance", "/api/v1/seminars/<id:seminar_id>/attendance"): api_staff("GET", ORG),
    ("api.list_consultations", "/api/v1/consultations"): api_staff("GET", ORG, ADV),
    ("api.create_consultation", "/api/v1/consultations"): api_staff("POST", ORG, ADV),
    ("api.get_consultation", "/api/v1/consultations/<id:consultation_id>"): api_staff(
        "GET", ORG, ADV
    ),
    ("api.update_consultation", "/api/v1/consultations/<id:consultation_id>"): api_staff(
        "PATCH", ORG, ADV
    ),
    ("api.list_clients", "/api/v1/clients"): api_staff("GET", ORG, ADV),
    ("api.get_client", "/api/v1/clients/<id:client_id>"): api_staff("GET", ORG, ADV),
    # lecturer dispatch for scripts: organizers only
    ("api.list_dispatch_requests", "/api/v1/dispatch-requests"): api_staff("GET", ORG),
    ("api.get_dispatch_request", "/api/v1/dispatch-requests/<id:request_id>"): api_staff(
        "GET", ORG
    ),
    ("api.change_dispatch_request", "/api/v1/dispatch-requests/<id:request_id>"): api_staff(
        "PATCH", ORG
    ),
    # development only (no SMTP_HOST, never in production)
    ("devmail.index", "/dev/mailbox"): _access(DEV_ONLY, "GET"),
    ("devmail.show", "/dev/mailbox/<name>"): _access(
        DEV_ONLY, "GET", allowed=frozenset({404}), note="no such mail: 404"
    ),
    ("devmail.raw", "/dev/mailbox/<name>/raw"): _access(
        DEV_ONLY, "GET", allowed=frozenset({404}), note="no such mail: 404"
    ),
    ("static", "/static/<path:filename>"): _access(STATIC, "GET"),
}

#: The only POST routes without a CSRF token, and why.
CSRF_EXEMPT = {
    "api": "the JSON API authenticates by bearer token, never by the session cookie",
    "announcements.unsubscribe_now": "RFC 8058 one-click unsubscribe: the signed path is the proof",
}

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def methods_of(rule) -> frozenset[str]:
    return frozenset(rule.methods - IGNORED_METHODS)


def test_every_route_is_classified(app: Flask):
    registered = {}
    for rule in app.url_map.iter_rules():
        registered[(rule.endpoint, rule.rule)] = methods_of(rule)
    unclassified = sorted(
        f"{sorted(methods)} {rule} ({endpoint})"
        for (endpoint, rule), methods in registered.items()
        if (endpoint, rule) not in ROUTES
    )
    gone = sorted(
        f"{endpoint} {rule}" for endpoint, rule in ROUTES if (endpoint, rule) not in registered
    )
    changed = sorted(
        f"{endpoint} {rule}: app {sorted(methods)}, "
        f"table {sorted(ROUTES[(endpoint, rule)].methods)}"
        for (endpoint, rule), methods in registered.items()
        if (endpoint, rule) in ROUTES and ROUTES[(endpoint, rule)].methods != methods
    )
    problems = (
        [f"not classified: {line}" for line in unclassified]
        + [f"classified but no longer registered: {line}" for line in gone]
        + [f"methods differ: {line}" for line in changed]
    )
    assert not problems, "\n".join(problems)


# --- the world the matrix walks ----------------------------------------------------------------

#: Cheap to check, so that nine staff accounts per test cost nothing.
CHEAP_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

#: identity -> the roles of its account (None: no account, not logged in).
IDENTITIES: dict[str, tuple[Role, ...] | None] = {
    "anonymous": None,
    "participant": None,
    "lecturer": (Role.LECTURER,),
    "other-lecturer": (Role.LECTURER,),
    "advisor": (Role.ADVISOR,),
    "other-advisor": (Role.ADVISOR,),
    "reception": (Role.RECEPTION,),
    "organizer": (Role.ORGANIZER,),
    "admin": (Role.ADMIN,),
}


def tampered(secret: str) -> str:
    """A token of the same shape that is not the real one.

    A character a few places from the end changes: the last character of base64 may carry
    only padding bits, so a signed token would still decode to the same signature.
    """
    position = len(secret) - 5
    swapped = "A" if secret[position] != "A" else "B"
    return secret[:position] + swapped + secret[position + 1 :]


@pytest.fixture
def world(app, db_session, make_seminar, make_user, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    users = {}
    for name, roles in IDENTITIES.items():
        if roles is not None:
            user = make_user(*roles, password=None, email=f"{name}@example.org")
            user.password_hash = CHEAP_HASH
            users[name] = user
    seminar = make_seminar(lecturers=[users["lecturer"]])
    lottery_seminar = make_seminar(admission=Admission.LOTTERY)
    registration = register(db_session, seminar)
    assert registration.status == "confirmed", registration.status
    upload = check_upload("配布資料.pdf", PDF, app.config["MAX_CONTENT_LENGTH"])
    material = materials.add_material(
        db_session, seminar, "配布資料", Audience.EVERYONE, None, upload, by=users["lecturer"]
    )
    recording = Recording(
        seminar_id=seminar.id,
        title="録画",
        audience=RecordingAudience.EVERYONE,
        url="https://eplat.example.jp/v/1",
        published_at=utcnow() - timedelta(hours=1),
    )
    db_session.add(recording)
    surveys.create_survey(db_session, seminar)
    consultation = consultations.record_consultation(
        db_session,
        consultations.ConsultationInput(
            held_on=date(2026, 10, 1),
            channel="online",
            attribute="sme",
            topics=["trade-secret-management"],
            source="prefectural-desk",
            step=3,
            organization="株式会社マトリクス商事",
            notes="配合表の管理について",
        ),
        advisor=users["advisor"],
        by=users["advisor"],
    )
    dispatch = dispatch_helpers.submit(db_session)
    # Scheduled and held: its participants' link shows the seminar, a material, the survey.
    held_at = utcnow() - timedelta(days=2)
    dispatch_seminar = dispatch_services.schedule(
        db_session,
        dispatch,
        starts_at=held_at,
        ends_at=held_at + timedelta(hours=2),
        delivery="in-person",
        staff=[users["lecturer"]],
        by=None,
        now=held_at - timedelta(days=7),
    )
    dispatch_material = materials.add_material(
        db_session, dispatch_seminar, "社内向け資料", Audience.EVERYONE, None, upload, by=None
    )
    surveys.create_survey(db_session, dispatch_seminar)
    db_session.commit()
    feed_token = db_session.scalar(
        select(CalendarFeed.token).where(CalendarFeed.email_key == registration.email_key)
    )
    assert feed_token
    secrets = {
        "manage": registration.manage_token,
        "join": registration.join_token,
        "feed": feed_token,
        "overview": overview_token(registration.email_key),
        "unsubscribe": unsubscribe_token(registration.email_key),
        "reset": make_reset_token(users["organizer"]),
        "dispatch": dispatch.token,
        "participants": dispatch.participant_token,
        "staff-feed": dispatch_services.ensure_staff_feed(db_session, users["lecturer"]),
    }
    values = {
        "slug": seminar.slug,
        "seminar_id": seminar.id,
        "lottery_seminar_id": lottery_seminar.id,
        "registration_id": registration.id,
        "material_id": material.id,
        "dispatch_material_id": dispatch_material.id,
        "recording_id": recording.id,
        "consultation_id": consultation.id,
        "client_id": consultation.client_id,
        "request_id": dispatch.id,
        "user_id": users["organizer"].id,
        # Only posted without a CSRF token (refused before the view): no row is needed.
        "token_id": 1,
        "passkey_id": 1,
        "fy": fiscal_year_of(utcnow()),
        "fiscal_year": fiscal_year_of(utcnow()),
        "extension": "csv",
        "table": "seminars",
        "desk_code": "main",
        "code": "ABCD-EFGH-JKLM-NPQR-STUV",
        "language": "en",
        "name": "20260101T000000000000.eml",
        "filename": "app.css",
        "key": "q1",
    }
    return SimpleNamespace(
        users=users,
        seminar=seminar,
        registration=registration,
        secrets=secrets,
        values=values,
    )


PARAM = re.compile(r"<(?:[^>]*:)?(\w+)>")


def url_for_rule(rule: str, access: Access, world, *, real_token: bool) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1)
        if name == "token":
            secret = world.secrets[access.token]
            return secret if real_token else tampered(secret)
        source = access.params.get(name, name)
        return str(world.values[source])

    return PARAM.sub(value, rule)


def client_for(app, world, identity: str):
    client = app.test_client()
    if IDENTITIES[identity] is not None:
        login(client, world.users[identity])
    return client


# --- expected outcomes, from the classification only --------------------------------------------


def expected_outcome(access: Access, identity: str) -> str:
    roles = IDENTITIES[identity]
    if access.kind in (PUBLIC, API_PUBLIC, STATIC, DEV_ONLY):
        return "allowed"
    if access.kind == TOKEN:
        return "allowed" if identity == "participant" else "bad-token"
    if access.kind == API_STAFF:
        return "unauthorized"  # a session is never enough for the API
    if roles is None:
        return "login"
    if access.kind == STAFF:
        return "allowed" if not access.roles or set(roles) & set(access.roles) else "forbidden"
    if access.kind == LECTURER_OF:
        return "allowed" if identity in ("organizer", "lecturer") else "forbidden"
    if access.kind == CONSULTATION_OWNER:
        return "allowed" if identity in ("organizer", "advisor") else "forbidden"
    raise AssertionError(f"unknown access class {access.kind}")


def is_login_redirect(response) -> bool:
    return response.status_code in (301, 302, 303) and urlsplit(
        response.headers.get("Location", "")
    ).path.startswith("/login")


def outcome_problem(access: Access, expected: str, response) -> str | None:
    status = response.status_code
    if expected == "allowed":
        if status in access.allowed and not is_login_redirect(response):
            return None
    elif expected == "login":
        if is_login_redirect(response):
            return None
    elif expected == "forbidden":
        if status == 403:
            return None
    elif expected == "bad-token":
        if status == access.bad_token_status:
            return None
    elif expected == "unauthorized" and status == 401:
        return None
    where = response.headers.get("Location")
    return f"expected {expected}, got {status}" + (f" -> {where}" if where else "")


def get_routes(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        access = ROUTES.get((rule.endpoint, rule.rule))
        if access is not None and "GET" in access.methods:
            yield rule, access


def walk(app, world, identity):
    """Each GET route as `identity`: (rule, access, url, response)."""
    client = client_for(app, world, identity)
    for rule, access in get_routes(app):
        url = url_for_rule(rule.rule, access, world, real_token=identity == "participant")
        yield rule, access, url, client.get(url)


@pytest.mark.parametrize("identity", list(IDENTITIES))
def test_access_matrix(app, world, identity):
    problems = []
    checked = 0
    for rule, access, url, response in walk(app, world, identity):
        checked += 1
        problem = outcome_problem(access, expected_outcome(access, identity), response)
        if problem:
            problems.append(f"{identity} GET {url} [{rule.endpoint}]: {problem}")
    assert checked > 60
    assert not problems, "\n".join(problems)


def test_advisors_see_notes_only_in_exports_an_organizer_asks_for(app, world):
    fy = world.values["fy"]
    for identity, status in (("advisor", 403), ("organizer", 200)):
        client = client_for(app, world, identity)
        response = client.get(f"/console/consultations/{fy}.csv?notes=1")
        assert response.status_code == status, identity


def test_the_api_takes_bearer_tokens_and_checks_their_roles(app, world, db_session):
    tokens = {
        name: issue_api_token(db_session, world.users[name])
        for name in ("organizer", "reception", "lecturer")
    }
    db_session.commit()
    client = app.test_client()
    fy = world.values["fy"]
    seminar_id = world.values["seminar_id"]
    for url in (
        f"/api/v1/seminars/{seminar_id}/registrations",
        f"/api/v1/reports/fiscal-years/{fy}",
    ):
        assert client.get(url).status_code == 401, url
        assert client.get(url, headers={"Authorization": "Bearer nope"}).status_code == 401
        for name, status in (("organizer", 200), ("reception", 403), ("lecturer", 403)):
            response = client.get(url, headers={"Authorization": f"Bearer {tokens[name]}"})
            assert response.status_code == status, (url, name, response.get_json())
    assert db_session.scalar(select(func.count()).select_from(ApiToken)) == 3


def test_the_development_mailbox_never_exists_in_production(production_app):
    endpoints = {rule.endpoint for rule in production_app.url_map.iter_rules()}
    dev_only = {endpoint for (endpoint, _rule), a in ROUTES.items() if a.kind == DEV_ONLY}
    assert dev_only and not dev_only & endpoints


# --- CSRF ----------------------------------------------------------------------------------------

STATE_TABLES = (
    Registration,
    DispatchRequest,
    DispatchStateChange,
    AuditEvent,
    OutboxMessage,
    Seminar,
    Material,
    Recording,
    Consultation,
    User,
    ApiToken,
    SurveyAnswer,
)


def state(session) -> dict[str, object]:
    counts = {
        model.__tablename__: session.scalar(select(func.count()).select_from(model))
        for model in STATE_TABLES
    }
    counts["registration statuses"] = sorted(session.scalars(select(Registration.status)))
    counts["seminar statuses"] = sorted(session.scalars(select(Seminar.status)))
    # An in-company seminar has no capacity (None).
    counts["capacities"] = sorted(
        session.scalars(select(Seminar.capacity)), key=lambda capacity: (capacity is None, capacity)
    )
    return counts


def csrf_is_exempt(app, rule, method: str) -> bool:
    """What CSRFProtect itself decides for this rule (its blueprint and view exemptions)."""
    url = url_for_rule(rule.rule, ROUTES[(rule.endpoint, rule.rule)], EXAMPLE, real_token=True)
    with app.test_request_context(url, method=method):
        return csrf._is_exempt()


#: Harmless values to build a URL of any rule without a database.
EXAMPLE = SimpleNamespace(
    secrets={
        name: "x" * 43
        for name in (
            "manage",
            "join",
            "feed",
            "overview",
            "unsubscribe",
            "reset",
            "dispatch",
            "participants",
            "staff-feed",
        )
    },
    values=dict.fromkeys(
        ("slug", "code", "language", "name", "filename", "key", "extension", "table", "desk_code"),
        "csv",
    )
    | dict.fromkeys(
        (
            "seminar_id",
            "lottery_seminar_id",
            "registration_id",
            "material_id",
            "dispatch_material_id",
            "recording_id",
            "consultation_id",
            "client_id",
            "request_id",
            "user_id",
            "token_id",
            "passkey_id",
        ),
        1,
    )
    | {"fy": 2026, "fiscal_year": 2026},
)


def exempt_reason(endpoint: str) -> str | None:
    return CSRF_EXEMPT.get(endpoint) or CSRF_EXEMPT.get(endpoint.rpartition(".")[0])


def unsafe_routes(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        for method in sorted(methods_of(rule) - {"GET"}):
            yield rule, method


def test_csrf_protection_is_on_in_the_tests(app):
    assert app.config.get("WTF_CSRF_ENABLED", True) is True
    assert app.config.get("WTF_CSRF_CHECK_DEFAULT", True) is True


def test_the_only_csrf_exemptions_are_the_api_and_one_click_unsubscribe(app):
    exempt = {
        rule.endpoint for rule, method in unsafe_routes(app) if csrf_is_exempt(app, rule, method)
    }
    unexplained = sorted(endpoint for endpoint in exempt if exempt_reason(endpoint) is None)
    assert not unexplained, f"exempt from CSRF without a reason in CSRF_EXEMPT: {unexplained}"
    api_writes = {
        rule.endpoint for rule, _method in unsafe_routes(app) if rule.rule.startswith("/api/v1/")
    }
    assert api_writes
    assert exempt == api_writes | {"announcements.unsubscribe_now"}


ENGLISH = {"Accept-Language": "en"}
CSRF_REFUSAL = "The form had expired or was incomplete"


@pytest.mark.parametrize("identity", ["anonymous", "organizer"])
def test_every_form_refuses_a_post_without_csrf_token(app, world, db_session, identity):
    client = client_for(app, world, identity)
    before = state(db_session)
    problems = []
    posted = 0
    for rule, method in unsafe_routes(app):
        if csrf_is_exempt(app, rule, method):
            continue
        access = ROUTES[(rule.endpoint, rule.rule)]
        url = url_for_rule(rule.rule, access, world, real_token=True)
        data = {"title": "x", "email": "person1@example.jp", "action": "send", "capacity": "1"}
        response = client.open(url, method=method, data=data, headers=ENGLISH)
        posted += 1
        # 400 alone could be the form's own validation: the CSRF refusal says so.
        if response.status_code != 400 or CSRF_REFUSAL not in response.get_data(as_text=True):
            problems.append(f"{identity} {method} {url} [{rule.endpoint}]: {response.status_code}")
    db_session.expire_all()
    assert posted > 40
    assert not problems, "accepted without a CSRF token:\n" + "\n".join(problems)
    assert state(db_session) == before


def test_exempt_routes_still_need_their_own_proof(app, world, db_session):
    client = client_for(app, world, "organizer")  # a session cookie must not be enough
    before = state(db_session)
    for rule, method in unsafe_routes(app):
        if (
            not rule.endpoint.startswith("api.")
            or ROUTES[(rule.endpoint, rule.rule)].kind != API_STAFF
        ):
            continue
        url = url_for_rule(rule.rule, ROUTES[(rule.endpoint, rule.rule)], world, real_token=True)
        response = client.open(url, method=method, json={"title": "x"})
        assert response.status_code == 401, (method, url, response.status_code)
    db_session.expire_all()
    assert state(db_session) == before
    # One-click unsubscribe without CSRF token works with the signed path, not without it.
    good = world.secrets["unsubscribe"]
    anonymous = app.test_client()
    refused = anonymous.post(
        f"/unsubscribe/{tampered(good)}", data={"List-Unsubscribe": "One-Click"}
    )
    assert refused.status_code == 404
    accepted = anonymous.post(f"/unsubscribe/{good}", data={"List-Unsubscribe": "One-Click"})
    assert accepted.status_code == 200


# --- headers and cookies -------------------------------------------------------------------------

#: Referrer policies that never send a page's path to another site.
PATH_STAYS_HOME = {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}
#: A script the CSP would block: inline, not a data block (JSON-LD is data, never run).
INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/ld\+json\")[^>]*>", re.IGNORECASE
)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)


def csp_directives(value: str) -> dict[str, list[str]]:
    directives = {}
    for part in value.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def header_problems(response) -> list[str]:
    problems = []
    csp = response.headers.get("Content-Security-Policy")
    if not csp:
        problems.append("no Content-Security-Policy")
    else:
        directives = csp_directives(csp)
        script = directives.get("script-src", directives.get("default-src", []))
        if "'unsafe-inline'" in script or "'unsafe-eval'" in script:
            problems.append(f"script-src allows inline or eval: {script}")
        if directives.get("frame-ancestors") not in (["'none'"], ["'self'"]):
            problems.append(f"frame-ancestors: {directives.get('frame-ancestors')}")
        if directives.get("object-src") != ["'none'"]:
            problems.append(f"object-src: {directives.get('object-src')}")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"X-Content-Type-Options: {response.headers.get('X-Content-Type-Options')}")
    policy = response.headers.get("Referrer-Policy")
    if policy not in PATH_STAYS_HOME:
        problems.append(f"Referrer-Policy: {policy}")
    if response.mimetype == "text/html":
        html = response.get_data(as_text=True)
        if INLINE_SCRIPT.search(html):
            problems.append("inline <script> (blocked by the CSP)")
        if EVENT_HANDLER.search(html):
            problems.append("inline event handler attribute (blocked by the CSP)")
    return problems


@pytest.mark.parametrize("identity", ["anonymous", "participant", "organizer", "admin"])
def test_security_headers_on_every_page(app, world, identity):
    problems = []
    for _rule, access, url, response in walk(app, world, identity):
        for problem in header_problems(response):
            problems.append(f"{identity} GET {url} ({response.status_code}): {problem}")
        cache = response.headers.get("Cache-Control") or ""
        if access.kind == TOKEN and identity == "participant" and "no-store" not in cache:
            problems.append(f"token page {url} may be stored by caches: {cache!r}")
    assert not problems, "\n".join(problems)


def cookie_attributes(response, name: str) -> dict[str, str] | None:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(f"{name}="):
            parts = [part.strip() for part in header.split(";")]
            return {part.partition("=")[0].lower(): part.partition("=")[2] for part in parts[1:]}
    return None


def test_the_session_cookie_is_httponly_and_lax(app, world):
    client = app.test_client()
    first = client.get("/login")
    cookie = cookie_attributes(first, app.config.get("SESSION_COOKIE_NAME", "session"))
    assert cookie is not None, first.headers.getlist("Set-Cookie")
    assert "httponly" in cookie and cookie.get("samesite") == "Lax"
    response = login(client, world.users["organizer"])
    cookie = cookie_attributes(response, "session")
    assert cookie is not None and "httponly" in cookie and cookie.get("samesite") == "Lax"


@pytest.fixture
def production_app(monkeypatch, tmp_path):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "p" * 48)
    monkeypatch.setenv("BASE_URL", "https://seminar.example.org")
    monkeypatch.setenv("SMTP_HOST", "smtp.example.org")
    monkeypatch.setenv("MAIL_FROM", "seminar@example.org")
    application = make_app(
        f"sqlite:///{tmp_path / 'production.db'}",
        SECRET_KEY="p" * 48,
        BASE_URL="https://seminar.example.org",
        UPLOAD_FOLDER=str(tmp_path / "uploads"),
    )
    assert application.config["ENV_NAME"] == "production"
    with application.app_context():
        db.create_all()
        user = User(email="prod-organizer@example.org", display_name="本番 職員")
        user.roles = {Role.ORGANIZER}
        user.password_hash = CHEAP_HASH
        db.session.add(user)
        db.session.commit()
        yield application
        db.session.remove()
        db.engine.dispose()


def test_production_cookies_are_secure_httponly_and_lax(production_app):
    client = production_app.test_client()
    https = {"base_url": "https://seminar.example.org"}
    page = client.get("/login", **https)
    cookie = cookie_attributes(page, "session")
    assert cookie is not None, page.headers.getlist("Set-Cookie")
    assert {"secure", "httponly"} <= cookie.keys() and cookie["samesite"] == "Lax", cookie
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    assert token
    response = client.post(
        "/login",
        data={
            "email": "prod-organizer@example.org",
            "password": PASSWORD,
            "remember": "y",
            "csrf_token": token.group(1),
        },
        # Over HTTPS, Flask-WTF also wants a same-origin Referer (WTF_CSRF_SSL_STRICT): a
        # reason why pages with forms cannot use Referrer-Policy: no-referrer.
        headers={"Referer": "https://seminar.example.org/login"},
        **https,
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    for name in ("session", "remember_token"):
        cookie = cookie_attributes(response, name)
        if cookie is None and name == "remember_token":
            continue  # the login form offers no "remember me"
        assert cookie is not None, (name, response.headers.getlist("Set-Cookie"))
        assert {"secure", "httponly"} <= cookie.keys(), (name, cookie)
        assert cookie.get("samesite", "Lax") == "Lax", (name, cookie)


# --- tokens never in logs -----------------------------------------------------------------------


@pytest.fixture
def all_logs(caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("seminar_app", "werkzeug", "flask.app", "sqlalchemy", "gunicorn.access"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def leaked(records, secrets: dict[str, str]) -> list[str]:
    found = []
    for record in records:
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        for name, secret in secrets.items():
            if secret and secret in text:
                found.append(f"{name} in {record.name} {record.levelname}: {text[:200]!r}")
    return found


def test_tokens_never_reach_the_logs(app, world, db_session, all_logs):
    client = app.test_client()
    registration = world.registration
    secrets = {**world.secrets, "ticket_code": registration.ticket_code}
    manage = world.secrets["manage"]
    for url in (
        f"/r/{manage}",
        f"/r/{manage}/ticket.png",
        f"/r/{manage}/calendar.ics",
        f"/r/{manage}/edit",
        f"/j/{world.secrets['join']}",
        f"/calendar/{world.secrets['feed']}.ics",
        f"/me/{world.secrets['overview']}",
        f"/unsubscribe/{world.secrets['unsubscribe']}",
        f"/password/reset/{world.secrets['reset']}",
        f"/dispatch/r/{world.secrets['dispatch']}",
        f"/dispatch/r/{world.secrets['dispatch']}/withdraw",
        f"/dispatch/p/{world.secrets['participants']}",
        f"/dispatch/p/{world.secrets['participants']}/survey",
        f"/calendar/staff/{world.secrets['staff-feed']}.ics",
        # error paths: similar but wrong tokens
        f"/r/{tampered(manage)}",
        f"/j/{tampered(world.secrets['join'])}",
        f"/calendar/{tampered(world.secrets['feed'])}.ics",
        f"/me/{tampered(world.secrets['overview'])}",
        f"/dispatch/r/{tampered(world.secrets['dispatch'])}",
        f"/dispatch/p/{tampered(world.secrets['participants'])}",
        f"/calendar/staff/{tampered(world.secrets['staff-feed'])}.ics",
    ):
        response = client.get(url)
        assert response.status_code < 500, (url, response.status_code)
    # A registration through the form, its confirmation page, its ticket and links.
    url = f"/seminars/{world.seminar.slug}/register"
    response = post_form(
        client, url, {**details_data(), "privacy_notice_agreed": "y", "register": "1"}
    )
    assert response.status_code == 303, response.status_code
    new_manage = re.search(r"/r/([A-Za-z0-9_-]+)", response.headers["Location"]).group(1)
    new = db_session.scalar(select(Registration).where(Registration.manage_token == new_manage))
    for path in (
        response.headers["Location"],
        f"/r/{new_manage}/ticket.png",
        f"/j/{new.join_token}",
    ):
        assert client.get(path).status_code < 500, path
    secrets.update(new_manage=new_manage, new_join=new.join_token, new_ticket_code=new.ticket_code)
    similar_tokens = {f"{k} (tampered)": tampered(v) for k, v in world.secrets.items()}
    assert not leaked(all_logs.records, {**secrets, **similar_tokens})


def test_an_unexpected_error_on_a_token_page_does_not_log_the_token(
    app, world, all_logs, monkeypatch
):
    """The error log names the failing route, not the secret in its path."""
    from seminar_app.registration import views

    def broken(*args, **kwargs):
        raise RuntimeError("simulated fault")

    monkeypatch.setattr(views.services, "waitlist_position", broken)
    client = app.test_client()
    response = client.get(f"/r/{world.secrets['manage']}")
    assert response.status_code == 500
    assert any(record.levelno >= logging.ERROR for record in all_logs.records)
    assert not leaked(all_logs.records, {"manage": world.secrets["manage"]})


def test_sql_parameters_are_kept_out_of_logs_and_error_messages(app):
    """Tokens are bound parameters of the queries that look them up; with engine logging on
    (INFO) or in a database error's message, SQLAlchemy would print them unless told not to."""
    with app.app_context():
        assert db.engine.hide_parameters is True
