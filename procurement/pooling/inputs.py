"""The input of the pooling use cases: a new round's data (title, categories, closing time within
the window), a cancellation's reason and the bill lines a purchaser contributes."""

from __future__ import annotations

import datetime as dt

import catalog.interface as catalog
from core.errors import ValidationError
from core.i18n import N_
from core.timeutil import utcnow
from core.validation import Errors, has_control_characters, parse_moment, plain_text, text

MAX_WINDOW_DAYS = 90                    # a round collects for at most this long
MIN_WINDOW = dt.timedelta(minutes=10)   # ... and at least this long from now
MAX_CATEGORIES = 50
MAX_LINES_PER_CONTRIBUTION = 500
DESCRIPTION_MAX = 2000
REASON_MIN, REASON_MAX = 5, 2000


def _parse_closes_at(raw, errors: Errors, now: dt.datetime) -> dt.datetime | None:
    """An ISO 8601 time (a time without a zone is China time), in the future and at most
    `MAX_WINDOW_DAYS` days ahead."""
    if raw is None or raw == "":
        errors.add("closes_at", N_("This field is required."))
        return None
    try:
        value = parse_moment(raw)
    except ValueError:
        errors.add("closes_at", N_("Give a date and time such as 2026-05-31T17:00 (China time unless a zone is "
                                   "given)."))
        return None
    if value < now + MIN_WINDOW:
        errors.add("closes_at", N_("The closing time must be at least %(minutes)s minutes from now."),
                   minutes=int(MIN_WINDOW.total_seconds() // 60))
    elif value > now + dt.timedelta(days=MAX_WINDOW_DAYS):
        errors.add("closes_at", N_("A round collects for at most %(days)s days."), days=MAX_WINDOW_DAYS)
    return value


def _clean_categories(data: dict, errors: Errors) -> list[int]:
    raw = data.get("categories", data.get("category_ids"))
    if isinstance(raw, (str, int)) and not isinstance(raw, bool):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        errors.add("categories", N_("Choose at least one category."))
        return []
    if len(raw) > MAX_CATEGORIES:
        errors.add("categories", N_("At most %(n)s categories."), n=MAX_CATEGORIES)
        return []
    ids: list[int] = []
    for ref in raw:
        found = None
        if isinstance(ref, int) and not isinstance(ref, bool) and 0 < ref <= 2**31 - 1:
            found = catalog.find_category(ref)
        elif isinstance(ref, str) and 0 < len(ref.strip()) <= 60 and not has_control_characters(ref):
            found = catalog.find_category(ref.strip()) if not ref.strip().isdigit() or len(ref.strip()) < 10 else None
        if found is None:
            errors.add("categories", N_("Unknown category “%(ref)s”."), ref=str(ref)[:40])
            return []
        if found.id not in ids:
            ids.append(found.id)
    return ids


def clean_round_data(data, now: dt.datetime | None = None) -> dict:
    """Validate ``{title, description?, categories: [id or code, ...], closes_at}``."""
    if not isinstance(data, dict):
        raise ValidationError(N_("The pooling round must be an object."))
    now = now or utcnow()
    errors = Errors()
    clean = {"title": text(data, "title", errors, max_len=200),
             "description": text(data, "description", errors, required=False, max_len=DESCRIPTION_MAX),
             "category_ids": _clean_categories(data, errors),
             "closes_at": _parse_closes_at(data.get("closes_at"), errors, now)}
    errors.raise_if_any(N_("The pooling round was not opened."))
    return clean


def clean_reason(reason) -> str:
    """A cancellation's reason: plain text of `REASON_MIN` to `REASON_MAX` characters."""
    return plain_text(reason, "reason", minimum=REASON_MIN, maximum=REASON_MAX,
                      too_short=N_("Say why the round is cancelled."))


def clean_line_ids(raw) -> list[int]:
    """The bill line ids a purchaser contributes: a list of at most `MAX_LINES_PER_CONTRIBUTION`
    positive whole numbers, without repeats (ValidationError otherwise)."""
    if not isinstance(raw, list) or not raw:
        raise ValidationError(N_("Choose at least one bill line."),
                              {"bom_line_ids": N_("Give a list of bill line ids.")})
    if len(raw) > MAX_LINES_PER_CONTRIBUTION:
        raise ValidationError(N_("At most %(n)s lines at once."), {"bom_line_ids": N_("Too many lines.")},
                              n=MAX_LINES_PER_CONTRIBUTION)
    ids: list[int] = []
    for item in raw:
        if isinstance(item, bool) or not isinstance(item, int) or not 0 < item <= 2**31 - 1:
            raise ValidationError(N_("Bill line ids are positive whole numbers."),
                                  {"bom_line_ids": N_("Must be a list of bill line ids.")})
        if item not in ids:
            ids.append(item)
    return ids
