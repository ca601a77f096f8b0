"""Pure per-project hash chain: altered, removed, reordered records are found."""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

import pytest

from procurement.records.chain import GENESIS_HASH, canonical_json, normalise_payload, record_hash, verify_chain


@dataclass
class Rec:
    id: int
    project_id: int
    seq: int
    kind: str
    created_at: datetime
    actor_id: int
    stage: str
    payload: dict
    prev_hash: str
    hash: str = ""


def build(n=4):
    t0 = datetime(2026, 1, 1, 8, 0, tzinfo=timezone.utc)
    out, prev = [], GENESIS_HASH
    for i in range(1, n + 1):
        r = Rec(10 + i, 7, i, f"event{i}", t0 + timedelta(minutes=i), 3, "budget", {"n": i, "名": "南京"}, prev)
        r.hash = record_hash(project_id=r.project_id, seq=r.seq, kind=r.kind, created_at=r.created_at,
                             actor_id=r.actor_id, stage=r.stage, payload=r.payload, prev_hash=r.prev_hash)
        prev = r.hash
        out.append(r)
    return out


def test_intact_chain_verifies():
    recs = build()
    assert verify_chain(recs, head_count=4, head_hash=recs[-1].hash) is None
    assert verify_chain([], head_count=0, head_hash=GENESIS_HASH) is None


def test_altered_payload_found():
    recs = build()
    recs[1].payload = {"n": 99, "名": "南京"}
    brk = verify_chain(recs, head_count=4, head_hash=recs[-1].hash)
    assert brk.seq == 2 and "altered" in brk.reason


@pytest.mark.parametrize("field,value", [("kind", "other"), ("actor_id", 4), ("stage", "design"),
                                         ("created_at", datetime(2020, 1, 1, tzinfo=timezone.utc))])
def test_altered_fields_found(field, value):
    recs = build()
    setattr(recs[2], field, value)
    assert verify_chain(recs).seq == 3


def test_rehashed_alteration_breaks_next_link():
    recs = build()
    r = recs[1]
    r.payload = {"n": 42}
    r.hash = record_hash(project_id=r.project_id, seq=r.seq, kind=r.kind, created_at=r.created_at,
                         actor_id=r.actor_id, stage=r.stage, payload=r.payload, prev_hash=r.prev_hash)
    brk = verify_chain(recs)
    assert brk.seq == 3 and "previous-hash" in brk.reason


def test_removed_middle_record_found():
    recs = build()
    del recs[1]
    brk = verify_chain(recs)
    assert brk.seq == 2 and "missing" in brk.reason


def test_removed_last_record_found_by_head():
    recs = build()
    head = recs[-1].hash
    del recs[-1]
    brk = verify_chain(recs, head_count=4, head_hash=head)
    assert "head" in brk.reason


def test_reordered_records_found():
    recs = build()
    recs[1], recs[2] = recs[2], recs[1]
    brk = verify_chain(recs)
    assert brk is not None and brk.seq in (2, 3)


def test_renumbered_records_found():
    recs = build()
    recs[1].seq, recs[2].seq = 3, 2
    recs = sorted(recs, key=lambda r: r.seq)
    assert verify_chain(recs) is not None


def test_time_normalised_to_utc():
    recs = build(1)
    r = recs[0]
    r2 = replace(r, created_at=r.created_at.astimezone(timezone(timedelta(hours=8))))
    assert verify_chain([r2]) is None
    r3 = replace(r, created_at=r.created_at.replace(tzinfo=None))  # naive read back from SQLite = UTC
    assert verify_chain([r3]) is None


def test_canonical_json_is_stable():
    assert canonical_json({"b": 1, "a": [1, {"d": 2, "c": 3}]}) == '{"a":[1,{"c":3,"d":2}],"b":1}'
    assert normalise_payload({"x": 1.5, "y": (1, 2)}) == {"x": "1.5", "y": [1, 2]}
