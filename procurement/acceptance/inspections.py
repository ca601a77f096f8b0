"""What acceptance reads from the inspections capability, through its gate module only
(`procurement.inspections.gate`): the project's open rectification notices and its inspections
with their results, as plain dicts."""

from __future__ import annotations

from procurement.inspections import gate


def open_rectifications(project_id: int) -> list[dict]:
    """The project's rectification notices not closed yet (open, responded, escalated)."""
    return gate.open_rectifications(project_id)


def project_inspections(project_id: int) -> list[dict]:
    """The inspections of the project and their results."""
    return gate.project_inspections(project_id)


def field(item: dict, name: str, default=None):
    """A field of an inspection or rectification row."""
    return item.get(name, default)
