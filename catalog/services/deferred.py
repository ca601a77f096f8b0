"""Child rows of new products written in bulk when the session flushes (bulk imports).

The ORM inserts one object at a time; a new product's indicator values, certificates, test
reports, carbon declaration and six verdicts are instead queued here and inserted with one
executemany per table right after the flush that gives the products their ids, in the same
transaction. The product's collections are then expired, so reading them later loads the rows.
A rollback drops the queue with everything else. The two session listeners are installed by
`install()` (called from `catalog.register`), not by importing this module.
"""
from __future__ import annotations

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from core.extensions import db

KEY = "catalog_deferred_rows"
# Insert order (all reference products only) and the relationship each table fills.
TABLES = (
    ("product_indicator_values", "indicator_values"),
    ("certificates", "certificates"),
    ("test_reports", "test_reports"),
    ("carbon_declarations", "carbon_declarations"),
    ("product_verdicts", "verdicts"),
)


def entry(product, create=True) -> dict | None:
    """The queue entry of a pending product: `{"product", "data", "rows": {table: [...]}}`."""
    pending = db.session.info.setdefault(KEY, {}) if create else db.session.info.get(KEY, {})
    found = pending.get(id(product))
    if found is None and create:
        found = pending[id(product)] = {"product": product, "data": {}, "rows": {}}
    return found


def queue(product, table: str, rows: list[dict]) -> None:
    """Replace the queued rows of one table for a pending product."""
    entry(product)["rows"][table] = rows


def install() -> None:
    """Hook the bulk writer into every session (idempotent)."""
    for name, listener in (("after_flush_postexec", _write), ("after_soft_rollback", _drop)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def _write(session, _flush_context):
    pending = session.info.get(KEY)
    if not pending:
        return
    by_table: dict[str, list] = {name: [] for name, _rel in TABLES}
    done = []
    for key, item in list(pending.items()):
        identity = inspect(item["product"]).identity
        if not identity:
            continue  # not flushed yet: stays queued for the next flush
        for table, rows in item["rows"].items():
            by_table[table].extend({**r, "product_id": identity[0]} for r in rows)
        done.append(key)
    for key in done:
        product = pending.pop(key)["product"]
        session.expire(product, [rel for _name, rel in TABLES])
    if not done:
        return
    conn = session.connection()
    for name, _rel in TABLES:
        if by_table[name]:
            write_rows(conn, name, by_table[name])


def write_rows(conn, table_name: str, rows: list[dict]) -> None:
    """Insert plain rows into a table the fastest way the database offers: `COPY` on
    PostgreSQL, one DB-API executemany on SQLite. Values go through the columns' own bind
    processors (JSON, UTCDateTime) and absent keys get the columns' Python defaults, exactly as
    `insert(table)` would give them (but without its per-row statement machinery).

    psycopg 3 runs an executemany as one statement per row, and a multi-row VALUES statement
    of this size costs more to parse than to run; COPY streams the rows instead.
    """
    table = db.metadata.tables[table_name]
    dialect = conn.dialect
    columns = [c for c in table.columns if not (c.primary_key and c.autoincrement is not False
                                                and c.name not in rows[0])]
    plan = []
    for col in columns:
        default = col.default
        if default is None:
            make = None
        elif default.is_scalar:
            make = (lambda arg: lambda: arg)(default.arg)
        elif default.is_callable:
            make = (lambda fn: lambda: fn(None))(default.arg)
        else:  # SQL expression defaults: not expected here; let the INSERT path handle them
            conn.execute(insert(table), rows)
            return
        plan.append((col.name, make, col.type._cached_bind_processor(dialect)))

    last = [(None, None)] * len(plan)  # per column: the last value and its processed form

    def values():
        for row in rows:
            out = []
            for i, (key, make, proc) in enumerate(plan):
                if key in row:
                    value = row[key]
                else:
                    value = make() if make is not None else None
                if proc is not None and value is not None:
                    seen, done = last[i]
                    if value is not seen:  # the same object again (a batch's timestamp): once
                        done = proc(value)
                        last[i] = (value, done)
                    value = done
                out.append(value)
            yield out

    prep = dialect.identifier_preparer
    names = ", ".join(prep.quote(c.name) for c in columns)
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        if dialect.name == "postgresql":
            with cursor.copy(f"COPY {prep.format_table(table)} ({names}) FROM STDIN") as out:
                for row in values():
                    out.write_row(row)
        else:
            marks = ", ".join("?" for _c in columns)
            cursor.executemany(f"INSERT INTO {prep.format_table(table)} ({names}) VALUES ({marks})", values())
    finally:
        cursor.close()


def _drop(session, _previous_transaction):
    session.info.pop(KEY, None)
    # verdict details stored in the rolled-back transaction are gone too (catalog.services.verdicts)
    session.info.pop("verdict_details_stored", None)
