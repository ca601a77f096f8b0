"""What waits on home pages (`procurement.agreements.worklists`): the centre's awarded lots to
sign and signed agreements to publish, overdue first with the earliest last day; a supplier's
orders to confirm; a purchaser's delivered orders to accept."""

from __future__ import annotations

import datetime as dt

from core.extensions import db
from procurement.agreements import services as agreements
from procurement.agreements.worklists import agreements_to_publish, lots_to_sign, orders_to_accept, orders_to_confirm
from procurement.awards.deadlines import last_day
from procurement.orders import fulfilment, services as orders
from tests.factories import login_as
from tests.procurement.agreements.helpers import DAY, notified_lot, signed_agreement, terms


def _labels(items):
    from flask import current_app

    with current_app.test_request_context():  # lazy labels are rendered in the reader's language
        return [(str(i.label), i.count) for i in items]


def test_the_centre_sees_lots_to_sign_overdue_first_once_the_signing_period_is_over(app):
    ctx, _projects, award = notified_lot(3)
    centre = ctx.world.centre
    due = agreements.sign_due_at(award)
    day = last_day(due).isoformat()
    assert _labels(lots_to_sign(centre, now=ctx.sign_at)) == [
        (f"Awarded lots waiting for an agreement (sign by {day})", 1)]
    assert _labels(lots_to_sign(centre, now=due)) == [
        (f"Awarded lots overdue for signing (the first was due by {day})", 1)]
    # a draft is not signed yet: still waiting; others' centres and purchasers see nothing
    agreements.prepare(centre, ctx.lot.id, terms(ctx), now=ctx.sign_at - DAY)
    assert [c for _l, c in _labels(lots_to_sign(centre, now=ctx.sign_at))] == [1]
    assert lots_to_sign(ctx.world.purchaser, now=ctx.sign_at) == []


def test_signed_agreements_wait_for_publication_until_published(app):
    ctx, _projects, agreement = signed_agreement(3)
    centre = ctx.world.centre
    assert lots_to_sign(centre, now=ctx.sign_at) == []      # signed: no longer waiting for an agreement
    day = last_day(agreement.publish_due_at).isoformat()
    assert _labels(agreements_to_publish(centre, now=ctx.sign_at)) == [
        (f"Signed agreements waiting for publication (publish by {day})", 1)]
    [late] = agreements_to_publish(centre, now=agreement.publish_due_at + dt.timedelta(hours=1))
    assert _labels([late])[0][0].startswith("Signed agreements overdue for publication")
    assert late.url.endswith(f"/agreements/{agreement.id}")
    agreements.publish(centre, agreement.id, now=ctx.sign_at + DAY)
    assert agreements_to_publish(centre, now=ctx.sign_at + DAY) == []


def test_suppliers_confirm_placed_orders_and_purchasers_accept_delivered_ones(app, client):
    ctx, projects, agreement = signed_agreement(3)
    quota = next(q for q in agreement.quotas if q.project_id == projects[0].id)
    now = ctx.sign_at + DAY
    supplier = agreement.suppliers[0]
    firm = next(u for u, _p in ctx.firms if u.organisation_id == supplier.supplier_org_id)
    other_firm = next(u for u, _p in ctx.firms if u.organisation_id != supplier.supplier_org_id)
    body = {"request_id": "w1", "lines": [{"bom_line_id": quota.bom_line_id, "quantity_milli": 1000}]}
    order = orders.place_order(ctx.world.purchaser, agreement.id, projects[0].id, body, now=now)
    [line] = order.lines
    assert _labels(orders_to_confirm(firm)) == [("Call-off orders waiting for your confirmation", 1)]
    assert orders_to_confirm(firm)[0].url.endswith(f"/orders/{order.id}")
    assert orders_to_confirm(other_firm) == [] and orders_to_accept(ctx.world.purchaser) == []
    login_as(client, firm)
    assert "Call-off orders waiting for your confirmation" in client.get("/home").get_data(as_text=True)
    orders.confirm_order(firm, order.id, now=now)
    assert orders_to_confirm(firm) == []
    fulfilment.note_fulfilment(order.id, {line.id: 1000}, actor=firm, now=now)
    db.session.commit()
    assert _labels(orders_to_accept(ctx.world.purchaser)) == [("Delivered orders waiting for your acceptance", 1)]
    assert orders_to_accept(firm) == []
    orders.accept_order(ctx.world.purchaser, order.id, now=now + DAY)
    assert orders_to_accept(ctx.world.purchaser) == []
