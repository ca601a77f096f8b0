"""Facet counts from the engine equal the same counts computed in SQL on the fixture catalogue."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import aliased

from catalog.search import query as Q
from catalog.search import service
from catalog.search.query import SearchRequest, Viewer
from core.extensions import db


def _today():
    return dt.datetime.now(dt.timezone.utc).date()


def _models():
    from catalog.models import (CarbonDeclaration, Category, CategoryGroup, Certificate, Product,
                                ProductIndicatorValue, ProductVerdict)
    from core.models import City

    return Product, Category, CategoryGroup, Certificate, CarbonDeclaration, ProductIndicatorValue, ProductVerdict, City


def sql_facets(req: SearchRequest) -> dict[str, dict]:
    """Counts per facet value among products visible to the public that satisfy every *other*
    facet's selection (every selection, for cities): the definition of the engine's facet
    counts, written in SQL."""
    Product, Category, CategoryGroup, Certificate, Carbon, Indicator, Verdict, City = _models()
    today = _today()

    stars = (select(func.max(Certificate.star_grade)).where(Certificate.product_id == Product.id,
                                                            Certificate.status == "valid")
             .correlate(Product).scalar_subquery())
    valid_until = (select(func.max(Certificate.expires_on)).where(Certificate.product_id == Product.id,
                                                                  Certificate.status == "valid")
                   .correlate(Product).scalar_subquery())
    newest_carbon = (select(Carbon.gwp_a1a3).where(Carbon.product_id == Product.id)
                     .order_by(Carbon.id.desc()).limit(1).correlate(Product).scalar_subquery())
    fire = (select(Indicator.value_text).where(Indicator.product_id == Product.id, Indicator.key == "fire_class")
            .limit(1).correlate(Product).scalar_subquery())
    cat_code = select(Category.code).where(Category.id == Product.category_id).correlate(Product).scalar_subquery()
    group_code = (select(CategoryGroup.code).join(Category, Category.group_id == CategoryGroup.id)
                  .where(Category.id == Product.category_id).correlate(Product).scalar_subquery())

    visible = and_(Product.status == "listed",
                   exists().where(Certificate.product_id == Product.id, Certificate.status == "valid",
                                  Certificate.expires_on >= today))
    conds = {}
    if req.groups:
        conds["group"] = group_code.in_(req.groups)
    if req.categories:
        conds["category"] = cat_code.in_(req.categories)
    if req.stars:
        conds["stars"] = stars.in_(req.stars)
    if req.cities:  # compliant in every chosen city
        city_ids = dict(db.session.execute(select(City.code, City.id)).all())
        chosen = aliased(Verdict)  # the city facet's own query joins Verdict too
        conds["city"] = and_(*[select(chosen.id).where(chosen.product_id == Product.id, chosen.verdict == "pass",
                                                       chosen.city_id == city_ids.get(code, -1))
                               .correlate(Product).exists() for code in req.cities])
    if req.suppliers:
        conds["supplier"] = Product.supplier_id.in_(req.suppliers)
    if req.price_min is not None or req.price_max is not None:
        conds["price"] = and_(Product.list_price_fen >= (req.price_min or 0),
                              Product.list_price_fen <= (req.price_max if req.price_max is not None else 10**15))
    if req.gwp_max is not None:
        conds["gwp"] = newest_carbon <= req.gwp_max
    if req.fire_classes:
        conds["fire_class"] = fire.in_(req.fire_classes)
    if req.expiring:
        conds["expiring"] = and_(valid_until >= today, valid_until < today + dt.timedelta(days=Q.EXPIRING_DAYS))

    def where(facet):
        # cities (all chosen) and "expiring" are counted under their own selection too: choosing
        # one more city narrows the results
        return and_(visible, *[c for name, c in conds.items() if name != facet or facet in ("city", "expiring")])

    def grouped(expr, facet):
        sub = select(expr.label("k"), Product.id.label("pid")).where(where(facet)).subquery()
        rows = db.session.execute(select(sub.c.k, func.count(func.distinct(sub.c.pid)))
                                  .where(sub.c.k.is_not(None)).group_by(sub.c.k)).all()
        return {(str(k) if not isinstance(k, int) else k): n for k, n in rows if n}

    def bucketed(expr, buckets, facet):
        whens = []
        for key, lo, hi in buckets:
            c = []
            if lo is not None:
                c.append(expr >= lo)
            if hi is not None:
                c.append(expr < hi)
            whens.append((and_(*c), key))
        return grouped(case(*whens, else_=None), facet)

    out = {
        "group": grouped(group_code, "group"),
        "category": grouped(cat_code, "category"),
        "stars": grouped(stars, "stars"),
        "supplier": grouped(func.cast(Product.supplier_id, db.String), "supplier"),
        "fire_class": grouped(fire, "fire_class"),
        "price": bucketed(Product.list_price_fen, Q.PRICE_BUCKETS, "price"),
        "gwp": bucketed(newest_carbon, Q.GWP_BUCKETS, "gwp"),
    }
    city_sub = (select(City.code.label("k"), Product.id.label("pid"))
                .select_from(Product).join(Verdict, Verdict.product_id == Product.id).join(City, City.id == Verdict.city_id)
                .where(Verdict.verdict == "pass", where("city")).subquery())
    out["city"] = {k: n for k, n in db.session.execute(
        select(city_sub.c.k, func.count(func.distinct(city_sub.c.pid))).group_by(city_sub.c.k)).all() if n}
    exp_cond = and_(valid_until >= today, valid_until < today + dt.timedelta(days=Q.EXPIRING_DAYS))
    n_exp = db.session.execute(select(func.count(Product.id)).where(where("expiring"), exp_cond)).scalar_one()
    out["expiring"] = {True: n_exp} if n_exp else {}
    out["_total"] = db.session.execute(select(func.count(Product.id)).where(where(None))).scalar_one()
    return out


def engine_facets(result) -> dict[str, dict]:
    out = {}
    for name, values in result.facets.items():
        out[name] = {v.value: v.count for v in values if v.count}
    out["_total"] = result.total
    return out


REQUESTS = [
    SearchRequest(),
    SearchRequest(categories=("masonry", "waterproof_membranes")),
    SearchRequest(stars=(3,), cities=("nanjing",)),
    SearchRequest(cities=("qingdao", "foshan"), fire_classes=("A", "B1")),
    SearchRequest(cities=("nanjing", "qingdao", "foshan")),
    SearchRequest(price_min=5_000, price_max=400_000, groups=("envelope_concrete",)),
    SearchRequest(gwp_max=50.0, stars=(1, 2)),
    SearchRequest(expiring=True),
    SearchRequest(q="concrete", cities=("nanjing",)),
]


@pytest.mark.parametrize("req", REQUESTS, ids=lambda r: ",".join(f"{k}={v}" for k, v in r.active_filters()) or "all")
def test_facet_counts_equal_sql(catalog, req):
    result = service.search(SearchRequest(**{**req.__dict__, "per_page": 100}))
    got = engine_facets(result)
    if req.q:
        # text relevance is the engine's job; check the filter arithmetic on the matched ids instead
        matched = {h.product_id for h in result.hits}
        assert matched, "fixture should contain concrete products"
        Product = _models()[0]
        names = db.session.execute(select(Product.name_en).where(Product.id.in_(matched))).scalars().all()
        assert all("concrete" in n.lower() for n in names)
        return
    want = sql_facets(req)
    assert got["_total"] == want["_total"]
    for name in Q.FACETS:
        assert got[name] == want[name], name


def test_fixture_is_varied_enough(catalog):
    """Guard against a fixture where the comparison would be trivially true."""
    want = sql_facets(SearchRequest())
    assert want["_total"] >= 10
    assert len(want["category"]) == 3 and len(want["stars"]) >= 2 and len(want["city"]) == 3
    assert want["expiring"], "some certificates should expire within 90 days"
    Product = _models()[0]
    assert db.session.execute(select(func.count(Product.id))).scalar_one() > want["_total"], \
        "some products must be hidden (unlisted or without a valid certificate)"


def test_supplier_sees_own_unlisted_and_reviewer_sees_all(catalog):
    Product = _models()[0]
    supplier = catalog["suppliers"][0]
    public_total = service.search(SearchRequest()).total
    own_hidden = db.session.execute(select(func.count(Product.id)).where(
        Product.supplier_id == supplier.id, Product.id.not_in(
            [h.product_id for h in service.search(SearchRequest(per_page=100)).hits]))).scalar_one()
    assert own_hidden > 0
    as_supplier = service.search(SearchRequest(viewer=Viewer(supplier_id=supplier.id), per_page=100))
    assert as_supplier.total == public_total + own_hidden
    everything = service.search(SearchRequest(viewer=Viewer(see_all=True), per_page=100))
    assert everything.total == db.session.execute(select(func.count(Product.id))).scalar_one()
