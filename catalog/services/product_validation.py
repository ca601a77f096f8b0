"""Pure parsing and validation of product input (forms, JSON, import rows).

Every parser takes raw values (strings from CSV/forms or typed JSON values) and either
returns a clean value or records a message in `errors[field]`. No database access here.
"""
from __future__ import annotations

import datetime as dt
import math
import re

from core.i18n import N_
from core.money import MoneyError, parse_yuan
from core.timeutil import parse_date, today_cn

from catalog.product_states import CERTIFICATE_STATUSES

MAX_PRICE_FEN = 10**15
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # control characters other than tab/newline
_TRUE = {"true", "yes", "1", "y", "是"}
_FALSE = {"false", "no", "0", "n", "否"}

#: Dates of certificates, test reports and carbon declarations must fall in this range: a far
#: future date (9999-12-31) is a typo, and it breaks date arithmetic downstream (search, expiry).
MIN_DATE = dt.date(2000, 1, 1)
MAX_DATE = dt.date(2100, 12, 31)

REQUIRED = N_("This field is required.")
NOT_WHOLE_FEN = N_("Must be a whole number of fen.")
NOT_FINITE = N_("Must be a finite number.")


class ValueProblem(ValueError):
    """A declared value that cannot be used; `template`/`params` are the translatable message."""

    def __init__(self, template: str, **params):
        self.template, self.params = template, params
        super().__init__(template % params if params else template)

    def message(self):
        return (self.template, self.params) if self.params else self.template


def blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(data: dict, key: str, errors: dict, *, max_len: int, required: bool = False, field: str | None = None):
    """Stripped string, or None when absent/blank (an error when required)."""
    field = field or key
    value = data.get(key)
    if blank(value):
        if required:
            errors[field] = REQUIRED
        return None
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        errors[field] = N_("Must be text.")
        return None
    value = str(value).strip()
    if len(value) > max_len:
        errors[field] = (N_("At most %(max)s characters."), {"max": max_len})
        return None
    if _CONTROL.search(value):
        errors[field] = N_("Contains control characters.")
        return None
    return value


def price_fen(data: dict, errors: dict):
    """List price in fen from `list_price_fen` (integer) or `list_price` (yuan, 2 decimals).

    Returns (field_name, value) or (None, None) when neither is given.
    """
    if not blank(data.get("list_price_fen")):
        raw = data["list_price_fen"]
        if isinstance(raw, bool):
            errors["list_price_fen"] = NOT_WHOLE_FEN
            return "list_price_fen", None
        if isinstance(raw, float):
            if not raw.is_integer():
                errors["list_price_fen"] = NOT_WHOLE_FEN
                return "list_price_fen", None
            raw = int(raw)
        try:
            value = int(str(raw).strip())
        except ValueError:
            errors["list_price_fen"] = NOT_WHOLE_FEN
            return "list_price_fen", None
        return "list_price_fen", _check_price("list_price_fen", value, errors)
    if not blank(data.get("list_price")):
        raw = data["list_price"]
        if isinstance(raw, bool):
            errors["list_price"] = N_("Must be a number (yuan).")
            return "list_price", None
        try:
            fen = parse_yuan(raw, maximum=MAX_PRICE_FEN - 1)
        except MoneyError as exc:
            errors["list_price"] = (exc.template, exc.params) if exc.params else exc.template
            return "list_price", None
        return "list_price", fen
    return None, None


def _check_price(field, value, errors):
    if value < 0:
        errors[field] = N_("The price must not be negative.")
        return None
    if value >= MAX_PRICE_FEN:
        errors[field] = N_("The price is too large.")
        return None
    return value


def number(raw, field: str, errors: dict, *, minimum=None, required=True):
    """A finite float, or None with a message."""
    if blank(raw):
        if required:
            errors[field] = REQUIRED
        return None
    if isinstance(raw, bool):
        errors[field] = N_("Must be a number.")
        return None
    try:
        value = float(str(raw).strip().replace(",", "")) if not isinstance(raw, (int, float)) else float(raw)
    except ValueError:
        errors[field] = N_("Must be a number.")
        return None
    if not math.isfinite(value):
        errors[field] = NOT_FINITE
        return None
    if minimum is not None and value < minimum:
        errors[field] = (N_("Must be at least %(minimum)s."), {"minimum": f"{minimum:g}"})
        return None
    return value


def integer(raw, field: str, errors: dict, *, lo=None, hi=None, required=True):
    if blank(raw):
        if required:
            errors[field] = REQUIRED
        return None
    try:
        if isinstance(raw, bool):
            raise ValueError
        if isinstance(raw, float):
            if not raw.is_integer():
                raise ValueError
            value = int(raw)
        else:
            value = int(str(raw).strip())
    except ValueError:
        errors[field] = N_("Must be a whole number.")
        return None
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        errors[field] = (N_("Must be between %(lo)s and %(hi)s."), {"lo": lo, "hi": hi})
        return None
    return value


def date(raw, field: str, errors: dict, *, required=True, lo: dt.date = MIN_DATE, hi: dt.date = MAX_DATE):
    """A date from a `date`, a datetime or an ISO `YYYY-MM-DD` string (also `YYYY/MM/DD`),
    between `lo` and `hi`."""
    if blank(raw):
        if required:
            errors[field] = REQUIRED
        return None
    try:
        value = parse_date(raw)
    except (TypeError, ValueError, OverflowError):
        errors[field] = N_("Must be a date written YYYY-MM-DD.")
        return None
    if not lo <= value <= hi:
        errors[field] = (N_("Must be a date between %(first)s and %(last)s."),
                         {"first": lo.isoformat(), "last": hi.isoformat()})
        return None
    return value


def indicator_value(raw):
    """Split a declared value into (value_num, value_text): numbers numeric, the rest text.

    Booleans are stored as the text 'true'/'false' so the compliance engine sees one form.
    """
    if isinstance(raw, bool):
        return None, "true" if raw else "false"
    if isinstance(raw, (list, tuple, dict, set)):
        raise ValueProblem(N_("Give one number, word or yes/no."))
    if isinstance(raw, (int, float)):
        if not math.isfinite(float(raw)):
            raise ValueProblem(NOT_FINITE)
        return float(raw), None
    value = str(raw).strip()
    try:
        num = float(value.replace(",", ""))
    except ValueError:
        low = value.lower()
        if low in _TRUE:
            return None, "true"
        if low in _FALSE:
            return None, "false"
        if len(value) > 200:
            raise ValueProblem(N_("At most %(max)s characters."), max=200) from None
        return None, value
    if not math.isfinite(num):
        raise ValueProblem(NOT_FINITE)
    return num, None


def indicators(raw, errors: dict):
    """Normalise declared indicators to `{key: (value_num, value_text, unit)}`.

    Accepts `{key: value}`, `{key: {"value": v, "unit": u}}` or `[{"key", "value", "unit"}]`.
    Blank values are dropped (an empty cell means "not declared").
    """
    out: dict[str, tuple] = {}
    if raw is None:
        return out
    if isinstance(raw, dict):
        items = []
        for key, val in raw.items():
            if isinstance(val, dict):
                items.append({"key": key, "value": val.get("value"), "unit": val.get("unit")})
            else:
                items.append({"key": key, "value": val, "unit": None})
    elif isinstance(raw, list):
        items = raw
    else:
        errors["indicators"] = N_("Give indicators as an object or a list.")
        return out
    for item in items:
        if not isinstance(item, dict):
            errors["indicators"] = N_("Each indicator needs a key, a value and a unit.")
            continue
        key = str(item.get("key") or "").strip()
        field = f"indicators.{key or '?'}"
        if not KEY_RE.match(key):
            errors[field] = N_("Indicator keys are lower-case letters, digits and underscores.")
            continue
        value = item.get("value")
        if blank(value):
            continue
        unit = item.get("unit")
        unit = "" if blank(unit) else str(unit).strip()
        if len(unit) > 32:
            errors[field] = N_("Unit: at most 32 characters.")
            continue
        if key in out:
            errors[field] = N_("Declared twice.")
            continue
        try:
            num, txt = indicator_value(value)
        except ValueProblem as exc:
            errors[field] = exc.message()
            continue
        out[key] = (num, txt, unit)
    return out


def certificate(raw, errors: dict, *, prefix="certificate"):
    """Clean certificate fields, or None when no certificate data is given."""
    if raw is None or (isinstance(raw, dict) and all(blank(v) for v in raw.values())):
        return None
    if not isinstance(raw, dict):
        errors[prefix] = N_("Give the certificate as an object.")
        return None
    local: dict = {}
    out = {
        "number": text(raw, "number", local, max_len=64, required=True),
        "body": text(raw, "body", local, max_len=200, required=True),
        "star_grade": integer(raw.get("star_grade"), "star_grade", local, lo=1, hi=3),
        "standard": text(raw, "standard", local, max_len=200) or "",
        "issued_on": date(raw.get("issued_on"), "issued_on", local),
        "expires_on": date(raw.get("expires_on"), "expires_on", local),
    }
    status = text(raw, "status", local, max_len=16)
    if status is not None and status not in CERTIFICATE_STATUSES:
        local["status"] = N_("One of valid, suspended, revoked, expired.")
    out["status"] = status or "valid"
    if out["issued_on"] and out["expires_on"] and out["expires_on"] <= out["issued_on"]:
        local["expires_on"] = N_("The expiry date must be after the issue date.")
    for k, v in local.items():
        errors[f"{prefix}.{k}"] = v
    return None if local else out


def test_report(raw, errors: dict, *, prefix="test_report"):
    if raw is None or (isinstance(raw, dict) and all(blank(v) for v in raw.values())):
        return None
    if not isinstance(raw, dict):
        errors[prefix] = N_("Give the test report as an object.")
        return None
    local: dict = {}
    covers = raw.get("covers") or []
    if isinstance(covers, str):
        covers = [c.strip() for c in re.split(r"[,;\s]+", covers) if c.strip()]
    if not isinstance(covers, list) or not all(isinstance(c, str) and KEY_RE.match(c) for c in covers):
        local["covers"] = N_("A list of indicator keys.")
        covers = []
    out = {
        "number": text(raw, "number", local, max_len=64, required=True),
        "lab": text(raw, "lab", local, max_len=200, required=True),
        "issued_on": date(raw.get("issued_on"), "issued_on", local),
        "covers": sorted(set(covers)),
    }
    if out["issued_on"] and out["issued_on"] > today_cn() + dt.timedelta(days=1):
        local["issued_on"] = N_("The issue date is in the future.")
    for k, v in local.items():
        errors[f"{prefix}.{k}"] = v
    return None if local else out


def carbon(raw, errors: dict, *, prefix="carbon"):
    if raw is None or (isinstance(raw, dict) and all(blank(v) for v in raw.values())):
        return None
    if not isinstance(raw, dict):
        errors[prefix] = N_("Give the carbon declaration as an object.")
        return None
    local: dict = {}
    out = {
        "declared_unit": text(raw, "declared_unit", local, max_len=32, required=True),
        "gwp_a1a3": number(raw.get("gwp_a1a3"), "gwp_a1a3", local, minimum=0),
        "valid_until": date(raw.get("valid_until"), "valid_until", local, required=False),
        "program_operator": text(raw, "program_operator", local, max_len=200) or "",
    }
    for k, v in local.items():
        errors[f"{prefix}.{k}"] = v
    return None if local else out
