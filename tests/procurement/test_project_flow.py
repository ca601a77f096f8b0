"""Projects, budgets and the stage machine through the services (SQLite and PostgreSQL)."""

import datetime as dt

import pytest

from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from procurement.models import Budget, Project, ProjectRecord
from procurement.services import budget as budget_svc
from procurement.services.projects import create_project, get_project, update_project
from procurement.services.records import verify_project
from procurement.services.transitions import GateRefused, request_transition
from tests.procurement.helpers import BUDGET, PROJECT_DATA, World, make_standard, new_project


@pytest.fixture
def world(app):
    make_standard()
    return World()


def kinds(project):
    return [r.kind for r in db.session.execute(
        db.select(ProjectRecord).where(ProjectRecord.project_id == project.id).order_by(ProjectRecord.seq)).scalars()]


def test_create_project_fixes_edition_and_records(world):
    p = new_project(world)
    assert p.stage == "budget" and p.city_id == world.city.id
    assert p.standard_edition.code == "2025" and p.standard_version.number == 1
    assert p.code.startswith("NAN-2026-")
    assert p.people[0].name == "Wang Li"
    assert kinds(p) == ["project_registered"]
    assert verify_project(p).ok


def test_project_before_any_edition_refused(app):
    make_standard(effective_from=dt.date(2025, 1, 1))
    w = World()
    with pytest.raises(ValidationError, match="No demand standard"):
        create_project(w.purchaser, PROJECT_DATA, registered_on=dt.date(2020, 1, 1))
    assert db.session.execute(db.select(Project)).first() is None


@pytest.mark.parametrize("field,value", [
    ("floor_area_m2", -5), ("floor_area_m2", 0), ("floor_area_m2", 10**9), ("floor_area_m2", "12.5"),
    ("floor_area_m2", "lots"), ("building_type", "castle"), ("green_star_target", 4), ("name", ""),
    ("name", "x" * 201), ("people", "Wang"), ("people", [{"role": "king", "name": "x"}]),
])
def test_bad_project_input(world, field, value):
    data = dict(PROJECT_DATA, **{field: value})
    with pytest.raises(ValidationError) as exc:
        create_project(world.purchaser, data)
    assert any(k.startswith(field) for k in exc.value.fields)
    assert db.session.execute(db.select(Project)).first() is None


def test_only_purchasers_of_verified_organisations_create(world):
    for user in (world.finance, world.centre, world.inspector):
        with pytest.raises(PermissionDenied):
            create_project(user, PROJECT_DATA)
    world.purchaser_org.status = "pending"
    db.session.commit()
    with pytest.raises(PermissionDenied):
        create_project(world.purchaser, PROJECT_DATA)


def test_update_records_changes_and_other_purchaser_cannot(world):
    p = new_project(world)
    update_project(world.purchaser, p.id, {"floor_area_m2": 15000})
    assert kinds(p) == ["project_registered", "project_updated"]
    other = World("nanjing")  # same city, another purchaser organisation
    with pytest.raises(NotFound):
        update_project(other.purchaser, p.id, {"name": "Mine now"})
    with pytest.raises(NotFound):
        get_project(other.purchaser, p.id)
    with pytest.raises(PermissionDenied):
        update_project(world.finance, p.id, {"name": "Finance edit"})
    assert db.session.get(Project, p.id).name == PROJECT_DATA["name"]


def test_budget_over_funding_refused(world):
    p = new_project(world)
    data = dict(BUDGET, total_fen=500_000_001)
    with pytest.raises(ValidationError) as exc:
        budget_svc.submit_budget(world.purchaser, p.id, data)
    assert "exceeds the funding total" in exc.value.fields["total_fen"]
    assert db.session.execute(db.select(Budget)).first() is None
    assert kinds(p) == ["project_registered"]


@pytest.mark.parametrize("patch,field", [
    ({"total_fen": -1}, "total_fen"), ({"total_fen": 0}, "total_fen"), ({"total_fen": "abc"}, "total_fen"),
    ({"green_share_bp": 10001}, "green_share_bp"), ({"funding_sources": []}, "funding_sources"),
    ({"funding_sources": [{"kind": "lottery", "amount_fen": 5}]}, "funding_sources.0.kind"),
    ({"funding_sources": [{"kind": "other", "amount_fen": -5}]}, "funding_sources.0.amount_fen"),
    ({"total_fen": 10**16}, "total_fen"),
])
def test_bad_budget_input(world, patch, field):
    p = new_project(world)
    with pytest.raises(ValidationError) as exc:
        budget_svc.submit_budget(world.purchaser, p.id, dict(BUDGET, **patch))
    assert field in exc.value.fields


def test_budget_return_and_resubmit_and_approve(world):
    p = new_project(world)
    budget_svc.submit_budget(world.purchaser, p.id, BUDGET)
    with pytest.raises(Conflict):
        budget_svc.submit_budget(world.purchaser, p.id, BUDGET)  # already submitted
    with pytest.raises(ValidationError):
        budget_svc.return_budget(world.finance, p.id, "")  # a return needs a comment
    budget_svc.return_budget(world.finance, p.id, "Funding letter missing")
    b = db.session.execute(db.select(Budget)).scalar_one()
    assert b.status == "returned" and b.review_comment == "Funding letter missing"
    budget_svc.submit_budget(world.purchaser, p.id, dict(BUDGET, total_fen=400_000_000))
    budget_svc.approve_budget(world.finance, p.id)
    db.session.expire_all()
    b = db.session.execute(db.select(Budget)).scalar_one()
    assert (b.status, b.revision, b.total_fen) == ("approved", 2, 400_000_000)
    with pytest.raises(Conflict):
        budget_svc.approve_budget(world.finance2, p.id)
    assert kinds(p) == ["project_registered", "budget_submitted", "budget_returned", "budget_submitted",
                        "budget_approved"]


def test_budget_review_only_by_city_finance(world):
    p = new_project(world)
    budget_svc.submit_budget(world.purchaser, p.id, BUDGET)
    other_city = World("qingdao")
    with pytest.raises(NotFound):
        budget_svc.approve_budget(other_city.finance, p.id)
    for user in (world.purchaser, world.centre, world.inspector):
        with pytest.raises(PermissionDenied):
            budget_svc.approve_budget(user, p.id)


def test_transition_refused_lists_failures_and_is_recorded(world):
    p = new_project(world)
    with pytest.raises(GateRefused) as exc:
        request_transition(world.purchaser, p.id, to_stage="design", expected_stage="budget")
    assert "budget_approved" in exc.value.fields
    body = exc.value.to_dict()
    assert body["error"]["code"] == "gate_refused" and body["error"]["checks"][0]["passed"] is False
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
