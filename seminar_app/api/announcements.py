"""Staff endpoint of the JSON API: send an announcement of new seminars (organizers)."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request
from flask_babel import force_locale

from ..announcements import services as announcements
from ..domain import Level, Role, Series
from ..extensions import db
from ..timeutil import utcnow
from .access import error, token_required
from .views import bp

FIELDS = ("subject", "body", "level", "series")


@bp.post("/announcements")
@token_required(Role.ORGANIZER)
def send_announcement():
    """Queue the announcement for everyone who opted in; 202: the mails go out later."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error(400, "Send a JSON object.", fields={"body": "must be a JSON object"})
    problems: dict[str, str] = {name: "unknown field" for name in sorted(set(body) - set(FIELDS))}
    for name in ("level", "series"):
        if body.get(name) is not None and not isinstance(body[name], str):
            problems[name] = "must be a string or null"
    if not problems:
        try:
            with force_locale("en"):
                announcement, count = announcements.send(
                    db.session,
                    body.get("subject"),
                    body.get("body"),
                    body.get("level"),
                    body.get("series"),
                    by=g.api_user,
                    now=utcnow(),
                )
        except announcements.AnnouncementError as exc:
            problems = exc.errors
    if problems:
        db.session.rollback()
        return error(400, "The announcement is not valid.", fields=problems)
    db.session.commit()
    return jsonify(announcement_id=announcement.id, recipients=count), 202


def _error(description: str, schema: str = "Error") -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


#: The path of this endpoint, to merge into openapi_document()["paths"].
OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/announcements": {
        "post": {
            "operationId": "sendAnnouncement",
            "summary": "Announce new seminars by mail to everyone who opted in and has not "
            "unsubscribed, optionally only to those who attended a seminar of a level and/or "
            "series (staff: organizer). The mails are queued and delivered in the background.",
            "security": [{"bearerToken": []}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["subject", "body"],
                            "additionalProperties": False,
                            "properties": {
                                "subject": {
                                    "type": "string",
                                    "minLength": 1,
                                    "maxLength": announcements.SUBJECT_MAX,
                                    "description": "one line",
                                },
                                "body": {
                                    "type": "string",
                                    "minLength": 1,
                                    "maxLength": announcements.BODY_MAX,
                                    "description": "plain text; a footer with the reason "
                                    "and the unsubscribe link is added",
                                },
                                "level": {
                                    "type": ["string", "null"],
                                    "enum": [*(member.value for member in Level), None],
                                    "description": "only people who attended a seminar "
                                    "of this level",
                                },
                                "series": {
                                    "type": ["string", "null"],
                                    "enum": [*(member.value for member in Series), None],
                                    "description": "only people who attended a seminar "
                                    "of this series",
                                },
                            },
                        }
                    }
                },
            },
            "responses": {
                "202": {
                    "description": "Queued; `recipients` mails will be delivered",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["announcement_id", "recipients"],
                                "properties": {
                                    "announcement_id": {"type": "integer"},
                                    "recipients": {"type": "integer", "minimum": 0},
                                },
                            }
                        }
                    },
                },
                "400": _error(
                    "Not a JSON object, or a field is not valid (see fields)", "ValidationError"
                ),
                "401": _error("No valid token (missing, unknown, expired or revoked)"),
                "403": _error("The token's account is not an organizer"),
            },
        }
    }
}
