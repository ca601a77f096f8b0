"""Budget rules: the project's purchaser submits, the city's finance office reviews."""

from __future__ import annotations

from core import roles as R
from procurement.machine.stages import BUDGET
from procurement.projects.policy import is_city_official, is_own_purchaser, official_city


def is_budget_submitter(user, project) -> bool:
    """Only the project's purchaser submits its budget."""
    return is_own_purchaser(user, project)


def is_budget_reviewer(user, project) -> bool:
    """A finance office reviews only budgets of its city."""
    return is_city_official(user, project, R.FINANCE_REVIEWER)


def can_submit_budget(user, project) -> bool:
    """The submitter, while the project is in the budget stage."""
    return is_budget_submitter(user, project) and project.stage == BUDGET


def can_review_budget(user, project) -> bool:
    """The reviewer, while the project is in the budget stage."""
    return is_budget_reviewer(user, project) and project.stage == BUDGET


def review_city(user) -> int | None:
    """The city whose budgets `user` reviews (a finance office's city), or None."""
    return official_city(user, R.FINANCE_REVIEWER)
