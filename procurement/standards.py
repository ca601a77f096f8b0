"""What projects need from the catalog's demand standards, through `catalog.interface` only.

A project is fixed to the standard edition in force on its registration date; its bill lines
are judged by the rules of that edition's version in force on the day of the check (a published
correction of the same edition applies, a newer edition does not), resolved for the project's
city, and by that version's mandatory/optional split.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import catalog.interface as catalog
from core.errors import ValidationError
from core.i18n import N_
from core.timeutil import today_cn
from procurement.design.share import to_fraction

MANDATORY = catalog.MANDATORY
OPTIONAL = catalog.OPTIONAL


def edition_in_force(on: dt.date) -> catalog.VersionInfo:
    """The standard version in force on ``on`` (its edition is fixed on the project); ValidationError if none."""
    version = catalog.version_in_force(on)
    if version is None:
        raise ValidationError(N_("No demand standard is in force on %(date)s; a project cannot be registered "
                                 "before one is."), date=on.isoformat())
    return version


def edition_label(version: catalog.VersionInfo) -> dict:
    """How a project's record names its standard."""
    return {"edition": version.edition_code, "version": version.number, "version_id": version.id,
            "title": version.edition_title}


def _cache(project) -> dict:
    cache = project.__dict__.get("_std_cache")
    if cache is None:
        cache = {}
        project.__dict__["_std_cache"] = cache  # lives as long as the instance (one session)
    return cache


def current_version_id(project) -> int:
    """The version of the project's (fixed) edition in force today: corrections to the edition apply."""
    cache = _cache(project)
    if "version" not in cache:
        version = catalog.current_version_of_edition(project.standard_edition_id, today_cn())
        cache["version"] = version.id if version is not None else project.standard_version_id
    return cache["version"]


def requirement_levels(project) -> dict[int, str]:
    """{category_id: 'mandatory'|'optional'} under the project's edition."""
    cache = _cache(project)
    if "levels" not in cache:
        cache["levels"] = catalog.requirement_levels(current_version_id(project))
    return cache["levels"]


def requirement_level(project, category) -> str | None:
    """``mandatory``, ``optional`` or None when the project's edition does not know the category."""
    if category is None:
        return None
    return requirement_levels(project).get(category.id)


def optional_share(project) -> Fraction:
    """The edition's minimum green share of optional kinds, exactly (0 when the edition has none)."""
    value = project.standard_edition.optional_green_share_min
    return Fraction(0) if value is None else to_fraction(value)


def rules_for_line(project, category) -> list[catalog.Rule]:
    """The city's rules for ``category`` under the project's edition (one per indicator key)."""
    return rules_for_id(project, category.id)


def rules_for_id(project, category_id: int) -> list[catalog.Rule]:
    """`rules_for_line` by category id."""
    cache = _cache(project)
    key = ("rules", category_id)
    if key not in cache:
        cache[key] = catalog.rules_for(category_id, project.city_id, edition=project.standard_edition_id,
                                       on=today_cn())
    return cache[key]


def prefetch_rules(project, categories) -> None:
    """Load the rules of several categories (ids or objects with `.id`) in one query, so that
    `rules_for_line` of any of them costs nothing more (pages showing many lines call this first)."""
    cache = _cache(project)
    missing = {getattr(c, "id", c) for c in categories} - {key[1] for key in cache if key[0] == "rules"}
    if missing:
        found = catalog.rules_by_category(missing, project.city_id, edition=project.standard_edition_id,
                                          on=today_cn())
        cache.update({("rules", cid): rules for cid, rules in found.items()})


def find_category(ref) -> catalog.CategoryInfo | None:
    """A category by code (or numeric id)."""
    return catalog.find_category(ref)


def edition_categories(project) -> list[tuple[catalog.CategoryInfo, str]]:
    """(category, level) for every category of the project's edition, in catalogue order."""
    levels = requirement_levels(project)
    return [(c, levels[c.id]) for c in catalog.categories(levels)]
