"""Input-cleaning helpers shared by the procurement services (forms and API alike).

Every message is a translatable template (``N_``) with parameters; `Errors` keeps each field's
message as a template or a (template, params) pair, as `core.errors.ValidationError` expects.
"""

from __future__ import annotations

import re
from typing import Callable

from core.errors import ValidationError
from core.i18n import N_

REQUIRED = N_("This field is required.")
CONTROL_CHARACTERS = N_("Must not contain control characters.")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tab, newline and carriage return are text


def has_control_characters(value: str) -> bool:
    """True for text holding characters no one types (NUL cannot even be stored by PostgreSQL)."""
    return bool(_CONTROL.search(value))


def message_of(exc):
    """The translatable message an input error carries (`core.money.MoneyError`,
    `procurement.quantities.QuantityError`, `core.tabular.FileRejected`): its template, or a
    (template, params) pair."""
    return (exc.template, exc.params) if exc.params else exc.template


class Errors:
    """Collects per-field messages; ``raise_if_any`` raises one ValidationError naming them all."""

    def __init__(self) -> None:
        self.fields: dict[str, object] = {}

    def add(self, field: str, message, **params) -> None:
        """Note `message` (a template, or an already built (template, params) pair) for `field`."""
        self.fields.setdefault(field, (message, params) if params else message)

    def __bool__(self) -> bool:
        return bool(self.fields)

    def raise_if_any(self, message: str = N_("Please correct the marked fields.")) -> None:
        if self.fields:
            raise ValidationError(message, self.fields)


def text(data: dict, key: str, errors: Errors, *, required: bool = True, max_len: int = 200, default: str = "") -> str:
    value = data.get(key, None)
    if value is None:
        if required:
            errors.add(key, REQUIRED)
        return default
    if not isinstance(value, str):
        errors.add(key, N_("Must be text."))
        return default
    value = value.strip()
    if required and not value:
        errors.add(key, REQUIRED)
    elif has_control_characters(value):
        errors.add(key, CONTROL_CHARACTERS)
    elif len(value) > max_len:
        errors.add(key, N_("At most %(n)s characters."), n=max_len)
    return value


def _whole_number(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            return int(value.strip().replace(",", ""))
        except ValueError:
            return None
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    return value if isinstance(value, int) else None


def integer(data: dict, key: str, errors: Errors, *, minimum: int | None = None, maximum: int | None = None,
            required: bool = True, default: int | None = None) -> int | None:
    value = data.get(key, None)
    if value is None or value == "":
        if required:
            errors.add(key, REQUIRED)
        return default
    number = _whole_number(value)
    if number is None:
        errors.add(key, N_("Must be a whole number."))
        return default
    if minimum is not None and number < minimum:
        errors.add(key, N_("Must be at least %(n)s."), n=minimum)
    elif maximum is not None and number > maximum:
        errors.add(key, N_("Must be at most %(n)s."), n=f"{maximum:,}")
    return number


def choice(data: dict, key: str, errors: Errors, choices, *, required: bool = True, default=None):
    value = data.get(key, None)
    if value in (None, ""):
        if required:
            errors.add(key, REQUIRED)
        return default
    if value not in choices:
        errors.add(key, N_("Unknown value “%(value)s”; expected one of: %(choices)s."), value=str(value)[:40],
                   choices=", ".join(choices))
        return default
    return value


def boolean(data: dict, key: str, errors: Errors, *, default: bool = False) -> bool:
    value = data.get(key, None)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "y", "on", "是"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "n", "off", "否"):
        return False
    errors.add(key, N_("Must be yes or no."))
    return default


def object_list(raw, key: str, errors: Errors, clean_item: Callable[[dict, Errors], dict], *, max_items: int,
                not_a_list: str, too_many: str, not_an_object: str, min_items: int = 0) -> list[dict]:
    """Validate a list of objects (a budget's funding sources, a project's people).

    `clean_item(item, sub_errors)` cleans one object; its field errors are reported as
    ``key.i.field``. A value that is not a list (or has fewer than `min_items` entries) is
    reported with `not_a_list`, more than `max_items` entries with `too_many` (``%(n)s``).
    """
    if not isinstance(raw, list) or len(raw) < min_items:
        errors.add(key, not_a_list)
        return []
    if len(raw) > max_items:
        errors.add(key, too_many, n=max_items)
        return []
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            errors.add(f"{key}.{i}", not_an_object)
            continue
        sub = Errors()
        cleaned = clean_item(item, sub)
        for field, message in sub.fields.items():
            errors.add(f"{key}.{i}.{field}", message)
        if not sub:
            out.append(cleaned)
    return out
