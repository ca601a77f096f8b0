"""The arithmetic of scoring in exact fractions, against values computed by hand; the published tie
rule; display rounding (half up, display only); the abnormally-low triggers."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from procurement.evaluation.scoring import arithmetic
from procurement.evaluation.scoring.arithmetic import (
    BidInput,
    CriterionInput,
    display,
    evaluate,
    exact,
)

pytestmark = pytest.mark.pure

T0 = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.timezone.utc)
TECH, SERVICE = CriterionInput(1, 4000, 1000), CriterionInput(2, 2000, 500)   # 40 % of 0..10, 20 % of 0..5


def _bid(n, total, seconds=0, **kw):
    return BidInput(opened_bid_id=n, bid_id=100 + n, supplier_org_id=200 + n, total_fen=total,
                    received_at=T0 + dt.timedelta(seconds=seconds), **kw)


def _sheet(marks):
    """{bid: (tech, service)} in points -> {(bid, criterion): hundredths}."""
    return {(b, c.id): int(Fraction(str(v)) * 100) for b, values in marks.items() for c, v in zip((TECH, SERVICE),
                                                                                                   values)}


def test_comprehensive_scores_by_hand():
    """Price 40 %, technical 40 % (0..10), service 20 % (0..5); two experts.

    A: price 8,000,000 is the lowest: 40. Technical (8+7)/2 = 7.5 -> 7.5/10 x 40 = 30. Service
       (4+4.5)/2 = 4.25 -> 4.25/5 x 20 = 17. Total 87.
    B: price 8,000,000/8,400,000 x 40 = 800/21. Technical 9.25 -> 37; service 4.5 -> 18.
       Total 800/21 + 55 = 1955/21 (93.095...).
    C: price 8,000,000/9,000,000 x 40 = 320/9. Technical 7.5 -> 30; service 3 -> 12.
       Total 320/9 + 42 = 698/9 (77.555...).
    """
    bids = [_bid(1, 8_000_000), _bid(2, 8_400_000), _bid(3, 9_000_000)]
    sheets = {11: _sheet({1: (8, 4), 2: (9, 5), 3: (7, 3)}), 12: _sheet({1: (7, 4.5), 2: (9.5, 4), 3: (8, 3)})}
    out = {s.bid.opened_bid_id: s for s in evaluate(bids, price_weight_bp=4000, criteria=[TECH, SERVICE],
                                                   sheets=sheets)}
    assert out[1].price_score == 40 and out[1].score == 87
    assert out[2].price_score == Fraction(800, 21) and out[2].score == Fraction(1955, 21)
    assert out[3].price_score == Fraction(320, 9) and out[3].score == Fraction(698, 9)
    assert out[2].averages == {1: Fraction(37, 4), 2: Fraction(9, 2)} and out[2].points == {1: 37, 2: 18}
    assert [out[i].rank for i in (2, 1, 3)] == [1, 2, 3]
    assert (display(out[2].score), display(out[3].score), exact(out[3].score)) == ("93.10", "77.56", "698/9")


def test_lowest_price_method_scores_price_out_of_100():
    bids = [_bid(1, 9_000_000), _bid(2, 6_000_000), _bid(3, 7_500_000)]
    out = evaluate(bids, price_weight_bp=10000, criteria=[], sheets={})
    assert [(s.bid.opened_bid_id, s.rank, s.score) for s in out] == [(2, 1, 100), (3, 2, 80), (1, 3, Fraction(200, 3))]


def test_an_excluded_bid_is_not_the_lowest_valid_price_and_is_not_ranked():
    reason = {"key": "excluded", "params": {}}
    bids = [_bid(1, 4_000_000, excluded=True, exclusion_reason=reason), _bid(2, 8_000_000), _bid(3, 10_000_000)]
    out = evaluate(bids, price_weight_bp=10000, criteria=[], sheets={})
    assert [(s.bid.opened_bid_id, s.rank) for s in out] == [(2, 1), (3, 2), (1, None)]
    assert out[0].score == 100 and out[1].score == 80  # lowest *valid* price is 8,000,000
    assert out[2].bid.exclusion_reason == reason


def test_ties_follow_the_published_rule():
    """Equal totals: the higher price score (lower price) first; equal price too: the earlier
    receipt first; the opening number only as the last resort.

    Price 40 %, one criterion 60 % scored 0..60. X: 8,000,000 (price 40) + 50 = 90.
    Y: 10,000,000 (price 32) + 58 = 90, received first. Z: as X, received before X.
    """
    only = CriterionInput(1, 6000, 6000)
    bids = [_bid(1, 8_000_000, seconds=5), _bid(2, 10_000_000, seconds=0), _bid(3, 8_000_000, seconds=2)]
    sheets = {7: {(1, 1): 5000, (2, 1): 5800, (3, 1): 5000}}
    out = evaluate(bids, price_weight_bp=4000, criteria=[only], sheets=sheets)
    assert all(s.score == 90 for s in out)
    assert [(s.bid.opened_bid_id, s.rank) for s in out] == [(3, 1), (1, 2), (2, 3)]
    same_time = [_bid(9, 8_000_000), _bid(4, 8_000_000)]
    assert [s.bid.opened_bid_id for s in evaluate(same_time, price_weight_bp=10000, criteria=[], sheets={})] == [4, 9]
    assert arithmetic.TIE_RULE == ("higher_total", "higher_price_score", "earlier_receipt", "lower_opening_number")


def test_ranking_uses_exact_values_not_the_rounded_ones():
    """Bid 1 scores 256/3 = 85.333..., bid 2 (received earlier) 85.3325: both show as 85.33, and
    bid 1 still ranks first (rounded values would tie and the earlier receipt would win)."""
    only = CriterionInput(1, 10000, 10000)   # 100 % of the points, scored 0..100
    bids = [_bid(1, 1_000_000, seconds=5), _bid(2, 1_000_000, seconds=0)]
    sheets = {7: {(1, 1): 8533, (2, 1): 8533}, 8: {(1, 1): 8533, (2, 1): 8533}, 9: {(1, 1): 8534, (2, 1): 8533},
              10: {(2, 1): 8534}}
    out = evaluate(bids, price_weight_bp=0, criteria=[only], sheets=sheets)
    assert [s.bid.opened_bid_id for s in out] == [1, 2]
    assert (out[0].score, out[1].score) == (Fraction(256, 3), Fraction(34133, 400))
    assert display(out[0].score) == display(out[1].score) == "85.33"


@pytest.mark.parametrize("value,text", [
    (Fraction(1, 200), "0.01"), (Fraction(1, 201), "0.00"), (Fraction(2, 3) * 100, "66.67"), (Fraction(85), "85.00"),
    (Fraction(12345, 1000), "12.35"), (Fraction(-12345, 1000), "-12.35"), (Fraction(0), "0.00"),
])
def test_display_rounds_half_up_to_two_decimals(value, text):
    assert display(value) == text


def test_below_share_is_strict_and_exact():
    assert arithmetic.below_share(4_349_999, Fraction(8_700_000), 5000)
    assert not arithmetic.below_share(4_350_000, Fraction(8_700_000), 5000)
    assert arithmetic.below_share(1, Fraction(7, 3), 5000)  # 1 < 7/6


@pytest.mark.parametrize("text,cp,shown", [("7.5", 750, "7.5"), ("0", 0, "0"), ("10", 1000, "10"),
                                           ("9.25", 925, "9.25"), (8, 800, "8"), ("0.05", 5, "0.05")])
def test_points_parse_to_hundredths_and_back(text, cp, shown):
    assert arithmetic.parse_points(text) == cp
    assert arithmetic.format_points(cp) == shown


@pytest.mark.parametrize("text", ["-1", "7.555", "abc", "", None, True, "inf", "NaN"])
def test_points_refuse_what_is_not_a_score(text):
    with pytest.raises(ValueError):
        arithmetic.parse_points(text)
