"""What the award reads from scoring: the signed ranking of a lot and its recommendation. Reads only.

- ``ranking(lot_id) -> list[RankedBid]``: the ranking of the lot's **signed** evaluation report
  (every panel member confirmed it), best first; the bids excluded from ranking (abnormally low
  price not justified: the panel rejected the justification, or none came by the deadline)
  follow with ``rank=None``, ``excluded=True`` and the reason. ``[]`` until the report is signed
  (no evaluation, still scoring, report issued but not yet signed by everyone).
- ``recommendation(lot_id) -> RankedBid | None``: the first-ranked bid of the signed report; None
  until the report is signed off, or when every bid was excluded.

The values come from the frozen report (`LotEvaluation.report`), so they never change after the
signatures. ``score`` is the exact total in points out of 100 (`fractions.Fraction`): comprehensive
scoring adds the price score, lowest valid price / bid price x price weight, to each criterion's
average expert score scaled to its weight; the lowest-evaluated-price method scores lowest valid
price / bid price x 100. Ranks are distinct: ties are broken by the published rule
(`arithmetic.TIE_RULE`: higher total, then higher price score i.e. lower price, then earlier
receipt of the bid, then the lower opening number).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import select

from core.extensions import db
from procurement.evaluation.scoring.models import LotEvaluation
from procurement.evaluation.scoring.states import SIGNED


@dataclass(frozen=True)
class RankedBid:
    """One bid in a lot's signed ranking."""

    rank: int | None              # 1 = recommended; None when excluded
    bid_id: int
    opened_bid_id: int
    supplier_org_id: int
    total_fen: int
    score: Fraction               # exact total, points out of 100
    price_score: Fraction         # exact price part of `score`
    received_at: dt.datetime      # the bid's receipt time (the third tie-breaker)
    excluded: bool
    exclusion_reason: dict | None  # stored message (key, params): `core.i18n.render_payload` shows it


def ranked_from_report(report: dict) -> list[RankedBid]:
    """The RankedBids of a frozen report (issued or signed), ranked first, excluded after."""
    out = []
    for row in report.get("bids", []):
        out.append(RankedBid(rank=row["rank"], bid_id=row["bid_id"], opened_bid_id=row["opened_bid_id"],
                             supplier_org_id=row["supplier_org_id"], total_fen=row["total_fen"],
                             score=Fraction(row["score"]), price_score=Fraction(row["price_score"]),
                             received_at=dt.datetime.fromisoformat(row["received_at"]),
                             excluded=row["excluded"], exclusion_reason=row.get("exclusion_reason")))
    return sorted(out, key=lambda r: (r.rank is None, r.rank or 0, r.opened_bid_id))


def _signed(lot_id) -> LotEvaluation | None:
    try:
        lot_id = int(lot_id)
    except (TypeError, ValueError):
        return None
    evaluation = db.session.execute(select(LotEvaluation).where(LotEvaluation.lot_id == lot_id)).unique() \
        .scalar_one_or_none()
    if evaluation is None or evaluation.status != SIGNED or not evaluation.report:
        return None
    return evaluation


def ranking(lot_id: int) -> list[RankedBid]:
    """The lot's signed ranking, best first, then the excluded bids; [] until signed off."""
    evaluation = _signed(lot_id)
    return ranked_from_report(evaluation.report) if evaluation is not None else []


def recommendation(lot_id: int) -> RankedBid | None:
    """The first-ranked bid of the lot's signed report; None until signed off or if none ranks."""
    return next((r for r in ranking(lot_id) if r.rank == 1 and not r.excluded), None)


def signed_at(lot_id: int) -> dt.datetime | None:
    """When the last panel member signed the lot's report (None until then)."""
    evaluation = _signed(lot_id)
    return evaluation.signed_at if evaluation is not None else None
