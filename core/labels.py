"""Readable, translatable names of the code words stored in rows (stages, statuses, kinds, units):
one registry for every package.

Each package adds its groups of names from its `register(app)` (nothing registers itself by being
imported): ``labels.register(app, {"stage": {"budget": _l("Budget"), ...}})``. Templates use the
`label` filter, ``{{ project.stage|label('stage') }}``; code calls `label(value, group)`. A code
with no name shows as itself. Group names are unique across packages; a group may be filled by
several packages (gate checks), as long as each code is named once.
"""
from __future__ import annotations

from typing import Mapping

from flask import current_app

KEY = "labels"


class DuplicateLabel(ValueError):
    """Two registrations name the same code of a group (a wiring mistake, found at start-up)."""


def register(app, groups: Mapping[str, Mapping]) -> None:
    """Add `groups` (``{group: {code: lazy name}}``) to the app's registry."""
    registry = app.extensions.setdefault(KEY, {})
    for group, names in groups.items():
        known = registry.setdefault(group, {})
        for code, name in names.items():
            if code in known and known[code] is not name:
                raise DuplicateLabel("a code is named twice in one label group", group, code)
            known[code] = name


def label(value, group: str) -> str:
    """The translated name of `value` in `group` (the code itself when it has none; "" for None
    without a name). An unknown group is a KeyError: a misspelt group would show codes."""
    found = current_app.extensions[KEY][group].get(value)
    return str(found) if found is not None else ("" if value is None else str(value))


def install(app) -> None:
    """The `label` template filter (core's `register`)."""
    app.extensions.setdefault(KEY, {})
    app.add_template_filter(label, "label")
