"""Call-off orders: within the quota and the total, at the agreement price, through the lifecycle;
bad input refused with nothing written."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from procurement.agreements import services as agreements
from procurement.orders import fulfilment, services as orders
from procurement.orders.models import Order, OrderLine
from procurement.projects.models import Project
from procurement.records.services import verify_project
from tests.procurement.agreements.helpers import DAY, signed_agreement
from tests.procurement.tendering.tender_builders import record_kinds


def _quota(agreement, project):
    return next(q for q in agreement.quotas if q.project_id == project.id)


def _body(quota, milli, request_id="r1", **extra):
    line = {"bom_line_id": quota.bom_line_id, "quantity_milli": milli}
    line.update(extra.pop("line", {}))
    return {"request_id": request_id, "lines": [line], **extra}


def _counts():
    return (db.session.execute(select(func.count()).select_from(Order)).scalar_one(),
            db.session.execute(select(func.count()).select_from(OrderLine)).scalar_one())


def test_an_order_within_the_quota_goes_through_its_lifecycle(app):
    ctx, projects, agreement = signed_agreement(3)
    project, quota = projects[0], _quota(agreement, projects[0])
    now = ctx.sign_at + DAY
    order = orders.place_order(ctx.world.purchaser, agreement.id, project.id, _body(quota, quota.quantity_milli // 2),
                               now=now)
    supplier = agreement.suppliers[0]
    assert order.status == "placed" and order.supplier_org_id == supplier.supplier_org_id
    [line] = order.lines
    assert line.unit_price_fen == supplier.unit_price_fen and line.product_id == supplier.product_id
    assert order.total_fen == line.amount_fen > 0
    db.session.expire_all()
    assert _quota(agreements.get_agreement(agreement.id), project).ordered_milli == quota.quantity_milli // 2
    firm = next(u for u, _p in ctx.firms if u.organisation_id == supplier.supplier_org_id)
    with pytest.raises(PermissionDenied):
        orders.confirm_order(ctx.world.purchaser, order.id, now=now)
    orders.confirm_order(firm, order.id, now=now)
    half = quota.quantity_milli // 4
    fulfilment.note_fulfilment(order.id, {line.id: half}, actor=firm, now=now)
    db.session.commit()
    assert orders.get_order(order.id).status == "partly_delivered"
    fulfilment.note_fulfilment(order.id, {line.id: quota.quantity_milli // 2}, actor=firm, now=now)
    db.session.commit()
    assert orders.get_order(order.id).status == "delivered"
    with pytest.raises(Conflict):
        orders.confirm_order(firm, order.id, now=now)
    done = orders.accept_order(ctx.world.purchaser, order.id, now=now + DAY)
    assert done.status == "accepted"
    db.session.expire_all()
    kinds = record_kinds(project)
    assert [k for k in kinds if k.startswith("order_")] == ["order_placed", "order_confirmed", "order_accepted"]
    assert verify_project(db.session.get(Project, project.id)).ok


def test_above_the_quota_is_a_409_naming_what_remains_and_nothing_is_written(app):
    ctx, projects, agreement = signed_agreement(3)
    project, quota = projects[0], _quota(agreement, projects[0])
    now = ctx.sign_at + DAY
    orders.place_order(ctx.world.purchaser, agreement.id, project.id, _body(quota, quota.quantity_milli - 1000),
                       now=now)
    before = _counts()
    with pytest.raises(Conflict) as err:
        orders.place_order(ctx.world.purchaser, agreement.id, project.id, _body(quota, 2000, "r2"), now=now)
    assert "quota" in err.value.message and "remain" in err.value.message
    assert _counts() == before
    db.session.expire_all()
    fresh = agreements.get_agreement(agreement.id)
    assert _quota(fresh, project).ordered_milli == quota.quantity_milli - 1000
    assert fresh.ordered_quantity_milli == quota.quantity_milli - 1000


def test_expired_agreement_other_price_and_other_city_are_refused(app):
    ctx, projects, agreement = signed_agreement(3)
    project, quota = projects[0], _quota(agreement, projects[0])
    price = agreement.suppliers[0].unit_price_fen
    with pytest.raises(Conflict) as err:
        orders.place_order(ctx.world.purchaser, agreement.id, project.id, _body(quota, 1000),
                           now=ctx.sign_at + dt.timedelta(days=400))
    assert "expired" in err.value.message
    with pytest.raises(Conflict) as err:
        orders.place_order(ctx.world.purchaser, agreement.id, project.id,
                           _body(quota, 1000, line={"unit_price_fen": price - 1}), now=ctx.sign_at + DAY)
    assert "agreement price" in err.value.message
    # a project of another city, by its own purchaser
    from tests.procurement.helpers import World, new_project

    other = World(city_code="qingdao")
    stranger = new_project(other)
    with pytest.raises(Conflict) as err:
        orders.place_order(other.purchaser, agreement.id, stranger.id, _body(quota, 1000), now=ctx.sign_at + DAY)
    assert "another city" in err.value.message
    with pytest.raises(NotFound):  # not the actor's project: no hint that it exists
        orders.place_order(ctx.firms[0][0], agreement.id, project.id, _body(quota, 1000), now=ctx.sign_at + DAY)
    with pytest.raises(ValidationError) as err:
        orders.place_order(ctx.world.purchaser, agreement.id, project.id,
                           {"request_id": "", "lines": [{"bom_line_id": "x", "quantity": "-3"}]}, now=ctx.sign_at)
    assert {"request_id", "lines.0.bom_line_id", "lines.0.quantity"} <= set(err.value.fields)
    assert _counts() == (0, 0)


def test_the_same_request_twice_returns_the_first_order(app):
    ctx, projects, agreement = signed_agreement(3)
    project, quota = projects[0], _quota(agreement, projects[0])
    now = ctx.sign_at + DAY
    first = orders.place_order(ctx.world.purchaser, agreement.id, project.id, _body(quota, 1000), now=now)
    again = orders.place_order(ctx.world.purchaser, agreement.id, project.id, _body(quota, 1000), now=now)
    assert again.id == first.id and _counts() == (1, 1)
    with pytest.raises(Conflict):
        orders.place_order(ctx.world.purchaser, agreement.id, project.id, _body(quota, 2000), now=now)
    db.session.expire_all()
    assert _quota(agreements.get_agreement(agreement.id), project).ordered_milli == 1000


def test_cancelling_gives_the_quantity_back(app):
    ctx, projects, agreement = signed_agreement(3)
    project, quota = projects[0], _quota(agreement, projects[0])
    now = ctx.sign_at + DAY
    order = orders.place_order(ctx.world.purchaser, agreement.id, project.id, _body(quota, quota.quantity_milli),
                               now=now)
    with pytest.raises(ValidationError):
        orders.cancel_order(ctx.world.purchaser, order.id, "", now=now)
    orders.cancel_order(ctx.world.purchaser, order.id, "Design changed: fewer floors", now=now)
    db.session.expire_all()
    fresh = agreements.get_agreement(agreement.id)
    assert _quota(fresh, project).ordered_milli == 0 and fresh.ordered_quantity_milli == 0
    again = orders.place_order(ctx.world.purchaser, agreement.id, project.id,
                               _body(quota, quota.quantity_milli, "r2"), now=now)
    assert again.status == "placed"


def test_fulfilment_refuses_lines_of_other_orders_and_overdelivery(app):
    ctx, projects, agreement = signed_agreement(3)
    project, quota = projects[0], _quota(agreement, projects[0])
    now = ctx.sign_at + DAY
    order = orders.place_order(ctx.world.purchaser, agreement.id, project.id, _body(quota, 5000), now=now)
    firm = next(u for u, _p in ctx.firms if u.organisation_id == order.supplier_org_id)
    with pytest.raises(Conflict):  # not confirmed yet
        fulfilment.note_fulfilment(order.id, {order.lines[0].id: 1000}, actor=firm, now=now)
    db.session.rollback()
    orders.confirm_order(firm, order.id, now=now)
    line_id = orders.get_order(order.id).lines[0].id
    with pytest.raises(ValidationError):
        fulfilment.note_fulfilment(order.id, {line_id + 999: 1000}, actor=firm, now=now)
    db.session.rollback()
    with pytest.raises(Conflict):
        fulfilment.note_fulfilment(order.id, {line_id: 6000}, actor=firm, now=now)
    db.session.rollback()
    fulfilment.note_fulfilment(order.id, {line_id: 0}, actor=firm, now=now)  # a rejected first delivery
    db.session.commit()
    assert orders.get_order(order.id).status == "confirmed"
