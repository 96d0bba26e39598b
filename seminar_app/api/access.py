"""Bearer tokens for staff, and JSON error answers."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g, jsonify, request

from ..auth.services import user_for_api_token
from ..domain import Role
from ..extensions import db
from .blueprint import ErrorSchema, bp

#: The operations' security requirement in the OpenAPI document.
STAFF_TOKEN: list[dict[str, list[str]]] = [{"bearerToken": []}]


def error(status: int, message: str, **extra: Any):
    return jsonify(error=message, status=status, **extra), status


def refusal(status: int, description: str) -> Callable:
    """Document an error answer (the shape `error` gives it)."""
    return bp.alt_response(status, schema=ErrorSchema, description=description)


def token_required(*roles: Role) -> Callable:
    """The request carries `Authorization: Bearer <token>` of a staff member with a role."""
    roles_named = " or ".join(role.value for role in roles)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            user = user_for_api_token(db.session, token.strip()) if scheme == "Bearer" else None
            if user is None:
                response, status = error(401, "A valid staff bearer token is required.")
                response.headers["WWW-Authenticate"] = 'Bearer realm="seminars"'
                return response, status
            if roles and not user.has_role(*roles):
                return error(403, "This token's account lacks the role for this action.")
            g.api_user = user
            # current_user for this request only (audit records name the token's owner);
            # unlike login_user it writes nothing to the session cookie.
            g._login_user = user
            return view(*args, **kwargs)

        documented = bp.doc(security=STAFF_TOKEN)(wrapper)
        documented = refusal(401, "No valid token (missing, unknown, expired or revoked)")(
            documented
        )
        return refusal(403, f"The token's account lacks the role ({roles_named})")(documented)

    return decorator
