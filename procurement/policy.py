"""Who may see and change projects (object-level rules for the procurement package).

- purchasers: only their own organisation's projects (view, edit, budget, bill of materials,
  forward transitions);
- finance offices (finance_reviewer): projects of their city; they approve or return budgets
  and may return a design to the budget stage;
- procurement centres (procurement_officer) and inspection authorities (inspector): projects
  of their city, read-only here, plus the returns/advances the stage machine gives their role;
- platform staff (platform_admin, platform_reviewer): read everything, change nothing;
- the public: nothing in this issue (publication of project summaries comes with OCDS open data).
"""

from __future__ import annotations

from sqlalchemy import false, true

from core import roles as R
from procurement import stages

CITY_ROLES = (R.FINANCE_REVIEWER, R.PROCUREMENT_OFFICER, R.INSPECTOR)


def _authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def _org(user):
    return getattr(user, "organisation", None)


def is_platform(user) -> bool:
    return _authenticated(user) and user.has_role(R.PLATFORM_ADMIN, R.PLATFORM_REVIEWER)


def is_own_purchaser(user, project) -> bool:
    """A purchaser of the organisation that owns the project."""
    return (_authenticated(user) and user.has_role(R.PURCHASER)
            and getattr(user, "organisation_id", None) == project.purchaser_org_id)


def is_city_official(user, project, *roles: str) -> bool:
    """Holds one of ``roles`` (default: any city role) in an organisation of the project's city."""
    if not _authenticated(user) or not user.has_role(*(roles or CITY_ROLES)):
        return False
    org = _org(user)
    return bool(org is not None and org.city_id is not None and org.city_id == project.city_id)


def can_create_project(user) -> bool:
    org = _org(user)
    return (_authenticated(user) and user.has_role(R.PURCHASER) and org is not None
            and org.kind == R.ORG_PURCHASER and org.city_id is not None and org.status == "verified")


def can_view_project(user, project) -> bool:
    return is_platform(user) or is_own_purchaser(user, project) or is_city_official(user, project)


def can_edit_project(user, project) -> bool:
    return is_own_purchaser(user, project) and project.stage != stages.CLOSED


def can_submit_budget(user, project) -> bool:
    return is_own_purchaser(user, project) and project.stage == stages.BUDGET


def can_review_budget(user, project) -> bool:
    return is_city_official(user, project, R.FINANCE_REVIEWER) and project.stage == stages.BUDGET


def can_edit_bom(user, project) -> bool:
    return is_own_purchaser(user, project) and project.stage == stages.DESIGN


def can_attach_document(user, project) -> bool:
    """The project's purchaser or an official of its city, until the project is closed."""
    return project.stage != stages.CLOSED and (is_own_purchaser(user, project) or is_city_official(user, project))


def can_request_transition(user, project, transition: stages.Transition) -> bool:
    """Role allowed by the machine for this move, scoped to the organisation or city."""
    if not _authenticated(user):
        return False
    allowed = set(transition.allowed_roles()) & set(user.role_names)
    if not allowed:
        return False
    if R.PURCHASER in allowed and is_own_purchaser(user, project):
        return True
    others = tuple(allowed - {R.PURCHASER})
    return bool(others) and is_city_official(user, project, *others)


def available_transitions(user, project) -> list[stages.Transition]:
    """Moves from the project's stage that this user may request (gates not yet run)."""
    return [t for t in stages.legal_transitions(project.stage) if can_request_transition(user, project, t)]


def visible_projects_filter(user):
    """SQL condition selecting the projects ``user`` may see (for list queries)."""
    from procurement.models import Project

    if not _authenticated(user):
        return false()
    if is_platform(user):
        return true()
    conds = []
    if user.has_role(R.PURCHASER) and getattr(user, "organisation_id", None):
        conds.append(Project.purchaser_org_id == user.organisation_id)
    org = _org(user)
    if user.has_role(*CITY_ROLES) and org is not None and org.city_id is not None:
        conds.append(Project.city_id == org.city_id)
    if not conds:
        return false()
    from sqlalchemy import or_

    return or_(*conds)


def register(app) -> None:
    """Make this package's rules callable from templates as `can(name, ...)`."""
    from core.policy import register_policy

    
    for name, func in {
        "view_project": can_view_project,
        "edit_project": can_edit_project,
        "submit_budget": can_submit_budget,
        "review_budget": can_review_budget,
        "edit_bom": can_edit_bom,
        "attach_project_document": can_attach_document,
        "create_project": can_create_project,
    }.items():
        register_policy(app, name, func)
