"""Two requests at the same moment, on PostgreSQL: row locks make exactly one of them win."""


import pytest

from tests.concurrency import postgres_only, race  # noqa: F401  (fixture)

from core.errors import Conflict
from core.extensions import db
from procurement.budget import services as budget_svc
from procurement.budget.models import Budget
from procurement.machine.services import request_transition
from procurement.projects.models import Project
from procurement.records import services as records_mod
from procurement.records.models import ProjectRecord
from procurement.records.services import verify_project
from tests.procurement.helpers import BUDGET, World, make_standard, new_project

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("postgres_only")]


def _race(app, monkeypatch, calls):
    return race(app, monkeypatch, calls, lock=(records_mod, "lock_project"))


def test_two_finance_reviewers_approve_at_once_exactly_one_approval(app, monkeypatch):
    make_standard()
    w = World()
    p = new_project(w)
    budget_svc.submit_budget(w.purchaser, p.id, BUDGET)
    pid, f1, f2 = p.id, w.finance.id, w.finance2.id

    def approve(user_id):
        from core.models import User

        return lambda: budget_svc.approve_budget(db.session.get(User, user_id), pid, "ok")

    outcomes = _race(app, monkeypatch, [approve(f1), approve(f2)])
    assert sorted(o if o == "ok" else "conflict" for o in outcomes if isinstance(o, (str, Conflict))) == ["conflict", "ok"], outcomes
    # the loser waited for the row lock and then saw the approval (not a late unique-key clash)
    loser = next(o for o in outcomes if isinstance(o, Conflict))
    assert "already approved" in loser.message
    db.session.expire_all()
    approvals = db.session.execute(db.select(ProjectRecord).where(ProjectRecord.kind == "budget_approved")).scalars().all()
    assert len(approvals) == 1
    assert db.session.execute(db.select(Budget)).scalar_one().status == "approved"
    from core.models import AuditEvent
    assert len(db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "budget.approve")).all()) == 1
    assert verify_project(db.session.get(Project, pid)).ok


def test_same_transition_twice_at_once_moves_once(app, monkeypatch):
    make_standard()
    w = World()
    p = new_project(w)
    budget_svc.submit_budget(w.purchaser, p.id, BUDGET)
    budget_svc.approve_budget(w.finance, p.id)
    pid, uid = p.id, w.purchaser.id

    def advance():
        from core.models import User

        request_transition(db.session.get(User, uid), pid, to_stage="design", expected_stage="budget")

    outcomes = _race(app, monkeypatch, [advance, advance])
    assert sum(1 for o in outcomes if o == "ok") == 1, outcomes
    assert sum(1 for o in outcomes if isinstance(o, Conflict)) == 1, outcomes
    assert "moved meanwhile" in next(o for o in outcomes if isinstance(o, Conflict)).message
    db.session.expire_all()
    moves = db.session.execute(db.select(ProjectRecord).where(ProjectRecord.kind == "stage_advanced")).scalars().all()
    assert len(moves) == 1
    project = db.session.get(Project, pid)
    assert project.stage == "design" and verify_project(project).ok


def test_approve_and_return_at_once_one_wins(app, monkeypatch):
    make_standard()
    w = World()
    p = new_project(w)
    budget_svc.submit_budget(w.purchaser, p.id, BUDGET)
    pid, f1, f2 = p.id, w.finance.id, w.finance2.id
    from core.models import User

    outcomes = _race(app, monkeypatch, [
        lambda: budget_svc.approve_budget(db.session.get(User, f1), pid, "ok"),
        lambda: budget_svc.return_budget(db.session.get(User, f2), pid, "Missing bond letter"),
    ])
    assert sum(1 for o in outcomes if o == "ok") == 1, outcomes
    db.session.expire_all()
    reviews = db.session.execute(db.select(ProjectRecord).where(
        ProjectRecord.kind.in_(("budget_approved", "budget_returned")))).scalars().all()
    assert len(reviews) == 1
    assert verify_project(db.session.get(Project, pid)).ok
