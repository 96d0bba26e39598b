"""The OpenAPI 3.1 description of the JSON API, paths written in full."""

from __future__ import annotations

from typing import Any

from ..domain import Delivery, HostType, Level, SeminarStatus, Series


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


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def openapi_document(base_url: str) -> dict[str, Any]:
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
                            {"type": "integer", "minimum": 2000, "maximum": 2100},
                            "年度, e.g. 2026",
                        ),
                        _query(
                            "upcoming",
                            {"type": "boolean"},
                            "true: not yet ended; false: ended; absent: both",
                        ),
                        _query("page", {"type": "integer", "minimum": 1}, "Page, from 1"),
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
                }
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
        "components": {"schemas": {"Seminar": SEMINAR_SCHEMA, "Error": ERROR_SCHEMA}},
    }
