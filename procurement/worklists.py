"""What waits for city officials on their home page (`core.worklists`; registered by
`procurement.register`): the finance office's budgets to review, the procurement centre's
projects in procurement. Each count is one query."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.worklists import WorkItem
from procurement.blueprints import page_path
from procurement.budget import policy as budget_policy
from procurement.budget.models import SUBMITTED
from procurement.budget.services import count_awaiting_review
from procurement.machine.stages import BUDGET, PROCUREMENT
from procurement.projects import policy as project_policy
from procurement.projects.services import count_in_stage


def budgets_to_review(user) -> list[WorkItem]:
    """Finance offices: their city's budgets waiting for review."""
    city = budget_policy.review_city(user)
    if city is None:
        return []
    return [WorkItem(_l("Budgets waiting for your review"), count_awaiting_review(city),
                     page_path("procurement.project_list", stage=BUDGET, budget=SUBMITTED))]


def projects_in_procurement(user) -> list[WorkItem]:
    """Procurement centres: their city's projects in the procurement stage."""
    city = project_policy.procurement_city(user)
    if city is None:
        return []
    return [WorkItem(_l("Projects of your city in procurement"), count_in_stage(city, PROCUREMENT),
                     page_path("procurement.project_list", stage=PROCUREMENT))]


PROVIDERS = (budgets_to_review, projects_in_procurement)
