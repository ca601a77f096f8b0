"""Checking demand-standard rule definitions: the seed files and the changes an operator gives
for a new standard version (pure: no Flask app, no database).

`rule_from_data` builds a :class:`~catalog.rules.Rule` from the seed JSON shape;
`validate_rule` refuses an inconsistent one with a translatable :class:`RuleError`;
`clean_rule_change` checks one change of a new version and collects per-field messages.
"""
from __future__ import annotations

import re

from core.i18n import N_
from core.models import CLIMATE_ZONES
from core.validation import InputError

from catalog import units as _units
from catalog.rules import COMPARISONS, KINDS, NUMERIC_COMPARISONS, Rule, as_bool, is_number, norm_grade

CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
RULE_FIELDS = ("key", "name_en", "name_zh", "unit", "kind", "comparison", "limit", "scale", "test_standard",
               "confidence", "source")


class RuleError(InputError):
    """A rule definition is inconsistent; `template`/`params` are the translatable message."""


def rule_from_data(data: dict) -> Rule:
    """A pure Rule from the seed JSON shape (also used to validate operator input)."""
    return Rule(
        key=data["key"], comparison=data["comparison"], limit=data.get("limit"), unit=data.get("unit") or "",
        kind=data.get("kind", "quality"), name_en=data.get("name_en", ""), name_zh=data.get("name_zh", ""),
        scale=tuple(data["scale"]) if data.get("scale") else None, test_standard=data.get("test_standard", ""),
        climate_zone=data.get("climate_zone"), city_code=data.get("city_code"),
    )


def validate_rule(rule: Rule) -> None:
    """Raise :class:`RuleError` if a rule is malformed (seeding and new versions)."""
    key = rule.key
    if not key:
        raise RuleError(N_("rule key is required"))
    if rule.comparison not in COMPARISONS:
        raise RuleError(N_("%(key)s: unknown comparison %(comparison)s"), key=key, comparison=repr(rule.comparison))
    if rule.kind not in KINDS:
        raise RuleError(N_("%(key)s: kind must be green or quality"), key=key)
    if rule.unit and not _units.is_known(rule.unit):
        raise RuleError(N_("%(key)s: unknown unit %(unit)s"), key=key, unit=repr(rule.unit))
    c = rule.comparison
    if c in NUMERIC_COMPARISONS and not is_number(rule.limit):
        raise RuleError(N_("%(key)s: limit must be a number for %(comparison)s"), key=key, comparison=c)
    if c == "in" and (not isinstance(rule.limit, (list, tuple)) or not rule.limit):
        raise RuleError(N_("%(key)s: limit must be a non-empty list for 'in'"), key=key)
    if c == "at_least":
        if not rule.scale:
            raise RuleError(N_("%(key)s: 'at_least' needs a scale"), key=key)
        if norm_grade(rule.limit) not in [norm_grade(s) for s in rule.scale]:
            raise RuleError(N_("%(key)s: limit %(limit)s is not on the scale %(scale)s"), key=key,
                            limit=repr(rule.limit), scale=", ".join(rule.scale))
    if c == "bool" and as_bool(rule.limit) is None:
        raise RuleError(N_("%(key)s: limit must be true or false for 'bool'"), key=key)
    if c == "=" and rule.limit is None:
        raise RuleError(N_("%(key)s: limit is required for '='"), key=key)


def scope_of(climate_zone: str | None, city_code: str | None) -> str:
    """``base``, ``zone:<zone>`` or ``city:<code>``: which rules a change replaces."""
    if city_code:
        return f"city:{city_code}"
    if climate_zone:
        return f"zone:{climate_zone}"
    return "base"


def clean_rule_change(change, category_codes, errors: dict, n: int) -> tuple | None:
    """One rule change of a new version: ``(category code, key, scope, rule data or None to
    remove)``, or None with messages in ``errors`` (keys ``rules.<n>``, ``rules.<n>.<field>``)."""
    prefix = f"rules.{n}"
    if not isinstance(change, dict):
        errors[prefix] = N_("Each change must be an object.")
        return None
    code = str(change.get("category") or "").strip()
    if code not in category_codes:
        errors[f"{prefix}.category"] = (N_("Unknown category '%(code)s'."), {"code": code[:64]})
        return None
    zone = change.get("climate_zone") or None
    city = change.get("city_code") or None
    if zone is not None and zone not in CLIMATE_ZONES:
        errors[f"{prefix}.climate_zone"] = (N_("Unknown climate zone '%(zone)s'."), {"zone": str(zone)[:40]})
        return None
    if city is not None and not CODE_RE.match(str(city)):
        errors[f"{prefix}.city_code"] = N_("City codes are lower-case letters, digits and underscores.")
        return None
    if zone and city:
        errors[prefix] = N_("A rule is scoped to a climate zone or a city, not both.")
        return None
    key = str(change.get("key") or "").strip()
    if not CODE_RE.match(key):
        errors[f"{prefix}.key"] = N_("Indicator keys are lower-case letters, digits and underscores.")
        return None
    if change.get("remove"):
        return (code, key, scope_of(zone, city), None)
    data = {k: change.get(k) for k in RULE_FIELDS if change.get(k) is not None}
    data["key"] = key
    data.setdefault("kind", "quality")
    if zone:
        data["climate_zone"] = zone
    if city:
        data["city_code"] = city
    if data.get("unit") and _units.is_known(data["unit"]):
        data["unit"] = _units.canonical(data["unit"])
    try:
        validate_rule(rule_from_data(data))
    except RuleError as exc:
        errors[prefix] = exc.message()
        return None
    except (KeyError, TypeError):
        errors[prefix] = N_("The rule is incomplete: it needs a key, a comparison and a limit.")
        return None
    return (code, key, scope_of(zone, city), data)
