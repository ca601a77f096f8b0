"""Refreshing the monthly fact table: each source's metrics are rewritten whole (delete, then
insert the source's GROUP BY rows) in the caller's transaction, so a refresh run twice gives the
same table. The chronograph runs it (`oversight.refresh`, one deadline for the whole table, which
re-arms itself `OVERSIGHT_REFRESH_MINUTES` later); platform staff may also refresh now."""

from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import delete

from core import audit, scheduler
from core.errors import PermissionDenied
from core.extensions import db
from core.i18n import N_
from core.services import unit_of_work
from core.timeutil import utcnow
from procurement.oversight import policy
from procurement.oversight.models import MonthlyFact
from procurement.oversight.sources import SOURCES

KIND = "oversight.refresh"
OBJECT_TYPE = "oversight_facts"
OBJECT_ID = 1  # one deadline: the whole table
DEFAULT_MINUTES = 60
BATCH = 5000
FACTS = MonthlyFact.__table__  # Core insert: plain rows, no ORM bookkeeping


def refresh(*, now: dt.datetime | None = None, names=None) -> dict[str, int]:
    """Rewrite the metrics of every source (of `names` only when given); no commit. Returns the
    number of fact rows written per source."""
    now = now or utcnow()
    written = {}
    for source in SOURCES:
        if names is not None and source.name not in names:
            continue
        rows = list(source.func())
        db.session.execute(delete(FACTS).where(FACTS.c.metric.in_(source.metrics)))
        values = [{"metric": metric, "city_id": city_id, "month": dt.date(int(month[:4]), int(month[5:7]), 1),
                   "value": value, "refreshed_at": now} for metric, city_id, month, value in rows]
        for start in range(0, len(values), BATCH):
            db.session.execute(FACTS.insert(), values[start:start + BATCH])
        written[source.name] = len(values)
    return written


def minutes() -> int:
    """Minutes between two scheduled refreshes (config OVERSIGHT_REFRESH_MINUTES)."""
    return max(1, int(current_app.config.get("OVERSIGHT_REFRESH_MINUTES", DEFAULT_MINUTES)))


def arm(now: dt.datetime | None = None) -> None:
    """Make sure the next refresh is scheduled (no commit)."""
    row = scheduler.deadline_for(KIND, OBJECT_TYPE, OBJECT_ID)
    if row is None or row.status != "pending":
        scheduler.schedule(KIND, OBJECT_TYPE, OBJECT_ID, (now or utcnow()) + dt.timedelta(minutes=minutes()))


def refresh_when_due(object_id: int, due_at: dt.datetime) -> None:
    """Chronograph handler: refresh everything, then re-arm. Idempotent (a rewrite); no commit."""
    now = utcnow()
    refresh(now=now)
    scheduler.schedule(KIND, OBJECT_TYPE, OBJECT_ID, now + dt.timedelta(minutes=minutes()))


def refresh_now(actor, *, now: dt.datetime | None = None) -> dict[str, int]:
    """Platform staff refresh the figures now (audited); the scheduled refresh stays armed."""
    if not policy.can_manage_oversight(actor):
        raise PermissionDenied(N_("Only platform oversight staff refresh the figures."))
    with unit_of_work():
        written = refresh(now=now)
        arm(now)
        audit.record("oversight.refresh", object_type=OBJECT_TYPE, object_id=OBJECT_ID, after=written, actor=actor)
    return written


def last_refreshed() -> dt.datetime | None:
    """When the figures were last written (None: never)."""
    return db.session.execute(db.select(db.func.max(MonthlyFact.refreshed_at))).scalar()
