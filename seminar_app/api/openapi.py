"""The OpenAPI 3.1 document, generated from the routes of the API blueprint and their schemas."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import flask_smorest
import marshmallow as ma
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, current_app, jsonify

from ..timeutil import FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR
from ..urls import DatabaseIdConverter, FiscalYearConverter
from .blueprint import ErrorSchema, ValidationErrorSchema, bp
from .schemas import (
    MAX_ID,
    CheckInSchema,
    ClientSchema,
    ConsultationDetailSchema,
    ConsultationSchema,
    DispatchOverlapSchema,
    DispatchRequestDetailSchema,
    DispatchRequestSchema,
    FiscalYearReportSchema,
    RegistrationCreatedSchema,
    RegistrationRowSchema,
    SeminarSchema,
    StaffSeminarSchema,
)

#: Answers a client meets in several places, named in components/schemas; the rest inline.
NAMED_SCHEMAS: dict[type[ma.Schema], str] = {
    schema: schema.__name__.removesuffix("Schema")
    for schema in (
        SeminarSchema,
        StaffSeminarSchema,
        ErrorSchema,
        ValidationErrorSchema,
        RegistrationCreatedSchema,
        RegistrationRowSchema,
        CheckInSchema,
        FiscalYearReportSchema,
        ConsultationSchema,
        ConsultationDetailSchema,
        ClientSchema,
        DispatchRequestSchema,
        DispatchRequestDetailSchema,
        DispatchOverlapSchema,
    )
}

INFO = {
    "title": "Seminar catalogue API",
    "version": "1.0.0",
    "description": "The agency's seminars: a public, read-only catalogue and registration "
    "without an account; staff endpoints with a bearer token. Times are ISO 8601 with an "
    "offset; fiscal years run April–March.",
}

BEARER_TOKEN = {
    "type": "http",
    "scheme": "bearer",
    "description": (
        "A staff member's token, created in the console (Account → API tokens) or printed "
        "by `flask --app wsgi users token EMAIL [--expires-in DAYS] [--name NAME]`. A token "
        "expires (after 90 days unless chosen otherwise, at most 365) and can be revoked; an "
        "expired or revoked token is answered with 401."
    ),
}


def _schema_name(schema: type[ma.Schema] | ma.Schema) -> str | None:
    """A component's name, or None to inline the schema (as apispec documents; its type
    hint asks for a str)."""
    return NAMED_SCHEMAS.get(schema if isinstance(schema, type) else type(schema))


def _inlined(_schema: type[ma.Schema] | ma.Schema) -> None:
    """Every nested schema inlined (see _schema_name)."""
    return None


def _empty_is_absent(_converter, _field, ret: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
    # An empty query value (?level=) is read as the parameter left out.
    return {"allowEmptyValue": True} if ret.get("in") == "query" else {}


class _DocumentApi(flask_smorest.Api):
    """flask-smorest's generator, on an app of its own: the real app keeps its error pages."""

    DEFAULT_ERROR_RESPONSE_NAME = None


@cache
def _generated() -> dict[str, Any]:
    app = Flask(__name__)
    app.url_map.converters["id"] = DatabaseIdConverter
    app.url_map.converters["fy"] = FiscalYearConverter
    api = _DocumentApi(
        app,
        spec_kwargs={
            "title": INFO["title"],
            "version": INFO["version"],
            "openapi_version": "3.1.0",
            "info": {"description": INFO["description"]},
            "marshmallow_plugin": MarshmallowPlugin(
                schema_name_resolver=_schema_name  # type: ignore[arg-type]  # None inlines
            ),
        },
    )
    api.register_converter(
        DatabaseIdConverter, lambda _converter: {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    )
    api.register_converter(
        FiscalYearConverter,
        lambda _converter: {
            "type": "integer",
            "minimum": FIRST_FISCAL_YEAR,
            "maximum": LAST_FISCAL_YEAR,
        },
    )
    api.ma_plugin.converter.add_parameter_attribute_function(_empty_is_absent)
    api.spec.components.security_scheme("bearerToken", BEARER_TOKEN)
    api.register_blueprint(bp, url_prefix="/api/v1")
    document = api.spec.to_dict()
    document.pop("tags", None)
    for operations in document["paths"].values():
        for operation in operations.values():
            if isinstance(operation, dict):
                operation.pop("tags", None)
    return document


def openapi_document(base_url: str) -> dict[str, Any]:
    """The API's description, with `base_url` as its server."""
    return {**copy.deepcopy(_generated()), "servers": [{"url": base_url}]}


def standalone_schema(schema: type) -> dict[str, Any]:
    """One answer's JSON Schema with every nested schema inlined (for checking answers)."""
    spec = APISpec(
        "standalone",
        "1",
        "3.1.0",
        plugins=[MarshmallowPlugin(schema_name_resolver=_inlined)],  # type: ignore[arg-type]  # None inlines
    )
    spec.components.schema("Standalone", schema=schema)
    return spec.to_dict()["components"]["schemas"]["Standalone"]


#: The public seminar's JSON Schema.
SEMINAR_SCHEMA = standalone_schema(SeminarSchema)


@bp.route("/openapi.json", methods=["GET"])
@bp.response(200, {"type": "object"}, description="OpenAPI document")
def openapi():
    """This document"""
    return jsonify(openapi_document(current_app.config["BASE_URL"]))
