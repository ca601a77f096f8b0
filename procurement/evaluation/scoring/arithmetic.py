"""The arithmetic of scoring, in exact fractions (`fractions.Fraction`). Pure: no database.

Points are out of 100. Weights are basis points (30 % = 3000 bp = 30 points); experts' scores
and criteria's maximum scores are hundredths of a point.

- **Price score** = lowest valid price / bid price x price weight. "Valid" means qualified and
  not excluded (an abnormally low price whose justification was rejected or never came). The
  lowest-evaluated-price method uses a price weight of 100 points.
- **Criterion points** = the average of the experts' scores / the criterion's maximum x its
  weight. The average is over the sheets of the panel's current members.
- **Total** = price score + the sum of the criterion points.
- **Display**: rounded half up to two decimals (`display`), for people only. Ranking compares
  the exact fractions, so two bids shown as 85.33 can still be ranked one before the other; the
  report shows the exact value as a fraction next to the rounded one.
- **Ranking** (`TIE_RULE`, published in docs/scoring.md and on the pages): higher total; then
  higher price score (that is, the lower price); then the earlier receipt of the bid (its signed
  receipt time, to the millisecond); then the lower opening number. Ranks are distinct.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction

HUNDRED = Fraction(100)
TIE_RULE = ("higher_total", "higher_price_score", "earlier_receipt", "lower_opening_number")


@dataclass(frozen=True)
class BidInput:
    opened_bid_id: int
    bid_id: int
    supplier_org_id: int
    total_fen: int
    received_at: dt.datetime
    excluded: bool = False
    exclusion_reason: dict | None = None


@dataclass(frozen=True)
class CriterionInput:
    id: int
    weight_bp: int
    max_score_cp: int


@dataclass
class Scored:
    bid: BidInput
    price_score: Fraction = Fraction(0)
    averages: dict = field(default_factory=dict)   # criterion id -> average score (points, exact)
    points: dict = field(default_factory=dict)     # criterion id -> weighted points (exact)
    score: Fraction = Fraction(0)
    rank: int | None = None


def price_score(lowest_fen: int | None, total_fen: int, weight_bp: int) -> Fraction:
    """lowest / total x weight, in points (0 when there is no valid price to compare with)."""
    if not lowest_fen or total_fen <= 0:
        return Fraction(0)
    return Fraction(lowest_fen, total_fen) * Fraction(weight_bp, 100)


def criterion_points(average_cp: Fraction, max_score_cp: int, weight_bp: int) -> Fraction:
    """The weighted points of an average score (hundredths of a point) on a criterion."""
    return Fraction(average_cp) / max_score_cp * Fraction(weight_bp, 100)


def average(values) -> Fraction:
    values = list(values)
    return Fraction(sum(values), len(values)) if values else Fraction(0)


def display(value: Fraction, places: int = 2) -> str:
    """`value` rounded half up (away from zero) to `places` decimals, as text ("85.33")."""
    value = Fraction(value)
    scale = 10 ** places
    sign = "-" if value < 0 else ""
    scaled = abs(value) * scale
    whole = int(scaled)                       # floor of a non-negative fraction
    if scaled - whole >= Fraction(1, 2):
        whole += 1
    text = str(whole).rjust(places + 1, "0")
    return f"{sign}{text[:-places]}.{text[-places:]}" if places else f"{sign}{text}"


def exact(value: Fraction) -> str:
    """The exact value as stored and shown ("256/3", or "85" when whole)."""
    value = Fraction(value)
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def sort_key(item: Scored):
    """The published tie rule as a sort key (smallest first)."""
    return (-item.score, -item.price_score, item.bid.total_fen, item.bid.received_at, item.bid.opened_bid_id)


def evaluate(bids: list[BidInput], *, price_weight_bp: int, criteria: list[CriterionInput],
             sheets: dict[int, dict[tuple[int, int], int]]) -> list[Scored]:
    """Score and rank `bids`. `sheets`: expert user id -> {(opened bid id, criterion id): score
    in hundredths}. Ranked bids first (rank 1, 2, ...), then the excluded ones (rank None)."""
    valid = [b for b in bids if not b.excluded]
    lowest = min((b.total_fen for b in valid), default=None)
    out = []
    for bid in bids:
        item = Scored(bid=bid, price_score=price_score(lowest, bid.total_fen, price_weight_bp))
        total = item.price_score
        for criterion in criteria:
            marks = [sheet[(bid.opened_bid_id, criterion.id)] for sheet in sheets.values()
                     if (bid.opened_bid_id, criterion.id) in sheet]
            avg = average(marks)
            item.averages[criterion.id] = avg / 100
            item.points[criterion.id] = criterion_points(avg, criterion.max_score_cp, criterion.weight_bp)
            total += item.points[criterion.id]
        item.score = total
        out.append(item)
    ranked = sorted((s for s in out if not s.bid.excluded), key=sort_key)
    for i, item in enumerate(ranked, start=1):
        item.rank = i
    excluded = sorted((s for s in out if s.bid.excluded), key=sort_key)
    return ranked + excluded


def below_share(amount_fen: int, reference: Fraction, share_bp: int) -> bool:
    """amount < share_bp / 10000 x reference, exactly."""
    return Fraction(amount_fen) < Fraction(share_bp, 10000) * Fraction(reference)


def parse_points(text) -> int:
    """A score or maximum in points with at most 2 decimals -> hundredths ("7.5" -> 750).
    ValueError for anything else (negative, not a number, 3 decimals)."""
    from decimal import Decimal, InvalidOperation

    if isinstance(text, bool) or text is None:
        raise ValueError("not a number")
    try:
        value = Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        raise ValueError("not a number") from None
    if not value.is_finite() or value < 0:
        raise ValueError("not a non-negative number")
    hundredths = value * 100
    if hundredths != hundredths.to_integral_value():
        raise ValueError("more than 2 decimals")
    return int(hundredths)


def format_points(cp: int | None) -> str:
    """Hundredths of a point as text without trailing zeros (750 -> "7.5")."""
    if cp is None:
        return ""
    whole, rest = divmod(int(cp), 100)
    return f"{whole}" if not rest else f"{whole}.{rest:02d}".rstrip("0")
