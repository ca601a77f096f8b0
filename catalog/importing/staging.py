"""Between the check and the writes: checked chunks as staged parts.

A part is a chunk's new products (`encode_new`) or its changed ones (`encode_changed`), their
rows encoded for the database by the bulk tables' column lists (`bulk_tables`). `Stage` keeps
parts in a temporary file, so memory stays flat however large the file is.
"""
from __future__ import annotations

import marshal
import pickle
import tempfile

from catalog.importing.tables import Columns


class Stage:
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


class BulkTables:
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


_TABLES: BulkTables | None = None


def bulk_tables() -> BulkTables:
    """The column lists, built once (the models must be loaded first)."""
    global _TABLES
    if _TABLES is None:
        _TABLES = BulkTables()
    return _TABLES


def encode_new(dialect, new, details: list) -> dict:
    """A chunk's new products as staged, rows encoded for the database, with the verdict details
    first seen in the chunk (also those of its changed products: written first)."""
    t = bulk_tables()
    return {"rows": new.rows, "products": t.new_product.encode(dialect, new.products),
            "inserts": {name: t.inserts[name].encode(dialect, rows) for name, rows in new.inserts.items() if rows},
            "details": details}


def encode_changed(dialect, changed) -> dict:
    """A chunk's changed products as staged: each product's row (with the `updated_at` the check
    saw), the rows to update, delete and insert, and the items for the row-by-row fallback."""
    t = bulk_tables()

    def pairs(cols, items):
        return list(zip([pid for pid, _r in items], cols.encode(dialect, [r for _p, r in items])))

    return {"items": changed.items, "products": t.product_update_guarded.encode(dialect, changed.products),
            "updates": {name: pairs(t.updates[name], items) for name, items in changed.updates.items() if items},
            "deletes": {name: items for name, items in changed.deletes.items() if items},
            "inserts": {name: t.inserts[name].encode(dialect, rows) for name, rows in changed.inserts.items() if rows}}


def single_new(new: dict, i: int) -> dict:
    """The staged rows of the ``i``-th new product of a part, as a part of its own."""
    return {"rows": [new["rows"][i]], "products": [new["products"][i]],
            "inserts": {name: [(0, *r[1:]) for r in rows if r[0] == i] for name, rows in new["inserts"].items()},
            "details": []}  # written first by the writer's row-by-row retry
