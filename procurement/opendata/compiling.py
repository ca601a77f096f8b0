"""Compiled releases and records: the OCDS merge routine (release-schema 1.1.5 rules).

Releases are merged oldest first (by date; equal dates keep their order): objects merge field
by field, arrays of objects merge by `id` (identifier merge, in order of first appearance),
other arrays and values replace, `null` removes, empty objects and arrays change nothing, and
the release's own `id`, `date` and `tag` are omitted (``omitWhenMerged``). The compiled release
takes the id ``{ocid}-{date}`` and the date of the newest release, and the tag ``compiled``.
The test suite checks this against `ocdskit`'s own compilation of the whole demo.
"""

from __future__ import annotations

import copy

#: Arrays the schema replaces whole even though they hold objects (``wholeListMerge``).
WHOLE_LIST = {"additionalIdentifiers", "additionalClassifications"}
OMIT_AT_TOP = ("id", "date", "tag")


def _merge(target: dict, source: dict, *, top: bool = False) -> None:
    for key, value in source.items():
        if top and key in OMIT_AT_TOP:
            continue
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict):
            if not value:
                continue
            if not isinstance(target.get(key), dict):
                target[key] = {}
            _merge(target[key], value)
        elif isinstance(value, list):
            if not value:
                continue
            if key in WHOLE_LIST or any(not isinstance(item, dict) for item in value):
                target[key] = copy.deepcopy(value)
                continue
            existing = target.get(key) if isinstance(target.get(key), list) else []
            by_id = {item.get("id"): item for item in existing if isinstance(item, dict) and "id" in item}
            for item in value:
                if "id" in item and item["id"] in by_id:
                    _merge(by_id[item["id"]], item)
                else:
                    merged: dict = {}
                    _merge(merged, item)
                    existing.append(merged)
                    if "id" in item:
                        by_id[item["id"]] = merged
            target[key] = existing
        else:
            target[key] = value


def ordered(releases: list[dict]) -> list[dict]:
    """Releases in merge order: by date, equal dates in the given order."""
    return sorted(releases, key=lambda r: r.get("date") or "")


def compile_release(releases: list[dict]) -> dict:
    """The compiled release of one process's releases (at least one)."""
    releases = ordered(releases)
    compiled: dict = {"tag": ["compiled"]}
    for release in releases:
        _merge(compiled, release, top=True)
    last = releases[-1]
    compiled["ocid"] = last["ocid"]
    compiled["id"] = f"{last['ocid']}-{last['date']}"
    compiled["date"] = last["date"]
    return compiled


def record(releases: list[dict]) -> dict:
    """The OCDS record of one process: its releases (embedded) and the compiled release."""
    releases = ordered(releases)
    return {"ocid": releases[0]["ocid"], "releases": releases, "compiledRelease": compile_release(releases)}
