"""Count the SQL statements a block of code sends (for the constant-query-count tests)."""
from __future__ import annotations

import contextlib

from sqlalchemy import event


@contextlib.contextmanager
def counted(engine=None):
    """Yield a list that collects every statement sent on `engine` (default: the app's)."""
    if engine is None:
        from core.extensions import db

        engine = db.engine
    statements = []

    def before(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)
