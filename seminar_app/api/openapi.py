"""The OpenAPI 3.1 description of the JSON API, paths written in full."""

from __future__ import annotations

from typing import Any

from ..domain import (
    Admission,
    Attribute,
    Delivery,
    EmployeeBand,
    HeardFrom,
    HostType,
    Level,
    RegistrationStatus,
    SeminarStatus,
    Series,
)
from ..reference import INDUSTRIES, PREFECTURES
from ..timeutil import FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR


def _enum(enum, nullable: bool = False) -> dict[str, Any]:
    values: list[Any] = [member.value for member in enum]
    if nullable:
        return {"type": ["string", "null"], "enum": [*values, None]}
    return {"type": "string", "enum": values}


_DATETIME = {"type": "string", "format": "date-time"}
_NULLABLE_DATETIME = {"type": ["string", "null"], "format": "date-time"}
_NULLABLE_STRING = {"type": ["string", "null"]}
_NULLABLE_INT = {"type": ["integer", "null"], "minimum": 0}

SEMINAR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "id",
        "title",
        "description",
        "series",
        "level",
        "host_type",
        "delivery",
        "starts_at",
        "ends_at",
        "venue",
        "capacity",
        "seats_left",
        "admission",
        "registration_opens_at",
        "registration_closes_at",
        "status",
        "fiscal_year",
    ],
    "properties": {
        "id": {"type": "integer"},
        "slug": {"type": "string"},
        "title": {"type": "string", "description": "Japanese title"},
        "title_en": _NULLABLE_STRING,
        "description": {"type": "string", "description": "Japanese description, Markdown"},
        "description_en": _NULLABLE_STRING,
        "series": _enum(Series),
        "level": _enum(Level, nullable=True),
        "host_type": _enum(HostType),
        "delivery": _enum(Delivery),
        "status": _enum(SeminarStatus),
        "starts_at": _DATETIME,
        "ends_at": _DATETIME,
        "venue": _NULLABLE_STRING,
        "capacity": _NULLABLE_INT,
        "seats_left": _NULLABLE_INT,
        "admission": {
            **_enum(Admission),
            "description": "first-come: seats in order of registration; lottery: "
            "applications until registration_closes_at, then a draw",
        },
        "registration_opens_at": _NULLABLE_DATETIME,
        "registration_closes_at": _NULLABLE_DATETIME,
        "fiscal_year": {"type": "integer", "description": "年度: April to March, in JST"},
        "host_organization": _NULLABLE_STRING,
        "external_url": _NULLABLE_STRING,
        "lecturers": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name"],
                "properties": {
                    "name": {"type": "string"},
                    "name_en": _NULLABLE_STRING,
                    "title": _NULLABLE_STRING,
                },
            },
        },
    },
}

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error", "status"],
    "properties": {
        "error": {"type": "string"},
        "field": {"type": "string"},
        "status": {"type": "integer"},
    },
}


REGISTRATION_REQUEST: dict[str, Any] = {
    "type": "object",
    "required": ["name", "name_kana", "email", "prefecture", "attribute", "privacy_notice_agreed"],
    "properties": {
        "name": {"type": "string", "maxLength": 100},
        "name_kana": {"type": "string", "maxLength": 100, "description": "hiragana or katakana"},
        "email": {"type": "string", "maxLength": 254},
        "organization": {
            "type": ["string", "null"],
            "maxLength": 200,
            "description": "required unless attribute is individual",
        },
        "corporate_number": {
            "type": ["string", "null"],
            "maxLength": 20,
            "description": "法人番号, 13 digits (hyphens and spaces are ignored)",
        },
        "department": {"type": ["string", "null"], "maxLength": 100},
        "job_title": {"type": ["string", "null"], "maxLength": 100},
        "prefecture": {
            "type": "string",
            "enum": list(PREFECTURES),
            "description": "JIS X 0401 code",
        },
        "attribute": _enum(Attribute),
        "employee_band": {
            **_enum(EmployeeBand, nullable=True),
            "description": "required for sme and large-company",
        },
        "industry": {
            "type": ["string", "null"],
            "enum": [*INDUSTRIES, None],
            "description": "JSIC major group",
        },
        "privacy_notice_agreed": {"type": "boolean", "const": True},
        "announcements_opt_in": {"type": "boolean"},
        "locale": {"type": "string", "enum": ["ja", "en"]},
        "question": {"type": ["string", "null"], "maxLength": 2000},
        "heard_from": _enum(HeardFrom, nullable=True),
    },
}

REGISTRATION_CREATED: dict[str, Any] = {
    "type": "object",
    "required": ["id", "status", "waitlist_position", "manage_url"],
    "properties": {
        "id": {"type": "integer"},
        "status": {
            "type": "string",
            "enum": ["confirmed", "waitlisted", "applied"],
            "description": "applied: an application to a lottery seminar, "
            "confirmed or waitlisted by the draw after the deadline",
        },
        "waitlist_position": {"type": ["integer", "null"], "minimum": 1},
        "manage_url": {"type": "string", "format": "uri"},
    },
}

REGISTRATION_ROW: dict[str, Any] = {
    "type": "object",
    "required": ["id", "email", "status", "waitlist_position"],
    "properties": {
        "id": {"type": "integer"},
        "email": {"type": "string"},
        "name": {"type": "string"},
        "name_kana": {"type": "string"},
        "organization": {"type": ["string", "null"]},
        "status": _enum(RegistrationStatus),
        "waitlist_position": {"type": ["integer", "null"]},
        "lottery_rank": {
            "type": ["integer", "null"],
            "minimum": 1,
            "description": "place in the lottery's drawn order; null before a draw",
        },
        "created_at": _DATETIME,
    },
}

SEMINAR_WRITE: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "title": {"type": "string", "maxLength": 200},
        "title_en": _NULLABLE_STRING,
        "series": _enum(Series),
        "level": _enum(Level, nullable=True),
        "host_type": _enum(HostType),
        "delivery": _enum(Delivery),
        "status": _enum(SeminarStatus),
        "description": {"type": "string"},
        "description_en": _NULLABLE_STRING,
        "starts_at": _DATETIME,
        "ends_at": _DATETIME,
        "venue": _NULLABLE_STRING,
        "meeting_url": _NULLABLE_STRING,
        "capacity": _NULLABLE_INT,
        "registration_opens_at": _NULLABLE_DATETIME,
        "registration_closes_at": _NULLABLE_DATETIME,
        "host_organization": _NULLABLE_STRING,
        "external_url": _NULLABLE_STRING,
        "waitlist_cutoff_hours": {"type": "integer", "minimum": 0, "maximum": 1440},
        "admission": {
            **_enum(Admission),
            "description": "lottery needs registration_closes_at (the application "
            "deadline); fixed once people have registered",
        },
        "lottery_sme_priority": {
            "type": "boolean",
            "description": "in a lottery, small and medium-sized companies are drawn first",
        },
    },
}

STAFF_SEMINAR: dict[str, Any] = {
    **SEMINAR_SCHEMA,
    "properties": {
        **SEMINAR_SCHEMA["properties"],
        "meeting_url": _NULLABLE_STRING,
        "waitlist_cutoff_hours": {"type": "integer"},
        "lottery_sme_priority": {"type": "boolean"},
        "lottery_drawn_at": _NULLABLE_DATETIME,
        "lottery_seed": _NULLABLE_INT,
    },
}

CHECK_IN: dict[str, Any] = {
    "type": "object",
    "required": ["registration_id", "name", "checked_in_at", "already_checked_in"],
    "properties": {
        "registration_id": {"type": "integer"},
        "name": {"type": "string"},
        "organization": {"type": ["string", "null"]},
        "checked_in_at": _DATETIME,
        "already_checked_in": {"type": "boolean"},
    },
}

_COUNTS = {
    "type": "object",
    "required": ["total", "online"],
    "properties": {"total": {"type": "integer"}, "online": {"type": "integer"}},
}
_BY_HOST = {
    "type": "object",
    "required": [h.value for h in HostType],
    "properties": {h.value: _COUNTS for h in HostType},
}
FISCAL_YEAR_REPORT: dict[str, Any] = {
    "type": "object",
    "required": ["fiscal_year", "seminars", "attendees", "registrations", "recordings"],
    "properties": {
        "fiscal_year": {"type": "integer"},
        "seminars": {
            "type": "object",
            "required": ["total", "online", "by_host_type"],
            "properties": {
                "total": {"type": "integer"},
                "online": {"type": "integer"},
                "hybrid": {"type": "integer"},
                "by_host_type": _BY_HOST,
                "by_series": {"type": "object"},
                "by_level": {"type": "object"},
            },
        },
        "attendees": {
            "type": "object",
            "required": ["total", "by_host_type"],
            "properties": {
                "total": {"type": "integer"},
                "by_host_type": {
                    "type": "object",
                    "required": [h.value for h in HostType],
                    "properties": {h.value: {"type": "integer"} for h in HostType},
                },
                "registered_attendees_by": {"type": "object"},
            },
        },
        "registrations": {"type": "object"},
        "recordings": {"type": "object"},
        "consultations": {
            "type": "object",
            "required": ["total", "online"],
            "properties": {"total": {"type": "integer"}, "online": {"type": "integer"}},
        },
    },
}

VALIDATION_ERROR: dict[str, Any] = {
    "type": "object",
    "required": ["error", "status", "fields"],
    "properties": {
        "error": {"type": "string"},
        "status": {"type": "integer"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}


def _json(schema_name: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}
        },
    }


_SEMINAR_ID = {
    "name": "seminar_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
}
_STAFF = [{"bearerToken": []}]


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
        # An empty value (?level=) is read as the parameter left out.
        "allowEmptyValue": True,
    }


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def openapi_document(base_url: str) -> dict[str, Any]:
    from .announcements import OPENAPI_PATHS as announcement_paths  # it imports this module

    document = _document(base_url)
    document["paths"].update(announcement_paths)
    return document


def _document(base_url: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Seminar catalogue API",
            "version": "1.0.0",
            "description": "Public, read-only catalogue of the agency's seminars. "
            "Times are ISO 8601 with an offset; fiscal years run April–March.",
        },
        "servers": [{"url": base_url}],
        "paths": {
            "/api/v1/seminars": {
                "get": {
                    "operationId": "listSeminars",
                    "summary": "Public seminars, upcoming first, then past",
                    "parameters": [
                        _query("level", _enum(Level), "Level of the seminar"),
                        _query("series", _enum(Series), "Seminar series"),
                        _query("delivery", _enum(Delivery), "How it is held"),
                        _query("host_type", _enum(HostType), "Who hosts it"),
                        _query(
                            "fiscal_year",
                            {
                                "type": "integer",
                                "minimum": FIRST_FISCAL_YEAR,
                                "maximum": LAST_FISCAL_YEAR,
                            },
                            "年度, e.g. 2026",
                        ),
                        _query(
                            "upcoming",
                            {"type": "boolean"},
                            "true: not yet ended; false: ended; absent: both",
                        ),
                        _query(
                            "page",
                            {"type": "integer", "minimum": 1, "maximum": 10000},
                            "Page, from 1",
                        ),
                        _query(
                            "per_page",
                            {"type": "integer", "minimum": 1, "maximum": 100},
                            "Seminars per page (default 20)",
                        ),
                    ],
                    "responses": {
                        "200": {
                            "description": "A page of seminars",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["seminars", "page", "per_page", "total"],
                                        "properties": {
                                            "seminars": {
                                                "type": "array",
                                                "items": {"$ref": "#/components/schemas/Seminar"},
                                            },
                                            "page": {"type": "integer"},
                                            "per_page": {"type": "integer"},
                                            "total": {"type": "integer"},
                                        },
                                    }
                                }
                            },
                        },
                        "400": _error("A filter value is not valid"),
                    },
                },
                "post": {
                    "operationId": "createSeminar",
                    "summary": "Create a seminar (staff: organizer)",
                    "security": _STAFF,
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    **SEMINAR_WRITE,
                                    "required": [
                                        "title",
                                        "series",
                                        "host_type",
                                        "delivery",
                                        "starts_at",
                                        "ends_at",
                                        "capacity",
                                    ],
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": _json("StaffSeminar", "The created seminar"),
                        "400": _error("The body is not a JSON object"),
                        "401": _error("No valid token (missing, unknown, expired or revoked)"),
                        "403": _error("The token's account is not an organizer"),
                        "422": _json("ValidationError", "A field is not valid"),
                    },
                },
            },
            "/api/v1/seminars/{seminar_id}": {
                "get": {
                    "operationId": "getSeminar",
                    "summary": "One public seminar",
                    "parameters": [
                        {
                            "name": "seminar_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "The seminar",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Seminar"}
                                }
                            },
                        },
                        "404": _error("No public seminar has this id"),
                    },
                },
                "patch": {
                    "operationId": "updateSeminar",
                    "summary": "Change a seminar (staff: organizer); a new time or place "
                    "sends calendar updates, status cancelled sends cancellations",
                    "security": _STAFF,
                    "parameters": [_SEMINAR_ID],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": SEMINAR_WRITE}},
                    },
                    "responses": {
                        "200": _json("StaffSeminar", "The changed seminar"),
                        "400": _error("The body is not a JSON object"),
                        "401": _error("No valid token (missing, unknown, expired or revoked)"),
                        "403": _error("The token's account is not an organizer"),
                        "404": _error("No seminar has this id"),
                        "409": _error(
                            "The status change is not possible, or the admission cannot "
                            "change any more"
                        ),
                        "422": _json("ValidationError", "A field is not valid"),
                    },
                },
            },
            "/api/v1/seminars/{seminar_id}/registrations": {
                "post": {
                    "operationId": "register",
                    "summary": "Register for a seminar, without an account",
                    "parameters": [_SEMINAR_ID],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": REGISTRATION_REQUEST}},
                    },
                    "responses": {
                        "201": _json(
                            "RegistrationCreated",
                            "Confirmed or waitlisted; applied for a lottery seminar",
                        ),
                        "400": _error("The body is not a JSON object"),
                        "404": _error("No public seminar has this id"),
                        "409": _error("Already registered, or registration is not open (see code)"),
                        "422": _json("ValidationError", "A field is not valid"),
                        "429": _error("Too many registrations from this address"),
                    },
                },
                "get": {
                    "operationId": "listRegistrations",
                    "summary": "Every registration of a seminar (staff: organizer)",
                    "security": _STAFF,
                    "parameters": [_SEMINAR_ID],
                    "responses": {
                        "200": {
                            "description": "The registrations",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["registrations", "total"],
                                        "properties": {
                                            "registrations": {
                                                "type": "array",
                                                "items": {
                                                    "$ref": "#/components/schemas/RegistrationRow"
                                                },
                                            },
                                            "total": {"type": "integer"},
                                        },
                                    }
                                }
                            },
                        },
                        "401": _error("No valid token (missing, unknown, expired or revoked)"),
                        "403": _error("The token's account is not an organizer"),
                        "404": _error("No seminar has this id"),
                    },
                },
            },
            "/api/v1/checkins": {
                "post": {
                    "operationId": "checkIn",
                    "summary": "Check in a ticket (staff: organizer or reception); safe to retry",
                    "security": _STAFF,
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["seminar_id", "code"],
                                    "properties": {
                                        "seminar_id": {"type": "integer", "minimum": 1},
                                        "code": {
                                            "type": "string",
                                            "maxLength": 200,
                                            "description": "exactly the text the QR code holds",
                                        },
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": _json("CheckIn", "Checked in now"),
                        "200": _json(
                            "CheckIn",
                            "Already checked in (already_checked_in true, "
                            "checked_in_at the first time)",
                        ),
                        "400": _error("The body is not a JSON object"),
                        "401": _error("No valid token (missing, unknown, expired or revoked)"),
                        "403": _error("The token's account may not check people in"),
                        "404": _error("No seminar or no ticket with this code"),
                        "409": _error(
                            "Cancelled, waitlisted, or another seminar's ticket (see code)"
                        ),
                        "422": _json("ValidationError", "A field is not valid"),
                    },
                }
            },
            "/api/v1/reports/fiscal-years/{fiscal_year}": {
                "get": {
                    "operationId": "fiscalYearReport",
                    "summary": "Figures of a fiscal year (April–March, JST); zeros when empty "
                    "(staff: organizer)",
                    "security": _STAFF,
                    "parameters": [
                        {
                            "name": "fiscal_year",
                            "in": "path",
                            "required": True,
                            "schema": {
                                "type": "integer",
                                "minimum": FIRST_FISCAL_YEAR,
                                "maximum": LAST_FISCAL_YEAR,
                            },
                        }
                    ],
                    "responses": {
                        "200": _json("FiscalYearReport", "The year's figures"),
                        "401": _error("No valid token (missing, unknown, expired or revoked)"),
                        "403": _error("The token's account is not an organizer"),
                        "404": _error("Outside the years the system knows"),
                    },
                }
            },
            "/api/v1/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "This document",
                    "responses": {
                        "200": {
                            "description": "OpenAPI document",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Seminar": SEMINAR_SCHEMA,
                "StaffSeminar": STAFF_SEMINAR,
                "Error": ERROR_SCHEMA,
                "ValidationError": VALIDATION_ERROR,
                "RegistrationCreated": REGISTRATION_CREATED,
                "RegistrationRow": REGISTRATION_ROW,
                "CheckIn": CHECK_IN,
                "FiscalYearReport": FISCAL_YEAR_REPORT,
            },
            "securitySchemes": {
                "bearerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": (
                        "A staff member's token, created in the console (Account → API "
                        "tokens) or printed by `flask --app wsgi users token EMAIL "
                        "[--expires-in DAYS] [--name NAME]`. A token expires (after 90 days "
                        "unless chosen otherwise, at most 365) and can be revoked; an "
                        "expired or revoked token is answered with 401."
                    ),
                }
            },
        },
    }
