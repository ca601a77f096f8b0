"""What waits on people's home pages (`core.worklists`, registered by `wiring`): for a project's
purchaser, deliveries waiting for the site manager's decision; for a city's inspectors,
acceptance checklists waiting for sign-off. Each links to the site page of the oldest one."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core import roles as R
from core.extensions import db
from core.policy import has_role
from core.worklists import WorkItem
from procurement.blueprints import page_path
from procurement.projects import policy as project_policy


def _item(label, query) -> list[WorkItem]:
    rows = db.session.execute(query.with_only_columns(func.count(), func.min(query.selected_columns[0]))).one()
    if not rows[0]:
        return []
    return [WorkItem(label, rows[0], page_path("acceptance.site", project_id=rows[1]))]


def deliveries_to_decide(user) -> list[WorkItem]:
    """Purchasers: recorded deliveries of their organisation's projects."""
    from procurement.deliveries.models import Delivery
    from procurement.deliveries.states import RECORDED
    from procurement.projects.models import Project

    if not has_role(user, R.PURCHASER) or not getattr(user, "organisation_id", None):
        return []
    query = (select(Delivery.project_id).join(Project, Project.id == Delivery.project_id)
             .where(Project.purchaser_org_id == user.organisation_id, Delivery.status == RECORDED))
    return _item(_l("Deliveries waiting for the site manager's decision"), query)


def checklists_to_sign(user) -> list[WorkItem]:
    """Inspectors: draft acceptance checklists of their city's projects."""
    from procurement.acceptance.models import AcceptanceChecklist
    from procurement.acceptance.states import DRAFT
    from procurement.projects.models import Project

    city = project_policy.official_city(user, R.INSPECTOR)
    if city is None:
        return []
    query = (select(AcceptanceChecklist.project_id).join(Project, Project.id == AcceptanceChecklist.project_id)
             .where(Project.city_id == city, AcceptanceChecklist.status == DRAFT))
    return _item(_l("Acceptance checklists waiting for your sign-off"), query)


PROVIDERS = (deliveries_to_decide, checklists_to_sign)
