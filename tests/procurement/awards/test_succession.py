"""A winner that withdraws or refuses to sign: its bond is forfeited in the same transaction and
the next-ranked qualified firm is offered the award; it accepts (review, then a new notice) or
declines, an unanswered offer lapses (chronograph), and with nobody left the award and the lot
fail and the centre chooses the next step."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core import scheduler
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.models import AuditEvent, Notification
from procurement.awards import services, succession
from procurement.awards.models import Award, AwardOffer
from procurement.bonds.models import Bond
from procurement.tendering.models import Lot, Tender
from tests.procurement.awards.helpers import MS, award_in, china, supplier_of

REASON = "The winner's letter of 12 October gives up the award."


def _award(award_id) -> Award:
    db.session.expire_all()
    return db.session.get(Award, award_id)


def _bonds(ctx) -> dict:
    return {b.supplier_org_id: b for b in db.session.execute(select(Bond)).scalars()}


def test_the_next_best_is_offered_after_a_withdrawal_and_the_bond_is_forfeited(app):
    ctx, award = award_in("notified")
    with pytest.raises(ValidationError):  # the reason is required: nothing changes
        succession.record_withdrawal(ctx.world.centre, award.id, "winner_withdrew", "")
    with pytest.raises(ValidationError):
        succession.record_withdrawal(ctx.world.centre, award.id, "changed_mind", REASON)
    with pytest.raises(PermissionDenied):
        succession.record_withdrawal(ctx.world.finance, award.id, "winner_withdrew", REASON)
    assert _bonds(ctx)[ctx.orgs[0]].status == "held" and _award(award.id).status == "notified"

    now = china(2026, 10, 12, 10, 0)
    succession.record_withdrawal(ctx.world.centre, award.id, "winner_withdrew", REASON, now=now)
    award = _award(award.id)
    assert (award.status, award.winner_org_id) == ("offering", None)
    bond = _bonds(ctx)[ctx.orgs[0]]
    assert (bond.status, bond.forfeit_reason) == ("forfeited", "winner_withdrew")
    first, second = award.offers
    assert (first.status, first.withdrawal_kind, first.bond_forfeited, first.bond_id) == (
        "withdrawn", "winner_withdrew", True, bond.id)
    assert (second.status, second.supplier_org_id, second.rank) == ("offered", ctx.orgs[1], 2)
    assert second.respond_by == china(2026, 10, 20)  # 5 working days: 13, 14, 15, 16, 19 October
    actions = [e.action for e in db.session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars()]
    assert actions[-4:] == ["bonds.forfeit", "awards.winner_withdrew", "awards.offered", "awards.offer_made"]
    told = {(n.user_id, n.kind) for n in db.session.execute(select(Notification)).scalars()}
    assert (supplier_of(ctx, 1).id, "awards.offered") in told and (supplier_of(ctx, 0).id, "bonds.forfeited") in told

    with pytest.raises(NotFound):  # only the offered firm answers
        succession.accept_offer(supplier_of(ctx, 2), second.id, now=now)
    succession.accept_offer(supplier_of(ctx, 1), second.id, now=now + MS)
    award = _award(award.id)
    assert (award.status, award.winner_org_id, award.total_fen, award.winner_rank) == (
        "finance_review", ctx.orgs[1], 4_010_000, 2)
    services.approve(ctx.world.finance, award.id, "", now=now + 2 * MS)
    renewed = services.publish(ctx.world.centre, award.id, now=china(2026, 10, 13, 10, 0))
    assert (renewed.notice_number, renewed.challenge_until) == (2, china(2026, 10, 23))


def test_a_declined_offer_goes_to_the_next_and_nobody_left_fails_the_lot(app):
    ctx, award = award_in("notified")
    succession.record_withdrawal(ctx.world.centre, award.id, "refused_to_sign", REASON, now=china(2026, 10, 12))
    second = _award(award.id).offers[1]
    succession.decline_offer(supplier_of(ctx, 1), second.id, "Our plant is fully booked", now=china(2026, 10, 12, 9))
    with pytest.raises(Conflict):  # answered once
        succession.accept_offer(supplier_of(ctx, 1), second.id, now=china(2026, 10, 12, 9))
    third = _award(award.id).offers[2]
    assert (third.supplier_org_id, third.status) == (ctx.orgs[2], "offered")
    assert _bonds(ctx)[ctx.orgs[1]].status == "held"  # declining an offer forfeits nothing

    # Nobody answers: the offer lapses at its deadline and nobody is left.
    scheduler.run_due(now=third.respond_by - MS)
    assert db.session.get(AwardOffer, third.id).status == "offered"
    scheduler.run_due(now=third.respond_by)
    award = _award(award.id)
    assert [o.status for o in award.offers] == ["withdrawn", "declined", "lapsed"]
    assert award.status == "failed"
    assert award.fail_reason["key"] == "Nobody is left in the ranking of this lot to offer the award to."
    assert db.session.get(Lot, ctx.lot.id).status == "failed"
    assert db.session.get(Tender, ctx.tender.id).status == "failed"  # its only lot failed

    with pytest.raises(ValidationError):
        succession.choose_next_step(ctx.world.centre, award.id, "direct_award", "Approved by the city")
    done = succession.choose_next_step(ctx.world.centre, award.id, "competitive_negotiation",
                                       "Switch approved by the finance office on 2 November")
    assert (done.status, done.next_step) == ("negotiation", "competitive_negotiation")


def test_an_offer_answered_after_its_deadline_is_refused(app):
    ctx, award = award_in("notified")
    succession.record_withdrawal(ctx.world.centre, award.id, "winner_withdrew", REASON, now=china(2026, 10, 12))
    offer = _award(award.id).offers[1]
    with pytest.raises(Conflict) as exc:
        succession.accept_offer(supplier_of(ctx, 1), offer.id, now=offer.respond_by)
    assert exc.value.message == "This offer lapsed at 2026-10-20 00:00 (UTC+8)."
    assert db.session.get(AwardOffer, offer.id).status == "offered"


def test_a_withdrawal_needs_a_holder_and_a_live_award(app):
    ctx, award = award_in("notified")
    succession.record_withdrawal(ctx.world.centre, award.id, "winner_withdrew", REASON, now=china(2026, 10, 12))
    with pytest.raises(Conflict):  # offering: nobody holds it
        succession.record_withdrawal(ctx.world.centre, award.id, "winner_withdrew", REASON)
