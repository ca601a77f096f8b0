"""Abnormally low prices: the dated rules (national default seeded, a city's own row), the flag at
the start of the evaluation, the bidder told and asked to justify before the deadline (the
chronograph lapses it), the panel's decision with a reason, and a rejected or lapsed bid
excluded from the ranking (the next valid price becomes the lowest)."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from core import scheduler
from core.errors import Conflict, PermissionDenied, ValidationError
from core.extensions import db
from core.i18n import render_payload_english
from core.models import Notification
from core.timeutil import today_cn
from procurement.evaluation.scoring import (
    justifications,
    policy,
    results,
    rules,
    services,
)
from procurement.evaluation.scoring.models import AbnormalPriceRule, PriceFlag
from procurement.evaluation.scoring.states import DEADLINE_JUSTIFICATION
from tests.factories import api_token, auth_header, make_city
from tests.procurement.evaluation.scoring.helpers import evaluation_ready, opened_ids
from tests.procurement.tendering.tender_builders import record_kinds

#: Firm 0 bids CNY 40,000 in all (20,000 fen x 200 m3); the others' average is CNY 87,000, half of
#: which is 43,500: flagged by the national default. Firms 1 and 2 are not.
LOW = (20_000, 42_000, 45_000)
REASON = "Stock bought before the price rise; invoices attached to the bid."


def _h(user) -> dict:
    return auth_header(api_token(user))


@pytest.fixture
def flagged(app):
    ctx = evaluation_ready(LOW, plan=None, outsiders=0)
    ctx.flag = db.session.execute(select(PriceFlag)).scalar_one()
    return ctx


def _sign_all(ctx):
    services.issue_report(ctx.world.centre, ctx.lot.id)
    for member in ctx.members:
        services.sign(member, ctx.lot.id)


def test_the_seeded_national_rule_and_a_citys_own_row(app):
    national = rules.rule_for(None)
    assert (national.below_average_bp, national.below_ceiling_bp, national.justification_working_days) == (
        5000, None, 2)
    city = make_city("qingdao")
    own = rules.add_rule(None, effective_from=today_cn() + dt.timedelta(days=10), city_id=city.id,
                         below_average_bp=6000, below_ceiling_bp=4500, justification_working_days=3)
    assert rules.rule_for(city.id).id == national.id  # not in force yet
    assert rules.rule_for(city.id, today_cn() + dt.timedelta(days=10)).id == own.id
    assert rules.rule_for(make_city("huzhou").id, today_cn() + dt.timedelta(days=10)).id == national.id
    with pytest.raises(ValueError):  # stored rows never change
        own.below_average_bp = 1
        db.session.commit()
    db.session.rollback()
    with pytest.raises(ValidationError):
        rules.add_rule(None, effective_from=today_cn(), below_average_bp=0)
    with pytest.raises(Conflict):
        rules.add_rule(None, effective_from=national.effective_from, below_average_bp=4000)


def test_which_bids_a_rule_flags():
    """Strictly below 50 % of the others' average, or below 45 % of the ceiling (CNY 100,000)."""
    rule = AbnormalPriceRule(below_average_bp=5000, below_ceiling_bp=4500, justification_working_days=2)
    bids = [SimpleNamespace(opened_bid_id=i, total_fen=t) for i, t in
            enumerate((4_350_000, 4_349_999, 8_700_000, 8_700_000))]
    # bid 0: others' average (4,349,999 + 2 x 8,700,000) / 3 = 7,249,999.67: half is 3,624,999.8 -> not below;
    # but 4,350,000 < 45 % of 10,000,000 = 4,500,000 -> flagged by the ceiling.
    reasons = {k: [render_payload_english(r) for r in v] for k, v in rules.flag_reasons(bids, 10_000_000, rule).items()}
    assert sorted(reasons) == [0, 1]
    assert reasons[0] == ["The total ¥43,500.00 is below 45 % of the lot's ceiling (¥100,000.00)."]
    assert len(reasons[1]) == 1
    only_average = AbnormalPriceRule(below_average_bp=5000, below_ceiling_bp=None, justification_working_days=2)
    pair = [SimpleNamespace(opened_bid_id=1, total_fen=4_000_000), SimpleNamespace(opened_bid_id=2, total_fen=8_000_001)]
    assert list(rules.flag_reasons(pair, 10_000_000, only_average)) == [1]
    assert rules.flag_reasons(pair[:1], 10_000_000, only_average) == {}  # nobody to compare with
    assert rules.flag_reasons(pair, 10_000_000, None) == {}


def test_the_flagged_bidder_is_told_and_the_panel_rejects_the_justification(flagged, client):
    ctx = flagged
    flag, bidder = ctx.flag, ctx.bidders[0]
    assert flag.supplier_org_id == bidder.organisation_id and flag.status == "awaiting"
    assert "below 50 % of the average of the other valid bids (¥87,000.00)" in render_payload_english(flag.reasons[0])
    told = db.session.execute(select(Notification).where(Notification.user_id == bidder.id,
                                                         Notification.kind == "scoring.justification_requested")
                              ).scalar_one()
    assert told.link == f"/scoring/justifications/{flag.id}"
    assert scheduler.deadline_for(DEADLINE_JUSTIFICATION, "lot_evaluations", flag.evaluation_id).due_at == flag.due_at

    with pytest.raises(Conflict):  # an open flag holds the report
        services.issue_report(ctx.world.centre, ctx.lot.id)
    assert client.post(f"/api/v1/price-flags/{flag.id}/justification", json={"justification": "too short"},
                       headers=_h(bidder)).status_code == 400
    assert client.post(f"/api/v1/price-flags/{flag.id}/justification", json={"justification": REASON},
                       headers=_h(ctx.bidders[1])).status_code == 404  # another firm
    ok = client.post(f"/api/v1/price-flags/{flag.id}/justification", json={"justification": REASON},
                     headers=_h(bidder))
    assert ok.status_code == 200 and ok.get_json()["status"] == "justified"
    assert client.post(f"/api/v1/price-flags/{flag.id}/justification", json={"justification": REASON},
                       headers=_h(bidder)).status_code == 409  # once

    with pytest.raises(PermissionDenied):
        justifications.decide(ctx.world.centre, flag.id, False, "Not convincing at all")
    with pytest.raises(ValidationError):
        justifications.decide(ctx.members[0], flag.id, False, "")
    decided = client.post(f"/api/v1/price-flags/{flag.id}/decision",
                          json={"accept": False, "reason": "The invoices do not cover the quantity"},
                          headers=_h(ctx.members[0]))
    assert decided.status_code == 200 and decided.get_json()["status"] == "rejected"

    _sign_all(ctx)
    ranking = results.ranking(ctx.lot.id)
    assert [(r.rank, r.total_fen, r.excluded) for r in ranking] == [
        (1, 8_400_000, False), (2, 9_000_000, False), (None, 4_000_000, True)]
    assert ranking[0].score == 100 and ranking[1].score == Fraction(840, 9)  # the lowest *valid* price is 84,000
    assert "rejected the justification (The invoices do not cover the quantity)" in render_payload_english(
        ranking[2].exclusion_reason)
    assert results.recommendation(ctx.lot.id).supplier_org_id == ctx.bidders[1].organisation_id
    for project in ctx.projects:
        assert "tender_lot_justification_decided" in record_kinds(project)
    assert db.session.execute(select(Notification).where(
        Notification.user_id == bidder.id, Notification.kind == "scoring.justification_decided")).scalar_one()


def test_an_accepted_justification_keeps_the_bid_in(flagged):
    ctx = flagged
    justifications.justify(ctx.bidders[0], ctx.flag.id, REASON)
    justifications.decide(ctx.members[2], ctx.flag.id, True, "The invoices cover the quantity")
    _sign_all(ctx)
    first = results.recommendation(ctx.lot.id)
    assert (first.bid_id, first.total_fen, first.score) == (ctx.bids[0].id, 4_000_000, 100)


def test_no_justification_by_the_deadline_excludes_the_bid(flagged, client):
    ctx = flagged
    flag, bidder = ctx.flag, ctx.bidders[0]
    assert policy.can_justify(bidder, flag, flag.due_at - dt.timedelta(seconds=1))
    assert not policy.can_justify(bidder, flag, flag.due_at)  # at the deadline itself: too late
    with pytest.raises(Conflict):
        justifications.justify(bidder, flag.id, REASON, now=flag.due_at)
    counts = scheduler.run_due(flag.due_at + dt.timedelta(seconds=1))
    assert counts.done == 1
    db.session.expire_all()
    assert db.session.get(PriceFlag, flag.id).status == "lapsed"
    assert scheduler.run_due(flag.due_at + dt.timedelta(minutes=5)).done == 0  # once
    assert client.post(f"/api/v1/price-flags/{flag.id}/justification", json={"justification": REASON},
                       headers=_h(bidder)).status_code == 409
    _sign_all(ctx)
    assert [(r.total_fen, r.excluded) for r in results.ranking(ctx.lot.id)][-1] == (4_000_000, True)
    for project in ctx.projects:
        assert "tender_lot_justification_lapsed" in record_kinds(project)


def test_the_report_lapses_an_overdue_flag_itself(flagged):
    """Checked again on read: a missed tick does not keep the flag open."""
    ctx = flagged
    services.issue_report(ctx.world.centre, ctx.lot.id, now=ctx.flag.due_at + dt.timedelta(hours=1))
    evaluation = services.evaluation_of(ctx.lot.id)
    assert evaluation.status == "signing" and evaluation.flags[0].status == "lapsed"
    assert [b["excluded"] for b in evaluation.report["bids"]] == [False, False, True]
    assert evaluation.report["bids"][2]["opened_bid_id"] == opened_ids(ctx)[0]
