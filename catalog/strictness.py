"""Tightened limits: is a designer's limit no looser than a demand-standard rule's? (pure)

A bill of materials may tighten a city's rule for a line (``u_value <= 2.5`` where the standard
says ``<= 3.0``) but never loosen it. :func:`is_at_least_as_strict` decides, with unit conversion;
:func:`typed_limit` turns the text a designer typed into the limit type the rule's comparison
holds. Both belong to the compliance engine (:mod:`catalog.compliance`) and share its value
normalisation (:mod:`catalog.rules`); reasons are translatable :class:`~catalog.rules.Reason` messages.
"""
from __future__ import annotations

from typing import Any

from core.i18n import N_

from catalog import units as _units
from catalog.rules import (NUMERIC_COMPARISONS, Reason, Rule, as_bool, as_number, is_number, meets_limit, norm_grade,
                           norm_text, with_unit, yes_no)

__all__ = ["is_at_least_as_strict", "typed_limit"]

_TRUTHY = ("1", "true", "yes", "y", "是")


def _numeric(rule: Rule, candidate_limit: Any, candidate_unit: str | None) -> tuple[bool, Reason]:
    number = as_number(candidate_limit)
    if number is None:
        return False, Reason(N_("%(value)s is not a number"), value=repr(candidate_limit))
    unit = rule.unit if candidate_unit is None else candidate_unit
    if (unit or "") != (rule.unit or ""):
        converted, problem = _units.try_convert(number, unit, rule.unit)
        if problem:
            return False, Reason.of(problem)
        number = converted
    ok = meets_limit(rule.comparison, number, float(rule.limit))
    template = (N_("%(comparison)s %(value)s is at least as strict as the standard's %(comparison)s %(limit)s") if ok
                else N_("%(comparison)s %(value)s is looser than the standard's %(comparison)s %(limit)s"))
    return ok, Reason(template, comparison=rule.comparison, value=with_unit(number, rule.unit),
                      limit=rule.limit_text())


def is_at_least_as_strict(rule: Rule, candidate_limit: Any, candidate_unit: str | None = None) -> tuple[bool, Reason]:
    """Is ``candidate_limit`` (e.g. from a bill of materials) no looser than ``rule``'s limit?

    ``candidate_unit`` defaults to the rule's unit; it is converted when it differs. Returns
    ``(ok, reason)``; never raises on bad input (a bad candidate is simply not accepted).
    """
    c = rule.comparison
    if candidate_limit is None or (isinstance(candidate_limit, str) and not candidate_limit.strip()):
        return False, Reason(N_("no limit given"))

    if c in NUMERIC_COMPARISONS or (c == "=" and is_number(rule.limit)):
        return _numeric(rule, candidate_limit, candidate_unit)

    if c == "=":
        ok = norm_text(candidate_limit) == norm_text(rule.limit)
        template = N_("same as the standard's = %(limit)s") if ok else N_("differs from the standard's = %(limit)s")
        return ok, Reason(template, limit=rule.limit_text())

    if c == "in":
        cands = candidate_limit if isinstance(candidate_limit, (list, tuple, set, frozenset)) else [candidate_limit]
        allowed = {norm_text(v) for v in rule.limit or []}
        extra = [str(v) for v in cands if norm_text(v) not in allowed]
        if not cands:
            return False, Reason(N_("empty set of allowed values"))
        if extra:
            return False, Reason(N_("allows %(extra)s which the standard does not (one of %(values)s)"),
                                 extra=", ".join(extra), values=rule.limit_text())
        return True, Reason(N_("subset of the standard's one of %(values)s"), values=rule.limit_text())

    if c == "at_least":
        scale = [norm_grade(s) for s in (rule.scale or ())]
        grade = norm_grade(candidate_limit)
        if grade not in scale:
            return False, Reason(N_("%(value)s is not on the scale %(scale)s"), value=str(candidate_limit),
                                 scale=" > ".join(rule.scale or ()))
        ok = scale.index(grade) <= scale.index(norm_grade(rule.limit))
        template = (N_("at least %(grade)s is at least as strict as the standard's at least %(limit)s") if ok
                    else N_("at least %(grade)s is looser than the standard's at least %(limit)s"))
        return ok, Reason(template, grade=grade, limit=str(rule.limit))

    if c == "bool":
        got, want = as_bool(candidate_limit), as_bool(rule.limit)
        if got is None:
            return False, Reason(N_("%(value)s is not yes/no"), value=repr(candidate_limit))
        ok = got == want
        template = N_("same as the standard's %(answer)s") if ok else N_("differs from the standard's %(answer)s")
        return ok, Reason(template, answer=yes_no(bool(want)))

    return False, Reason(N_("unsupported comparison %(comparison)s"), comparison=repr(c))


def typed_limit(rule: Rule, value: Any) -> Any:
    """A candidate limit in the type a Rule of this comparison holds: float for ``<=``/``>=`` (and
    numeric ``=``), a list for ``in``, a bool for ``bool``, text otherwise. ValueError/TypeError
    when the value is not of that type."""
    if rule.comparison in NUMERIC_COMPARISONS or (rule.comparison == "=" and is_number(rule.limit)):
        return float(str(value).strip().replace(",", ""))
    if rule.comparison == "in":
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return list(value)
    if rule.comparison == "bool":
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in _TRUTHY
    return str(value).strip()
