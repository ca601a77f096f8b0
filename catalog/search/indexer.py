"""Build a fresh index from the database and swap the alias to it; compare index and database.

Reindex (`flask search reindex`, and the embedded default's start-up build):

1. create ``products-v<N>-<timestamp>`` from ``mappings/products-v<N>.json``;
2. note the newest outbox id, then bulk-load every product in id order (each with its version);
3. atomically move the alias (one ``_aliases`` call: remove old, add new) and drop old indexes;
4. replay outbox rows newer than the id noted in step 2 into the new index, so changes made
   while the build ran are not lost (external versions make the replay idempotent).

Searches keep using the old index until the single alias switch, so searching never stops.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Callable, Optional

from sqlalchemy import func, select

from .documents import current_versions, load_documents
from .engine import SearchUnavailable, search_engine
from .mappings import current_version, load_mapping
from .models import SearchOutbox
from .query import build_ids_page
from .sync import _session, bulk_actions, bulk_failures

log = logging.getLogger(__name__)

BATCH = 1000
# A build that has to leave out more products than this (or 1 %) is abandoned: the cause is not
# bad data in a few products but something systematic, and the old index is better than a hollow one.
MAX_SKIPPED = 50


def new_index_name(alias: str, version: int, now: Optional[dt.datetime] = None) -> str:
    now = now or dt.datetime.now(dt.timezone.utc)
    return f"{alias}-v{version}-{now.strftime('%Y%m%d%H%M%S%f')}"


def _alias_targets(client, alias: str) -> list[str]:
    from elasticsearch import NotFoundError

    try:
        return sorted(client.indices.get_alias(name=alias).body)
    except NotFoundError:
        return []


@dataclass
class ReindexResult:
    index: str
    documents: int
    seconds: float
    replayed: int = 0
    dropped: list[str] = field(default_factory=list)
    # products whose document could not be built: left out of the index, parked in the outbox
    failed: dict[int, str] = field(default_factory=dict)

    @property
    def docs_per_second(self) -> float:
        return self.documents / self.seconds if self.seconds > 0 else float("inf")


def reindex(app, progress: Optional[Callable[[int, int], None]] = None, batch: int = BATCH) -> ReindexResult:
    """Build a new index from the database, swap the alias, drop the old index(es)."""
    import time

    start = time.perf_counter()
    with app.app_context():
        alias = search_engine.alias
        version = current_version()
        name = new_index_name(alias, version)
        mapping = load_mapping(version)
        refresh = app.config.get("SEARCH_REFRESH") or False
        search_engine.call(lambda c: c.indices.create(index=name, settings=mapping["settings"],
                                                      mappings=mapping["mappings"]))
    session = _session(app)
    try:
        from catalog.models import Product

        high_water = session.execute(select(func.max(SearchOutbox.id))).scalar_one_or_none() or 0
        total = session.execute(select(func.count(Product.id))).scalar_one()
        done = 0
        last_id = 0
        failed: dict[int, str] = {}
        if progress:
            progress(0, total)
        # Reading batch n+1 from the database overlaps with sending batch n to the engine.
        from concurrent.futures import ThreadPoolExecutor

        def send_batch(ops, count):
            """Returns (documents indexed, {product id: why the engine rejected it})."""
            with app.app_context():
                failures = bulk_failures(search_engine.bulk(ops))
            return count - len(failures), {int(pid): reason for pid, reason in failures.items()}

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="search-reindex") as pool:
            pending = None
            while True:
                ids = session.execute(select(Product.id).where(Product.id > last_id).order_by(Product.id)
                                      .limit(batch)).scalars().all()
                if ids:
                    last_id = ids[-1]
                    versions = current_versions(session, ids)
                    docs = load_documents(session, ids, versions, errors=failed)
                    session.rollback()  # end the read transaction between batches
                if pending is not None:
                    indexed, rejected = pending.result()
                    done += indexed
                    failed.update(rejected)
                    pending = None
                    if progress:
                        progress(done, total)
                if not ids:
                    break
                ops = bulk_actions(name, docs, {})
                if ops:
                    pending = pool.submit(send_batch, ops, len(docs))
        if len(failed) > max(MAX_SKIPPED, total // 100):
            # not a few bad products but something systematic (mapping, engine): keep the old index
            pid, reason = next(iter(failed.items()))
            raise SearchUnavailable(f"Reindex failed for {len(failed)} of {total} products, e.g. {pid}: {reason}")
        with app.app_context():
            search_engine.call(lambda c: c.options(request_timeout=search_engine.bulk_timeout)
                               .indices.refresh(index=name))
            old = _alias_targets(search_engine.client, alias)
            actions = [{"remove": {"index": i, "alias": alias}} for i in old]
            actions.append({"add": {"index": name, "alias": alias}})
            # A stale concrete index named like the alias would block the alias; drop it first.
            if not old and search_engine.call(lambda c: c.indices.exists(index=alias).body):
                search_engine.call(lambda c: c.indices.delete(index=alias))
            search_engine.call(lambda c: c.indices.update_aliases(actions=actions))
            search_engine.forget_live_index()
            dropped = []
            for i in old:
                if i != name:
                    search_engine.call(lambda c, i=i: c.indices.delete(index=i))
                    dropped.append(i)
        # Changes committed during the build: send their current state into the new index.
        replay_ids = session.execute(select(SearchOutbox.entity_id).where(SearchOutbox.id > high_water)
                                     .distinct()).scalars().all()
        replayed = 0
        for i in range(0, len(replay_ids), batch):
            chunk = list(replay_ids[i:i + batch])
            versions = current_versions(session, chunk)
            errors: dict[int, str] = {}
            docs = load_documents(session, chunk, versions, errors=errors)
            deletes = {pid: versions.get(pid, 0) for pid in chunk if pid not in docs and pid not in errors}
            failed.update(errors)
            session.rollback()
            ops = bulk_actions(alias, docs, deletes)
            if ops:
                with app.app_context():
                    search_engine.bulk(ops, refresh=refresh, require_alias=True)
            replayed += len(chunk)
        settle_parked(session, high_water, failed)
        if failed:
            park_unbuildable(session, failed)
            log.error("reindex: %d products could not be indexed, e.g. %s: %s", len(failed),
                      *next(iter(failed.items())))
        from .service import forget_browse_facets

        forget_browse_facets(app)
        return ReindexResult(index=name, documents=done, seconds=time.perf_counter() - start,
                             replayed=replayed, dropped=dropped, failed=failed)
    except BaseException:
        # leave no half-built index behind; the alias still points at the old one
        try:
            with app.app_context():
                if name not in _alias_targets(search_engine.client, alias):
                    search_engine.client.indices.delete(index=name)
        except Exception:
            pass
        raise
    finally:
        session.close()


def settle_parked(session, up_to: int, failed: dict[int, str]) -> None:
    """Rows parked before a build whose product is now in the index: delivered by the build."""
    from sqlalchemy import update

    from core.timeutil import utcnow

    rows = session.execute(select(SearchOutbox.id, SearchOutbox.entity_id).where(
        SearchOutbox.processed_at.is_(None), SearchOutbox.failed_at.is_not(None),
        SearchOutbox.id <= up_to)).all()
    ids = [r.id for r in rows if r.entity_id not in failed]
    now = utcnow()
    for i in range(0, len(ids), 500):
        session.execute(update(SearchOutbox).where(SearchOutbox.id.in_(ids[i:i + 500]))
                        .values(processed_at=now, failed_at=None, last_error=None))
    session.commit()


def park_unbuildable(session, failed: dict[int, str]) -> None:
    """Make products left out of a build visible as parked outbox rows (one per product: an
    existing parked row gets the new error, otherwise one is added)."""
    from sqlalchemy import insert, update

    from core.timeutil import utcnow

    now = utcnow()
    ids = list(failed)
    parked = set()
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        parked.update(session.execute(select(SearchOutbox.entity_id).where(
            SearchOutbox.entity == "product", SearchOutbox.entity_id.in_(chunk),
            SearchOutbox.processed_at.is_(None), SearchOutbox.failed_at.is_not(None))).scalars())
    for pid in parked:
        session.execute(update(SearchOutbox).where(
            SearchOutbox.entity == "product", SearchOutbox.entity_id == pid, SearchOutbox.processed_at.is_(None),
            SearchOutbox.failed_at.is_not(None)).values(last_error=failed[pid][:500], failed_at=now))
    new = [{"entity": "product", "entity_id": pid, "op": "upsert", "created_at": now, "attempts": 1,
            "failed_at": now, "last_error": failed[pid][:500]} for pid in ids if pid not in parked]
    if new:
        session.execute(insert(SearchOutbox), new)
    session.commit()


@dataclass
class Drift:
    missing: list[int] = field(default_factory=list)   # in the database, not in the index
    extra: list[int] = field(default_factory=list)     # in the index, not in the database
    stale: list[tuple[int, int, int]] = field(default_factory=list)  # (id, index version, db version)
    db_count: int = 0
    index_count: int = 0

    @property
    def clean(self) -> bool:
        return not (self.missing or self.extra or self.stale)


def index_versions(app, page: int = 5000) -> dict[int, int]:
    """`{product id: version}` of every document behind the alias."""
    out: dict[int, int] = {}
    after = None
    with app.app_context():
        while True:
            body = build_ids_page(after, page)
            hits = search_engine.search(body)["hits"]["hits"]
            if not hits:
                break
            for h in hits:
                out[int(h["_source"]["product_id"])] = int(h["_source"].get("version") or 0)
            after = hits[-1]["sort"][0]
    return out


def check(app) -> Drift:
    """Compare ids and versions in the database with the index. Pending outbox rows are expected
    drift; run `flask search sync` first (or look at `outbox_backlog`)."""
    from catalog.models import Product

    session = _session(app)
    try:
        db_ids = set(session.execute(select(Product.id)).scalars())
        versions = current_versions(session)
    finally:
        session.close()
    in_index = index_versions(app)
    drift = Drift(db_count=len(db_ids), index_count=len(in_index))
    drift.missing = sorted(db_ids - set(in_index))
    drift.extra = sorted(set(in_index) - db_ids)
    for pid in sorted(db_ids & set(in_index)):
        want = versions.get(pid, 0)
        if in_index[pid] < want:
            drift.stale.append((pid, in_index[pid], want))
    return drift


def ensure_index(app) -> bool:
    """Make sure the alias exists (an empty index from the current mapping if it does not).
    Returns True when it had to be created."""
    with app.app_context():
        alias = search_engine.alias
        if _alias_targets(search_engine.client, alias):
            return False
        version = current_version()
        name = new_index_name(alias, version)
        mapping = load_mapping(version)
        search_engine.call(lambda c: c.indices.create(index=name, settings=mapping["settings"],
                                                      mappings=mapping["mappings"]))
        search_engine.call(lambda c: c.indices.update_aliases(actions=[{"add": {"index": name, "alias": alias}}]))
        search_engine.forget_live_index()
        return True
