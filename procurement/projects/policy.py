"""Who may see, register and change projects: the object rules every capability builds on.

- purchasers: only their own organisation's projects;
- city officials (finance office, procurement centre, inspection authority): projects of their
  city;
- platform staff (platform_admin, platform_reviewer): read everything, change nothing;
- the public: nothing (publication of project summaries comes with OCDS open data).

Built on the principal checks of `core.policy`; services, routes and templates (`can(...)`) all
call these functions.
"""

from __future__ import annotations

from sqlalchemy import false, or_, true

from core import roles as R
from core.policy import has_role, in_organisation, is_platform, organisation_of, same_city
from procurement.machine.stages import CLOSED

CITY_ROLES = (R.FINANCE_REVIEWER, R.PROCUREMENT_OFFICER, R.INSPECTOR)
#: Roles that have a projects page at all (navigation, list page).
PROJECT_ROLES = (R.PURCHASER, *CITY_ROLES, R.PLATFORM_ADMIN, R.PLATFORM_REVIEWER)


def is_own_purchaser(user, project) -> bool:
    """A purchaser of the organisation that owns the project."""
    return has_role(user, R.PURCHASER) and in_organisation(user, project.purchaser_org_id)


def is_city_official(user, project, *roles: str) -> bool:
    """Holds one of ``roles`` (default: any city role) in an organisation of the project's city."""
    return has_role(user, *(roles or CITY_ROLES)) and same_city(user, project.city_id)


def can_create_project(user) -> bool:
    """A purchaser of a verified purchasing organisation that belongs to a city."""
    org = organisation_of(user)
    return (has_role(user, R.PURCHASER) and org is not None and org.kind == R.ORG_PURCHASER
            and org.city_id is not None and org.status == "verified")


def can_view_project(user, project) -> bool:
    return is_platform(user) or is_own_purchaser(user, project) or is_city_official(user, project)


def can_edit_project(user, project) -> bool:
    """Only the owning purchaser edits a project's descriptive fields, until it is closed."""
    return is_own_purchaser(user, project) and project.stage != CLOSED


def official_city(user, *roles: str) -> int | None:
    """The city whose projects `user` oversees in one of `roles` (default: any city role), or None."""
    org = organisation_of(user)
    if has_role(user, *(roles or CITY_ROLES)) and org is not None and org.city_id is not None:
        return org.city_id
    return None


def procurement_city(user) -> int | None:
    """The city whose projects in procurement `user` runs (a procurement centre's officer), or None."""
    return official_city(user, R.PROCUREMENT_OFFICER)


def visible_projects_filter(user):
    """SQL condition selecting the projects ``user`` may see (the list form of `can_view_project`)."""
    from procurement.projects.models import Project

    if is_platform(user):
        return true()
    conds = []
    if has_role(user, R.PURCHASER) and getattr(user, "organisation_id", None):
        conds.append(Project.purchaser_org_id == user.organisation_id)
    city = official_city(user)
    if city is not None:
        conds.append(Project.city_id == city)
    return or_(*conds) if conds else false()
