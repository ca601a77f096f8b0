"""Field validators for input from forms, the JSON API and spreadsheets (one implementation for
every package).

A validator takes the input mapping, a key and an error collection; it returns the clean value
(or a default) and records a translatable message for the field when the input is refused, so a
service reports every bad field at once. The collection is an `Errors` (which raises one
`ValidationError` naming them all) or a plain dict of the same shape; the first message recorded
for a field is kept. Messages are templates (``N_``) or (template, params) pairs, as
`core.errors.ValidationError` expects.

Input errors raised by parsers (`InputError`: money, quantities, units, rules) carry the same
kind of message; `message_of` turns any of them into a field message.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Callable, MutableMapping

from core.errors import ValidationError
from core.i18n import N_
from core.timeutil import CHINA, parse_date

REQUIRED = N_("This field is required.")
NOT_TEXT = N_("Must be text.")
CONTROL_CHARACTERS = N_("Must not contain control characters.")
TOO_LONG = N_("At most %(n)s characters.")
TOO_SHORT = N_("At least %(n)s characters.")
NOT_WHOLE_NUMBER = N_("Must be a whole number.")

#: The dates input may name (certificates, reports, effective dates, deadlines): a far future
#: date (9999-12-31) is a typo, and it breaks date arithmetic downstream (search, expiry).
FIRST_DATE = dt.date(2000, 1, 1)
LAST_DATE = dt.date(2100, 12, 31)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tab, newline and carriage return are text


class InputError(ValueError):
    """A value a parser refuses; `template` and `params` are the translatable message, str() is
    the English text."""

    def __init__(self, template: str, **params):
        self.template, self.params = template, params
        super().__init__(template % {k: str(v) for k, v in params.items()} if params else template)

    def message(self):
        """As a field message: the template, or (template, params)."""
        return message_of(self)


def message_of(exc):
    """The translatable message an input error carries (an `InputError`, `core.tabular.FileRejected`,
    a `ServiceError`): its template, or a (template, params) pair."""
    return (exc.template, exc.params) if exc.params else exc.template


def has_control_characters(value: str) -> bool:
    """True for text holding characters no one types (NUL cannot even be stored by PostgreSQL)."""
    return bool(_CONTROL.search(value))


def blank(value) -> bool:
    """True for a missing value: None, or text of white space only."""
    return value is None or (isinstance(value, str) and not value.strip())


class Errors(dict):
    """Per-field messages (a dict: field -> message); ``raise_if_any`` raises one ValidationError
    naming them all."""

    @property
    def fields(self) -> dict:
        return self

    def add(self, field: str, message, **params) -> None:
        """Note `message` (a template, or an already built (template, params) pair) for `field`,
        unless the field has a message already."""
        _add(self, field, message, params)

    def raise_if_any(self, message: str = N_("Please correct the marked fields.")) -> None:
        """Raise a `ValidationError` with `message` and the fields' messages, if there are any."""
        if self:
            raise ValidationError(message, dict(self))


def _add(errors: MutableMapping, field: str, message, params: dict | None = None) -> None:
    errors.setdefault(field, (message, params) if params else message)


def text(data: dict, key: str, errors: MutableMapping, *, max_len: int, required: bool = True, default="",
         numbers: bool = False):
    """Trimmed text of at most `max_len` characters, without control characters. Absent or blank:
    `default` (a message when `required`). `numbers`: a number (a spreadsheet cell) is taken as
    its text. Text that is refused is still returned, with its message."""
    value = data.get(key, None)
    if blank(value):
        if required:
            _add(errors, key, REQUIRED)
        return default
    if isinstance(value, bool) or not (isinstance(value, str) or numbers and isinstance(value, (int, float))):
        _add(errors, key, NOT_TEXT)
        return default
    value = str(value).strip()
    if has_control_characters(value):
        _add(errors, key, CONTROL_CHARACTERS)
    elif len(value) > max_len:
        _add(errors, key, TOO_LONG, {"n": max_len})
    return value


def plain_text(value, field: str, *, maximum: int, minimum: int = 0, refused: str = N_("The text was not accepted."),
               too_short: str | None = None) -> str:
    """One free text given on its own (a comment, a reason, a question), trimmed, of `minimum` to
    `maximum` characters, without control characters; None counts as empty. Otherwise a
    ValidationError whose message is `refused` (`too_short`, when given, for a text under
    `minimum`, with ``%(n)s`` the minimum) and whose field message on `field` says why."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(refused, {field: NOT_TEXT})
    value = value.strip()
    if has_control_characters(value):
        raise ValidationError(refused, {field: CONTROL_CHARACTERS})
    if len(value) < minimum:
        message = too_short or refused
        raise ValidationError(message, {field: (TOO_SHORT, {"n": minimum})}, n=minimum)
    if len(value) > maximum:
        raise ValidationError(refused, {field: (TOO_LONG, {"n": maximum})})
    return value


def whole_number(value) -> int | None:
    """An int from an int, a float without fraction or text ("1,200"); None for anything else."""
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


def integer(data: dict, key: str, errors: MutableMapping, *, minimum: int | None = None, maximum: int | None = None,
            required: bool = True, default: int | None = None, as_range: bool = False) -> int | None:
    """A whole number (`whole_number`) between `minimum` and `maximum`. Absent or blank: `default`
    (a message when `required`). A number out of range is still returned, with its message:
    "Must be at least/at most n", or with `as_range` "Must be between minimum and maximum"."""
    value = data.get(key, None)
    if blank(value):
        if required:
            _add(errors, key, REQUIRED)
        return default
    number = whole_number(value)
    if number is None:
        _add(errors, key, NOT_WHOLE_NUMBER)
        return default
    below = minimum is not None and number < minimum
    above = maximum is not None and number > maximum
    if as_range and (below or above):
        _add(errors, key, N_("Must be between %(lo)s and %(hi)s."), {"lo": minimum, "hi": maximum})
    elif below:
        _add(errors, key, N_("Must be at least %(n)s."), {"n": minimum})
    elif above:
        _add(errors, key, N_("Must be at most %(n)s."), {"n": f"{maximum:,}"})
    return number


def choice(data: dict, key: str, errors: MutableMapping, choices, *, required: bool = True, default=None):
    """One of `choices` (the codes). Absent or empty: `default` (a message when `required`)."""
    value = data.get(key, None)
    if value in (None, ""):
        if required:
            _add(errors, key, REQUIRED)
        return default
    if value not in choices:
        _add(errors, key, N_("Unknown value “%(value)s”; expected one of: %(choices)s."),
             {"value": str(value)[:40], "choices": ", ".join(choices)})
        return default
    return value


TRUE_WORDS = ("1", "true", "yes", "y", "on", "是")
FALSE_WORDS = ("0", "false", "no", "n", "off", "否")


def boolean(data: dict, key: str, errors: MutableMapping, *, default: bool = False) -> bool:
    """True or false from a boolean or a yes/no word (`TRUE_WORDS`, `FALSE_WORDS`); absent: `default`."""
    value = data.get(key, None)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    word = value.strip().lower() if isinstance(value, str) else None
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    _add(errors, key, N_("Must be yes or no."))
    return default


def date(data: dict, key: str, errors: MutableMapping, *, required: bool = True, first: dt.date = FIRST_DATE,
         last: dt.date = LAST_DATE) -> dt.date | None:
    """A date (`core.timeutil.parse_date`: a date, a datetime, `YYYY-MM-DD` or `YYYY/MM/DD`)
    between `first` and `last`; None when absent (a message when `required`) or refused."""
    raw = data.get(key, None)
    if blank(raw):
        if required:
            _add(errors, key, REQUIRED)
        return None
    try:
        value = parse_date(raw)
    except (TypeError, ValueError, OverflowError):
        _add(errors, key, N_("Must be a date written YYYY-MM-DD."))
        return None
    if not first <= value <= last:
        _add(errors, key, N_("Must be a date between %(first)s and %(last)s."),
             {"first": first.isoformat(), "last": last.isoformat()})
        return None
    return value


def parse_moment(raw, *, naive_zone: dt.tzinfo | None = CHINA) -> dt.datetime:
    """An aware UTC datetime from an aware datetime or ISO 8601 text of a date and a time
    ("2027-01-20T09:00+08:00", "2027-01-20T01:00Z", "2027-01-20 09:00"), on a day between
    `FIRST_DATE` and `LAST_DATE` (UTC). A time without a zone is `naive_zone` time; with
    ``naive_zone=None`` it is refused. ValueError for anything else."""
    if isinstance(raw, dt.datetime):
        value = raw
    elif isinstance(raw, str) and 10 < len(raw.strip()) <= 40:
        value = dt.datetime.fromisoformat(raw.strip().replace(" ", "T", 1).replace("Z", "+00:00")
                                          .replace("z", "+00:00"))
    else:
        raise ValueError("not a date and time")
    if value.tzinfo is None or value.utcoffset() is None:
        if naive_zone is None:
            raise ValueError("no zone")
        value = value.replace(tzinfo=naive_zone)
    value = value.astimezone(dt.timezone.utc)
    if not FIRST_DATE <= value.date() <= LAST_DATE:
        raise ValueError("out of range")
    return value


def object_list(raw, key: str, errors: Errors, clean_item: Callable[[dict, Errors], dict], *, max_items: int,
                not_a_list: str, too_many: str, not_an_object: str, min_items: int = 0) -> list[dict]:
    """Validate a list of objects (a budget's funding sources, a project's people).

    `clean_item(item, sub_errors)` cleans one object; its field errors are reported as
    ``key.i.field``. A value that is not a list (or has fewer than `min_items` entries) is
    reported with `not_a_list`, more than `max_items` entries with `too_many` (``%(n)s``).
    """
    if not isinstance(raw, list) or len(raw) < min_items:
        _add(errors, key, not_a_list)
        return []
    if len(raw) > max_items:
        _add(errors, key, too_many, {"n": max_items})
        return []
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            _add(errors, f"{key}.{i}", not_an_object)
            continue
        sub = Errors()
        cleaned = clean_item(item, sub)
        for field, message in sub.items():
            _add(errors, f"{key}.{i}.{field}", message)
        if not sub:
            out.append(cleaned)
    return out
