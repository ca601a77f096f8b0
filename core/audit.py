"""Append-only, hash-chained audit trail.

Each event stores the hash of the previous one; `verify_chain` recomputes every hash and
names the first event that does not fit, so an altered, deleted or reordered row is found.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal

from flask import g, has_request_context
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from core import hashchain
from core.extensions import db
from core.models import AuditChainHead, AuditEvent
from core.timeutil import utcnow

GENESIS_HASH = hashchain.GENESIS_HASH


def _default(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return str(value)


def canonical(value) -> str:
    """Deterministic JSON used for hashing (sorted keys, no whitespace)."""
    return hashchain.canonical_json(value, default=_default)


def jsonable(value):
    """Round-trip through canonical JSON so stored values hash the same after reload."""
    return None if value is None else json.loads(canonical(value))


def event_hash(prev_hash: str, fields: dict) -> str:
    return hashchain.link_hash(prev_hash, fields, default=_default)


def _hashed_fields(ev: AuditEvent) -> dict:
    return {
        "seq": ev.seq,
        "created_at": ev.created_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "actor_id": ev.actor_id,
        "actor_org_id": ev.actor_org_id,
        "action": ev.action,
        "object_type": ev.object_type,
        "object_id": ev.object_id,
        "before": ev.before,
        "after": ev.after,
        "request_id": ev.request_id,
    }


def _normalise_time(ev: AuditEvent) -> None:
    # Microsecond precision differs by backend; truncate so the hash survives a round trip.
    ev.created_at = ev.created_at.replace(microsecond=0)


def _lock_head():
    """Lock the chain head row for this transaction (creating it on first use)."""
    session = db.session
    head = session.execute(select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditChainHead(id=1, last_seq=0, last_hash=GENESIS_HASH)
        session.add(head)
        session.flush()
    elif db.engine.dialect.name == "sqlite":
        # SQLite has no row locks; a write takes the database write lock until commit,
        # which serialises appenders just as FOR UPDATE does on PostgreSQL.
        session.execute(update(AuditChainHead).where(AuditChainHead.id == 1).values(last_seq=AuditChainHead.last_seq))
        session.refresh(head)
    return head


def _current_actor(actor):
    if actor is not None:
        return actor
    if has_request_context():
        user = getattr(g, "api_user", None)
        if user is not None:
            return user
        from flask_login import current_user

        if current_user and current_user.is_authenticated:
            return current_user._get_current_object()
    return None


def record(action, obj=None, *, object_type=None, object_id=None, before=None, after=None, actor=None) -> AuditEvent:
    """Append an audit event to the current transaction (the caller commits).

    `obj` supplies object type (table name) and id when given. Returns the event so
    callers can link their own records (e.g. project records) to it.
    """
    if obj is not None:
        object_type = object_type or getattr(obj, "__tablename__", type(obj).__name__)
        if object_id is None:
            if getattr(obj, "id", None) is None:
                db.session.flush()
            object_id = getattr(obj, "id", None)
    actor = _current_actor(actor)
    head = _lock_head()
    ev = AuditEvent(
        seq=head.last_seq + 1,
        created_at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_org_id=getattr(actor, "organisation_id", None),
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        before=jsonable(before),
        after=jsonable(after),
        request_id=getattr(g, "request_id", None) if has_request_context() else None,
        prev_hash=head.last_hash,
    )
    _normalise_time(ev)
    ev.hash = event_hash(ev.prev_hash, _hashed_fields(ev))
    head.last_seq = ev.seq
    head.last_hash = ev.hash
    db.session.add(ev)
    return ev


def verify_chain(batch_size: int = 5000):
    """Check the whole chain. Returns (ok, message, count).

    The message names the first broken event (by seq and id) when the chain is not intact.
    """
    expected_prev = GENESIS_HASH
    expected_seq = 1
    count = 0
    last_id = 0
    while True:
        rows = db.session.execute(
            select(AuditEvent).where(AuditEvent.seq >= expected_seq).order_by(AuditEvent.seq).limit(batch_size)
        ).scalars().all()
        if not rows:
            break
        for ev in rows:
            if ev.seq != expected_seq:
                return False, f"event seq {expected_seq} is missing (next present is seq {ev.seq}, id {ev.id})", count
            if ev.prev_hash != expected_prev:
                return False, f"event seq {ev.seq} (id {ev.id}) does not link to the previous event", count
            if event_hash(ev.prev_hash, _hashed_fields(ev)) != ev.hash:
                return False, f"event seq {ev.seq} (id {ev.id}) was altered: its hash does not match its content", count
            expected_prev = ev.hash
            expected_seq += 1
            last_id = ev.id
            count += 1
        db.session.expunge_all()
    head = db.session.get(AuditChainHead, 1)
    if head is not None and (head.last_seq != expected_seq - 1 or head.last_hash != expected_prev):
        return False, f"events after seq {expected_seq - 1} were removed (chain head expects seq {head.last_seq})", count
    return True, f"audit chain intact: {count} events", count


def guard_append_only(session, flush_context, instances):
    """Refuse updates and deletes of audit events through the ORM."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise RuntimeError("audit events are append-only")


def install() -> None:
    """Refuse updates and deletes of audit events in every session (idempotent; called by
    `core.register`)."""
    if not event.contains(Session, "before_flush", guard_append_only):
        event.listen(Session, "before_flush", guard_append_only)
