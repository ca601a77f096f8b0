"""Design stage: bill lines, tightened limits, gate checks design -> procurement."""

import pytest

from core.errors import Conflict, PermissionDenied, ValidationError
from core.extensions import db
from procurement.design import requirements
from procurement.design import services as design_svc
from procurement.design.models import BomLine
from procurement.machine.services import GateRefused, request_transition
from procurement.projects.models import Project
from procurement.records.models import ProjectRecord
from procurement.records.services import verify_project
from tests.procurement.helpers import (World, category, field_text, line, make_product, make_standard, new_project,
                                       project_in_design, stock_products)


@pytest.fixture
def world(app):
    make_standard()
    return World()


def advance_to_procurement(world, p):
    return request_transition(world.purchaser, p.id, to_stage="procurement", expected_stage="design")


def test_bom_only_in_design_stage_and_only_by_own_purchaser(world):
    p = new_project(world)
    with pytest.raises(Conflict, match="design stage"):
        design_svc.add_line(world.purchaser, p.id, line())
    p = project_in_design(world, name="Second")
    with pytest.raises(PermissionDenied):
        design_svc.add_line(world.finance, p.id, line())
    ln = design_svc.add_line(world.purchaser, p.id, line())
    assert (ln.line_no, ln.quantity_milli, ln.unit, ln.total_fen) == (1, 100_000, "m3", 5_000_000)


def test_tightened_limit_accepted(world):
    p = project_in_design(world)
    ln = design_svc.add_line(world.purchaser, p.id, line("wall_coatings", unit="kg",
                                                         tightenings={"voc": "60", "fire_class": "A"}))
    assert ln.tightenings == {"voc": 60.0, "fire_class": "A"}
    rules = {r.key: r for r in requirements.effective_rules(p, ln)}
    assert rules["voc"].limit == 60.0 and rules["fire_class"].limit == "A"


@pytest.mark.parametrize("tight,fragment", [
    ({"voc": "95"}, "VOC content"),            # 95 g/L is looser than <= 80
    ({"fire_class": "B2"}, "Reaction to fire"),  # B2 is looser than at least B1
    ({"voc": "lots"}, "VOC content"),
    ({"formaldehyde": "0.01"}, "no rule “formaldehyde”"),
])
def test_loosened_or_unknown_limit_refused_naming_the_rule(world, tight, fragment):
    p = project_in_design(world)
    with pytest.raises(ValidationError) as exc:
        design_svc.add_line(world.purchaser, p.id, line("wall_coatings", unit="kg", tightenings=tight))
    key = next(iter(tight))
    assert fragment in field_text(exc.value, f"tightenings.{key}")
    assert db.session.execute(db.select(BomLine)).first() is None


def test_tightening_equal_to_the_standard_is_allowed(world):
    p = project_in_design(world)
    ln = design_svc.add_line(world.purchaser, p.id, line("wall_coatings", unit="kg", tightenings={"voc": 80}))
    assert ln.tightenings == {"voc": 80.0}  # equal to the standard is allowed (not looser)


@pytest.mark.parametrize("patch,field", [
    ({"quantity": "-5"}, "quantity"), ({"quantity": "0"}, "quantity"), ({"quantity": "1e12"}, "quantity"),
    ({"quantity": "abc"}, "quantity"), ({"quantity": "1.23456"}, "quantity"), ({"quantity": True}, "quantity"),
    ({"unit": "furlong"}, "unit"), ({"unit": ""}, "unit"),
    ({"est_unit_price_fen": -1}, "est_unit_price_fen"), ({"est_unit_price_fen": 10**13}, "est_unit_price_fen"),
    ({"category": "mystery_material"}, "category"), ({"category": "no_such_category"}, "category"),
    ({"specification": ""}, "specification"), ({"specification": "x" * 301}, "specification"),
    ({"green_required": False}, "green_required"),  # mandatory category cannot drop the green requirement
    ({"tightenings": "voc<=1"}, "tightenings"),
])
def test_bad_line_input(world, patch, field):
    p = project_in_design(world)
    n = len(db.session.execute(db.select(ProjectRecord)).all())
    with pytest.raises(ValidationError) as exc:
        design_svc.add_line(world.purchaser, p.id, line(**patch))
    assert field in exc.value.fields
    assert db.session.execute(db.select(BomLine)).first() is None
    assert len(db.session.execute(db.select(ProjectRecord)).all()) == n  # nothing half-written
    assert verify_project(db.session.get(Project, p.id)).ok


def test_unit_aliases_and_optional_green_flag(world):
    p = project_in_design(world)
    ln = design_svc.add_line(world.purchaser, p.id, line("led_lighting", unit="个", quantity="12",
                                                         green_required="no"))
    assert ln.unit == "piece" and ln.green_required is False


def test_update_and_delete_lines_are_recorded(world):
    p = project_in_design(world)
    design_svc.add_line(world.purchaser, p.id, line())
    design_svc.update_line(world.purchaser, p.id, 1, {"quantity": "250.5"})
    ln = db.session.execute(db.select(BomLine)).scalar_one()
    assert ln.quantity_milli == 250_500
    with pytest.raises(ValidationError):
        design_svc.update_line(world.purchaser, p.id, 1, {"category": "mystery_material"})
    design_svc.delete_line(world.purchaser, p.id, 1)
    assert db.session.execute(db.select(BomLine)).first() is None
    kinds = [r.kind for r in db.session.execute(db.select(ProjectRecord).order_by(ProjectRecord.id)).scalars()]
    assert kinds[-3:] == ["bom_line_added", "bom_line_changed", "bom_line_removed"]


def test_compliant_products_respect_city_verdict_and_tightening(world):
    p = project_in_design(world)
    cheap = make_product(world.city, "wall_coatings", {"voc": (70, "g/L"), "fire_class": ("B1", "")}, price_fen=3000)
    good = make_product(world.city, "wall_coatings", {"voc": (40, "g/L"), "fire_class": ("A", "")}, price_fen=5000)
    make_product(world.city, "wall_coatings", {"voc": (10, "g/L"), "fire_class": ("A", "")}, status="draft")
    make_product(world.city, "wall_coatings", {"voc": (10, "g/L"), "fire_class": ("A", "")}, verdict="fail")
    ln = design_svc.add_line(world.purchaser, p.id, line("wall_coatings", unit="kg"))
    assert [x.id for x in requirements.compliant_products(p, ln)] == [cheap.id, good.id]
    design_svc.update_line(world.purchaser, p.id, 1, {"tightenings": {"voc": "50"}})
    ln = db.session.execute(db.select(BomLine)).scalar_one()
    assert [x.id for x in requirements.compliant_products(p, ln)] == [good.id]
    offers = requirements.line_offers(p, [ln])[ln.id]
    assert (offers["count"], offers["min_price_fen"], offers["max_price_fen"]) == (1, 5000, 5000)


def refused_checks(exc):
    return {c["name"]: c for c in exc.value.checks}


def test_design_gate_passes_with_green_products(world):
    stock_products(world.city)
    p = project_in_design(world)
    design_svc.add_line(world.purchaser, p.id, line("ready_mixed_concrete"))
    design_svc.add_line(world.purchaser, p.id, line("led_lighting", unit="piece", green_required=True))
    design_svc.add_line(world.purchaser, p.id, line("valves", unit="piece", green_required=False))
    advance_to_procurement(world, p)  # 1 of 2 optional kinds green = 50 % >= 40 %
    rec = db.session.execute(db.select(ProjectRecord).where(ProjectRecord.kind == "stage_advanced")
                             .order_by(ProjectRecord.id.desc())).scalars().first()
    assert rec.payload["to"] == "procurement" and all(c["passed"] for c in rec.payload["checks"])
    assert {c["name"] for c in rec.payload["checks"]} == {
        "bill_not_empty", "categories_in_edition", "mandatory_green_available", "optional_green_available",
        "optional_share", "bill_within_budget"}


def test_design_gate_refuses_listing_every_failure(world):
    # no products at all; bill over budget; 1 of 3 optional kinds green
    p = project_in_design(world)
    design_svc.add_line(world.purchaser, p.id, line("ready_mixed_concrete", quantity="20000",
                                                    est_unit_price_fen=50000))  # 1e9 fen > 5e8 budget
    design_svc.add_line(world.purchaser, p.id, line("led_lighting", unit="piece", green_required=True))
    design_svc.add_line(world.purchaser, p.id, line("valves", unit="piece", green_required=False))
    design_svc.add_line(world.purchaser, p.id, line("resin_flooring", unit="m2", green_required=False))
    with pytest.raises(GateRefused) as exc:
        advance_to_procurement(world, p)
    checks = refused_checks(exc)
    failed = {n for n, c in checks.items() if not c["passed"]}
    assert failed == {"mandatory_green_available", "optional_green_available", "optional_share", "bill_within_budget"}
    assert checks["optional_share"]["details"]["required_kinds"] == 2
    db.session.expire_all()
    assert db.session.get(Project, p.id).stage == "design"
    rec = db.session.execute(db.select(ProjectRecord).order_by(ProjectRecord.id.desc())).scalars().first()
    assert rec.kind == "transition_refused" and rec.payload["to"] == "procurement"


def test_share_rule_exactly_forty_percent_passes_and_below_fails(world):
    stock_products(world.city)
    p = project_in_design(world)
    design_svc.add_line(world.purchaser, p.id, line("ready_mixed_concrete"))
    codes = ["led_lighting", "shading_products", "valves", "resin_flooring", "ceiling_systems"]
    for i, code in enumerate(codes):  # 2 of 5 green: exactly 40 %
        design_svc.add_line(world.purchaser, p.id, line(code, green_required=i < 2))
    advance_to_procurement(world, p)
    p2 = project_in_design(world, name="Below")
    design_svc.add_line(world.purchaser, p2.id, line("ready_mixed_concrete"))
    for i, code in enumerate(codes):  # 1 of 5 green: 20 %
        design_svc.add_line(world.purchaser, p2.id, line(code, green_required=i < 1))
    with pytest.raises(GateRefused) as exc:
        advance_to_procurement(world, p2)
    assert set(exc.value.fields) == {"optional_share"}


def test_empty_bill_refused(world):
    p = project_in_design(world)
    with pytest.raises(GateRefused) as exc:
        advance_to_procurement(world, p)
    assert "bill_not_empty" in exc.value.fields


def test_edition_without_share_has_no_optional_rule(app):
    make_standard(share=None)
    w = World()
    stock_products(w.city)
    p = project_in_design(w)
    design_svc.add_line(w.purchaser, p.id, line("ready_mixed_concrete"))
    design_svc.add_line(w.purchaser, p.id, line("valves", unit="piece", green_required=False))
    request_transition(w.purchaser, p.id, to_stage="procurement", expected_stage="design")


def test_procurement_officer_returns_design_and_bill_is_editable_again(world):
    stock_products(world.city)
    p = project_in_design(world)
    design_svc.add_line(world.purchaser, p.id, line("ready_mixed_concrete"))
    advance_to_procurement(world, p)
    with pytest.raises(Conflict):
        design_svc.add_line(world.purchaser, p.id, line())
    request_transition(world.centre, p.id, to_stage="design", expected_stage="procurement", kind="return",
                       reason="Concrete grade must be C35 for the foundations")
    design_svc.update_line(world.purchaser, p.id, 1, {"specification": "C35"})
    assert verify_project(db.session.get(Project, p.id)).ok


def test_category_lookup_by_code(world):
    assert category("valves").code == "valves"


def test_requirements_are_the_citys_standard(app):
    """Qingdao (cold zone A) has U <= 3.0 for windows where Nanjing has U <= 3.5: a tightening to
    3.2 is stricter in Nanjing but looser in Qingdao, and a U = 3.2 window satisfies only Nanjing."""
    make_standard()
    nanjing, qingdao = World("nanjing"), World("qingdao")
    for w in (nanjing, qingdao):
        make_product(w.city, "windows_doors", {"u_value": (3.2, "W/(m2.K)")})
    pn, pq = project_in_design(nanjing), project_in_design(qingdao)
    ln = design_svc.add_line(nanjing.purchaser, pn.id, line("windows_doors", unit="m2"))
    assert [r.limit for r in requirements.effective_rules(pn, ln)] == [3.5]
    assert len(requirements.compliant_products(pn, ln)) == 1
    lq = design_svc.add_line(qingdao.purchaser, pq.id, line("windows_doors", unit="m2"))
    assert [r.limit for r in requirements.effective_rules(pq, lq)] == [3.0]
    assert requirements.compliant_products(pq, lq) == []
    design_svc.update_line(nanjing.purchaser, pn.id, 1, {"tightenings": {"u_value": "3.2"}})
    with pytest.raises(ValidationError) as exc:
        design_svc.update_line(qingdao.purchaser, pq.id, 1, {"tightenings": {"u_value": "3.2"}})
    assert "Thermal transmittance" in field_text(exc.value, "tightenings.u_value")
