"""Publishing: releases are stored append-only when something public happens.

**How events reach open data.** Publication follows the audit trail: every use case of the
platform already writes an audit event in its own transaction, so open data needs no hook in
any other package. `follow_audit()` reads the events after the last one it looked at
(`OcdsFeed`), finds the process each concerns (a row's `tender_id`, or through its lot, award,
agreement or order), and publishes those processes; it runs

- from the chronograph (kind ``opendata.sweep``, every ``OCDS_SWEEP_MINUTES``; the handler
  arms its next run), so releases appear without anyone asking;
- before every `/ocds/...` answer ("checked again on read"), so nothing published is missing;
- from `flask ocds publish` and the demo seeder.

**What is stored.** `publish_process` stores each event's release not yet stored (`releases`,
`calloffs`: their date is the event's time), then compares the process as it reads now with its
newest release and, if they differ, stores an ``update-N`` release dated now. Rows are never
changed or deleted (`guard_append_only`); (ocid, key) is unique, so a race publishes once.
"""

from __future__ import annotations

import datetime as dt
import json

from flask import current_app
from sqlalchemy import event, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core import scheduler
from core.extensions import db
from core.hashchain import canonical_json, sha256_hex
from core.models import AuditEvent
from core.timeutil import utcnow
from procurement.opendata import calloffs, releases
from procurement.opendata.models import OcdsFeed, OcdsRelease
from procurement.tendering.models import Lot, Tender
from procurement.tendering.states import PUBLIC_STATES

SWEEP = "opendata.sweep"
FEED_OBJECT = ("ocds_feed", 1)
BATCH = 2000

LOADERS = {"tender": releases.load, "order": calloffs.load}


def _normalised(data: dict) -> dict:
    return json.loads(canonical_json(data))


def _store(process, key: str, date: dt.datetime, tags) -> OcdsRelease:
    data = _normalised(process.build(key, date, tags))
    row = OcdsRelease(ocid=process.ocid, key=key, release_id=data["id"], date=date, tags=list(tags),
                      process_type=process.process_type, process_id=process.process_id, data=data,
                      sha256=sha256_hex(canonical_json(data)), published_at=utcnow())
    db.session.add(row)
    db.session.flush()
    return row


def stored_releases(ocid: str) -> list[OcdsRelease]:
    """A process's releases in publication order (date, then storage order)."""
    return list(db.session.execute(select(OcdsRelease).where(OcdsRelease.ocid == ocid)
                                   .order_by(OcdsRelease.date, OcdsRelease.id)).scalars())


def publish_process(process_type: str, process_id: int, now: dt.datetime | None = None) -> list[OcdsRelease]:
    """Store the new releases of one process (no commit); [] while it is not public."""
    process = LOADERS[process_type](process_id)
    if process is None:
        return []
    stored = stored_releases(process.ocid)
    keys = {r.key for r in stored}
    new = [_store(process, key, date, tags) for key, date, tags in process.candidates() if key not in keys]
    rows = stored + new
    if not rows:
        return new
    latest = max(rows, key=lambda r: (r.date, r.id))
    when = max(now or utcnow(), latest.date)
    current = _normalised(process.build("update", when, ("tenderUpdate",)))
    if releases.content(current) != releases.content(latest.data):
        number = sum(1 for r in rows if r.key.startswith("update-")) + 1
        new.append(_store(process, f"update-{number}", when, releases.update_tags(latest.data, current)))
    return new


# ---------------------------------------------------------------------- which process an event concerns

def _value(table: str, column: str, row_id) -> int | None:
    t = db.metadata.tables.get(table)
    if t is None or column not in t.c:
        return None
    return db.session.execute(select(t.c[column]).where(t.c.id == row_id)).scalar()


def processes_of(object_type: str | None, object_id: str | None) -> set[tuple[str, int]]:
    """The processes (("tender", id) / ("order", id)) an audited object belongs to."""
    if not object_type or not object_id or not str(object_id).isdigit() or len(str(object_id)) > 12:
        return set()
    oid = int(object_id)
    if object_type == "tenders":
        return {("tender", oid)}
    table = db.metadata.tables.get(object_type)
    if table is None:
        return set()
    out: set[tuple[str, int]] = set()
    row = db.session.execute(select(table).where(table.c.id == oid)).mappings().first() if "id" in table.c else None
    if row is None:
        return out
    if object_type == "orders":
        out.add(("order", oid))
    order_id = row.get("order_id")
    if order_id is not None:
        out.add(("order", order_id))
    agreement_id = row.get("agreement_id") or (_value("orders", "agreement_id", order_id) if order_id else None)
    if object_type == "agreements":
        agreement_id = oid
        out |= {("order", i) for i in calloffs.orders_of_framework([oid])}
    tender_id = row.get("tender_id")
    if tender_id is None and agreement_id is not None:
        tender_id = _value("agreements", "tender_id", agreement_id)
    if tender_id is None and row.get("lot_id") is not None:
        tender_id = db.session.execute(select(Lot.tender_id).where(Lot.id == row["lot_id"])).scalar()
    if tender_id is None and row.get("award_id") is not None:
        tender_id = _value("awards", "tender_id", row["award_id"])
    if tender_id is not None:
        out.add(("tender", tender_id))
    return out


def _lock_feed() -> OcdsFeed:
    """The feed row, locked for this transaction (made on first use: two first sweeps at once
    both insert-or-ignore it, then one waits for the other's lock)."""
    if db.session.get(OcdsFeed, 1) is None:
        insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
        db.session.execute(insert(OcdsFeed.__table__).values(id=1, last_audit_seq=0, updated_at=utcnow())
                           .on_conflict_do_nothing(index_elements=["id"]))
    if db.engine.dialect.name == "sqlite":  # no row locks: take the write lock now, as core.audit does
        db.session.execute(update(OcdsFeed).where(OcdsFeed.id == 1).values(last_audit_seq=OcdsFeed.last_audit_seq))
    return db.session.execute(select(OcdsFeed).where(OcdsFeed.id == 1).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one()


def pending_events() -> bool:
    """Whether audit events were written since the feed last looked (one cheap query)."""
    last = db.session.execute(select(OcdsFeed.last_audit_seq).where(OcdsFeed.id == 1)).scalar() or 0
    return (db.session.execute(select(func.max(AuditEvent.seq))).scalar() or 0) > last


def follow_audit(now: dt.datetime | None = None) -> int:
    """Publish the processes of every audit event since the last look (no commit); the number
    of releases stored."""
    feed = _lock_feed()
    stored = 0
    while True:
        rows = db.session.execute(select(AuditEvent.seq, AuditEvent.object_type, AuditEvent.object_id)
                                  .where(AuditEvent.seq > feed.last_audit_seq).order_by(AuditEvent.seq)
                                  .limit(BATCH)).all()
        if not rows:
            break
        touched: set[tuple[str, int]] = set()
        for _seq, object_type, object_id in rows:
            touched |= processes_of(object_type, object_id)
        for process_type, process_id in sorted(touched):
            stored += len(publish_process(process_type, process_id, now))
        feed.last_audit_seq = rows[-1][0]
    feed.updated_at = utcnow()
    return stored


def publish_all(now: dt.datetime | None = None) -> int:
    """Publish every public process (a full pass; no commit): the releases stored."""
    stored = 0
    for tender_id in db.session.execute(select(Tender.id).where(Tender.status.in_(PUBLIC_STATES))
                                        .order_by(Tender.id)).scalars():
        stored += len(publish_process("tender", tender_id, now))
    for order_id in calloffs.orders_of_framework(calloffs.framework_ids()):
        stored += len(publish_process("order", order_id, now))
    return stored


# ---------------------------------------------------------------------- the chronograph and the guard

def arm(now: dt.datetime | None = None) -> None:
    """Make sure the next sweep is pending (no commit)."""
    if SWEEP not in scheduler.handlers():
        return
    armed = scheduler.deadline_for(SWEEP, *FEED_OBJECT)
    if armed is not None and armed.status == "pending":
        return
    minutes = int(current_app.config.get("OCDS_SWEEP_MINUTES", 5))
    scheduler.schedule(SWEEP, *FEED_OBJECT, (now or utcnow()) + dt.timedelta(minutes=minutes))


def sweep_due(_object_id: int, _due_at: dt.datetime) -> None:
    """Chronograph handler: follow the audit trail, then arm the next sweep."""
    follow_audit()
    minutes = int(current_app.config.get("OCDS_SWEEP_MINUTES", 5))
    scheduler.schedule(SWEEP, *FEED_OBJECT, utcnow() + dt.timedelta(minutes=minutes))


def guard_append_only(session, flush_context, instances):
    """Refuse updates and deletes of published releases through the ORM."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, OcdsRelease) and (obj in session.deleted or session.is_modified(obj)):
            raise RuntimeError("published OCDS releases are append-only")


def install() -> None:
    """Guard every session (idempotent; called by the wiring)."""
    if not event.contains(Session, "before_flush", guard_append_only):
        event.listen(Session, "before_flush", guard_append_only)
