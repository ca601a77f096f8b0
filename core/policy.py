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


# Principal checks: the one implementation every package's policy module builds on.

def is_signed_in(user) -> bool:
    """A real, signed-in user (not None, not anonymous)."""
    return bool(user is not None and getattr(user, "is_authenticated", False))


def has_role(user, *role_names) -> bool:
    """Signed in and holding at least one of `role_names`."""
    return is_signed_in(user) and user.has_role(*role_names)


def organisation_of(user):
    """The user's organisation, or None (anonymous users have none)."""
    return getattr(user, "organisation", None) if is_signed_in(user) else None


def in_organisation(user, organisation_id) -> bool:
    """The user works for organisation `organisation_id`."""
    return is_signed_in(user) and organisation_id is not None and getattr(user, "organisation_id", None) == organisation_id


def same_city(user, city_id) -> bool:
    """The user's organisation belongs to city `city_id`."""
    org = organisation_of(user)
    return bool(org is not None and org.city_id is not None and org.city_id == city_id)


# Object-level rules shared by several packages.

def is_platform(user) -> bool:
    """Platform staff (administrators and reviewers)."""
    return has_role(user, R.PLATFORM_ADMIN, R.PLATFORM_REVIEWER)


def can_verify_suppliers(user) -> bool:
    """Platform staff verify or reject supplier firms."""
    return has_role(user, R.PLATFORM_ADMIN, R.PLATFORM_REVIEWER)


def can_manage_people(user, organisation) -> bool:
    """An organisation's administrators invite, re-role and deactivate its people."""
    return (organisation is not None and has_role(user, R.ORG_ADMIN)
            and in_organisation(user, getattr(organisation, "id", None)))


def can_view_licence(user, organisation) -> bool:
    """A firm's business licence: platform reviewers (who verify it) and the firm's own people."""
    return is_platform(user) or in_organisation(user, getattr(organisation, "id", None))


POLICIES_KEY = "policies"


def register_policy(app, name, func):
    """Make `func(user, *args)` callable from templates as `can(name, *args)` on `app`.
    Each package registers its own rules from its `register(app)`."""
    app.extensions.setdefault(POLICIES_KEY, {})[name] = func


def register(app):
    """Core's own named policies."""
    register_policy(app, "verify_suppliers", can_verify_suppliers)
    register_policy(app, "platform", is_platform)
    register_policy(app, "manage_people", can_manage_people)


def can(name, *args):
    """Template helper: `{% if can('edit_product', product) %}`."""
    func = current_app.extensions.get(POLICIES_KEY, {}).get(name)
    if func is None:
        raise KeyError(f"unknown policy {name!r}")
    return bool(func(current_user, *args))
