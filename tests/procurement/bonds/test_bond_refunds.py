"""Automatic returns of bid bonds: a cancelled tender (or an ended lot) gives every bond back
through the chronograph, never inside the cancellation; a provider outage neither blocks the
cancellation nor loses the refund (retried with growing delays); a firm without a live bid asks
for its bond back, and withdrawn bidders get theirs at the deadline."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import func, select

import procurement.models  # noqa: F401
from core import scheduler
from core.errors import Conflict, NotFound, PermissionDenied
from core.extensions import db
from core.models import AuditEvent
from core.services import unit_of_work
from core.statemachine import IllegalMove
from core.timeutil import utcnow
from procurement.bonds import refunds, services
from procurement.bonds.models import Bond
from procurement.bonds.states import REFUND_DUE, REFUND_OBJECT_TYPE
from procurement.payments import gateway
from procurement.tendering import services as tender_services
from procurement.tendering.models import Lot
from procurement.tendering.states import LOT
from tests.procurement.bonds.helpers import supplier
from tests.procurement.helpers import World, make_standard
from tests.procurement.tendering_helpers import make_tender

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
REASON = "The design institute changed the specification."


@pytest.fixture
def w(app):
    make_standard()
    return World()


def fresh(bond) -> Bond:
    return db.session.execute(select(Bond).where(Bond.id == bond.id).execution_options(populate_existing=True)).scalar_one()


def audits(action) -> int:
    return db.session.execute(select(func.count(AuditEvent.id)).where(AuditEvent.action == action)).scalar()


def held_card(user, lot):
    bond, _ = services.start_card_payment(user, lot.id)
    services.pay_with_test_method(user, bond.id)
    return fresh(bond)


def guarantee(user, lot):
    return services.upload_guarantee(user, lot.id, io.BytesIO(PDF), "guarantee.pdf")


def close(tender):
    tender.bid_deadline_at = utcnow()
    tender.status = "closed"
    db.session.commit()


def cancel(w, tender):
    return tender_services.cancel(w.centre, tender.id, "requirements_changed", REASON)


def provider_refunded(bond) -> bool:
    charge = gateway.retrieve_payment_intent(bond.payment_intent_id)["latest_charge"]  # an object on localstripe
    return bool(gateway.retrieve_charge(charge if isinstance(charge, str) else charge["id"])["refunded"])


def test_cancelling_a_tender_returns_every_bond_through_the_chronograph(w):
    tender = make_tender(w)
    lot = tender.lots[0]
    card = held_card(supplier("Card Ltd"), lot)
    waiting = guarantee(supplier("Waiting Ltd"), lot)
    started, _ = services.start_card_payment(supplier("Started Ltd"), lot.id)
    verified = guarantee(supplier("Verified Ltd"), lot)
    close(tender)
    services.verify_guarantee(w.centre, verified.id)

    cancel(w, tender)
    # the cancellation only asks: nothing has gone to the provider yet
    bonds = [fresh(b) for b in (card, waiting, started, verified)]
    assert [b.status for b in bonds] == ["held", "pending", "pending", "held"]
    assert all(b.refund_pending and b.refund_cause == "tender_cancelled" for b in bonds)
    assert fresh(card).refund_id is None and not provider_refunded(card)
    assert fresh(card).refund_due_on is not None and fresh(waiting).refund_due_on is None
    assert audits("bonds.refund_requested") == 4
    assert all(scheduler.deadline_for(REFUND_DUE, REFUND_OBJECT_TYPE, b.id).status == "pending" for b in bonds)

    counts = scheduler.run_due()
    assert counts.failed == 0
    card, waiting, started, verified = (fresh(b) for b in bonds)
    assert card.status == "refunded" and card.refund_id.startswith("re_") and provider_refunded(card)
    assert verified.status == "refunded" and verified.refund_id is None  # the guarantee is released
    assert (waiting.status, started.status) == ("cancelled", "cancelled")
    assert gateway.retrieve_payment_intent(started.payment_intent_id)["status"] == "canceled"
    assert not any(b.refund_pending for b in (card, waiting, started, verified))
    assert (audits("bonds.refund"), audits("bonds.guarantee_returned"), audits("bonds.cancel")) == (2, 1, 1)
    assert scheduler.deadline_for("bonds.refund_overdue", "bonds", card.id).status == "cancelled"

    # the handler again (a repeated run) and the centre's manual refund change nothing
    before = db.session.execute(select(func.count(AuditEvent.id))).scalar()
    with unit_of_work():
        refunds.settle(card.id, utcnow())
        refunds.settle(waiting.id, utcnow())
    assert db.session.execute(select(func.count(AuditEvent.id))).scalar() == before
    with pytest.raises(IllegalMove):
        services.refund(w.centre, card.id)


def test_a_provider_outage_neither_blocks_the_cancellation_nor_loses_the_refund(w, monkeypatch):
    tender = make_tender(w)
    bond = held_card(supplier(), tender.lots[0])

    def down(*args, **kwargs):
        raise gateway.PaymentsUnavailable("connection refused")

    for name in ("refund_payment_intent", "retrieve_payment_intent", "cancel_payment_intent",
                 "create_payment_intent", "confirm_payment_intent"):
        monkeypatch.setattr(gateway, name, down)
    cancel(w, tender)  # no provider call in the cancellation: it goes through
    assert db.session.get(type(tender), tender.id).status == "cancelled"

    start = utcnow()
    counts = scheduler.run_due(start)
    assert (counts.done, counts.failed) == (0, 1)
    job = refunds.refund_job(bond.id)
    assert job.status == "pending" and job.attempts == 1 and "Unavailable" in job.last_error
    assert job.due_at >= start + scheduler.backoff(1)
    assert fresh(bond).status == "held" and fresh(bond).refund_pending
    # a second failure waits longer
    scheduler.run_due(job.due_at)
    job = refunds.refund_job(bond.id)
    assert job.attempts == 2 and job.due_at >= start + scheduler.backoff(1) + scheduler.backoff(2)

    monkeypatch.undo()
    scheduler.run_due(job.due_at)
    bond = fresh(bond)
    assert bond.status == "refunded" and bond.refund_id and provider_refunded(bond)
    assert refunds.refund_job(bond.id).status == "done"


def test_a_payment_that_succeeded_before_the_job_ran_is_held_then_refunded(w):
    tender = make_tender(w)
    s = supplier()
    bond, _ = services.start_card_payment(s, tender.lots[0].id)
    gateway.confirm_payment_intent(bond.payment_intent_id, "pm_card_visa")  # the page never told us
    cancel(w, tender)
    assert fresh(bond).status == "pending"
    scheduler.run_due()
    bond = fresh(bond)
    assert bond.status == "refunded" and bond.held_at is not None and provider_refunded(bond)
    assert (audits("bonds.hold"), audits("bonds.refund")) == (1, 1)


def test_a_success_webhook_after_the_cancellation_is_held_and_still_returned(w, client, app):
    from tests.procurement.bonds.helpers import deliver, event, intent_object

    tender = make_tender(w)
    bond, _ = services.start_card_payment(supplier(), tender.lots[0].id)
    gateway.confirm_payment_intent(bond.payment_intent_id, "pm_card_visa")
    cancel(w, tender)
    r = deliver(client, app, event("payment_intent.succeeded", intent_object(bond)))  # before the job
    assert r.get_json()["outcome"] == "held"
    bond = fresh(bond)
    assert bond.status == "held" and bond.refund_pending and bond.refund_cause == "tender_cancelled"
    assert audits("bonds.refund_requested") == 1 and audits("bonds.refund_scheduled") == 0
    scheduler.run_due()
    assert fresh(bond).status == "refunded" and provider_refunded(bond)


def test_an_ended_lot_returns_only_its_own_bonds(w):
    tender = make_tender(w, lots=2)
    lot1, lot2 = tender.lots
    s = supplier()
    on1, on2 = held_card(s, lot1), guarantee(supplier(), lot2)
    with pytest.raises(ValueError):
        refunds.request_lot_refunds(lot1)  # still active
    with unit_of_work():
        LOT.apply(Lot, lot1.id, "fail")
        db.session.refresh(lot1)
        asked = refunds.request_lot_refunds(lot1)
    assert [b.id for b in asked] == [on1.id]
    assert fresh(on1).refund_cause == "lot_failed" and not fresh(on2).refund_pending
    scheduler.run_due()
    assert (fresh(on1).status, fresh(on2).status) == ("refunded", "pending")


def test_a_bond_being_returned_is_not_forfeited(w):
    tender = make_tender(w)
    s = supplier()
    bond = held_card(s, tender.lots[0])
    cancel(w, tender)
    with pytest.raises(Conflict) as refused:
        services.forfeit(w.centre, bond.id, "refused_to_sign")
    assert "being returned" in refused.value.message
    assert fresh(bond).status == "held"


def test_the_firm_asks_its_bond_back_when_it_has_no_live_bid(w, monkeypatch):
    tender = make_tender(w)
    lot = tender.lots[0]
    s, other = supplier(), supplier()
    bond = held_card(s, lot)
    with pytest.raises(NotFound):
        refunds.return_bond(other, bond.id)
    with pytest.raises(NotFound):  # before the deadline the centre does not know the bond
        refunds.return_bond(w.centre, bond.id)
    assert refunds.can_ask_back(s, bond) and not refunds.can_ask_back(other, bond)
    returned = refunds.return_bond(s, bond.id)
    assert returned.refund_pending and returned.refund_cause == "no_bid"
    assert refunds.return_bond(s, bond.id).refund_requested_at == returned.refund_requested_at  # idempotent
    assert audits("bonds.refund_requested") == 1
    # asked back before the deadline: it no longer secures a bid
    assert not services.bond_held(lot.id, s.organisation_id, tender.bid_deadline_at)
    with pytest.raises(Conflict) as refused:  # a new bond waits for the return
        services.start_card_payment(s, lot.id)
    assert "being returned" in refused.value.message
    scheduler.run_due()
    assert fresh(bond).status == "refunded"
    assert refunds.return_bond(s, bond.id).status == "refunded" and audits("bonds.refund_requested") == 1
    again = held_card(s, lot)
    assert again.id != bond.id and services.bond_held(lot.id, s.organisation_id, tender.bid_deadline_at)


def test_a_bond_that_never_got_held_cannot_be_asked_back(w, client, app):
    from tests.procurement.bonds.helpers import deliver, event, intent_object

    tender = make_tender(w)
    s = supplier()
    bond, _ = services.start_card_payment(s, tender.lots[0].id)
    deliver(client, app, event("payment_intent.payment_failed", {**intent_object(bond, status="requires_payment_method"),
                                                                 "last_payment_error": {"code": "card_declined"}}))
    assert fresh(bond).status == "failed"
    with pytest.raises(IllegalMove):
        refunds.return_bond(s, bond.id)
    assert not refunds.can_ask_back(s, fresh(bond))


def test_after_the_deadline_the_centre_cannot_ask_a_firms_bond_back(w):
    tender = make_tender(w)
    bond = held_card(supplier(), tender.lots[0])
    close(tender)
    with pytest.raises(PermissionDenied):
        refunds.return_bond(w.centre, bond.id)
    assert not fresh(bond).refund_pending


def test_a_listener_error_refuses_the_cancellation(w, app, monkeypatch):
    tender = make_tender(w)
    bond = held_card(supplier(), tender.lots[0])

    def broken(t):
        raise RuntimeError("listener failed")

    monkeypatch.setitem(app.extensions, tender_services.CANCELLED_LISTENERS_KEY,
                        [*app.extensions[tender_services.CANCELLED_LISTENERS_KEY], broken])
    with pytest.raises(RuntimeError):
        cancel(w, tender)
    db.session.rollback()
    assert db.session.get(type(tender), tender.id).status == "published"
    assert not fresh(bond).refund_pending


def test_an_automatic_return_is_due_by_the_rules_and_flagged_if_it_is_late(w):
    from core.timeutil import today_cn
    from core.workdays import add_working_days

    tender = make_tender(w)
    bond = held_card(supplier(), tender.lots[0])
    cancel(w, tender)
    bond = fresh(bond)
    assert bond.refund_due_on == add_working_days(today_cn(), tender.profile.bond_refund_working_days)
    overdue = scheduler.deadline_for("bonds.refund_overdue", "bonds", bond.id)
    assert overdue.status == "pending" and overdue.due_at == services._overdue_at(bond.refund_due_on)
    with unit_of_work():  # the provider stayed down past the due date
        services.schedule_refund(bond, today_cn() - dt.timedelta(days=2))
    with unit_of_work():
        services.flag_overdue_refund(bond.id, utcnow())
    assert fresh(bond).refund_overdue_at is not None and fresh(bond).refund_pending


# ------------------------------------------------------------------ withdrawn bids

def _bidders():
    """A sealed tender with two firms that each hold a card bond on the lot and bid on it."""
    from tests.procurement.bids.helpers import bid, rival, sealed_tender

    ctx = sealed_tender()
    other, product = rival(ctx)
    bonds = {}
    for user, prod in ((ctx.supplier, ctx.product), (other, product)):
        bonds[user.id] = held_card(user, ctx.lot)
        bid(ctx, user=user, product=prod)
    return ctx, other, bonds


def test_a_firm_with_a_live_bid_cannot_ask_its_bond_back_until_it_withdraws(app):
    from procurement.bids import services as bid_services
    from procurement.bids.models import Bid

    ctx, _other, bonds = _bidders()
    bond = bonds[ctx.supplier.id]
    assert not refunds.can_ask_back(ctx.supplier, bond)
    with pytest.raises(Conflict) as refused:
        refunds.return_bond(ctx.supplier, bond.id)
    assert "withdraw the bid first" in refused.value.message and not fresh(bond).refund_pending
    live = db.session.execute(select(Bid).where(Bid.supplier_org_id == ctx.supplier.organisation_id)).scalar_one()
    bid_services.withdraw(ctx.supplier, live.id)
    returned = refunds.return_bond(ctx.supplier, bond.id)
    assert returned.refund_cause == "bid_withdrawn"
    scheduler.run_due()
    assert fresh(bond).status == "refunded"


def test_at_the_deadline_withdrawn_bidders_get_their_bonds_back_and_bidders_keep_theirs(app):
    from procurement.bids import services as bid_services
    from procurement.bids.models import Bid

    ctx, other, bonds = _bidders()
    quiet = supplier("Never Bid Ltd")
    never = held_card(quiet, ctx.lot)
    live = db.session.execute(select(Bid).where(Bid.supplier_org_id == other.organisation_id)).scalar_one()
    bid_services.withdraw(other, live.id)
    with unit_of_work():
        tender_services.close_tendering(ctx.tender.id, ctx.tender.bid_deadline_at)
    withdrawn, bidder = fresh(bonds[other.id]), fresh(bonds[ctx.supplier.id])
    assert withdrawn.refund_pending and withdrawn.refund_cause == "bid_withdrawn"
    assert not bidder.refund_pending and not fresh(never).refund_pending  # the losers' rule returns those
    scheduler.run_due()
    assert (fresh(withdrawn).status, fresh(bidder).status, fresh(never).status) == ("refunded", "held", "held")


def test_a_charge_already_refunded_at_the_provider_is_recorded_not_retried_for_ever(w, monkeypatch):
    tender = make_tender(w)
    bond = held_card(supplier(), tender.lots[0])
    cancel(w, tender)

    def refused(*args, **kwargs):
        raise gateway.PaymentError("Charge has already been refunded.", "charge_already_refunded")

    monkeypatch.setattr(gateway, "refund_payment_intent", refused)
    counts = scheduler.run_due()  # not refunded at the provider: a real refusal, retried
    assert (counts.done, counts.failed) == (0, 1) and fresh(bond).status == "held"
    # refunded by an attempt whose transaction was lost (and whose idempotency key has expired)
    monkeypatch.undo()
    gateway.refund_payment_intent(bond.payment_intent_id, metadata={}, idempotency_key="lost-attempt")
    monkeypatch.setattr(gateway, "refund_payment_intent", refused)
    counts = scheduler.run_due(refunds.refund_job(bond.id).due_at)
    assert (counts.done, counts.failed) == (1, 0)
    bond = fresh(bond)
    assert bond.status == "refunded" and bond.refund_id is None and audits("bonds.refund") == 1
