"""The faster facet query shape (shared wrappers, none when nothing is selected, one token
aggregation) and the cached browse facets give exactly what the former shape gave: the same hits
in the same order, the same totals and the same facet values and counts."""
from __future__ import annotations

import pytest
from sqlalchemy import update

from catalog.search import query as Q
from catalog.search import service
from catalog.search.engine import search_engine
from catalog.search.query import SearchRequest, Viewer
from core.extensions import db

REQUESTS = [
    SearchRequest(),
    SearchRequest(q="concrete"),
    SearchRequest(q="防水"),
    SearchRequest(q="membrane", sort="price_asc"),
    SearchRequest(categories=("masonry",)),
    SearchRequest(categories=("masonry", "waterproof_membranes"), stars=(2, 3)),
    SearchRequest(cities=("nanjing",)),
    SearchRequest(cities=("nanjing", "foshan"), fire_classes=("B2",)),
    SearchRequest(q="concrete", cities=("foshan",), price_min=5_000, price_max=400_000),
    SearchRequest(gwp_min=1.0, gwp_max=100.0, expiring=True),
    SearchRequest(groups=("envelope_concrete",)),
    SearchRequest(stars=(1,), sort="stars", page=2, per_page=5),
]


def _snapshot(result):
    facets = {name: [(v.value, v.count, v.selected, v.start, v.end) for v in values]
              for name, values in result.facets.items()}
    return {"total": result.total, "hits": [h.product_id for h in result.hits], "facets": facets}


@pytest.mark.parametrize("viewer", [Viewer(), Viewer(see_all=True)], ids=["public", "reviewer"])
@pytest.mark.parametrize("req", REQUESTS, ids=lambda r: ",".join(f"{k}={v}" for k, v in r.active_filters())
                         + (f"q={r.q}" if r.q else "") or "browse")
def test_new_and_old_query_shapes_give_the_same_hits_and_counts(catalog, req, viewer):
    req = SearchRequest(**{**req.__dict__, "viewer": viewer})
    service.browse_facets().forget()
    old = _snapshot(service.search(req, legacy=True))
    new = _snapshot(service.search(req))
    assert new == old
    assert old["total"] > 0 or req.page > 1 or req.q


def test_supplier_visibility_and_selection_are_the_same_in_both_shapes(catalog):
    one, two = catalog["suppliers"][:2]
    for req in (SearchRequest(viewer=Viewer(supplier_id=one.id), per_page=100),
                SearchRequest(suppliers=(one.id, two.id), groups=("envelope_concrete",)),
                SearchRequest(q="concrete", suppliers=(two.id,), viewer=Viewer(supplier_id=two.id))):
        old = _snapshot(service.search(req, legacy=True))
        assert old["total"] > 0
        assert _snapshot(service.search(req)) == old


def test_fixture_exercises_every_facet(catalog):
    """Guard: the comparison above must not be trivially true."""
    result = service.search(SearchRequest(viewer=Viewer(see_all=True)))
    for name in Q.FACETS:
        assert any(v.count for v in result.facets[name]), name


class _Spy:
    def __init__(self, monkeypatch):
        self.bodies = []
        real = search_engine.search

        def search(body, index=None):
            self.bodies.append(body)
            return real(body, index)

        monkeypatch.setattr(search_engine, "search", search)

    def aggregated(self) -> bool:
        return "aggs" in self.bodies[-1]


def test_browse_facets_are_cached_per_visibility_and_cleared_on_delivery(catalog, monkeypatch):
    from catalog.models import Product

    spy = _Spy(monkeypatch)
    service.browse_facets().forget()
    first = service.search(SearchRequest())
    assert spy.aggregated()
    again = service.search(SearchRequest(sort="price_asc", page=2, per_page=5))  # any order, any page
    assert not spy.aggregated(), "browse facets should come from the cache"
    assert again.facets == first.facets and again.total == first.total
    # each visibility class has its own entry
    reviewer = service.search(SearchRequest(viewer=Viewer(see_all=True)))
    assert spy.aggregated() and reviewer.total > first.total
    # text or a selection is never served from the cache
    service.search(SearchRequest(q="concrete"))
    assert spy.aggregated()
    service.search(SearchRequest(categories=("masonry",)))
    assert spy.aggregated()
    # labelling a result does not change the cached values
    for values in again.facets.values():
        for v in values:
            v.label = "changed"
    assert all(v.label != "changed" for values in service.search(SearchRequest()).facets.values() for v in values)

    # a delivery to the index (this process) clears the cache, and the counts move
    listed = [p for p in catalog["products"] if p.status == "listed"]
    db.session.execute(update(Product).where(Product.id.in_([p.id for p in listed])).values(status="suspended"))
    db.session.commit()
    after = service.search(SearchRequest())
    assert spy.aggregated() and after.total == 0
    assert all(v.count == 0 for v in after.facets["price"])


def test_browse_cache_notices_deliveries_by_other_processes(catalog, monkeypatch):
    from catalog.search.models import SearchOutbox
    from core.timeutil import utcnow

    spy = _Spy(monkeypatch)
    service.browse_facets().forget()
    service.search(SearchRequest())
    service.search(SearchRequest())
    assert not spy.aggregated()
    # another process (worker, `flask search sync`) delivered something: the newest processed_at moved
    db.session.execute(update(SearchOutbox).where(SearchOutbox.id == db.session.query(
        db.func.max(SearchOutbox.id)).scalar_subquery()).values(processed_at=utcnow()))
    db.session.commit()
    service.search(SearchRequest())
    assert spy.aggregated()
