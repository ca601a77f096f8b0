"""Plain-row SQL for the bulk import: rows are tuples in a fixed column order, encoded for the
database once (while checking, outside the write transaction), then written the fastest way the
database offers.

- `Columns(table, names)`: a table and the columns its tuples carry. `encode(dialect, rows)` runs
  each value through the column's own bind processor (dates and times as SQLite stores them,
  JSON as text), exactly as `insert(table)` would, with a small cache for repeated dates.
- `insert_rows`: `COPY` on PostgreSQL (psycopg runs an executemany as one statement per row);
  one prepared executemany on SQLite.
- `update_rows`: ``UPDATE ... SET ... WHERE id = ...`` for many rows: on PostgreSQL the rows are
  copied into a scratch table (dropped at commit) and applied by one ``UPDATE ... FROM``; on
  SQLite one prepared executemany. `update_rows(..., guard=...)` updates a row only while a
  column still has the value the check saw, and returns the ids it updated.
- `delete_ids`.

These write through the session's connection (same transaction) and bypass the unit of work:
callers announce what they wrote (`catalog.services.product_bulk.announce_written`).
"""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Float, Integer, String, Table
from sqlalchemy.exc import DBAPIError

from core.extensions import db

_CACHE_MAX = 20_000


class Columns:
    """A table and the columns (in order) of the tuples written to it."""

    def __init__(self, table: str | Table, names: tuple[str, ...]):
        self.table = db.metadata.tables[table] if isinstance(table, str) else table
        self.names = tuple(names)
        self._plans: dict = {}
        self._pg_types: list[str] | None | bool = False  # not worked out yet

    def __add__(self, more: tuple[str, ...]) -> "Columns":
        return Columns(self.table, self.names + tuple(more))

    def _plan(self, dialect) -> list:
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = []
            for i, name in enumerate(self.names):
                col_type = self.table.c[name].type
                proc = col_type._cached_bind_processor(dialect)
                if proc is None:
                    continue
                # Dates and times repeat (the import's timestamp, certificate dates): each
                # distinct value is encoded once.
                cacheable = isinstance(getattr(col_type, "impl", col_type), (Date, DateTime))
                plan.append((i, proc, {} if cacheable else None))
            self._plans[dialect.name] = plan
        return plan

    def pg_types(self) -> list[str] | None:
        """PostgreSQL type names of the columns for a binary `COPY` (no text to format on this
        side or to parse on the server's), or None when a column has no plain binary form here."""
        if self._pg_types is False:
            self._pg_types = _pg_types([self.table.c[name] for name in self.names])
        return self._pg_types

    def encode(self, dialect, rows: list[tuple]) -> list[tuple]:
        """The rows with every value as the database driver takes it (through the columns'
        bind processors: `UTCDateTime`, `Date` on SQLite, `JSON`)."""
        plan = self._plan(dialect)
        if not plan or not rows:
            return rows
        out = []
        append = out.append
        last = [(None, None)] * len(plan)  # per column: the last value and its encoding
        for row in rows:
            row = list(row)
            for n, (i, proc, cache) in enumerate(plan):
                value = row[i]
                if value is None:
                    continue
                seen, done = last[n]
                if value is not seen:  # the same object again (the import's timestamp): no lookup
                    if cache is None:
                        done = proc(value)
                    else:
                        done = cache.get(value)
                        if done is None:
                            if len(cache) > _CACHE_MAX:
                                cache.clear()
                            done = cache[value] = proc(value)
                    last[n] = (value, done)
                row[i] = done
            append(tuple(row))
        return out


# SQLAlchemy type -> PostgreSQL type for binary COPY (subclasses first: BigInteger is an Integer).
_BINARY = ((BigInteger, "int8"), (Integer, "int4"), (Boolean, "bool"), (Float, "float8"), (Date, "date"),
           (String, "text"))


def _pg_types(columns) -> list[str] | None:
    out = []
    for col in columns:
        col_type = getattr(col.type, "impl", col.type)
        if isinstance(col_type, DateTime):
            out.append("timestamptz" if col_type.timezone else "timestamp")
            continue
        if isinstance(col_type, Float) and col_type.precision is not None:
            return None
        name = next((pg for sa_type, pg in _BINARY if isinstance(col_type, sa_type)), None)
        if name is None:  # JSON and anything else: text COPY
            return None
        out.append(name)
    return out


def _copy(cursor, statement: str, types: list[str] | None, rows) -> None:
    """``COPY ... FROM STDIN``, binary when the column types are known."""
    if types is not None:
        statement += " (FORMAT BINARY)"
    with cursor.copy(statement) as out:
        if types is not None:
            out.set_types(types)
        write = out.write_row
        for row in rows:
            write(row)


def _quoted(conn, cols: Columns) -> tuple[str, str]:
    prep = conn.dialect.identifier_preparer
    return prep.format_table(cols.table), ", ".join(prep.quote(n) for n in cols.names)


@contextmanager
def _cursor(conn, statement: str = "bulk import"):
    """A DB-API cursor on the session's connection; its errors are raised as SQLAlchemy's
    (`IntegrityError` for a conflict), as if the statement had gone through SQLAlchemy."""
    dbapi = conn.dialect.loaded_dbapi
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        yield cursor
    except dbapi.Error as exc:
        raise DBAPIError.instance(statement, None, exc, dbapi.Error) from exc
    finally:
        cursor.close()


def insert_rows(conn, cols: Columns, rows: list[tuple]) -> None:
    """Insert encoded rows (`Columns.encode`) in the session's transaction."""
    if not rows:
        return
    table, names = _quoted(conn, cols)
    with _cursor(conn, f"INSERT INTO {table}") as cursor:
        if conn.dialect.name == "postgresql":
            _copy(cursor, f"COPY {table} ({names}) FROM STDIN", cols.pg_types(), rows)
        else:
            marks = ", ".join("?" for _n in cols.names)
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


def update_rows(conn, cols: Columns, rows: list[tuple], *, guard: str | None = None) -> set[int] | None:
    """Set ``cols.names[1:]`` of the rows whose id is ``row[0]`` (encoded rows, id first).

    With ``guard`` (a column name), each row carries one more value, last: the guarded column's
    value as the caller saw it; a row is updated only while that column still holds it, and the
    ids updated are returned (without a guard: None)."""
    if not rows:
        return set() if guard else None
    prep = conn.dialect.identifier_preparer
    table = prep.format_table(cols.table)
    key, sets = cols.names[0], cols.names[1:]
    with _cursor(conn, f"UPDATE {table}") as cursor:
        if conn.dialect.name == "postgresql":
            return _pg_update(cursor, prep, cols, table, key, sets, rows, guard)
        assignments = ", ".join(f"{prep.quote(n)} = ?" for n in sets)
        where = f"{prep.quote(key)} = ?" + (f" AND {prep.quote(guard)} = ?" if guard else "")
        ordered = [(*row[1:len(cols.names)], row[0], *row[len(cols.names):]) for row in rows]
        cursor.executemany(f"UPDATE {table} SET {assignments} WHERE {where}", ordered)
        if guard is None:
            return None
        if cursor.rowcount == len(rows):
            return {row[0] for row in rows}
        # Some rows had changed meanwhile: the updated ones now hold the new values.
        return _sqlite_updated(cursor, prep, table, key, cols, rows)


def _sqlite_updated(cursor, prep, table, key, cols, rows) -> set[int]:
    """Ids of `rows` whose columns now hold the values of the row (after a guarded update)."""
    names = cols.names
    found = set()
    by_id = {row[0]: row for row in rows}
    ids = list(by_id)
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        cursor.execute(f"SELECT {', '.join(prep.quote(n) for n in names)} FROM {table} "
                       f"WHERE {prep.quote(key)} IN ({', '.join('?' for _ in part)})", part)
        for stored in cursor.fetchall():
            row = by_id[stored[0]]
            if tuple(stored) == tuple(row[:len(names)]):
                found.add(stored[0])
    return found


def _pg_update(cursor, prep, cols, table, key, sets, rows, guard) -> set[int] | None:
    scratch = prep.quote(f"scratch_update_{cols.table.name}" + ("_guarded" if guard else ""))
    selected = [prep.quote(n) for n in cols.names]
    copy_cols = list(selected)
    if guard:
        selected.append(f"{prep.quote(guard)} AS seen_guard")
        copy_cols.append("seen_guard")
    cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {scratch} ON COMMIT DROP AS "
                   f"SELECT {', '.join(selected)} FROM {table} WITH NO DATA")
    types = cols.pg_types()
    if types is not None and guard:
        guarded = _pg_types([cols.table.c[guard]])
        types = None if guarded is None else types + guarded
    _copy(cursor, f"COPY {scratch} ({', '.join(copy_cols)}) FROM STDIN", types, rows)
    assignments = ", ".join(f"{prep.quote(n)} = s.{prep.quote(n)}" for n in sets)
    where = f"t.{prep.quote(key)} = s.{prep.quote(key)}"
    if guard:
        where += f" AND t.{prep.quote(guard)} = s.seen_guard"
        cursor.execute(f"UPDATE {table} AS t SET {assignments} FROM {scratch} AS s WHERE {where} "
                       f"RETURNING t.{prep.quote(key)}")
        updated = {r[0] for r in cursor.fetchall()}
    else:
        cursor.execute(f"UPDATE {table} AS t SET {assignments} FROM {scratch} AS s WHERE {where}")
        updated = None
    cursor.execute(f"DELETE FROM {scratch}")
    return updated


def delete_ids(conn, table: str, ids: list[int]) -> None:
    if not ids:
        return
    t = db.metadata.tables[table]
    prep = conn.dialect.identifier_preparer
    with _cursor(conn, f"DELETE FROM {prep.format_table(t)}") as cursor:
        if conn.dialect.name == "postgresql":
            cursor.execute(f"DELETE FROM {prep.format_table(t)} WHERE id = ANY(%s)", (list(ids),))
        else:
            cursor.executemany(f"DELETE FROM {prep.format_table(t)} WHERE id = ?", [(i,) for i in ids])
