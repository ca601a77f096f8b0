"""Who may do what with call-off orders (one function per rule; `orders.services` enforces them,
pages ask the same functions through `can(...)`; registered by the agreements wiring).

- A purchaser orders for its own project, from an agreement in force of the project's city in
  which the project holds a quota; it cancels its own order while placed or confirmed and
  accepts it once delivered.
- A supplier of the order confirms it, or refuses it (cancels it with a reason) while placed.
- The order is seen by the project's purchaser, its supplier, the agreement's staff and the
  inspectors of the project's city.
"""

from __future__ import annotations

import datetime as dt

from core import roles as R
from core.policy import has_role, same_city
from procurement.agreements.policy import is_firm_member, is_in_force, is_staff
from procurement.orders.states import CONFIRMED, DELIVERED, PLACED
from procurement.projects.policy import is_own_purchaser


def can_order(user, agreement, project, now: dt.datetime | None = None) -> bool:
    """The project's purchaser, on an agreement in force of the project's city with a quota for it."""
    return (is_own_purchaser(user, project) and agreement.city_id == project.city_id
            and is_in_force(agreement, now) and any(q.project_id == project.id for q in agreement.quotas))


def can_view_order(user, order) -> bool:
    return (is_own_purchaser(user, order.project) or is_firm_member(user, order.supplier_org_id)
            or is_staff(user, order.agreement)
            or (has_role(user, R.INSPECTOR) and same_city(user, order.project.city_id)))


def is_order_supplier(user, order) -> bool:
    """A person of the order's supplier."""
    return is_firm_member(user, order.supplier_org_id)


def can_confirm_order(user, order) -> bool:
    return is_order_supplier(user, order) and order.status == PLACED


def can_refuse_order(user, order) -> bool:
    """The supplier refuses an order it has not confirmed (the order is cancelled with its reason)."""
    return is_order_supplier(user, order) and order.status == PLACED


def can_cancel_order(user, order) -> bool:
    return is_own_purchaser(user, order.project) and order.status in (PLACED, CONFIRMED)


def can_accept_order(user, order) -> bool:
    return is_own_purchaser(user, order.project) and order.status == DELIVERED


POLICIES = {"confirm_order": can_confirm_order, "refuse_order": can_refuse_order,
            "cancel_order": can_cancel_order, "accept_order": can_accept_order, "view_order": can_view_order}
