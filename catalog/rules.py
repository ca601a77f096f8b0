"""The vocabulary of demand-standard rules and declared values (pure: no Flask app, no database).

* :class:`Rule` - one indicator requirement (``u_value <= 3.0 W/(m2.K)``), possibly restricted to a
  climate zone or a city.
* :class:`Value` - one declared value of a product (number, text or boolean, with a unit).
* :class:`Reason` - every reason the compliance engine gives is a translatable message: English
  text (it is a ``str``) that also keeps its template and parameters, so pages show it in the
  reader's language and stored verdicts keep ``{"key", "params"}`` (:meth:`Reason.payload`).
* value normalisation shared by the engine (:mod:`catalog.compliance`) and the strictness check
  (:mod:`catalog.strictness`): numbers, yes/no, grades, tolerant comparison.
* :func:`carbon_value` - an openEPD-style carbon declaration as a :class:`Value`.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from core.i18n import N_, Term, message_payload, translate_message

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


class Reason(str):
    """A translatable reason: the English text (this ``str``) plus ``template`` and ``params``.

    Parameters are numbers, text without words (values, units, grades) or `core.i18n.Term`s
    (words translated at display: yes/no, dimension names).
    """

    template: str
    params: dict

    def __new__(cls, template: str, **params):
        text = template % {k: str(v) for k, v in params.items()} if params else template
        obj = super().__new__(cls, text)
        obj.template, obj.params = template, params
        return obj

    @classmethod
    def of(cls, error) -> "Reason":
        """A reason from an error carrying `template` and `params` (`catalog.units.UnitError`)."""
        return cls(error.template, **error.params)

    def payload(self) -> dict:
        """As stored: ``{"key": template, "params": {...}}`` (`core.i18n.message_payload`)."""
        return message_payload(self.template, self.params)

    def localised(self) -> str:
        """In the current locale."""
        return translate_message((self.template, self.params))


def yes_no(flag: bool) -> Term:
    return Term(N_("yes") if flag else N_("no"))


# --------------------------------------------------------------------------- rules and values


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

    def limit_text(self) -> str:
        """The limit with its unit, without words: ``3 W/(m2.K)``, ``B1``, ``a, b``."""
        if self.comparison == "in":
            return ", ".join(str(v) for v in (self.limit or []))
        unit = f" {self.unit}" if self.unit and is_number(self.limit) else ""
        return f"{fmt_number(self.limit)}{unit}"

    def limit_reason(self) -> Reason:
        """The requirement as a translatable message, e.g. ``<= 3 W/(m2.K)`` or ``at least B1``."""
        if self.comparison == "in":
            return Reason(N_("one of %(values)s"), values=self.limit_text())
        if self.comparison == "at_least":
            return Reason(N_("at least %(grade)s"), grade=str(self.limit))
        if self.comparison == "bool":
            return Reason(N_("yes")) if as_bool(self.limit) else Reason(N_("no"))
        return Reason(N_("%(comparison)s %(limit)s"), comparison=self.comparison, limit=self.limit_text())

    def describe_limit(self) -> str:
        """The requirement in English, e.g. ``<= 3 W/(m2.K)`` or ``at least B1``
        (`limit_reason().localised()` in the reader's language)."""
        return str(self.limit_reason())


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


# --------------------------------------------------------------------------- normalisation


def is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(float(x))


def fmt_number(x: Any) -> str:
    """Numbers without float noise (3.0 and 3 both print as 3, 0.125 as 0.125)."""
    if is_number(x):
        return format(float(x), ".10g")
    return str(x)


def as_number(x: Any) -> float | None:
    if isinstance(x, bool):
        return None
    if is_number(x):
        return float(x)
    if isinstance(x, str):
        try:
            f = float(x.strip().replace(",", ""))
        except ValueError:
            return None
        return f if math.isfinite(f) else None
    return None


def as_bool(x: Any) -> bool | None:
    if isinstance(x, bool):
        return x
    if is_number(x):
        return None if float(x) not in (0.0, 1.0) else bool(x)
    if isinstance(x, str):
        s = x.strip().lower()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
    return None


def norm_text(x: Any) -> str:
    return str(x).strip().casefold()


def norm_grade(x: Any) -> str:
    s = str(x).strip().upper()
    for prefix in ("CLASS ", "CLASS", "GRADE ", "等级"):
        if s.startswith(prefix):
            s = s[len(prefix):].strip()
    if s.endswith("级"):
        s = s[:-1].strip()
    return s


def close_enough(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=_REL_TOL, abs_tol=_ABS_TOL)


def meets_limit(comparison: str, value: float, limit: float) -> bool:
    """``value <= limit``, ``value >= limit`` or ``value = limit`` (any other comparison), with the
    tolerance unit conversions need."""
    if comparison == "<=":
        return value < limit or close_enough(value, limit)
    if comparison == ">=":
        return value > limit or close_enough(value, limit)
    return close_enough(value, limit)


def with_unit(number: float, unit: str) -> str:
    """``3.2 W/(m2.K)``: a number without float noise and its unit, for reasons."""
    return f"{fmt_number(number)}{' ' + unit if unit else ''}"


# --------------------------------------------------------------------------- carbon


@dataclass(frozen=True)
class DeclaredUnit:
    """An EPD's declared unit (``"1 m2"``, ``"m2"``, ``"1000 kg"``, ``"1 t"``, ``"piece"``): how much
    of which unit the declared GWP is for. ``dimension`` and ``factor`` (one ``unit`` in the
    dimension's base unit) come from :mod:`catalog.units`; for a unit it does not know they are
    None and 1, and ``unit`` is the text as given (compared literally)."""

    quantity: float
    unit: str
    dimension: str | None
    factor: float

    @property
    def base_amount(self) -> float:
        """The declared amount in the dimension's base unit (``1 t`` -> 1000 kg)."""
        return self.quantity * self.factor

    def comparable_with(self, other: "DeclaredUnit") -> bool:
        if self.dimension is not None or other.dimension is not None:
            return self.dimension == other.dimension
        return self.unit.casefold() == other.unit.casefold()

    def label(self) -> str:
        """As people write it: ``1 m2``, ``1000 kg``."""
        return f"{fmt_number(self.quantity)} {self.unit}".strip()


def declared_unit(text: str | None) -> DeclaredUnit:
    """Parse a declared unit; a leading number is the quantity (default 1)."""
    from catalog import units as _units

    du = " ".join((text or "").split())
    qty = 1.0
    parts = du.split(None, 1)
    if len(parts) == 2 and as_number(parts[0]) is not None:
        qty, du = as_number(parts[0]), parts[1]
    else:  # "1m2", "1000kg"
        glued = re.match(r"^(\d+(?:\.\d+)?)\s*(\D.*)$", du)
        if glued:
            qty, du = float(glued.group(1)), glued.group(2).strip()
    if qty <= 0:
        qty = 1.0
    if du in ("kg", "1kg"):
        du = "kg"
    try:
        spec = _units.parse_unit(du) if du else None
    except _units.UnknownUnit:
        spec = None
    if spec is None:
        return DeclaredUnit(qty, du, None, 1.0)
    return DeclaredUnit(qty, spec.symbol or du, spec.dimension, spec.factor)


def carbon_value(gwp_a1a3: float | None, declared_unit_text: str | None, key: str = "gwp_a1a3") -> Value:
    """Turn an openEPD-style declaration (kg CO2e per declared unit) into a :class:`Value`.

    ``declared_unit_text`` may be ``"t"``, ``"1 t"``, ``"m2"``, ``"1 m3"``...; the resulting unit is
    ``kg CO2e/<unit>`` so rules in t CO2e/t or kg CO2e/m2 convert automatically.
    """
    du = declared_unit(declared_unit_text)
    if gwp_a1a3 is not None and du.quantity != 1.0:
        gwp_a1a3 = gwp_a1a3 / du.quantity
    return Value(key, gwp_a1a3, f"kg CO2e/{du.unit}" if du.unit else "kg CO2e")
