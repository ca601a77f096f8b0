"""What a purchaser gets for a search: relevance order when there is text, no flood of products
matching only on their supplier's name, and several cities meaning compliant in all of them."""
from __future__ import annotations

import datetime as dt
import re

from catalog.search import service
from catalog.search.indexer import reindex
from catalog.search.query import SearchRequest
from core import roles as R
from core.extensions import db
from tests.factories import make_org


def _product(supplier, category, sku, name_zh, name_en, **kw):
    from catalog.models import Certificate, Product

    p = Product(supplier_id=supplier.id, sku=sku, name_zh=name_zh, name_en=name_en, category_id=category.id,
                unit="m2", list_price_fen=10_000, status="listed", manufacturer=kw.pop("manufacturer", ""),
                description=kw.pop("description", ""), brand=kw.pop("brand", ""), model_spec=kw.pop("model", ""))
    p.certificates.append(Certificate(number=f"C-{sku}", body="CTC", star_grade=2, standard="T/CECS",
                                      issued_on=dt.date(2025, 1, 1),
                                      expires_on=dt.date.today() + dt.timedelta(days=400), status="valid"))
    db.session.add(p)
    return p


def _firm_catalogue(search_env):
    """A firm whose name contains 保温 (insulation) selling an insulation board and LED panels,
    and another firm's insulation board."""
    from catalog.models import Category, CategoryGroup

    group = CategoryGroup(code="envelope", name_en="Envelope", name_zh="围护结构", position=1)
    db.session.add(group)
    db.session.flush()
    insulation = Category(code="thermal_insulation", group_id=group.id, name_en="Thermal insulation", name_zh="保温材料")
    lighting = Category(code="lighting", group_id=group.id, name_en="Lighting", name_zh="照明")
    db.session.add_all([insulation, lighting])
    db.session.flush()
    firm = make_org(R.ORG_SUPPLIER, name_en="Foshan Shunde Insulation Materials Co.", name_zh="佛山顺德保温材料有限公司")
    other = make_org(R.ORG_SUPPLIER, name_en="Beixin Building Materials", name_zh="北新建材")
    made_by_firm = {"manufacturer": firm.name_zh}
    board = _product(firm, insulation, "F-1", "岩棉外墙保温板", "Rock wool external insulation board", **made_by_firm)
    leds = [_product(firm, lighting, f"F-L{i}", f"LED平板灯 {i}", f"LED panel light {i}", **made_by_firm)
            for i in range(5)]
    xps = _product(other, insulation, "B-1", "挤塑聚苯乙烯保温板", "Extruded polystyrene insulation board",
                   manufacturer=other.name_zh)
    db.session.commit()
    reindex(search_env)
    return {"board": board.id, "leds": [p.id for p in leds], "xps": xps.id}


def _hits(**kw):
    kw.setdefault("per_page", 100)
    return [h.product_id for h in service.search(SearchRequest(**kw)).hits]


def test_a_match_on_the_supplier_name_alone_does_not_make_a_hit(search_env):
    ids = _firm_catalogue(search_env)
    assert sorted(_hits(q="保温")) == sorted([ids["board"], ids["xps"]])
    assert sorted(_hits(q="insulation")) == sorted([ids["board"], ids["xps"]])
    # the firm's name still helps narrow a search that names the product too
    assert _hits(q="保温板 佛山") == [ids["board"]]
    assert sorted(_hits(q="LED 佛山")) == sorted(ids["leds"])
    # excluding words and prefixes keep working
    assert _hits(q="保温 -岩棉") == [ids["xps"]]
    assert sorted(_hits(q="insul*")) == sorted([ids["board"], ids["xps"]])


def test_relevance_is_the_default_order_with_text(search_env, client):
    _firm_catalogue(search_env)
    browse = client.get("/search").get_data(as_text=True)
    # without text the results are newest first, but the menu keeps "Relevance" chosen, so typing
    # a search in the same form sorts by relevance
    assert re.search(r'<option value="relevance" selected>', browse)
    assert not re.search(r'<option value="newest" selected>', browse)
    assert 'data-testid="sort-hint"' in browse
    form = browse.split('data-testid="search-form"')[1].split("</form>")[0]
    sort = re.search(r'<option value="(\w+)" selected>', form).group(1)
    page = client.get(f"/search?q=保温板&sort={sort}").get_data(as_text=True)
    assert re.search(r'<option value="relevance" selected>', page)
    api = client.get("/api/v1/products/search?q=保温板").get_json()
    assert api["sort"] == "relevance"
    # an explicit choice is kept
    assert re.search(r'<option value="newest" selected>', client.get("/search?sort=newest").get_data(as_text=True))


def test_several_cities_mean_compliant_in_all_of_them(search_env, catalog, client):
    both = ("nanjing", "foshan")
    hits = service.search(SearchRequest(cities=both, per_page=100)).hits
    assert hits and all(set(both) <= set(h.compliant_cities) for h in hits)
    either = service.search(SearchRequest(cities=("nanjing",), per_page=100)).hits \
        + service.search(SearchRequest(cities=("foshan",), per_page=100)).hits
    assert any(not set(both) <= set(h.compliant_cities) for h in either), "fixture: some pass only one city"
    api = client.get("/api/v1/products/search?city=nanjing&city=foshan&per_page=100").get_json()
    assert api["total"] == len(hits) and all({"nanjing", "foshan"} <= set(h["compliant_cities"]) for h in api["hits"])
    # the city facet counts what adding a city would leave: never more than the results
    counts = {v["value"]: v["count"] for v in api["facets"]["city"]}
    assert counts["nanjing"] == counts["foshan"] == api["total"]
    assert all(n <= api["total"] for n in counts.values())
    # and the page says the rule
    html = client.get("/search?city=nanjing&city=foshan").get_data(as_text=True)
    assert "Compliant in every chosen city" in html
    assert "Only products compliant in every one of the 2 chosen cities." in html
