"""The chronograph: deadlines run once when due and never before, in their own transactions;
failures back off without blocking the rest; concurrent runs never run a deadline twice."""
from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy.exc import OperationalError

from core import scheduler
from core.extensions import db
from core.models import Deadline, MailMessage
from core.services import unit_of_work

T0 = datetime(2030, 3, 4, 1, 0, tzinfo=timezone.utc)
SECOND = timedelta(seconds=1)


@pytest.fixture
def kinds(app):
    """Register handlers for one test; removed afterwards."""
    registered = []

    def register(kind, func):
        scheduler.register_handler(app, kind, func)
        registered.append(kind)
        return func

    yield register
    for kind in registered:
        app.extensions[scheduler.EXTENSION_KEY].pop(kind, None)


def _outbox_row(subject="tender") -> int:
    """A row the handlers change (an outbox message stands in for a tender)."""
    row = MailMessage(to_address="x@example.cn", subject=subject, body="", kind="test")
    db.session.add(row)
    db.session.commit()
    return row.id


def _send(object_id) -> bool:
    """The idempotent transition a handler makes: pending -> sent, once."""
    result = db.session.execute(db.update(MailMessage).where(MailMessage.id == object_id, MailMessage.status == "pending")
                                .values(status="sent", attempts=MailMessage.attempts + 1))
    return result.rowcount == 1


def _message(object_id) -> MailMessage:
    db.session.expire_all()
    return db.session.get(MailMessage, object_id)


class Calls:
    """A handler that counts its calls by object id (thread-safe) and sends the message."""

    def __init__(self):
        self.calls = Counter()
        self.due = []
        self.lock = threading.Lock()

    def __call__(self, object_id, due_at):
        with self.lock:
            self.calls[object_id] += 1
            self.due.append(due_at)
        _send(object_id)


def _arm(kind, object_id, due_at, object_type="mail_messages"):
    with unit_of_work():
        scheduler.schedule(kind, object_type, object_id, due_at)


def test_runs_exactly_once_when_due_and_not_before(kinds):
    handler = kinds("test.send", Calls())
    message = _outbox_row()
    _arm("test.send", message, T0)

    assert scheduler.run_due(T0 - SECOND).done == 0
    assert handler.calls[message] == 0 and _message(message).status == "pending"

    counts = scheduler.run_due(T0)
    assert (counts.done, counts.failed, counts.skipped) == (1, 0, 0)
    assert handler.calls[message] == 1 and handler.due == [T0]
    assert _message(message).status == "sent"
    row = scheduler.deadline_for("test.send", "mail_messages", message)
    assert row.status == "done" and row.done_at is not None and row.attempts == 0

    assert scheduler.run_due(T0 + timedelta(hours=1)).done == 0
    assert handler.calls[message] == 1


def test_schedule_does_not_commit_and_validates(kinds, app):
    kinds("test.send", Calls())
    message = _outbox_row()
    scheduler.schedule("test.send", "mail_messages", message, T0)
    db.session.rollback()  # the caller's use case failed: no deadline
    assert scheduler.deadline_for("test.send", "mail_messages", message) is None
    with pytest.raises(ValueError):
        scheduler.schedule("test.send", "mail_messages", message, T0.replace(tzinfo=None))
    with pytest.raises(ValueError):
        scheduler.schedule("test.no_such_kind", "mail_messages", message, T0)
    with pytest.raises(ValueError):
        scheduler.register_handler(app, "test.send", lambda object_id, due_at: None)
    db.session.add(MailMessage(to_address="y@example.cn", subject="unsaved", body="", kind="test"))
    with pytest.raises(RuntimeError):
        scheduler.catch_up("mail_messages", message, now=T0)  # would silently drop the page's change
    db.session.rollback()


def test_a_handler_run_twice_has_no_extra_effect(kinds):
    handler = kinds("test.send", Calls())
    message = _outbox_row()
    _arm("test.send", message, T0)
    assert scheduler.run_due(T0).done == 1
    _arm("test.send", message, T0 + SECOND)  # armed again (say, by a retry of the use case)
    assert scheduler.run_due(T0 + SECOND).done == 1
    assert handler.calls[message] == 2  # the handler ran twice...
    assert _message(message).attempts == 1  # ...and changed the object once


def test_moving_a_deadline_rearms_it(kinds):
    handler = kinds("test.send", Calls())
    message = _outbox_row()
    _arm("test.send", message, T0)
    _arm("test.send", message, T0 + timedelta(days=1))  # moved later before it fell due
    assert scheduler.run_due(T0).done == 0
    assert scheduler.run_due(T0 + timedelta(days=1)).done == 1

    _arm("test.send", message, T0 + timedelta(days=3))  # armed again after it ran
    row = scheduler.deadline_for("test.send", "mail_messages", message)
    assert row.status == "pending" and row.done_at is None
    assert scheduler.run_due(T0 + timedelta(days=3) - SECOND).done == 0
    assert scheduler.run_due(T0 + timedelta(days=3)).done == 1
    assert handler.due == [T0 + timedelta(days=1), T0 + timedelta(days=3)]
    assert db.session.execute(db.select(db.func.count(Deadline.id))).scalar() == 1  # one row per kind and object


def test_cancel(kinds):
    handler = kinds("test.send", Calls())
    message = _outbox_row()
    _arm("test.send", message, T0)
    with unit_of_work():
        assert scheduler.cancel("test.send", "mail_messages", message) is True
    with unit_of_work():
        assert scheduler.cancel("test.send", "mail_messages", message) is False
    assert scheduler.run_due(T0 + timedelta(days=1)).done == 0
    assert handler.calls[message] == 0
    assert scheduler.deadline_for("test.send", "mail_messages", message).status == "cancelled"
    assert scheduler.pending() == []


def test_a_failing_handler_backs_off_and_the_others_still_run(kinds):
    good = kinds("test.send", Calls())

    def broken(object_id, due_at):
        _send(object_id)  # its own work, rolled back with the failure
        raise RuntimeError("the tender service is down")

    kinds("test.broken", broken)
    bad_message, first, second = _outbox_row(), _outbox_row(), _outbox_row()
    _arm("test.broken", bad_message, T0 - timedelta(minutes=5))  # the soonest: runs first
    _arm("test.send", first, T0 - SECOND)
    _arm("test.send", second, T0)

    counts = scheduler.run_due(T0)
    assert (counts.done, counts.failed) == (2, 1)
    assert good.calls == {first: 1, second: 1}
    assert _message(bad_message).status == "pending"  # the handler's change was rolled back
    row = scheduler.deadline_for("test.broken", "mail_messages", bad_message)
    assert row.status == "pending" and row.attempts == 1
    assert "RuntimeError: the tender service is down" in row.last_error
    assert row.due_at == T0 + scheduler.backoff(1) == T0 + timedelta(minutes=1)

    assert scheduler.run_due(T0 + 30 * SECOND).failed == 0  # backing off
    later = T0 + timedelta(minutes=1)
    assert scheduler.run_due(later).failed == 1
    row = scheduler.deadline_for("test.broken", "mail_messages", bad_message)
    assert row.attempts == 2 and row.due_at == later + timedelta(minutes=2)  # growing delay
    assert scheduler.backoff(3) == timedelta(minutes=4) and scheduler.backoff(30) == scheduler.BACKOFF_MAX

    _arm("test.broken", bad_message, later)  # scheduling again clears the failure
    row = scheduler.deadline_for("test.broken", "mail_messages", bad_message)
    assert (row.attempts, row.last_error, row.due_at) == (0, None, later)


def test_a_deadline_of_a_kind_without_handler_fails_visibly(kinds, app):
    kinds("test.gone", Calls())
    message = _outbox_row()
    _arm("test.gone", message, T0)
    app.extensions[scheduler.EXTENSION_KEY].pop("test.gone")  # say, a package no longer wired
    assert scheduler.run_due(T0).failed == 1
    row = scheduler.deadline_for("test.gone", "mail_messages", message)
    assert row.status == "pending" and "no handler" in row.last_error


def test_a_handler_may_schedule_its_next_deadline(kinds):
    calls = []

    def recurring(object_id, due_at):
        calls.append(due_at)
        if len(calls) < 2:
            scheduler.schedule("test.recurring", "mail_messages", object_id, due_at + timedelta(hours=1))

    kinds("test.recurring", recurring)
    message = _outbox_row()
    _arm("test.recurring", message, T0)
    assert scheduler.run_due(T0 + timedelta(days=1)).done == 1  # the next one is not in this run's list
    row = scheduler.deadline_for("test.recurring", "mail_messages", message)
    assert row.status == "pending" and row.due_at == T0 + timedelta(hours=1)
    assert scheduler.run_due(T0 + timedelta(days=1)).done == 1
    assert scheduler.deadline_for("test.recurring", "mail_messages", message).status == "done"
    assert calls == [T0, T0 + timedelta(hours=1)]


def test_catch_up_runs_only_that_objects_deadlines(kinds):
    handler = kinds("test.send", Calls())
    other_kind = kinds("test.other", Calls())
    mine, theirs = _outbox_row(), _outbox_row()
    _arm("test.send", mine, T0)
    _arm("test.other", mine, T0 - SECOND)
    _arm("test.send", theirs, T0)
    _arm("test.send", mine, T0, object_type="tenders")  # same id, another type

    counts = scheduler.catch_up("mail_messages", mine, now=T0)
    assert (counts.done, counts.locked) == (2, False)
    assert handler.calls == {mine: 1} and other_kind.calls == {mine: 1}
    assert scheduler.deadline_for("test.send", "mail_messages", theirs).status == "pending"
    assert scheduler.deadline_for("test.send", "tenders", mine).status == "pending"
    assert scheduler.catch_up("mail_messages", mine, now=T0).done == 0


def test_catch_up_with_nothing_due_leaves_loaded_objects_alone(kinds):
    """Most page views find nothing due: they must not expire (and so re-read) what the request
    already loaded."""
    kinds("test.send", Calls())
    row_id = _outbox_row()
    _arm("test.send", row_id, T0 + SECOND)
    message = db.session.get(MailMessage, row_id)
    assert scheduler.catch_up("mail_messages", row_id, now=T0).done == 0
    assert "id" in message.__dict__, "nothing due: the loaded row was not expired"
    assert scheduler.catch_up("mail_messages", row_id, now=T0 + SECOND).done == 1


def _locked():
    return OperationalError("UPDATE deadlines ...", {}, Exception("database is locked"))


def test_catch_up_turns_a_locked_database_into_a_deferred_run(kinds, monkeypatch):
    handler = kinds("test.send", Calls())
    message = _outbox_row()
    _arm("test.send", message, T0)

    def locked_claim(deadline_id, now):
        raise _locked()

    monkeypatch.setattr(scheduler, "_claim", locked_claim)
    assert scheduler.catch_up("mail_messages", message, now=T0).locked is True  # the read goes on
    with pytest.raises(OperationalError):
        scheduler.run_due(T0)  # a trigger's run sees the error (and logs it in `tick`)

    def other_error(deadline_id, now):
        raise OperationalError("UPDATE deadlines ...", {}, Exception("disk I/O error"))

    monkeypatch.setattr(scheduler, "_claim", other_error)
    with pytest.raises(OperationalError):
        scheduler.catch_up("mail_messages", message, now=T0)
    monkeypatch.undo()
    assert handler.calls[message] == 0
    assert scheduler.catch_up("mail_messages", message, now=T0).done == 1


def test_a_handler_meeting_a_locked_database_is_not_backed_off(kinds):
    def busy(object_id, due_at):
        raise _locked()

    kinds("test.busy", busy)
    message = _outbox_row()
    _arm("test.busy", message, T0)
    assert scheduler.catch_up("mail_messages", message, now=T0).locked is True
    row = scheduler.deadline_for("test.busy", "mail_messages", message)
    assert (row.status, row.attempts, row.due_at) == ("pending", 0, T0)  # left as it was for the next tick


def test_a_claimed_deadline_cannot_be_claimed_again(kinds):
    kinds("test.send", Calls())
    message = _outbox_row()
    _arm("test.send", message, T0)
    deadline_id = scheduler.deadline_for("test.send", "mail_messages", message).id
    assert scheduler._claim(deadline_id, T0 - SECOND) is None  # not due yet
    assert scheduler._claim(deadline_id, T0) is not None
    db.session.commit()
    assert scheduler._claim(deadline_id, T0) is None  # done: the second claimer loses
    db.session.rollback()


def test_two_concurrent_runs_run_each_deadline_once(kinds, app, monkeypatch):
    """Both runs read the same list of due deadlines before either claims one (a barrier), then
    race for every row; the claim decides, on SQLite (write lock) and PostgreSQL (row locks)."""
    handler = kinds("test.send", Calls())
    messages = [_outbox_row(f"tender {i}") for i in range(12)]
    with unit_of_work():
        for i, message in enumerate(messages):
            scheduler.schedule("test.send", "mail_messages", message, T0 - i * SECOND)

    barrier = threading.Barrier(2, timeout=60)
    original = scheduler._due_ids

    def listed_then_wait(*args):
        ids = original(*args)
        barrier.wait()
        return ids

    monkeypatch.setattr(scheduler, "_due_ids", listed_then_wait)
    results, errors = [], []

    def run():
        with app.app_context():
            try:
                results.append(scheduler.run_due(T0))
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    assert len(results) == 2
    assert sum(r.done for r in results) == len(messages)
    assert sum(r.skipped for r in results) == len(messages)  # each saw all of them, won half-ish
    assert set(handler.calls) == set(messages) and set(handler.calls.values()) == {1}
    assert all(_message(m).attempts == 1 for m in messages)


# --- triggers, CLI, health ------------------------------------------------------------------------

def test_the_web_thread_runs_only_in_the_embedded_default(app):
    def fake(testing=False, **config):
        return SimpleNamespace(testing=testing, config={"JOBS_BACKEND": "thread", "CHRONOGRAPH_INTERVAL": 15, **config})

    assert scheduler.thread_enabled(fake())
    assert not scheduler.thread_enabled(fake(testing=True))
    assert not scheduler.thread_enabled(fake(JOBS_BACKEND="rq"))
    assert not scheduler.thread_enabled(fake(CHRONOGRAPH_INTERVAL=0))
    assert scheduler.start_thread(app) is False  # the test app never starts it
    assert app.config["CHRONOGRAPH_INTERVAL"] == 15


def test_tick_runs_due_deadlines_in_its_own_app_context(kinds, app):
    handler = kinds("test.send", Calls())
    message = _outbox_row()
    _arm("test.send", message, datetime.now(timezone.utc) - SECOND)
    counts = scheduler.tick(app)
    assert counts.done == 1 and handler.calls[message] == 1


class FakeRedis:
    def __init__(self):
        self.keys = {}

    def set(self, key, value, nx=False, ex=None):
        if nx and key in self.keys:
            return None
        self.keys[key] = (value, ex)
        return True


class FakeQueue:
    def __init__(self):
        self.jobs = []

    def enqueue(self, func, **options):
        self.jobs.append((func, options))
        assert options["ttl"] >= 60  # a tick left queued behind a backlog expires instead of piling up


def test_rq_trigger_enqueues_one_run_per_interval_across_workers(kinds, app, monkeypatch):
    redis, queue = FakeRedis(), FakeQueue()
    assert scheduler.enqueue_tick(redis, queue, 15) is True
    assert scheduler.enqueue_tick(redis, queue, 15) is False  # another worker process, same interval
    assert [func for func, _ in queue.jobs] == [scheduler.rq_run_due]
    assert redis.keys[scheduler.TICK_LOCK_KEY][1] == 15  # the election expires with the interval

    from core import jobs

    handler = kinds("test.send", Calls())
    message = _outbox_row()
    _arm("test.send", message, datetime.now(timezone.utc) - SECOND)
    monkeypatch.setattr(jobs, "worker_app", app)
    assert scheduler.rq_run_due()["done"] == 1  # what the worker runs
    assert handler.calls[message] == 1


def test_cli_tick_and_list(kinds, app):
    kinds("test.send", Calls())

    def broken(object_id, due_at):
        raise RuntimeError("boom")

    kinds("test.broken", broken)
    runner = app.test_cli_runner()
    assert "no pending deadlines" in runner.invoke(args=["chronograph", "list"]).output
    first, second = _outbox_row(), _outbox_row()
    now = datetime.now(timezone.utc)
    _arm("test.send", first, now - SECOND)
    _arm("test.send", second, now + timedelta(days=2))
    listing = runner.invoke(args=["chronograph", "list"])
    assert listing.exit_code == 0
    assert f"test.send  mail_messages:{first}" in listing.output and f"mail_messages:{second}" in listing.output
    tick = runner.invoke(args=["chronograph", "tick"])
    assert tick.exit_code == 0 and "done 1, failed 0" in tick.output
    _arm("test.broken", first, now - SECOND)
    failed = runner.invoke(args=["chronograph", "tick"])
    assert failed.exit_code == 1 and "failed 1" in failed.output
    assert "failed 1x: RuntimeError: boom" in runner.invoke(args=["chronograph", "list"]).output


def test_health_reports_failing_deadlines(kinds, client):
    def broken(object_id, due_at):
        raise RuntimeError("boom")

    kinds("test.broken", broken)
    assert client.get("/healthz").get_json()["chronograph"] == {"status": "ok", "pending": 0, "overdue": 0, "failing": 0}
    message = _outbox_row()
    _arm("test.broken", message, datetime.now(timezone.utc) - timedelta(hours=1))
    assert client.get("/healthz").get_json()["chronograph"]["overdue"] == 1
    scheduler.run_due()
    body = client.get("/healthz").get_json()["chronograph"]
    assert body == {"status": "degraded", "pending": 1, "overdue": 0, "failing": 1}
