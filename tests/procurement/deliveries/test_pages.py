"""The delivery pages call the same services as the API: the supplier records a delivery with its
note (each automatic check's refusal on its field, nothing written), the site manager sends a
sample and records a failed lab report, which issues the rectification notice."""

from __future__ import annotations

import datetime as dt
import io

from sqlalchemy import func, select

from core.extensions import db
from core.timeutil import today_cn
from procurement.deliveries.models import Delivery, DeliverySample
from procurement.inspections.models import Rectification
from tests.factories import login_as, make_org, make_user
from tests.procurement.deliveries.helpers import PDF, TODAY, deliver, site


def _form(s, **overrides):
    data = {"order_line": str(s.lines[0].id), "product_id": str(s.lines[0].product_id), "quantity": "30",
            "batch_number": "B-WEB-1", "delivered_on": TODAY.isoformat(), "evidence_kind": "certificate",
            "evidence_number": s.certificates[s.lines[0].product_id].number,
            "delivery_note": (io.BytesIO(PDF + b"% web\n"), "note.pdf")}
    data.update(overrides)
    return data


def _count():
    return db.session.execute(select(func.count(Delivery.id))).scalar_one()


def test_supplier_records_a_delivery_and_sees_each_refusal_on_its_field(client):
    s = site()
    login_as(client, s.supplier_user)
    url = f"/orders/{s.order.id}/deliveries/new"
    assert client.get(url).status_code == 200
    refused = client.post(url, data=_form(s, quantity="500", evidence_number="NO-SUCH-CERT"),
                          content_type="multipart/form-data")
    assert refused.status_code == 400 and _count() == 0
    page = refused.get_data(as_text=True)
    assert 'id="quantity-error"' in page and "exceeds the order" in page
    assert 'id="evidence_number-error"' in page and "NO-SUCH-CERT" in page
    done = client.post(url, data=_form(s), content_type="multipart/form-data")
    assert done.status_code == 302 and _count() == 1


def test_a_missing_delivery_note_is_shown_and_strangers_get_404(client):
    s = site()
    login_as(client, s.supplier_user)
    resp = client.post(f"/orders/{s.order.id}/deliveries/new", data=_form(s, delivery_note=(io.BytesIO(b""), "")),
                       content_type="multipart/form-data")
    assert resp.status_code == 400 and 'id="delivery_note-error"' in resp.get_data(as_text=True) and _count() == 0
    stranger = make_user(make_org("supplier"), roles=("supplier",))
    login_as(client, stranger)
    assert client.get(f"/orders/{s.order.id}/deliveries/new").status_code == 404


def test_site_manager_sends_a_sample_and_a_failed_report_issues_the_notice(client):
    s = site()
    d = deliver(s, s.lines[0], accept=False, quantity="50")
    login_as(client, s.site_manager)
    page = client.get(f"/projects/{s.project.id}/site").get_data(as_text=True)
    assert f"/deliveries/{d.id}/samples" in page and f"/orders/{s.order.id}/deliveries/new" in page
    client.post(f"/deliveries/{d.id}/samples", data={"lab_name": "City Lab", "sample_code": "S-W1"})
    sample = db.session.execute(select(DeliverySample).where(DeliverySample.delivery_id == d.id)).scalar_one()
    url = f"/delivery-samples/{sample.id}/report"
    missing = client.post(url, data={"result": "failed", "report_number": "LR-W1", "findings": "Too weak"})
    assert missing.status_code == 400 and 'id="required_actions-error"' in missing.get_data(as_text=True)
    assert db.session.execute(select(func.count(Rectification.id))).scalar_one() == 0
    done = client.post(url, data={"result": "failed", "report_number": "LR-W1", "findings": "Too weak",
                                  "required_actions": "Replace the batch",
                                  "deadline": (today_cn() + dt.timedelta(days=10)).isoformat()})
    assert done.status_code == 302
    rect = db.session.execute(select(Rectification)).scalar_one()
    assert rect.delivery_sample_id == sample.id and rect.org_id == s.supplier.id
    assert db.session.get(Delivery, d.id).status == "rejected"


def test_the_supplier_may_not_record_lab_reports(client):
    s = site()
    d = deliver(s, s.lines[0], accept=False, quantity="50")
    from procurement.deliveries import services

    sample = services.send_sample(s.site_manager, d.id, {"lab_name": "Lab", "sample_code": "S-W2"})
    login_as(client, s.supplier_user)
    assert client.get(f"/delivery-samples/{sample.id}/report").status_code == 403
