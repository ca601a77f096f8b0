"""Is a declared indicator value of the right type for its indicator? (pure: no app, no database)

An indicator's type comes from the demand-standard rules for it (all rules for that key in the
category, across cities and versions):

* **number**: a rule compares with ``<=``, ``>=`` or ``=`` a number, or ``in`` a list of numbers;
* **grade**: ``at_least`` on a scale (``A > B1 > B2 > B3``): the value must be on the scale;
* **boolean**: ``bool``: yes/no (``yes``/``no``, ``true``/``false``, ``是``/``否``, ...);
* **enum**: ``in`` a list of words: any short word is accepted (a value outside the list fails
  the rule, it is not an input error: the supplier may honestly declare a non-compliant class);
* no rule for the key: any value is accepted (nothing to check it against).

`value_problem` is the one check, used by the product service (`upsert_product`, so the product
form, the API and the bulk import all refuse ``u_value = abc`` or ``air_tightness_grade = seven``
with a message on that indicator's field / column).
"""
from __future__ import annotations

from typing import Iterable

from core.i18n import N_

from catalog.rules import NUMERIC_COMPARISONS, Rule, as_bool, fmt_number, is_number, norm_grade

NUMBER, GRADE, BOOLEAN, ENUM, ANY = "number", "grade", "boolean", "enum", "any"

NOT_A_NUMBER = N_("'%(value)s' is not a number; this indicator takes a number.")
NOT_ON_SCALE = N_("'%(value)s' is not a grade of the scale %(scale)s.")
NOT_YES_NO = N_("'%(value)s' is not yes or no.")


def rule_kind(rule: Rule) -> str:
    """The type of value one rule needs."""
    c = rule.comparison
    if c in NUMERIC_COMPARISONS or (c == "=" and is_number(rule.limit)):
        return NUMBER
    if c == "at_least":
        return GRADE
    if c == "bool":
        return BOOLEAN
    if c == "in" and rule.limit and all(is_number(v) for v in rule.limit):
        return NUMBER
    if c in ("in", "="):
        return ENUM
    return ANY


def value_problem(value_num: float | None, value_text: str | None, rules: Iterable[Rule]) -> tuple[str, dict] | None:
    """Why a declared value (as parsed: a number in ``value_num`` or text in ``value_text``) does
    not fit the indicator's rules, as ``(template, params)``; None when it fits (or there is no
    rule). With rules of different types (unusual), fitting any one is enough."""
    rules = list(rules)
    if not rules:
        return None
    shown = fmt_number(value_num) if value_num is not None else str(value_text or "")
    problems = []
    for rule in rules:
        kind = rule_kind(rule)
        if kind == NUMBER:
            if value_num is not None:
                return None
            problems.append((NOT_A_NUMBER, {"value": shown[:60]}))
        elif kind == GRADE:
            scale = [norm_grade(s) for s in (rule.scale or ())]
            if norm_grade(shown) in scale:
                return None
            problems.append((NOT_ON_SCALE, {"value": shown[:60], "scale": " > ".join(rule.scale or ())}))
        elif kind == BOOLEAN:
            if as_bool(value_num if value_num is not None else value_text) is not None:
                return None
            problems.append((NOT_YES_NO, {"value": shown[:60]}))
        else:
            return None
    return problems[0] if problems else None


def declared_problems(declared: dict, rules_by_key: dict) -> dict:
    """``{key: (template, params)}`` for the declared values (``{key: (num, text, unit)}``) that do
    not fit their rules (``{key: [Rule, ...]}``)."""
    out = {}
    for key, (num, txt, _unit) in declared.items():
        problem = value_problem(num, txt, rules_by_key.get(key, ()))
        if problem is not None:
            out[key] = problem
    return out
