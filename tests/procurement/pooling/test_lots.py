"""Lot building rules (procurement/tendering/lots.py): grouping pooled lines into lots, the
strictest requirements, the ceiling, budget problems, refused lots, moving lines in and out."""

import pytest

import catalog.interface as catalog
from core.errors import Conflict, ValidationError
from core.extensions import db
from procurement.budget.models import Budget
from procurement.pooling.models import PooledLine
from procurement.records.models import ProjectRecord
from procurement.records.services import verify_project
from procurement.tendering import lots
from tests.procurement.helpers import line, make_product
from tests.procurement.pooling.helpers import contribute, open_round
from tests.procurement.tendering_helpers import make_tender, procurement_world, project_in_procurement


@pytest.fixture
def world(app):
    w, projects = procurement_world(2, line(), line("wall_coatings", specification="Interior paint"))
    w.projects = projects
    w.round = open_round(w, "ready_mixed_concrete", "wall_coatings", "ready_mixed_mortar")
    make_product(w.city, "ready_mixed_mortar", {"shrinkage": (0.3, "%")}, unit="t")
    return w


def pooled(world, project, *line_nos):
    return contribute(world, world.round, project, *line_nos)


def by_key(requirements):
    return {r["key"]: r for r in requirements}


# --------------------------------------------------------------------------- grouping


def test_lines_of_one_category_and_specification_make_one_lot(world):
    lines = pooled(world, world.projects[0], 1, 2) + pooled(world, world.projects[1], 1, 2)
    plans = lots.group_lines(lines)
    assert [(catalog.find_category(p.category_id).code, p.specification) for p in plans] == \
        [("ready_mixed_concrete", "C30"), ("wall_coatings", "Interior paint")]
    concrete = plans[0]
    assert concrete.unit == "m3" and concrete.quantity_milli == 200_000
    assert concrete.ceiling_fen == lots.lot_ceiling(concrete.lines) == 2 * 5_000_000
    assert concrete.project_ids == sorted(p.id for p in world.projects)
    assert concrete.title == "C30"
    assert all(ln.category_id == concrete.category_id for ln in concrete.lines)


def test_specifications_compare_normalised_and_different_ones_split(world):
    a = project_in_procurement(world, line(specification="C30  Pump"), line(specification="C40"))
    b = project_in_procurement(world, line(specification="ｃ30 pump"))
    plans = lots.group_lines(pooled(world, a, 1, 2) + pooled(world, b, 1))
    assert sorted((p.specification, len(p.lines)) for p in plans) == [("C30  Pump", 2), ("C40", 1)]


def test_convertible_units_are_counted_in_the_priced_unit(world):
    mortar = project_in_procurement(world, line("ready_mixed_mortar", specification="M10", quantity="2", unit="t"),
                                    line("ready_mixed_mortar", specification="M10", quantity="500", unit="kg"))
    (plan,) = lots.group_lines(pooled(world, mortar, 1, 2))
    assert (plan.unit, plan.quantity_milli) == ("t", 2_500)


def test_a_quantity_not_exact_in_the_priced_unit_keeps_the_finer_unit(world):
    mortar = project_in_procurement(world, line("ready_mixed_mortar", specification="M10", quantity="1", unit="t"),
                                    line("ready_mixed_mortar", specification="M10", quantity="0.5", unit="kg"))
    (plan,) = lots.group_lines(pooled(world, mortar, 1, 2))
    assert (plan.unit, plan.quantity_milli) == ("kg", 1_000_500)


def test_units_that_do_not_convert_make_separate_lots():
    def fake(unit, n):
        return PooledLine(id=n, round_id=1, project_id=1, bom_line_id=n, category_id=1, specification="Door",
                          quantity_milli=1000, unit=unit, est_unit_price_fen=100, est_amount_fen=100, status="contributed")

    assert lots.convert_milli(1000, "piece", "set") is None
    assert lots.convert_milli(2500, "t", "kg") == 2_500_000 and lots.convert_milli(1, "kg", "t") is None
    assert lots._unit_family("piece") != lots._unit_family("set")
    with pytest.raises(ValidationError) as exc:
        lots.validate_lot([fake("piece", 1), fake("set", 2)])
    assert "do not convert" in exc.value.message
    free = fake("piece", 3)
    free.est_amount_fen = 0
    with pytest.raises(ValidationError) as exc:  # a lot's ceiling must be above zero
        lots.validate_lot([free])
    assert "estimated amount" in exc.value.message


# --------------------------------------------------------------------------- requirements


def test_requirements_are_the_strictest_of_the_lines_a_tightened_line_wins(world):
    strict = project_in_procurement(world, line("wall_coatings", specification="Interior paint",
                                                tightenings={"voc": 60, "fire_class": "A"}))
    plain = world.projects[0]
    lines = pooled(world, plain, 2) + pooled(world, strict, 1)
    (plan,) = lots.group_lines(lines)
    req = by_key(plan.requirements)
    assert req["voc"]["comparison"] == "<=" and req["voc"]["limit"] == 60 and req["voc"]["unit"] == "g/L"
    assert req["fire_class"]["comparison"] == "at_least" and req["fire_class"]["limit"] == "A"
    assert req["fire_class"]["scale"] == ["A", "B1", "B2", "B3"]
    assert set(req["voc"]) == {"key", "comparison", "limit", "unit", "kind", "name_en", "name_zh", "scale"}
    # the order of the lines does not matter
    assert by_key(lots.lot_requirements(list(reversed(lines)))) == req
    # alone, the plain line keeps the standard's limits
    assert by_key(lots.lot_requirements(pooled(world, world.projects[1], 2)))["voc"]["limit"] == 80


def test_strictest_merges_in_rules_and_keeps_rules_it_cannot_compare():
    rule = catalog.Rule
    merged = lots.strictest([rule("colour", "in", ["white", "grey", "black"]), rule("colour", "in", ["grey", "white"]),
                             rule("colour", "in", ["White", "red"])])
    assert [r.limit for r in merged] == [["white"]]
    both = lots.strictest([rule("x", "<=", 5.0), rule("x", ">=", 1.0), rule("x", "<=", 4.0)])
    assert sorted((r.comparison, r.limit) for r in both) == [("<=", 4.0), (">=", 1.0)]
    assert lots.rule_from_dict(lots.rule_dict(rule("g", "at_least", "B", scale=("A", "B")))).scale == ("A", "B")


# --------------------------------------------------------------------------- budgets


def test_no_budget_problem_within_the_remaining_budget(world):
    lines = pooled(world, world.projects[0], 1, 2)
    assert lots.budget_problems(lots.lines_by_project(lines)) == []


def test_a_part_above_the_remaining_budget_is_a_problem(world):
    p = world.projects[0]
    (coatings,) = pooled(world, p, 2)  # in the round: committed elsewhere when the concrete lot is checked
    (concrete,) = pooled(world, p, 1)
    budget = db.session.execute(db.select(Budget).filter_by(project_id=p.id)).scalar_one()
    remaining = budget.total_fen - coatings.est_amount_fen
    assert lots.budget_problems({p.id: [concrete]}, amounts={p.id: remaining}) == []
    (problem,) = lots.budget_problems({p.id: [concrete]}, amounts={p.id: remaining + 1})
    assert problem.project_id == p.id and problem.remaining_fen == remaining
    assert "exceeds what remains of its approved budget" in problem.message
    assert problem.to_dict()["message"]["params"]["code"] == p.code
    # a budget that shrank below the lines (written behind the services' back) is caught too
    db.session.execute(db.update(Budget).where(Budget.project_id == p.id).values(total_fen=1_000_000))
    db.session.commit()
    assert [x.project_id for x in lots.budget_problems(lots.lines_by_project([concrete]))] == [p.id]


def test_ceiling_shares_split_a_ceiling_in_proportion(world):
    lines = pooled(world, world.projects[0], 1) + pooled(world, world.projects[1], 1)
    shares = lots.ceiling_shares(10_000_001, lines)
    assert sum(shares.values()) == 10_000_001 and sorted(shares.values()) == [5_000_000, 5_000_001]


# --------------------------------------------------------------------------- refused lots


def test_a_lot_mixing_categories_is_refused(world):
    lines = pooled(world, world.projects[0], 1, 2)
    with pytest.raises(ValidationError) as exc:
        lots.validate_lot(lines)
    assert "one category only" in exc.value.message and "wall_coatings" in exc.value.message
    assert "lines" in exc.value.fields


def test_lines_not_available_or_of_another_round_are_refused(world):
    a = pooled(world, world.projects[0], 1)[0]
    with pytest.raises(ValidationError):
        lots.validate_lot([])
    other_round = open_round(world)
    b = contribute(world, other_round, world.projects[1], 1)[0]
    with pytest.raises(ValidationError) as exc:
        lots.validate_lot([a, b])
    assert "own pooling round" in exc.value.message
    with pytest.raises(ValidationError):
        lots.validate_lot([b], pooling_round=world.round)
    from procurement.pooling.services import withdraw_line

    withdraw_line(world.purchaser, a.id)
    with pytest.raises(ValidationError) as exc:
        lots.validate_lot([db.session.get(PooledLine, a.id)], pooling_round=world.round)
    assert "withdrawn" in exc.value.message
    lots.validate_lot([b], pooling_round=other_round)  # a good lot passes


# --------------------------------------------------------------------------- moving lines


def test_assigning_and_unassigning_lines_writes_a_record_per_project(world):
    lines = pooled(world, world.projects[0], 1) + pooled(world, world.projects[1], 1)
    tender = make_tender(world, status="draft")
    lot = tender.lots[0]
    lots.validate_lot(lines, pooling_round=world.round)
    lots.assign_lines(lot, lines, world.centre)
    db.session.commit()
    assert {db.session.get(PooledLine, ln.id).lot_id for ln in lines} == {lot.id}
    with pytest.raises(ValidationError) as exc:  # assigned lines are not available for another lot
        lots.validate_lot(lines, lot=make_tender(world, status="draft").lots[0])
    assert "already in another lot" in exc.value.message
    lots.validate_lot(lines, lot=lot)  # ... but are for their own
    with pytest.raises(Conflict):
        lots.assign_lines(lot, lines, world.centre)  # already assigned
    db.session.rollback()
    moved = lots.unassign_lines(lot, world.centre)
    db.session.commit()
    assert len(moved) == 2
    for p in world.projects:
        kinds = db.session.execute(db.select(ProjectRecord.kind).filter_by(project_id=p.id)
                                   .order_by(ProjectRecord.seq)).scalars().all()
        assert kinds[-2:] == ["tender_lot_assigned", "tender_lot_unassigned"]
        rec = db.session.execute(db.select(ProjectRecord).filter_by(project_id=p.id, kind="tender_lot_assigned")
                                 ).scalar_one()
        assert rec.payload["reference"] == tender.reference and rec.payload["lot_number"] == 1
        assert verify_project(p).ok
    assert {db.session.get(PooledLine, ln.id).status for ln in lines} == {"contributed"}


def test_released_lines_end_for_good(world):
    lines = pooled(world, world.projects[0], 1)
    tender = make_tender(world, status="published")
    lots.assign_lines(tender.lots[0], lines, world.centre)
    lots.release_lines(lines, world.centre, reason="tender_cancelled", tender=tender)
    db.session.commit()
    line_ = db.session.get(PooledLine, lines[0].id)
    assert line_.status == "released" and line_.ended_at is not None
    assert verify_project(world.projects[0]).ok
