"""Pass 3 of an import: publishing the staged parts.

In one transaction (default, all or nothing: nothing is written if any row failed the check or
any write conflicts) or one per part (``partial``: a part that conflicts is retried row by row):
new products first, then changed ones, then one audit event. Rows are inserted with `COPY` on
PostgreSQL and prepared executemany on SQLite (`catalog.importing.tables`); changed rows are
updated only while the product is as the check saw it (its `updated_at`), and a product someone
changed meanwhile goes through `upsert_product` with its current state. Products written by plain
SQL are announced to the search outbox (`product_bulk.announce_written`).
"""
from __future__ import annotations

import gc
import logging
import time

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from core import audit
from core.errors import ServiceError, ValidationError
from core.extensions import db
from core.i18n import N_
from core.timeutil import today_cn, utcnow

from catalog.importing.columns import Header, Issue
from catalog.importing.result import ImportResult, Progress, no_progress, validation_issues
from catalog.importing.staging import Stage, bulk_tables, single_new
from catalog.importing.tables import Columns, delete_ids, insert_rows, update_rows

log = logging.getLogger(__name__)

GC_EVERY_CHUNKS = 20


class WriteConflict(Exception):
    """A product changed meanwhile no longer validates: the part (or row) is not written."""


class WriteFailed(Exception):
    """All or nothing: a write failed, the transaction is rolled back, nothing is written."""


#: What a failed part raises: the run stops writing, rolls back and reports (see `settle`).
WRITE_ERRORS = (WriteFailed, ServiceError, SQLAlchemyError)


def _short(exc: Exception) -> str:
    return str(getattr(exc, "orig", exc)).splitlines()[0][:200]


def _sku_of(data: dict) -> str | None:
    sku = data.get("sku")
    if sku is None:
        return None
    sku = str(sku).strip()
    return sku or None


class Writer:
    """Writes staged parts in its session's transaction: first the new products of each chunk
    (with the chunk's verdict details), then the changed products, then the audit event and the
    commit (all or nothing), or a commit per part (``partial``: a part that conflicts is retried
    row by row). Keeps its own issues and counts until `merge` (it may run in another thread)."""

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
        """Write a chunk's new products (`staging.encode_new`)."""
        self._part(part, self._insert_new, part["rows"], "new")

    def changed_part(self, part: dict) -> None:
        """Write a chunk's changed products (`staging.encode_changed`)."""
        self._part(part, self._update_changed, [item[0] for item in part["items"]], "changed")

    def _part(self, part: dict, write, rows: list[int], kind: str) -> None:
        try:
            write(part)
            db.session.flush()
            if self.partial:
                db.session.commit()
        except (IntegrityError, WriteConflict) as exc:
            db.session.rollback()
            if not self.partial:
                if isinstance(exc, IntegrityError):
                    log.info("import chunk conflict: %s", exc.orig)
                    first, last = (min(rows), max(rows)) if rows else (0, 0)
                    message = N_("rows %(first)s-%(last)s conflict with existing data (%(problem)s)")
                    self.issues.append(Issue(first, "", message, {"first": first, "last": last,
                                                                  "problem": _short(exc)}))
                raise WriteFailed() from None
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
            singles = [(row, single_new(part, i)) for i, row in enumerate(part["rows"])]
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
            except (IntegrityError, WriteConflict) as exc:
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

        t = bulk_tables()
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

        t = bulk_tables()
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
                self.issues.extend(validation_issues(self.header, row, exc))
                raise WriteConflict() from None
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


def settle(writer: Writer, result: ImportResult, failure: BaseException | None, partial: bool,
           progress: Progress = no_progress) -> ImportResult | None:
    """After the last part (or a failed one): the writer's issues and counts go into the result;
    the audit event and the commit follow unless nothing is to be written. Returns the result to
    give back early, or None."""
    writer.merge(result)
    if isinstance(failure, WriteFailed):
        return result.nothing_written()
    if failure is not None:
        log.error("import failed", exc_info=failure)
        result.add(Issue(0, "", N_("The import failed and nothing was written (%(problem)s)."),
                         {"problem": failure.__class__.__name__}))
        if not partial:
            return result.nothing_written()
    progress(result.rows, result.rows, "commit")
    t = time.perf_counter()
    writer.finish(result)
    result.timings["commit"] = time.perf_counter() - t
    return None


def publish_after_check(stage: Stage, writer: Writer, result: ImportResult, *, partial: bool,
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
    except WRITE_ERRORS as exc:
        db.session.rollback()
        failure = exc
    return settle(writer, result, failure, partial, progress)
