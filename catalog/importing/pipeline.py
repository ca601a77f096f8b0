"""PostgreSQL: publishing new products while the rest of the file is being checked.

A thread with its own session writes each chunk's new products while the next chunks are checked
(the database works on one core, the checks on the other), in one transaction that commits at the
end (a commit per part with ``partial``). Changed products are written after the check, so
existing products are not locked while the file is being checked. (SQLite has one writer at a
time: there the check holds no write lock, and everything is written once it is done.)
"""
from __future__ import annotations

import queue
import sys
import threading

from core.extensions import db

from catalog.importing.columns import Header
from catalog.importing.publishing import WRITE_ERRORS, Writer, settle
from catalog.importing.result import ImportResult, Progress, no_progress
from catalog.importing.staging import Stage

END, ABORT = "end", "abort"

# The writer thread mostly waits for the database, holding no GIL; each time the server answers,
# it needs the GIL back from the checking thread, which keeps it for the interpreter's switch
# interval (5 ms): hundreds of times per chunk, leaving the server idle. While a pipeline runs,
# the interval is 0.5 ms (measured: 50,000 rows in 17 s instead of 23 s).
_SWITCH_INTERVAL = 0.0005
_switches = {"users": 0, "saved": None}
_switches_lock = threading.Lock()


def _quick_switches(delta: int) -> None:
    with _switches_lock:
        if delta > 0 and _switches["users"] == 0:
            _switches["saved"] = sys.getswitchinterval()
            sys.setswitchinterval(min(_SWITCH_INTERVAL, _switches["saved"]))
        _switches["users"] += delta
        if delta < 0 and _switches["users"] == 0 and _switches["saved"] is not None:
            sys.setswitchinterval(_switches["saved"])
            _switches["saved"] = None


class Pipeline:
    """The writer thread (see the module's docstring): `start`, `put` each chunk's new products,
    then `close` with `END` (write the changed products, settle) or `ABORT` (roll back)."""

    def __init__(self, app, supplier_id: int, actor_id: int | None, header: Header, *, partial: bool):
        self.app, self.supplier_id, self.actor_id, self.header, self.partial = (
            app, supplier_id, actor_id, header, partial)
        self.queue: queue.Queue = queue.Queue(maxsize=2)  # bounded: memory stays flat
        self.thread = threading.Thread(target=self._run, name="gbm-import-writer", daemon=True)
        self.writer: Writer | None = None
        self.crash: BaseException | None = None  # an unexpected error, raised again by the caller
        self.outcome: ImportResult | None = None
        self.result: ImportResult | None = None
        self.stage: Stage | None = None
        self.progress: Progress = no_progress
        self.committing = False

    def start(self) -> None:
        _quick_switches(+1)
        self.thread.start()

    def put(self, part: dict) -> None:
        """Hand a chunk's new products to the writer (waits while two are queued)."""
        while self.thread.is_alive():
            try:
                self.queue.put(part, timeout=0.2)
                return
            except queue.Full:
                continue

    def close(self, command: str, result: ImportResult | None = None, stage: Stage | None = None,
              progress: Progress = no_progress) -> None:
        """``END``: the writer writes the changed products and settles (audit, commit); then
        this returns. ``ABORT``: the writer rolls back."""
        lock = threading.Lock()

        def reported(done: int, total: int, phase: str) -> None:  # one call at a time, from either thread
            with lock:
                if not self.committing:
                    progress(done, total, phase)
                    self.committing = phase == "commit"

        self.result, self.stage, self.progress = result, stage, reported
        self.put(command)
        total = (result.created + result.updated - result.unchanged) if result is not None else 0
        while self.thread.is_alive():
            if command == END and self.writer is not None:
                reported(self.writer.done, total, "write")
            self.thread.join(0.5)
        if self.crash is not None:
            raise self.crash

    def _run(self) -> None:
        with self.app.app_context():
            try:
                self._work()
            except BaseException as exc:  # raised again in the caller's thread
                self.crash = exc
                db.session.rollback()
            finally:
                db.session.remove()
                while True:  # nothing waits on a dead writer
                    try:
                        self.queue.get_nowait()
                    except queue.Empty:
                        break
                _quick_switches(-1)

    def _work(self) -> None:
        from core.models import Organisation, User

        supplier = db.session.get(Organisation, self.supplier_id)
        actor = db.session.get(User, self.actor_id) if self.actor_id is not None else None
        self.writer = writer = Writer(supplier, actor, self.header, partial=self.partial)
        failure = None
        while True:
            item = self.queue.get()
            if item in (END, ABORT):
                break
            if failure is None:  # after a failure: take the rest, write nothing more
                try:
                    writer.new_part(item)
                except WRITE_ERRORS as exc:
                    db.session.rollback()
                    failure = exc
        if item == ABORT:
            db.session.rollback()
            return
        if failure is None:
            try:
                for part in self.stage.read("changed"):
                    writer.changed_part(part)
            except WRITE_ERRORS as exc:
                db.session.rollback()
                failure = exc
        self.outcome = settle(writer, self.result, failure, self.partial, self.progress)
