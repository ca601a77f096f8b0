"""The construction -> acceptance and acceptance -> closed gates refuse with each missing piece,
and pass when everything is there."""

from __future__ import annotations

import pytest

from core.extensions import db
from procurement.acceptance import checklist, payments
from procurement.machine.services import GateRefused, request_transition
from tests.procurement.deliveries.helpers import deliver, deliver_all, site
from tests.procurement.helpers import line


def _failed(exc) -> set[str]:
    return {c["name"] for c in exc.value.checks if not c["passed"]}


def _to_acceptance(s):
    return request_transition(s.world.purchaser, s.project.id, to_stage="acceptance", expected_stage="construction")


def _to_closed(s):
    return request_transition(s.world.purchaser, s.project.id, to_stage="closed", expected_stage="acceptance")


def test_construction_exit_refused_while_quantities_are_missing():
    s = site(line(), line("wall_coatings", quantity="500"))
    deliver(s, s.lines[0], quantity="100")
    with pytest.raises(GateRefused) as exc:
        _to_acceptance(s)
    assert _failed(exc) == {"ordered_quantities_accepted"}
    assert db.session.get(type(s.project), s.project.id).stage == "construction"


def test_construction_exit_refused_while_a_delivery_waits_for_a_decision():
    s = site()
    deliver(s, s.lines[0], quantity="100", accept=False)
    with pytest.raises(GateRefused) as exc:
        _to_acceptance(s)
    assert _failed(exc) == {"ordered_quantities_accepted", "no_pending_deliveries"}


def test_construction_exit_refused_while_a_rectification_is_open(monkeypatch):
    from procurement.acceptance import inspections

    s = site()
    deliver_all(s)
    monkeypatch.setattr(inspections, "open_rectifications",
                        lambda project_id: [{"reference": "RECT-1", "org_id": s.supplier.id}])
    with pytest.raises(GateRefused) as exc:
        _to_acceptance(s)
    assert _failed(exc) == {"no_open_rectifications"}


def test_construction_exit_refused_without_any_order():
    s = site()
    for order in s.orders:
        order.status = "cancelled"
    db.session.commit()
    with pytest.raises(GateRefused) as exc:
        _to_acceptance(s)
    assert "ordered_quantities_accepted" in _failed(exc)


def test_the_whole_end_of_the_loop():
    s = site(retention_bp=500)
    deliver_all(s)
    _to_acceptance(s)
    # acceptance -> closed: neither the sign-off nor the payment yet
    with pytest.raises(GateRefused) as exc:
        _to_closed(s)
    assert _failed(exc) == {"checklist_signed_off", "suppliers_paid"}
    checklist.generate(s.world.inspector, s.project.id)
    with pytest.raises(GateRefused) as exc:
        _to_closed(s)
    assert _failed(exc) == {"checklist_signed_off", "suppliers_paid"}
    checklist.sign_off(s.world.inspector, s.project.id, "All materials as awarded.")
    with pytest.raises(GateRefused) as exc:
        _to_closed(s)
    assert _failed(exc) == {"suppliers_paid"}
    due = s.lines[0].amount_fen
    payments.record_payment(s.world.purchaser, s.order.id, {"amount_fen": due - 1, "reference": "BANK-1",
                                                            "paid_on": "2026-11-28"})
    with pytest.raises(GateRefused) as exc:
        _to_closed(s)
    assert _failed(exc) == {"suppliers_paid"}
    payments.record_payment(s.world.purchaser, s.order.id, {"amount_fen": 1, "reference": "BANK-2",
                                                            "paid_on": "2026-11-29"})
    project = _to_closed(s)
    assert project.stage == "closed"
