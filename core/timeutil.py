"""Time and dates: timezone-aware UTC everywhere in storage, China calendar dates for business rules.

Effective dates, certificate expiry and deadlines are China calendar dates: a certificate
"valid until 2025-06-30" lapses at midnight in Beijing, so "today" is `today_cn()`.
"""
import datetime as _dt
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


CHINA = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


def today_cn() -> _dt.date:
    """Today's date in China (effective and expiry dates are Beijing dates)."""
    return datetime.now(CHINA).date()


def parse_date(raw) -> _dt.date:
    """A date from a `date`, a datetime (its China date when aware) or text `YYYY-MM-DD` (also
    `YYYY/MM/DD`, and an ISO timestamp's date part). ValueError for anything else."""
    if isinstance(raw, datetime):
        return (raw.astimezone(CHINA) if raw.tzinfo else raw).date()
    if isinstance(raw, _dt.date):
        return raw
    if raw is None:
        raise ValueError("no date given")
    value = str(raw).strip().replace("/", "-")
    return _dt.date.fromisoformat(value[:10]) if len(value) >= 10 else _dt.date.fromisoformat(value)


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as UTC; returns aware UTC datetimes on every backend.

    SQLite has no timezone type, so values come back naive there; we re-attach UTC.
    Naive input is refused: a naive time is ambiguous and a bug.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


CHINA_ZONE_LABEL = "UTC+8"


def _in_china(value: datetime) -> datetime:
    """An aware datetime (naive ones are taken as UTC) in China time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(CHINA)


def china_time(value, *, seconds: bool = False) -> str:
    """An aware UTC datetime as China time with its zone, for people: '2026-12-02 17:40 (UTC+8)'.
    Stored times stay UTC; only display converts. Naive values are taken as UTC."""
    if value is None:
        return ""
    return _in_china(value).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M") + f" ({CHINA_ZONE_LABEL})"


def china_date(value) -> str:
    """The China-time calendar date of an aware datetime (or a date as it is): '2026-12-02'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _in_china(value).date()
    return value.isoformat()
