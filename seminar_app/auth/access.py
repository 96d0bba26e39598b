"""Role requirements, declared once per view or once per blueprint."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, g
from flask_login import current_user

from ..domain import Role


def check_roles(*roles: Role) -> None:
    """Abort unless the current user is logged in and holds one of `roles`.

    A page that passes is a staff page: private (no shared cache keeps it) and laid out for
    staff (base.html gives it the width of the screen, for its tables)."""
    if not current_user.is_authenticated:
        from ..extensions import login_manager

        abort(login_manager.unauthorized())
    if roles and not current_user.has_role(*roles):
        abort(403)
    g.private_page = True
    g.staff_page = True


def roles_required(*roles: Role) -> Callable:
    """Decorator: the view needs a logged-in user with at least one of `roles`."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            check_roles(*roles)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def require_roles_for_blueprint(blueprint, *roles: Role) -> None:
    """Every view of `blueprint` needs one of `roles`."""
    blueprint.before_request(lambda: check_roles(*roles))
