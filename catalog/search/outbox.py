"""Write outbox rows automatically, in the transaction of every catalog change.

No service has to call anything: SQLAlchemy session events notice changes to the watched tables
and, just before the transaction commits, insert one `SearchOutbox` row per affected product.

- `after_flush` collects products touched through the unit of work (new, changed, deleted
  products and their indicator values, certificates, carbon declarations, verdicts) and
  categories / category groups / supplier organisations whose searchable names changed.
- `do_orm_execute` collects rows hit by bulk ``UPDATE``/``DELETE`` statements (e.g. the
  certificate-expiry job's conditional update), by selecting their ids first.
- `before_commit` flushes, expands categories, groups and suppliers to their products, and
  inserts the outbox rows: same connection, same transaction.
- `after_commit` tells the dispatcher (`catalog.search.sync`) there is work.
- `announce` writes the rows at once for products written by plain SQL (the bulk import tells it
  through `app.extensions["catalog.products_written"]`, wired by `catalog.search.setup`).

A rolled-back transaction leaves no outbox rows (they were never committed).
"""
from __future__ import annotations

import logging
from typing import Callable, Optional

from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Session

from core.timeutil import utcnow

log = logging.getLogger(__name__)

_KEY = "search_outbox"
# table -> (kind, id column, columns whose change matters or None for any change)
WATCHED: dict[str, tuple[str, str, Optional[tuple[str, ...]]]] = {
    "products": ("product", "id", None),
    "product_indicator_values": ("product", "product_id", None),
    "certificates": ("product", "product_id", None),
    "carbon_declarations": ("product", "product_id", None),
    "product_verdicts": ("product", "product_id", None),
    "categories": ("category", "id", ("code", "name_en", "name_zh", "group_id", "group")),
    "category_groups": ("group", "id", ("code", "name_en", "name_zh")),
    "organisations": ("supplier", "id", ("name_en", "name_zh")),
}

_installed = False
_on_commit: list[Callable[[Session], None]] = []


def _pending(session: Session) -> dict:
    return session.info.setdefault(_KEY, {"product": set(), "category": set(), "group": set(), "supplier": set(),
                                          "deleted": set()})


def _table_name(obj) -> Optional[str]:
    table = getattr(type(obj), "__table__", None)
    return getattr(table, "name", None)


def _changed(obj, columns: Optional[tuple[str, ...]]) -> bool:
    if columns is None:
        return True
    state = inspect(obj)
    return any(name in state.attrs and state.attrs[name].history.has_changes() for name in columns)


def _collect(session: Session, objs, *, deleted: bool = False, new: bool = False) -> None:
    pend = None
    for obj in objs:
        spec = WATCHED.get(_table_name(obj))
        if spec is None:
            continue
        kind, id_col, columns = spec
        if new or deleted:
            if kind != "product":
                continue  # a brand-new category has no products yet; a deleted one cannot have any
        elif columns is None:
            if not session.is_modified(obj):
                continue
        elif not _changed(obj, columns):
            continue  # e.g. a supplier's address changed: nothing searchable
        value = getattr(obj, id_col, None)
        if value is None and id_col == "product_id":
            product = getattr(obj, "product", None)
            value = getattr(product, "id", None)
        if value is None:
            continue
        pend = pend if pend is not None else _pending(session)
        pend[kind].add(int(value))
        if deleted and _table_name(obj) == "products":
            pend["deleted"].add(int(value))


def _after_flush(session: Session, flush_context) -> None:
    if session.info.get("search_outbox_disabled"):
        return
    _collect(session, session.new, new=True)
    _collect(session, session.dirty)
    _collect(session, session.deleted, deleted=True)


def _do_orm_execute(state) -> None:
    if not (state.is_update or state.is_delete):
        return
    session = state.session
    if session.info.get("search_outbox_disabled"):
        return
    stmt = state.statement
    table = getattr(stmt, "table", None)
    spec = WATCHED.get(getattr(table, "name", None))
    if spec is None:
        return
    kind, id_col, _columns = spec
    if id_col not in table.c:
        return
    query = select(table.c[id_col])
    if stmt.whereclause is not None:
        query = query.where(stmt.whereclause)
    ids = session.execute(query, execution_options={"search_outbox_probe": True}).scalars().all()
    if ids:
        pend = _pending(session)
        pend[kind].update(int(i) for i in ids if i is not None)
        if state.is_delete and table.name == "products":
            pend["deleted"].update(int(i) for i in ids)


def _expand(session: Session, pend: dict) -> set[int]:
    """Product ids affected, including the products of renamed categories, groups and suppliers."""
    from catalog.models import Category, Product

    ids = set(pend["product"])
    run = session.execute
    categories = set(pend["category"])
    if pend["group"]:
        categories.update(run(select(Category.id).where(Category.group_id.in_(pend["group"]))).scalars())
    if categories:
        ids.update(run(select(Product.id).where(Product.category_id.in_(categories))).scalars())
    if pend["supplier"]:
        ids.update(run(select(Product.id).where(Product.supplier_id.in_(pend["supplier"]))).scalars())
    return ids


def _before_commit(session: Session) -> None:
    if session.info.get("search_outbox_disabled"):
        return
    if not session.info.get(_KEY):
        # nothing seen yet; a flush inside commit may still find changes
        if not (session.new or session.dirty or session.deleted):
            return
    session.flush()
    pend = session.info.get(_KEY)
    if not pend or not any(pend[k] for k in ("product", "category", "group", "supplier")):
        return
    from .models import SearchOutbox

    ids = _expand(session, pend)
    deleted = pend["deleted"]
    session.info.pop(_KEY, None)
    if not ids:
        return
    now = utcnow()
    rows = [{"entity": "product", "entity_id": pid, "op": "delete" if pid in deleted else "upsert",
             "created_at": now, "attempts": 0} for pid in sorted(ids)]
    session.execute(insert(SearchOutbox), rows, execution_options={"search_outbox_probe": True})
    session.info["search_outbox_written"] = session.info.get("search_outbox_written", 0) + len(rows)


def _after_commit(session: Session) -> None:
    written = session.info.pop("search_outbox_written", 0)
    if not written:
        return
    for callback in list(_on_commit):
        try:
            callback(session)
        except Exception:  # never let a notification failure surface in the committing request
            log.exception("search outbox: after-commit notification failed")


def _after_soft_rollback(session: Session, previous_transaction) -> None:
    # Only the outermost transaction's rollback discards what was collected: rolling back a
    # savepoint leaves the outer transaction's changes (an extra row for the savepoint's own
    # changes is harmless: delivery reads the current state).
    if previous_transaction.parent is None and not previous_transaction.nested:
        session.info.pop(_KEY, None)
        session.info.pop("search_outbox_written", None)


def announce(session: Session, product_ids) -> None:
    """Outbox rows, now, for products written by plain SQL in this transaction (the bulk import:
    `catalog.services.product_bulk.announce_written`), which the session events do not see.
    Written batch by batch, so an import's memory does not grow with the file."""
    if session.info.get("search_outbox_disabled"):
        return
    from catalog.services.deferred import write_rows

    from .models import SearchOutbox

    now = utcnow()
    rows = [{"entity": "product", "entity_id": int(pid), "op": "upsert", "created_at": now, "attempts": 0}
            for pid in product_ids]
    if not rows:
        return
    write_rows(session.connection(), SearchOutbox.__tablename__, rows)  # COPY on PostgreSQL
    session.info["search_outbox_written"] = session.info.get("search_outbox_written", 0) + len(rows)


def on_commit(callback: Callable[[Session], None]) -> None:
    """Register `callback(session)` to run after a commit that wrote outbox rows."""
    if callback not in _on_commit:
        _on_commit.append(callback)


def install() -> None:
    """Attach the listeners to every SQLAlchemy session (idempotent)."""
    global _installed
    if _installed:
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "do_orm_execute", _do_orm_execute)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_soft_rollback", _after_soft_rollback)
    _installed = True
