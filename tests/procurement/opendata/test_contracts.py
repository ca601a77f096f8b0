"""Contracts, call-offs and implementation in open data: a contract appears once published (not
when signed), a framework's confirmed orders are processes of their own linked to the framework's
process, and deliveries and payments become milestones and transactions of the contract."""

from __future__ import annotations

import datetime as dt

from core.extensions import db
from core.models import Organisation
from core.timeutil import utcnow
from procurement.acceptance.models import SupplierPayment
from procurement.agreements import services as agreements
from procurement.deliveries.models import Delivery
from procurement.opendata import publishing
from procurement.orders import services as orders
from tests.procurement.agreements.helpers import DAY, signed_agreement
from tests.procurement.opendata.helpers import publish


def _record(client, ocid):
    resp = client.get(f"/ocds/records/{ocid}")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()["records"][0]


def _order(ctx, agreement, project, now):
    quota = next(q for q in agreement.quotas if q.project_id == project.id)
    body = {"request_id": f"r-{project.id}", "lines": [{"bom_line_id": quota.bom_line_id,
                                                          "quantity_milli": quota.quantity_milli}]}
    order = orders.place_order(ctx.world.purchaser, agreement.id, project.id, body, now=now)
    firm = next(u for u, _p in ctx.firms if u.organisation_id == order.supplier_org_id)
    return orders.confirm_order(firm, order.id, now=now)


def test_a_contract_appears_when_published_with_its_value_and_period(client):
    ctx, _projects, agreement = signed_agreement(3, kind="contract")
    ocid = f"ocds-xxxxxx-{ctx.tender.reference}"
    publish()
    assert "contracts" not in _record(client, ocid)["compiledRelease"]  # signed, not yet published
    agreements.publish(ctx.world.centre, agreement.id, now=ctx.sign_at + DAY)
    db.session.expire_all()
    publish()
    record = _record(client, ocid)
    assert record["releases"][-1]["tag"] == ["contract"]
    (contract,) = record["compiledRelease"]["contracts"]
    agreement = agreements.get_agreement(agreement.id)
    supplier = agreement.suppliers[0]
    assert contract["id"] == agreement.reference and contract["awardID"] == f"award-{agreement.award_id}"
    assert contract["status"] == "active"
    assert contract["value"]["amount"] * 100 == supplier.unit_price_fen * agreement.total_quantity_milli // 1000
    assert contract["period"]["startDate"].startswith((agreement.valid_from - dt.timedelta(days=1)).isoformat())
    assert sum(i["quantity"] for i in contract["items"]) * 1000 == sum(q.quantity_milli for q in agreement.quotas)
    firm = db.session.get(Organisation, supplier.supplier_org_id)
    assert "supplier" in next(p for p in record["compiledRelease"]["parties"] if p["name"] == firm.name_zh)["roles"]


def test_framework_call_offs_are_their_own_processes_with_deliveries_and_payments(client):
    ctx, projects, agreement = signed_agreement(3)  # a framework agreement
    agreements.publish(ctx.world.centre, agreement.id, now=ctx.sign_at + DAY)
    db.session.expire_all()
    agreement = agreements.get_agreement(agreement.id)
    order = _order(ctx, agreement, projects[0], ctx.sign_at + 2 * DAY)
    publish()
    parent = f"ocds-xxxxxx-{ctx.tender.reference}"
    record = _record(client, f"ocds-xxxxxx-{order.reference}")
    compiled = record["compiledRelease"]
    assert record["releases"][0]["tag"] == ["award", "contract"]
    assert compiled["relatedProcesses"] == [{"id": "framework", "relationship": ["framework"], "scheme": "ocid",
                                             "identifier": parent, "title": agreement.title}]
    assert compiled["contracts"][0]["value"]["amount"] * 100 == order.total_fen
    assert "contracts" not in _record(client, parent)["compiledRelease"]  # the framework itself is no contract

    # A delivery decided and a payment made on the order: implementation releases.
    line = order.lines[0]
    now = utcnow()
    delivery = Delivery(reference="D-1", project_id=order.project_id, order_id=order.id, order_line_id=line.id,
                        supplier_org_id=order.supplier_org_id, product_id=line.product_id,
                        quantity_milli=line.quantity_milli, unit=line.unit, batch_number="B-7",
                        delivered_on=now.date(), delivery_note_id=_document_id(), evidence_kind="certificate",
                        evidence_number="C-1", checks=[], status="accepted", recorded_at=now, decided_at=now)
    payment = SupplierPayment(project_id=order.project_id, order_id=order.id, supplier_org_id=order.supplier_org_id,
                              reference="P-1", amount_fen=order.total_fen, retention_bp=300,
                              retention_fen=order.total_fen * 3 // 100,
                              paid_fen=order.total_fen - order.total_fen * 3 // 100, paid_on=now.date(),
                              recorded_at=now)
    db.session.add_all([delivery, payment])
    db.session.commit()
    publishing.publish_all()  # rows written straight to the tables have no audit event: a full pass
    db.session.commit()
    record = _record(client, f"ocds-xxxxxx-{order.reference}")
    assert [r["tag"] for r in record["releases"]][-2:] == [["implementation"], ["implementation"]]
    implementation = record["compiledRelease"]["contracts"][0]["implementation"]
    assert implementation["milestones"][0]["status"] == "met" and implementation["milestones"][0]["type"] == "delivery"
    (tx,) = implementation["transactions"]
    assert tx["value"]["amount"] * 100 == payment.paid_fen
    assert tx["payee"]["id"] == next(p["id"] for p in record["compiledRelease"]["parties"] if "payee" in p["roles"])


def _document_id() -> int:
    import io

    from core.documents import store_document

    doc = store_document(io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "note.pdf", None)
    db.session.flush()
    return doc.id
