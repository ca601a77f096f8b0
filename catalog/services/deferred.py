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
    metadata = db.metadata
    conn = session.connection()
    copy = conn.dialect.name == "postgresql"
    for name, _rel in TABLES:
        if by_table[name]:
            if copy:
                _copy_rows(conn, metadata.tables[name], by_table[name])
            else:
                conn.execute(insert(metadata.tables[name]), by_table[name])


def _copy_rows(conn, table, rows: list[dict]) -> None:
    """PostgreSQL: the rows through `COPY ... FROM STDIN` on the session's connection.

    psycopg 3 runs an executemany as one statement per row, and a multi-row VALUES statement
    of this size costs more to parse than to run; COPY streams the rows instead. Values go
    through the columns' own bind processors (JSON, UTCDateTime) and absent keys get the
    columns' Python defaults, exactly as `insert(table)` would give them.
    """
    dialect = conn.dialect
    columns = [c for c in table.columns if not c.primary_key]
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
    prep = dialect.identifier_preparer
    sql = "COPY {} ({}) FROM STDIN".format(prep.format_table(table), ", ".join(prep.quote(c.name) for c in columns))
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        with cursor.copy(sql) as out:
            for row in rows:
                values = []
                for key, make, proc in plan:
                    if key in row:
                        value = row[key]
                    else:
                        value = make() if make is not None else None
                    values.append(proc(value) if proc is not None else value)
                out.write_row(values)
    finally:
        cursor.close()


def _drop(session, _previous_transaction):
    session.info.pop(KEY, None)
