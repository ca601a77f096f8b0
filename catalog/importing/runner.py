"""Run a product import: vet the file, check every row, then publish all rows at once.

Two streaming passes over the file, and the writes:

1. **Scan**: type, encoding, width, header and row count. Nothing is written; a file over the
   row or column cap, with a bad header or an unreadable row is refused here. Each row's SKU is
   remembered as an 8-byte hash, so repeated SKUs are found without keeping every SKU.
2. **Check** (no write lock held, so other users keep writing), chunk by chunk: each row becomes
   product data and is validated by the product service (`product_upsert.clean_product_data`, the
   first half of `upsert_product`). A row whose SKU exists with the same file row as the last
   import (`Product.import_digest`, still current) is skipped. Every other row becomes plain
   table rows (`catalog.services.product_bulk`): a new product with its evidence and verdicts
   (`NewRows`), or the changes `upsert_product` would make to an existing one (`ChangedRows`:
   own columns, indicator values, certificate, carbon declaration, reopening when a reviewer's
   check is affected, verdicts refreshed when their inputs changed), encoded for the database
   (`catalog.importing.tables`). Verdict details are stored once per distinct value.
3. **Publish**, in one transaction (default, all or nothing: nothing is written if any row failed
   the check or any write conflicts) or one per chunk (``partial``: a chunk that conflicts is
   retried row by row): new products first, then changed ones, then one audit event. Rows are
   inserted with `COPY` on PostgreSQL and prepared executemany on SQLite; changed rows are
   updated only while the product is as the check saw it (its `updated_at`), and a product
   someone changed meanwhile goes through `upsert_product` with its current state.

   SQLite has one writer at a time: chunks are staged in a temporary file (memory stays flat)
   and written after the check, so the write lock is held for seconds, not for the minutes the
   checks take. PostgreSQL writes each chunk's new products from a second thread while the next
   chunks are checked (`_Pipeline`: the server works on one core, the checks on the other); the
   transaction still commits only at the end, and changed products are still written after the
   check, so existing products are not locked while the file is being checked.

One audit event per successful run (`catalog.import`, with the file's SHA-256 and the counts).
Products written by plain SQL are announced to the search outbox
(`product_bulk.announce_written`).
"""
from __future__ import annotations

import functools
import gc
import hashlib
import logging
import marshal
import pickle
import queue
import sys
import tempfile
import threading
import time
from array import array
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from core import audit
from core.errors import ServiceError, ValidationError
from core.extensions import db
from core.i18n import N_
from core.tabular import DEFAULT_MAX_ROWS, FileRejected, Table, clean_cell, is_blank_row, open_table
from core.timeutil import today_cn, utcnow

from catalog import policy
from catalog.importing.columns import Header, Issue, parse_header, row_to_data
from catalog.importing.tables import Columns, delete_ids, insert_rows, update_rows

log = logging.getLogger(__name__)

CHUNK_ROWS = 2000
GC_EVERY_CHUNKS = 20
MAX_REPORTED_ISSUES = 1000
MAX_REMEMBERED_DETAILS = 50_000  # digests of verdict details already staged in this import
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
    """Digest of one row's product data (the columns present and their values): how rows were
    remembered before `RowDigests` (still recognised, see `_Checker`)."""
    return hashlib.blake2b(repr(data).encode("utf-8"), digest_size=16).hexdigest()


class RowDigests:
    """Digests of file rows as `Product.import_digest` keeps them: the header's meaning (which
    column is which) and the row's cells, so a row that is as it was last imported is recognised
    without turning it into product data. Marked ``r:`` (older digests were of the product data:
    `row_digest`)."""

    PREFIX = "r:"

    def __init__(self, header: Header):
        meaning = repr((sorted(header.positions.items()), [(i, key, unit) for i, key, unit, _t in header.indicators]))
        self._base = hashlib.blake2b(meaning.encode("utf-8"), digest_size=15)

    def __call__(self, cells: list) -> str:
        h = self._base.copy()
        h.update(repr(cells).encode("utf-8"))
        return self.PREFIX + h.hexdigest()


def _noop(_done: int, _total: int, _phase: str) -> None:
    return None


# --------------------------------------------------------------------------- pass 1


class _Repeats:
    """Which SKUs may appear more than once in the file, found while scanning: a 64-bit hash
    per row in an array (8 bytes a row), sorted once. Only rows whose hash repeats are then
    remembered by SKU while checking, so memory does not grow with the file."""

    def __init__(self):
        self._hashes = array("q")
        self.hashes: set[int] = set()

    def add(self, sku: str | None) -> None:
        if sku is not None:
            self._hashes.append(hash(sku))

    def done(self) -> None:
        ordered = sorted(self._hashes)
        self._hashes = array("q")
        self.hashes = {a for a, b in zip(ordered, ordered[1:]) if a == b}

    def may_repeat(self, sku: str) -> bool:
        return hash(sku) in self.hashes


def _sku_cell(cells: list, position: int | None) -> str | None:
    """The row's SKU as `row_to_data` and `_sku_of` read it."""
    if position is None or position >= len(cells):
        return None
    value = clean_cell(cells[position])
    if value is None or value == "":
        return None
    return str(value).strip() or None


def scan(table: Table, result: ImportResult, progress: Progress, repeats: _Repeats) -> Header | None:
    """Header check and row count. Returns the header, or None when the file is refused."""
    header = None
    data_rows = 0
    sku_at = None
    for n, cells in table.rows():
        if header is None:
            if is_blank_row(cells):
                continue
            header, issues = parse_header(cells)
            for issue in issues:
                result.add(Issue(n, issue.column, issue.message, issue.params))
            if issues:
                return None
            sku_at = header.positions.get("sku")
            continue
        if is_blank_row(cells):
            continue
        data_rows += 1
        if data_rows > table.max_rows:
            result.add(Issue(0, "", N_("The file has more than %(max)s data rows; at most %(max)s "
                                       "can be imported at once. Split the file."), {"max": f"{table.max_rows:,}"}))
            return None
        repeats.add(_sku_cell(cells, sku_at))
        if data_rows % 5000 == 0:
            progress(data_rows, 0, "scan")
    if header is None:
        result.add(Issue(0, "", N_("The file is empty: it has no header row.")))
        return None
    if data_rows == 0:
        result.add(Issue(0, "", N_("The file has a header but no product rows.")))
        return None
    repeats.done()
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
    """Staged parts of checked chunks, in a temporary file (memory stays flat), read back by kind
    once the check is done. Parts of plain values (encoded for SQLite) go through `marshal`, the
    others (dates, the rows of changed products) through `pickle`."""

    def __init__(self):
        self.fh = tempfile.TemporaryFile(prefix="gbm-import-")
        self.index: list[tuple[str, int, int, bool]] = []  # (kind, offset, length, marshalled)

    def add(self, kind: str, part: dict) -> None:
        try:
            data, plain = marshal.dumps(part), True
        except ValueError:
            data, plain = pickle.dumps(part, protocol=5), False
        self.fh.seek(0, 2)
        self.index.append((kind, self.fh.tell(), len(data), plain))
        self.fh.write(data)

    def read(self, kind: str):
        for k, offset, length, plain in self.index:
            if k == kind:
                self.fh.seek(offset)
                data = self.fh.read(length)
                yield marshal.loads(data) if plain else pickle.loads(data)

    def close(self) -> None:
        self.fh.close()


class _Tables:
    """The bulk tables' column lists (`catalog.services.product_bulk`) bound to the tables."""

    def __init__(self):
        from catalog.services import product_bulk as B

        self.new_product = Columns("products", B.NEW_PRODUCT)
        self.new_product_with_id = Columns("products", ("id",) + B.NEW_PRODUCT)
        self.product_update = Columns("products", B.PRODUCT_UPDATE)
        self.product_update_guarded = self.product_update + (B.CHANGE_GUARD,)
        self.guard = B.CHANGE_GUARD
        self.inserts = {t: Columns(t, names) for t, names in B.INSERTS.items()}
        self.updates = {t: Columns(t, names) for t, names in B.UPDATES.items()}


_TABLES: _Tables | None = None


def _tables() -> _Tables:
    global _TABLES
    if _TABLES is None:
        _TABLES = _Tables()
    return _TABLES


def _encode_new(dialect, new, details: list) -> dict:
    """A chunk's new products as staged, rows encoded for the database, with the verdict details
    first seen in the chunk (also those of its changed products: written first)."""
    t = _tables()
    return {"rows": new.rows, "products": t.new_product.encode(dialect, new.products),
            "inserts": {name: t.inserts[name].encode(dialect, rows) for name, rows in new.inserts.items() if rows},
            "details": details}


def _encode_changed(dialect, changed) -> dict:
    t = _tables()

    def pairs(cols, items):
        return list(zip([pid for pid, _r in items], cols.encode(dialect, [r for _p, r in items])))

    return {"items": changed.items, "products": t.product_update_guarded.encode(dialect, changed.products),
            "updates": {name: pairs(t.updates[name], items) for name, items in changed.updates.items() if items},
            "deletes": {name: items for name, items in changed.deletes.items() if items},
            "inserts": {name: t.inserts[name].encode(dialect, rows) for name, rows in changed.inserts.items() if rows}}


class _KnownSkus:
    """The supplier's SKUs when the check starts, as sorted 64-bit hashes (8 bytes a product): a
    row whose SKU is surely not among them needs no lookup."""

    def __init__(self, supplier_id: int):
        from catalog.models.products import Product

        hashes = array("q")
        for (sku,) in db.session.execute(select(Product.sku).where(Product.supplier_id == supplier_id)
                                         .execution_options(yield_per=10_000)):
            hashes.append(hash(sku))
        self.hashes = array("q", sorted(hashes))

    def __len__(self):
        return len(self.hashes)

    def may_contain(self, sku: str) -> bool:
        h = hash(sku)
        i = bisect_left(self.hashes, h)
        return i < len(self.hashes) and self.hashes[i] == h


class _Checker:
    """Validates rows chunk by chunk and hands what to write to ``sink(new part)`` and the stage
    (changed part). Reads only."""

    def __init__(self, supplier, header: Header, result: ImportResult, stage: _Stage, sink, progress: Progress,
                 repeats: _Repeats):
        from catalog.services.product_bulk import make_upsert_context, member_of

        self.supplier, self.header, self.result, self.stage, self.progress = supplier, header, result, stage, progress
        self.sink = sink
        self.repeats = repeats
        self.supplier_id = supplier.id
        self.ctx = make_upsert_context(supplier, preload_products=False)
        self.categories_by_id = {c.id: c for c in self.ctx.categories.values()}
        self.dialect = db.session.connection().dialect
        self.today = today_cn()
        self.now = utcnow()
        self.seen: dict[str, int] = {}  # SKU -> first row, only for SKUs whose hash repeats
        self.details_seen: dict = {}
        self.done = 0
        self.known = _KnownSkus(self.supplier_id)
        self.member_of = member_of(self.dialect)
        self.sku_at = header.positions.get("sku")
        self.digest = RowDigests(header)

    def _before(self, skus: list[str]) -> dict:
        """SKU -> (id, digest of the row last imported if the product is still as it left it)."""
        from catalog.models.products import Product

        skus = [sku for sku in skus if self.known.may_contain(sku)]
        if not skus:
            return {}
        t = time.perf_counter()
        out = {}
        as_left = (Product.imported_at == Product.updated_at).label("as_left")  # NULL if never imported
        for sku, pid, digest, current in db.session.execute(
                select(Product.sku, Product.id, Product.import_digest, as_left)
                .where(Product.supplier_id == self.supplier_id, self.member_of(Product.sku, skus))):
            out[sku] = (pid, digest if (digest and current) else None)
        self.result.timings["preload"] += time.perf_counter() - t
        return out

    def chunk(self, rows: list[tuple[int, list]]) -> None:
        """Check one chunk of file rows ``(row number, cells)``."""
        from catalog.services.product_bulk import ChangedRows, NewRows, bound_caches, load_current
        from catalog.services.product_upsert import clean_product_data

        t = time.perf_counter()
        result, header, sku_at = self.result, self.header, self.sku_at
        todo = []
        for row, cells in rows:
            sku = _sku_cell(cells, sku_at)
            if sku is not None and self.repeats.may_repeat(sku):
                first = self.seen.get(sku)
                if first is not None:
                    result.add(Issue(row, "sku", N_("SKU %(sku)s appears again (first at row %(first)s)"),
                                     {"sku": sku, "first": first}))
                    continue
                self.seen[sku] = row
            todo.append((row, sku, cells))
        before = self._before([sku for _r, sku, _c in todo if sku is not None])
        checked = []
        for row, sku, cells in todo:
            digest = self.digest(cells)
            known = before.get(sku) if sku is not None else None
            data = None
            if known is not None and known[1] is not None and known[1] != digest \
                    and not known[1].startswith(RowDigests.PREFIX):
                data = row_to_data(header, cells)  # remembered the older way
                if row_digest(data) == known[1]:
                    known = (known[0], digest)
            if known is not None and known[1] == digest:
                result.updated += 1
                result.unchanged += 1
                continue
            checked.append((row, row_to_data(header, cells) if data is None else data, digest, known))
        t_load = time.perf_counter()
        self.ctx.products = load_current([k[0] for _r, _d, _g, k in checked if k is not None], self.categories_by_id)
        result.timings["preload"] += time.perf_counter() - t_load
        if len(self.details_seen) > MAX_REMEMBERED_DETAILS:
            self.details_seen.clear()  # only saves re-sending: the database ignores known details
        new, changed = NewRows(), ChangedRows()
        ctx, supplier, today, now, seen = self.ctx, self.supplier, self.today, self.now, self.details_seen
        for row, data, digest, _known in checked:
            try:
                cleaned = clean_product_data(supplier, data, context=ctx, today=today)
            except ValidationError as exc:
                _add_validation_issues(result, self.header, row, exc)
                continue
            if cleaned.is_new:
                new.add(self.supplier_id, cleaned, ctx, row=row, today=today, now=now, details_seen=seen,
                        import_digest=digest)
            else:
                changed.add(cleaned.product, cleaned, ctx, row=row, data=data, today=today, now=now,
                            details_seen=seen, import_digest=digest)
        self.ctx.products = {}
        bound_caches(ctx)
        result.created += len(new)
        result.updated += len(changed)
        # With all or nothing, once a row failed nothing will be written: stop handing rows on.
        if not (result.issues and not result.partial):
            details = new.details + changed.details
            if new or details:
                self.sink(_encode_new(self.dialect, new, details))
            if changed:
                self.stage.add("changed", _encode_changed(self.dialect, changed))
        result.timings["check"] += time.perf_counter() - t
        self.done += len(rows)
        self.progress(self.done, result.rows, "check")


def check(table: Table, header: Header, supplier, result: ImportResult, stage: _Stage, sink, *,
          progress: Progress, repeats: _Repeats, chunk_rows: int = CHUNK_ROWS) -> None:
    checker = _Checker(supplier, header, result, stage, sink, progress, repeats)
    buffer: list[tuple[int, list]] = []
    header_seen = False
    for n, cells in table.rows():
        if is_blank_row(cells):
            continue
        if not header_seen:
            header_seen = True
            continue
        buffer.append((n, cells))
        if len(buffer) >= chunk_rows:
            checker.chunk(buffer)
            buffer = []
    if buffer:
        checker.chunk(buffer)


# --------------------------------------------------------------------------- pass 3: publish


class _Conflict(Exception):
    pass


class _Failed(Exception):
    """All or nothing: a write failed, the transaction is rolled back, nothing is written."""


class _Writer:
    """Writes staged parts in its session's transaction: first the new products of each chunk
    (with the chunk's verdict details), then the changed products, then the audit event and the
    commit (all or nothing), or a commit per part (``partial``: a part that conflicts is retried
    row by row). Keeps its own issues and counts until `finish` (it may run in another thread)."""

    def __init__(self, supplier, actor, header: Header, *, partial: bool):
        from catalog.services.product_bulk import make_upsert_context

        self.supplier, self.actor, self.header, self.partial = supplier, actor, header, partial
        self.supplier_id = supplier.id
        self.ctx = make_upsert_context(supplier, preload_products=False)
        self.today = today_cn()
        self.issues: list[Issue] = []
        self.created = self.updated = 0  # corrections: rows staged as written but not written
        self.done = 0  # rows written
        self.fallbacks = 0  # changed products updated through `upsert_product` (changed meanwhile)
        self.parts = 0

    # ------------------------------------------------------------------ parts

    def new_part(self, part: dict) -> None:
        self._part(part, self._insert_new, part["rows"], "new")

    def changed_part(self, part: dict) -> None:
        self._part(part, self._update_changed, [item[0] for item in part["items"]], "changed")

    def _part(self, part: dict, write, rows: list[int], kind: str) -> None:
        try:
            write(part)
            db.session.flush()
            if self.partial:
                db.session.commit()
        except (IntegrityError, _Conflict) as exc:
            db.session.rollback()
            if not self.partial:
                if isinstance(exc, IntegrityError):
                    log.info("import chunk conflict: %s", exc.orig)
                    first, last = (min(rows), max(rows)) if rows else (0, 0)
                    message = N_("rows %(first)s-%(last)s conflict with existing data (%(problem)s)")
                    self.issues.append(Issue(first, "", message, {"first": first, "last": last,
                                                                  "problem": _short(exc)}))
                raise _Failed() from None
            self._one_by_one(part, kind)
        self.done += len(rows)
        self.parts += 1
        if self.fallbacks and self.parts % GC_EVERY_CHUNKS == 0:
            gc.collect()  # products written through the unit of work are reference cycles

    def _one_by_one(self, part: dict, kind: str) -> None:
        from catalog.services.verdicts import insert_details_json

        if kind == "new":
            self.created -= len(part["rows"])
            if part["details"]:
                # On their own first: later chunks may refer to them (each is staged once per
                # import), whichever of this chunk's rows fail.
                insert_details_json(db.session.connection(), part["details"])
                db.session.commit()
            singles = [(row, _single_new(part, i)) for i, row in enumerate(part["rows"])]
        else:
            self.updated -= len(part["items"])
            singles = [(row, (row, data, digest)) for row, _pid, data, digest in part["items"]]
        for row, single in singles:
            try:
                if kind == "new":
                    self._insert_new(single)
                else:
                    self._upsert([single])
                db.session.flush()
                db.session.commit()
            except (IntegrityError, _Conflict) as exc:
                db.session.rollback()
                if isinstance(exc, IntegrityError):
                    self.issues.append(Issue(row, "", N_("conflicts with existing data (%(problem)s)"),
                                             {"problem": _short(exc)}))
                continue
            if kind == "new":
                self.created += 1
            else:
                self.updated += 1

    # ------------------------------------------------------------------ writes

    def _insert_new(self, new: dict) -> None:
        from catalog.services.product_bulk import announce_written
        from catalog.services.verdicts import insert_details_json

        t = _tables()
        conn = db.session.connection()
        insert_details_json(conn, new["details"])
        products = new["products"]
        if not products:
            return
        if conn.dialect.name == "postgresql":
            # Ids from the products' own sequence first, so COPY writes them: reading them back
            # by SKU would be planned without statistics for rows this transaction inserted.
            ids = conn.execute(text("SELECT nextval(pg_get_serial_sequence('products', 'id')) "
                                    "FROM generate_series(1, :n)"), {"n": len(products)}).scalars().all()
            insert_rows(conn, t.new_product_with_id, [(pid, *p) for pid, p in zip(ids, products)])
        else:
            insert_rows(conn, t.new_product, products)
            ids = self._ids_of(conn, t.new_product, products)
        for name, rows in new["inserts"].items():  # child rows hold their product's position
            insert_rows(conn, t.inserts[name], [(ids[r[0]], *r[1:]) for r in rows])
        announce_written(ids)

    @staticmethod
    def _ids_of(conn, cols: Columns, products: list[tuple]) -> list[int]:
        """SQLite: the ids just given to ``products``, in order. Holding the write lock, one
        executemany gives consecutive rowids ending at ``last_insert_rowid()``: read back by
        that range and checked, else by SKU."""
        from catalog.models.products import Product

        supplier_at, sku_at = cols.names.index("supplier_id"), cols.names.index("sku")
        supplier_id, skus = products[0][supplier_at], [p[sku_at] for p in products]
        last = conn.exec_driver_sql("SELECT last_insert_rowid()").scalar()
        first = last - len(products) + 1
        got = conn.exec_driver_sql("SELECT id, supplier_id, sku FROM products WHERE id >= ? AND id <= ? ORDER BY id",
                                   (first, last)).all()
        if [(r[1], r[2]) for r in got] == [(supplier_id, sku) for sku in skus]:
            return [r[0] for r in got]
        found = {}
        for start in range(0, len(skus), 5000):
            found.update(conn.execute(select(Product.sku, Product.id).where(
                Product.supplier_id == supplier_id, Product.sku.in_(skus[start:start + 5000]))).all())
        return [found[sku] for sku in skus]

    def _update_changed(self, changed: dict) -> None:
        """Changed existing products: each product's row, evidence and verdicts as the check
        computed them, applied only while the product is as the check saw it (its `updated_at`);
        a product changed meanwhile goes through `upsert_product` with its current state."""
        from catalog.services.product_bulk import announce_written

        t = _tables()
        conn = db.session.connection()
        done = update_rows(conn, t.product_update, changed["products"], guard=t.guard)
        for name, items in changed["deletes"].items():
            delete_ids(conn, name, [i for pid, i in items if pid in done])
        for name, items in changed["updates"].items():
            update_rows(conn, t.updates[name], [r for pid, r in items if pid in done])
        for name, rows in changed["inserts"].items():
            insert_rows(conn, t.inserts[name], [r for r in rows if r[0] in done])
        announce_written(sorted(done))
        late = [(row, data, digest) for row, pid, data, digest in changed["items"] if pid not in done]
        if late:
            self.fallbacks += len(late)
            self._upsert(late)

    def _upsert(self, items: list[tuple[int, dict, str]]) -> None:
        """The row-by-row path: `upsert_product` on the products as they are now."""
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
                self.issues.extend(_validation_issues(self.header, row, exc))
                raise _Conflict() from None
            product.import_digest = digest
            product.imported_at = product.updated_at = now
        self.ctx.products = {}

    # ------------------------------------------------------------------ end

    def merge(self, result: ImportResult) -> None:
        """Add this writer's issues and corrections to the result (once, when it is done)."""
        for issue in self.issues:
            result.add(issue)
        self.issues = []
        result.created += self.created
        result.updated += self.updated
        self.created = self.updated = 0

    def finish(self, result: ImportResult) -> None:
        """The run's audit event, and the commit."""
        audit.record("catalog.import", object_type="organisations", object_id=self.supplier_id, actor=self.actor,
                     after={"file_sha256": result.sha256, "filename": result.filename, "rows": result.rows,
                            "created": result.created, "updated": result.updated, "unchanged": result.unchanged,
                            "failed_rows": result.failed_rows, "partial": self.partial})
        db.session.commit()


def _validation_issues(header: Header, row: int, exc: ValidationError) -> list[Issue]:
    scratch = ImportResult()
    _add_validation_issues(scratch, header, row, exc)
    return scratch.issues


def _short(exc: Exception) -> str:
    text = str(getattr(exc, "orig", exc)).splitlines()[0]
    return text[:200]


def _single_new(new: dict, i: int) -> dict:
    """The staged rows of the ``i``-th new product of a part, as a part of its own."""
    return {"rows": [new["rows"][i]], "products": [new["products"][i]],
            "inserts": {name: [(0, *r[1:]) for r in rows if r[0] == i] for name, rows in new["inserts"].items()},
            "details": []}  # written first by `_one_by_one`


_END, _ABORT = "end", "abort"

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


def _settle(writer: _Writer, result: ImportResult, failure: BaseException | None, partial: bool,
            progress: Progress = _noop) -> ImportResult | None:
    """After the last part (or a failed one): the writer's issues and counts go into the result;
    the audit event and the commit follow unless nothing is to be written. Returns the result to
    give back early, or None."""
    writer.merge(result)
    if isinstance(failure, _Failed):
        return _nothing_written(result)
    if failure is not None:
        log.error("import failed", exc_info=failure)
        result.add(Issue(0, "", N_("The import failed and nothing was written (%(problem)s)."),
                         {"problem": failure.__class__.__name__}))
        if not partial:
            return _nothing_written(result)
    progress(result.rows, result.rows, "commit")
    t = time.perf_counter()
    writer.finish(result)
    result.timings["commit"] = time.perf_counter() - t
    return None


class _Pipeline:
    """PostgreSQL: a thread with its own session writes each chunk's new products while the next
    chunks are checked (the database works on one core, the checks on the other), in one
    transaction that commits at the end (a commit per part with ``partial``). Changed products
    are written after the check, so existing products are not locked while the file is being
    checked. (SQLite has one writer at a time: there the check holds no write lock, and
    everything is written once it is done.)"""

    def __init__(self, app, supplier_id: int, actor_id: int | None, header: Header, *, partial: bool):
        self.app, self.supplier_id, self.actor_id, self.header, self.partial = (
            app, supplier_id, actor_id, header, partial)
        self.queue: queue.Queue = queue.Queue(maxsize=2)  # bounded: memory stays flat
        self.thread = threading.Thread(target=self._run, name="gbm-import-writer", daemon=True)
        self.writer: _Writer | None = None
        self.crash: BaseException | None = None  # an unexpected error, raised again by the caller
        self.outcome: ImportResult | None = None
        self.result: ImportResult | None = None
        self.stage: _Stage | None = None
        self.progress: Progress = _noop
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

    def close(self, command: str, result: ImportResult | None = None, stage: _Stage | None = None,
              progress: Progress = _noop) -> None:
        """``_END``: the writer writes the changed products and settles (audit, commit); then
        this returns. ``_ABORT``: the writer rolls back."""
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
            if command == _END and self.writer is not None:
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
        self.writer = writer = _Writer(supplier, actor, self.header, partial=self.partial)
        failure = None
        while True:
            item = self.queue.get()
            if item in (_END, _ABORT):
                break
            if failure is None:  # after a failure: take the rest, write nothing more
                try:
                    writer.new_part(item)
                except (_Failed, ServiceError, SQLAlchemyError) as exc:
                    db.session.rollback()
                    failure = exc
        if item == _ABORT:
            db.session.rollback()
            return
        if failure is None:
            try:
                for part in self.stage.read("changed"):
                    writer.changed_part(part)
            except (_Failed, ServiceError, SQLAlchemyError) as exc:
                db.session.rollback()
                failure = exc
        self.outcome = _settle(writer, self.result, failure, self.partial, self.progress)


def _publish_after_check(stage: _Stage, writer: _Writer, result: ImportResult, *, partial: bool,
                         progress: Progress) -> ImportResult | None:
    """SQLite (or no pipeline): write everything once the check is done."""
    total = result.created + result.updated - result.unchanged
    progress(0, total, "write")
    failure = None
    try:
        for kind in ("new", "changed"):
            for part in stage.read(kind):
                (writer.new_part if kind == "new" else writer.changed_part)(part)
                progress(writer.done, total, "write")
    except (_Failed, ServiceError, SQLAlchemyError) as exc:
        db.session.rollback()
        failure = exc
    return _settle(writer, result, failure, partial, progress)


# --------------------------------------------------------------------------- entry point


def run_import(path: str, supplier, actor=None, *, partial: bool = False, max_rows: int | None = None,
               max_columns: int | None = None, filename: str | None = None, progress: Progress | None = None,
               chunk_rows: int = CHUNK_ROWS, pipeline: bool | None = None) -> ImportResult:
    """Import a CSV/XLSX product file for ``supplier``. Never raises for bad input: see ``result.issues``.

    Returns an :class:`ImportResult`; ``ok`` is True only when every row was written.
    ``pipeline``: write new products while checking (default: on PostgreSQL; see `_Pipeline`).
    """
    progress = progress or _noop
    result = ImportResult(partial=partial, filename=filename or path.rsplit("/", 1)[-1])
    started = time.perf_counter()
    try:
        return _run(path, supplier, actor, result, partial=partial, max_rows=max_rows or DEFAULT_MAX_ROWS,
                    max_columns=max_columns, progress=progress, chunk_rows=chunk_rows, pipeline=pipeline)
    finally:
        result.timings["total"] = time.perf_counter() - started


def _nothing_written(result: ImportResult) -> ImportResult:
    result.created = result.updated = result.unchanged = 0
    return result


def _run(path, supplier, actor, result: ImportResult, *, partial, max_rows, max_columns, progress,
         chunk_rows, pipeline) -> ImportResult:
    try:
        t = time.perf_counter()
        table = open_table(path, max_rows=max_rows, max_columns=max_columns)
        result.sha256 = file_sha256(path)
        repeats = _Repeats()
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
    stage = _Stage()
    lane = None
    try:
        if pipeline:
            from flask import current_app

            lane = _Pipeline(current_app._get_current_object(), supplier.id, getattr(actor, "id", None), header,
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
            return _nothing_written(result)
        t = time.perf_counter()
        if lane is not None:
            progress(0, result.created + result.updated - result.unchanged, "write")
            lane.close(_END, result, stage, progress)
            done, lane = lane.outcome, None
        else:
            done = _publish_after_check(stage, _Writer(supplier, actor, header, partial=partial), result,
                                        partial=partial, progress=progress)
        result.timings["publish"] = time.perf_counter() - t - result.timings["commit"]
        if done is not None:
            return done
    finally:
        if lane is not None and lane.thread.is_alive():
            lane.close(_ABORT)
        stage.close()
    written = result.created + result.updated - result.unchanged
    result.written = written > 0
    result.ok = not result.issues
    return result
