"""Windows of working days, as instants (pure apart from the calendar's override rows).

A window of n working days that starts at an instant ends at the first moment of the China day
after its last day: a notice published on Wednesday 2026-09-30 with a 7-working-day challenge
window has its last day on Thursday 2026-10-15 (National Day 1-7 October is a holiday and
Saturday 10 October a make-up working day), so it ends at 2026-10-16 00:00 China time; at that
instant it is too late. The start day itself does not count (`core.workdays.add_working_days`).
"""

from __future__ import annotations

import datetime as dt

from core.timeutil import CHINA
from core.workdays import WorkCalendar, add_working_days, load_calendar


def china_day(instant: dt.datetime) -> dt.date:
    """The China calendar date of an aware instant."""
    return instant.astimezone(CHINA).date()


def end_of_day(day: dt.date) -> dt.datetime:
    """The first moment after the China day `day`, in UTC."""
    start = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=CHINA)
    return start.astimezone(dt.timezone.utc)


def last_day(end: dt.datetime) -> dt.date:
    """The last China day of a window that ends at `end` (the day before its end instant)."""
    return china_day(end - dt.timedelta(microseconds=1))


def window_end(start, working_days: int, *, calendar: WorkCalendar | None = None) -> dt.datetime:
    """The end instant of a window of `working_days` working days from `start` (an instant or a
    China date)."""
    day = china_day(start) if isinstance(start, dt.datetime) else start
    return end_of_day(add_working_days(day, int(working_days), calendar=calendar or load_calendar()))
