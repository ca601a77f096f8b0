"""Per-project hash chain of records (pure: no database).

Each record's hash covers its content and the previous record's hash, so altering, removing or
reordering any record breaks every later link. The project row keeps the head (count and last
hash), so removing the newest record is caught too. Each record is also linked to the global
audit event written in the same transaction; that event carries the record's hash, which the
verifier compares (see ``procurement.services.records.verify_project``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from fractions import Fraction
from typing import Any, Iterable

GENESIS_HASH = "0" * 64


def _default(value):
    if isinstance(value, datetime):
        return canonical_time(value)
    if isinstance(value, (Decimal, Fraction)):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot put {type(value).__name__} into a record")


def _floats_to_str(value):
    # floats do not survive every JSON store byte for byte (PostgreSQL jsonb normalises numbers);
    # records never hold measurements as floats, but if one slips in it is kept as text.
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return {str(k): _floats_to_str(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_floats_to_str(v) for v in value]
    return value


def normalise_payload(payload: Any) -> Any:
    """The JSON value that is both stored and hashed (datetimes, Decimals, floats as strings)."""
    return json.loads(json.dumps(_floats_to_str(payload), default=_default))


def canonical_json(value: Any) -> str:
    """Deterministic JSON text: sorted keys, no whitespace, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default)


def canonical_time(dt: datetime | None) -> str | None:
    """Aware UTC ISO text with microseconds (naive values are taken as UTC)."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).isoformat(timespec="microseconds")


def record_hash(*, project_id: int, seq: int, kind: str, created_at: datetime, actor_id: int | None,
                stage: str | None, payload: Any, prev_hash: str) -> str:
    """SHA-256 hex of one record's content and its predecessor's hash."""
    body = canonical_json({
        "project_id": project_id,
        "seq": seq,
        "kind": kind,
        "created_at": canonical_time(created_at),
        "actor_id": actor_id,
        "stage": stage,
        "payload": normalise_payload(payload),
        "prev_hash": prev_hash,
    })
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def hash_of(record) -> str:
    """Recompute the hash of a record-like object (attributes as in :func:`record_hash`)."""
    return record_hash(project_id=record.project_id, seq=record.seq, kind=record.kind,
                       created_at=record.created_at, actor_id=record.actor_id, stage=record.stage,
                       payload=record.payload, prev_hash=record.prev_hash)


@dataclass(frozen=True)
class ChainBreak:
    """The first broken place of a chain."""

    seq: int | None
    record_id: int | None
    reason: str

    def __str__(self) -> str:
        where = f"record #{self.seq}" if self.seq is not None else "chain head"
        if self.record_id is not None:
            where += f" (id {self.record_id})"
        return f"{where}: {self.reason}"


def verify_chain(records: Iterable, *, head_count: int | None = None, head_hash: str | None = None) -> ChainBreak | None:
    """Check records of ONE project given in storage order (by id); return the first break or None.

    Detects: content altered (hash mismatch), record removed (gap in seq / prev_hash mismatch /
    head count), records reordered (seq out of storage order), tail removed (head mismatch).
    """
    expected_prev = GENESIS_HASH
    expected_seq = 1
    last = None
    for rec in records:
        if rec.seq != expected_seq:
            if rec.seq is not None and rec.seq > expected_seq:
                return ChainBreak(expected_seq, None, f"record #{expected_seq} is missing (next stored is #{rec.seq})")
            return ChainBreak(rec.seq, rec.id, f"out of order: expected #{expected_seq} here")
        if rec.prev_hash != expected_prev:
            return ChainBreak(rec.seq, rec.id, "previous-hash link does not match the record before it")
        if hash_of(rec) != rec.hash:
            return ChainBreak(rec.seq, rec.id, "content does not match its hash (altered)")
        expected_prev = rec.hash
        expected_seq += 1
        last = rec
    count = expected_seq - 1
    if head_count is not None and head_count != count:
        return ChainBreak(count + 1 if head_count > count else None, None,
                          f"project head says {head_count} records, found {count}")
    if head_hash is not None and head_hash != (last.hash if last else GENESIS_HASH):
        return ChainBreak(None, None, "project head hash does not match the last record")
    return None
