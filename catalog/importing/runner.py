"""Run a product import: vet the file, check every row, then publish all rows at once.

Three streaming passes over the file, then one short write:

1. **Scan**: type, encoding, width, header and row count. Nothing is written; a file over the
   row or column cap, with a bad header or an unreadable row is refused here.
2. **Check** (no write lock held, so other users keep writing): each row becomes product data
   and is validated by the product service (`product_upsert.clean_product_data`, the first half of
   `upsert_product`). A row whose SKU exists with the same file row as the last import
   (`Product.import_digest`, still current) is skipped. A new product is turned into plain table
   rows with its verdicts (`product_bulk.new_product_rows`); verdict details are stored once per
   distinct value (`verdict_details`). Prepared chunks go to a temporary file, so memory stays flat.
3. **Publish**: the staged chunks are written in one transaction (default, all or nothing:
   nothing is written if any row failed the check) or one transaction per chunk (``partial``).
   New products and their rows are inserted in bulk (`COPY` on PostgreSQL, executemany on SQLite);
   changed existing products go through `upsert_product` (reopen on review-relevant changes,
   verdict refresh). On SQLite the write lock is held only for this step: seconds, not the
   minutes the checks take.

One audit event per successful run (`catalog.import`, with the file's SHA-256 and the counts).
"""
from __future__ import annotations

import gc
import hashlib
import logging
import pickle
import tempfile
import time
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from core import audit
from core.errors import ServiceError, ValidationError
from core.extensions import db
from core.i18n import N_
from core.tabular import DEFAULT_MAX_ROWS, FileRejected, Table, is_blank_row, open_table
from core.timeutil import today_cn, utcnow

from catalog import policy
from catalog.importing.columns import Header, Issue, parse_header, row_to_data

log = logging.getLogger(__name__)

CHUNK_ROWS = 500
GC_EVERY_CHUNKS = 20
MAX_REPORTED_ISSUES = 1000
MAX_REMEMBERED_DETAILS = 200_000  # digests of verdict details already staged in this import
Progress = Callable[[int, int, str], None]


@dataclass
class ImportResult:
    ok: bool = False
    written: bool = False
    partial: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0  # rows whose SKU existed (changed or not)
    unchanged: int = 0  # of those, rows skipped because they are as the last import left them
    failed_rows: int = 0
    sha256: str = ""
    filename: str = ""
    issues: list[Issue] = field(default_factory=list)
    issues_truncated: int = 0
    # seconds per phase: scan, check (validate + build + verdicts), publish (database writes), commit
    timings: dict = field(default_factory=lambda: {"scan": 0.0, "preload": 0.0, "check": 0.0, "publish": 0.0,
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
                "created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "failed_rows": self.failed_rows, "sha256": self.sha256, "filename": self.filename,
                "issues": [i.as_list() for i in self.issues], "issues_truncated": self.issues_truncated}


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def row_digest(data: dict) -> str:
    """Digest of one row's product data (the columns present and their values)."""
    return hashlib.blake2b(repr(data).encode("utf-8"), digest_size=16).hexdigest()


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


# --------------------------------------------------------------------------- pass 2: check


def _sku_of(data: dict) -> str | None:
    sku = data.get("sku")
    if sku is None:
        return None
    sku = str(sku).strip()
    return sku or None


def _add_validation_issues(result: ImportResult, header: Header, row: int, exc: ValidationError) -> None:
    if exc.fields:
        for fld, message in exc.fields.items():
            template, params = message if isinstance(message, tuple) else (message, {})
            result.add(Issue(row, header.column_for(fld), template, params))
    else:
        result.add(Issue(row, "", exc.template, exc.params))


class _Stage:
    """Checked chunks, pickled to a temporary file and read back once by `publish`."""

    def __init__(self):
        self.fh = tempfile.TemporaryFile(prefix="gbm-import-")
        self.chunks = 0

    def add(self, chunk: dict) -> None:
        pickle.dump(chunk, self.fh, protocol=pickle.HIGHEST_PROTOCOL)
        self.chunks += 1

    def __iter__(self):
        self.fh.seek(0)
        for _ in range(self.chunks):
            yield pickle.load(self.fh)

    def close(self) -> None:
        self.fh.close()


class _Checker:
    """Validates rows chunk by chunk and stages what to write. Reads only."""

    def __init__(self, supplier, header: Header, result: ImportResult, stage: _Stage, progress: Progress):
        from catalog.models.products import Product
        from catalog.services.product_bulk import make_upsert_context

        self.supplier, self.header, self.result, self.stage, self.progress = supplier, header, result, stage, progress
        self.supplier_id = supplier.id
        self.ctx = make_upsert_context(supplier, preload_products=False)
        self.today = today_cn()
        self.now = utcnow()
        self.seen: dict[str, int] = {}
        self.details_seen: dict = {}
        self.done = 0
        # The supplier's products before this import, read once: SKU -> (id, skip this digest?)
        self.before: dict[str, tuple[int, str | None]] = {}
        for sku, pid, digest, imported_at, updated_at in db.session.execute(
                select(Product.sku, Product.id, Product.import_digest, Product.imported_at, Product.updated_at)
                .where(Product.supplier_id == self.supplier_id)):
            current = digest if (digest and imported_at is not None and imported_at == updated_at) else None
            self.before[sku] = (pid, current)

    def _load(self, ids: list[int]) -> dict:
        """The chunk's changed existing products (columns only: enough to validate against)."""
        from catalog.models.products import Product

        if not ids:
            return {}
        t = time.perf_counter()
        found = {p.sku: p for p in db.session.execute(select(Product).where(Product.id.in_(ids))).unique().scalars()}
        self.result.timings["preload"] += time.perf_counter() - t
        return found

    def chunk(self, rows: list[tuple[int, dict]]) -> None:
        from catalog.services.product_bulk import new_product_rows
        from catalog.services.product_upsert import clean_product_data

        t = time.perf_counter()
        staged_new, staged_changed = [], []
        todo = []
        for row, data in rows:
            sku = _sku_of(data)
            if sku is not None and sku in self.seen:
                self.result.add(Issue(row, "sku", N_("SKU %(sku)s appears again (first at row %(first)s)"),
                                      {"sku": sku, "first": self.seen[sku]}))
                continue
            if sku is not None:
                self.seen[sku] = row
            digest = row_digest(data)
            known = self.before.get(sku) if sku is not None else None
            if known is not None and known[1] == digest:
                self.result.updated += 1
                self.result.unchanged += 1
                continue
            todo.append((row, sku, data, digest, known))
        self.ctx.products = self._load([k[0] for _r, _s, _d, _g, k in todo if k is not None])
        if len(self.details_seen) > MAX_REMEMBERED_DETAILS:
            self.details_seen.clear()  # only saves re-sending: the database ignores known details
        for row, sku, data, digest, known in todo:
            try:
                cleaned = clean_product_data(self.supplier, data, context=self.ctx, today=self.today)
            except ValidationError as exc:
                _add_validation_issues(self.result, self.header, row, exc)
                continue
            if cleaned.is_new:
                staged_new.append((row, new_product_rows(self.supplier_id, cleaned, self.ctx, today=self.today,
                                                         now=self.now, details_seen=self.details_seen,
                                                         import_digest=digest)))
                self.result.created += 1
            else:
                staged_changed.append((row, data, digest))
                self.result.updated += 1
        self.ctx.products = {}
        if staged_new or staged_changed:
            self.stage.add({"new": staged_new, "changed": staged_changed})
        self.result.timings["check"] += time.perf_counter() - t
        self.done += len(rows)
        self.progress(self.done, self.result.rows, "check")


def check(table: Table, header: Header, supplier, result: ImportResult, stage: _Stage, *, progress: Progress,
          chunk_rows: int = CHUNK_ROWS) -> None:
    checker = _Checker(supplier, header, result, stage, progress)
    buffer: list[tuple[int, dict]] = []
    header_seen = False
    for n, cells in table.rows():
        if is_blank_row(cells):
            continue
        if not header_seen:
            header_seen = True
            continue
        buffer.append((n, row_to_data(header, cells)))
        if len(buffer) >= chunk_rows:
            checker.chunk(buffer)
            buffer = []
    if buffer:
        checker.chunk(buffer)


# --------------------------------------------------------------------------- pass 3: publish

CHILD_TABLES = ("product_indicator_values", "certificates", "test_reports", "carbon_declarations",
                "product_verdicts")


class _Conflict(Exception):
    pass


class _Publisher:
    def __init__(self, supplier, actor, header: Header, result: ImportResult):
        from catalog.services.product_bulk import make_upsert_context

        self.supplier, self.actor, self.header, self.result = supplier, actor, header, result
        self.supplier_id = supplier.id
        self.ctx = make_upsert_context(supplier, preload_products=False)
        self.today = today_cn()

    def write(self, chunk: dict) -> None:
        """Write one staged chunk in the current transaction (IntegrityError on a conflict)."""
        if chunk["new"]:
            self._insert_new([rows for _row, rows in chunk["new"]])
        if chunk["changed"]:
            self._update_changed(chunk["changed"])
        db.session.flush()

    def _insert_new(self, products: list[dict]) -> None:
        from catalog.models.products import Product
        from catalog.services.deferred import write_rows
        from catalog.services.verdicts import insert_details_json

        conn = db.session.connection()
        if conn.dialect.name == "postgresql":
            # Ids from the products' own sequence first, so COPY writes them: reading them back
            # by SKU would be planned without statistics for rows this transaction inserted.
            ids_list = conn.execute(text("SELECT nextval(pg_get_serial_sequence('products', 'id')) "
                                         "FROM generate_series(1, :n)"), {"n": len(products)}).scalars().all()
            for p, pid in zip(products, ids_list):
                p["products"]["id"] = pid
            write_rows(conn, "products", [p["products"] for p in products])
            ids = {p["products"]["sku"]: p["products"]["id"] for p in products}
        else:
            write_rows(conn, "products", [p["products"] for p in products])
            skus = [p["products"]["sku"] for p in products]
            ids = dict(conn.execute(select(Product.sku, Product.id)
                                    .where(Product.supplier_id == self.supplier_id, Product.sku.in_(skus))).all())
        insert_details_json(conn, [d for p in products for d in p["verdict_details"]])
        for p in products:  # staged rows are ours (unpickled): set their product in place
            pid = ids[p["products"]["sku"]]
            for table in CHILD_TABLES:
                for r in p[table]:
                    r["product_id"] = pid
        for table in CHILD_TABLES:
            rows = [r for p in products for r in p[table]]
            if rows:
                write_rows(conn, table, rows)
        # The search outbox watches the unit of work and ORM-enabled UPDATEs, not these bulk
        # inserts: stamp the chunk's products through one (their values stay the same).
        stamp = products[0]["products"]["imported_at"]
        if stamp is not None:
            db.session.execute(update(Product).where(Product.id.in_(list(ids.values())))
                               .values(imported_at=stamp, updated_at=stamp))

    def _update_changed(self, items: list[tuple[int, dict, str]]) -> None:
        from sqlalchemy.orm import selectinload

        from catalog.models.products import Product
        from catalog.services.product_upsert import upsert_product

        skus = [_sku_of(data) for _row, data, _digest in items]
        self.ctx.products = {p.sku: p for p in db.session.execute(
            select(Product).where(Product.supplier_id == self.supplier_id, Product.sku.in_(skus))
            .options(selectinload(Product.indicator_values), selectinload(Product.certificates),
                     selectinload(Product.test_reports), selectinload(Product.carbon_declarations),
                     selectinload(Product.verdicts))).unique().scalars()}
        now = utcnow()
        for row, data, digest in items:
            try:
                product = upsert_product(self.supplier, data, self.actor, audit=False, context=self.ctx,
                                         today=self.today)
            except ValidationError as exc:  # changed meanwhile (e.g. the category's rules)
                _add_validation_issues(self.result, self.header, row, exc)
                raise _Conflict() from None
            product.import_digest = digest
            product.imported_at = product.updated_at = now
        self.ctx.products = {}


def _short(exc: Exception) -> str:
    text = str(getattr(exc, "orig", exc)).splitlines()[0]
    return text[:200]


def _chunk_rows(chunk: dict) -> list[int]:
    return sorted([row for row, _rows in chunk["new"]] + [row for row, _d, _g in chunk["changed"]])


def _forget(result: ImportResult, chunk: dict) -> None:
    """Counts of a chunk that was not written."""
    result.created -= len(chunk["new"])
    result.updated -= len(chunk["changed"])


def publish(stage: _Stage, supplier, actor, header: Header, result: ImportResult, *, partial: bool,
            progress: Progress) -> bool:
    """Write the staged chunks. All or nothing: one transaction, False (rolled back) on a conflict.
    Partial: a transaction per chunk; a chunk that conflicts is retried row by row."""
    publisher = _Publisher(supplier, actor, header, result)
    done = 0
    for n, chunk in enumerate(stage, 1):
        rows = _chunk_rows(chunk)
        try:
            publisher.write(chunk)
            if partial:
                db.session.commit()
        except (IntegrityError, _Conflict) as exc:
            db.session.rollback()
            if not partial:
                if isinstance(exc, IntegrityError):
                    log.info("import chunk conflict: %s", exc.orig)
                    result.add(Issue(rows[0], "", N_("rows %(first)s-%(last)s conflict with existing data (%(problem)s)"),
                                     {"first": rows[0], "last": rows[-1], "problem": _short(exc)}))
                return False
            _forget(result, chunk)
            _one_by_one(publisher, chunk, result)
        done += len(rows)
        progress(done, result.created + result.updated - result.unchanged, "write")
        if n % GC_EVERY_CHUNKS == 0:
            gc.collect()  # products written through the unit of work are reference cycles
    return True


def _one_by_one(publisher: _Publisher, chunk: dict, result: ImportResult) -> None:
    items = [(row, {"new": [(row, rows)], "changed": []}) for row, rows in chunk["new"]]
    items += [(row, {"new": [], "changed": [(row, data, digest)]}) for row, data, digest in chunk["changed"]]
    for row, single in sorted(items, key=lambda item: item[0]):
        try:
            publisher.write(single)
            db.session.commit()
        except (IntegrityError, _Conflict) as exc:
            db.session.rollback()
            if isinstance(exc, IntegrityError):
                result.add(Issue(row, "", N_("conflicts with existing data (%(problem)s)"), {"problem": _short(exc)}))
            continue
        result.created += len(single["new"])
        result.updated += len(single["changed"])


# --------------------------------------------------------------------------- entry point


def run_import(path: str, supplier, actor=None, *, partial: bool = False, max_rows: int | None = None,
               max_columns: int | None = None, filename: str | None = None, progress: Progress | None = None,
               chunk_rows: int = CHUNK_ROWS) -> ImportResult:
    """Import a CSV/XLSX product file for ``supplier``. Never raises for bad input: see ``result.issues``.

    Returns an :class:`ImportResult`; ``ok`` is True only when every row was written.
    """
    progress = progress or _noop
    result = ImportResult(partial=partial, filename=filename or path.rsplit("/", 1)[-1])
    started = time.perf_counter()
    try:
        return _run(path, supplier, actor, result, partial=partial, max_rows=max_rows or DEFAULT_MAX_ROWS,
                    max_columns=max_columns, progress=progress, chunk_rows=chunk_rows)
    finally:
        result.timings["total"] = time.perf_counter() - started


def _nothing_written(result: ImportResult) -> ImportResult:
    result.created = result.updated = result.unchanged = 0
    return result


def _run(path, supplier, actor, result: ImportResult, *, partial, max_rows, max_columns, progress,
         chunk_rows) -> ImportResult:
    try:
        t = time.perf_counter()
        table = open_table(path, max_rows=max_rows, max_columns=max_columns)
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
    supplier_id = supplier.id
    stage = _Stage()
    try:
        progress(0, result.rows, "check")
        try:
            check(table, header, supplier, result, stage, progress=progress, chunk_rows=chunk_rows)
        except FileRejected as exc:
            result.add(Issue(exc.row or 0, "", exc.template, exc.params))
            if not partial:
                db.session.rollback()
                return _nothing_written(result)
        # The check only read: end its transaction before writing.
        db.session.rollback()
        if result.issues and not partial:
            return _nothing_written(result)
        t = time.perf_counter()
        progress(0, result.created + result.updated - result.unchanged, "write")
        try:
            if not publish(stage, supplier, actor, header, result, partial=partial, progress=progress):
                return _nothing_written(result)
        except (ServiceError, SQLAlchemyError) as exc:
            db.session.rollback()
            log.exception("import failed")
            result.add(Issue(0, "", N_("The import failed and nothing was written (%(problem)s)."),
                             {"problem": exc.__class__.__name__}))
            if not partial:
                return _nothing_written(result)
        result.timings["publish"] = time.perf_counter() - t
    finally:
        stage.close()
    written = result.created + result.updated - result.unchanged
    progress(result.rows, result.rows, "commit")
    t = time.perf_counter()
    audit.record("catalog.import", object_type="organisations", object_id=supplier_id, actor=actor, after={
        "file_sha256": result.sha256, "filename": result.filename, "rows": result.rows, "created": result.created,
        "updated": result.updated, "unchanged": result.unchanged, "failed_rows": result.failed_rows,
        "partial": partial})
    db.session.commit()
    result.timings["commit"] = time.perf_counter() - t
    result.written = written > 0
    result.ok = not result.issues
    return result
