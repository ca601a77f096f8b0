"""Who may request which move of the stage machine: one role list per row of the table, scoped
to the project's organisation (purchasers) or city (officials)."""

from __future__ import annotations

from core import roles as R
from core.policy import has_role
from procurement.machine.stages import (ACCEPTANCE, ADVANCE, BUDGET, CLOSED, CONSTRUCTION, DESIGN, PROCUREMENT,
                                        RETURN, Transition, action_name, legal_transitions)
from procurement.projects.policy import is_city_official, is_own_purchaser

#: Who may request each move (the reviewer of the earlier stage's output returns it).
MOVE_ROLES: dict[str, tuple[str, ...]] = {
    action_name(ADVANCE, DESIGN): (R.PURCHASER,),
    action_name(ADVANCE, PROCUREMENT): (R.PURCHASER,),
    action_name(ADVANCE, CONSTRUCTION): (R.PURCHASER, R.PROCUREMENT_OFFICER),
    action_name(ADVANCE, ACCEPTANCE): (R.PURCHASER,),
    action_name(ADVANCE, CLOSED): (R.PURCHASER, R.INSPECTOR),
    action_name(RETURN, BUDGET): (R.FINANCE_REVIEWER,),
    action_name(RETURN, DESIGN): (R.PROCUREMENT_OFFICER,),
    action_name(RETURN, PROCUREMENT): (R.PROCUREMENT_OFFICER,),
    action_name(RETURN, CONSTRUCTION): (R.INSPECTOR,),
}


def roles_for(transition: Transition) -> tuple[str, ...]:
    return MOVE_ROLES[transition.action]


def can_request_transition(user, project, transition: Transition) -> bool:
    """A role the table gives this move, held by the project's own purchaser or an official of
    the project's city."""
    allowed = [role for role in roles_for(transition) if has_role(user, role)]
    if R.PURCHASER in allowed and is_own_purchaser(user, project):
        return True
    officials = tuple(role for role in allowed if role != R.PURCHASER)
    return bool(officials) and is_city_official(user, project, *officials)


def available_transitions(user, project) -> list[Transition]:
    """Moves from the project's stage that this user may request (gates not yet run)."""
    return [t for t in legal_transitions(project.stage) if can_request_transition(user, project, t)]
