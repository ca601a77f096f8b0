"""Unit tests of the pure query builders: no server, no app, no database."""
import json

import pytest

from catalog.search import query as Q
from catalog.search.query import SearchRequest, Viewer


def _walk(node):
    """Every dict nested anywhere in a body."""
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


def test_empty_request_matches_all_visible_newest_first_without_highlight():
    body = Q.build_search(SearchRequest())
    assert body["query"] == {"bool": {"filter": [Q.public_visibility_filter()]}}
    assert "post_filter" not in body
    assert "highlight" not in body
    assert body["sort"][0] == {"created_at": {"order": "desc", "missing": "_last"}}
    assert body["sort"][-1] == {"product_id": {"order": "asc"}}
    assert body["from"] == 0 and body["size"] == 20
    assert body["track_total_hits"] is True


def test_text_goes_only_through_simple_query_string_and_exact_terms():
    body = Q.build_search(SearchRequest(q='gypsum "paper faced" -foo'))
    must = body["query"]["bool"]["must"][0]["bool"]
    assert must["minimum_should_match"] == 1
    text = must["should"][0]["bool"]
    sqs = text["must"][0]["simple_query_string"]
    assert sqs["query"] == 'gypsum "paper faced" -foo'
    assert sqs["default_operator"] == "and"
    assert {"name_zh^3", "name_en^3", "brand^2", "model^2", "description_zh",
            "description_en"} <= set(sqs["fields"])
    # the manufacturer (usually the supplier firm's name) counts little, and never alone: some
    # word that is not excluded must match a field of the product itself
    assert "manufacturer^0.2" in sqs["fields"]
    anchor = text["filter"][0]["simple_query_string"]
    assert anchor["query"] == 'gypsum "paper faced"' and anchor["default_operator"] == "or"
    assert not any(f.startswith(("manufacturer", "supplier")) for f in anchor["fields"])
    assert {"term": {"sku": {"value": 'gypsum "paper faced" -foo', "boost": 20}}} in must["should"]
    assert {"term": {"certificate_numbers": {"value": 'gypsum "paper faced" -foo', "boost": 20}}} in must["should"]
    kinds = {k for d in _walk(body) for k in d}
    assert "query_string" not in kinds
    assert "script" not in kinds
    # highlight is on, with sentinel tags the view escapes around
    assert body["highlight"]["pre_tags"] == [Q.HL_PRE]
    assert set(body["highlight"]["fields"]) >= {"name_zh", "name_en"}


def test_facets_and_across_or_within_via_post_filter():
    req = SearchRequest(categories=("gypsum_board", "ceramics"), stars=(2, 3), cities=("nanjing",))
    body = Q.build_search(req)
    pf = body["post_filter"]["bool"]["filter"]
    assert {"terms": {"category_code": ["gypsum_board", "ceramics"]}} in pf
    assert {"terms": {"stars": [2, 3]}} in pf
    assert {"term": {"compliant_cities": "nanjing"}} in pf
    assert len(pf) == 3
    # the visibility filter stays in the query, never in post_filter
    assert body["query"]["bool"]["filter"] == [Q.public_visibility_filter()]


def test_several_cities_mean_compliant_in_all_of_them():
    f = Q.facet_filters(SearchRequest(cities=("nanjing", "qingdao")))
    assert f["city"] == {"bool": {"filter": [{"term": {"compliant_cities": "nanjing"}},
                                             {"term": {"compliant_cities": "qingdao"}}]}}
    # and the city facet is counted under its own selection: another city narrows further
    aggs = Q.legacy_facet_aggs(SearchRequest(cities=("nanjing",), stars=(3,)))
    assert {"term": {"compliant_cities": "nanjing"}} in aggs["city"]["filter"]["bool"]["filter"]


def _groups(aggs):
    """{facet: filter it is counted under (None: no wrapper)} and the token facets' group."""
    where, tokens = {}, None
    for key, value in aggs.items():
        if key.startswith("group_"):
            for name in value["aggs"]:
                where[name] = value["filter"]
            if "tokens" in value["aggs"]:
                tokens = value["filter"]
        else:
            where[key] = None
    return where, tokens


def test_facets_sharing_their_other_selections_share_one_wrapper():
    req = SearchRequest(categories=("c1",), stars=(3,))
    aggs = Q.build_search(req)["aggs"]
    both = {"bool": {"filter": [{"terms": {"category_code": ["c1"]}}, {"terms": {"stars": [3]}}]}}
    where, tokens = _groups(aggs)
    # category counts ignore the category selection but honour stars, and the other way round
    assert where["category"] == {"terms": {"stars": [3]}}
    assert where["stars"] == {"terms": {"category_code": ["c1"]}}
    # every other facet is counted under both, in one wrapper, the token facets by one aggregation
    assert where["supplier"] == where["expiring"] == where["tokens"] == tokens == both
    assert len(aggs) == 3
    assert Q.parse_aggregations({}) == {}


def test_nothing_selected_means_no_wrapper_and_one_token_aggregation():
    aggs = Q.build_search(SearchRequest(q="x"))["aggs"]
    assert set(aggs) == {"tokens", "supplier", "expiring"}
    assert aggs["tokens"] == {"terms": {"field": "facet_tokens", "size": Q.TOKENS_SIZE}}
    # one selection: its own facet needs no wrapper, the rest share one
    aggs = Q.build_search(SearchRequest(q="x", fire_classes=("A",)))["aggs"]
    where, tokens = _groups(aggs)
    assert where["fire_class"] is None and tokens == {"terms": {"fire_class": ["A"]}}


def test_an_index_of_the_older_mapping_gets_the_older_fields():
    body = Q.build_search(SearchRequest(q="x"), schema=1)
    assert body["query"]["bool"]["filter"] == [Q.public_visibility_filter(1)]
    assert "facet_tokens" not in str(body) and "public_until" not in str(body)


def test_facet_tokens_read_back_as_each_facets_own_aggregation():
    doc = {"group_code": "g", "category_code": "c", "stars": 2, "compliant_cities": ["a", "b"],
           "price_fen": 10_000, "gwp": None, "fire_class": "A"}
    tokens = Q.facet_tokens(doc)
    assert tokens == ["group:g", "category:c", "stars:2", "city:a", "city:b", "price:100_1000", "fire_class:A"]
    parsed = Q.parse_aggregations({"tokens": {"buckets": [{"key": t, "doc_count": 1} for t in tokens]},
                                   "stars": {"buckets": [{"key": 3, "doc_count": 4}]}})
    assert parsed["stars"] == {"buckets": [{"key": 3, "doc_count": 4}]}  # its own aggregation wins
    assert parsed["city"] == {"buckets": [{"key": "a", "doc_count": 1}, {"key": "b", "doc_count": 1}]}
    assert [b["doc_count"] for b in parsed["price"]["buckets"]] == [0, 1, 0, 0, 0]
    assert parsed["price"]["buckets"][1] == {"key": "100_1000", "from": 10_000.0, "to": 100_000.0, "doc_count": 1}


def test_range_facets_and_expiring():
    req = SearchRequest(price_min=10_000, price_max=500_000, gwp_max=12.5, expiring=True,
                        fire_classes=("A1", "B1"))
    f = Q.facet_filters(req)
    assert f["price"] == {"range": {"price_fen": {"gte": 10_000, "lte": 500_000}}}
    assert f["gwp"] == {"range": {"gwp": {"lte": 12.5}}}
    assert f["expiring"] == {"range": {"cert_valid_until": {"gt": "now", "lte": "now+90d"}}}
    assert f["fire_class"] == {"terms": {"fire_class": ["A1", "B1"]}}
    aggs = Q.legacy_facet_aggs(req)
    ranges = aggs["price"]["aggs"]["values"]["range"]["ranges"]
    assert ranges[0] == {"key": "lt_100", "to": 10_000}
    assert ranges[-1] == {"key": "gte_100000", "from": 10_000_000}
    assert aggs["expiring"]["aggs"]["values"] == {"filter": Q.expiring_filter()}
    # price facet's own filter is not applied to its counts
    assert {"range": {"price_fen": {"gte": 10_000, "lte": 500_000}}} not in aggs["price"]["filter"]["bool"]["filter"]


def test_visibility_public_supplier_and_reviewer():
    assert Q.visibility_filter(Viewer()) == {"range": {"public_until": {"gt": "now"}}}
    public = Q.visibility_filter(Viewer(), schema=1)
    clauses = public["bool"]["filter"]
    assert {"term": {"listed": True}} in clauses
    assert {"term": {"cert_status": "valid"}} in clauses
    assert {"range": {"cert_valid_until": {"gt": "now"}}} in clauses

    supplier = Q.visibility_filter(Viewer(supplier_id=42), schema=1)
    assert supplier["bool"]["minimum_should_match"] == 1
    assert {"term": {"supplier_id": "42"}} in supplier["bool"]["should"]
    assert public in supplier["bool"]["should"]

    assert Q.visibility_filter(Viewer(see_all=True)) is None
    body = Q.build_search(SearchRequest(viewer=Viewer(see_all=True)))
    assert body["query"] == {"match_all": {}}


@pytest.mark.parametrize("sort,first", [
    ("price_asc", {"price_fen": {"order": "asc", "missing": "_last"}}),
    ("price_desc", {"price_fen": {"order": "desc", "missing": "_last"}}),
    ("stars", {"stars": {"order": "desc", "missing": "_last"}}),
    ("gwp", {"gwp": {"order": "asc", "missing": "_last"}}),
    ("newest", {"created_at": {"order": "desc", "missing": "_last"}}),
])
def test_sorts_end_with_unique_tiebreaker(sort, first):
    body = Q.build_search(SearchRequest(q="x", sort=sort))
    assert body["sort"][0] == first
    assert body["sort"][-1] == {"product_id": {"order": "asc"}}


def test_relevance_with_text_sorts_by_score():
    body = Q.build_search(SearchRequest(q="concrete"))
    assert body["sort"][0] == {"_score": {"order": "desc"}}


def test_search_after_replaces_from():
    body = Q.build_search(SearchRequest(q="x", sort="price_asc", search_after=(1200, 7)))
    assert body["search_after"] == [1200, 7]
    assert "from" not in body
    assert Q.build_search(SearchRequest(page=3, per_page=10))["from"] == 20


def test_autocomplete_is_prefix_on_names_with_visibility():
    body = Q.build_autocomplete("防水", Viewer(supplier_id=5))
    should = body["query"]["bool"]["should"]
    assert {"match": {"name_zh.prefix": {"query": "防水", "boost": 3}}} in should
    assert any("multi_match" in s and s["multi_match"]["type"] == "phrase_prefix" for s in should)
    assert body["query"]["bool"]["filter"] == [Q.visibility_filter(Viewer(supplier_id=5))]
    assert body["size"] == 8


def test_bodies_are_json_serialisable_and_deterministic():
    req = SearchRequest(q="板", groups=("g1",), suppliers=(3,), price_max=100, sort="stars")
    a = json.dumps(Q.build_search(req), sort_keys=True, ensure_ascii=False)
    b = json.dumps(Q.build_search(req), sort_keys=True, ensure_ascii=False)
    assert a == b
    assert '"supplier_id": ["3"]' in a


def test_mapping_file_is_strict_and_has_the_filter_fields():
    from catalog.search.mappings import load_mapping

    m = load_mapping()
    props = m["mappings"]["properties"]
    assert m["mappings"]["dynamic"] == "strict"
    assert props["name_zh"]["analyzer"] == "cjk"
    assert props["name_en"]["analyzer"] == "english"
    for f in ("compliant_cities", "stars", "category_code", "group_code", "supplier_id", "price_fen", "gwp",
              "fire_class", "cert_valid_until", "status", "listed", "sku", "certificate_numbers",
              "public_until", "facet_tokens"):
        assert f in props, f
    assert props["sku"]["normalizer"] == "keyword_lower"
    # every field a builder filters, sorts or aggregates on exists in the mapping
    used = set()
    req = SearchRequest(q="x", categories=("a",), stars=(1,), cities=("x",), suppliers=(1,), price_min=1,
                        gwp_max=2, fire_classes=("A",), expiring=True, groups=("g",))
    for d in _walk([Q.build_search(req), Q.build_search(req, legacy=True)]):
        for k in ("term", "terms", "range"):
            if k in d and "field" not in d[k]:  # a query clause, not an aggregation body
                used |= {f.split(".")[0] for f in d[k]}
        if "field" in d and isinstance(d["field"], str):
            used.add(d["field"])
    assert used - {"_score"} <= set(props), used - set(props)


def test_facets_can_be_skipped():
    assert "aggs" not in Q.build_search(SearchRequest(q="x", facets=False))
    assert "aggs" in Q.build_search(SearchRequest(q="x"))
