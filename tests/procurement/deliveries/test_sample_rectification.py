"""A failed lab sample issues a real rectification notice to the supplier (inspections'
`Rectification` with a delivery-sample origin): deadline and required actions, shown on the
notice pages, counted by `open_rectifications` so the construction -> acceptance gate stays shut
until the site manager closes it after the supplier's response."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy.exc import IntegrityError

from core.errors import NotFound, PermissionDenied
from core.extensions import db
from core.timeutil import today_cn
from procurement.deliveries import services
from procurement.inspections import gate, rectifications
from procurement.inspections.models import Rectification
from procurement.machine.services import GateRefused, request_transition
from tests.factories import login_as, make_org, make_user
from tests.procurement.deliveries.helpers import PDF, deliver, site

DEADLINE = today_cn() + dt.timedelta(days=14)


def _failed_sample(s):
    d = deliver(s, s.lines[0], accept=False, quantity="50")
    sample = services.send_sample(s.site_manager, d.id, {"lab_name": "City Testing Centre", "sample_code": "S-9"})
    done = services.record_lab_report(s.site_manager, sample.id, {
        "result": "failed", "report_number": "LR-9", "findings": "Compressive strength 24 MPa < 30",
        "required_actions": "Remove batch B-2026-11-001 and replace it", "deadline": DEADLINE.isoformat()})
    rect = db.session.execute(db.select(Rectification).where(Rectification.delivery_sample_id == done.id)).scalar_one()
    return d, done, rect


def _to_acceptance(s):
    return request_transition(s.world.purchaser, s.project.id, to_stage="acceptance", expected_stage="construction")


def test_failed_sample_issues_a_notice_to_the_supplier_that_holds_the_gate_until_closed():
    s = site()
    _d, sample, rect = _failed_sample(s)
    assert rect.inspection_id is None and rect.org_id == s.supplier.id and rect.project_id == s.project.id
    assert rect.deadline == DEADLINE and rect.required_actions.startswith("Remove batch")
    assert sample.rectification_ref == rect.reference and rect.status == "open"
    assert [r["delivery_sample_id"] for r in gate.open_rectifications(s.project.id)] == [sample.id]
    deliver(s, s.lines[0], quantity="100")  # the batch replaced in full
    with pytest.raises(GateRefused) as exc:
        _to_acceptance(s)
    assert {c["name"] for c in exc.value.checks if not c["passed"]} == {"no_open_rectifications"}
    with pytest.raises(PermissionDenied):  # the supplier does not close its own notice
        rectifications.reinspect(s.supplier_user, rect.id, {"outcome": "close", "note": "All replaced"})
    rectifications.respond(s.supplier_user, rect.id, "Batch removed and replaced", [(io.BytesIO(PDF), "e.pdf")])
    assert gate.open_rectifications(s.project.id)  # responded is still open
    closed = rectifications.reinspect(s.site_manager, rect.id, {"outcome": "close", "note": "Replacement checked"})
    assert closed.status == "closed" and gate.open_rectifications(s.project.id) == []
    _to_acceptance(s)
    assert db.session.get(type(s.project), s.project.id).stage == "acceptance"


def test_the_city_inspector_may_close_it_and_another_supplier_does_not_see_it():
    s = site()
    _d, _sample, rect = _failed_sample(s)
    stranger = make_user(make_org("supplier"), roles=("supplier",))
    with pytest.raises(NotFound):
        rectifications.get_rectification(stranger, rect.id)
    rectifications.respond(s.supplier_user, rect.id, "Batch replaced", [(io.BytesIO(PDF), "e.pdf")])
    assert rectifications.reinspect(s.world.inspector, rect.id, {"outcome": "escalate", "note": "Not enough"}
                                    ).status == "escalated"


def test_a_notice_has_exactly_one_origin():
    s = site()
    _d, _sample, rect = _failed_sample(s)
    both = Rectification(reference="X-1", inspection_id=None, delivery_sample_id=None, city_id=rect.city_id,
                         org_id=rect.org_id, required_actions="Do it", deadline=DEADLINE)
    db.session.add(both)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_notice_pages_show_the_sample_origin(client):
    s = site()
    _d, sample, rect = _failed_sample(s)
    login_as(client, s.supplier_user)
    page = client.get(f"/inspections/rectifications/{rect.id}")
    assert page.status_code == 200 and b"LR-9" in page.data and b"Compressive strength" in page.data
    listing = client.get("/inspections/rectifications")
    assert rect.reference.encode() in listing.data
    jump = client.get(f"/delivery-samples/{sample.id}/rectification")
    assert jump.status_code == 302 and f"/inspections/rectifications/{rect.id}" in jump.headers["Location"]
