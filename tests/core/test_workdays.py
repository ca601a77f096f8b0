"""Chinese working days: State Council holidays and make-up working weekends from the package,
overrides in `calendar_days` that win over it, Monday-Friday for years nobody covers."""
from datetime import date, datetime, timezone

import pytest

from core import workdays
from core.errors import ValidationError
from core.extensions import db
from core.models import AuditEvent, CalendarDay
from core.workdays import WorkCalendar

D = date.fromisoformat
PACKAGE = WorkCalendar({})  # the package and the weekday rule, no overrides (pure)
FAR = 2099  # a year no package release knows


# --- the State Council calendar (pure) ----------------------------------------------------------

@pytest.mark.pure
def test_spring_festival_2025_holidays_and_make_up_weekends():
    assert PACKAGE.is_working_day(D("2025-01-26"))  # Sunday, make-up working day
    assert PACKAGE.is_working_day(D("2025-02-08"))  # Saturday, make-up working day
    assert not PACKAGE.is_working_day(D("2025-01-25"))  # an ordinary Saturday
    for day in range(28, 32):
        assert not PACKAGE.is_working_day(date(2025, 1, day))
    for day in range(1, 5):
        assert not PACKAGE.is_working_day(date(2025, 2, day))  # Monday 3rd and Tuesday 4th too
    assert PACKAGE.is_working_day(D("2025-01-27")) and PACKAGE.is_working_day(D("2025-02-05"))


@pytest.mark.pure
def test_adding_working_days_across_the_spring_festival_2025():
    assert PACKAGE.add_working_days(D("2025-01-24"), 1) == D("2025-01-26")  # Friday -> the working Sunday
    assert PACKAGE.add_working_days(D("2025-01-27"), 1) == D("2025-02-05")  # over the eight-day holiday
    assert PACKAGE.add_working_days(D("2025-01-27"), 4) == D("2025-02-08")  # the working Saturday counts
    assert PACKAGE.add_working_days(D("2025-01-27"), 5) == D("2025-02-10")
    assert PACKAGE.next_working_day(D("2025-01-27")) == D("2025-02-05")
    # 26, 27 January; 5, 6, 7, 8 (Saturday) and 10 February
    assert PACKAGE.working_days_between(D("2025-01-24"), D("2025-02-10")) == 7
    assert PACKAGE.working_days_between(D("2025-02-10"), D("2025-01-24")) == -7
    assert PACKAGE.working_days_between(D("2025-01-28"), D("2025-02-04")) == 0


@pytest.mark.pure
def test_spring_festival_2024():
    assert PACKAGE.is_working_day(D("2024-02-04"))  # Sunday, make-up
    assert PACKAGE.is_working_day(D("2024-02-18"))  # Sunday, make-up
    assert not PACKAGE.is_working_day(D("2024-02-12"))  # Monday inside 10..17 February
    assert PACKAGE.add_working_days(D("2024-02-02"), 1) == D("2024-02-04")  # Friday -> Sunday
    assert PACKAGE.add_working_days(D("2024-02-09"), 1) == D("2024-02-18")  # over 10..17 February
    assert PACKAGE.working_days_between(D("2024-02-09"), D("2024-02-19")) == 2  # 18 and 19 February


@pytest.mark.pure
def test_arithmetic_is_consistent_and_strict_about_its_input():
    start = D("2025-01-20")
    for n in range(0, 40):
        end = PACKAGE.add_working_days(start, n)
        assert PACKAGE.working_days_between(start, end) == n
        assert n == 0 or PACKAGE.is_working_day(end)
    assert PACKAGE.add_working_days(D("2025-01-30"), 0) == D("2025-01-30")  # n = 0: the day itself
    with pytest.raises(ValueError):
        PACKAGE.add_working_days(start, -1)
    with pytest.raises(TypeError):
        PACKAGE.is_working_day(datetime(2025, 1, 26, tzinfo=timezone.utc))  # a date, not a time
    with pytest.raises(TypeError):
        PACKAGE.is_working_day("2025-01-26")


@pytest.mark.pure
def test_a_year_nobody_covers_falls_back_to_monday_to_friday():
    assert not workdays.package_covers(FAR)
    assert workdays.package_covers(2025)
    assert PACKAGE.is_working_day(date(FAR, 1, 1))  # a Thursday: New Year's Day unknown
    assert not PACKAGE.is_working_day(date(FAR, 1, 3))  # Saturday
    assert PACKAGE.source(date(FAR, 1, 1)) == "weekdays"
    assert PACKAGE.uncovered_years([FAR, 2025, FAR, 2024]) == [FAR]
    assert WorkCalendar({date(FAR, 1, 1): False}).uncovered_years([FAR]) == []
    # a make-up working day alone is not a year's notice: still uncovered
    assert WorkCalendar({date(FAR, 1, 3): True}).uncovered_years([FAR]) == [FAR]


# --- overrides in the database -------------------------------------------------------------------

def test_an_override_for_2027_changes_the_answer():
    # chinese-calendar 1.11.0 (pinned) ends with 2026: 2027 is Monday to Friday until overridden
    assert not workdays.package_covers(2027), "the pinned package now covers 2027: pick a later year"
    friday, monday = D("2027-02-05"), D("2027-02-08")
    assert workdays.uncovered_years([2026, 2027]) == [2027]
    assert workdays.is_working_day(monday) and not workdays.is_working_day(D("2027-02-20"))
    assert workdays.add_working_days(friday, 1) == monday
    assert workdays.working_days_between(friday, D("2027-02-19")) == 10

    workdays.set_day(monday, working=False, name="春节")
    workdays.set_day(D("2027-02-20"), working=True, name="春节调休上班")  # a Saturday

    calendar = workdays.load_calendar()
    assert not calendar.is_working_day(monday) and calendar.source(monday) == "override"
    assert calendar.is_working_day(D("2027-02-20"))
    assert workdays.add_working_days(friday, 1) == D("2027-02-09")
    assert workdays.next_working_day(D("2027-02-07")) == D("2027-02-09")
    assert workdays.working_days_between(friday, D("2027-02-19")) == 9
    assert workdays.working_days_between(friday, D("2027-02-20")) == 10
    assert workdays.uncovered_years([2026, 2027]) == []


def test_override_wins_over_the_package_and_setting_twice_replaces_it_with_an_audit_trail():
    sunday = D("2025-01-26")  # the package says: make-up working day
    assert workdays.is_working_day(sunday)
    workdays.set_day(sunday, working=False, name="  test   correction ")
    assert not workdays.is_working_day(sunday)
    assert PACKAGE.add_working_days(D("2025-01-24"), 1) == sunday
    assert workdays.add_working_days(D("2025-01-24"), 1) == D("2025-01-27")
    workdays.set_day(sunday, working=True, name="back")
    db.session.expire_all()
    rows = db.session.execute(db.select(CalendarDay)).scalars().all()
    assert [(r.day, r.working, r.name) for r in rows] == [(sunday, True, "back")]
    events = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "calendar.set")
                                .order_by(AuditEvent.seq)).scalars().all()
    assert [e.object_id for e in events] == ["2025-01-26", "2025-01-26"]
    assert events[0].before is None and events[0].after == {"day": "2025-01-26", "working": False, "name": "test correction"}
    assert events[1].before == events[0].after and events[1].after["working"] is True
    assert workdays.unset_day(sunday) is True
    assert workdays.unset_day(sunday) is False
    assert workdays.load_calendar().source(sunday) == "package"
    assert db.session.execute(db.select(db.func.count(AuditEvent.id))
                              .where(AuditEvent.action == "calendar.unset")).scalar() == 1


def test_one_query_per_batch(app):
    from sqlalchemy import event

    workdays.set_day(date(FAR, 1, 2), working=False, name="元旦")  # a Friday
    statements = []

    def count(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert workdays.add_working_days(date(FAR, 1, 1), 30) == date(FAR, 2, 13)  # not the 12th: the 2nd is off
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len([s for s in statements if "calendar_days" in s]) == 1


def test_name_too_long_is_refused_with_a_translated_message():
    with pytest.raises(ValidationError) as info:
        workdays.set_day(D("2027-01-01"), working=False, name="x" * 101)
    assert "at most 100" in info.value.message
    assert db.session.execute(db.select(db.func.count()).select_from(CalendarDay)).scalar() == 0


def test_health_reports_uncovered_years_without_failing(client, monkeypatch):
    import core.timeutil

    monkeypatch.setattr(core.timeutil, "today_cn", lambda: date(FAR - 1, 12, 3))
    body = client.get("/healthz").get_json()
    assert body["calendar"]["status"] == "ok"
    assert body["calendar"]["uncovered_years"] == [FAR - 1, FAR]
    assert f"{FAR - 1}, {FAR}" in body["calendar"]["warning"]
    workdays.set_day(date(FAR, 1, 1), working=False, name="元旦")
    body = client.get("/healthz").get_json()
    assert body["calendar"]["uncovered_years"] == [FAR - 1]
    monkeypatch.setattr(core.timeutil, "today_cn", lambda: date(2025, 6, 1))
    body = client.get("/healthz").get_json()
    assert body["calendar"] == {"status": "ok", "uncovered_years": []}


# --- the CLI ---------------------------------------------------------------------------------

def test_cli_sets_shows_and_refuses_bad_dates(app):
    runner = app.test_cli_runner()
    bad = runner.invoke(args=["calendar", "set", "2027-02-30", "--holiday"])
    assert bad.exit_code == 2 and "is not a date" in bad.output and "YYYY-MM-DD" in bad.output
    missing = runner.invoke(args=["calendar", "set", "2027-02-08"])
    assert missing.exit_code == 2 and "--working or --holiday" in missing.output
    too_long = runner.invoke(args=["calendar", "set", "2027-02-08", "--holiday", "--name", "x" * 101])
    assert too_long.exit_code == 2 and "at most 100" in too_long.output
    ok = runner.invoke(args=["calendar", "set", "2027-02-08", "--holiday", "--name", "春节"])
    assert ok.exit_code == 0, ok.output
    assert "2027-02-08 (Mon) is now a holiday: 春节" in ok.output
    db.session.expire_all()
    assert not workdays.is_working_day(D("2027-02-08"))

    shown = runner.invoke(args=["calendar", "show", "2027"])
    assert shown.exit_code == 0, shown.output
    assert "2027-02-08 Mon  holiday  override  春节" in shown.output

    year_2025 = runner.invoke(args=["calendar", "show", "2025"])
    assert "holiday data from the chinese_calendar package" in year_2025.output
    assert "2025-01-26 Sun  working  package   Spring Festival" in year_2025.output
    assert "2025-02-04 Tue  holiday  package   Spring Festival" in year_2025.output
    assert "2025-02-09" not in year_2025.output  # an ordinary Sunday is not listed

    far = runner.invoke(args=["calendar", "show", str(FAR)])
    assert "NO HOLIDAY DATA" in far.output
    assert runner.invoke(args=["calendar", "show", "twenty"]).exit_code == 2

    unset = runner.invoke(args=["calendar", "unset", "2027-02-08"])
    assert unset.exit_code == 0 and "removed" in unset.output
