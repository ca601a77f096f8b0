"""What pages, the API and the next steps (scoring, award) read about an opening. Reads only.

For the next pieces of work:

- `lot_outcome(lot_id)`: the lot's `LotOpening` (status qualifying / qualified / failed /
  retender / negotiation, counts, minimum) or None before opening;
- `opened_bids(lot_id, valid_only=True)`: the lot's opened bids (`OpenedBid`: firm, product,
  unit price and total in fen, documents, results);
- `qualified_bids(lot_id)`: `QualifiedBid`s of a lot whose qualification the centre confirmed
  (status qualified): every check passed, overrides included; [] otherwise. Scoring and award
  start from these.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

import catalog.interface as catalog
from core.extensions import db
from core.timeutil import utcnow
from procurement.bids import opening_keys, sealed_round
from procurement.bids.models import KeyShare
from procurement.opening import policy, services
from procurement.opening.models import LotOpening, OpenedBid, UnlockedShare
from procurement.opening.states import COLLECTING, OPENED, QUALIFIED, VALID


@dataclass(frozen=True)
class QualifiedBid:
    """A bid that passed qualification on a confirmed lot: what scoring and award need."""

    opened_bid_id: int
    bid_id: int
    lot_id: int
    supplier_org_id: int
    product_id: int
    unit_price_fen: int
    total_fen: int


def lot_outcome(lot_id: int) -> LotOpening | None:
    return db.session.execute(select(LotOpening).where(LotOpening.lot_id == int(lot_id))).unique().scalar_one_or_none()


def opened_bids(lot_id: int, *, valid_only: bool = True) -> list[OpenedBid]:
    stmt = select(OpenedBid).where(OpenedBid.lot_id == int(lot_id))
    if valid_only:
        stmt = stmt.where(OpenedBid.status == VALID)
    return list(db.session.execute(stmt.order_by(OpenedBid.id)).unique().scalars())


def is_qualified(opened: OpenedBid) -> bool:
    return opened.status == VALID and bool(opened.results) and all(r.passed for r in opened.results)


def qualified_bids(lot_id: int) -> list[QualifiedBid]:
    """The lot's qualified bids, cheapest total first, once its qualification is confirmed."""
    outcome = lot_outcome(lot_id)
    if outcome is None or outcome.status != QUALIFIED:
        return []
    rows = [b for b in opened_bids(lot_id) if is_qualified(b)]
    return [QualifiedBid(b.id, b.bid_id, b.lot_id, b.supplier_org_id, b.product_id, b.unit_price_fen, b.total_fen)
            for b in sorted(rows, key=lambda b: (b.total_fen, b.id))]


def _product(product_id) -> dict | None:
    facts = catalog.product_facts(product_id) if product_id else None
    if facts is None:
        return None
    return {"id": facts["id"], "sku": facts["sku"], "name_en": facts["name_en"], "name_zh": facts["name_zh"],
            "unit": facts["unit"]}


def session_view(tender, now: dt.datetime | None = None) -> dict:
    """The session's progress: k of n, who holds shares and who unlocked in the current attempt."""
    now = now or utcnow()
    key = opening_keys.opening_key(tender.id)
    session = services.session_of(tender.id)
    holders = list(db.session.execute(select(KeyShare).where(KeyShare.tender_id == tender.id)
                                      .order_by(KeyShare.x)).unique().scalars())
    unlocked = {}
    if session is not None:
        for row in db.session.execute(select(UnlockedShare).where(UnlockedShare.session_id == session.id,
                                                                  UnlockedShare.attempt == session.attempt)
                                      ).unique().scalars():
            unlocked[row.holder_user_id] = row
    status = services.effective_status(session, now) or "not_started"
    if status not in (COLLECTING, OPENED):
        unlocked = {}  # an expired attempt's unlocks were wiped: the next unlock starts again
    return {"tender": tender, "key": key, "session": session, "status": status,
            "k": key.k if key else None, "n": key.n if key else None, "deadline_passed": policy.deadline_passed(tender, now),
            "holders": [{"user": s.holder, "unlocked_at": unlocked[s.holder_user_id].unlocked_at
                         if s.holder_user_id in unlocked else None} for s in holders],
            "unlocked": len(unlocked)}


def _lot_rows(tender, *, with_results: bool) -> list[dict]:
    outcomes = {o.lot_id: o for o in db.session.execute(select(LotOpening).where(
        LotOpening.tender_id == tender.id)).unique().scalars()}
    rows = []
    for lot in tender.lots:
        bids = opened_bids(lot.id, valid_only=False)
        rows.append({"lot": lot, "outcome": outcomes.get(lot.id), "bids": [
            {"opened": b, "product": _product(b.product_id) if b.status == VALID else None,
             "qualified": is_qualified(b), "results": list(b.results) if with_results else []} for b in bids]})
    return rows


def opening_record(tender) -> dict | None:
    """The public opening record once the bids are opened (None before): per lot, every bid's
    firm, product, unit price and total (or why it was void), and the lot's outcome."""
    session = services.session_of(tender.id)
    if session is None or session.status != OPENED:
        return None
    return {"tender": tender, "session": session, "root": sealed_round.bid_root(tender),
            "lots": _lot_rows(tender, with_results=False)}


def qualification_view(tender) -> list[dict]:
    """Per lot: the outcome and each opened bid with its check results."""
    return _lot_rows(tender, with_results=True)
