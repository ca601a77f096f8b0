"""Call-off order use cases: place (`placing`: within the project's quota and the agreement's
total, at the agreement price), confirm (supplier), refuse or cancel with a reason, accept
(purchaser).

Concurrency: placing and cancelling lock, in this order, the project row, then the project's
quota rows with the agreement row (one ``SELECT ... FOR UPDATE``, `placing.lock_rows`), then
check and move the running sums (`Agreement.ordered_quantity_milli`, `AgreementQuota.ordered_milli`).
Concurrent orders on one agreement therefore queue on the agreement row and each sees what the
previous one committed; the CHECK constraints on the sums back this up. The same `request_id`
twice for one project (a double click, a retry at the same moment) returns the first order: the
project lock serialises the two requests and the unique (project, request_id) key is the last guard.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core import audit
from core.errors import NotFound, PermissionDenied
from core.extensions import db
from core.i18n import N_
from core.notifications import notify_organisation
from core.services import unit_of_work
from core.timeutil import utcnow
from core.validation import plain_text
from procurement.agreements.services import lock_agreement
from procurement.orders import policy
from procurement.orders.fulfilment import lock_order
from procurement.orders.models import Order
from procurement.orders.placing import as_int, lock_rows, place_order
from procurement.orders.states import COUNTING_STATES, DELIVERED, ORDER
from procurement.records.services import append_record, lock_project

__all__ = ["place_order", "confirm_order", "cancel_order", "accept_order", "get_order", "visible_order",
           "counting_orders_of"]


def confirm_order(actor, order_id, *, now: dt.datetime | None = None) -> Order:
    """The supplier confirms a placed order."""
    now = now or utcnow()
    with unit_of_work():
        order = lock_order(order_id)
        if not policy.can_view_order(actor, order):
            raise NotFound(N_("No such order."))
        if not policy.is_order_supplier(actor, order):
            raise PermissionDenied(N_("Only the order's supplier confirms it."))
        ORDER.apply(Order, order.id, "confirm", confirmed_at=now, confirmed_by_id=getattr(actor, "id", None),
                    updated_at=now)
        db.session.refresh(order)
        audit.record("orders.confirm", order, after={"status": order.status}, actor=actor)
        project = lock_project(order.project_id)
        append_record(project, "order_confirmed", {"order": order.reference}, actor=actor, action="orders.record")
    return order


def cancel_order(actor, order_id, reason, *, now: dt.datetime | None = None) -> Order:
    """Cancel an order with a reason: the purchaser while placed or confirmed, the supplier
    (refusing it) while placed. The quantities go back to the quota and the agreement's total."""
    reason = plain_text(reason, "reason", minimum=5, maximum=2000, refused=N_("Please give the reason."),
                        too_short=N_("Please give the reason (at least %(n)s characters)."))
    now = now or utcnow()
    with unit_of_work():
        probe = get_order(order_id)
        if not policy.can_view_order(actor, probe):
            raise NotFound(N_("No such order."))
        project, _first, quotas = lock_rows(probe.project_id, probe.agreement_id)  # the placing order of locks
        agreement = (next(iter(quotas.values())).agreement if quotas else lock_agreement(probe.agreement_id))
        order = lock_order(probe.id)
        if not (policy.can_cancel_order(actor, order) or policy.can_refuse_order(actor, order)):
            ORDER.check(order.status, "cancel")
            raise PermissionDenied(N_("Only the project's purchaser cancels an order, or its supplier before "
                                      "confirming it."))
        ORDER.apply(Order, order.id, "cancel", cancelled_at=now, cancelled_by_id=getattr(actor, "id", None),
                    cancel_reason=reason, updated_at=now)
        given_back = 0
        for line in order.lines:
            quota = quotas.get(line.bom_line_id)
            if quota is not None:
                quota.ordered_milli -= line.quantity_milli
            given_back += line.quantity_milli
        agreement.ordered_quantity_milli -= given_back
        db.session.refresh(order)
        audit.record("orders.cancel", order, after={"status": order.status, "reason": reason}, actor=actor)
        append_record(project, "order_cancelled", {"order": order.reference, "reason": reason}, actor=actor,
                      action="orders.record")
        other = order.supplier_org_id if not policy.is_order_supplier(actor, order) else project.purchaser_org_id
        notify_organisation(other, "order_cancelled", N_("Order %(reference)s was cancelled: %(reason)s"),
                            {"reference": order.reference, "reason": reason}, email=False)
    return order


def accept_order(actor, order_id, *, now: dt.datetime | None = None) -> Order:
    """The purchaser accepts a delivered order (delivered -> accepted)."""
    now = now or utcnow()
    with unit_of_work():
        order = lock_order(order_id)
        if not policy.can_view_order(actor, order):
            raise NotFound(N_("No such order."))
        if order.status != DELIVERED:
            ORDER.check(order.status, "accept")
        if not policy.can_accept_order(actor, order):
            raise PermissionDenied(N_("Only the project's purchaser accepts its orders."))
        ORDER.apply(Order, order.id, "accept", accepted_at=now, accepted_by_id=getattr(actor, "id", None),
                    updated_at=now)
        db.session.refresh(order)
        audit.record("orders.accept", order, after={"status": order.status}, actor=actor)
        project = lock_project(order.project_id)
        append_record(project, "order_accepted", {"order": order.reference, "total_fen": order.total_fen},
                      actor=actor, action="orders.record")
    return order


def get_order(order_id) -> Order:
    oid = as_int(order_id)
    order = db.session.get(Order, oid) if oid is not None else None
    if order is None:
        raise NotFound(N_("No such order."))
    return order


def visible_order(actor, order_id) -> Order:
    order = get_order(order_id)
    if not policy.can_view_order(actor, order):
        raise NotFound(N_("No such order."))
    return order


def counting_orders_of(project_id: int) -> list[Order]:
    """The project's orders that count (not cancelled), oldest first."""
    return list(db.session.execute(select(Order).where(Order.project_id == project_id,
                                                       Order.status.in_(COUNTING_STATES))
                                   .order_by(Order.id)).unique().scalars())
