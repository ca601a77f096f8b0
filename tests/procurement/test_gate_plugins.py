"""Later stages plug their gate checks into the machine; the service runs and records them."""

import pytest

from core.extensions import db
from procurement import stages
from procurement.models import ProjectRecord
from procurement.services import design as design_svc
from procurement.services.transitions import GateRefused, request_transition
from tests.procurement.helpers import World, line, make_standard, project_in_design, stock_products


@pytest.fixture
def plugged():
    state = {"contracts": False}

    @stages.gate("procurement", "construction", name="contracts_signed_test", order=5)
    def contracts_signed_test(ctx):
        """All lots have a signed contract (test plug-in)."""
        return stages.passed("All lots contracted") if state["contracts"] else stages.failed("2 lots without contract",
                                                                                           lots=[1, 2])

    yield state
    stages.registry.unregister("procurement", "construction", "contracts_signed_test")


def test_plugged_gate_blocks_then_allows(app, plugged):
    make_standard()
    w = World()
    stock_products(w.city)
    p = project_in_design(w)
    design_svc.add_line(w.purchaser, p.id, line())
    request_transition(w.purchaser, p.id, to_stage="procurement", expected_stage="design")
    with pytest.raises(GateRefused) as exc:
        request_transition(w.centre, p.id, to_stage="construction", expected_stage="procurement")
    assert exc.value.fields == {"contracts_signed_test": "2 lots without contract"}
    plugged["contracts"] = True
    request_transition(w.centre, p.id, to_stage="construction", expected_stage="procurement")
    rec = db.session.execute(db.select(ProjectRecord).order_by(ProjectRecord.id.desc())).scalars().first()
    assert rec.kind == "stage_advanced" and rec.payload["checks"] == [
        {"name": "contracts_signed_test", "passed": True, "message": "All lots contracted", "details": {}}]
    assert [c.description for c in stages.registry.checks("procurement", "construction")] == [
        "All lots have a signed contract (test plug-in)."]


def test_every_stage_can_be_walked_to_closed_and_closed_is_final(app):
    make_standard()
    w = World()
    stock_products(w.city)
    p = project_in_design(w)
    design_svc.add_line(w.purchaser, p.id, line())
    for frm, to in [("design", "procurement"), ("procurement", "construction"), ("construction", "acceptance"),
                    ("acceptance", "closed")]:
        request_transition(w.purchaser, p.id, to_stage=to, expected_stage=frm)
    from core.errors import ValidationError
    with pytest.raises(ValidationError, match="closed"):
        request_transition(w.purchaser, p.id, to_stage="acceptance", expected_stage="closed", kind="return",
                           reason="Reopen please")
