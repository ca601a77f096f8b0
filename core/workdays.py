"""Chinese working days: the State Council calendar of public holidays and make-up working days.

Tender deadlines count working days ("20 working days after publication"). A working day is
decided, first match wins, by:

1. an override row in `calendar_days` (`CalendarDay`), entered with `flask calendar set`: it
   corrects the package and covers years the package does not know yet;
2. the `chinese_calendar` package (State Council notices, 2004 to the last year it ships:
   holidays such as the Spring Festival 2025-01-28..02-04 and make-up working weekends such as
   Sunday 2025-01-26 and Saturday 2025-02-08);
3. Monday to Friday, for a year neither covers. `uncovered_years` names such years and the
   `calendar` health check reports the current and next year when they are uncovered.

A year counts as covered by the table when it holds at least one holiday row for that year:
whoever enters a year's State Council notice enters its holidays.

Every function here is pure apart from reading the override rows, once per call: pass a
`WorkCalendar` (`load_calendar()`) to compute many dates with a single query. Dates are China
calendar dates (`core.timeutil.today_cn`, `parse_date`); datetimes are refused.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta

import chinese_calendar

from core.i18n import N_

NAME_MAX = 100
SOURCES = ("override", "package", "weekdays")


def _day(value) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"a China calendar date is needed, not {value!r} (see core.timeutil.parse_date)")
    return value


@functools.lru_cache(maxsize=None)
def package_covers(year: int) -> bool:
    """Whether the installed `chinese_calendar` has the State Council calendar of `year`."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def _package_working(d: date) -> bool | None:
    """The package's answer, or None for a year it does not know."""
    if not package_covers(d.year):
        return None
    try:
        return bool(chinese_calendar.is_workday(d))
    except NotImplementedError:
        return None


def package_holiday_name(d: date) -> str:
    """The package's English name of the holiday a day belongs to ('Spring Festival'), or ''."""
    if not package_covers(d.year):
        return ""
    try:
        _, name = chinese_calendar.get_holiday_detail(d)
    except NotImplementedError:
        return ""
    return name or ""


class WorkCalendar:
    """The working-day calendar with a fixed set of overrides (day -> working).

    Build one with `load_calendar()` (one query) and reuse it for a batch of computations;
    `WorkCalendar({})` is the package and weekday rule alone (pure, no database).
    """

    def __init__(self, overrides: Mapping[date, bool] | None = None):
        self.overrides = dict(overrides or {})
        self._override_holiday_years = {d.year for d, working in self.overrides.items() if not working}

    def source(self, d: date) -> str:
        """Which rule decides `d`: "override", "package" or "weekdays" (no data for its year)."""
        d = _day(d)
        if d in self.overrides:
            return "override"
        return "package" if package_covers(d.year) else "weekdays"

    def is_working_day(self, d: date) -> bool:
        """Whether `d` is a working day in mainland China."""
        d = _day(d)
        if d in self.overrides:
            return self.overrides[d]
        answer = _package_working(d)
        if answer is not None:
            return answer
        return d.weekday() < 5

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after `d`."""
        d = _day(d) + timedelta(days=1)
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day after `d` (n >= 0); n = 0 gives `d` itself, working day or not.

        Counting starts the day after `d`, so `working_days_between(d, result) == n`.
        """
        d = _day(d)
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ValueError(f"add_working_days needs a whole number n >= 0, not {n!r}")
        for _ in range(n):
            d = self.next_working_day(d)
        return d

    def working_days_between(self, start: date, end: date) -> int:
        """The number of working days after `start` up to and including `end`.

        Negative when `end` is before `start` (-(working days after `end` up to `start`)).
        """
        start, end = _day(start), _day(end)
        if end < start:
            return -self.working_days_between(end, start)
        count, d = 0, start
        while d < end:
            d += timedelta(days=1)
            count += self.is_working_day(d)
        return count

    def covers(self, year: int) -> bool:
        """Whether `year` has holiday data: from the package, or holiday rows in the table."""
        return package_covers(year) or year in self._override_holiday_years

    def uncovered_years(self, years: Iterable[int]) -> list[int]:
        """The years among `years` (sorted, once each) for which only Monday to Friday is known."""
        return sorted({int(y) for y in years if not self.covers(int(y))})


def load_calendar() -> WorkCalendar:
    """The calendar with every override row of `calendar_days` (one query)."""
    from core.extensions import db
    from core.models import CalendarDay

    rows = db.session.execute(db.select(CalendarDay.day, CalendarDay.working)).all()
    return WorkCalendar({day: bool(working) for day, working in rows})


def is_working_day(d: date, *, calendar: WorkCalendar | None = None) -> bool:
    """Whether `d` is a working day (override, then State Council calendar, then Monday-Friday)."""
    return (calendar or load_calendar()).is_working_day(d)


def add_working_days(d: date, n: int, *, calendar: WorkCalendar | None = None) -> date:
    """The n-th working day after `d` (n >= 0; n = 0 is `d` itself)."""
    return (calendar or load_calendar()).add_working_days(d, n)


def working_days_between(start: date, end: date, *, calendar: WorkCalendar | None = None) -> int:
    """Working days in (start, end]; negative when `end` is before `start`."""
    return (calendar or load_calendar()).working_days_between(start, end)


def next_working_day(d: date, *, calendar: WorkCalendar | None = None) -> date:
    """The first working day strictly after `d`."""
    return (calendar or load_calendar()).next_working_day(d)


def uncovered_years(years: Iterable[int], *, calendar: WorkCalendar | None = None) -> list[int]:
    """The years among `years` with no holiday data (neither the package nor the table)."""
    return (calendar or load_calendar()).uncovered_years(years)


# --- overrides: the one use case that changes the calendar ------------------------------------

def _snapshot(row) -> dict | None:
    if row is None:
        return None
    return {"day": row.day.isoformat(), "working": row.working, "name": row.name}


def set_day(d: date, *, working: bool, name: str = "", actor=None):
    """Make `d` a working day or a holiday, whatever the package says (replaces an earlier
    override of the same day). Audited as `calendar.set` with before and after."""
    from core import audit
    from core.errors import ValidationError
    from core.extensions import db
    from core.models import CalendarDay
    from core.services import unit_of_work

    d = _day(d)
    name = " ".join((name or "").split())
    if len(name) > NAME_MAX:
        raise ValidationError(N_("The name of a calendar day is at most %(n)s characters."), n=NAME_MAX)
    with unit_of_work(N_("This calendar day was changed at the same time; try again.")):
        row = db.session.execute(db.select(CalendarDay).where(CalendarDay.day == d).with_for_update()).scalar_one_or_none()
        before = _snapshot(row)
        if row is None:
            row = CalendarDay(day=d)
            db.session.add(row)
        row.working = bool(working)
        row.name = name
        db.session.flush()
        audit.record("calendar.set", object_type="calendar_days", object_id=d.isoformat(),
                     before=before, after=_snapshot(row), actor=actor)
    return row


def unset_day(d: date, *, actor=None) -> bool:
    """Remove the override of `d` (the package or the weekday rule decides again). Audited as
    `calendar.unset`; False when there was none."""
    from core import audit
    from core.extensions import db
    from core.models import CalendarDay
    from core.services import unit_of_work

    d = _day(d)
    with unit_of_work():
        row = db.session.execute(db.select(CalendarDay).where(CalendarDay.day == d).with_for_update()).scalar_one_or_none()
        if row is None:
            return False
        before = _snapshot(row)
        db.session.delete(row)
        audit.record("calendar.unset", object_type="calendar_days", object_id=d.isoformat(),
                     before=before, after=None, actor=actor)
    return True


def year_listing(year: int, *, calendar: WorkCalendar | None = None) -> list[dict]:
    """The days of `year` that differ from plain Monday-Friday or have an override, in order:
    each {"day", "working", "source", "name"} (for `flask calendar show`)."""
    from core.extensions import db
    from core.models import CalendarDay

    calendar = calendar or load_calendar()
    names = {row.day: row.name for row in db.session.execute(
        db.select(CalendarDay).where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
    ).scalars()}
    out, d = [], date(year, 1, 1)
    while d.year == year:
        working = calendar.is_working_day(d)
        source = calendar.source(d)
        if source == "override" or working != (d.weekday() < 5):
            name = names.get(d, "") if source == "override" else package_holiday_name(d)
            out.append({"day": d, "working": working, "source": source, "name": name})
        d += timedelta(days=1)
    return out


def health() -> dict:
    """For /healthz: always "ok" (a missing year is not an outage: Monday to Friday is assumed
    and deadlines still work), with the current or next China year named in `uncovered_years`
    and `warning` when no holiday data exists for it. Never raises."""
    from core.extensions import db
    from core.timeutil import today_cn

    year = today_cn().year
    try:
        missing = uncovered_years((year, year + 1))
    except Exception as exc:  # health reports, never fails
        db.session.rollback()
        return {"status": "down", "error": exc.__class__.__name__}
    body = {"status": "ok", "uncovered_years": missing}
    if missing:
        years = ", ".join(str(y) for y in missing)
        body["warning"] = (f"calendar has no holiday data for {years}: Monday to Friday is assumed; "
                           "enter the State Council notice with `flask calendar set`")
    return body
