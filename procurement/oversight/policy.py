"""Who sees and changes oversight (one function per rule; services enforce them, pages ask the
same functions through `can(...)`).

- Platform oversight staff (administrators and reviewers) see every city's dashboard and red
  flags, enter the annual targets and the dated oversight rules, and refresh the figures.
- A city's finance office sees its own city's dashboard and red flags, no other city's.
"""

from __future__ import annotations

from core import roles as R
from core.policy import has_role, is_platform, same_city

#: Who has a dashboard page at all (the routes' role check; the city is checked per object).
DASHBOARD_ROLES = (R.FINANCE_REVIEWER, R.PLATFORM_ADMIN, R.PLATFORM_REVIEWER)
#: Platform oversight staff: targets, rules, refresh.
OVERSIGHT_ROLES = (R.PLATFORM_ADMIN, R.PLATFORM_REVIEWER)


def can_manage_oversight(user) -> bool:
    """Platform oversight staff enter targets and rules and refresh the figures."""
    return is_platform(user)


def can_view_dashboard(user, city_id: int | None = None) -> bool:
    """Platform staff: every city (and all cities together, `city_id` None); a finance office:
    its own city only."""
    if is_platform(user):
        return True
    return city_id is not None and has_role(user, R.FINANCE_REVIEWER) and same_city(user, city_id)


def can_open_dashboards(user) -> bool:
    """Platform staff and finance offices have a dashboard page (the navigation entry)."""
    return is_platform(user) or has_role(user, R.FINANCE_REVIEWER)


def home_city_id(user) -> int | None:
    """The city whose dashboard a finance office opens by default."""
    org = getattr(user, "organisation", None)
    return getattr(org, "city_id", None)
