"""One home per rule: services enforce the object rules by calling their capability's policy
functions (which templates reach through `can(...)`), never by checking role names themselves."""

import ast
from pathlib import Path

import pytest

from core import roles as R
from core.errors import PermissionDenied
from procurement.budget import services as budget_svc
from procurement.design import services as design_svc
from procurement.machine import services as machine_svc
from tests.procurement.helpers import BUDGET, World, line, make_standard, new_project, project_in_design

ROOT = Path(__file__).resolve().parents[2] / "procurement"
ROLE_NAMES = {v for n in dir(R) if n.isupper() and isinstance(v := getattr(R, n), str)}


@pytest.mark.pure
def test_services_name_no_roles():
    problems = []
    for path in sorted(ROOT.rglob("services.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in ROLE_NAMES:
                problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: role name {node.value!r}")
            if isinstance(node, (ast.Import, ast.ImportFrom)) and "core.roles" in (
                    [a.name for a in node.names] + [getattr(node, "module", None) or ""]):
                problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: imports core.roles")
            if isinstance(node, ast.ImportFrom) and node.module == "core" and any(a.name == "roles" for a in node.names):
                problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: imports core.roles")
    assert not problems, "\n".join(problems)


@pytest.fixture
def w(app):
    make_standard()
    return World()


def test_budget_review_is_decided_by_the_budget_policy(w, monkeypatch):
    p = new_project(w)
    budget_svc.submit_budget(w.purchaser, p.id, BUDGET)
    monkeypatch.setattr("procurement.budget.policy.is_budget_reviewer", lambda user, project: False)
    with pytest.raises(PermissionDenied):
        budget_svc.approve_budget(w.finance, p.id)
    monkeypatch.setattr("procurement.budget.policy.is_budget_reviewer", lambda user, project: True)
    budget_svc.approve_budget(w.finance, p.id)


def test_bill_editing_is_decided_by_the_design_policy(w, monkeypatch):
    p = project_in_design(w)
    monkeypatch.setattr("procurement.design.policy.is_bill_owner", lambda user, project: False)
    with pytest.raises(PermissionDenied):
        design_svc.add_line(w.purchaser, p.id, line())


def test_moves_are_decided_by_the_machine_policy(w, monkeypatch):
    p = new_project(w)
    monkeypatch.setattr("procurement.machine.policy.can_request_transition", lambda user, project, t: False)
    with pytest.raises(PermissionDenied):
        machine_svc.request_transition(w.purchaser, p.id, to_stage="design", expected_stage="budget")


def test_templates_ask_the_same_functions(app):
    from core.policy import POLICIES_KEY
    from procurement.budget import policy as budget_policy
    from procurement.design import policy as design_policy
    from procurement.projects import policy as project_policy

    policies = app.extensions[POLICIES_KEY]
    assert policies["review_budget"] is budget_policy.can_review_budget
    assert policies["edit_bom"] is design_policy.can_edit_bom
    assert policies["edit_project"] is project_policy.can_edit_project
