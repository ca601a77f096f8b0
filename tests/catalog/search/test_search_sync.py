"""Outbox and delivery: changes become searchable, a dead engine never blocks a write, the index
catches up, reindex swaps the alias while searches keep working, check reports drift."""
from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import func, select, update

from catalog.search import service, sync
from catalog.search.engine import SearchUnavailable, search_engine
from catalog.search.indexer import check, reindex
from catalog.search.models import SearchOutbox
from catalog.search.query import SearchRequest, Viewer
from core.extensions import db
from core.timeutil import utcnow

ALL = Viewer(see_all=True)


def _ids(**kw):
    kw.setdefault("per_page", 100)
    return {h.product_id for h in service.search(SearchRequest(**kw)).hits}


def _product(catalog, listed=True):
    from catalog.models import Product

    for p in catalog["products"]:
        if (p.status == "listed") == listed and any(c.status == "valid" and c.expires_on > dt.date.today()
                                                    for c in p.certificates):
            return db.session.get(Product, p.id)
    raise AssertionError("fixture has no such product")


def test_commit_writes_outbox_row_in_same_transaction_and_rollback_writes_none(search_env, catalog):
    product = _product(catalog)
    before = db.session.execute(select(func.count(SearchOutbox.id))).scalar_one()
    product.name_en = "Renamed but rolled back"
    db.session.flush()
    db.session.rollback()
    assert db.session.execute(select(func.count(SearchOutbox.id))).scalar_one() == before
    product = db.session.get(type(product), product.id)
    product.name_en = "Zircon acoustic panel"
    db.session.commit()
    rows = db.session.execute(select(SearchOutbox).where(SearchOutbox.entity_id == product.id)
                              .order_by(SearchOutbox.id.desc())).scalars().all()
    assert rows[0].processed_at is not None  # inline delivery happened after commit
    assert product.id in _ids(q="zircon")


def test_changes_to_evidence_reach_the_index(search_env, catalog):
    from catalog.models import Certificate, ProductVerdict

    product = _product(catalog)
    pid = product.id
    assert pid in _ids()
    # revoking every certificate hides it from the public, not from reviewers
    for cert in product.certificates:
        cert.status = "revoked"
    db.session.commit()
    assert pid not in _ids()
    assert pid in _ids(viewer=ALL)
    # a new valid certificate with 3 stars brings it back, with the stars facet updated
    db.session.add(Certificate(product_id=pid, number="NEW-CERT-1", star_grade=3, issued_on=dt.date(2025, 1, 1),
                               expires_on=dt.date.today() + dt.timedelta(days=700), status="valid", body="CTC"))
    db.session.commit()
    assert pid in _ids(stars=(3,))
    assert pid in _ids(q="NEW-CERT-1")  # exact certificate number
    # a verdict change moves it in the city facet
    db.session.execute(update(ProductVerdict).where(ProductVerdict.product_id == pid).values(verdict="fail"))
    db.session.commit()
    assert pid not in _ids(cities=("nanjing",))


def test_category_rename_reindexes_its_products(search_env, catalog):
    from catalog.models import Category, Product

    cat = db.session.execute(select(Category).filter_by(code="masonry")).scalar_one()
    members = set(db.session.execute(select(Product.id).where(Product.category_id == cat.id)).scalars())
    cat.name_en = "Quasarite bricks"
    db.session.commit()
    assert _ids(q="quasarite", viewer=ALL) == members


def _rows_since(start):
    return set(db.session.execute(select(SearchOutbox.entity_id).where(SearchOutbox.id > start)).scalars())


def test_category_and_group_changes_enqueue_every_product_of_theirs(search_env, catalog):
    """A rename of a category or of its group writes one outbox row per product in it (the group
    expansion once imported a module that does not exist and quietly skipped)."""
    from catalog.models import Category, CategoryGroup, Product

    search_env.config["SEARCH_SYNC_MODE"] = "off"
    group = db.session.execute(select(CategoryGroup).filter_by(code="envelope_concrete")).scalar_one()
    in_group = set(db.session.execute(select(Product.id).join(Category, Product.category_id == Category.id)
                                      .where(Category.group_id == group.id)).scalars())
    assert in_group
    start = db.session.execute(select(func.max(SearchOutbox.id))).scalar_one()
    group.name_en = "Envelope, walls and concrete"
    db.session.commit()
    assert _rows_since(start) == in_group

    cat = db.session.execute(select(Category).filter_by(code="waterproof_membranes")).scalar_one()
    members = set(db.session.execute(select(Product.id).where(Product.category_id == cat.id)).scalars())
    start = db.session.execute(select(func.max(SearchOutbox.id))).scalar_one()
    db.session.execute(update(CategoryGroup).where(CategoryGroup.id == cat.group_id).values(name_zh="防水及密封"))
    db.session.commit()  # a bulk UPDATE of the group is expanded too
    assert _rows_since(start) == members


def test_group_code_change_reaches_the_index(search_env, catalog):
    from catalog.models import Category, CategoryGroup, Product

    group = db.session.execute(select(CategoryGroup).filter_by(code="waterproof_sealing")).scalar_one()
    members = set(db.session.execute(select(Product.id).join(Category, Product.category_id == Category.id)
                                     .where(Category.group_id == group.id)).scalars())
    group.code = "waterproofing"
    db.session.commit()
    assert _ids(groups=("waterproofing",), viewer=ALL) == members
    assert not _ids(groups=("waterproof_sealing",), viewer=ALL)


def test_supplier_rename_and_product_delete(search_env, catalog):
    from catalog.models import Product

    supplier = catalog["suppliers"][1]
    supplier = db.session.get(type(supplier), supplier.id)
    supplier.name_en = "Xylophone Materials Ltd"
    db.session.commit()
    hits = service.search(SearchRequest(viewer=ALL, per_page=100, suppliers=(supplier.id,))).hits
    assert hits and all(h.supplier_name_en == "Xylophone Materials Ltd" for h in hits)

    victim = db.session.get(Product, hits[0].product_id)
    vid = victim.id
    db.session.delete(victim)
    db.session.commit()
    assert vid not in _ids(viewer=ALL)


def test_bulk_update_statement_is_captured(search_env, catalog):
    """ORM bulk UPDATEs (as the expiry job uses) bypass flush events; the outbox still sees them."""
    from catalog.models import Product

    product = _product(catalog)
    db.session.execute(update(Product).where(Product.id == product.id).values(status="suspended")
                       .execution_options(synchronize_session=False))
    db.session.commit()
    assert product.id not in _ids()
    assert product.id in _ids(viewer=ALL)


def test_engine_down_write_succeeds_then_index_catches_up(search_env, catalog, client):
    from catalog.models import Product

    product = _product(catalog)
    pid = product.id
    real_url = search_env.config["ELASTICSEARCH_URL"]
    search_env.config["ELASTICSEARCH_URL"] = "http://127.0.0.1:9"  # nothing listens there
    try:
        product.name_en = "Vanadium roof tile"
        db.session.commit()  # must not raise
        assert db.session.get(Product, pid).name_en == "Vanadium roof tile"
        row = db.session.execute(select(SearchOutbox).where(SearchOutbox.entity_id == pid)
                                 .order_by(SearchOutbox.id.desc())).scalars().first()
        assert row.processed_at is None and row.attempts == 1 and row.next_attempt_at > row.created_at
        assert "not reachable" in row.last_error
        # the search page says so plainly; the rest of the site works
        page = client.get("/search?q=vanadium")
        assert page.status_code == 503
        assert b"Search is unavailable right now." in page.data
        api = client.get("/api/v1/products/search?q=vanadium")
        assert api.status_code == 503 and api.get_json()["error"]["code"] == "search_unavailable"
        assert client.get("/").status_code == 200
        assert client.get("/healthz").get_json()["search"]["status"] == "down"
        # not due yet: a dispatch round before next_attempt_at leaves it alone
        early = row.next_attempt_at - dt.timedelta(milliseconds=1)
        assert sync.dispatch_pending(search_env, now=early)["rows"] == 0
    finally:
        search_env.config["ELASTICSEARCH_URL"] = real_url
    # engine back: the retry (once due) delivers it
    result = sync.dispatch_pending(search_env, now=utcnow() + dt.timedelta(minutes=5))
    assert result["sent"] >= 1
    assert pid in _ids(q="vanadium")
    assert sync.backlog() == 0
    assert check(search_env).clean


def test_backoff_grows_and_is_capped():
    assert [sync.backoff_seconds(a) for a in (1, 2, 3, 4, 10)] == [1, 2, 4, 8, 60]
    assert sync.backoff_seconds(3, cap=3) == 3


def test_version_conflict_means_newer_already_indexed():
    resp = {"errors": True, "items": [
        {"index": {"_id": "1", "status": 409, "error": {"type": "version_conflict_engine_exception"}}},
        {"delete": {"_id": "2", "status": 404, "result": "not_found"}},
        {"index": {"_id": "3", "status": 400, "error": {"type": "mapper_parsing_exception", "reason": "bad"}}},
    ]}
    assert sync.bulk_failures(resp) == {"3": "mapper_parsing_exception: bad"}


def test_reindex_swaps_alias_while_searching_continues(search_env, catalog):
    alias = search_env.config["SEARCH_INDEX_ALIAS"]
    client = search_engine.client
    old = set(client.indices.get_alias(name=alias).body)
    expected = service.search(SearchRequest()).total
    errors, totals = [], []
    stop = threading.Event()

    def searcher():
        with search_env.app_context():
            while not stop.is_set():
                try:
                    totals.append(service.search(SearchRequest()).total)
                except SearchUnavailable as exc:  # pragma: no cover - the failure we test against
                    errors.append(exc.message)

    threads = [threading.Thread(target=searcher) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for _ in range(3):
            result = reindex(search_env)
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    assert errors == []
    assert len(totals) > 3 and set(totals) == {expected}
    now = set(client.indices.get_alias(name=alias).body)
    assert now == {result.index} and not (now & old)
    assert not client.indices.exists(index=",".join(old)).body  # old index dropped
    assert result.documents == len(catalog["products"])


def test_reindex_replays_changes_made_during_the_build(search_env, catalog, monkeypatch):
    """A change committed after the bulk load started reaches the new index."""
    from catalog.models import Product
    from catalog.search import indexer

    product = _product(catalog)
    pid = product.id
    real_load = indexer.load_documents
    fired = {"done": False}

    def load_then_change(session, ids, versions=None, errors=None):
        docs = real_load(session, ids, versions, errors=errors)
        if not fired["done"]:
            fired["done"] = True
            search_env.config["SEARCH_SYNC_MODE"] = "off"  # the change sits in the outbox
            p = db.session.get(Product, pid)
            p.name_en = "Molybdenum sealant"
            db.session.commit()
            search_env.config["SEARCH_SYNC_MODE"] = "inline"
        return docs

    monkeypatch.setattr(indexer, "load_documents", load_then_change)
    result = reindex(search_env)
    assert result.replayed >= 1
    assert pid in _ids(q="molybdenum")


def test_check_reports_missing_extra_and_stale(search_env, catalog, app):
    from catalog.models import Product

    assert check(search_env).clean
    client = search_engine.client
    alias = search_env.config["SEARCH_INDEX_ALIAS"]
    victim = catalog["products"][0].id
    client.delete(index=alias, id=str(victim), refresh=True)
    # a stale document: the database moves on while delivery is off
    search_env.config["SEARCH_SYNC_MODE"] = "off"
    stale = catalog["products"][1].id
    p = db.session.get(Product, stale)
    p.name_en = "Stale name"
    db.session.commit()
    drift = check(search_env)
    assert drift.missing == [victim]
    assert [s[0] for s in drift.stale] == [stale]
    runner = app.test_cli_runner()
    out = runner.invoke(args=["search", "check"])
    assert out.exit_code == 1
    assert f"Missing from index (1): {victim}" in out.output
    assert "Stale (1)" in out.output
    out = runner.invoke(args=["search", "sync"])
    assert out.exit_code == 0 and "Sent 1 changes" in out.output
    out = runner.invoke(args=["search", "reindex"])
    assert out.exit_code == 0, out.output
    assert "Indexed" in out.output
    out = runner.invoke(args=["search", "check"])
    assert out.exit_code == 0 and "No drift." in out.output


def test_thread_dispatcher_delivers_after_commit(search_env, catalog):
    from catalog.models import Product

    search_env.config["SEARCH_SYNC_MODE"] = "thread"
    try:
        product = _product(catalog)
        product.name_en = "Tungsten facade board"
        db.session.commit()
        dispatcher = sync.dispatcher_for(search_env)
        assert dispatcher.wait_idle(10)
        assert product.id in _ids(q="tungsten")
    finally:
        search_env.config["SEARCH_SYNC_MODE"] = "inline"
        sync.dispatcher_for(search_env).stop()
        search_env.extensions.pop("search_dispatcher", None)
    assert db.session.get(Product, product.id) is not None


def test_startup_build_runs_in_background_and_page_says_building(search_env, app, client):
    """Embedded default: the in-memory engine starts empty and is filled from the database at start."""
    from tests.catalog.search.conftest import build_catalog
    from catalog.search import indexer, setup

    search_env.config["SEARCH_SYNC_MODE"] = "off"
    data = build_catalog(n=12)
    gate = threading.Event()
    real = indexer.reindex

    def slow_reindex(app_):
        gate.wait(10)
        return real(app_)

    indexer.reindex = slow_reindex
    try:
        thread = setup.start_background_build(search_env, search_engine)
        html = client.get("/search").get_data(as_text=True)
        assert 'data-testid="index-building"' in html
        assert client.get("/healthz").get_json()["search"]["index"] == "building"
        gate.set()
        thread.join(20)
    finally:
        indexer.reindex = real
    assert search_engine.index_state()[0] == "ready"
    assert len(_ids(viewer=ALL)) == len(data["products"])
    assert 'data-testid="index-building"' not in client.get("/search").get_data(as_text=True)


def test_rq_mode_enqueues_a_dispatch_job_that_delivers(search_env, catalog):
    import pytest
    from redis import Redis
    from rq import Queue


    redis_url = "redis://127.0.0.1:6379/15"
    try:
        Redis.from_url(redis_url).ping()
    except Exception:
        pytest.skip("no Redis on 127.0.0.1:6379")
    queue = Queue("search", connection=Redis.from_url(redis_url))
    queue.empty()
    search_env.config.update(SEARCH_SYNC_MODE="rq", REDIS_URL=redis_url)
    try:
        product = _product(catalog)
        product.name_en = "Rhodium gutter"
        db.session.commit()
        assert sync.backlog() >= 1
        jobs = queue.get_jobs()
        assert [j.func_name for j in jobs] == ["catalog.search.sync.rq_dispatch"]
        jobs[0].perform()  # what `rq worker search` does, here inside the test's app context
        assert product.id in _ids(q="rhodium")
        assert sync.backlog() == 0
    finally:
        search_env.config["SEARCH_SYNC_MODE"] = "inline"
        queue.empty()


def test_savepoint_rollback_keeps_the_outer_transactions_changes(search_env, catalog):
    from catalog.models import Product

    search_env.config["SEARCH_SYNC_MODE"] = "off"
    a, b = [p.id for p in catalog["products"][:2]]
    start = db.session.execute(select(func.max(SearchOutbox.id))).scalar_one()
    db.session.get(Product, a).name_en = "Outer change"
    db.session.flush()
    nested = db.session.begin_nested()
    db.session.get(Product, b).name_en = "Inner change, rolled back"
    db.session.flush()
    nested.rollback()
    db.session.commit()
    written = set(db.session.execute(select(SearchOutbox.entity_id).where(SearchOutbox.id > start)).scalars())
    assert a in written
    assert db.session.get(Product, a).name_en == "Outer change"


def test_sync_follow_worker_delivers_pending_changes(search_env, catalog):
    """`flask search sync --follow` (the production worker without Redis) delivers what is pending."""
    import time


    search_env.config["SEARCH_SYNC_MODE"] = "off"
    product = _product(catalog)
    product.name_en = "Osmium skylight"
    db.session.commit()
    assert sync.backlog() == 1 and product.id not in _ids(q="osmium")
    stop = threading.Event()
    worker = threading.Thread(target=sync.follow, args=(search_env,), kwargs={"poll": 0.05, "stop": stop})
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while sync.backlog() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        worker.join(10)
    assert sync.backlog() == 0
    assert product.id in _ids(q="osmium")
