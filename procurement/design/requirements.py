"""A bill line's requirements and the catalog products that meet them.

Each line's requirements are the city's rules for its category under the project's standard
version, optionally tightened by the designer (never loosened: every tightening is checked by
the catalog's compliance engine). The design page and the design gates ask
:func:`compliant_products` which listed products meet a line's effective requirements.
"""

from __future__ import annotations

import json

import catalog.interface as catalog
from core.i18n import N_
from core.validation import Errors
from procurement import standards as std

MAX_TIGHTENINGS = 30


def rule_label(rule: catalog.Rule) -> str:
    return f"{rule.name_en or rule.key} ({rule.key} {rule.describe_limit()})"


def clean_tightenings(rules: list[catalog.Rule], raw, errors: Errors, field: str = "tightenings") -> dict:
    """Validate ``{indicator key: stricter limit}`` against the line's rules.

    A key the category has no rule for, or a limit looser than the standard's, is an error that
    names the rule. Empty values are ignored (no tightening).
    """
    if raw in (None, "", {}):
        return {}
    if not isinstance(raw, dict):
        errors.add(field, N_("Must be an object of {indicator key: limit}."))
        return {}
    if len(raw) > MAX_TIGHTENINGS:
        errors.add(field, N_("At most %(n)s tightened limits."), n=MAX_TIGHTENINGS)
        return {}
    by_key = {r.key: r for r in rules}
    out = {}
    for key, value in raw.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        rule = by_key.get(str(key))
        where = f"{field}.{key}"
        if rule is None:
            errors.add(where, N_("The standard has no rule “%(key)s” for this category (rules: %(known)s)."),
                       key=str(key)[:40], known=", ".join(sorted(by_key)) or "-")
            continue
        ok, reason = catalog.check_tightening(rule, value)
        if not ok:
            errors.add(where, N_("Looser than the standard: %(rule)s: %(reason)s."), rule=rule_label(rule),
                       reason=str(reason))
            continue
        try:
            out[rule.key] = catalog.typed_limit(rule, value)
        except (TypeError, ValueError):
            errors.add(where, N_("%(rule)s: “%(value)s” is not a valid limit."), rule=rule_label(rule),
                       value=str(value)[:40])
    return out


def effective_rules(project, line) -> list[catalog.Rule]:
    """The line's requirements: the city's rules for its category, with the designer's tightenings."""
    return catalog.tightened(std.rules_for_line(project, line.category), line.tightenings or {})


def candidates_for(project, lines) -> dict[int, list[catalog.ProductOffer]]:
    """For every category of `lines`: its listed products passing in the project's city, cheapest
    first; with the rules of those categories, loaded in a fixed number of queries."""
    ids = {line.category_id for line in lines}
    std.prefetch_rules(project, ids)
    return catalog.listed_passing_products_by_category(project.city_id, ids)


def compliant_products(project, line, *, limit: int | None = None,
                       candidates: list | None = None) -> list[catalog.ProductOffer]:
    """Listed products with a passing verdict for the project's city that also meet the line's
    effective requirements (project's standard version + tightenings), cheapest first."""
    return catalog.compliant_products(project.city_id, line.category_id, effective_rules(project, line),
                                      limit=limit, candidates=candidates)


def line_offers(project, lines: list, *, show: int = 5) -> dict[int, dict]:
    """Per line id: how many products satisfy it, their price range and the cheapest few (the same
    number of queries for any number of lines)."""
    by_category = candidates_for(project, lines)
    same_needs: dict[str, list] = {}  # lines of one category with the same tightenings share the answer
    out = {}
    for line in lines:
        needs = json.dumps([line.category_id, line.tightenings or {}], sort_keys=True, default=str)
        if needs not in same_needs:
            same_needs[needs] = compliant_products(project, line, candidates=by_category[line.category_id])
        products = same_needs[needs]
        low, high = catalog.price_range(products)
        out[line.id] = {"count": len(products), "min_price_fen": low, "max_price_fen": high,
                        "products": products[:show]}
    return out
