"""Negotiation rounds through the services: sealed offers unreadable before the close, the
minimal step and late offers refused with clear errors (nothing written), anonymised rankings,
the final offers, the winner and ties by the published rule, records on every contributing
project, failure with too few offers, the mini-competition entry point."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core import roles as R
from core.errors import Conflict, PermissionDenied, ValidationError
from core.extensions import db
from core.models import AuditEvent, Notification
from procurement.bids import sealing
from procurement.negotiation import ranking, reading, sealed, services
from procurement.negotiation.models import NegotiationOffer
from procurement.records.models import ProjectRecord
from tests.factories import make_org, make_user
from tests.procurement.negotiation.helpers import (
    HOUR,
    close,
    current_round,
    free_lot,
    next_round,
    offer,
    round_with,
    world,
)


def _offers() -> int:
    return db.session.execute(select(func.count(NegotiationOffer.id))).scalar_one()


def test_offers_stay_sealed_until_the_round_closes():
    ctx = world()
    made = offer(ctx, 0, 9_000_000)
    row = db.session.get(NegotiationOffer, made.id)
    assert row.total_fen is None and row.status == "sealed"
    assert b"9000000" not in row.envelope and "9000000" not in row.receipt_statement
    with pytest.raises(sealing.SealingError):       # another key does not open it
        sealing.open_envelope(row.envelope, bytes(sealing.make_opening_key().private_key))
    staff = reading.view(ctx.world.centre, services.get(ctx.id))
    assert staff["offers"] == [] and staff["rounds"][0]["offers"] is None   # not even the count
    assert ranking.previous_total(services.get(ctx.id), ctx.firms[0].organisation_id) is None
    round_with(ctx, {1: 9_100_000, 2: 9_200_000})
    rnd = services.get(ctx.id).rounds[0]
    assert rnd.status == "closed" and rnd.wrapped_private_key is None and rnd.merkle_root
    assert sorted(o.total_fen for o in rnd.offers) == [9_000_000, 9_100_000, 9_200_000]
    with pytest.raises(sealing.SealingError):       # the round's key is wiped after the opening
        sealed.private_key_of(rnd)


def test_minimal_step_refused_with_a_clear_error():
    ctx = world()
    round_with(ctx, {0: 9_000_000, 1: 9_500_000, 2: 9_800_000})
    next_round(ctx)
    before = _offers()
    with pytest.raises(ValidationError) as exc:
        offer(ctx, 0, 8_950_000)             # 1 % of 9,000,000 is 90,000 fen: at most 8,910,000
    message = exc.value.fields["total_fen"]
    assert message[1]["allowed"] == "¥89,100.00" and message[1]["previous"] == "¥90,000.00"
    assert "minimal step" in message[0]
    assert _offers() == before
    offer(ctx, 0, 8_910_000)                 # exactly the step: accepted


def test_above_the_ceiling_and_late_offers_are_refused():
    ctx = world()
    with pytest.raises(ValidationError) as exc:
        offer(ctx, 0, 10_000_001)
    assert "ceiling" in exc.value.fields["total_fen"][0]
    rnd = current_round(ctx)
    with pytest.raises(Conflict) as late:
        services.submit_offer(ctx.firms[0], ctx.id, {"total_fen": 9_000_000}, now=rnd.deadline_at)
    assert "no longer accepted" in late.value.message and "no grace period" in late.value.message
    assert _offers() == 0
    offer(ctx, 0, 9_000_000)
    with pytest.raises(Conflict):            # one offer per round: final
        offer(ctx, 0, 8_000_000, after=2 * HOUR)
    outsider = make_user(make_org(R.ORG_SUPPLIER, city=ctx.world.city), roles=(R.SUPPLIER,))
    with pytest.raises(Exception) as other:
        services.submit_offer(outsider, ctx.id, {"total_fen": 1}, now=rnd.opened_at + HOUR)
    assert other.type.__name__ == "NotFound"


def test_ranking_is_anonymised(client):
    ctx = world()
    round_with(ctx, {0: 9_000_000, 1: 9_500_000, 2: 9_800_000, 3: 9_700_000})
    view = reading.view(ctx.firms[2], services.get(ctx.id))
    [r1] = view["my_rounds"]
    assert (r1.rank, r1.ranked, r1.best_total_fen, r1.own_total_fen) == (4, 4, 9_000_000, 9_800_000)
    assert view["offers"] is None and view["participants"] is None
    from tests.factories import PASSWORD

    client.post("/login", data={"email": ctx.firms[2].email, "password": PASSWORD})
    body = client.get(f"/api/v1/negotiations/{ctx.id}").get_data(as_text=True)
    page = client.get(f"/negotiations/{ctx.id}").get_data(as_text=True)
    for text in (body, page):
        for hidden in ("9500000", "9700000", "95,000.00", "97,000.00"):     # other firms' prices
            assert hidden not in text
        for firm in ctx.firms[:2] + ctx.firms[3:]:
            assert firm.organisation.name_en not in text and firm.organisation.name_zh not in text
    assert "90,000.00" in page and "98,000.00" in page                     # the best and its own
    told = db.session.execute(select(Notification).where(Notification.user_id == ctx.firms[2].id,
                                                         Notification.kind == "negotiation.ranking")).scalar_one()
    assert told.message["params"]["rank"] == 4 and "9500000" not in str(told.message)


def test_final_offers_winner_and_records():
    ctx = world()
    round_with(ctx, {0: 9_000_000, 1: 9_500_000, 2: 9_800_000})
    with pytest.raises(Conflict):                          # 2 improvement rounds are published
        next_round(ctx, final=True)
    next_round(ctx)
    round_with(ctx, {0: 8_800_000, 1: 8_700_000})          # firm 2 keeps its offer
    next_round(ctx, final=True)
    with pytest.raises(ValidationError) as exc:
        offer(ctx, 1, 8_700_001)                           # a final offer may not go up
    assert "final offer" in exc.value.fields["total_fen"][0]
    negotiation = round_with(ctx, {0: 8_600_000, 1: 8_700_000, 2: 8_650_000})
    assert negotiation.status == "concluded" and negotiation.total_fen == 8_600_000
    assert negotiation.winner_org_id == ctx.firms[0].organisation_id
    assert ranking.saving_bp(negotiation) == 1400
    for project in ctx.projects:
        kinds = list(db.session.execute(select(ProjectRecord.kind).where(ProjectRecord.project_id == project.id)
                                        .order_by(ProjectRecord.seq)).scalars())
        assert kinds.count("negotiation_round_closed") == 3 and kinds[-1] == "negotiation_concluded"
        assert "negotiation_started" in kinds
    actions = set(db.session.execute(select(AuditEvent.action)).scalars())
    assert {"negotiation.started", "negotiation.offer_sealed", "negotiation.concluded"} <= actions
    with pytest.raises(Conflict):
        next_round(ctx)


@pytest.mark.parametrize("rule, winner", [("earliest_offer", 1), ("lower_first_offer", 0)])
def test_equal_final_offers_follow_the_published_tie_rule(rule, winner):
    ctx = world(tie_rule=rule, min_rounds=1)
    round_with(ctx, {0: 9_000_000, 1: 9_500_000, 2: 9_800_000})
    next_round(ctx, final=True)
    offer(ctx, 1, 8_000_000, after=HOUR)                   # firm 1 first
    offer(ctx, 0, 8_000_000, after=2 * HOUR)               # firm 0 later, but lower in round 1
    negotiation = close(ctx)
    assert negotiation.winner_org_id == ctx.firms[winner].organisation_id


def test_fewer_than_three_offers_in_round_one_fails():
    ctx = world()
    negotiation = round_with(ctx, {0: 9_000_000, 1: 9_100_000})
    assert negotiation.status == "failed" and negotiation.fail_reason["params"]["n"] == 2
    with pytest.raises(Conflict):
        next_round(ctx)


def test_start_checks_firms_step_and_who():
    ctx = world()
    base = {"kind": "competitive_negotiation", "title": "x", "lot_id": ctx.lot.id, "tie_rule": "earliest_offer",
            "supplier_org_ids": [f.organisation_id for f in ctx.firms[:2]], "step_bp": 0,
            "first_deadline_at": (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).isoformat()}
    with pytest.raises(ValidationError) as exc:
        services.start(ctx.world.centre, base)
    assert set(exc.value.fields) >= {"supplier_org_ids"}
    with pytest.raises(ValidationError) as exc:    # the lot's negotiation is live: not a second one
        services.start(ctx.world.centre, dict(base, supplier_org_ids=[f.organisation_id for f in ctx.firms]))
    assert set(exc.value.fields) == {"lot_id"}
    free_lot(ctx)
    with pytest.raises(ValidationError) as exc:
        services.start(ctx.world.centre, dict(base, supplier_org_ids=[f.organisation_id for f in ctx.firms]))
    assert set(exc.value.fields) == {"step_bp"}
    with pytest.raises(PermissionDenied):
        services.start(ctx.firms[0], base)


def test_mini_competition_among_given_firms():
    ctx = world()
    firms = ctx.firms[:3]
    t0 = ctx.t0
    mini = services.start_mini_competition(ctx.world.centre, title="Call-off 7", quantity_milli=5_000_000, unit="m3",
                                           supplier_org_ids=[f.organisation_id for f in firms], ceiling_fen=2_000_000,
                                           project_ids=[ctx.projects[0].id], agreement_id=42,
                                           first_deadline_at=t0 + dt.timedelta(days=1), now=t0)
    assert mini.kind == "mini_competition" and mini.agreement_id == 42 and mini.min_rounds >= 1
    assert mini.project_ids == [ctx.projects[0].id] and len(mini.participants) == 3
