"""Every permission check lives here (or in a package's own policy module).

Views use `roles_required`; templates call `can(...)`, bound to the same functions.
"""
from functools import wraps

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from core import roles as R


def roles_required(*role_names):
    """HTML views: anonymous -> login page; signed in without one of the roles -> 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("core.login", next=request.full_path))
            if role_names and not current_user.has_role(*role_names):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = role_names
        return wrapped

    return decorator


def login_required(view):
    """Any signed-in user."""
    return roles_required()(view)


# Object-level rules shared by several packages.

def is_platform(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role(R.PLATFORM_ADMIN, R.PLATFORM_REVIEWER))


def can_verify_suppliers(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role(R.PLATFORM_ADMIN, R.PLATFORM_REVIEWER))


def same_city(user, city_id) -> bool:
    org = getattr(user, "organisation", None)
    return bool(org is not None and org.city_id is not None and org.city_id == city_id)


POLICIES_KEY = "policies"


def register_policy(app, name, func):
    """Make `func(user, *args)` callable from templates as `can(name, *args)` on `app`.
    Each package registers its own rules from its `register(app)`."""
    app.extensions.setdefault(POLICIES_KEY, {})[name] = func


def register(app):
    """Core's own named policies."""
    register_policy(app, "verify_suppliers", can_verify_suppliers)
    register_policy(app, "platform", is_platform)


def can(name, *args):
    """Template helper: `{% if can('edit_product', product) %}`."""
    func = current_app.extensions.get(POLICIES_KEY, {}).get(name)
    if func is None:
        raise KeyError(f"unknown policy {name!r}")
    return bool(func(current_user, *args))
