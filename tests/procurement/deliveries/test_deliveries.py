"""Deliveries: the automatic checks (edge dates included), the refusals that write nothing, the
site manager's decision moving the order, samples and lab reports."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.errors import Conflict, PermissionDenied, ValidationError
from core.extensions import db
from core.i18n import render_payload_english
from core.statemachine import IllegalMove
from core.timeutil import today_cn
from procurement.deliveries import services
from procurement.deliveries.models import Delivery, DeliverySample
from procurement.orders.models import Order
from procurement.records.models import ProjectRecord
from tests.procurement.deliveries.helpers import (
    TODAY,
    add_test_report,
    certify,
    deliver,
    delivery_data,
    site,
)
from tests.procurement.helpers import field_text, make_product


def _counts(s):
    return (db.session.execute(select(func.count(Delivery.id))).scalar_one(),
            db.session.execute(select(func.count(ProjectRecord.id))
                               .where(ProjectRecord.project_id == s.project.id)).scalar_one())


def test_delivery_recorded_with_every_check_passed_and_its_reason():
    s = site()
    d = deliver(s, s.lines[0], accept=False)
    assert d.status == "recorded" and d.reference.startswith("DL-")
    assert [c["name"] for c in d.checks] == ["ordered_product", "valid_evidence", "within_order"]
    assert all(c["passed"] for c in d.checks)
    assert "is valid on the delivery day 2026-11-20" in render_payload_english(d.checks[1]["message"])
    kinds = [r.kind for r in db.session.execute(select(ProjectRecord).where(
        ProjectRecord.project_id == s.project.id).order_by(ProjectRecord.seq)).scalars()]
    assert kinds[-1] == "delivery_recorded"


def test_certificate_expiring_on_the_delivery_day_still_counts_and_the_day_after_it_does_not():
    s = site()
    product = s.products[s.lines[0].bom_line_id]
    cert = certify(product, issued=dt.date(2021, 11, 20), expires=TODAY, number="CGBM-EDGE")
    d = deliver(s, s.lines[0], accept=False, evidence_number=cert.number, quantity="10")
    assert d.checks[1]["passed"]
    before = _counts(s)
    with pytest.raises(ValidationError) as exc:
        deliver(s, s.lines[0], accept=False, evidence_number=cert.number, quantity="10",
                delivered_on=(TODAY + dt.timedelta(days=1)).isoformat(),
                now=dt.datetime(2026, 11, 25, 2, tzinfo=dt.timezone.utc))
    assert "not valid on the delivery day 2026-11-21" in field_text(exc.value, "evidence_number")
    assert _counts(s) == before


def test_certificate_issued_on_the_delivery_day_counts_and_one_issued_the_day_after_does_not():
    s = site()
    product = s.products[s.lines[0].bom_line_id]
    same_day = certify(product, issued=TODAY, expires=TODAY + dt.timedelta(days=1800))
    assert deliver(s, s.lines[0], accept=False, evidence_number=same_day.number, quantity="5").checks[1]["passed"]
    later = certify(product, issued=TODAY + dt.timedelta(days=1), expires=TODAY + dt.timedelta(days=1800))
    with pytest.raises(ValidationError):
        deliver(s, s.lines[0], accept=False, evidence_number=later.number, quantity="5")


def test_expired_certificate_refused_with_its_reason_and_nothing_written():
    s = site()
    product = s.products[s.lines[0].bom_line_id]
    old = certify(product, issued=dt.date(2020, 1, 1), expires=dt.date(2025, 1, 1), number="CGBM-OLD")
    before = _counts(s)
    with pytest.raises(ValidationError) as exc:
        deliver(s, s.lines[0], accept=False, evidence_number=old.number)
    assert "Certificate CGBM-OLD is not valid on the delivery day 2026-11-20" in field_text(exc.value,
                                                                                           "evidence_number")
    assert _counts(s) == before


def test_revoked_certificate_counts_only_before_its_revocation():
    s = site()
    product = s.products[s.lines[0].bom_line_id]
    cert = certify(product, status="revoked")
    cert.changed_on = TODAY
    db.session.commit()
    with pytest.raises(ValidationError):  # revoked on the delivery day: not valid that day
        deliver(s, s.lines[0], accept=False, evidence_number=cert.number)
    d = deliver(s, s.lines[0], accept=False, evidence_number=cert.number,
                delivered_on=(TODAY - dt.timedelta(days=1)).isoformat())
    assert d.checks[1]["passed"]


def test_test_report_instead_of_a_certificate_within_its_year():
    s = site()
    product = s.products[s.lines[0].bom_line_id]
    report = add_test_report(product, issued=TODAY - dt.timedelta(days=365))
    d = deliver(s, s.lines[0], accept=False, evidence_kind="test_report", evidence_number=report.number,
                quantity="5")
    assert d.checks[1]["passed"]
    stale = add_test_report(product, issued=TODAY - dt.timedelta(days=366))
    with pytest.raises(ValidationError) as exc:
        deliver(s, s.lines[0], accept=False, evidence_kind="test_report", evidence_number=stale.number)
    assert "older than 365 days" in field_text(exc.value, "evidence_number")


def test_product_other_than_the_awarded_one_refused():
    s = site()
    other = make_product(s.world.city, "ready_mixed_concrete", {"radionuclide_ira": (0.5, "")}, supplier=s.supplier)
    cert = certify(other)
    before = _counts(s)
    with pytest.raises(ValidationError) as exc:
        deliver(s, s.lines[0], accept=False, product_id=str(other.id), evidence_number=cert.number)
    assert f"Product {other.sku} is not the product ordered on this line" in field_text(exc.value, "product_id")
    assert _counts(s) == before


def test_delivery_above_the_ordered_quantity_refused_counting_earlier_deliveries():
    s = site()  # 100 m3 ordered
    deliver(s, s.lines[0], quantity="60")
    deliver(s, s.lines[0], quantity="30", accept=False)  # recorded, not yet decided: still counts
    before = _counts(s)
    with pytest.raises(ValidationError) as exc:
        deliver(s, s.lines[0], quantity="10.001")
    assert "exceeds the order: 100 m3 ordered, 90 already delivered, 10 left" in field_text(exc.value, "quantity")
    assert _counts(s) == before
    deliver(s, s.lines[0], quantity="10")  # exactly the rest


def test_every_failed_check_is_reported_at_once():
    s = site()
    other = make_product(s.world.city, "ready_mixed_concrete", {"radionuclide_ira": (0.5, "")}, supplier=s.supplier)
    with pytest.raises(ValidationError) as exc:
        deliver(s, s.lines[0], accept=False, product_id=str(other.id), evidence_number="NOPE", quantity="1000")
    assert set(exc.value.fields) == {"product_id", "evidence_number", "quantity"}


@pytest.mark.parametrize("field,value", [("quantity", "-3"), ("quantity", "abc"), ("delivered_on", "2026-13-01"),
                                         ("evidence_kind", "rumour"), ("batch_number", ""), ("product_id", "x")])
def test_bad_fields_are_400_with_the_field_named(field, value):
    s = site()
    with pytest.raises(ValidationError) as exc:
        deliver(s, s.lines[0], accept=False, **{field: value})
    assert field in exc.value.fields


def test_future_delivery_day_refused():
    s = site()
    with pytest.raises(ValidationError) as exc:
        deliver(s, s.lines[0], accept=False, delivered_on="2026-11-21",
                now=dt.datetime(2026, 11, 20, 8, tzinfo=dt.timezone.utc))
    assert "delivered_on" in exc.value.fields


def test_missing_delivery_note_refused():
    s = site()
    with pytest.raises(ValidationError) as exc:
        services.record_delivery(s.supplier_user, s.lines[0].id, delivery_data(s, s.lines[0]), None, "")
    assert "delivery_note" in exc.value.fields


def test_accept_moves_the_order_and_reject_needs_a_reason():
    s = site()
    d = deliver(s, s.lines[0], quantity="40")
    assert d.status == "accepted"
    assert db.session.get(Order, s.order.id).status == "partly_delivered"
    d2 = deliver(s, s.lines[0], quantity="60", accept=False)
    with pytest.raises(ValidationError):
        services.decide(s.site_manager, d2.id, accept=False, reason="")
    services.decide(s.site_manager, d2.id, accept=False, reason="Slump test failed on arrival")
    assert db.session.get(Order, s.order.id).status == "partly_delivered"
    d3 = deliver(s, s.lines[0], quantity="60")
    assert d3.status == "accepted"
    db.session.expire_all()
    assert db.session.get(Order, s.order.id).status == "delivered"
    with pytest.raises(IllegalMove):
        services.decide(s.site_manager, d3.id, accept=False, reason="changed my mind")


def test_only_the_site_manager_decides():
    s = site()
    d = deliver(s, s.lines[0], accept=False)
    for user in (s.supplier_user, s.world.inspector):
        with pytest.raises(PermissionDenied):
            services.decide(user, d.id, accept=True)
    assert services.get_delivery(d.id).status == "recorded"


def test_a_named_site_manager_alone_decides():
    from core import roles as R
    from procurement.projects.models import ProjectPerson
    from tests.factories import make_user

    s = site()
    manager = make_user(s.world.purchaser_org, roles=(R.PURCHASER,))
    db.session.add(ProjectPerson(project_id=s.project.id, role="site_manager", name="Zhao", user_id=manager.id))
    db.session.commit()
    d = deliver(s, s.lines[0], accept=False)
    with pytest.raises(PermissionDenied):
        services.decide(s.world.purchaser, d.id, accept=True)
    assert services.decide(manager, d.id, accept=True).status == "accepted"


def test_no_delivery_before_construction_or_on_an_unconfirmed_order():
    s = site()
    s.order.status = "placed"
    db.session.commit()
    with pytest.raises(Conflict):
        deliver(s, s.lines[0], accept=False)


def test_failed_sample_rejects_the_delivery_and_opens_a_rectification():
    s = site()
    d = deliver(s, s.lines[0], accept=False, quantity="50")
    sample = services.send_sample(s.site_manager, d.id, {"lab_name": "City Testing Centre", "sample_code": "S-1"})
    assert services.get_delivery(d.id).status == "sampling"
    with pytest.raises(IllegalMove):  # no decision while the lab works
        services.decide(s.site_manager, d.id, accept=True)
    with pytest.raises(ValidationError) as exc:  # a failure needs its findings and the notice's terms
        services.record_lab_report(s.site_manager, sample.id, {"result": "failed", "report_number": "LR-1"})
    assert set(exc.value.fields) == {"findings", "required_actions", "deadline"}
    done = services.record_lab_report(s.site_manager, sample.id, {
        "result": "failed", "report_number": "LR-1", "findings": "Compressive strength 24 MPa < 30",
        "required_actions": "Remove the batch and replace it",
        "deadline": (today_cn() + dt.timedelta(days=14)).isoformat()})
    assert done.status == "failed" and done.rectification_ref
    assert services.get_delivery(d.id).status == "rejected"
    # the rejected quantity no longer counts: the batch can be replaced
    assert deliver(s, s.lines[0], quantity="100").status == "accepted"


def test_passed_sample_returns_the_delivery_to_the_site_manager():
    s = site()
    d = deliver(s, s.lines[0], accept=False, quantity="50")
    sample = services.send_sample(s.world.inspector, d.id, {"lab_name": "Lab", "sample_code": "S-2"})
    services.record_lab_report(s.world.inspector, sample.id, {"result": "passed", "report_number": "LR-2"})
    assert services.get_delivery(d.id).status == "recorded"
    assert db.session.get(DeliverySample, sample.id).status == "passed"
    assert services.decide(s.site_manager, d.id, accept=True).status == "accepted"
