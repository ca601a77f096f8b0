"""Moving projects through the service: refusals are recorded, duplicates conflict, returns need
the right role and a reason, and side effects (reopening the budget) run with the move."""

import pytest

from core.errors import Conflict, PermissionDenied, ValidationError
from core.extensions import db
from procurement.budget import services as budget_svc
from procurement.machine.services import GateRefused, request_transition
from procurement.projects.models import Project
from procurement.records.models import ProjectRecord
from procurement.records.services import verify_project
from tests.procurement.helpers import BUDGET, World, make_standard, new_project
from tests.procurement.projects.test_project_flow import kinds


@pytest.fixture
def world(app):
    make_standard()
    return World()


def test_transition_refused_lists_failures_and_is_recorded(world):
    p = new_project(world)
    with pytest.raises(GateRefused) as exc:
        request_transition(world.purchaser, p.id, to_stage="design", expected_stage="budget")
    assert "budget_approved" in exc.value.fields
    body = exc.value.to_dict()
    assert body["error"]["code"] == "gate_refused" and body["error"]["checks"][0]["passed"] is False
    assert body["error"]["checks"][0]["message"] == "No budget has been submitted."
    db.session.expire_all()
    assert db.session.get(Project, p.id).stage == "budget"
    assert kinds(p)[-1] == "transition_refused"
    assert verify_project(db.session.get(Project, p.id)).ok


def test_advance_then_double_request_conflicts(world):
    p = new_project(world)
    budget_svc.submit_budget(world.purchaser, p.id, BUDGET)
    budget_svc.approve_budget(world.finance, p.id)
    request_transition(world.purchaser, p.id, to_stage="design", expected_stage="budget")
    n = len(kinds(p))
    with pytest.raises(Conflict, match="moved meanwhile"):
        request_transition(world.purchaser, p.id, to_stage="design", expected_stage="budget")
    assert len(kinds(p)) == n  # nothing written by the refused duplicate
    rec = db.session.execute(db.select(ProjectRecord).where(ProjectRecord.kind == "stage_advanced")).scalar_one()
    assert rec.payload["from"] == "budget" and rec.payload["checks"][0]["name"] == "budget_approved"
    # the record keeps the message's template and parameters, so every reader sees it translated
    assert rec.payload["checks"][0]["message"] == {"key": "Budget of %(total)s approved.",
                                                   "params": {"total": "¥5,000,000.00"}}


def test_skip_and_wrong_role_refused(world):
    p = new_project(world)
    with pytest.raises(ValidationError, match="skip"):
        request_transition(world.purchaser, p.id, to_stage="procurement", expected_stage="budget")
    with pytest.raises(PermissionDenied):
        request_transition(world.finance, p.id, to_stage="design", expected_stage="budget")


def test_return_design_to_budget_by_finance_reopens_budget(world):
    p = new_project(world)
    budget_svc.submit_budget(world.purchaser, p.id, BUDGET)
    budget_svc.approve_budget(world.finance, p.id)
    request_transition(world.purchaser, p.id, to_stage="design", expected_stage="budget")
    with pytest.raises(PermissionDenied):
        request_transition(world.purchaser, p.id, to_stage="budget", expected_stage="design", kind="return",
                           reason="I want to change it")
    with pytest.raises(ValidationError, match="reason"):
        request_transition(world.finance, p.id, to_stage="budget", expected_stage="design", kind="return", reason="")
    request_transition(world.finance, p.id, to_stage="budget", expected_stage="design", kind="return",
                       reason="Funding source withdrawn")
    db.session.expire_all()
    p = db.session.get(Project, p.id)
    assert p.stage == "budget" and p.budget.status == "returned"
    rec = db.session.execute(db.select(ProjectRecord).where(ProjectRecord.kind == "stage_returned")).scalar_one()
    assert rec.payload["reason"] == "Funding source withdrawn"
    # re-entering design needs a new approval
    with pytest.raises(GateRefused):
        request_transition(world.purchaser, p.id, to_stage="design", expected_stage="budget")
    assert verify_project(p).ok
