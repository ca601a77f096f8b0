"""Bid bonds against the embedded localstripe: card payments captured at once, bank guarantees
verified by the centre after the deadline, refunds on the rules' schedule and overdue flags,
forfeiture, the cap, and signed webhooks that ignore repeats and never move a bond backwards."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import func, select

import procurement.models  # noqa: F401
from core import scheduler
from core.errors import Conflict, NotFound, PermissionDenied
from core.extensions import db
from core.models import AuditEvent, Notification
from core.statemachine import IllegalMove
from core.timeutil import utcnow
from core.workdays import add_working_days
from procurement.bonds import services
from procurement.bonds.models import Bond, StripeEvent
from procurement.bonds.states import REFUND_OVERDUE
from tests.procurement.bonds.helpers import charge_refunded, deliver, event, intent_object, supplier
from tests.procurement.helpers import World, make_standard
from tests.procurement.tendering_helpers import make_tender

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def w(app):
    make_standard()
    return World()


def count(model) -> int:
    return db.session.execute(select(func.count(model.id))).scalar()


def fresh(bond) -> Bond:
    return db.session.execute(select(Bond).where(Bond.id == bond.id).execution_options(populate_existing=True)).scalar_one()


def past_deadline(tender):
    tender.bid_deadline_at = utcnow()  # after every bond the test made so far
    tender.status = "closed"
    db.session.commit()


def test_card_payment_is_captured_through_localstripe_and_held_once(w):
    tender = make_tender(w)
    lot = tender.lots[0]
    s = supplier()
    bond, secret = services.start_card_payment(s, lot.id)
    assert (bond.status, bond.amount_fen, bond.method) == ("pending", lot.bond_fen, "card")
    assert bond.payment_intent_id.startswith("pi_") and secret
    again, _ = services.start_card_payment(s, lot.id)  # resumes the same payment
    assert again.id == bond.id and count(Bond) == 1
    services.pay_with_test_method(s, bond.id, "pm_card_visa")
    bond = fresh(bond)
    assert bond.status == "held" and bond.held_at is not None and bond.card_fingerprint
    assert services.bond_held(lot.id, s.organisation_id, tender.bid_deadline_at)
    assert not services.bond_held(lot.id, s.organisation_id, bond.held_at - dt.timedelta(seconds=1))
    # polling again and the webhook of the same success change nothing
    services.refresh_payment(s, bond.id)
    audits = count(AuditEvent)
    from flask import current_app
    r = deliver(current_app.test_client(), current_app, event("payment_intent.succeeded", intent_object(bond)))
    assert r.status_code == 200 and r.get_json()["outcome"] == "unchanged"
    assert count(AuditEvent) == audits and fresh(bond).held_at == bond.held_at
    with pytest.raises(Conflict):
        services.start_card_payment(s, lot.id)


def test_cap_comes_from_the_profile_and_the_amount_from_the_lot(w):
    tender = make_tender(w)
    lot = tender.lots[0]
    cap = lot.ceiling_fen * tender.profile.bond_cap_bp // 10000
    lot.bond_fen = cap + 1
    db.session.commit()
    s = supplier()
    with pytest.raises(Conflict) as refused:
        services.start_card_payment(s, lot.id)
    assert "above the cap" in refused.value.message
    assert count(Bond) == 0
    lot.bond_fen = cap
    db.session.commit()
    bond, _ = services.start_card_payment(s, lot.id)
    assert bond.amount_fen == cap
    lot.bond_fen = 0
    db.session.commit()
    with pytest.raises(Conflict):
        services.start_card_payment(supplier(), lot.id)
    assert services.bond_satisfied(lot, 12345, utcnow())


def test_only_verified_suppliers_and_only_while_open(w):
    tender = make_tender(w)
    lot = tender.lots[0]
    with pytest.raises(PermissionDenied):
        services.start_card_payment(supplier(status="pending"), lot.id)
    with pytest.raises(PermissionDenied):
        services.start_card_payment(w.purchaser, lot.id)
    past_deadline(tender)
    with pytest.raises(Conflict):
        services.start_card_payment(supplier(), lot.id)
    draft = make_tender(w, status="draft")
    with pytest.raises(NotFound):
        services.start_card_payment(supplier(), draft.lots[0].id)
    assert count(Bond) == 0


def test_webhook_with_a_bad_signature_is_refused_and_nothing_is_written(w, client, app):
    tender = make_tender(w)
    bond, _ = services.start_card_payment(supplier(), tender.lots[0].id)
    payload = event("payment_intent.succeeded", intent_object(bond))
    r = deliver(client, app, payload, secret="whsec_wrong")
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_signature"
    r = deliver(client, app, payload, signature="")
    assert r.status_code == 400
    r = deliver(client, app, b"not json", )
    assert r.status_code == 400
    assert count(StripeEvent) == 0 and fresh(bond).status == "pending"


def test_a_repeated_event_is_ignored(w, client, app):
    tender = make_tender(w)
    bond, _ = services.start_card_payment(supplier(), tender.lots[0].id)
    payload = event("payment_intent.succeeded", intent_object(bond))
    first = deliver(client, app, payload)
    assert first.status_code == 200 and first.get_json()["outcome"] == "held"
    audits, notes = count(AuditEvent), count(Notification)
    second = deliver(client, app, payload)
    assert second.status_code == 200 and second.get_json()["outcome"] == "duplicate"
    assert count(StripeEvent) == 1 and count(AuditEvent) == audits and count(Notification) == notes
    # a different event for the same success does not count twice either
    third = deliver(client, app, event("payment_intent.succeeded", intent_object(bond)))
    assert third.get_json()["outcome"] == "unchanged"
    held = db.session.execute(select(func.count(AuditEvent.id)).where(AuditEvent.action == "bonds.hold")).scalar()
    assert held == 1


def test_refund_before_success_never_leaves_the_bond_held(w, client, app):
    tender = make_tender(w)
    bond, _ = services.start_card_payment(supplier(), tender.lots[0].id)
    r = deliver(client, app, event("charge.refunded", charge_refunded(bond), created=2_000_000_000))
    assert r.get_json()["outcome"] == "refunded"
    r = deliver(client, app, event("payment_intent.succeeded", intent_object(bond), created=1_999_999_000))
    assert r.status_code == 200 and r.get_json()["outcome"] == "unchanged"
    bond = fresh(bond)
    assert bond.status == "refunded" and bond.refund_id == "re_test_1"
    assert not services.bond_held(bond.lot_id, bond.supplier_org_id, tender.bid_deadline_at)


def test_failure_after_success_does_not_move_back(w, client, app):
    tender = make_tender(w)
    bond, _ = services.start_card_payment(supplier(), tender.lots[0].id)
    deliver(client, app, event("payment_intent.succeeded", intent_object(bond)))
    r = deliver(client, app, event("payment_intent.payment_failed", intent_object(bond, status="requires_payment_method")))
    assert r.get_json()["outcome"] == "unchanged" and fresh(bond).status == "held"


def test_an_amount_that_differs_is_not_held(w, client, app):
    tender = make_tender(w)
    bond, _ = services.start_card_payment(supplier(), tender.lots[0].id)
    r = deliver(client, app, event("payment_intent.succeeded", intent_object(bond, amount=1)))
    assert r.get_json()["outcome"] == "mismatch" and fresh(bond).status == "pending"


def test_payment_failure_lets_the_firm_try_again(w, client, app):
    tender = make_tender(w)
    s = supplier()
    bond, _ = services.start_card_payment(s, tender.lots[0].id)
    r = deliver(client, app, event("payment_intent.payment_failed",
                                   {**intent_object(bond, status="requires_payment_method"),
                                    "last_payment_error": {"code": "card_declined"}}))
    assert r.get_json()["outcome"] == "failed" and fresh(bond).status == "failed"
    second, _ = services.start_card_payment(s, tender.lots[0].id)
    assert second.id != bond.id and second.status == "pending"


def test_same_card_for_two_bidders_on_one_lot_is_flagged(w):
    tender = make_tender(w, lots=2)
    lot1, lot2 = tender.lots
    a, b, c = supplier("A Ltd"), supplier("B Ltd"), supplier("C Ltd")
    for user, lot in ((a, lot1), (b, lot1), (a, lot2)):
        bond, _ = services.start_card_payment(user, lot.id)
        services.pay_with_test_method(user, bond.id, "pm_card_visa")
    bond, _ = services.start_card_payment(c, lot2.id)
    from procurement.payments import gateway
    other = gateway.payment_gateway.client.v1.payment_methods.create(params={
        "type": "card", "card": {"number": "5555555555554444", "exp_month": 12, "exp_year": 2030, "cvc": "123"}})
    gateway.confirm_payment_intent(bond.payment_intent_id, other.id)
    services.refresh_payment(c, bond.id)
    assert fresh(bond).status == "held"
    flags = services.fingerprint_flags(tender.id)
    assert len(flags) == 1 and flags[0]["lot_id"] == lot1.id
    assert sorted(flags[0]["supplier_org_ids"]) == sorted([a.organisation_id, b.organisation_id])
    shared = db.session.execute(select(func.count(AuditEvent.id)).where(AuditEvent.action == "bonds.shared_card")).scalar()
    assert shared == 1


def test_bank_guarantee_is_verified_only_after_the_deadline(w):
    tender = make_tender(w)
    lot = tender.lots[0]
    s = supplier()
    bond = services.upload_guarantee(s, lot.id, io.BytesIO(PDF), "guarantee.pdf")
    assert (bond.status, bond.method) == ("pending", "bank_guarantee") and bond.guarantee_document_id
    with pytest.raises(Conflict):
        services.start_card_payment(s, lot.id)
    # before the deadline the centre sees no bond at all
    with pytest.raises(PermissionDenied):
        services.bonds_for_tender(w.centre, tender.id)
    with pytest.raises(NotFound):
        services.verify_guarantee(w.centre, bond.id)
    past_deadline(tender)
    assert [b.id for b in services.bonds_for_tender(w.centre, tender.id)] == [bond.id]
    with pytest.raises(NotFound):
        services.verify_guarantee(w.finance, bond.id)
    services.verify_guarantee(w.centre, bond.id)
    bond = fresh(bond)
    assert bond.status == "held" and bond.held_at == bond.created_at and bond.verified_by_id == w.centre.id
    assert services.bond_held(lot.id, s.organisation_id, tender.bid_deadline_at)
    with pytest.raises(IllegalMove):
        services.verify_guarantee(w.centre, bond.id)


def test_a_rejected_guarantee_fails(w):
    tender = make_tender(w)
    s = supplier()
    bond = services.upload_guarantee(s, tender.lots[0].id, io.BytesIO(PDF), "guarantee.pdf")
    past_deadline(tender)
    services.reject_guarantee(w.centre, bond.id, "Issued by an unknown bank.")
    assert fresh(bond).status == "failed"
    assert not services.bond_held(tender.lots[0].id, s.organisation_id, tender.bid_deadline_at)


def _held_card_bond(user, lot):
    bond, _ = services.start_card_payment(user, lot.id)
    services.pay_with_test_method(user, bond.id)
    return fresh(bond)


def test_refunds_are_scheduled_by_the_rules_and_overdue_ones_flagged_once(w):
    tender = make_tender(w)
    lot = tender.lots[0]
    winner, loser = supplier("Winner Ltd"), supplier("Loser Ltd")
    wb, lb = _held_card_bond(winner, lot), _held_card_bond(loser, lot)
    past_deadline(tender)
    notice = dt.date(2026, 9, 30)  # before the National Day holiday
    from core.services import unit_of_work
    with unit_of_work():
        scheduled = services.schedule_award_refunds(lot.id, winner.organisation_id, notice)
    assert [b.id for b in scheduled] == [lb.id]
    expected = add_working_days(notice, tender.profile.bond_refund_working_days)
    assert fresh(lb).refund_due_on == expected and expected >= dt.date(2026, 10, 9)
    assert fresh(wb).refund_due_on is None
    deadline = scheduler.deadline_for(REFUND_OVERDUE, "bonds", lb.id)
    assert deadline.status == "pending"
    signed = dt.date(2026, 10, 12)
    with unit_of_work():
        services.schedule_winner_refund(lot.id, winner.organisation_id, signed)
    assert fresh(wb).refund_due_on == add_working_days(signed, 5)
    # the handler twice: flagged and notified once
    notes = count(Notification)
    with unit_of_work():
        services.flag_overdue_refund(lb.id, deadline.due_at)
    after_first = count(Notification)
    assert after_first > notes and fresh(lb).refund_overdue_at is not None
    with unit_of_work():
        services.flag_overdue_refund(lb.id, deadline.due_at)
    assert count(Notification) == after_first
    # refund through localstripe; the deadline is disarmed; a refund twice is refused
    services.refund(w.centre, lb.id)
    lb = fresh(lb)
    assert lb.status == "refunded" and lb.refund_id.startswith("re_")
    with pytest.raises(IllegalMove):
        services.refund(w.centre, lb.id)


def test_a_bond_not_yet_due_is_not_flagged(w):
    tender = make_tender(w)
    bond = _held_card_bond(supplier(), tender.lots[0])
    past_deadline(tender)
    from core.services import unit_of_work
    with unit_of_work():
        services.schedule_refund(bond, dt.date.today() + dt.timedelta(days=30))
    with unit_of_work():
        services.flag_overdue_refund(bond.id, utcnow())
    assert fresh(bond).refund_overdue_at is None


def test_forfeiture_when_the_winner_refuses_to_sign(w):
    tender = make_tender(w)
    s = supplier()
    bond = _held_card_bond(s, tender.lots[0])
    with pytest.raises(NotFound):  # before the deadline the centre does not know the bond
        services.forfeit(w.centre, bond.id, "refused_to_sign")
    past_deadline(tender)
    from core.errors import ValidationError
    with pytest.raises(ValidationError):
        services.forfeit(w.centre, bond.id, "bad_reason")
    with pytest.raises(PermissionDenied):
        services.forfeit(s, bond.id, "refused_to_sign")
    services.forfeit(w.centre, bond.id, "refused_to_sign", "Did not sign within 30 days.")
    bond = fresh(bond)
    assert (bond.status, bond.forfeit_reason) == ("forfeited", "refused_to_sign")
    with pytest.raises(IllegalMove):
        services.refund(w.centre, bond.id)
    assert services.bond_held(bond.lot_id, s.organisation_id, tender.bid_deadline_at)


def test_the_webhook_needs_no_csrf_token_but_its_signature(w, client, app, csrf_enabled):
    tender = make_tender(w)
    bond, _ = services.start_card_payment(supplier(), tender.lots[0].id)
    r = deliver(client, app, event("payment_intent.succeeded", intent_object(bond)))
    assert r.status_code == 200 and fresh(bond).status == "held"
    r = deliver(client, app, event("payment_intent.succeeded", intent_object(bond)), secret="whsec_other")
    assert r.status_code == 400


def test_api_start_payment_and_bad_input(w, client):
    from tests.factories import api_token, auth_header
    tender = make_tender(w)
    s = supplier()
    headers = auth_header(api_token(s))
    r = client.post(f"/api/v1/lots/{tender.lots[0].id}/bond/card", headers=headers)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()["bond"]
    assert body["status"] == "pending" and body["client_secret"]
    assert client.get(f"/api/v1/bonds/{body['id']}", headers=headers).status_code == 200
    other = auth_header(api_token(supplier()))
    assert client.get(f"/api/v1/bonds/{body['id']}", headers=other).status_code == 404
    r = client.post(f"/api/v1/lots/{tender.lots[0].id}/bond/guarantee", headers=other)
    assert r.status_code == 400 and r.get_json()["error"]["fields"]["file"]
    centre = auth_header(api_token(w.centre))
    assert client.get(f"/api/v1/tenders/{tender.id}/bonds", headers=centre).status_code == 403
    r = client.post(f"/api/v1/bonds/{body['id']}/forfeit", headers=centre, json={"reason_type": "x", "note": 5})
    assert r.status_code in (400, 404)
    assert fresh(db.session.get(Bond, body["id"])).status == "pending"
