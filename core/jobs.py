"""Background jobs with progress.

Embedded default: a thread in this process. Production (`JOBS_BACKEND=rq`): an RQ queue on
Redis, worked by `python worker.py`, which builds the app and binds it here.
"""
from __future__ import annotations

import importlib
import logging
import threading

from flask import current_app

from core.extensions import db
from core.models import Job

log = logging.getLogger(__name__)
_threads: list[threading.Thread] = []


def _resolve(path: str):
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def update_progress(job_id: str, done: int, total: int | None = None, message: str | None = None) -> None:
    """Record progress; commits on its own short session so pages see it at once."""
    with db.engine.begin() as conn:
        values = {"progress": done, "status": "running"}
        if total is not None:
            values["total"] = total
        if message is not None:
            values["message"] = message
        from core.timeutil import utcnow
        values["updated_at"] = utcnow()
        conn.execute(db.update(Job).where(Job.id == job_id).values(**values))


def _finish(job_id: str, status: str, result=None, message: str | None = None) -> None:
    from core.timeutil import utcnow
    with db.engine.begin() as conn:
        values = {"status": status, "result": result, "updated_at": utcnow()}
        if message is not None:
            values["message"] = message
        conn.execute(db.update(Job).where(Job.id == job_id).values(**values))


def run_job(job_id: str, func_path: str, args: tuple, kwargs: dict) -> None:
    """Run a job function inside an app context; record its result or failure."""
    func = _resolve(func_path)
    try:
        result = func(*args, job_id=job_id, **kwargs)
        _finish(job_id, "done", result=result if isinstance(result, dict) else {"value": result})
    except Exception as exc:  # a job failure is reported on the job page, not lost
        db.session.rollback()
        log.exception("job %s failed", job_id)
        _finish(job_id, "failed", message=str(exc) or exc.__class__.__name__)
    finally:
        db.session.remove()


def _thread_target(app, job_id, func_path, args, kwargs):
    with app.app_context():
        run_job(job_id, func_path, args, kwargs)


worker_app = None  # the app an RQ worker runs jobs in; bound by worker.py


def bind_worker_app(app) -> None:
    """Make `app` the one RQ jobs run in (called once by the worker entry point)."""
    global worker_app
    worker_app = app


def _rq_target(job_id, func_path, args, kwargs):  # executed by an RQ worker
    if worker_app is None:
        raise RuntimeError("RQ jobs run in `python worker.py`, which binds the app; none is bound here")
    with worker_app.app_context():
        run_job(job_id, func_path, args, kwargs)


def enqueue(func_path: str, *args, job_kind: str, owner=None, total: int = 0, **kwargs) -> Job:
    """Create a Job row and start `func_path(*args, job_id=..., **kwargs)` in the background."""
    job = Job(kind=job_kind, owner_id=getattr(owner, "id", None), total=total)
    db.session.add(job)
    db.session.commit()
    app = current_app._get_current_object()
    if app.config.get("JOBS_BACKEND") == "rq":
        from redis import Redis
        from rq import Queue

        Queue("default", connection=Redis.from_url(app.config["REDIS_URL"])).enqueue(
            _rq_target, job.id, func_path, args, kwargs, job_timeout=3600)
    else:
        thread = threading.Thread(target=_thread_target, args=(app, job.id, func_path, args, kwargs), daemon=True)
        _threads.append(thread)
        thread.start()
    return job


def wait_all(timeout: float = 30.0) -> None:
    """Tests: wait for in-process jobs to finish."""
    for thread in list(_threads):
        thread.join(timeout)
    _threads[:] = [t for t in _threads if t.is_alive()]
