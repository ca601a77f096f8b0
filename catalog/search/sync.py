"""Send outbox rows to the search engine: retries with backoff, idempotent, order-safe.

How it runs (``SEARCH_SYNC_MODE``):

- ``thread`` (embedded default): a daemon thread in the web process, woken right after every
  commit that wrote outbox rows, and every ``SEARCH_SYNC_POLL`` seconds for retries.
- ``rq``: each such commit enqueues `rq_dispatch` on the ``search`` queue of ``REDIS_URL``;
  ``python worker.py`` works it (with the scheduler, so failed batches are retried later).
- ``inline``: dispatched in the committing thread (deterministic; used by tests).
- ``off``: nothing automatic; run ``flask search sync --follow`` as a worker process.

Each document is written with ``version_type=external_gte`` and the newest outbox row id as its
version, so a late or repeated delivery can never replace a newer state: the engine rejects it
(409), which counts as done. If the engine is down, rows stay pending with a growing
``next_attempt_at``; catalog writes are unaffected and the index catches up when it returns.

One bad product never holds up the others. A document that cannot be built from the database
(e.g. a date the index cannot represent) is *parked* at once: its row gets ``failed_at`` and
``last_error`` and is no longer retried automatically. A document the engine rejects is retried
with backoff and parked after ``MAX_ATTEMPTS``. Parked rows show in ``/healthz`` (search status
``degraded``) and ``flask search status``; ``flask search retry`` queues them again, and the next
change of the product writes a newer row whose delivery settles them.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from core.i18n import N_
from core.timeutil import utcnow

from .documents import current_versions, describe_error, load_documents
from .engine import SearchUnavailable, search_engine
from .models import SearchOutbox

log = logging.getLogger(__name__)

BATCH = 500
MAX_ATTEMPTS = 8  # engine rejections of one document before its row is parked
# Callbacks `f(product_ids)` run right after a delivery's bulk call returned (with SEARCH_REFRESH
# "wait_for"/true the documents are searchable from that moment): used by the benchmark.
DELIVERY_LISTENERS: list = []


def _session(app) -> Session:
    from core.extensions import db

    with app.app_context():
        engine = db.engine
    s = Session(bind=engine, expire_on_commit=False)
    s.info["search_outbox_disabled"] = True
    return s


def backoff_seconds(attempts: int, cap: float = 60.0) -> float:
    """1, 2, 4, 8 ... seconds, capped."""
    return float(min(cap, 2 ** max(0, attempts - 1)))


def backlog() -> int:
    """Outbox rows waiting for delivery (parked rows are counted by `failed_rows`)."""
    from core.extensions import db

    with db.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(SearchOutbox.__table__)
                            .where(SearchOutbox.processed_at.is_(None), SearchOutbox.failed_at.is_(None))).scalar_one()


def failed_rows(limit: int = 5) -> tuple[int, list[dict]]:
    """Parked rows: their number, and the newest `limit` of them (id, product, attempts, when,
    error) for health output and `flask search status`."""
    from core.extensions import db

    parked = and_(SearchOutbox.processed_at.is_(None), SearchOutbox.failed_at.is_not(None))
    with db.engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(SearchOutbox.__table__).where(parked)).scalar_one()
        rows = conn.execute(select(SearchOutbox.id, SearchOutbox.entity_id, SearchOutbox.attempts,
                                   SearchOutbox.failed_at, SearchOutbox.last_error)
                            .where(parked).order_by(SearchOutbox.id.desc()).limit(limit)).all() if count else []
    return count, [{"id": r.id, "product_id": r.entity_id, "attempts": r.attempts,
                    "failed_at": r.failed_at.isoformat() if hasattr(r.failed_at, "isoformat") else r.failed_at,
                    "error": r.last_error} for r in rows]


def retry_failed(app) -> int:
    """Queue every parked row again (after the data or the mapping was fixed). Returns how many."""
    session = _session(app)
    try:
        result = session.execute(update(SearchOutbox).where(
            SearchOutbox.processed_at.is_(None), SearchOutbox.failed_at.is_not(None))
            .values(failed_at=None, next_attempt_at=None, attempts=0))
        session.commit()
        return result.rowcount or 0
    finally:
        session.close()


def bulk_actions(index: str, docs: dict[int, dict], deletes: dict[int, int]) -> list[dict]:
    """Bulk API operations: index each document, delete the rest, all with external versions."""
    ops: list[dict] = []
    for pid, doc in docs.items():
        ops.append({"index": {"_index": index, "_id": str(pid), "version": doc["version"],
                              "version_type": "external_gte"}})
        ops.append(doc)
    for pid, version in deletes.items():
        ops.append({"delete": {"_index": index, "_id": str(pid), "version": version, "version_type": "external_gte"}})
    return ops


def bulk_failures(response: dict) -> dict[str, str]:
    """`{doc id: reason}` for items that really failed (a 409 means a newer version is already there,
    a 404 on delete means it is already gone: both are success)."""
    failed: dict[str, str] = {}
    if not response.get("errors"):
        return failed
    for item in response.get("items", []):
        (op, result), = item.items()
        status = result.get("status", 200)
        if status < 300 or status == 409 or (op == "delete" and result.get("result") == "not_found"):
            continue
        err = result.get("error") or {}
        failed[str(result.get("_id"))] = f"{err.get('type', status)}: {err.get('reason', '')}"[:480]
    return failed


@dataclass
class Delivery:
    """What became of one `send`: documents the engine rejected (`rejected`, retried with
    backoff) and products whose document could not be built (`unbuildable`, parked)."""

    rejected: dict[int, str] = field(default_factory=dict)
    unbuildable: dict[int, str] = field(default_factory=dict)

    def failed(self, pid: int) -> Optional[str]:
        return self.unbuildable.get(pid) or self.rejected.get(pid)


def send(app, session: Session, product_ids: list[int], index: Optional[str] = None,
         versions: Optional[dict[int, int]] = None) -> Delivery:
    """Read the products' current state and write it to `index` (default: the alias).
    Returns per-document failures; raises `SearchUnavailable` if the engine cannot be reached.
    `versions` must be read *before* the documents (so a version never outruns its content)."""

    with app.app_context():
        index = index or search_engine.alias
        refresh = app.config.get("SEARCH_REFRESH") or False
        versions = versions if versions is not None else current_versions(session, product_ids)
        outcome = Delivery()
        docs = load_documents(session, product_ids, versions, errors=outcome.unbuildable)
        deletes = {pid: versions.get(pid, 0) for pid in product_ids
                   if pid not in docs and pid not in outcome.unbuildable}
        if index == search_engine.alias:
            docs = fit_documents(docs, search_engine.live_index(fresh=True)[1])
        ops = bulk_actions(index, docs, deletes)
        if not ops:
            return outcome
        # require_alias: never let a write auto-create a dynamically mapped index under the alias name
        # (the alias is missing while the embedded engine's first build runs; rows then retry).
        response = search_engine.bulk(ops, refresh=refresh, require_alias=(index == search_engine.alias))
        outcome.rejected = {int(pid): reason for pid, reason in bulk_failures(response).items()}
        if any(reason.startswith("index_not_found") for reason in outcome.rejected.values()):
            # no index behind the alias (the first build is running): nothing wrong with the documents
            raise SearchUnavailable(N_("The search index does not exist yet; it is being built or needs "
                                       "`flask search reindex`."))
        delivered = [pid for pid in product_ids if outcome.failed(pid) is None]
        if delivered:
            from .service import forget_browse_facets

            forget_browse_facets(app)
        for listener in list(DELIVERY_LISTENERS):
            listener(delivered)
        return outcome


def fit_documents(docs: dict[int, dict], schema: int) -> dict[int, dict]:
    """Documents for an index of an older mapping version (before `flask search reindex` moved
    the alias to the current one): without the fields it does not have (its mapping is strict)."""
    from .mappings import current_version, load_mapping

    if schema >= current_version() or not docs:
        return docs
    known = set(load_mapping(schema)["mappings"]["properties"])
    return {pid: {k: v for k, v in doc.items() if k in known} for pid, doc in docs.items()}


def _send_one_by_one(app, session: Session, product_ids: list[int], versions: dict[int, int]) -> Delivery:
    """Fallback when a whole batch failed for a reason other than the engine (a product's data
    breaks the batch query itself): send each product alone, so only the bad ones fail. A
    database outage is not a product's fault: it propagates and the batch is retried later."""
    from sqlalchemy.exc import OperationalError

    outcome = Delivery()
    for pid in product_ids:
        try:
            with session.begin_nested():
                one = send(app, session, [pid], versions={pid: versions[pid]} if pid in versions else {})
        except (SearchUnavailable, OperationalError):
            raise
        except Exception as exc:  # noqa: BLE001 - this product's document cannot be built
            outcome.unbuildable[pid] = describe_error(exc)
            continue
        outcome.rejected.update(one.rejected)
        outcome.unbuildable.update(one.unbuildable)
    return outcome


def dispatch_pending(app, limit: int = BATCH, now: Optional[dt.datetime] = None) -> dict:
    """Deliver up to `limit` due outbox rows once. Returns counts {sent, failed, parked, rows}
    (`failed` includes the rows parked in this round)."""
    now = now or utcnow()
    session = _session(app)
    try:
        due = or_(SearchOutbox.next_attempt_at.is_(None), SearchOutbox.next_attempt_at <= now)
        q = (select(SearchOutbox.id, SearchOutbox.entity_id, SearchOutbox.attempts)
             .where(SearchOutbox.processed_at.is_(None), SearchOutbox.failed_at.is_(None), due)
             .order_by(SearchOutbox.id).limit(limit))
        if session.get_bind().dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        rows = session.execute(q).all()
        if not rows:
            session.rollback()
            return {"sent": 0, "failed": 0, "parked": 0, "rows": 0}
        product_ids = sorted({r.entity_id for r in rows})
        cap = float(app.config.get("SEARCH_SYNC_MAX_BACKOFF", 60))
        versions = current_versions(session, product_ids)
        error_all = None
        try:
            with session.begin_nested():  # a failing batch query leaves the transaction usable
                outcome = send(app, session, product_ids, versions=versions)
        except SearchUnavailable as exc:
            outcome, error_all = Delivery(), exc.message
        except Exception:  # noqa: BLE001 - the batch itself broke: find the product(s) that did it
            log.exception("search sync: a batch of %d products failed; sending them one by one", len(product_ids))
            outcome = _send_one_by_one(app, session, product_ids, versions)
        stamp = utcnow()
        retry, park = [], []
        for r in rows:
            attempts = r.attempts + 1
            if error_all:
                retry.append((r.id, attempts, error_all))  # the engine is down: wait, never give up
            elif r.entity_id in outcome.unbuildable:
                park.append((r.id, attempts, outcome.unbuildable[r.entity_id]))
            elif r.entity_id in outcome.rejected:
                (park if attempts >= MAX_ATTEMPTS else retry).append((r.id, attempts, outcome.rejected[r.entity_id]))
        sent = [pid for pid in product_ids if not error_all and outcome.failed(pid) is None]
        # Every pending row of a sent product up to the version just written is delivered,
        # including older rows that were waiting for a retry or parked.
        for start in range(0, len(sent), 200):
            chunk = sent[start:start + 200]
            session.execute(update(SearchOutbox).where(
                SearchOutbox.processed_at.is_(None), SearchOutbox.entity == "product",
                or_(*[and_(SearchOutbox.entity_id == pid, SearchOutbox.id <= versions.get(pid, 0)) for pid in chunk]))
                .values(processed_at=stamp, failed_at=None, last_error=None).execution_options(synchronize_session=False))
        for row_id, attempts, reason in retry:
            session.execute(update(SearchOutbox).where(SearchOutbox.id == row_id).values(
                attempts=attempts, last_error=reason[:500],
                next_attempt_at=stamp + dt.timedelta(seconds=backoff_seconds(attempts, cap))))
        for row_id, attempts, reason in park:
            session.execute(update(SearchOutbox).where(SearchOutbox.id == row_id).values(
                attempts=attempts, last_error=reason[:500], failed_at=stamp, next_attempt_at=None))
        sent_set = set(sent)
        done_ids = [r.id for r in rows if r.entity_id in sent_set]
        session.commit()
        if retry:
            log.warning("search sync: %d outbox rows will be retried (%s)", len(retry), retry[0][2])
        if park:
            log.error("search sync: %d outbox rows parked as failed, e.g. row %s: %s", len(park), park[0][0], park[0][2])
        return {"sent": len(done_ids), "failed": len(retry) + len(park), "parked": len(park), "rows": len(rows)}
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def drain(app, max_rounds: int = 1000) -> dict:
    """Dispatch until no due rows are left (or a round delivers nothing)."""
    total = {"sent": 0, "failed": 0, "parked": 0, "rows": 0}
    for _ in range(max_rounds):
        result = dispatch_pending(app)
        for k in total:
            total[k] += result[k]
        # Stop when nothing is due, or when a round only failed (the engine is down: wait for the
        # backoff). A round that parked rows made progress: the rows behind them are due now.
        if result["rows"] == 0 or (result["sent"] == 0 and result["parked"] == 0):
            break
    return total


def next_due_in(app) -> Optional[float]:
    """Seconds until the earliest pending row is due (0 if one is due now, None if none pending)."""
    session = _session(app)
    try:
        earliest = session.execute(select(func.min(func.coalesce(SearchOutbox.next_attempt_at, SearchOutbox.created_at)))
                                   .where(SearchOutbox.processed_at.is_(None), SearchOutbox.failed_at.is_(None))
                                   ).scalar_one_or_none()
    finally:
        session.close()
    if earliest is None:
        return None
    if isinstance(earliest, str):  # SQLite through func.min loses the column type
        earliest = dt.datetime.fromisoformat(earliest)
    if earliest.tzinfo is None:
        earliest = earliest.replace(tzinfo=dt.timezone.utc)
    return max(0.0, (earliest - utcnow()).total_seconds())


def prune(app, older_than: dt.timedelta = dt.timedelta(days=7)) -> int:
    """Delete delivered rows older than `older_than`, keeping each product's newest row (it is
    that product's document version, which `flask search check` compares)."""
    session = _session(app)
    try:
        newest = select(func.max(SearchOutbox.id)).group_by(SearchOutbox.entity, SearchOutbox.entity_id)
        result = session.execute(SearchOutbox.__table__.delete().where(and_(
            SearchOutbox.processed_at.is_not(None), SearchOutbox.processed_at < utcnow() - older_than,
            SearchOutbox.id.notin_(newest.scalar_subquery()))))
        session.commit()
        return result.rowcount or 0
    finally:
        session.close()


# --------------------------------------------------------------------------- runners

class Dispatcher:
    """The in-process runner for the embedded default: one daemon thread per app."""

    def __init__(self, app):
        self.app = app
        self.wakeup = threading.Event()
        self.idle = threading.Event()
        self.idle.set()
        self.stopped = False
        self.thread: Optional[threading.Thread] = None

    def start(self) -> None:
        if self.thread is None or not self.thread.is_alive():
            self.thread = threading.Thread(target=self._run, name="search-dispatcher", daemon=True)
            self.thread.start()

    def notify(self) -> None:
        self.idle.clear()
        self.wakeup.set()
        self.start()

    def stop(self) -> None:
        self.stopped = True
        self.wakeup.set()

    def _run(self) -> None:
        poll = float(self.app.config.get("SEARCH_SYNC_POLL", 2.0))
        while not self.stopped:
            self.wakeup.wait(poll)
            self.wakeup.clear()
            if self.stopped:
                break
            try:
                drain(self.app)
            except Exception:  # the thread must survive a database hiccup
                log.exception("search dispatcher round failed")
            finally:
                if not self.wakeup.is_set():
                    self.idle.set()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Tests and benchmarks: wait until the current backlog has been attempted."""
        return self.idle.wait(timeout)


def dispatcher_for(app) -> Dispatcher:
    d = app.extensions.get("search_dispatcher")
    if d is None:
        d = app.extensions["search_dispatcher"] = Dispatcher(app)
    return d


def after_commit(session) -> None:
    """Outbox hook: a commit wrote rows; deliver them according to SEARCH_SYNC_MODE."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return
    app = current_app._get_current_object()
    if "search_engine" not in app.extensions:
        return
    mode = app.config.get("SEARCH_SYNC_MODE", "thread")
    if mode == "thread":
        dispatcher_for(app).notify()
    elif mode == "inline":
        try:
            drain(app, max_rounds=20)
        except Exception:  # the commit happened; the rows stay pending for a later attempt
            log.exception("inline search dispatch failed")
    elif mode == "rq":
        try:
            enqueue_rq(app)
        except Exception:  # Redis down: rows stay pending for the worker / `search sync`
            log.exception("could not enqueue search dispatch")


def enqueue_rq(app, delay: Optional[float] = None) -> None:
    from redis import Redis
    from rq import Queue

    queue = Queue("search", connection=Redis.from_url(app.config["REDIS_URL"]))
    if delay:
        queue.enqueue_in(dt.timedelta(seconds=delay), "catalog.search.sync.rq_dispatch", job_timeout=600)
    else:
        queue.enqueue("catalog.search.sync.rq_dispatch", job_timeout=600)


def rq_dispatch() -> dict:  # executed by the RQ worker, `python worker.py`
    """RQ job: drain the outbox; if rows remain pending (engine down), re-enqueue after backoff."""
    from flask import current_app, has_app_context

    from core import jobs

    if has_app_context():
        app = current_app._get_current_object()
    elif jobs.worker_app is not None:  # worker.py built the app and bound it
        app = jobs.worker_app
    else:
        raise RuntimeError("search dispatch jobs run in `python worker.py`, which binds the app; none is bound here")

    result = drain(app)
    wait = next_due_in(app)
    if wait is not None:
        enqueue_rq(app, delay=max(1.0, wait))
    return result


def follow(app, poll: float = 1.0, stop: Optional[threading.Event] = None, echo=None) -> None:
    """`flask search sync --follow`: deliver forever, polling every `poll` seconds."""
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            result = drain(app)
            if echo and result["rows"]:
                echo(result)
        except Exception:
            log.exception("search sync round failed")
        stop.wait(poll)


def wait_until_searchable(app, product_id: int, timeout: float = 5.0) -> float:
    """Benchmarks: seconds until `product_id`'s newest version is visible in the alias."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        with app.app_context():
            try:
                found = search_engine.call(lambda c: c.search(index=search_engine.alias, body={
                    "query": {"term": {"product_id": product_id}}, "size": 1, "_source": ["version"]}).body)
                if found["hits"]["hits"]:
                    return time.perf_counter() - start
            except SearchUnavailable:
                pass
        time.sleep(0.005)
    raise TimeoutError(f"product {product_id} not searchable after {timeout} s")
