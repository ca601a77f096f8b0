"""Pass 2 of an import: the check, chunk by chunk, with no write lock held (other users keep
writing).

Each row becomes product data and is validated by the product service
(`product_upsert.clean_product_data`, the first half of `upsert_product`). A row whose SKU exists
with the same file row as the last import (`Product.import_digest`, still current) is skipped.
Every other row becomes plain table rows (`catalog.services.product_bulk`): a new product with its
evidence and verdicts (`NewRows`), or the changes `upsert_product` would make to an existing one
(`ChangedRows`: own columns, indicator values, certificate, carbon declaration, reopening when a
reviewer's check is affected, verdicts refreshed when their inputs changed), encoded for the
database (`catalog.importing.staging`). Verdict details are stored once per distinct value. New
products go to the sink (the stage, or the PostgreSQL writer thread), changed ones to the stage.
"""
from __future__ import annotations

import hashlib
import time
from array import array
from bisect import bisect_left

from sqlalchemy import select

from core.errors import ValidationError
from core.extensions import db
from core.i18n import N_
from core.tabular import Table, is_blank_row
from core.timeutil import today_cn, utcnow

from catalog.importing.columns import Header, Issue, row_to_data
from catalog.importing.result import ImportResult, Progress, add_validation_issues
from catalog.importing.scanning import Repeats, sku_cell
from catalog.importing.staging import Stage, encode_changed, encode_new

CHUNK_ROWS = 2000
MAX_REMEMBERED_DETAILS = 50_000  # digests of verdict details already staged in this import


def row_digest(data: dict) -> str:
    """Digest of one row's product data (the columns present and their values): how rows were
    remembered before `RowDigests` (still recognised, see `Checker`)."""
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


class KnownSkus:
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


class Checker:
    """Validates rows chunk by chunk and hands what to write to ``sink(new part)`` and the stage
    (changed part). Reads only."""

    def __init__(self, supplier, header: Header, result: ImportResult, stage: Stage, sink, progress: Progress,
                 repeats: Repeats):
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
        self.known = KnownSkus(self.supplier_id)
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
            sku = sku_cell(cells, sku_at)
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
                add_validation_issues(result, self.header, row, exc)
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
                self.sink(encode_new(self.dialect, new, details))
            if changed:
                self.stage.add("changed", encode_changed(self.dialect, changed))
        result.timings["check"] += time.perf_counter() - t
        self.done += len(rows)
        self.progress(self.done, result.rows, "check")


def check(table: Table, header: Header, supplier, result: ImportResult, stage: Stage, sink, *,
          progress: Progress, repeats: Repeats, chunk_rows: int = CHUNK_ROWS) -> None:
    """Check every data row of `table` in chunks of `chunk_rows` (see `Checker`)."""
    checker = Checker(supplier, header, result, stage, sink, progress, repeats)
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
