"""The budget stage through the services: submit, validate, return, resubmit, approve."""

import pytest

from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from procurement.budget import services as budget_svc
from procurement.budget.models import Budget
from tests.procurement.helpers import BUDGET, World, field_text, make_standard, new_project
from tests.procurement.projects.test_project_flow import kinds


@pytest.fixture
def world(app):
    make_standard()
    return World()


def test_budget_over_funding_refused(world):
    p = new_project(world)
    data = dict(BUDGET, total_fen=500_000_001)
    with pytest.raises(ValidationError) as exc:
        budget_svc.submit_budget(world.purchaser, p.id, data)
    assert "exceeds the funding total" in field_text(exc.value, "total_fen")
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
