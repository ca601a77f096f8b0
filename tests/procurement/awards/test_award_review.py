"""From the ranking to the award notice: the centre sends the recommendation, only the finance
office of the tender's city reviews it (another city's is refused), a return needs a reason,
the notice needs the approval, starts the windows and schedules the losers' bond refunds, and
every step is audited and told."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.errors import Conflict, PermissionDenied, ValidationError
from core.extensions import db
from core.models import AuditEvent, Notification
from procurement.awards import services
from procurement.awards.models import Award, AwardOffer
from procurement.bonds.models import Bond
from tests.procurement.awards.helpers import NOTICE_AT, award_in, china, qualified_lot


def _actions(prefix="awards."):
    return [e.action for e in db.session.execute(select(AuditEvent).where(AuditEvent.action.like(prefix + "%"))
                                                 .order_by(AuditEvent.seq)).scalars()]


def test_the_recommendation_is_the_first_ranked_bid_and_goes_to_the_citys_finance_office(app):
    ctx = qualified_lot(3)
    with pytest.raises(PermissionDenied):
        services.submit(ctx.world.finance, ctx.tender.id, ctx.lot.id)
    award = services.submit(ctx.world.centre, ctx.tender.id, ctx.lot.id, now=NOTICE_AT - dt.timedelta(days=5))
    assert (award.status, award.winner_org_id, award.total_fen, award.winner_rank) == (
        "finance_review", ctx.orgs[0], 4_000_000, 1)
    assert [c["supplier_org_id"] for c in award.candidates] == ctx.orgs
    (offer,) = db.session.execute(select(AwardOffer)).scalars().all()
    assert (offer.number, offer.status, offer.supplier_org_id) == (1, "accepted", ctx.orgs[0])
    # Friday 25 September 2026 + 5 working days: 28, 29, 30 September, then (after National Day)
    # 8 and 9 October: the confirmation period ends as Saturday 10 October begins in China.
    assert award.review_due_at == china(2026, 10, 10)
    with pytest.raises(Conflict):  # one award per lot
        services.submit(ctx.world.centre, ctx.tender.id, ctx.lot.id)
    told = db.session.execute(select(Notification).where(Notification.kind == "awards.submitted")).scalars().all()
    assert {n.user_id for n in told} == {ctx.world.finance.id, ctx.world.finance2.id}


def test_no_recommendation_before_the_lot_is_qualified(app):
    from tests.procurement.opening.helpers import open_bids, opening_tender

    ctx = opening_tender(3)
    open_bids(ctx)
    with pytest.raises(Conflict) as exc:
        services.submit(ctx.world.centre, ctx.tender.id, ctx.lot.id)
    assert "qualification of this lot has not been confirmed" in exc.value.message
    assert db.session.execute(select(Award)).first() is None


def test_a_review_of_another_citys_tender_is_refused(app):
    ctx, award = award_in("finance_review")
    for call in (lambda u: services.approve(u, award.id, "Looks right"),
                 lambda u: services.return_recommendation(u, award.id, "Price looks too low")):
        with pytest.raises(PermissionDenied) as exc:
            call(ctx.other_finance)
        assert "finance office of the tender's city" in exc.value.message
        with pytest.raises(PermissionDenied):
            call(ctx.world.centre)
    db.session.expire_all()
    assert db.session.get(Award, award.id).status == "finance_review"
    assert "awards.approved" not in _actions() and "awards.returned" not in _actions()


def test_a_return_needs_a_reason_and_the_centre_sends_it_again(app):
    ctx, award = award_in("finance_review")
    for reason in (None, "", "  ", "no"):
        with pytest.raises(ValidationError):
            services.return_recommendation(ctx.world.finance, award.id, reason)
    returned = services.return_recommendation(ctx.world.finance, award.id, "Attach the panel's signed report")
    assert (returned.status, returned.review_comment) == ("returned", "Attach the panel's signed report")
    with pytest.raises(Conflict):
        services.publish(ctx.world.centre, award.id)
    again = services.resubmit(ctx.world.centre, award.id)
    assert again.status == "finance_review" and again.review_overdue_at is None
    assert _actions() == ["awards.submitted", "awards.returned", "awards.resubmitted"]


def test_the_notice_starts_the_windows_and_schedules_the_losers_refunds(app):
    ctx, award = award_in("approved")
    with pytest.raises(PermissionDenied):
        services.publish(ctx.world.finance, award.id)
    done = services.publish(ctx.world.centre, award.id, now=NOTICE_AT)
    # Notice on Wednesday 30 September 2026; National Day 1-7 October; Saturday 10 October works.
    assert done.notice_until == china(2026, 10, 9)           # 1 working day: Thursday 8 October
    assert done.standstill_until == china(2026, 10, 16)      # 7 working days: Thursday 15 October
    assert done.challenge_until == china(2026, 10, 16)
    assert (done.status, done.notice_number) == ("notified", 1)
    with pytest.raises(Conflict):  # published once
        services.publish(ctx.world.centre, award.id)
    bonds = {b.supplier_org_id: b for b in db.session.execute(select(Bond)).scalars()}
    assert bonds[ctx.orgs[0]].refund_due_on is None          # the winner's: after signing (next step)
    # 5 working days after 30 September: 8, 9, 10 (make-up Saturday), 12, 13 October.
    assert {bonds[o].refund_due_on for o in ctx.orgs[1:]} == {dt.date(2026, 10, 13)}
    kinds = {(n.user_id, n.kind) for n in db.session.execute(select(Notification)).scalars()}
    assert (ctx.firms[0][0].id, "awards.won") in kinds
    assert {(u.id, "awards.published") for u, _p in ctx.firms[1:]} <= kinds
    assert _actions()[-1] == "awards.published"
