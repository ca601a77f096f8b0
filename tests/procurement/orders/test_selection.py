"""Several agreement suppliers: the purchaser selects one directly, or names the concluded
mini-competition (procurement.negotiation) that chose it; the order stays at the agreement price."""

from __future__ import annotations

import pytest

from core.errors import Conflict, ValidationError
from core.extensions import db
from procurement.orders import services as orders
from tests.procurement.agreements.helpers import DAY, signed_agreement


def _two_supplier_agreement():
    from tests.procurement.agreements.helpers import notified_lot, terms
    from procurement.agreements import services as agreements

    ctx, projects, award = notified_lot(3)
    second = award.candidates[1]["supplier_org_id"]
    draft = agreements.prepare(ctx.world.centre, ctx.lot.id, terms(ctx, supplier_org_ids=[second]),
                               now=ctx.sign_at - DAY)
    agreement = agreements.sign(ctx.world.centre, draft.id, now=ctx.sign_at)
    return ctx, projects, agreements.get_agreement(agreement.id), second


def _body(agreement, project, **extra):
    quota = next(q for q in agreement.quotas if q.project_id == project.id)
    return {"request_id": extra.pop("request_id", "s1"),
            "lines": [{"bom_line_id": quota.bom_line_id, "quantity_milli": 1000}], **extra}


def _concluded(ctx, agreement, winner, *, status="concluded"):
    from procurement.negotiation.models import Negotiation

    row = Negotiation(reference=f"NEG-T-{winner}-{status}", kind="mini_competition", status=status, title="Mini",
                      city_id=agreement.city_id, centre_org_id=agreement.centre_org_id, agreement_id=agreement.id,
                      project_ids=[], quantity_milli=1000, unit=agreement.unit, ceiling_fen=10**9, step_bp=100,
                      tie_rule="earliest_offer", winner_org_id=winner if status == "concluded" else None,
                      total_fen=1, created_by_id=ctx.world.centre.id)
    db.session.add(row)
    db.session.commit()
    return row


def test_direct_selection_needs_a_supplier_of_the_agreement(app):
    ctx, projects, agreement, second = _two_supplier_agreement()
    now = ctx.sign_at + DAY
    with pytest.raises(ValidationError) as err:
        orders.place_order(ctx.world.purchaser, agreement.id, projects[0].id, _body(agreement, projects[0]), now=now)
    assert "supplier_org_id" in err.value.fields
    order = orders.place_order(ctx.world.purchaser, agreement.id, projects[0].id,
                               _body(agreement, projects[0], supplier_org_id=second,
                                     selection_note="Closer to the site"), now=now)
    chosen = next(s for s in agreement.suppliers if s.supplier_org_id == second)
    assert order.supplier_org_id == second and order.lines[0].unit_price_fen == chosen.unit_price_fen
    assert order.selection_method == "direct"


def test_a_mini_competition_names_the_supplier(app):
    ctx, projects, agreement, second = _two_supplier_agreement()
    now = ctx.sign_at + DAY
    with pytest.raises(ValidationError):  # the method needs the mini-competition's number
        orders.place_order(ctx.world.purchaser, agreement.id, projects[0].id,
                           _body(agreement, projects[0], selection_method="mini_competition"), now=now)
    running = _concluded(ctx, agreement, second, status="open")
    with pytest.raises(Conflict):
        orders.place_order(ctx.world.purchaser, agreement.id, projects[0].id,
                           _body(agreement, projects[0], selection_method="mini_competition",
                                 negotiation_id=running.id), now=now)
    won = _concluded(ctx, agreement, second)
    with pytest.raises(Conflict):  # another supplier than the winner
        orders.place_order(ctx.world.purchaser, agreement.id, projects[0].id,
                           _body(agreement, projects[0], selection_method="mini_competition", negotiation_id=won.id,
                                 supplier_org_id=agreement.suppliers[0].supplier_org_id), now=now)
    order = orders.place_order(ctx.world.purchaser, agreement.id, projects[0].id,
                               _body(agreement, projects[0], selection_method="mini_competition",
                                     negotiation_id=won.id), now=now)
    assert order.supplier_org_id == second and order.negotiation_id == won.id
    assert won.reference in order.selection_note


def test_a_single_supplier_agreement_needs_no_choice(app):
    ctx, projects, agreement = signed_agreement(3)
    order = orders.place_order(ctx.world.purchaser, agreement.id, projects[0].id, _body(agreement, projects[0]),
                               now=ctx.sign_at + DAY)
    assert order.supplier_org_id == agreement.suppliers[0].supplier_org_id
