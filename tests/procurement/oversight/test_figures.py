"""The monthly fact table against figures computed by hand, the dashboard built on it, the lagging
rule and the idempotent refresh."""

from __future__ import annotations

import datetime as dt

import pytest

from core.extensions import db
from procurement.oversight import dashboard, refresh, targets
from procurement.oversight.models import MonthlyFact
from procurement.oversight.period import Period
from tests.procurement.oversight.builders import (
    agreement,
    at,
    award,
    make_tender,
    order,
    platform_admin,
    prefab_category,
    project,
    world,
)


@pytest.fixture
def city():
    """Nanjing, 2026: two projects (one ordered from), orders in January, on the last evening of
    January (February in China), March (prefabricated), a cancelled one and one in July; one
    notified award and one not yet notified."""
    w = world()
    p1 = project(w, dt.date(2026, 1, 10), (10_000, 1_000, True), (10_000, 1_000, False))
    project(w, dt.date(2026, 2, 3))
    tender = make_tender(w, published_at=at(2026, 1, 2), bid_deadline_at=at(2026, 1, 25))
    lot = tender.lots[0]
    won = award(tender, lot, total_fen=4_000_000, notice_at=at(2026, 2, 10))
    other = make_tender(w, published_at=at(2026, 1, 3), bid_deadline_at=at(2026, 1, 26))
    award(other, other.lots[0], total_fen=1, notified=False)
    plain = agreement(w, tender, lot, won)
    prefab = agreement(w, other, other.lots[0], won, category_id=prefab_category().id)
    order(plain, p1, total_fen=100_000, placed_at=at(2026, 1, 15))
    order(plain, p1, total_fen=7, placed_at=dt.datetime(2026, 1, 31, 20, tzinfo=dt.UTC))  # 1 Feb, 04:00 China
    order(prefab, p1, total_fen=200_000, placed_at=at(2026, 3, 10))
    order(plain, p1, total_fen=999, placed_at=at(2026, 6, 20), status="cancelled")
    order(plain, p1, total_fen=50, placed_at=at(2026, 7, 1))
    admin = platform_admin()
    refresh.refresh_now(admin)
    return w, admin


def facts() -> dict:
    return {(f.metric, f.month): f.value for f in db.session.query(MonthlyFact)}


def test_facts_match_hand_computed_figures(city):
    got = facts()
    assert got[("ordered_fen", dt.date(2026, 1, 1))] == 100_000
    assert got[("ordered_fen", dt.date(2026, 2, 1))] == 7          # China calendar month
    assert got[("ordered_fen", dt.date(2026, 3, 1))] == 200_000
    assert ("ordered_fen", dt.date(2026, 6, 1)) not in got          # cancelled
    assert got[("prefab_ordered_fen", dt.date(2026, 3, 1))] == 200_000
    assert got[("prefab_ordered_fen", dt.date(2026, 1, 1))] == 0
    assert got[("projects", dt.date(2026, 1, 1))] == 1 and got[("projects", dt.date(2026, 2, 1))] == 1
    assert got[("projects_covered", dt.date(2026, 1, 1))] == 1
    assert ("projects_covered", dt.date(2026, 2, 1)) not in got
    assert got[("bom_fen", dt.date(2026, 1, 1))] == 20_000 and got[("bom_green_fen", dt.date(2026, 1, 1))] == 10_000
    assert got[("awarded_fen", dt.date(2026, 2, 1))] == 4_000_000   # the notified award only
    assert got[("awarded_ceiling_fen", dt.date(2026, 2, 1))] == 5_000_000
    assert got[("awarded_lots", dt.date(2026, 2, 1))] == 1


def test_refresh_is_idempotent(city):
    before = facts()
    refresh.refresh()
    refresh.refresh()
    db.session.commit()
    assert facts() == before


def test_refresh_follows_changes(city):
    db.session.execute(db.update(MonthlyFact).values(value=123))   # a stale table
    db.session.commit()
    refresh.refresh()
    db.session.commit()
    assert facts()[("ordered_fen", dt.date(2026, 1, 1))] == 100_000


def _target(admin, **shares):
    values = {"coverage_bp": 8000, "green_share_bp": 6000, "batch_share_bp": 3000, "prefab_share_bp": 2500}
    values.update(shares)
    targets.set_target(admin, {"city": "nanjing", "year": 2026, "green_amount_fen": 1_200_000, **values})


def test_dashboard_and_lagging_rule(city):
    w, admin = city
    _target(admin)
    board = dashboard.build(None, Period(dt.date(2026, 1, 1), dt.date(2026, 6, 1)))
    s = next(x for x in board.standings if x.city.id == w.city.id)
    assert s.amount_fen == 300_007 and s.pro_rata_fen == 600_000
    assert s.shares == {"coverage": 5000, "green_share": 5000, "batch_share": 0, "prefab_share": 6667}
    # amount 300 007 < 80 % of 600 000; coverage 50 % < 80 % of 80 %; batch 0 < 80 % of 30 %;
    # green 50 % >= 80 % of 60 % (48 %); prefab 200 000 / 300 007 = 66.67 % >= 20 %
    assert s.lagging == ["amount", "coverage", "batch_share"]
    assert board.savings_fen == 1_000_000
    _months, cumulative, line = dashboard.progress_line(board)
    assert cumulative == [100_000, 100_007, 300_007, 300_007, 300_007, 300_007]
    assert line == [100_000, 200_000, 300_000, 400_000, 500_000, 600_000]


def test_no_lagging_when_targets_are_met(city):
    w, admin = city
    _target(admin, coverage_bp=5000, batch_share_bp=0)
    targets.set_target(admin, {"city": "nanjing", "year": 2026, "green_amount_fen": 600_000, "coverage_bp": 5000,
                               "green_share_bp": 6000, "batch_share_bp": 0, "prefab_share_bp": 2500})
    board = dashboard.build([w.city.id], Period(dt.date(2026, 1, 1), dt.date(2026, 6, 1)))
    assert board.standings[0].lagging == []


def test_no_lagging_called_before_the_rules_month(city):
    w, admin = city
    _target(admin)
    board = dashboard.build([w.city.id], Period(dt.date(2026, 1, 1), dt.date(2026, 2, 1)))   # rule: from March
    assert board.standings[0].lagging == []


def test_a_city_rule_row_changes_the_verdict(city):
    w, admin = city
    _target(admin)
    from procurement.oversight import rules

    rules.add_rule(admin, {"city": "nanjing", "effective_from": "2026-01-01", "lagging_share_bp": 0,
                           "lagging_from_month": 1, "near_ceiling_bp": 9900, "repeat_wins": 3,
                           "repeat_window_days": 365, "amendment_bp": 1000, "max_range_years": 10})
    board = dashboard.build([w.city.id], Period(dt.date(2026, 1, 1), dt.date(2026, 6, 1)))
    assert board.standings[0].lagging == []     # nothing is below 0 % of its line


def test_chronograph_refreshes_and_rearms(city, app):
    from core import scheduler
    from core.timeutil import utcnow

    db.session.execute(db.delete(MonthlyFact))
    scheduler.schedule(refresh.KIND, refresh.OBJECT_TYPE, refresh.OBJECT_ID, utcnow() - dt.timedelta(minutes=1))
    db.session.commit()
    counts = scheduler.run_due()
    assert counts.done == 1
    assert facts()[("ordered_fen", dt.date(2026, 1, 1))] == 100_000
    row = scheduler.deadline_for(refresh.KIND, refresh.OBJECT_TYPE, refresh.OBJECT_ID)
    assert row.status == "pending" and row.due_at > utcnow()
