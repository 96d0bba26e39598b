"""The API's blueprint, and how it reads requests: one schema per body or query.

A schema describes and converts the JSON (and generates the OpenAPI document); the rules of
the domain stay in their services, which the schemas and the views call.
"""

from __future__ import annotations

from typing import Any, ClassVar, NoReturn

import flask_smorest
import marshmallow as ma
from flask import Request, abort, jsonify, make_response
from marshmallow import fields
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict


def first_messages(messages: Any) -> dict[str, str]:
    """marshmallow's {field: [messages]} as {field: message}, the domain's message last wins.

    A field of an object in a list is named by the object's place, `members.0.email`;
    anything else nested (an item of a list of values) names its parent."""
    flat: dict[str, str] = {}
    for name, found in messages.items():
        if (
            isinstance(found, dict)
            and found
            and all(isinstance(k, int) and isinstance(v, dict) for k, v in found.items())
        ):
            for index, item in found.items():
                for field, message in first_messages(item).items():
                    flat[f"{name}.{index}.{field}"] = message
            continue
        while isinstance(found, dict):  # a nested field names its parent
            found = next(iter(found.values()))
        flat[name] = str(found[-1] if isinstance(found, list) else found)
    return flat


class RequestParser(FlaskParser):
    """A body is a JSON object (else 400); a refusal has the shape its schema gives it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Unknown names are refused in every location, as the schemas' Meta says.
        self.DEFAULT_UNKNOWN_BY_LOCATION = {}

    def load_json(self, req: Request, schema: ma.Schema) -> Any:
        body = req.get_json(silent=True)
        if not isinstance(body, dict):
            abort(make_response(jsonify(_api_schema(schema).not_an_object()), 400))
        return body

    def load_multipart(self, req: Request, schema: ma.Schema) -> Any:
        return self._makeproxy(CombinedMultiDict([req.form, req.files]), schema)

    def handle_error(
        self,
        error: ma.ValidationError,
        req: Request,
        schema: ma.Schema,
        *,
        error_status_code: int | None,
        error_headers: Any,
    ) -> NoReturn:
        status = error_status_code or 422
        messages = error.messages
        if isinstance(messages, dict) and len(messages) == 1:
            # webargs files the messages under the location they came from.
            (location,) = messages
            if location in self.__location_map__:
                messages = messages[location]
        refusal = _api_schema(schema).refusal(first_messages(messages), status)
        abort(make_response(jsonify(refusal), status))


RequestParser.__location_map__ = {
    **FlaskParser.__location_map__,
    "multipart": "load_multipart",
}


class ErrorSchema(ma.Schema):
    error = fields.String(required=True)
    status = fields.Integer(required=True)
    field = fields.String(metadata={"description": "the query parameter at fault"})
    code = fields.String(metadata={"description": "what kind of refusal, when several exist"})


class ValidationErrorSchema(ma.Schema):
    error = fields.String(required=True)
    status = fields.Integer(required=True)
    fields_ = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        values=fields.String(),
        required=True,
        metadata={"description": "each field at fault, with what is wrong with it"},
    )


class ApiSchema(ma.Schema):
    """A request schema: unknown names are refused with the other problems."""

    #: What a refusal says before its fields.
    invalid_message = "Some fields are not valid."
    #: The shape of a refusal, for the document.
    refusal_schema: type[ma.Schema] = ValidationErrorSchema

    class Meta:
        unknown = ma.RAISE

    @classmethod
    def refusal(cls, fields: dict[str, str], status: int) -> dict[str, Any]:
        return {"error": cls.invalid_message, "status": status, "fields": fields}

    @classmethod
    def not_an_object(cls) -> dict[str, Any]:
        return {"error": "Send a JSON object.", "status": 400}


def _api_schema(schema: ma.Schema) -> ApiSchema:
    """The parser reads with ApiSchemas alone: Blueprint.arguments takes no other."""
    if not isinstance(schema, ApiSchema):
        raise TypeError(f"{type(schema).__name__} is not an ApiSchema")
    return schema


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = RequestParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING: ClassVar[dict[str, str]] = {
        **flask_smorest.Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "multipart": "multipart/form-data",
    }

    def arguments(self, schema: type[ApiSchema], *, location: str = "json", **kwargs: Any):
        """Read the request with `schema`, and document its refusals with it. One instance
        reads every request (webargs would make one anew for each from the class)."""
        status = kwargs.get("error_status_code", 422)
        parse = super().arguments(schema(), location=location, **kwargs)
        refused = self.alt_response(
            status, schema=schema.refusal_schema, description="A field is not valid"
        )
        not_an_object = self.alt_response(
            400, schema=ErrorSchema, description="The body is not a JSON object"
        )

        def decorator(view):
            view = refused(parse(view))
            return not_an_object(view) if location == "json" and status != 400 else view

        return decorator

    def _store_endpoint_docs(self, endpoint, obj, parameters, tags, **options):
        super()._store_endpoint_docs(endpoint, obj, parameters, tags, **options)
        # Each operation is named after its view: create_seminar → createSeminar.
        first, *rest = endpoint.split("_")
        operation_id = first + "".join(word.capitalize() for word in rest)
        for method, doc in self._docs[endpoint].items():
            if method != "parameters":
                doc.setdefault("manual_doc", {})["operationId"] = operation_id


bp = Blueprint("api", __name__)
