"""The chronograph: the one scheduler of every time-driven transition.

A tender's bid deadline, a bond's expiry, an award's standstill period: each object stores its
next deadline per kind as a `Deadline` row (one per kind, object type and object id), and a
package registers, from its `register(app)`, the handler that runs when a kind falls due::

    scheduler.register_handler(app, "tender.close_bids", close_bids_when_due)
    ...
    scheduler.schedule("tender.close_bids", "tenders", tender.id, tender.bids_due_at)  # in a use case

`run_due()` runs every pending deadline whose time has come, each in its own transaction:

1. the row is claimed by a conditional UPDATE (`status='pending' AND due_at <= now`, and on
   PostgreSQL `FOR UPDATE SKIP LOCKED` so a second process passes by instead of waiting); only the
   process whose UPDATE changed the row runs it, so no deadline runs twice;
2. the handler `func(object_id, due_at)` changes its rows in that same transaction (and writes
   its audit event); the scheduler commits the claim and the handler's work together;
3. a handler error rolls both back; the row stays pending with `attempts` + 1, `last_error`, and
   `due_at` pushed back by a growing delay (`backoff`), so one bad row never blocks the others.

Handlers must be idempotent (check the object's state: "already closed" is a quiet no-op) and
should not commit: if one calls a service that commits, the claim commits with that service's
work, which is still all-or-nothing. A handler may `schedule` the next deadline of its own kind.

Who calls `run_due`:
- the embedded default (JOBS_BACKEND=thread): a daemon thread of the web process, every
  CHRONOGRAPH_INTERVAL seconds (`start_thread`, from `core.start_background`);
- production (JOBS_BACKEND=rq): `worker.py` starts `start_rq_trigger`, a thread of each worker
  process that, every interval, enqueues one `rq_run_due` job on the `default` queue; a Redis key
  taken with SET NX EX lets only one worker process enqueue per interval;
- cron, anywhere: `flask chronograph tick`;
- pages: `catch_up(object_type, object_id)` before showing an object ("checked again on read"),
  so a page never shows a state the clock has already ended, whatever the trigger's delay.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from core.errors import Misuse
from core.extensions import db
from core.models import Deadline
from core.timeutil import utcnow

log = logging.getLogger(__name__)

EXTENSION_KEY = "chronograph_handlers"
DEFAULT_LIMIT = 500
BACKOFF_BASE = timedelta(seconds=60)
BACKOFF_MAX = timedelta(hours=6)
ERROR_MAX = 2000  # characters of a handler's error kept in last_error
TICK_LOCK_KEY = "chronograph:tick"

_table = Deadline.__table__


@dataclass
class RunCounts:
    """What one `run_due` did: deadlines run (`done`), handler failures (`failed`), due rows
    another process had claimed first (`skipped`); `locked`: `catch_up` found SQLite locked."""

    done: int = 0
    failed: int = 0
    skipped: int = 0
    locked: bool = False

    def as_dict(self) -> dict:
        return {"done": self.done, "failed": self.failed, "skipped": self.skipped, "locked": self.locked}


# --- handlers ----------------------------------------------------------------------------------

def register_handler(app, kind: str, func) -> None:
    """Run `func(object_id, due_at)` when a deadline of `kind` falls due (from `register(app)`).

    One handler per kind; registering another function for a kind already taken is a
    `Misuse` (a ValueError), as is a kind longer than its column.
    """
    if not kind or len(kind) > _table.c.kind.type.length:
        raise Misuse("a deadline kind must be non-empty and fit the column Deadline.kind", kind)
    handlers = app.extensions.setdefault(EXTENSION_KEY, {})
    if handlers.get(kind, func) is not func:
        raise Misuse("this deadline kind already has another handler", kind)
    handlers[kind] = func


def handlers(app=None) -> dict:
    """The registered handlers of `app`, by kind."""
    return (app or current_app).extensions.get(EXTENSION_KEY, {})


# --- arming and disarming (inside the caller's transaction) ---------------------------------------

def _insert_for(dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the platform runs on PostgreSQL and SQLite only
        raise NotImplementedError("schedule() has an upsert for PostgreSQL and SQLite only")
    return insert


def schedule(kind: str, object_type: str, object_id: int, due_at: datetime) -> None:
    """Arm the `kind` deadline of an object for `due_at`: insert it, or move it (re-arming one
    already done or cancelled; attempts and error cleared). No commit: call it inside the use case
    whose change sets the deadline. `due_at` is an aware datetime; `kind` must have a handler."""
    if not isinstance(due_at, datetime) or due_at.tzinfo is None:
        raise Misuse("schedule() needs an aware datetime", due_at)
    if kind not in handlers():
        raise Misuse("no handler is registered for this deadline kind", kind)
    if not object_type or len(object_type) > _table.c.object_type.type.length:
        raise Misuse("an object type must be non-empty and fit the column Deadline.object_type", object_type)
    insert = _insert_for(db.session.get_bind().dialect.name)
    armed = {"due_at": due_at, "status": "pending", "attempts": 0, "last_error": None, "done_at": None}
    stmt = insert(_table).values(kind=kind, object_type=object_type, object_id=int(object_id),
                                 created_at=utcnow(), **armed)
    stmt = stmt.on_conflict_do_update(index_elements=["kind", "object_type", "object_id"], set_=armed)
    db.session.execute(stmt)


def cancel(kind: str, object_type: str, object_id: int) -> bool:
    """Disarm the pending `kind` deadline of an object; False when none was pending. No commit."""
    result = db.session.execute(
        update(_table)
        .where(_table.c.kind == kind, _table.c.object_type == object_type,
               _table.c.object_id == int(object_id), _table.c.status == "pending")
        .values(status="cancelled"))
    return result.rowcount == 1


def deadline_for(kind: str, object_type: str, object_id: int) -> Deadline | None:
    """The `kind` deadline row of an object (any status), read fresh from the database."""
    return db.session.execute(
        select(Deadline).where(Deadline.kind == kind, Deadline.object_type == object_type,
                               Deadline.object_id == int(object_id))
        .execution_options(populate_existing=True)).scalar_one_or_none()


def pending(limit: int = 100, *, object_type: str | None = None, object_id: int | None = None) -> list[Deadline]:
    """Pending deadlines, soonest first (for `flask chronograph list` and pages)."""
    query = select(Deadline).where(Deadline.status == "pending")
    if object_type is not None:
        query = query.where(Deadline.object_type == object_type)
    if object_id is not None:
        query = query.where(Deadline.object_id == int(object_id))
    return list(db.session.execute(query.order_by(Deadline.due_at, Deadline.id).limit(limit)
                                   .execution_options(populate_existing=True)).scalars())


# --- running ------------------------------------------------------------------------------------

def backoff(failures: int) -> timedelta:
    """The delay before retrying a deadline whose handler has failed `failures` times (>= 1):
    1, 2, 4, 8 ... minutes, at most 6 hours."""
    return min(BACKOFF_BASE * (2 ** min(max(failures, 1) - 1, 20)), BACKOFF_MAX)


def _due_ids(now, object_type, object_id, limit) -> list[int]:
    query = select(_table.c.id).where(_table.c.status == "pending", _table.c.due_at <= now)
    if object_type is not None:
        query = query.where(_table.c.object_type == object_type)
    if object_id is not None:
        query = query.where(_table.c.object_id == int(object_id))
    ids = list(db.session.execute(query.order_by(_table.c.due_at, _table.c.id).limit(limit)).scalars())
    if ids:
        # End the read: each deadline then runs in a transaction of its own. With nothing due
        # (most page views) the session's loaded objects stay as they are: a rollback would
        # expire them and every one would be read again.
        db.session.rollback()
    return ids


def _claim(deadline_id: int, now: datetime):
    """Mark one due deadline done if it is still pending and due; the row (kind, object_type,
    object_id, due_at, attempts) when this transaction won it, None when another did."""
    condition = [_table.c.id == deadline_id, _table.c.status == "pending", _table.c.due_at <= now]
    if db.session.get_bind().dialect.name == "postgresql":
        # Skip a row another process holds (its handler is running) instead of waiting for it.
        condition.append(_table.c.id.in_(
            select(_table.c.id).where(_table.c.id == deadline_id).with_for_update(skip_locked=True)
            .scalar_subquery()))
    result = db.session.execute(
        update(_table).where(*condition).values(status="done", done_at=utcnow())
        .returning(_table.c.kind, _table.c.object_type, _table.c.object_id, _table.c.due_at, _table.c.attempts))
    rows = result.all()
    return rows[0] if len(rows) == 1 else None


def _is_sqlite_lock(exc) -> bool:
    return isinstance(exc, OperationalError) and "database is locked" in str(getattr(exc, "orig", exc))


def _record_failure(deadline_id: int, claimed, now: datetime, exc: BaseException) -> None:
    failures = claimed.attempts + 1
    error = f"{exc.__class__.__name__}: {exc}"[:ERROR_MAX]
    try:
        db.session.execute(
            update(_table)
            .where(_table.c.id == deadline_id, _table.c.status == "pending", _table.c.due_at == claimed.due_at)
            .values(attempts=failures, last_error=error, due_at=now + backoff(failures)))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def _run_one(deadline_id: int, now: datetime, registry: dict) -> str:
    """Claim, run and commit one deadline: "done", "skipped" or "failed"."""
    try:
        claimed = _claim(deadline_id, now)
    except Exception:
        db.session.rollback()
        raise  # the database, not a handler: let the caller's loop decide
    if claimed is None:
        db.session.rollback()
        return "skipped"
    try:
        func = registry.get(claimed.kind)
        if func is None:
            raise LookupError("no handler is registered for this deadline kind")  # the row names the kind
        func(claimed.object_id, claimed.due_at)
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        if _is_sqlite_lock(exc):
            raise  # the database was busy: not the handler's fault, nothing to back off
        log.warning("deadline %s (%s %s:%s) failed: %s", deadline_id, claimed.kind, claimed.object_type,
                    claimed.object_id, exc, exc_info=True)
        _record_failure(deadline_id, claimed, now, exc)
        return "failed"
    return "done"


def run_due(now: datetime | None = None, *, object_type: str | None = None, object_id: int | None = None,
            limit: int = DEFAULT_LIMIT) -> RunCounts:
    """Run every pending deadline due at `now` (default: the current time), soonest first, at
    most `limit`, each in its own transaction; only those of one object when `object_type` and
    `object_id` are given. Safe to call from several processes at once: each deadline runs once.

    Commits or rolls back the session for every deadline: call it with no unsaved changes.
    """
    now = now or utcnow()
    if now.tzinfo is None:
        raise Misuse("run_due() needs an aware datetime", now)
    if db.session.new or db.session.dirty or db.session.deleted:
        raise RuntimeError("run_due()/catch_up() with unsaved changes in the session: commit or roll back first")
    registry = handlers()
    counts = RunCounts()
    for deadline_id in _due_ids(now, object_type, object_id, limit):
        outcome = _run_one(deadline_id, now, registry)
        setattr(counts, outcome, getattr(counts, outcome) + 1)
    if counts.done or counts.failed:
        log.info("chronograph: %d done, %d failed, %d skipped", counts.done, counts.failed, counts.skipped)
    return counts


def catch_up(object_type: str, object_id: int, now: datetime | None = None) -> RunCounts:
    """Run the due deadlines of one object now, before a page shows it.

    On SQLite a database locked by another writer does not turn the read into an error: the
    deadlines are left to the next tick (`locked` is set) and the page decides by the clock.
    """
    try:
        return run_due(now, object_type=object_type, object_id=object_id)
    except OperationalError as exc:
        if not _is_sqlite_lock(exc):
            raise
        db.session.rollback()
        log.info("catch_up %s:%s: database is locked; left to the next tick", object_type, object_id)
        return RunCounts(locked=True)


# --- triggers -----------------------------------------------------------------------------------

def interval(app) -> float:
    """Seconds between two runs (config CHRONOGRAPH_INTERVAL; 0 or less: no periodic trigger)."""
    return float(app.config.get("CHRONOGRAPH_INTERVAL", 15) or 0)


def tick(app) -> RunCounts | None:
    """One run of due deadlines in an app context of `app`, for a trigger's loop: logs instead
    of raising (a missing table on a fresh database, a locked SQLite file...)."""
    with app.app_context():
        try:
            return run_due()
        except Exception:
            log.exception("chronograph: run_due failed; trying again at the next tick")
            db.session.rollback()
            return None
        finally:
            db.session.remove()


def thread_enabled(app) -> bool:
    """The web process's thread runs in the embedded default: thread jobs, not testing, interval > 0."""
    return interval(app) > 0 and not app.testing and app.config.get("JOBS_BACKEND", "thread") == "thread"


def _thread_loop(app, stop: threading.Event, seconds: float) -> None:
    while not stop.wait(seconds):
        tick(app)


def start_thread(app) -> bool:
    """Start the web process's chronograph thread when `thread_enabled` (from core.start_background)."""
    if not thread_enabled(app):
        return False
    stop = threading.Event()
    app.extensions["chronograph_stop"] = stop
    threading.Thread(target=_thread_loop, args=(app, stop, interval(app)), name="chronograph", daemon=True).start()
    return True


def rq_run_due() -> dict:
    """The RQ job enqueued by `start_rq_trigger`: one `run_due` in the worker's app."""
    from core import jobs

    if jobs.worker_app is None:
        raise RuntimeError("rq_run_due runs in `python worker.py`, which binds the app; none is bound here")
    with jobs.worker_app.app_context():
        db.engine.dispose(close=False)  # a forked work horse must not share the parent's connections
    counts = tick(jobs.worker_app)
    return counts.as_dict() if counts else {}


def enqueue_tick(redis, queue, seconds: float) -> bool:
    """Enqueue one `rq_run_due` unless another worker process did within `seconds`: the Redis
    key `chronograph:tick` (SET NX EX) elects one enqueuer per interval. True when enqueued."""
    ttl = max(1, int(seconds))
    if not redis.set(TICK_LOCK_KEY, "1", nx=True, ex=ttl):
        return False
    queue.enqueue(rq_run_due, job_timeout=max(300, ttl * 4), ttl=max(60, ttl * 4), result_ttl=0, failure_ttl=24 * 3600,
                  description="chronograph: run due deadlines")
    return True


def _rq_loop(redis, queue, stop: threading.Event, seconds: float) -> None:
    while not stop.wait(seconds):
        try:
            enqueue_tick(redis, queue, seconds)
        except Exception:  # Redis away for a moment: try again at the next interval
            log.exception("chronograph: could not enqueue the tick")


def start_rq_trigger(app, redis) -> bool:
    """In an RQ worker process (worker.py): a daemon thread that enqueues `rq_run_due` on the
    `default` queue every CHRONOGRAPH_INTERVAL seconds (one enqueuer per interval across workers)."""
    seconds = interval(app)
    if seconds <= 0:
        return False
    from rq import Queue

    stop = threading.Event()
    app.extensions["chronograph_stop"] = stop
    threading.Thread(target=_rq_loop, args=(redis, Queue("default", connection=redis), stop, seconds),
                     name="chronograph-trigger", daemon=True).start()
    return True


# --- health -------------------------------------------------------------------------------------

def health() -> dict:
    """For /healthz: pending deadlines, those overdue by more than ten intervals (no trigger is
    running?) and those whose handler keeps failing. "degraded" when a handler is failing."""
    app = current_app
    now = utcnow()
    late = now - timedelta(seconds=max(interval(app), 15) * 10)
    try:
        count = db.func.count(_table.c.id)
        pending_count = db.session.execute(select(count).where(_table.c.status == "pending")).scalar()
        overdue = db.session.execute(select(count).where(_table.c.status == "pending", _table.c.due_at < late)).scalar()
        failing = db.session.execute(select(count).where(_table.c.status == "pending", _table.c.attempts > 0)).scalar()
    except Exception as exc:  # health reports, never fails
        db.session.rollback()
        return {"status": "down", "error": exc.__class__.__name__}
    return {"status": "degraded" if failing else "ok", "pending": pending_count, "overdue": overdue, "failing": failing}
