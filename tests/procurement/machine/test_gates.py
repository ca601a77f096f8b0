"""Gates are plain functions registered on the app by `procurement.register(app)`; a stage exit
with no gate is refused (the loop fails closed); later stages plug in their checks."""

import pytest
from flask import Flask

from core.errors import ValidationError
from core.extensions import db
from procurement.design import services as design_svc
from procurement.machine import gates as machine_gates
from procurement.machine.gates import failed, passed
from procurement.machine.services import GateRefused, request_transition
from procurement.projects.models import Project
from procurement.records.models import ProjectRecord
from tests.procurement.helpers import World, line, make_standard, project_in_design, stock_products


def project_in_procurement(w):
    stock_products(w.city)
    p = project_in_design(w)
    design_svc.add_line(w.purchaser, p.id, line())
    request_transition(w.purchaser, p.id, to_stage="procurement", expected_stage="design")
    return p


def last_record():
    return db.session.execute(db.select(ProjectRecord).order_by(ProjectRecord.id.desc())).scalars().first()


def test_gates_are_registered_by_procurement_register_only(app):
    hooks = machine_gates.hooks(app)
    assert [c.name for c in hooks.gates.checks("budget", "design")] == ["budget_approved"]
    assert [c.name for c in hooks.gates.checks("design", "procurement")] == [
        "bill_not_empty", "categories_in_edition", "mandatory_green_available", "optional_green_available",
        "optional_share", "bill_within_budget"]
    bare = Flask("bare")  # an app procurement.register never saw: no gates at all, every exit refused
    assert machine_gates.EXTENSION_KEY not in bare.extensions
    assert machine_gates.hooks(bare).gates.checks("budget", "design") == []
    assert [r.name for r in machine_gates.hooks(bare).gates.run("budget", "design", None)] == [
        machine_gates.NO_CHECKS]
    import procurement

    procurement.register(bare)
    assert [c.name for c in machine_gates.hooks(bare).gates.checks("budget", "design")] == ["budget_approved"]


@pytest.mark.parametrize("frm,to,actor", [("procurement", "construction", "centre"),
                                          ("construction", "acceptance", "purchaser"),
                                          ("acceptance", "closed", "inspector")])
def test_a_stage_exit_without_gates_is_refused_and_recorded(app, monkeypatch, frm, to, actor):
    """The loop fails closed: an exit whose packages registered no gate (here removed from the
    app's registry for the test) is refused, not waved through."""
    monkeypatch.setitem(machine_gates.hooks(app).gates._checks, (frm, to), {})
    make_standard()
    w = World()
    p = project_in_procurement(w)
    db.session.execute(db.update(Project).where(Project.id == p.id).values(stage=frm))
    db.session.commit()
    with pytest.raises(GateRefused) as exc:
        request_transition(getattr(w, actor), p.id, to_stage=to, expected_stage=frm)
    assert exc.value.fields == {machine_gates.NO_CHECKS: (
        "No checks are defined for leaving the %(stage)s stage yet.", {"stage": frm})}
    assert f"No checks are defined for leaving the {frm} stage yet." in exc.value.to_dict()["error"]["fields"].values()
    db.session.expire_all()
    assert db.session.get(Project, p.id).stage == frm
    rec = last_record()
    assert rec.kind == "transition_refused" and rec.payload["checks"][0]["name"] == machine_gates.NO_CHECKS


def test_a_purchaser_alone_cannot_walk_a_project_to_closed(app):
    """Before: procurement -> construction -> acceptance -> closed in seconds with no check."""
    make_standard()
    w = World()
    p = project_in_procurement(w)
    with pytest.raises(GateRefused):
        request_transition(w.purchaser, p.id, to_stage="construction", expected_stage="procurement")
    with pytest.raises(ValidationError, match="skip"):
        request_transition(w.purchaser, p.id, to_stage="closed", expected_stage="procurement")
    db.session.expire_all()
    assert db.session.get(Project, p.id).stage == "procurement"


@pytest.fixture
def plugged(app, monkeypatch):
    """A test gate alone on procurement -> construction (the real agreements gates set aside)."""
    state = {"contracts": False}
    monkeypatch.setitem(machine_gates.hooks(app).gates._checks, ("procurement", "construction"), {})

    def contracts_signed_test(ctx):
        """All lots have a signed contract (test plug-in)."""
        return passed("All lots contracted") if state["contracts"] else failed("2 lots without contract",
                                                                             lots=[1, 2])

    hooks = machine_gates.hooks(app)
    hooks.add_gate("procurement", "construction", contracts_signed_test, order=5)
    yield state
    hooks.gates.unregister("procurement", "construction", "contracts_signed_test")


def test_plugged_gate_blocks_then_allows(app, plugged):
    make_standard()
    w = World()
    p = project_in_procurement(w)
    with pytest.raises(GateRefused) as exc:
        request_transition(w.centre, p.id, to_stage="construction", expected_stage="procurement")
    assert exc.value.fields == {"contracts_signed_test": "2 lots without contract"}
    plugged["contracts"] = True
    request_transition(w.centre, p.id, to_stage="construction", expected_stage="procurement")
    rec = last_record()
    assert rec.kind == "stage_advanced" and rec.payload["checks"] == [
        {"name": "contracts_signed_test", "passed": True, "message": {"key": "All lots contracted", "params": {}},
         "details": {}}]
    assert [c.description for c in machine_gates.hooks(app).gates.checks("procurement", "construction")] == [
        "All lots have a signed contract (test plug-in)."]
    # closed stays final once reached (the table has no move out of it)
    db.session.execute(db.update(Project).where(Project.id == p.id).values(stage="closed"))
    db.session.commit()
    with pytest.raises(ValidationError, match="closed"):
        request_transition(w.purchaser, p.id, to_stage="acceptance", expected_stage="closed", kind="return",
                           reason="Reopen please")
