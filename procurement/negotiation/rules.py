"""The negotiation's published rules as pure functions: the minimal step and the ranking with
its tie rule. Integers only (fen, basis points); no database.

- **Minimal step**: in an improvement round a firm's new offer must be at least
  ``max(step_min_fen, ceil(previous × step_bp / 10000))`` below its previous offer; in the final
  round it may not be above its previous offer. A firm's first offer only has to be within the
  ceiling.
- **Ranking**: each firm's standing offer (its latest opened offer), lowest first; equal amounts
  are ordered by the negotiation's tie rule (`EARLIEST_OFFER`: the offer received first;
  `LOWER_FIRST_OFFER`: the lower first-round offer, then the offer received first), so ranks are
  1..n without gaps and the first is the winner after the final round.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from procurement.negotiation.states import EARLIEST_OFFER, LOWER_FIRST_OFFER


def step_fen(previous_fen: int, step_bp: int, step_min_fen: int) -> int:
    """How far below `previous_fen` a new improvement offer must be at least."""
    by_share = -(-previous_fen * step_bp // 10_000)   # ceiling division: never a step of 0.4 fen
    return max(int(step_min_fen), by_share)


def highest_allowed(previous_fen: int | None, *, ceiling_fen: int, step_bp: int, step_min_fen: int,
                    final: bool) -> int:
    """The highest total a firm may offer now (its previous offer known or not)."""
    if previous_fen is None:
        return ceiling_fen
    if final:
        return min(previous_fen, ceiling_fen)
    return min(previous_fen - step_fen(previous_fen, step_bp, step_min_fen), ceiling_fen)


@dataclass(frozen=True)
class Standing:
    """A firm's standing offer after a round."""

    supplier_org_id: int
    offer_id: int
    total_fen: int
    received_at: dt.datetime
    first_total_fen: int


def ranked(standings: list[Standing], tie_rule: str) -> list[Standing]:
    """The standings, best first, ties broken by `tie_rule`."""
    def key(s: Standing):
        if tie_rule == LOWER_FIRST_OFFER:
            return (s.total_fen, s.first_total_fen, s.received_at, s.offer_id)
        if tie_rule == EARLIEST_OFFER:
            return (s.total_fen, s.received_at, s.offer_id)
        raise ValueError(f"unknown tie rule {tie_rule!r}")
    return sorted(standings, key=key)
