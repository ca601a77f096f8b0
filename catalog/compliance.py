"""Compliance engine: evaluates declared indicator values against demand-standard rules.

Pure Python on purpose (no Flask, no database): the search indexer, the product pages, the bill of
materials checks and the acceptance checks all call the same functions, and the tests can exercise
every branch without a server. Database access lives in ``catalog.services.standards``.

Vocabulary
----------
* :class:`Rule` - one indicator requirement (``u_value <= 3.0 W/(m2.K)``), possibly restricted to a
  climate zone or a city.
* :class:`Value` - one declared value of a product (number, text or boolean, with a unit).
* :func:`resolve_rules` - picks, per indicator key, the rule that applies in a city
  (city override beats climate-zone override beats the base rule).
* :func:`evaluate` - per rule ``pass`` / ``fail`` / ``missing`` and an overall verdict
  (``fail`` if any rule fails, else ``incomplete`` if any is missing, else ``pass``).
* :func:`is_at_least_as_strict` - whether a candidate limit is no looser than a rule's limit.

Problems with the *data* (unknown unit, text where a number is needed, value off the scale) are
reported as ``missing`` with a reason: the evidence does not prove compliance, but it does not prove
non-compliance either. The engine never raises on bad values.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from catalog import units as _units

__all__ = [
    "COMPARISONS",
    "KINDS",
    "PASS",
    "FAIL",
    "MISSING",
    "INCOMPLETE",
    "FIRE_CLASS_SCALE",
    "Rule",
    "Value",
    "IndicatorResult",
    "Evaluation",
    "RuleError",
    "resolve_rules",
    "evaluate",
    "evaluate_rule",
    "is_at_least_as_strict",
    "validate_rule",
    "carbon_value",
]

COMPARISONS = ("<=", ">=", "=", "in", "at_least", "bool")
NUMERIC_COMPARISONS = ("<=", ">=")
KINDS = ("green", "quality")
PASS, FAIL, MISSING, INCOMPLETE = "pass", "fail", "missing", "incomplete"

#: GB 8624-2012 reaction-to-fire classes, best first.
FIRE_CLASS_SCALE = ("A", "B1", "B2", "B3")

# Relative tolerance for comparisons after unit conversion (80 g/L -> 80000 mg/L -> 80.00000000001 g/L
# must still be "<= 80").
_REL_TOL = 1e-9
_ABS_TOL = 1e-12

_TRUE = {"true", "yes", "y", "1", "pass", "passed", "是", "合格", "有", "t"}
_FALSE = {"false", "no", "n", "0", "fail", "failed", "否", "不合格", "无", "f"}


class RuleError(ValueError):
    """A rule definition is inconsistent (raised by :func:`validate_rule`, used by seeding/admin)."""


@dataclass(frozen=True)
class Rule:
    """One indicator requirement of a standard version for a category.

    ``limit`` holds a number for ``<=``/``>=`` (and numeric ``=``), a string or number for ``=``,
    a list of allowed values for ``in``, the minimum grade for ``at_least`` (with ``scale`` listing
    grades best first) and a boolean for ``bool``.
    """

    key: str
    comparison: str
    limit: Any
    unit: str = ""
    kind: str = "quality"
    name_en: str = ""
    name_zh: str = ""
    scale: tuple[str, ...] | None = None
    test_standard: str = ""
    climate_zone: str | None = None
    city_code: str | None = None
    id: int | None = None

    @property
    def scope(self) -> str:
        """``city``, ``climate_zone`` or ``base``: how specific this rule is."""
        if self.city_code:
            return "city"
        if self.climate_zone:
            return "climate_zone"
        return "base"

    def describe_limit(self) -> str:
        """Human-readable requirement, e.g. ``<= 3.0 W/(m2.K)`` or ``at least B1``."""
        unit = f" {self.unit}" if self.unit else ""
        if self.comparison in NUMERIC_COMPARISONS:
            return f"{self.comparison} {_fmt(self.limit)}{unit}"
        if self.comparison == "=":
            return f"= {_fmt(self.limit)}{unit if _is_number(self.limit) else ''}"
        if self.comparison == "in":
            return "one of " + ", ".join(str(v) for v in (self.limit or []))
        if self.comparison == "at_least":
            return f"at least {self.limit}"
        if self.comparison == "bool":
            return "yes" if _as_bool(self.limit) else "no"
        return f"{self.comparison} {self.limit}"


@dataclass(frozen=True)
class Value:
    """A declared value: ``value`` is a number, string or bool (None = not declared)."""

    key: str
    value: Any
    unit: str = ""

    @classmethod
    def from_parts(cls, key: str, value_num: float | None, value_text: str | None, unit: str | None = "") -> "Value":
        """Build from the stored shape (``value_num`` / ``value_text`` columns)."""
        return cls(key, value_num if value_num is not None else value_text, unit or "")


@dataclass(frozen=True)
class IndicatorResult:
    key: str
    status: str  # pass | fail | missing
    limit: Any
    value: Any  # declared value, converted into the rule's unit when numeric
    unit: str  # the rule's unit
    reason: str
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
                "reason": self.reason, "kind": self.kind, "comparison": self.comparison,
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


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(float(x))


def _fmt(x: Any) -> str:
    """Numbers without float noise (3.0 and 3 both print as 3, 0.125 as 0.125)."""
    if _is_number(x):
        return format(float(x), ".10g")
    return str(x)


def _as_number(x: Any) -> float | None:
    if isinstance(x, bool):
        return None
    if _is_number(x):
        return float(x)
    if isinstance(x, str):
        try:
            f = float(x.strip().replace(",", ""))
        except ValueError:
            return None
        return f if math.isfinite(f) else None
    return None


def _as_bool(x: Any) -> bool | None:
    if isinstance(x, bool):
        return x
    if _is_number(x):
        return None if float(x) not in (0.0, 1.0) else bool(x)
    if isinstance(x, str):
        s = x.strip().lower()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
    return None


def _norm_text(x: Any) -> str:
    return str(x).strip().casefold()


def _norm_grade(x: Any) -> str:
    s = str(x).strip().upper()
    for prefix in ("CLASS ", "CLASS", "GRADE ", "等级"):
        if s.startswith(prefix):
            s = s[len(prefix):].strip()
    if s.endswith("级"):
        s = s[:-1].strip()
    return s


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=_REL_TOL, abs_tol=_ABS_TOL)


def validate_rule(rule: Rule) -> None:
    """Raise :class:`RuleError` if a rule is malformed (used when seeding and in the admin)."""
    if not rule.key:
        raise RuleError("rule key is required")
    if rule.comparison not in COMPARISONS:
        raise RuleError(f"{rule.key}: unknown comparison {rule.comparison!r}")
    if rule.kind not in KINDS:
        raise RuleError(f"{rule.key}: kind must be green or quality")
    if rule.unit and not _units.is_known(rule.unit):
        raise RuleError(f"{rule.key}: unknown unit {rule.unit!r}")
    c = rule.comparison
    if c in NUMERIC_COMPARISONS and not _is_number(rule.limit):
        raise RuleError(f"{rule.key}: limit must be a number for {c}")
    if c == "in" and (not isinstance(rule.limit, (list, tuple)) or not rule.limit):
        raise RuleError(f"{rule.key}: limit must be a non-empty list for 'in'")
    if c == "at_least":
        if not rule.scale:
            raise RuleError(f"{rule.key}: 'at_least' needs a scale")
        if _norm_grade(rule.limit) not in [_norm_grade(s) for s in rule.scale]:
            raise RuleError(f"{rule.key}: limit {rule.limit!r} is not on the scale {list(rule.scale)}")
    if c == "bool" and _as_bool(rule.limit) is None:
        raise RuleError(f"{rule.key}: limit must be true or false for 'bool'")
    if c == "=" and rule.limit is None:
        raise RuleError(f"{rule.key}: limit is required for '='")


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


def _result(rule: Rule, status: str, reason: str, value: Any = None, declared: Value | None = None) -> IndicatorResult:
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


def _numeric_value(rule: Rule, declared: Value) -> tuple[float | None, str | None]:
    number = _as_number(declared.value)
    if number is None:
        return None, f"declared value {declared.value!r} is not a number"
    if (declared.unit or "") == (rule.unit or ""):
        return number, None
    converted, problem = _units.try_convert(number, declared.unit, rule.unit)
    if problem:
        return None, problem
    return converted, None


def evaluate_rule(rule: Rule, declared: Value | None) -> IndicatorResult:
    """Evaluate one rule against one declared value (``None`` = not declared)."""
    if declared is None or declared.value is None or (isinstance(declared.value, str) and not declared.value.strip()):
        return _result(rule, MISSING, f"no value declared for {rule.key}", declared=declared)
    c = rule.comparison
    need = rule.describe_limit()

    if c in NUMERIC_COMPARISONS or (c == "=" and _is_number(rule.limit)):
        value, problem = _numeric_value(rule, declared)
        if problem:
            return _result(rule, MISSING, problem, declared=declared)
        limit = float(rule.limit)
        if c == "<=":
            ok = value < limit or _close(value, limit)
        elif c == ">=":
            ok = value > limit or _close(value, limit)
        else:
            ok = _close(value, limit)
        shown = f"{_fmt(value)}{' ' + rule.unit if rule.unit else ''}"
        reason = f"{shown} meets {need}" if ok else f"{shown} does not meet {need}"
        return _result(rule, PASS if ok else FAIL, reason, value=value, declared=declared)

    if c == "=":
        ok = _norm_text(declared.value) == _norm_text(rule.limit)
        reason = f"{declared.value!s} {'equals' if ok else 'is not'} {rule.limit!s}"
        return _result(rule, PASS if ok else FAIL, reason, value=declared.value, declared=declared)

    if c == "in":
        allowed = [_norm_text(v) for v in rule.limit or []]
        number = _as_number(declared.value)
        ok = _norm_text(declared.value) in allowed or (
            number is not None and any(_as_number(v) is not None and _close(number, _as_number(v)) for v in rule.limit or [])
        )
        reason = f"{declared.value!s} is {'' if ok else 'not '}{need}"
        return _result(rule, PASS if ok else FAIL, reason, value=declared.value, declared=declared)

    if c == "at_least":
        scale = [_norm_grade(s) for s in (rule.scale or ())]
        grade = _norm_grade(declared.value)
        if grade not in scale:
            return _result(
                rule, MISSING, f"declared grade {declared.value!s} is not on the scale {' > '.join(rule.scale or ())}",
                declared=declared,
            )
        ok = scale.index(grade) <= scale.index(_norm_grade(rule.limit))
        reason = f"grade {grade} {'meets' if ok else 'is below'} {need} ({' > '.join(rule.scale or ())})"
        return _result(rule, PASS if ok else FAIL, reason, value=grade, declared=declared)

    if c == "bool":
        got, want = _as_bool(declared.value), _as_bool(rule.limit)
        if got is None:
            return _result(rule, MISSING, f"declared value {declared.value!r} is not yes/no", declared=declared)
        ok = got == want
        reason = f"declared {'yes' if got else 'no'}, required {'yes' if want else 'no'}"
        return _result(rule, PASS if ok else FAIL, reason, value=got, declared=declared)

    return _result(rule, MISSING, f"unsupported comparison {c!r}", declared=declared)


def evaluate(rules: Sequence[Rule], values: Iterable[Value] | Mapping[str, Value], version_id: int | None = None) -> Evaluation:
    """Evaluate declared ``values`` against already-resolved ``rules``.

    Values are matched by key; when a key is declared twice the last one counts. The overall verdict
    is ``fail`` if any indicator fails, otherwise ``incomplete`` if any is missing, otherwise ``pass``
    (a category without rules passes vacuously).
    """
    by_key: dict[str, Value] = dict(values) if isinstance(values, Mapping) else {v.key: v for v in values}
    results = tuple(evaluate_rule(rule, by_key.get(rule.key)) for rule in rules)
    if any(r.status == FAIL for r in results):
        verdict = FAIL
    elif any(r.status == MISSING for r in results):
        verdict = INCOMPLETE
    else:
        verdict = PASS
    return Evaluation(verdict=verdict, results=results, version_id=version_id)


# --------------------------------------------------------------------------- strictness


def is_at_least_as_strict(rule: Rule, candidate_limit: Any, candidate_unit: str | None = None) -> tuple[bool, str]:
    """Is ``candidate_limit`` (e.g. from a bill of materials) no looser than ``rule``'s limit?

    ``candidate_unit`` defaults to the rule's unit; it is converted when it differs. Returns
    ``(ok, reason)``; never raises on bad input (a bad candidate is simply not accepted).
    """
    c = rule.comparison
    need = rule.describe_limit()
    if candidate_limit is None or (isinstance(candidate_limit, str) and not candidate_limit.strip()):
        return False, "no limit given"

    if c in NUMERIC_COMPARISONS or (c == "=" and _is_number(rule.limit)):
        number = _as_number(candidate_limit)
        if number is None:
            return False, f"{candidate_limit!r} is not a number"
        unit = rule.unit if candidate_unit is None else candidate_unit
        if (unit or "") != (rule.unit or ""):
            converted, problem = _units.try_convert(number, unit, rule.unit)
            if problem:
                return False, problem
            number = converted
        limit = float(rule.limit)
        if c == "<=":
            ok = number < limit or _close(number, limit)
        elif c == ">=":
            ok = number > limit or _close(number, limit)
        else:
            ok = _close(number, limit)
        shown = f"{_fmt(number)}{' ' + rule.unit if rule.unit else ''}"
        verb = "is at least as strict as" if ok else "is looser than"
        return ok, f"{c} {shown} {verb} the standard's {need}"

    if c == "=":
        ok = _norm_text(candidate_limit) == _norm_text(rule.limit)
        return ok, ("same as" if ok else "differs from") + f" the standard's {need}"

    if c == "in":
        cands = candidate_limit if isinstance(candidate_limit, (list, tuple, set, frozenset)) else [candidate_limit]
        allowed = {_norm_text(v) for v in rule.limit or []}
        extra = [str(v) for v in cands if _norm_text(v) not in allowed]
        if not cands:
            return False, "empty set of allowed values"
        if extra:
            return False, f"allows {', '.join(extra)} which the standard does not ({need})"
        return True, f"subset of the standard's {need}"

    if c == "at_least":
        scale = [_norm_grade(s) for s in (rule.scale or ())]
        grade = _norm_grade(candidate_limit)
        if grade not in scale:
            return False, f"{candidate_limit!s} is not on the scale {' > '.join(rule.scale or ())}"
        ok = scale.index(grade) <= scale.index(_norm_grade(rule.limit))
        return ok, f"at least {grade} {'is at least as strict as' if ok else 'is looser than'} the standard's {need}"

    if c == "bool":
        got, want = _as_bool(candidate_limit), _as_bool(rule.limit)
        if got is None:
            return False, f"{candidate_limit!r} is not yes/no"
        ok = got == want
        return ok, ("same as" if ok else "differs from") + f" the standard's {need}"

    return False, f"unsupported comparison {c!r}"


# --------------------------------------------------------------------------- carbon


def carbon_value(gwp_a1a3: float | None, declared_unit: str | None, key: str = "gwp_a1a3") -> Value:
    """Turn an openEPD-style declaration (kg CO2e per declared unit) into a :class:`Value`.

    ``declared_unit`` may be ``"t"``, ``"1 t"``, ``"m2"``, ``"1 m3"``...; the resulting unit is
    ``kg CO2e/<unit>`` so rules in t CO2e/t or kg CO2e/m2 convert automatically.
    """
    du = (declared_unit or "").strip()
    parts = du.split(None, 1)
    if len(parts) == 2 and _as_number(parts[0]) is not None:
        qty = _as_number(parts[0]) or 1.0
        du = parts[1]
        if gwp_a1a3 is not None and qty not in (0.0, 1.0):
            gwp_a1a3 = gwp_a1a3 / qty
    if du in ("kg", "1kg"):
        du = "kg"
    return Value(key, gwp_a1a3, f"kg CO2e/{du}" if du else "kg CO2e")
