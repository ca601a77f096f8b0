"""Who may do what in completion acceptance (one function per rule).

- The project's purchaser or the inspection authority of its city generates the checklist.
- Only the acceptance inspector signs it off: an inspector of the project's city.
- The project's purchaser records payments to its suppliers.
- The loop-closure report is seen by whoever sees the project.
"""

from __future__ import annotations

from core import roles as R
from procurement.machine.stages import ACCEPTANCE, CLOSED, CONSTRUCTION
from procurement.projects import policy as project_policy


def is_acceptance_inspector(user, project) -> bool:
    """An inspector of the inspection authority of the project's city."""
    return project_policy.is_city_official(user, project, R.INSPECTOR)


def can_generate_checklist(user, project) -> bool:
    return project.stage == ACCEPTANCE and (project_policy.is_own_purchaser(user, project)
                                            or is_acceptance_inspector(user, project))


def can_sign_acceptance(user, project) -> bool:
    return project.stage == ACCEPTANCE and is_acceptance_inspector(user, project)


def can_record_payment(user, project) -> bool:
    """The project's purchaser pays its suppliers during construction and acceptance."""
    return project.stage in (CONSTRUCTION, ACCEPTANCE) and project_policy.is_own_purchaser(user, project)


def can_view_report(user, project) -> bool:
    return project_policy.can_view_project(user, project)


def report_is_final(project) -> bool:
    """The report describes a closed loop (otherwise it is marked provisional)."""
    return project.stage == CLOSED
