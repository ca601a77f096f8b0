"""Per-project hash chain of records (pure: no database), on the shared `core.hashchain`.

Each record's hash covers its content and the previous record's hash, so altering, removing or
reordering any record breaks every later link. The project row keeps the head (count and last
hash), so removing the newest record is caught too. Each record is also linked to the global
audit event written in the same transaction; that event carries the record's hash, which the
verifier compares (see ``procurement.records.services.verify_project``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable

from core.hashchain import GENESIS_HASH, canonical_json, canonical_time, link_hash, strict_default
from core.i18n import N_

__all__ = ["GENESIS_HASH", "ChainBreak", "canonical_json", "canonical_time", "hash_of", "normalise_payload",
           "record_hash", "verify_chain"]


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
    return json.loads(json.dumps(_floats_to_str(payload), default=strict_default))


def record_hash(*, project_id: int, seq: int, kind: str, created_at: datetime, actor_id: int | None,
                stage: str | None, payload: Any, prev_hash: str) -> str:
    """SHA-256 hex of one record's content and its predecessor's hash."""
    return link_hash(prev_hash, {
        "project_id": project_id,
        "seq": seq,
        "kind": kind,
        "created_at": canonical_time(created_at),
        "actor_id": actor_id,
        "stage": stage,
        "payload": normalise_payload(payload),
    }, embed_as="prev_hash")


def hash_of(record) -> str:
    """Recompute the hash of a record-like object (attributes as in :func:`record_hash`)."""
    return record_hash(project_id=record.project_id, seq=record.seq, kind=record.kind,
                       created_at=record.created_at, actor_id=record.actor_id, stage=record.stage,
                       payload=record.payload, prev_hash=record.prev_hash)


@dataclass(frozen=True)
class ChainBreak:
    """The first broken place of a chain; `reason` is a translatable template with `params`."""

    seq: int | None
    record_id: int | None
    reason: str
    params: dict = field(default_factory=dict)
    place: str | None = None  # a template naming the place when it is not a record (live data, ...)

    @property
    def where(self) -> tuple[str, dict]:
        """Where the chain breaks, as a (template, params) message."""
        if self.place is not None:
            return self.place, {}
        if self.seq is None:
            return N_("chain head"), {}
        if self.record_id is None:
            return N_("record #%(seq)s"), {"seq": self.seq}
        return N_("record #%(seq)s (id %(id)s)"), {"seq": self.seq, "id": self.record_id}

    def __str__(self) -> str:
        where, params = self.where
        return f"{where % params}: {self.reason % self.params if self.params else self.reason}"


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
                return ChainBreak(expected_seq, None, N_("record #%(seq)s is missing (next stored is #%(next)s)"),
                                  {"seq": expected_seq, "next": rec.seq})
            return ChainBreak(rec.seq, rec.id, N_("out of order: expected #%(seq)s here"), {"seq": expected_seq})
        if rec.prev_hash != expected_prev:
            return ChainBreak(rec.seq, rec.id, N_("previous-hash link does not match the record before it"))
        if hash_of(rec) != rec.hash:
            return ChainBreak(rec.seq, rec.id, N_("content does not match its hash (altered)"))
        expected_prev = rec.hash
        expected_seq += 1
        last = rec
    count = expected_seq - 1
    if head_count is not None and head_count != count:
        return ChainBreak(count + 1 if head_count > count else None, None,
                          N_("project head says %(head)s records, found %(count)s"),
                          {"head": head_count, "count": count})
    if head_hash is not None and head_hash != (last.hash if last else GENESIS_HASH):
        return ChainBreak(None, None, N_("project head hash does not match the last record"))
    return None
