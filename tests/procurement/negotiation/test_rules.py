"""The published rules as pure functions: the minimal step (integer fen, rounded up) and the
ranking with its tie rules."""

from __future__ import annotations

import datetime as dt

import pytest

from procurement.negotiation.rules import Standing, highest_allowed, ranked, step_fen

pytestmark = pytest.mark.pure
T = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)


def test_step_is_the_larger_of_share_and_amount_rounded_up():
    assert step_fen(1_000_000, 100, 5_000) == 10_000          # 1 % beats CNY 50
    assert step_fen(100_000, 100, 5_000) == 5_000             # the amount beats 1 %
    assert step_fen(1_001, 100, 0) == 11                      # 10.01 fen -> 11, never a smaller step


def test_highest_allowed_first_improvement_and_final():
    kw = {"ceiling_fen": 900_000, "step_bp": 100, "step_min_fen": 0}
    assert highest_allowed(None, final=False, **kw) == 900_000
    assert highest_allowed(800_000, final=False, **kw) == 792_000
    assert highest_allowed(800_000, final=True, **kw) == 800_000
    assert highest_allowed(950_000, final=True, **kw) == 900_000   # never above the ceiling


def test_ties_follow_the_rule():
    a = Standing(1, 10, 500, T + dt.timedelta(minutes=5), first_total_fen=700)
    b = Standing(2, 11, 500, T, first_total_fen=900)
    c = Standing(3, 12, 400, T + dt.timedelta(hours=1), first_total_fen=999)
    assert [s.supplier_org_id for s in ranked([a, b, c], "earliest_offer")] == [3, 2, 1]
    assert [s.supplier_org_id for s in ranked([a, b, c], "lower_first_offer")] == [3, 1, 2]
    with pytest.raises(ValueError):
        ranked([a], "coin_toss")
