"""The procurement -> construction gate, recomputed on what was bought: every line covered by a
signed contract or orders, compliant products, mandatory 100 %, optional share."""

from __future__ import annotations

from sqlalchemy import update

from core.extensions import db
from procurement.machine.gates import hooks
from procurement.machine.services import GateContext, request_transition
from procurement.machine.stages import CONSTRUCTION, PROCUREMENT
from procurement.orders import services as orders
from procurement.projects.models import Project
from tests.procurement.agreements.helpers import DAY, signed_agreement


def _results(project_id):
    project = db.session.get(Project, project_id)
    return {r.name: r for r in hooks().gates.run(PROCUREMENT, CONSTRUCTION, GateContext(project=project))}


def _order_all(ctx, agreement, project):
    quota = next(q for q in agreement.quotas if q.project_id == project.id)
    body = {"request_id": f"all-{project.id}", "lines": [{"bom_line_id": quota.bom_line_id,
                                                          "quantity_milli": quota.quantity_milli}]}
    return orders.place_order(ctx.world.purchaser, agreement.id, project.id, body, now=ctx.sign_at + DAY)


def test_the_gates_are_registered_and_refuse_a_project_with_nothing_bought(app):
    names = [c.name for c in hooks().gates.checks(PROCUREMENT, CONSTRUCTION)]
    assert names == ["bill_covered", "bought_products_compliant", "mandatory_bought_green", "optional_share_bought"]
    ctx, projects, agreement = signed_agreement(3)
    results = _results(projects[0].id)
    assert not results["bill_covered"].passed
    assert results["bill_covered"].params["lines"] == "1"
    assert not results["mandatory_bought_green"].passed


def test_a_fully_ordered_bill_passes_and_the_project_moves_to_construction(app):
    ctx, projects, agreement = signed_agreement(3)
    project = projects[0]
    order = _order_all(ctx, agreement, project)
    results = _results(project.id)
    assert all(r.passed for r in results.values()), {n: r.message for n, r in results.items()}
    moved = request_transition(ctx.world.purchaser, project.id, to_stage=CONSTRUCTION, expected_stage=PROCUREMENT)
    assert moved.stage == CONSTRUCTION
    # a cancelled order no longer covers anything
    _, other = projects[1], _order_all(ctx, agreement, projects[1])
    orders.cancel_order(ctx.world.purchaser, other.id, "Bought elsewhere by mistake", now=ctx.sign_at + DAY)
    assert not _results(projects[1].id)["bill_covered"].passed
    assert order.status == "placed"


def test_a_signed_contract_covers_its_quota_without_orders(app):
    ctx, projects, agreement = signed_agreement(3, kind="contract")
    assert agreement.kind == "contract"
    assert _results(projects[0].id)["bill_covered"].passed


def test_a_product_without_a_passing_verdict_fails_the_compliance_checks(app):
    from catalog.models.products import ProductVerdict

    ctx, projects, agreement = signed_agreement(3)
    _order_all(ctx, agreement, projects[0])
    db.session.execute(update(ProductVerdict).where(ProductVerdict.product_id == agreement.suppliers[0].product_id)
                       .values(verdict="fail"))
    db.session.commit()
    results = _results(projects[0].id)
    assert results["bill_covered"].passed
    assert not results["bought_products_compliant"].passed and not results["mandatory_bought_green"].passed
    assert results["mandatory_bought_green"].params["lines"] == "1"
