"""Reproducible random draws: commit to a secret seed, draw, reveal the seed, verify.

One mechanism for every random selection the platform makes (evaluation panels, inspection
targets and teams): a purpose key and a subject say what a `Draw` is for; the caller gives the
pool. The steps, each in the caller's transaction with its audit event:

1. ``commit(purpose, subject)``: a 32-byte seed from `secrets`; its SHA-256 (the *commitment*)
   is public from now on (``/draws/<id>``); the seed stays secret.
2. ``perform(draw_id, candidates, excluded, strata)``: the pool is frozen as a canonical JSON
   snapshot (every candidate with the attributes the draw used, every excluded one with its
   reason key, the strata and their sizes) and the result computed from it and the seed.
3. ``reveal(draw_id)``: the seed is published; anyone can now recompute the result from the
   snapshot (docs/draws.md has a script that needs only `hashlib` and `json`).

**Algorithm** ``sha256-rank/1`` (`compute`): each candidate's rank is the SHA-256 hex digest of
the UTF-8 text ``seed|purpose|subject|candidate_id``; within each stratum, in the order the
strata are listed, candidates are sorted by (rank, id) and the first `size` taken (all of them
when the size is null: "uncapped"). Ids are unique and contain no ``|``, so the ranks are
distinct. The result is the ordered list of ids.

`verify` recomputes everything from the stored row and holds it to the audit trail (the
commitment, the snapshot's hash and the result were written there when they were made), so an
edited seed, snapshot, result or commitment is found (`flask draws verify DRAW`).

Lifecycle (`DRAW`): committed -> drawn -> revealed; committed -> cancelled (nothing was drawn;
the seed is published as well). core imports no domain package: callers pass plain values.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from core import audit
from core.errors import Conflict, Misuse, NotFound
from core.extensions import db
from core.hashchain import canonical_json
from core.i18n import N_
from core.statemachine import Move, StateMachine
from core.timeutil import UTCDateTime, utcnow

ALGORITHM = "sha256-rank/1"
SNAPSHOT_VERSION = 1
DEFAULT_STRATUM = "all"

COMMITTED, DRAWN, REVEALED, CANCELLED = "committed", "drawn", "revealed", "cancelled"
DRAW_STATES = (COMMITTED, DRAWN, REVEALED, CANCELLED)
DRAW = StateMachine("draw", DRAW_STATES, [
    Move("draw", (COMMITTED,), DRAWN),
    Move("reveal", (DRAWN,), REVEALED),
    Move("cancel", (COMMITTED,), CANCELLED),
], final=(REVEALED, CANCELLED))
#: States in which the seed is public.
SEED_PUBLIC = (REVEALED, CANCELLED)

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")            # purpose, stratum, reason keys
_REF = re.compile(r"^[A-Za-z0-9_.:-]{1,80}$")            # subject and candidate ids (no "|")


class Draw(db.Model):
    """One random draw. `seed` is secret until the draw is revealed (or cancelled): pages and the
    API show it only then (`public_view`)."""

    __tablename__ = "draws"
    __table_args__ = (
        CheckConstraint("status IN ('" + "','".join(DRAW_STATES) + "')", name="status"),
        Index("ix_draws_purpose_subject", "purpose", "subject"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20), default=COMMITTED)
    algorithm: Mapped[str] = mapped_column(String(40), default=ALGORITHM)
    commitment: Mapped[str] = mapped_column(String(64))
    seed: Mapped[str] = mapped_column(String(64))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("draws.id"), index=True)
    size: Mapped[int | None] = mapped_column(Integer)
    strata: Mapped[list | None] = mapped_column(JSON)
    pool_snapshot: Mapped[str | None] = mapped_column(Text)
    pool_sha256: Mapped[str | None] = mapped_column(String(64))
    pool_size: Mapped[int | None] = mapped_column(Integer)
    excluded_count: Mapped[int | None] = mapped_column(Integer)
    result: Mapped[list | None] = mapped_column(JSON)
    committed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    drawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revealed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    committed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revealed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @property
    def seed_public(self) -> bool:
        return self.status in SEED_PUBLIC


@dataclass(frozen=True)
class Candidate:
    """A member of the pool: `id` (unique in the pool), its stratum and the attributes the draw used."""

    id: str
    stratum: str = DEFAULT_STRATUM
    attributes: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Excluded:
    """Someone left out of the pool, with the key of the reason (e.g. ``"bidder_affiliation"``)."""

    id: str
    reason: str
    attributes: dict = field(default_factory=dict)


class PoolTooSmall(Conflict):
    """Fewer eligible candidates than places in a stratum (HTTP 409); nothing is drawn."""

    code = "pool_too_small"


# ------------------------------------------------------------------ the pure algorithm

def commitment_of(seed: str) -> str:
    """The published commitment to `seed`: SHA-256 of its UTF-8 text, hex."""
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()


def rank(seed: str, purpose: str, subject: str, candidate_id: str) -> str:
    """A candidate's rank: SHA-256 hex of ``seed|purpose|subject|candidate_id`` (lowest first)."""
    return hashlib.sha256("|".join((seed, purpose, subject, candidate_id)).encode("utf-8")).hexdigest()


def compute(seed: str, snapshot: dict) -> list[str]:
    """The result of a draw from its seed and pool snapshot (see the module text)."""
    purpose, subject = snapshot["purpose"], snapshot["subject"]
    result: list[str] = []
    for stratum, size in snapshot["strata"]:
        ids = sorted((c["id"] for c in snapshot["candidates"] if c["stratum"] == stratum),
                     key=lambda cid: (rank(seed, purpose, subject, cid), cid))
        result.extend(ids if size is None else ids[:size])
    return result


def build_snapshot(purpose: str, subject: str, candidates: Iterable[Candidate], excluded: Iterable[Excluded],
                   strata) -> dict:
    """The canonical pool snapshot (candidates and exclusions sorted by id). `strata` is a size
    (one stratum, ``"all"``) or ``[(stratum, size or None), ...]`` in drawing order. ValueError
    for ids that repeat or contain characters outside ``A-Za-z0-9_.:-``."""
    if isinstance(strata, int) and not isinstance(strata, bool):
        strata = [(DEFAULT_STRATUM, strata)]
    strata = [[str(name), None if size is None else int(size)] for name, size in strata]
    names = [name for name, _size in strata]
    if not strata or len(set(names)) != len(names) or not all(_KEY.match(n) for n in names):
        raise Misuse("strata must be distinct keys of [a-z][a-z0-9_]", names)
    if any(size is not None and size < 0 for _n, size in strata):
        raise ValueError("a stratum size cannot be negative")
    cands = sorted(({"id": c.id, "stratum": c.stratum, "attributes": dict(c.attributes)} for c in candidates),
                   key=lambda c: c["id"])
    excl = sorted(({"id": e.id, "reason": e.reason, "attributes": dict(e.attributes)} for e in excluded),
                  key=lambda e: e["id"])
    ids = [c["id"] for c in cands] + [e["id"] for e in excl]
    if len(set(ids)) != len(ids) or not all(_REF.match(i) for i in ids):
        raise ValueError("candidate ids must be unique and match [A-Za-z0-9_.:-]{1,80}")
    if any(c["stratum"] not in names for c in cands) or not all(_KEY.match(e["reason"]) for e in excl):
        raise ValueError("every candidate needs a listed stratum and every exclusion a reason key")
    return {"version": SNAPSHOT_VERSION, "algorithm": ALGORITHM, "purpose": purpose, "subject": subject,
            "strata": strata, "candidates": cands, "excluded": excl}


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ------------------------------------------------------------------ the lifecycle (caller's transaction)

def commit(purpose: str, subject: str, *, actor=None, parent: Draw | None = None) -> Draw:
    """A new draw with a fresh secret seed; its commitment is public from now on. No commit."""
    if not _KEY.match(purpose or "") or not _REF.match(subject or ""):
        raise Misuse("a draw needs a purpose key and a subject reference", (purpose, subject))
    seed = secrets.token_hex(32)
    draw = Draw(purpose=purpose, subject=subject, status=COMMITTED, algorithm=ALGORITHM, seed=seed,
                commitment=commitment_of(seed), parent_id=parent.id if parent is not None else None,
                committed_at=utcnow(), committed_by_id=getattr(actor, "id", None))
    db.session.add(draw)
    db.session.flush()
    audit.record("draw.commit", draw, actor=actor,
                 after={"purpose": purpose, "subject": subject, "commitment": draw.commitment,
                        "algorithm": ALGORITHM, "parent_id": draw.parent_id})
    return draw


def get(draw_id) -> Draw:
    """The draw with that id (NotFound otherwise)."""
    try:
        draw = db.session.get(Draw, int(draw_id))
    except (TypeError, ValueError, OverflowError):
        draw = None
    if draw is None:
        raise NotFound(N_("No such draw."))
    return draw


def perform(draw_id: int, candidates: Iterable[Candidate], excluded: Iterable[Excluded], strata, *,
            actor=None) -> Draw:
    """Freeze the pool and draw: committed -> drawn (an atomic conditional update: of two
    requests at once exactly one draws). `PoolTooSmall` when a stratum has fewer candidates than
    its size. No commit."""
    draw = get(draw_id)
    DRAW.check(draw.status, "draw")
    snapshot = build_snapshot(draw.purpose, draw.subject, candidates, excluded, strata)
    for stratum, size in snapshot["strata"]:
        available = sum(1 for c in snapshot["candidates"] if c["stratum"] == stratum)
        if size is not None and available < size:
            raise PoolTooSmall(N_("Only %(available)s eligible candidates for %(size)s places: nothing was drawn."),
                               available=available, size=size)
    text = canonical_json(snapshot)
    result = compute(draw.seed, snapshot)
    values = {"drawn_at": utcnow(), "drawn_by_id": getattr(actor, "id", None), "pool_snapshot": text,
              "pool_sha256": sha256_text(text), "pool_size": len(snapshot["candidates"]),
              "excluded_count": len(snapshot["excluded"]), "strata": snapshot["strata"], "size": len(result),
              "result": result}
    DRAW.apply(Draw, draw.id, "draw", **values)
    audit.record("draw.perform", draw, actor=actor, after={
        "commitment": draw.commitment, "pool_sha256": values["pool_sha256"], "pool_size": values["pool_size"],
        "excluded_count": values["excluded_count"], "strata": snapshot["strata"], "result": result})
    return draw


def reveal(draw_id: int, *, actor=None) -> Draw:
    """Publish the seed of a drawn draw: drawn -> revealed. No commit."""
    draw = get(draw_id)
    DRAW.apply(Draw, draw.id, "reveal", revealed_at=utcnow(), revealed_by_id=getattr(actor, "id", None))
    audit.record("draw.reveal", draw, actor=actor, after={"seed": draw.seed, "commitment": draw.commitment})
    return draw


def cancel(draw_id: int, *, actor=None) -> Draw:
    """Abandon a draw that was committed but never drawn (its seed becomes public too). No commit."""
    draw = get(draw_id)
    DRAW.apply(Draw, draw.id, "cancel", revealed_at=utcnow(), revealed_by_id=getattr(actor, "id", None))
    audit.record("draw.cancel", draw, actor=actor, after={"seed": draw.seed, "commitment": draw.commitment})
    return draw


def children(draw: Draw) -> list[Draw]:
    return list(db.session.execute(select(Draw).where(Draw.parent_id == draw.id).order_by(Draw.id)).scalars())


def public_view(draw: Draw) -> dict:
    """What everyone may see of a draw: the seed, the snapshot and the result only once the seed
    is public (revealed or cancelled); before that the commitment, times and pool size."""
    def iso(t):
        return t.isoformat() if t else None
    out = {"id": draw.id, "purpose": draw.purpose, "subject": draw.subject, "status": draw.status,
           "algorithm": draw.algorithm, "commitment": draw.commitment, "parent_id": draw.parent_id,
           "committed_at": iso(draw.committed_at), "drawn_at": iso(draw.drawn_at),
           "revealed_at": iso(draw.revealed_at), "pool_size": draw.pool_size,
           "excluded_count": draw.excluded_count, "size": draw.size, "strata": draw.strata,
           "pool_sha256": draw.pool_sha256, "seed": None, "snapshot": None, "result": None}
    if draw.seed_public:
        out.update(seed=draw.seed, snapshot=draw.pool_snapshot, result=draw.result)
    return out


# ------------------------------------------------------------------ verification

@dataclass
class VerifyReport:
    """`ok` when nothing differs; `problems` says exactly what does (English, for the CLI)."""

    draw_id: int
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _events(draw: Draw) -> dict:
    from core.models import AuditEvent

    rows = db.session.execute(select(AuditEvent.action, AuditEvent.after)
                              .where(AuditEvent.object_type == Draw.__tablename__,
                                     AuditEvent.object_id == str(draw.id)).order_by(AuditEvent.seq)).all()
    return {action: after or {} for action, after in rows}


def _first_difference(expected: Sequence, stored: Sequence) -> str:
    for i, (a, b) in enumerate(zip(expected, stored)):
        if a != b:
            return f"position {i + 1}: recomputed {a!r}, stored {b!r}"
    return f"recomputed {len(expected)} ids, stored {len(stored)}"


def verify(draw: Draw) -> VerifyReport:
    """Recompute the draw from its stored snapshot and seed and check it against the row and the
    audit trail. Works before the reveal too (operators hold the seed)."""
    report = VerifyReport(draw.id)
    bad, ok = report.problems.append, report.checked.append
    events = _events(draw)
    if draw.algorithm != ALGORITHM:
        bad(f"unknown algorithm {draw.algorithm!r} (this platform computes {ALGORITHM})")
        return report
    if commitment_of(draw.seed or "") != draw.commitment:
        bad(f"the seed does not match the commitment: SHA-256(seed) = {commitment_of(draw.seed or '')}, "
            f"commitment = {draw.commitment}")
    else:
        ok("the seed matches the commitment")
    committed = events.get("draw.commit")
    if committed is None:
        bad("no audit event records the commitment")
    elif committed.get("commitment") != draw.commitment:
        bad(f"the commitment differs from the one published at {draw.committed_at.isoformat()} (audit trail: "
            f"{committed.get('commitment')}, row: {draw.commitment})")
    if draw.status == COMMITTED or draw.status == CANCELLED:
        if draw.pool_snapshot is not None or draw.result is not None:
            bad(f"a draw in status {draw.status!r} holds a pool snapshot or a result")
        ok(f"status {draw.status}: nothing was drawn")
        return report
    _verify_drawn(draw, events.get("draw.perform"), report)
    return report


def _verify_drawn(draw: Draw, performed: dict | None, report: VerifyReport) -> None:
    bad, ok = report.problems.append, report.checked.append
    text = draw.pool_snapshot or ""
    if sha256_text(text) != draw.pool_sha256:
        bad(f"the pool snapshot's SHA-256 is {sha256_text(text)}, the row says {draw.pool_sha256}")
    if performed is None:
        bad("no audit event records the draw")
    else:
        if performed.get("pool_sha256") != sha256_text(text):
            bad(f"the pool snapshot differs from the one drawn from (audit trail: SHA-256 "
                f"{performed.get('pool_sha256')}, stored snapshot: {sha256_text(text)})")
        if performed.get("result") != draw.result:
            bad(f"the stored result differs from the one drawn (audit trail: {performed.get('result')}, "
                f"row: {draw.result})")
    try:
        snapshot = json.loads(text)
        expected = compute(draw.seed, snapshot)
    except (ValueError, KeyError, TypeError) as exc:
        bad(f"the pool snapshot cannot be read: {exc}")
        return
    if (snapshot.get("purpose"), snapshot.get("subject")) != (draw.purpose, draw.subject):
        bad(f"the snapshot is for {snapshot.get('purpose')}/{snapshot.get('subject')}, "
            f"the draw for {draw.purpose}/{draw.subject}")
    if expected != draw.result:
        bad(f"the result does not follow from the seed and the snapshot: {_first_difference(expected, draw.result or [])}")
    else:
        ok(f"the result follows from the seed and the snapshot ({len(expected)} of {len(snapshot['candidates'])})")
    ids = [c["id"] for c in snapshot["candidates"]] + [e["id"] for e in snapshot["excluded"]]
    if len(set(ids)) != len(ids):
        bad("an id appears twice in the snapshot (as a candidate and as excluded, or twice)")
    earlier = _ancestor_results(draw)
    again = sorted(set(earlier) & {c["id"] for c in snapshot["candidates"]})
    if again:
        bad(f"candidates already drawn by an earlier draw of the chain were in the pool again: {again}")
    elif draw.parent_id is not None:
        ok("nobody drawn by an earlier draw of the chain was in the pool again")


def _ancestor_results(draw: Draw) -> list[str]:
    out, seen, parent_id = [], set(), draw.parent_id
    while parent_id is not None and parent_id not in seen:
        seen.add(parent_id)
        parent = db.session.get(Draw, parent_id)
        if parent is None:
            break
        out.extend(parent.result or [])
        parent_id = parent.parent_id
    return out
