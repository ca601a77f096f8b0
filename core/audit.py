"""Append-only, hash-chained audit trail.

Each event stores the hash of the previous one; `check_chain` recomputes every hash and names
the first event that does not fit, so an altered, deleted or reordered row is found. The head
row (`audit_chain_head`) names the last event, so a removed tail is found while the row is there
and its absence is a finding whenever events exist. What a database writer could still do
unseen (truncate the tail together with the head row, empty both, or rewrite every hash) is
caught by signed checkpoints (`core.checkpoints`): `check_chain` holds the chain to each
checkpoint's (seq, head hash) as an `Anchor`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

from flask import g, has_request_context
from sqlalchemy import Index, event, select, update
from sqlalchemy.orm import Session

from core import hashchain
from core.extensions import db
from core.models import AuditChainHead, AuditEvent
from core.timeutil import utcnow

GENESIS_HASH = hashchain.GENESIS_HASH

# Events of one object are looked up by (type, id): `flask records verify` asks the trail which
# records it holds for a project. Declared with the code that needs it (migration 0009).
OBJECT_INDEX = Index("ix_audit_events_object", AuditEvent.object_type, AuditEvent.object_id)


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


def lock_head():
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
    head = lock_head()
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


@dataclass(frozen=True)
class Anchor:
    """A (seq, hash) the chain must still contain: a signed checkpoint (`core.checkpoints`)."""

    seq: int
    head_hash: str
    label: str


@dataclass(frozen=True)
class ChainReport:
    """What :func:`check_chain` found: ``ok`` or the first problem (``message``), the number of
    events checked, the last intact (seq, hash) and how many anchors the chain was held to."""

    ok: bool
    message: str
    count: int
    last_seq: int
    last_hash: str
    anchors: int = 0


_CHAIN_COLUMNS = (AuditEvent.id, AuditEvent.seq, AuditEvent.created_at, AuditEvent.actor_id,
                  AuditEvent.actor_org_id, AuditEvent.action, AuditEvent.object_type, AuditEvent.object_id,
                  AuditEvent.before, AuditEvent.after, AuditEvent.request_id, AuditEvent.prev_hash, AuditEvent.hash)


def check_chain(anchors=(), *, start_seq: int = 0, start_hash: str = GENESIS_HASH,
                batch_size: int = 5000) -> ChainReport:
    """Check the chain from ``start_seq + 1`` (whose predecessor hash is ``start_hash``) to its end.

    Finds, in sequence order, the first: missing event (gap), broken link, altered event, anchor
    (signed checkpoint) whose event now has another hash (the chain was rewritten) or lies past
    the end (events were removed), and a chain head row that is missing while events exist or
    does not match the last event (a removed tail).
    """
    by_seq: dict[int, list[Anchor]] = {}
    for a in anchors:
        by_seq.setdefault(int(a.seq), []).append(a)
    expected_prev, expected_seq, count = start_hash, start_seq + 1, 0

    def report(ok, message):
        return ChainReport(ok, message, count, expected_seq - 1, expected_prev, len(anchors))

    for a in by_seq.pop(0, []):
        if a.head_hash != GENESIS_HASH:
            return report(False, f"{a.label} (seq 0) does not name the chain's start")
    while True:
        rows = db.session.execute(
            select(*_CHAIN_COLUMNS).where(AuditEvent.seq >= expected_seq).order_by(AuditEvent.seq).limit(batch_size)
        ).all()
        if not rows:
            break
        for ev in rows:
            if ev.seq != expected_seq:
                return report(False, f"event seq {expected_seq} is missing (next present is seq {ev.seq}, id {ev.id})")
            if ev.prev_hash != expected_prev:
                return report(False, f"event seq {ev.seq} (id {ev.id}) does not link to the previous event")
            if event_hash(ev.prev_hash, _hashed_fields(ev)) != ev.hash:
                return report(False, f"event seq {ev.seq} (id {ev.id}) was altered: its hash does not match its content")
            for a in by_seq.pop(ev.seq, ()):
                if a.head_hash != ev.hash:
                    return report(False, f"{a.label} (seq {a.seq}) no longer matches: event seq {ev.seq} (id {ev.id}) "
                                         f"has another hash, so the chain was rewritten after that checkpoint")
            expected_prev = ev.hash
            expected_seq += 1
            count += 1
    last = expected_seq - 1
    if by_seq:
        seq = min(by_seq)
        return report(False, f"the chain ends at seq {last}, but {by_seq[seq][0].label} covers seq {seq}: "
                             f"events after seq {last} were removed")
    head = db.session.execute(select(AuditChainHead.last_seq, AuditChainHead.last_hash)
                              .where(AuditChainHead.id == 1)).first()
    if head is None:
        if last > 0:
            return report(False, f"the chain head row is missing while events up to seq {last} remain "
                                 f"(a removed tail hides this way)")
    elif head.last_seq != last or head.last_hash != expected_prev:
        if head.last_seq > last:
            return report(False, f"events after seq {last} were removed (chain head expects seq {head.last_seq})")
        return report(False, f"the chain head (seq {head.last_seq}) does not match the last event (seq {last})")
    return report(True, f"audit chain intact: {count} events")


def verify_chain(batch_size: int = 5000):
    """Check the whole chain. Returns (ok, message, count).

    The message names the first broken event (by seq and id) when the chain is not intact.
    Signed checkpoints are checked too by `core.checkpoints.verify` (`flask audit verify`).
    """
    r = check_chain(batch_size=batch_size)
    return r.ok, r.message, r.count


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
