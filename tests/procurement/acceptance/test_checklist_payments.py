"""The acceptance checklist per bill line and its sign-off; payments with retention."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from procurement.acceptance import checklist, payments
from procurement.acceptance.models import SupplierPayment
from tests.procurement.deliveries.helpers import deliver, deliver_all, force_stage, site
from tests.procurement.helpers import line


def _in_acceptance(*lines, **kw):
    s = site(*lines, **kw)
    deliver_all(s)
    force_stage(s.project, "acceptance")
    return s


def test_checklist_has_one_item_per_bill_line_with_each_check():
    s = _in_acceptance(line(), line("wall_coatings", quantity="500", unit="kg"))
    c = checklist.generate(s.world.purchaser, s.project.id)
    assert [i.line_no for i in c.items] == [1, 2]
    assert all(i.delivered_in_full and i.certified and i.compliant and i.inspections_clear and i.passed
               for i in c.items)
    assert c.items[0].product_ids == [s.lines[0].product_id]


def test_checklist_line_fails_when_the_certificate_was_not_valid_at_delivery():
    from catalog.models.products import Certificate

    s = _in_acceptance()
    # the certificate turns out to have been revoked before the delivery day (recorded later)
    cert = db.session.execute(select(Certificate).where(Certificate.product_id == s.lines[0].product_id)).scalar_one()
    cert.status, cert.changed_on = "revoked", dt.date(2026, 1, 1)
    db.session.commit()
    c = checklist.generate(s.world.inspector, s.project.id)
    assert not c.items[0].certified and not c.items[0].passed
    with pytest.raises(Conflict):
        checklist.sign_off(s.world.inspector, s.project.id)


def test_only_the_city_inspector_signs_off_and_only_fresh_evidence():
    s = _in_acceptance()
    checklist.generate(s.world.purchaser, s.project.id)
    with pytest.raises(PermissionDenied):
        checklist.sign_off(s.world.purchaser, s.project.id)
    signed = checklist.sign_off(s.world.inspector, s.project.id, "ok")
    assert signed.status == "signed" and signed.signed_by_id == s.world.inspector.id
    with pytest.raises(Conflict):  # signed: final
        checklist.generate(s.world.inspector, s.project.id)


def test_sign_off_refused_when_the_evidence_changed_since_generation(monkeypatch):
    from procurement.acceptance import inspections

    s = _in_acceptance()
    checklist.generate(s.world.purchaser, s.project.id)
    monkeypatch.setattr(inspections, "open_rectifications", lambda pid: [{"reference": "R", "org_id": s.supplier.id}])
    with pytest.raises(Conflict):
        checklist.sign_off(s.world.inspector, s.project.id)


def test_payment_withholds_the_agreements_retention_half_up():
    s = _in_acceptance(retention_bp=500)
    p = payments.record_payment(s.world.purchaser, s.order.id, {"amount_fen": 1_000_010, "reference": "B-1",
                                                                "paid_on": "2026-11-30"})
    # 5 % of 1,000,010 fen = 50,000.5 -> 50,001 (half up)
    assert (p.retention_fen, p.paid_fen, p.retention_bp) == (50_001, 950_009, 500)
    assert payments.retention_of(1_000_000, 300) == 30_000
    assert payments.retention_of(3, 5000) == 2 and payments.retention_of(1, 4999) == 0


def test_payment_above_what_is_due_refused_and_nothing_written():
    s = site()
    deliver(s, s.lines[0], quantity="40")  # due: 40 m3 x 400.00 = 16,000.00
    with pytest.raises(Conflict) as exc:
        payments.record_payment(s.world.purchaser, s.order.id, {"amount_fen": 1_600_001, "reference": "B-1",
                                                                "paid_on": "2026-11-30"})
    assert "settle more than order" in exc.value.message
    assert db.session.execute(select(func.count(SupplierPayment.id))).scalar_one() == 0
    payments.record_payment(s.world.purchaser, s.order.id, {"amount_fen": 1_600_000, "reference": "B-1",
                                                            "paid_on": "2026-11-30"})


@pytest.mark.parametrize("data,field", [({"amount_fen": 0, "reference": "x", "paid_on": "2026-11-01"}, "amount_fen"),
                                        ({"amount_fen": 5, "reference": "", "paid_on": "2026-11-01"}, "reference"),
                                        ({"amount_fen": 5, "reference": "x", "paid_on": "tomorrow"}, "paid_on")])
def test_bad_payment_input(data, field):
    s = _in_acceptance()
    with pytest.raises(ValidationError) as exc:
        payments.record_payment(s.world.purchaser, s.order.id, data)
    assert field in exc.value.fields


def test_only_the_purchaser_records_payments():
    s = _in_acceptance()
    data = {"amount_fen": 5, "reference": "x", "paid_on": "2026-11-01"}
    with pytest.raises(PermissionDenied):
        payments.record_payment(s.world.inspector, s.order.id, data)
    with pytest.raises(NotFound):  # the supplier does not see the project
        payments.record_payment(s.supplier_user, s.order.id, data)


@pytest.mark.postgres
def test_two_payments_racing_for_the_last_amount_one_is_refused(app, monkeypatch):
    from core.models import User
    from procurement.acceptance import payments as payment_svc
    from tests.concurrency import race

    s = _in_acceptance()
    due = s.lines[0].amount_fen
    uid, order_id = s.world.purchaser.id, s.order.id
    calls = [lambda ref=ref: payment_svc.record_payment(db.session.get(User, uid), order_id,
                                                        {"amount_fen": due, "reference": ref, "paid_on": "2026-11-30"})
             for ref in ("RACE-1", "RACE-2")]
    outcomes = race(app, monkeypatch, calls, lock=(payment_svc, "lock_project"))
    assert sorted("ok" if o == "ok" else "409" if isinstance(o, Conflict) else repr(o) for o in outcomes) == [
        "409", "ok"], outcomes
    db.session.expire_all()
    assert db.session.execute(select(func.sum(SupplierPayment.amount_fen))).scalar_one() == due
