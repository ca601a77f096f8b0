"""The period of a dashboard: months `from`..`to` written YYYY-MM (default: January of this year
to this month, China calendar), never longer than the rule's `max_range_years`."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from core.errors import ValidationError
from core.i18n import N_
from core.timeutil import today_cn
from core.validation import Errors

MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
FIRST_YEAR, LAST_YEAR = 1900, 2999


@dataclass(frozen=True)
class Period:
    """Whole months from `start` to `end` (both the first day of their month)."""

    start: dt.date
    end: dt.date

    @property
    def months(self) -> list[dt.date]:
        out, month = [], self.start
        while month <= self.end:
            out.append(month)
            month = next_month(month)
        return out

    @property
    def year_start(self) -> dt.date:
        """January of the end's year: where the year-to-date figures start."""
        return self.end.replace(month=1)

    def query(self) -> dict:
        """The query-string values of this period."""
        return {"from": self.start.strftime("%Y-%m"), "to": self.end.strftime("%Y-%m")}


def next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def _month(raw, key: str, errors: Errors) -> dt.date | None:
    match = MONTH.match(raw.strip()) if isinstance(raw, str) else None
    if match is None or not 1 <= int(match.group(2)) <= 12 or not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
        errors.add(key, N_("Must be a month written YYYY-MM."))
        return None
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def parse_period(args, *, max_years: int, today: dt.date | None = None) -> Period:
    """The period of the query `args` (`from`, `to`). A malformed month, `from` after `to` or a
    range longer than `max_years` years: ValidationError (a 400, or a form message)."""
    today = today or today_cn()
    errors = Errors()
    raw_from, raw_to = args.get("from") or "", args.get("to") or ""
    end = _month(raw_to, "to", errors) if raw_to else today.replace(day=1)
    start = _month(raw_from, "from", errors) if raw_from else (end or today).replace(month=1, day=1)
    errors.raise_if_any(N_("The period is not valid."))
    if start > end:
        raise ValidationError(N_("The period starts after it ends."), {"from": N_("Must not be after the end.")})
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    if months > max_years * 12:
        raise ValidationError(N_("The period is longer than %(years)s years: choose a shorter one."),
                              {"from": N_("The period is too long.")}, years=max_years)
    return Period(start, end)
