"""The search page, the compare page and the JSON API, including hostile input."""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from core import roles as R
from core.extensions import db
from tests.factories import api_token, auth_header, login_as, make_org, make_user


def _api(client, qs="", headers=None):
    return client.get("/api/v1/products/search" + (("?" + qs) if qs else ""), headers=headers or {})


def test_api_search_shape_and_facets(search_env, catalog, client):
    resp = _api(client, "city=nanjing&per_page=5&sort=price_asc")
    assert resp.status_code == 200
    body = resp.get_json()
    assert set(body) >= {"total", "hits", "facets", "took", "next_search_after"}
    assert body["total"] > 0 and len(body["hits"]) <= 5
    hit = body["hits"][0]
    assert set(hit) >= {"id", "name_zh", "name_en", "category", "supplier", "price_fen", "stars", "verdict", "highlight"}
    assert all(h["verdict"] == "pass" and "nanjing" in h["compliant_cities"] for h in body["hits"])
    prices = [h["price_fen"] for h in body["hits"]]
    assert prices == sorted(prices)
    assert {"group", "category", "stars", "city", "supplier", "price", "gwp", "fire_class", "expiring"} <= set(body["facets"])
    assert all({"value", "count"} <= set(v) for v in body["facets"]["category"])
    assert body["facets"]["price"][0]["from"] is None and body["facets"]["price"][0]["to"] == 10_000


# Relevance order is not included: the embedded osmem-server ignores the tie-breaking keys after a
# `_score` in search_after (Elasticsearch honours them), so ties on a page boundary would be lost there.
@pytest.mark.parametrize("extra", ["sort=price_desc", "sort=gwp", "sort=stars", "q=membrane&sort=price_asc",
                                   "sort=newest"])
def test_api_deep_paging_with_search_after_visits_every_hit_once(search_env, catalog, client, extra):
    total = _api(client, extra).get_json()["total"]
    seen, cursor, pages = [], None, 0
    while True:
        qs = f"per_page=4&{extra}" + (f"&search_after={cursor}" if cursor else "")
        body = _api(client, qs).get_json()
        seen += [h["id"] for h in body["hits"]]
        cursor = body["next_search_after"]
        pages += 1
        if not cursor or pages > 100:
            break
    assert len(seen) == len(set(seen)) == total
    # later pages can skip the facet counts
    lean = _api(client, f"per_page=4&{extra}&facets=false").get_json()
    assert lean["facets"] == {} and len(lean["hits"]) == min(4, total)
    assert _api(client, "facets=maybe").status_code == 400
    # a forged cursor is a 400, not a 500
    bad = _api(client, "sort=price_desc&search_after=W3sic2NyaXB0Ijoie30ifV0")
    assert bad.status_code == 400


def test_text_search_highlights_and_escapes(search_env, catalog, client):
    from catalog.models import Product

    p = db.session.get(Product, catalog["products"][0].id)
    p.status = "listed"
    p.name_en = "Gypsum <script>alert(1)</script> board"
    db.session.commit()
    body = _api(client, "q=gypsum&verdict_city=nanjing").get_json()
    hits = [h for h in body["hits"] if h["id"] == p.id] or \
        _api(client, "q=gypsum", auth_header(api_token(_reviewer()))).get_json()["hits"]
    hl = hits[0]["highlight"]["name_en"]
    assert "<mark>Gypsum</mark>" in hl and "&lt;script&gt;" in hl and "<script>" not in hl
    page = client.get("/search?q=gypsum")
    assert b"<script>alert(1)" not in page.data


def _reviewer():
    return make_user(make_org(R.ORG_PLATFORM), roles=(R.PLATFORM_REVIEWER,))


def test_exact_sku_and_chinese_text(search_env, catalog, client):
    from catalog.models import Product

    listed = [p for p in catalog["products"] if p.status == "listed"]
    token = auth_header(api_token(_reviewer()))
    sku = listed[0].sku
    body = _api(client, f"q={sku.lower()}", token).get_json()
    assert body["hits"][0]["sku"] == sku  # normalised exact match ranks first
    body = _api(client, "q=防水卷材", token).get_json()
    cats = {h["category"] for h in body["hits"]}
    assert cats == {"waterproof_membranes"}
    n = db.session.execute(select(db.func.count(Product.id)).where(Product.name_zh.contains("防水卷材"))).scalar_one()
    assert body["total"] == n


def test_autocomplete(search_env, catalog, client):
    resp = client.get("/api/v1/products/autocomplete?q=防水")
    assert resp.status_code == 200
    names = [s["name_zh"] for s in resp.get_json()["suggestions"]]
    assert names and all("防水" in n for n in names)
    en = client.get("/api/v1/products/autocomplete?q=polym").get_json()["suggestions"]
    assert en and all("polymer" in s["name_en"].lower() for s in en)
    assert client.get("/api/v1/products/autocomplete?q=").status_code == 400
    assert client.get("/api/v1/products/autocomplete?q=" + "x" * 60).status_code == 400


def test_search_page_facets_chips_and_url_state(search_env, catalog, client):
    page = client.get("/search?city=nanjing&stars=3")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="active-filters"' in html
    assert "Compliant in Nanjing" in html
    # facet links keep the other selections and toggle their own value
    links = re.findall(r'href="(/search\?[^"]*)"', html)
    assert any("city=nanjing" in link and "stars=3" in link and "category=" in link for link in links)
    assert any("stars=3" in link and "city=nanjing" not in link for link in links)  # the chip that removes the city
    assert 'data-testid="verdict-badge"' in html
    # the result list is a GET form whose "Compare selected" button goes to the compare page
    assert 'formaction="/search/compare"' in html and 'name="compare"' in html


def _form_submit(html, button_name=None, button_value=None, tick=(), untick=()):
    """What a browser without JavaScript sends when the results form is submitted: its hidden
    fields, the checked boxes (plus `tick`, minus `untick`) and the pressed button."""
    form = re.search(r'<form method="get" action="([^"]+)" id="results-form".*?</form>', html, re.S)
    assert form, "no results form"
    body = form.group(0)
    pairs = [(n, v.replace("&amp;", "&")) for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', body)]
    for value, checked in re.findall(r'type="checkbox" name="compare" value="(\d+)"[^>]*?( checked)?>', body):
        if (checked or int(value) in tick) and int(value) not in untick:
            pairs.append(("compare", value))
    if button_name:
        pairs.append((button_name, str(button_value)))
    return pairs


def _page_ids(html):
    return [int(i) for i in re.findall(r'data-product-id="(\d+)"', html)]


def test_search_page_without_javascript_paginates_and_keeps_the_ticks(search_env, catalog, client):
    from urllib.parse import urlencode

    html = client.get("/search?per_page=5&sort=price_asc").get_data(as_text=True)
    assert 'data-testid="page-next"' in html
    first = _page_ids(html)
    # tick two products on page 1, go to page 2: the ticks travel in the URL
    url = "/search?" + urlencode(_form_submit(html, "page", 2, tick=first[:2]))
    assert "page=2" in url and "sort=price_asc" in url and "per_page=5" in url
    page2 = client.get(url)
    assert page2.status_code == 200
    html2 = page2.get_data(as_text=True)
    second = _page_ids(html2)
    assert second and not set(second) & set(first)
    assert 'data-testid="ticked-count"' in html2
    # tick one more on page 2, go back to page 1: all three are kept, the first two still ticked
    url = "/search?" + urlencode(_form_submit(html2, "page", 1, tick=second[:1]))
    html1 = client.get(url).get_data(as_text=True)
    for pid in first[:2]:
        assert re.search(rf'value="{pid}" id="cmp-{pid}" checked', html1)
    assert sorted(int(v) for n, v in _form_submit(html1) if n == "compare") == sorted(first[:2] + second[:1])
    # "Compare selected" sends them to the compare page, whose link back keeps them
    compare = client.get("/search/compare?" + urlencode(_form_submit(html1)))
    assert compare.status_code == 200
    page = compare.get_data(as_text=True)
    assert page.count('scope="col"><a href="/catalog/products/') == 3 or 'data-testid="compare-table"' in page
    back = re.search(r'<a href="(/search\?[^"]+)">Back to search results', page).group(1).replace("&amp;", "&")
    assert all(f"compare={pid}" in back for pid in first[:2] + second[:1]) and "sort=price_asc" in back


def test_compare_more_than_four_keeps_the_selection_and_says_the_limit(search_env, catalog, client):
    ids = [p.id for p in catalog["products"] if p.status == "listed"][:6]
    resp = client.get("/search/compare?q=&sort=gwp&" + "&".join(f"compare={i}" for i in ids))
    assert resp.status_code == 200  # not a 400 page
    html = resp.get_data(as_text=True)
    assert 'data-testid="compare-limit"' in html
    assert "You ticked 6 products; up to 4 can be compared at a time." in html
    # the first four are compared
    table = html.split('data-testid="compare-table"')[1]
    assert len(re.findall(r'<th scope="col"><a href=', table)) == 4
    # every ticked product is listed, ticked, to untick some and compare again
    choose = html.split('data-testid="compare-choose"')[1].split("</form>")[0]
    assert sorted(int(v) for v in re.findall(r'name="compare" value="(\d+)"[^>]*checked', choose)) == sorted(ids)
    assert 'name="sort" value="gwp"' in choose
    # and the way back to the results keeps all six ticks
    back = re.search(r'<a href="(/search\?[^"]+)">Back to search results', html).group(1).replace("&amp;", "&")
    assert all(f"compare={i}" in back for i in ids)
    results = client.get(back).get_data(as_text=True)
    assert "6 products ticked" in results and "you can compare up to 4 at a time" in results


def test_compare_page(search_env, catalog, client):
    ids = [p.id for p in catalog["products"] if p.status == "listed"][:3]
    resp = client.get("/search/compare?" + "&".join(f"id={i}" for i in ids))
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert 'data-testid="compare-table"' in html
    assert "Compliance: Nanjing" in html or "Compliance: Qingdao" in html
    assert "kg CO2e" in html
    assert client.get("/search/compare?id=abc").status_code == 400
    assert client.get("/search/compare?compare=abc").status_code == 400


def test_supplier_sees_own_draft_in_api(search_env, catalog, client):
    from catalog.models import Product

    draft = next(p for p in catalog["products"] if p.status == "draft")
    supplier_org = db.session.get(type(catalog["suppliers"][0]), draft.supplier_id)
    user = make_user(supplier_org, roles=(R.SUPPLIER,))
    ids_public = {h["id"] for h in _api(client, "per_page=100").get_json()["hits"]}
    ids_own = {h["id"] for h in _api(client, "per_page=100", auth_header(api_token(user))).get_json()["hits"]}
    assert draft.id not in ids_public and draft.id in ids_own
    login_as(client, user)
    assert f'data-product-id="{draft.id}"'.encode() in client.get("/search?per_page=100").data
    assert db.session.get(Product, draft.id).status == "draft"


BAD = [
    "q=" + "x" * 10_000,
    "q=%F0%9F%A7%B1%F0%9F%A7%B1",
    "q=%22%22%22",
    "q=-",
    "q=%7C%7C",
    "page=100000",
    "per_page=0",
    "per_page=10000",
    "colour=red",
    "stars=4",
    "stars=1%20OR%201%3D1",
    "category=%27%3B%20DROP%20TABLE%20products%3B%20--",
    "supplier=abc",
    "price_min=-5",
    "price_max=1e99",
    "gwp_max=NaN",
    "fire_class=Z",
    "sort=_script",
    "expiring=perhaps",
    "search_after=%7B%7D",
    "page=2&search_after=WzEsMl0",
    "q=%5C%5C%5C",
]


@pytest.mark.parametrize("qs", BAD)
def test_bad_input_is_a_clear_400(search_env, client, qs):
    api = _api(client, qs)
    assert api.status_code == 400, qs
    err = api.get_json()["error"]
    assert err["code"] == "validation_error" and err["message"]
    page = client.get("/search?" + qs)
    assert page.status_code == 400
    assert b'data-testid="search-error"' in page.data


GOOD_BUT_ODD = [
    'q=%22unbalanced quote',
    "q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "q=SELECT%20*%20FROM%20products%3B%20--",
    "q=ctx._source.price%3D0",
    "q=concrete%20AND%20OR%20NOT",
    "q=a%2A%2A%2A",
    "q=%E7%A0%96%20%F0%9F%A7%B1",
    "category=no_such_category",
    "city=atlantis",
]


@pytest.mark.parametrize("qs", GOOD_BUT_ODD)
def test_odd_but_valid_input_returns_results_or_empty(search_env, catalog, client, qs):
    api = _api(client, qs)
    assert api.status_code == 200, (qs, api.get_json())
    assert isinstance(api.get_json()["hits"], list)
    assert client.get("/search?" + qs).status_code == 200


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(max_size=60))
def test_fuzzed_text_never_500s(search_env, client, q):
    resp = client.get("/api/v1/products/search", query_string={"q": q})
    assert resp.status_code in (200, 400), (q, resp.get_json())


def test_openapi_documents_search(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    op = doc["paths"]["/products/search"]["get"]
    names = {p["name"] for p in op["parameters"]}
    assert {"q", "category", "group", "stars", "city", "supplier", "price_min", "price_max", "gwp_max",
            "fire_class", "expiring", "sort", "page", "per_page", "search_after"} <= names
    assert "/products/autocomplete" in doc["paths"]


def test_index_being_built_message(search_env, catalog, client):
    from catalog.search.engine import search_engine

    search_engine.set_index_state("building", "building", app=search_env)
    try:
        html = client.get("/search").get_data(as_text=True)
        assert 'data-testid="index-building"' in html
    finally:
        search_engine.set_index_state("ready", app=search_env)


def test_page_renders_in_chinese_with_autocomplete_hook(search_env, catalog, client):
    html = client.get("/search?q=防水&city=nanjing", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert 'lang="zh-Hans"' in html
    assert "<mark>防水" in html  # highlighted Chinese name shown first in Chinese
    assert 'data-autocomplete-url="/api/v1/products/autocomplete"' in html
    assert 'src="/static/js/search-autocomplete.js"' in html
    assert "<script>" not in html.split("</head>")[1]  # no inline script (CSP)


ZH = {"Accept-Language": "zh-CN"}


def test_errors_are_shown_translated_with_their_parameters(search_env, catalog, client):
    page = client.get("/search?stars=4", headers=ZH)
    assert page.status_code == 400
    assert "参数“stars”必须在 1 到 3 之间。" in page.get_data(as_text=True)
    page = client.get("/search?page=100000", headers=ZH).get_data(as_text=True)
    assert "第 100000 页过深：每页 20 条时最多到第 500 页。" in page
    ids = "&".join(f"compare={p.id}" for p in catalog["products"][:5])
    assert "您勾选了 5 个产品；一次最多可对比 4 个。" in client.get("/search/compare?" + ids, headers=ZH).get_data(as_text=True)
    # the API keeps English (stable text for clients)
    err = _api(client, "stars=4").get_json()["error"]
    assert err["message"] == "Parameter 'stars' must be between 1 and 3."
    assert err["fields"] == {"stars": "out of range"}


def test_chinese_result_list_has_no_english_labels(search_env, catalog, client):
    html = client.get("/search?q=混凝土&per_page=50", headers=ZH).get_data(as_text=True)
    assert 'data-testid="result-count"' in html
    import re

    for english in (r"engine \d+ ms", r"Fire class", r">\s*GWP [\d.]+ kg"):
        assert not re.search(english, html), english


def test_unavailable_engine_message_is_translated(search_env, client):
    search_env.config["ELASTICSEARCH_URL"] = "http://127.0.0.1:9"
    html = client.get("/search", headers=ZH).get_data(as_text=True)
    assert "暂时无法连接搜索引擎。" in html


def test_the_other_languages_name_shows_only_when_it_matched(search_env, catalog, client):
    html = client.get("/search?per_page=100", headers=ZH).get_data(as_text=True)
    assert "data-product-id=" in html and 'text-muted" lang="en"' not in html
    html = client.get("/search?q=concrete&per_page=100", headers=ZH).get_data(as_text=True)
    assert '<small class="text-muted" lang="en">' in html and "<mark>concrete</mark>" in html.lower()


def test_only_escaped_highlight_fragments_become_markup():
    """Search marks nothing a user typed as safe: the one `Markup(...)` is `render_highlight`,
    which escapes the engine's fragment first; the templates use no `|safe`."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    calls = []
    for path in (root / "catalog" / "search").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
            for node in ast.walk(func):
                if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "Markup":
                    calls.append(f"{path.name}:{func.name}")
    assert sorted(set(calls)) == ["service.py:render_highlight"]
    for template in (root / "templates" / "catalog" / "search").glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert "|safe" not in text.replace(" ", "") and "Markup" not in text, template.name

    from catalog.search.query import HL_POST, HL_PRE
    from catalog.search.service import render_highlight

    assert str(render_highlight(f"<b>x</b> {HL_PRE}board{HL_POST}")) == "&lt;b&gt;x&lt;/b&gt; <mark>board</mark>"
