"""Pure parsing and validation of product input (forms, JSON, import rows).

Every parser takes raw values (strings from CSV/forms or typed JSON values) and either
returns a clean value or records a message in `errors[field]`. No database access here.
The generic field validators (text, whole numbers, dates and their bounds) are `core.validation`'s.
"""
from __future__ import annotations

import datetime as dt
import math
import re

from core import validation
from core.i18n import N_
from core.money import MoneyError, parse_yuan
from core.timeutil import today_cn
from core.validation import REQUIRED, InputError, blank, date, integer, message_of, whole_number

from catalog.product_states import CERTIFICATE_STATUSES

MAX_PRICE_FEN = 10**15
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_TRUE = {"true", "yes", "1", "y", "是"}
_FALSE = {"false", "no", "0", "n", "否"}

NOT_WHOLE_FEN = N_("Must be a whole number of fen.")
NOT_FINITE = N_("Must be a finite number.")


def text(data: dict, key: str, errors: dict, *, max_len: int, required: bool = False):
    """Trimmed text (`core.validation.text`); a number (a spreadsheet cell) counts as its text.
    None when absent, blank or refused."""
    value = validation.text(data, key, errors, max_len=max_len, required=required, default=None, numbers=True)
    return None if key in errors else value


def price_fen(data: dict, errors: dict):
    """List price in fen from `list_price_fen` (integer) or `list_price` (yuan, 2 decimals).

    Returns (field_name, value) or (None, None) when neither is given.
    """
    if not blank(data.get("list_price_fen")):
        value = whole_number(data["list_price_fen"])
        if value is None:
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
            errors["list_price"] = message_of(exc)
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


def indicator_value(raw):
    """Split a declared value into (value_num, value_text): numbers numeric, the rest text.

    Booleans are stored as the text 'true'/'false' so the compliance engine sees one form.
    """
    if isinstance(raw, bool):
        return None, "true" if raw else "false"
    if isinstance(raw, (list, tuple, dict, set)):
        raise InputError(N_("Give one number, word or yes/no."))
    if isinstance(raw, (int, float)):
        if not math.isfinite(float(raw)):
            raise InputError(NOT_FINITE)
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
            raise InputError(validation.TOO_LONG, n=200) from None
        return None, value
    if not math.isfinite(num):
        raise InputError(NOT_FINITE)
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
        except InputError as exc:
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
        "star_grade": integer(raw, "star_grade", local, minimum=1, maximum=3, as_range=True),
        "standard": text(raw, "standard", local, max_len=200) or "",
        "issued_on": date(raw, "issued_on", local),
        "expires_on": date(raw, "expires_on", local),
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
        "issued_on": date(raw, "issued_on", local),
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
        "valid_until": date(raw, "valid_until", local, required=False),
        "program_operator": text(raw, "program_operator", local, max_len=200) or "",
    }
    for k, v in local.items():
        errors[f"{prefix}.{k}"] = v
    return None if local else out
