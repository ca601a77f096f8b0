"""Run a product import: vet the file, check every row, then publish all rows at once.

Two streaming passes over the file, and the writes, each in its own module:

1. **Scan** (`scanning`): type, encoding, width, header and row count; nothing is written, and a
   file over the row or column cap, with a bad header or an unreadable row is refused.
2. **Check** (`checking`), chunk by chunk with no write lock held: each row is validated by the
   product service and becomes plain table rows, or is skipped when it is as the last import
   left it. Checked chunks are staged (`staging`).
3. **Publish** (`publishing`), in one transaction (default, all or nothing) or one per chunk
   (``partial``): new products first, then changed ones, then one audit event.

   SQLite has one writer at a time: chunks are staged in a temporary file (memory stays flat)
   and written after the check, so the write lock is held for seconds, not for the minutes the
   checks take. PostgreSQL writes each chunk's new products from a second thread while the next
   chunks are checked (`pipeline`); the transaction still commits only at the end, and changed
   products are still written after the check, so existing products are not locked while the
   file is being checked.

One audit event per successful run (`catalog.import`, with the file's SHA-256 and the counts).
What a run reports is an `ImportResult` (`result`).
"""
from __future__ import annotations

import functools
import hashlib
import time

from core.extensions import db
from core.i18n import N_
from core.tabular import DEFAULT_MAX_ROWS, FileRejected, open_table

from catalog import policy
from catalog.importing.checking import CHUNK_ROWS, check
from catalog.importing.columns import Issue
from catalog.importing.pipeline import ABORT, END, Pipeline
from catalog.importing.publishing import Writer, publish_after_check
from catalog.importing.result import ImportResult, Progress, no_progress
from catalog.importing.scanning import Repeats, scan
from catalog.importing.staging import Stage


def file_sha256(path: str) -> str:
    """The SHA-256 of the file at `path` (hex), read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def run_import(path: str, supplier, actor=None, *, partial: bool = False, max_rows: int | None = None,
               max_columns: int | None = None, filename: str | None = None, progress: Progress | None = None,
               chunk_rows: int = CHUNK_ROWS, pipeline: bool | None = None) -> ImportResult:
    """Import a CSV/XLSX product file for ``supplier``. Never raises for bad input: see ``result.issues``.

    Returns an :class:`ImportResult`; ``ok`` is True only when every row was written.
    ``pipeline``: write new products while checking (default: on PostgreSQL; see `Pipeline`).
    """
    progress = progress or no_progress
    result = ImportResult(partial=partial, filename=filename or path.rsplit("/", 1)[-1])
    started = time.perf_counter()
    try:
        return _run(path, supplier, actor, result, partial=partial, max_rows=max_rows or DEFAULT_MAX_ROWS,
                    max_columns=max_columns, progress=progress, chunk_rows=chunk_rows, pipeline=pipeline)
    finally:
        result.timings["total"] = time.perf_counter() - started


def _run(path, supplier, actor, result: ImportResult, *, partial, max_rows, max_columns, progress,
         chunk_rows, pipeline) -> ImportResult:
    try:
        t = time.perf_counter()
        table = open_table(path, max_rows=max_rows, max_columns=max_columns)
        result.sha256 = file_sha256(path)
        repeats = Repeats()
        header = scan(table, result, progress, repeats)
        result.timings["scan"] = time.perf_counter() - t
    except FileRejected as exc:
        result.add(Issue(exc.row or 0, "", exc.template, exc.params))
        return result
    if header is None:
        return result
    if not policy.is_supplier_organisation(supplier):
        result.add(Issue(0, "", N_("Products can only be imported for a supplier organisation.")))
        return result
    if pipeline is None:
        pipeline = db.session.connection().dialect.name == "postgresql"
    stage = Stage()
    lane = None
    try:
        if pipeline:
            from flask import current_app

            lane = Pipeline(current_app._get_current_object(), supplier.id, getattr(actor, "id", None), header,
                            partial=partial)
            lane.start()
            sink = lane.put
        else:
            sink = functools.partial(stage.add, "new")
        progress(0, result.rows, "check")
        try:
            check(table, header, supplier, result, stage, sink, progress=progress, repeats=repeats,
                  chunk_rows=chunk_rows)
        except FileRejected as exc:
            result.add(Issue(exc.row or 0, "", exc.template, exc.params))
        # The check only read: end its transaction before writing.
        db.session.rollback()
        if result.issues and not partial:
            return result.nothing_written()
        t = time.perf_counter()
        if lane is not None:
            progress(0, result.created + result.updated - result.unchanged, "write")
            lane.close(END, result, stage, progress)
            done, lane = lane.outcome, None
        else:
            done = publish_after_check(stage, Writer(supplier, actor, header, partial=partial), result,
                                       partial=partial, progress=progress)
        result.timings["publish"] = time.perf_counter() - t - result.timings["commit"]
        if done is not None:
            return done
    finally:
        if lane is not None and lane.thread.is_alive():
            lane.close(ABORT)
        stage.close()
    written = result.created + result.updated - result.unchanged
    result.written = written > 0
    result.ok = not result.issues
    return result
