"""How deliveries move call-off orders: `note_fulfilment`, called by the deliveries capability
inside its own unit of work (no commit here) after a delivery is accepted or rejected.

The quantities given are **cumulative**: for each order line (by `OrderLine.id`) the total
quantity accepted on site so far, in thousandths of the line's unit. Calling it twice with the
same figures changes nothing (idempotent); a line left out keeps its figure. The order then moves
through the orders' transition table:

- every line accepted in full -> `delivered` (action `deliver_all`);
- some quantity accepted, not all -> `partly_delivered` (action `deliver_part`);
- nothing accepted yet (a first delivery rejected) -> the order stays `confirmed`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core import audit
from core.errors import Conflict, NotFound, ValidationError
from core.extensions import db
from core.i18n import N_
from core.timeutil import utcnow
from procurement.orders.models import Order, OrderLine
from procurement.orders.states import CONFIRMED, DELIVERED, ORDER, PARTLY_DELIVERED


def lock_order(order_id) -> Order:
    """The order row locked for this transaction (``SELECT ... FOR UPDATE``); NotFound if absent."""
    try:
        oid = int(order_id)
    except (TypeError, ValueError):
        raise NotFound(N_("No such order.")) from None
    order = db.session.execute(select(Order).where(Order.id == oid).with_for_update(of=Order)
                               .execution_options(populate_existing=True)).unique().scalar_one_or_none()
    if order is None:
        raise NotFound(N_("No such order."))
    return order


def _target(lines) -> str | None:
    if all(line.delivered_milli >= line.quantity_milli for line in lines):
        return DELIVERED
    if any(line.delivered_milli > 0 for line in lines):
        return PARTLY_DELIVERED
    return None


def note_fulfilment(order_id: int, accepted_milli_by_line: dict[int, int], *, actor,
                    now: dt.datetime | None = None) -> Order:
    """Record the cumulative accepted quantity of each given order line and move the order
    (see the module text). Runs in the caller's transaction and does not commit.

    Raises `IllegalMove` (409) when the order is not confirmed or partly delivered, `NotFound`
    for an unknown order, `ValidationError` for a line of another order or a negative figure,
    `Conflict` for more than the line's ordered quantity.
    """
    now = now or utcnow()
    order = lock_order(order_id)
    if order.status not in (CONFIRMED, PARTLY_DELIVERED):
        ORDER.check(order.status, "deliver_part")  # raises IllegalMove with the current status
    lines = {line.id: line for line in db.session.execute(
        select(OrderLine).where(OrderLine.order_id == order.id).with_for_update()
        .execution_options(populate_existing=True)).scalars()}
    before = {str(i): line.delivered_milli for i, line in lines.items()}
    for raw_id, raw_milli in (accepted_milli_by_line or {}).items():
        line = lines.get(_as_int(raw_id))
        if line is None:
            raise ValidationError(N_("Line %(line)s is not a line of order %(order)s."),
                                  line=str(raw_id), order=order.reference)
        milli = _as_int(raw_milli)
        if milli is None or milli < 0:
            raise ValidationError(N_("The accepted quantity of a line must be a whole number of thousandths, "
                                     "zero or more."))
        if milli > line.quantity_milli:
            raise Conflict(N_("More is accepted on line %(line)s than order %(order)s ordered."),
                           line=line.id, order=order.reference)
        line.delivered_milli = milli
    db.session.flush()
    target = _target(lines.values())
    status_before = order.status
    if target == DELIVERED:
        ORDER.apply(Order, order.id, "deliver_all", delivered_at=now, updated_at=now)
    elif target == PARTLY_DELIVERED:
        ORDER.apply(Order, order.id, "deliver_part", updated_at=now)
    db.session.refresh(order)
    audit.record("orders.fulfilment", order, actor=actor,
                 before={"status": status_before, "delivered_milli": before},
                 after={"status": order.status,
                        "delivered_milli": {str(i): line.delivered_milli for i, line in lines.items()}})
    return order


def _as_int(value) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
