"""One product whose document cannot be delivered never freezes the outbox: its row is parked,
visible with its error (outbox, /healthz), the rest keep flowing, engine rejections back off,
and fixing the product (or `flask search retry` / reindex) settles the parked row."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from catalog.search import service, sync
from catalog.search.engine import search_engine
from catalog.search.indexer import reindex
from catalog.search.models import SearchOutbox
from catalog.search.query import SearchRequest, Viewer
from core.extensions import db
from core.timeutil import utcnow

ALL = Viewer(see_all=True)
FAR_FUTURE = dt.date(9999, 12, 31)  # accepted once by the forms; valid_until() overflows on it


def _ids(**kw):
    kw.setdefault("per_page", 100)
    return {h.product_id for h in service.search(SearchRequest(**kw)).hits}


def _rows(pid):
    return db.session.execute(select(SearchOutbox).where(SearchOutbox.entity_id == pid)
                              .order_by(SearchOutbox.id)).scalars().all()


def _two_certified(catalog):
    out = [p for p in catalog["products"] if p.certificates]
    assert len(out) >= 2
    return out[0].id, out[1].id


def _break(pid):
    """Give the product's certificates the far-future expiry (a bulk UPDATE: no form, no model
    validation in the way), as the issue's import did."""
    from catalog.models import Certificate

    db.session.execute(update(Certificate).where(Certificate.product_id == pid).values(expires_on=FAR_FUTURE))


def test_unbuildable_document_is_parked_and_every_other_change_still_arrives(search_env, catalog, client):
    from catalog.models import Product

    bad, good = _two_certified(catalog)
    _break(bad)
    db.session.get(Product, good).name_en = "Tantalum facade panel"
    db.session.commit()  # inline delivery: one batch holding both products

    assert good in _ids(q="tantalum", viewer=ALL), "the other product's change must reach the index"
    parked = [r for r in _rows(bad) if r.failed_at is not None]
    assert len(parked) == 1 and parked[0].processed_at is None
    assert parked[0].last_error.startswith("OverflowError")
    assert sync.backlog() == 0  # parked rows are not pending: nothing is retried every poll
    assert sync.dispatch_pending(search_env, now=utcnow() + dt.timedelta(days=1))["rows"] == 0
    assert sync.next_due_in(search_env) is None

    body = client.get("/healthz").get_json()
    assert body["status"] == "degraded"
    health = body["search"]
    assert health["status"] == "degraded" and health["outbox_failed"] == 1
    assert health["outbox_failures"][0]["product_id"] == bad
    assert "OverflowError" in health["outbox_failures"][0]["error"]

    # later changes of other products keep flowing
    db.session.get(Product, good).name_en = "Niobium facade panel"
    db.session.commit()
    assert good in _ids(q="niobium", viewer=ALL)

    # fixing the product settles its parked row, and health is ok again
    from catalog.models import Certificate

    db.session.execute(update(Certificate).where(Certificate.product_id == bad)
                       .values(expires_on=dt.date.today() + dt.timedelta(days=300)))
    db.session.commit()
    assert all(r.processed_at is not None and r.failed_at is None for r in _rows(bad))
    assert bad in _ids(viewer=ALL)
    body = client.get("/healthz").get_json()
    assert body["search"]["status"] == "ok" and body["search"]["outbox_failed"] == 0
    assert body["status"] == "ok"


def test_engine_rejections_back_off_then_park(search_env, catalog, monkeypatch):
    from catalog.models import Product

    bad, good = _two_certified(catalog)
    real_bulk = search_engine.bulk

    def reject_one(ops, **kw):
        response = real_bulk(ops, **kw)
        ops_meta = [op for op in ops if "index" in op or "delete" in op]
        items = []
        for op, item in zip(ops_meta, response["items"]):
            (kind, meta), = op.items()
            if meta["_id"] == str(bad):
                item = {kind: {"_id": str(bad), "status": 400,
                               "error": {"type": "mapper_parsing_exception", "reason": "failed to parse"}}}
            items.append(item)
        return {**response, "errors": True, "items": items}

    monkeypatch.setattr(search_engine, "bulk", reject_one)
    search_env.config["SEARCH_SYNC_MODE"] = "off"
    db.session.get(Product, bad).name_en = "Rejected board"
    db.session.get(Product, good).name_en = "Hafnium board"
    db.session.commit()
    search_env.config["SEARCH_SYNC_MODE"] = "inline"

    waits = []
    now = utcnow()
    for attempt in range(1, sync.MAX_ATTEMPTS + 1):
        started = utcnow()
        result = sync.dispatch_pending(search_env, now=now)
        db.session.expire_all()
        row = _rows(bad)[-1]
        assert row.attempts == attempt and "mapper_parsing_exception" in row.last_error
        if attempt < sync.MAX_ATTEMPTS:
            assert row.failed_at is None and result["parked"] == 0
            waits.append(round((row.next_attempt_at - started).total_seconds()))
            assert sync.dispatch_pending(search_env, now=row.next_attempt_at - dt.timedelta(milliseconds=1))["rows"] == 0
            now = row.next_attempt_at  # due again then
        else:
            assert row.failed_at is not None and result["parked"] == 1
    assert waits == [sync.backoff_seconds(a) for a in range(1, sync.MAX_ATTEMPTS)]  # 1, 2, 4, ... s
    assert good in _ids(q="hafnium", viewer=ALL)
    assert sync.dispatch_pending(search_env, now=now + dt.timedelta(days=1))["rows"] == 0

    # the engine accepts it again: `flask search retry` queues the parked row and delivers it
    monkeypatch.setattr(search_engine, "bulk", real_bulk)
    runner = search_env.test_cli_runner()
    out = runner.invoke(args=["search", "retry"])
    assert out.exit_code == 0, out.output
    assert "Queued 1 parked rows again" in out.output
    assert bad in _ids(q="rejected", viewer=ALL)
    assert sync.failed_rows()[0] == 0


def test_a_batch_that_breaks_as_a_whole_is_sent_one_by_one(search_env, catalog, monkeypatch):
    from catalog.models import Product

    bad, good = _two_certified(catalog)
    real_load = sync.load_documents

    def load(session, ids, versions=None, errors=None):
        if bad in ids:
            raise ValueError("invalid stored value")  # e.g. a row the driver cannot read
        return real_load(session, ids, versions, errors=errors)

    monkeypatch.setattr(sync, "load_documents", load)
    db.session.get(Product, bad).name_en = "Broken row"
    db.session.get(Product, good).name_en = "Rhenium pipe"
    db.session.commit()
    assert good in _ids(q="rhenium", viewer=ALL)
    parked = [r for r in _rows(bad) if r.failed_at is not None]
    assert parked and parked[-1].last_error == "ValueError: invalid stored value"


def test_reindex_leaves_out_unbuildable_products_and_parks_them(search_env, catalog):
    bad, good = _two_certified(catalog)
    search_env.config["SEARCH_SYNC_MODE"] = "off"
    _break(bad)
    db.session.commit()
    search_env.config["SEARCH_SYNC_MODE"] = "inline"

    result = reindex(search_env)
    assert list(result.failed) == [bad] and "OverflowError" in result.failed[bad]
    everything = _ids(viewer=ALL)
    assert bad not in everything and good in everything
    count, newest = sync.failed_rows()
    assert count == 1 and newest[0]["product_id"] == bad
    # a second build does not pile up parked rows
    reindex(search_env)
    assert sync.failed_rows()[0] == 1
