"""Move buttons on the project page show, before a click, which checks would fail, and are
disabled while any would; the API lists the same."""

import re

import pytest

from procurement.budget import services as budget_svc
from tests.factories import api_token, auth_header, login
from tests.procurement.helpers import BUDGET, World, make_standard, new_project


@pytest.fixture
def w(app):
    make_standard()
    return World()


def move_button(page, stage):
    found = re.search(r"<button[^>]*>Move to " + stage + "</button>", page)
    assert found, page
    return found.group(0)


def test_blocked_move_is_disabled_and_names_failing_checks(client, w):
    p = new_project(w)
    login(client, w.purchaser)
    page = client.get(f"/projects/{p.id}").get_data(as_text=True)
    assert "disabled" in move_button(page, "Design")
    assert "these checks would fail" in page
    assert "Budget approved by the finance office" in page and "No budget has been submitted." in page


def test_move_is_enabled_once_checks_pass(client, w):
    p = new_project(w)
    budget_svc.submit_budget(w.purchaser, p.id, BUDGET)
    budget_svc.approve_budget(w.finance, p.id)
    login(client, w.purchaser)
    page = client.get(f"/projects/{p.id}").get_data(as_text=True)
    assert "disabled" not in move_button(page, "Design")
    assert "these checks would fail" not in page


def test_stage_without_gates_shows_why_the_button_is_disabled(app, client, w, monkeypatch):
    from core.extensions import db
    from procurement.machine import gates as machine_gates
    from procurement.projects.models import Project

    # an exit with no registered gate (the agreements gates set aside) is shown as refused
    monkeypatch.setitem(machine_gates.hooks(app).gates._checks, ("procurement", "construction"), {})

    p = new_project(w)
    db.session.execute(db.update(Project).where(Project.id == p.id).values(stage="procurement"))
    db.session.commit()
    login(client, w.purchaser)
    page = client.get(f"/projects/{p.id}").get_data(as_text=True)
    assert "disabled" in move_button(page, "Construction")
    assert "No checks are defined for leaving the procurement stage yet." in page


def test_api_lists_blocked_moves(client, w):
    p = new_project(w)
    res = client.get(f"/api/v1/projects/{p.id}/transitions", headers=auth_header(api_token(w.purchaser)))
    assert res.json["available"] == [{"to": "design", "kind": "advance"}]
    assert res.json["moves"] == [{"to": "design", "kind": "advance", "blocked": True, "failing": ["budget_approved"]}]
