"""Two webhook deliveries for the same PaymentIntent at the same moment (PostgreSQL row locks):
the bond is held once, with one audit event and one notification."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.models import AuditEvent, Notification
from procurement.bonds import services, webhooks
from procurement.bonds.models import Bond, StripeEvent
from tests.concurrency import postgres_only, race  # noqa: F401  (fixture)
from tests.procurement.bonds.helpers import event, intent_object, supplier
from tests.procurement.helpers import World, make_standard
from tests.procurement.tendering_helpers import make_tender

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("postgres_only")]


def test_two_success_events_at_once_hold_the_bond_once(app, monkeypatch):
    make_standard()
    w = World()
    tender = make_tender(w)
    bond, _ = services.start_card_payment(supplier(), tender.lots[0].id)
    obj = intent_object(bond)
    first, second = event("payment_intent.succeeded", obj), event("payment_intent.succeeded", obj)
    results = {}

    def deliver(ev):
        def run():
            results[ev["id"]] = webhooks.process(ev)
        return run

    outcomes = race(app, monkeypatch, [deliver(first), deliver(second)], lock=(services, "_move"))
    assert outcomes == ["ok", "ok"], outcomes
    assert sorted(results.values()) == ["held", "unchanged"]
    db.session.expire_all()
    assert db.session.get(Bond, bond.id).status == "held"
    assert db.session.execute(select(func.count(StripeEvent.id))).scalar() == 2
    assert db.session.execute(select(func.count(AuditEvent.id)).where(AuditEvent.action == "bonds.hold")).scalar() == 1
    assert db.session.execute(select(func.count(Notification.id)).where(Notification.kind == "bonds.held")).scalar() == 1


def test_the_centres_refund_and_the_automatic_return_at_once_refund_once(app, monkeypatch):
    """After a cancellation, the centre presses "Return the bond" while the chronograph's job
    returns it: one refund at the provider, one `bonds.refund` event, the other finds it done."""
    from core import scheduler
    from procurement.payments import gateway
    from procurement.tendering import services as tender_services

    make_standard()
    w = World()
    tender = make_tender(w)
    s = supplier()
    bond, _ = services.start_card_payment(s, tender.lots[0].id)
    services.pay_with_test_method(s, bond.id)
    tender_services.cancel(w.centre, tender.id, "budget_withdrawn", "The budget was withdrawn this year.")
    calls = []
    real_refund = gateway.refund_payment_intent

    def counting(*args, **kwargs):
        calls.append(args)
        return real_refund(*args, **kwargs)

    monkeypatch.setattr(gateway, "refund_payment_intent", counting)
    results = {}

    centre_id = w.centre.id

    def by_centre():
        from core.models import User

        services.refund(db.session.get(User, centre_id), bond.id)

    def by_job():
        results["job"] = scheduler.run_due()

    outcomes = race(app, monkeypatch, [by_centre, by_job], lock=(services, "lock_bond"))
    from core.errors import Conflict

    assert "ok" in outcomes and all(o == "ok" or isinstance(o, Conflict) for o in outcomes), outcomes
    db.session.expire_all()
    assert db.session.get(Bond, bond.id).status == "refunded"
    assert len(calls) == 1
    assert db.session.execute(select(func.count(AuditEvent.id)).where(AuditEvent.action == "bonds.refund")).scalar() == 1
    assert db.session.execute(select(func.count(Notification.id)).where(Notification.kind == "bonds.refunded")).scalar() == 1
