"""The one door from awards into the evaluation's ranking (`procurement.evaluation.scoring.results`).

`ranked_candidates(lot_id)` is the only function that reads it; the award stores what it returned
as the award's `candidates` (a snapshot: the signed ranking never changes, and the offers to the
next-ranked firms follow the snapshot). Tests replace this function only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Candidate:
    """One bid of a lot's signed ranking, as the award keeps it."""

    rank: int | None          # 1 = recommended; None when excluded from the ranking
    bid_id: int
    opened_bid_id: int
    supplier_org_id: int
    total_fen: int
    score: str | None         # exact points out of 100 as text ("1751/20"), when scored
    excluded: bool
    reason: dict | None       # why excluded: a stored message (key and parameters)

    def as_dict(self) -> dict:
        return asdict(self)


def ranked_candidates(lot_id: int) -> list[Candidate] | None:
    """The lot's signed ranking, ranked bids first (best first), then the excluded ones; None
    until the lot's evaluation report is signed off."""
    from procurement.evaluation.scoring import (
        results,  # read lazily: scoring wires after awards' models
    )

    ranked = results.ranking(lot_id)
    if not ranked:
        return None
    return [Candidate(rank=r.rank, bid_id=r.bid_id, opened_bid_id=r.opened_bid_id, supplier_org_id=r.supplier_org_id,
                      total_fen=r.total_fen, score=None if r.score is None else str(r.score),
                      excluded=bool(r.excluded), reason=r.exclusion_reason) for r in ranked]
