"""The web upload's background job: run the import and report progress on the Job row."""
from __future__ import annotations

import os
import threading
import time

from flask import current_app

from core.extensions import db

# Live progress for the in-process (thread) backend. On SQLite an all-or-nothing import holds the
# database write lock while it publishes (the last, short phase), so the Job row is not updated
# then; the job page reads this instead. Keys are job ids, values (done, total, phase).
_LIVE: dict[str, tuple[int, int, str]] = {}
_LOCK = threading.Lock()


def live_progress(job_id: str) -> tuple[int, int, str] | None:
    with _LOCK:
        return _LIVE.get(job_id)


def import_job(path: str, supplier_id: int, user_id: int | None, partial: bool, filename: str, *, job_id: str) -> dict:
    """Import ``path`` for the supplier; the result dict becomes the job's result. Deletes the upload."""
    from core.jobs import update_progress
    from core.models import Organisation, User

    from catalog.importing.runner import run_import

    sqlite = db.engine.dialect.name == "sqlite"
    state = {"last": 0.0}

    def progress(done: int, total: int, phase: str) -> None:
        with _LOCK:
            _LIVE[job_id] = (done, total, phase)
        now = time.monotonic()
        # Checking holds no write lock; publishing does (on SQLite, until its commit).
        can_write_job_row = partial or not sqlite or phase in ("scan", "check")
        if can_write_job_row and now - state["last"] > 0.5:
            state["last"] = now
            update_progress(job_id, done, total or None, message=phase)

    try:
        supplier = db.session.get(Organisation, supplier_id)
        actor = db.session.get(User, user_id) if user_id else None
        result = run_import(path, supplier, actor, partial=partial, filename=filename, progress=progress,
                            max_rows=current_app.config.get("IMPORT_MAX_ROWS"),
                            max_columns=current_app.config.get("IMPORT_MAX_COLUMNS"))
        data = result.to_dict()
        update_progress(job_id, result.rows, result.rows, message="done")
        return data
    finally:
        with _LOCK:
            _LIVE.pop(job_id, None)
        try:
            os.remove(path)
        except OSError:
            pass
