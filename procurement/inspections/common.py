"""Helpers the inspection services share: row locks, the project record, China-day deadlines."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from core import audit
from core.errors import NotFound
from core.extensions import db
from core.i18n import N_
from core.timeutil import CHINA

_ID_MAX = 2**31 - 1


def as_id(value) -> int | None:
    """An integer id from a path or body value; None when it cannot be one."""
    if isinstance(value, bool):
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= _ID_MAX else None


def lock(model, object_id, missing: str):
    """The row locked for this transaction (on SQLite a no-op UPDATE takes the write lock);
    NotFound with `missing` otherwise."""
    oid = as_id(object_id)
    if oid is None:
        raise NotFound(missing)
    if db.engine.dialect.name == "sqlite":
        db.session.execute(update(model).where(model.id == oid).values(updated_at=model.updated_at)
                           .execution_options(synchronize_session=False))
    row = db.session.execute(select(model).where(model.id == oid).with_for_update(of=model)
                             .execution_options(populate_existing=True)).unique().scalar_one_or_none()
    if row is None:
        raise NotFound(missing)
    return row


def on_project(project_id: int | None, kind: str, payload: dict, *, actor, obj, action: str,
               before: dict | None = None, after: dict | None = None) -> None:
    """The use case's audit event on `obj` and, for a project target, one record on the
    project's chain (the caller holds no project lock yet: it is taken here)."""
    from procurement.records.services import append_record, lock_project

    db.session.flush()
    audit.record(action, obj, actor=actor, before=before, after=after if after is not None else payload)
    if project_id is not None:
        append_record(lock_project(project_id), kind, payload, actor=actor)


def day_end_utc(day: dt.date) -> dt.datetime:
    """The first moment after `day` in China (when a deadline on that day has passed), in UTC."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=CHINA).astimezone(dt.timezone.utc)


NO_CAMPAIGN = N_("No such inspection campaign.")
NO_INSPECTION = N_("No such inspection.")
NO_RECTIFICATION = N_("No such rectification notice.")
