""""Waiting for you" lists on people's home pages.

Each package registers providers from its `register(app)`: a provider takes the signed-in user
and returns the work items it has for them (a label, a count and where to go), or nothing.
Counts are one query each, so a home page costs the same at any data size.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

EXTENSION_KEY = "worklists"


@dataclass(frozen=True)
class WorkItem:
    label: object  # a lazy translatable string, or a rendered message
    count: int
    url: str


def register(app, provider) -> None:
    """Add `provider(user) -> list[WorkItem]` to the home pages of `app`."""
    app.extensions.setdefault(EXTENSION_KEY, []).append(provider)


def items_for(user, app=None) -> list[WorkItem]:
    """Every non-empty work item for `user`, in registration order."""
    app = app or current_app
    out = []
    for provider in app.extensions.get(EXTENSION_KEY, []):
        out.extend(item for item in provider(user) if item.count)
    return out


def suppliers_waiting(user) -> list[WorkItem]:
    """Platform reviewers: supplier firms waiting for verification."""
    from flask import url_for
    from flask_babel import lazy_gettext as _l

    from core import policy
    from core import roles as R
    from core.extensions import db
    from core.models import Organisation

    if not policy.can_verify_suppliers(user):
        return []
    count = db.session.execute(db.select(db.func.count(Organisation.id))
                               .filter_by(kind=R.ORG_SUPPLIER, status="pending")).scalar()
    return [WorkItem(_l("Supplier firms waiting for verification"), count, url_for("core.supplier_queue"))]
