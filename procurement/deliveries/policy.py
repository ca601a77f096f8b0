"""Who may do what with deliveries (one function per rule; services enforce them, pages and the
API ask the same functions).

- The supplier of the order, or the project's purchaser (its site manager receiving the goods),
  records a delivery, while the project is under construction.
- The site manager decides (accepts or rejects) and sends samples: a purchaser of the project's
  organisation; when the project names a site manager with a platform account, only that person.
- The inspection authority of the project's city may also send samples and record lab reports.
- Deliveries are seen by whoever sees the project, and by the supplier of the order.
"""

from __future__ import annotations

from core import roles as R
from procurement.machine.stages import CONSTRUCTION
from procurement.projects import policy as project_policy
from procurement.orders.policy import is_order_supplier  # noqa: F401  (the rule's one home; re-used here)

SITE_MANAGER = "site_manager"


def is_site_manager(user, project) -> bool:
    """The project's site manager: its named site manager's account when it has one, else any
    purchaser of the project's organisation."""
    if not project_policy.is_own_purchaser(user, project):
        return False
    named = [p.user_id for p in project.people if p.role == SITE_MANAGER and p.user_id is not None]
    return not named or user.id in named


def can_view_delivery(user, project, order) -> bool:
    return project_policy.can_view_project(user, project) or is_order_supplier(user, order)


def can_record_delivery(user, project, order) -> bool:
    """The order's supplier or the project's site manager, while the project is under construction."""
    return project.stage == CONSTRUCTION and (is_order_supplier(user, order) or is_site_manager(user, project))


def can_decide_delivery(user, project) -> bool:
    """The site manager accepts or rejects deliveries (under construction only)."""
    return project.stage == CONSTRUCTION and is_site_manager(user, project)


def can_sample_delivery(user, project) -> bool:
    """The site manager or the inspection authority of the project's city sends samples and
    records lab reports."""
    return project.stage == CONSTRUCTION and (
        is_site_manager(user, project) or project_policy.is_city_official(user, project, R.INSPECTOR))
