"""Bill-of-materials rules: only the project's owner (its purchaser, i.e. its design team)
edits the bill, and only in the design stage."""

from __future__ import annotations

from procurement.machine.stages import DESIGN
from procurement.projects.policy import is_own_purchaser


def is_bill_owner(user, project) -> bool:
    """Only the owner edits a bill: the purchaser of the project's organisation."""
    return is_own_purchaser(user, project)


def can_edit_bom(user, project) -> bool:
    """The owner, while the project is in the design stage."""
    return is_bill_owner(user, project) and project.stage == DESIGN
