"""Run a product import: vet the file, check every row, write through the product service.

Two passes over the file, both streaming:

1. **Scan**: type, encoding, header and row count. Nothing is written; a file over the row cap,
   with a bad header or an unreadable row is refused here.
2. **Write**: each row becomes product data and goes through
   `catalog.services.product_upsert.upsert_product` (which validates and adds to the session, so no
   product is written twice by different code). Rows are processed in chunks; after a chunk the
   products are flushed and dropped from the session so memory stays flat.

   * default (all or nothing): one transaction; if any row fails, everything is rolled back and
     every row's problems are reported;
   * ``partial``: each chunk commits on its own; failing rows are skipped and reported.

One audit event per successful run (`catalog.import`, with the file's SHA-256 and the counts).
"""
from __future__ import annotations

import gc
import hashlib
import logging
import time
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from core import audit
from core.errors import ServiceError, ValidationError
from core.extensions import db
from core.i18n import N_
from core.tabular import DEFAULT_MAX_ROWS, FileRejected, Table, is_blank_row, open_table

from catalog import policy
from catalog.importing.columns import Header, Issue, parse_header, row_to_data

log = logging.getLogger(__name__)

CHUNK_ROWS = 500
GC_EVERY_CHUNKS = 20
MAX_REPORTED_ISSUES = 1000
Progress = Callable[[int, int, str], None]


@dataclass
class ImportResult:
    ok: bool = False
    written: bool = False
    partial: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    failed_rows: int = 0
    sha256: str = ""
    filename: str = ""
    issues: list[Issue] = field(default_factory=list)
    issues_truncated: int = 0
    # seconds spent per phase: scan, service (upsert_product), flush (database writes), other
    timings: dict = field(default_factory=lambda: {"scan": 0.0, "preload": 0.0, "service": 0.0, "flush": 0.0,
                                                   "commit": 0.0, "total": 0.0})
    _failed: set = field(default_factory=set, repr=False)

    def add(self, issue: Issue) -> None:
        if issue.row > 1 and issue.row not in self._failed:
            self._failed.add(issue.row)
            self.failed_rows += 1
        if len(self.issues) < MAX_REPORTED_ISSUES:
            self.issues.append(issue)
        else:
            self.issues_truncated += 1

    def to_dict(self) -> dict:
        """JSON form stored as a job's result."""
        return {"ok": self.ok, "written": self.written, "partial": self.partial, "rows": self.rows,
                "created": self.created, "updated": self.updated, "failed_rows": self.failed_rows,
                "sha256": self.sha256, "filename": self.filename,
                "issues": [i.as_list() for i in self.issues], "issues_truncated": self.issues_truncated}


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _noop(_done: int, _total: int, _phase: str) -> None:
    return None


# --------------------------------------------------------------------------- pass 1


def scan(table: Table, result: ImportResult, progress: Progress) -> Header | None:
    """Header check and row count. Returns the header, or None when the file is refused."""
    header = None
    data_rows = 0
    for n, cells in table.rows():
        if header is None:
            if is_blank_row(cells):
                continue
            header, issues = parse_header(cells)
            for issue in issues:
                result.add(Issue(n, issue.column, issue.message, issue.params))
            if issues:
                return None
            continue
        if is_blank_row(cells):
            continue
        data_rows += 1
        if data_rows > table.max_rows:
            result.add(Issue(0, "", N_("The file has more than %(max)s data rows; at most %(max)s "
                                       "can be imported at once. Split the file."), {"max": f"{table.max_rows:,}"}))
            return None
        if data_rows % 5000 == 0:
            progress(data_rows, 0, "scan")
    if header is None:
        result.add(Issue(0, "", N_("The file is empty: it has no header row.")))
        return None
    if data_rows == 0:
        result.add(Issue(0, "", N_("The file has a header but no product rows.")))
        return None
    result.rows = data_rows
    return header


# --------------------------------------------------------------------------- pass 2


def _sku_of(data: dict) -> str | None:
    sku = data.get("sku")
    if sku is None:
        return None
    sku = str(sku).strip()
    return sku or None


class _Writer:
    def __init__(self, supplier, actor, header: Header, result: ImportResult, partial: bool, progress: Progress):
        from catalog.services.product_bulk import make_upsert_context

        self.supplier, self.actor, self.header = supplier, actor, header
        self.supplier_id = supplier.id
        self.result, self.partial, self.progress = result, partial, progress
        self.ctx = make_upsert_context(supplier, preload_products=False)
        self.seen: dict[str, int] = {}
        self.done = 0
        # The supplier's SKUs before this import, read once. A per-chunk "which of these exist?"
        # query slows down chunk after chunk on PostgreSQL (no planner statistics for rows
        # inserted earlier in the same transaction); SKUs written by this import are in `seen`.
        from catalog.models.products import Product

        self.before: dict[str, int] = {sku: pid for sku, pid in db.session.execute(
            select(Product.sku, Product.id).where(Product.supplier_id == self.supplier_id))}

    def _upsert(self, row: int, data: dict, existing: set) -> bool:
        from catalog.services.product_upsert import upsert_product

        sku = _sku_of(data)
        if sku is not None and sku in self.seen:
            self.result.add(Issue(row, "sku", N_("SKU %(sku)s appears again (first at row %(first)s)"),
                                  {"sku": sku, "first": self.seen[sku]}))
            return False
        t = time.perf_counter()
        try:
            upsert_product(self.supplier, data, self.actor, audit=False, context=self.ctx)
        except ValidationError as exc:
            if exc.fields:
                for fld, message in exc.fields.items():
                    template, params = message if isinstance(message, tuple) else (message, {})
                    self.result.add(Issue(row, self.header.column_for(fld), template, params))
            else:
                self.result.add(Issue(row, "", exc.template, exc.params))
            return False
        finally:
            self.result.timings["service"] += time.perf_counter() - t
        if sku is not None:
            self.seen[sku] = row
            if sku in existing:
                self.result.updated += 1
            else:
                self.result.created += 1
        return True

    def _release(self, products) -> None:
        """Forget written products so memory does not grow with the file.

        After a flush they are clean, and the session's identity map holds clean objects only
        weakly, so dropping our references is enough (expunging each one costs more than it saves).
        """
        self.ctx.products = {}

    def _preload(self, skus: list[str]) -> set[str]:
        """Load the chunk's products that existed before this import (via the product service)."""
        from sqlalchemy.orm import selectinload

        from catalog.models.products import Product

        t = time.perf_counter()
        self.ctx.products = {}
        ids = [self.before[s] for s in skus if s in self.before]
        if ids:
            # By primary key (the same evidence as UpsertContext.preload loads): PostgreSQL may
            # otherwise plan the SKU lookup as a scan of all the supplier's products.
            rows = db.session.execute(
                select(Product).where(Product.id.in_(ids))
                .options(selectinload(Product.indicator_values), selectinload(Product.certificates),
                         selectinload(Product.test_reports), selectinload(Product.carbon_declarations))
            ).unique().scalars()
            self.ctx.products = {p.sku: p for p in rows}
        self.result.timings["preload"] += time.perf_counter() - t
        return set(self.ctx.products)

    def chunk(self, rows: list[tuple[int, dict]]) -> None:
        skus = [s for s in (_sku_of(d) for _n, d in rows) if s]
        existing = self._preload(skus)
        created_before, updated_before = self.result.created, self.result.updated
        ok_rows = []
        for row, data in rows:
            if self._upsert(row, data, existing):
                ok_rows.append((row, data))
        t = time.perf_counter()
        try:
            db.session.flush()
            if self.partial:
                db.session.commit()
        except IntegrityError as exc:
            db.session.rollback()
            log.info("import chunk conflict: %s", exc.orig)
            self.result.created, self.result.updated = created_before, updated_before
            for sku in skus:
                self.seen.pop(sku, None)
            if not self.partial:
                first, last = rows[0][0], rows[-1][0]
                self.result.add(Issue(first, "", N_("rows %(first)s-%(last)s conflict with existing data (%(problem)s)"),
                                      {"first": first, "last": last, "problem": _short(exc)}))
                raise _Abort() from None
            self._retry_one_by_one(ok_rows)
        self.result.timings["flush"] += time.perf_counter() - t
        self._release(list(self.ctx.products.values()))
        self.done += len(rows)
        self.progress(self.done, self.result.rows, "write")

    def _retry_one_by_one(self, rows: list[tuple[int, dict]]) -> None:
        """Partial mode after a conflict in a chunk: commit good rows alone, report the others."""
        for row, data in rows:
            existing = self._preload([s for s in [_sku_of(data)] if s])
            if not self._upsert(row, data, existing):
                continue
            try:
                db.session.commit()
            except IntegrityError as exc:
                db.session.rollback()
                sku = _sku_of(data)
                if sku:
                    self.seen.pop(sku, None)
                    if sku in existing:
                        self.result.updated -= 1
                    else:
                        self.result.created -= 1
                self.result.add(Issue(row, "", N_("conflicts with existing data (%(problem)s)"), {"problem": _short(exc)}))
            self._release(list(self.ctx.products.values()))


class _Abort(Exception):
    pass


def _short(exc: Exception) -> str:
    text = str(getattr(exc, "orig", exc)).splitlines()[0]
    return text[:200]


def write(table: Table, header: Header, supplier, actor, result: ImportResult, *, partial: bool,
          progress: Progress, chunk_rows: int = CHUNK_ROWS) -> None:
    writer = _Writer(supplier, actor, header, result, partial, progress)
    buffer: list[tuple[int, dict]] = []
    header_seen = False
    chunks = 0
    try:
        for n, cells in table.rows():
            if is_blank_row(cells):
                continue
            if not header_seen:
                header_seen = True
                continue
            buffer.append((n, row_to_data(header, cells)))
            if len(buffer) >= chunk_rows:
                writer.chunk(buffer)
                buffer = []
                chunks += 1
                if chunks % GC_EVERY_CHUNKS == 0:
                    # Written products are reference cycles (product <-> children); in a long import
                    # they pile up in the oldest GC generation between the interpreter's rare full
                    # collections, so memory would grow with the file without this.
                    gc.collect()
        if buffer:
            writer.chunk(buffer)
    except _Abort:
        db.session.rollback()
        return


# --------------------------------------------------------------------------- entry point


def run_import(path: str, supplier, actor=None, *, partial: bool = False, max_rows: int | None = None,
               filename: str | None = None, progress: Progress | None = None,
               chunk_rows: int = CHUNK_ROWS) -> ImportResult:
    """Import a CSV/XLSX product file for ``supplier``. Never raises for bad input: see ``result.issues``.

    Returns an :class:`ImportResult`; ``ok`` is True only when every row was written.
    """
    progress = progress or _noop
    result = ImportResult(partial=partial, filename=filename or path.rsplit("/", 1)[-1])
    started = time.perf_counter()
    try:
        return _run(path, supplier, actor, result, partial=partial, max_rows=max_rows or DEFAULT_MAX_ROWS,
                    progress=progress, chunk_rows=chunk_rows)
    finally:
        result.timings["total"] = time.perf_counter() - started


def _run(path, supplier, actor, result: ImportResult, *, partial, max_rows, progress, chunk_rows) -> ImportResult:
    try:
        t = time.perf_counter()
        table = open_table(path, max_rows=max_rows)
        result.sha256 = file_sha256(path)
        header = scan(table, result, progress)
        result.timings["scan"] = time.perf_counter() - t
    except FileRejected as exc:
        result.add(Issue(exc.row or 0, "", exc.template, exc.params))
        return result
    if header is None:
        return result
    if not policy.is_supplier_organisation(supplier):
        result.add(Issue(0, "", N_("Products can only be imported for a supplier organisation.")))
        return result
    progress(0, result.rows, "write")
    supplier_id = supplier.id
    try:
        write(table, header, supplier, actor, result, partial=partial, progress=progress, chunk_rows=chunk_rows)
    except FileRejected as exc:
        db.session.rollback()
        result.add(Issue(exc.row or 0, "", exc.template, exc.params))
        if not partial:
            result.created = result.updated = 0
            return result
    except (ServiceError, SQLAlchemyError) as exc:
        db.session.rollback()
        log.exception("import failed")
        result.add(Issue(0, "", N_("The import failed and nothing was written (%(problem)s)."),
                         {"problem": exc.__class__.__name__}))
        if not partial:
            result.created = result.updated = 0
            return result
    if result.issues and not partial:
        db.session.rollback()
        result.created = result.updated = 0
        return result
    written = result.created + result.updated
    progress(result.rows, result.rows, "commit")
    t = time.perf_counter()
    audit.record("catalog.import", object_type="organisations", object_id=supplier_id, actor=actor, after={
        "file_sha256": result.sha256, "filename": result.filename, "rows": result.rows, "created": result.created,
        "updated": result.updated, "failed_rows": result.failed_rows, "partial": partial})
    db.session.commit()
    result.timings["commit"] = time.perf_counter() - t
    result.written = written > 0
    result.ok = not result.issues
    return result
