""""Waiting for you" items of pooling (`core.worklists`, registered by `wiring.register`):
purchasers see the rounds open for their projects, centres the rounds ready to tender. One
query each."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.worklists import WorkItem
from procurement.blueprints import page_path
from procurement.pooling import queries


def open_rounds_for_purchasers(user) -> list[WorkItem]:
    count = queries.count_open_rounds_for(user)
    if not count:
        return []
    return [WorkItem(_l("Open pooling rounds for your projects"), count,
                     page_path("tendering.pooling_rounds", status="open"))]


def rounds_ready_to_tender(user) -> list[WorkItem]:
    count = queries.count_ready_to_tender(user)
    if not count:
        return []
    return [WorkItem(_l("Pooling rounds ready to tender"), count,
                     page_path("tendering.pooling_rounds", status="closed"))]


PROVIDERS = (open_rounds_for_purchasers, rounds_ready_to_tender)
