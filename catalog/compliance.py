"""Compliance engine: evaluates declared indicator values against demand-standard rules.

Pure Python on purpose (no Flask app, no database): the search indexer, the product pages, the
bill of materials checks and the acceptance checks all call the same functions, and the tests can
exercise every branch without a server. Database access lives in ``catalog.services.standards``;
the vocabulary (:class:`~catalog.rules.Rule`, :class:`~catalog.rules.Value`,
:class:`~catalog.rules.Reason`) in :mod:`catalog.rules`.

* :func:`resolve_rules` - picks, per indicator key, the rule that applies in a city
  (city override beats climate-zone override beats the base rule).
* :func:`evaluate` - per rule ``pass`` / ``fail`` / ``missing`` and an overall verdict
  (``fail`` if any rule fails, else ``incomplete`` if any is missing, else ``pass``).

Whether a designer's tightened limit is no looser than a rule's lives in :mod:`catalog.strictness`.

Problems with the *data* (unknown unit, text where a number is needed, value off the scale) are
reported as ``missing`` with a reason: the evidence does not prove compliance, but it does not prove
non-compliance either. The engine never raises on bad values.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from core.i18n import N_

from catalog import units as _units
from catalog.rules import (FAIL, INCOMPLETE, MISSING, NUMERIC_COMPARISONS, PASS, Reason, Rule, Value, as_bool,
                           as_number, close_enough, is_number, meets_limit, norm_grade, norm_text, with_unit, yes_no)

__all__ = ["IndicatorResult", "Evaluation", "resolve_rules", "evaluate", "evaluate_rule"]


@dataclass(frozen=True)
class IndicatorResult:
    key: str
    status: str  # pass | fail | missing
    limit: Any
    value: Any  # declared value, converted into the rule's unit when numeric
    unit: str  # the rule's unit
    reason: Reason
    kind: str = "quality"
    comparison: str = ""
    declared_value: Any = None
    declared_unit: str = ""
    name_en: str = ""
    name_zh: str = ""
    test_standard: str = ""
    rule_id: int | None = None

    def to_dict(self) -> dict:
        # Hand-written: dataclasses.asdict deep-copies every value and dominated bulk imports.
        limit = self.limit
        if isinstance(limit, tuple):
            limit = list(limit)
        return {"key": self.key, "status": self.status, "limit": limit, "value": self.value, "unit": self.unit,
                "reason": str(self.reason), "reason_message": _payload(self.reason), "kind": self.kind, "comparison": self.comparison,
                "declared_value": self.declared_value, "declared_unit": self.declared_unit, "name_en": self.name_en,
                "name_zh": self.name_zh, "test_standard": self.test_standard, "rule_id": self.rule_id}


@dataclass(frozen=True)
class Evaluation:
    verdict: str  # pass | fail | incomplete
    results: tuple[IndicatorResult, ...] = field(default_factory=tuple)
    version_id: int | None = None

    @property
    def failed(self) -> list[IndicatorResult]:
        return [r for r in self.results if r.status == FAIL]

    @property
    def missing(self) -> list[IndicatorResult]:
        return [r for r in self.results if r.status == MISSING]

    def to_dict(self) -> dict:
        """JSON-serialisable form (stored as a verdict's details)."""
        return {
            "verdict": self.verdict,
            "version_id": self.version_id,
            "results": [r.to_dict() for r in self.results],
        }


# --------------------------------------------------------------------------- helpers


def _payload(reason) -> dict:
    """A reason as stored: its template and parameters (plain text for a plain string)."""
    return reason.payload() if isinstance(reason, Reason) else {"key": str(reason), "params": {}}


# --------------------------------------------------------------------------- resolution


def resolve_rules(rules: Iterable[Rule], city_code: str | None, climate_zone: str | None) -> list[Rule]:
    """Return the rules that apply in a city, one per indicator key.

    Per key: a rule for this ``city_code`` beats one for this ``climate_zone``, which beats the base
    rule (no zone, no city). Rules scoped to other cities or zones are dropped, so a key that only has
    overrides elsewhere does not apply here. Keys keep the order of their first appearance.
    """
    best: dict[str, tuple[int, Rule]] = {}
    order: list[str] = []
    for rule in rules:
        if rule.key not in order:
            order.append(rule.key)
        if rule.city_code:
            if not city_code or rule.city_code != city_code:
                continue
            rank = 3
        elif rule.climate_zone:
            if not climate_zone or rule.climate_zone != climate_zone:
                continue
            rank = 2
        else:
            rank = 1
        current = best.get(rule.key)
        if current is None or rank > current[0]:
            best[rule.key] = (rank, rule)
    return [best[k][1] for k in order if k in best]


# --------------------------------------------------------------------------- evaluation


def _result(rule: Rule, status: str, reason: Reason, value: Any = None, declared: Value | None = None) -> IndicatorResult:
    return IndicatorResult(
        key=rule.key,
        status=status,
        limit=list(rule.limit) if isinstance(rule.limit, tuple) else rule.limit,
        value=value,
        unit=rule.unit,
        reason=reason,
        kind=rule.kind,
        comparison=rule.comparison,
        declared_value=None if declared is None else declared.value,
        declared_unit="" if declared is None else (declared.unit or ""),
        name_en=rule.name_en,
        name_zh=rule.name_zh,
        test_standard=rule.test_standard,
        rule_id=rule.id,
    )


def _numeric_value(rule: Rule, declared: Value) -> tuple[float | None, Reason | None]:
    number = as_number(declared.value)
    if number is None:
        return None, Reason(N_("declared value %(value)s is not a number"), value=repr(declared.value))
    if (declared.unit or "") == (rule.unit or ""):
        return number, None
    converted, problem = _units.try_convert(number, declared.unit, rule.unit)
    if problem:
        return None, Reason.of(problem)
    return converted, None



def evaluate_rule(rule: Rule, declared: Value | None) -> IndicatorResult:
    """Evaluate one rule against one declared value (``None`` = not declared)."""
    if declared is None or declared.value is None or (isinstance(declared.value, str) and not declared.value.strip()):
        return _result(rule, MISSING, Reason(N_("no value declared for %(key)s"), key=rule.key), declared=declared)
    c = rule.comparison

    if c in NUMERIC_COMPARISONS or (c == "=" and is_number(rule.limit)):
        value, problem = _numeric_value(rule, declared)
        if problem:
            return _result(rule, MISSING, problem, declared=declared)
        ok = meets_limit(c, value, float(rule.limit))
        template = N_("%(value)s meets %(comparison)s %(limit)s") if ok else \
            N_("%(value)s does not meet %(comparison)s %(limit)s")
        reason = Reason(template, value=with_unit(value, rule.unit), comparison=c, limit=rule.limit_text())
        return _result(rule, PASS if ok else FAIL, reason, value=value, declared=declared)

    if c == "=":
        ok = norm_text(declared.value) == norm_text(rule.limit)
        reason = Reason(N_("%(value)s equals %(limit)s") if ok else N_("%(value)s is not %(limit)s"),
                        value=str(declared.value), limit=str(rule.limit))
        return _result(rule, PASS if ok else FAIL, reason, value=declared.value, declared=declared)

    if c == "in":
        allowed = [norm_text(v) for v in rule.limit or []]
        number = as_number(declared.value)
        ok = norm_text(declared.value) in allowed or (
            number is not None and any(as_number(v) is not None and close_enough(number, as_number(v)) for v in rule.limit or [])
        )
        reason = Reason(N_("%(value)s is one of %(values)s") if ok else N_("%(value)s is not one of %(values)s"),
                        value=str(declared.value), values=rule.limit_text())
        return _result(rule, PASS if ok else FAIL, reason, value=declared.value, declared=declared)

    if c == "at_least":
        scale = [norm_grade(s) for s in (rule.scale or ())]
        grade = norm_grade(declared.value)
        if grade not in scale:
            return _result(rule, MISSING, Reason(N_("declared grade %(grade)s is not on the scale %(scale)s"),
                                                 grade=str(declared.value), scale=" > ".join(rule.scale or ())),
                           declared=declared)
        ok = scale.index(grade) <= scale.index(norm_grade(rule.limit))
        reason = Reason(N_("grade %(grade)s meets at least %(limit)s (%(scale)s)") if ok
                        else N_("grade %(grade)s is below at least %(limit)s (%(scale)s)"),
                        grade=grade, limit=str(rule.limit), scale=" > ".join(rule.scale or ()))
        return _result(rule, PASS if ok else FAIL, reason, value=grade, declared=declared)

    if c == "bool":
        got, want = as_bool(declared.value), as_bool(rule.limit)
        if got is None:
            return _result(rule, MISSING, Reason(N_("declared value %(value)s is not yes/no"), value=repr(declared.value)),
                           declared=declared)
        ok = got == want
        reason = Reason(N_("declared %(declared)s, required %(required)s"), declared=yes_no(got),
                        required=yes_no(bool(want)))
        return _result(rule, PASS if ok else FAIL, reason, value=got, declared=declared)

    return _result(rule, MISSING, Reason(N_("unsupported comparison %(comparison)s"), comparison=repr(c)),
                   declared=declared)


def evaluate(rules: Sequence[Rule], values: Iterable[Value] | Mapping[str, Value], version_id: int | None = None) -> Evaluation:
    """Evaluate declared ``values`` against already-resolved ``rules``.

    Values are matched by key; when a key is declared twice the last one counts. The overall verdict
    is ``fail`` if any indicator fails, otherwise ``incomplete`` if any is missing, otherwise ``pass``
    (a category without rules passes vacuously).
    """
    by_key: dict[str, Value] = dict(values) if isinstance(values, Mapping) else {v.key: v for v in values}
    results = tuple(evaluate_rule(rule, by_key.get(rule.key)) for rule in rules)
    return Evaluation(verdict=overall(r.status for r in results), results=results, version_id=version_id)


def overall(statuses: Iterable[str]) -> str:
    """The overall verdict from per-rule statuses: ``fail`` if any indicator fails, otherwise
    ``incomplete`` if any is missing, otherwise ``pass`` (no rules: a vacuous pass)."""
    statuses = set(statuses)
    if FAIL in statuses:
        return FAIL
    if MISSING in statuses:
        return INCOMPLETE
    return PASS
