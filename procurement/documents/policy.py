"""Who attaches documents to a project."""

from __future__ import annotations

from procurement.machine.stages import CLOSED
from procurement.projects.policy import is_city_official, is_own_purchaser


def can_attach_document(user, project) -> bool:
    """The project's purchaser or an official of its city, until the project is closed."""
    return project.stage != CLOSED and (is_own_purchaser(user, project) or is_city_official(user, project))
