"""Two (or more) requests at the same moment, on PostgreSQL: the one helper the race tests share.

`race(app, monkeypatch, calls, lock=(module, "lock_function"))` runs each call in its own thread
with its own session; every thread waits at a barrier just before it asks for the row lock named
by `lock`, so the transactions really overlap. It returns one outcome per call: ``"ok"``, the
`Conflict` raised, or the repr of any other exception (which the test's assertions then report).
"""
from __future__ import annotations

import threading

import pytest

from core.errors import Conflict
from core.extensions import db


@pytest.fixture
def postgres_only(app):
    """Skip unless the suite runs on PostgreSQL: row-lock concurrency is proven there."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row-lock concurrency is proven on PostgreSQL (TEST_DATABASE_URL)")


def race(app, monkeypatch, calls, *, lock) -> list:
    """Run `calls` concurrently, all reaching `lock` = (module, attribute name) together."""
    module, name = lock
    barrier = threading.Barrier(len(calls), timeout=20)
    real_lock = getattr(module, name)

    def lock_together(*args, **kwargs):
        barrier.wait()  # every transaction has begun; all now ask for the row lock
        return real_lock(*args, **kwargs)

    monkeypatch.setattr(module, name, lock_together)
    outcomes: list = [None] * len(calls)

    def run(i, fn):
        with app.app_context():
            try:
                fn()
                outcomes[i] = "ok"
            except Conflict as exc:
                outcomes[i] = exc
            except Exception as exc:  # noqa: BLE001 - reported by the caller's assertions
                outcomes[i] = repr(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return outcomes
