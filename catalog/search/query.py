"""Pure query builders: a validated `SearchRequest` in, an Elasticsearch request body out.

Nothing here talks to a server, reads the clock or the database, so every rule (which text
query type, how facets combine, who sees what) is unit-tested as plain dict comparisons.

Facets combine AND across facets and OR within one: the selected values go into `post_filter`
(so hits are narrowed) and each facet's aggregation is wrapped in a `filter` aggregation carrying
every *other* facet's filter, so a facet's counts show what choosing another value would give.
Visibility (who may see a product) is a plain `query.bool.filter`, applied to hits and counts alike.

User text only ever reaches Elasticsearch through `simple_query_string` (which never raises a
parse error) and `term` queries on normalised keywords; never `query_string`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

# Facet names in display order; the values are the request attribute they read.
FACETS = ("group", "category", "stars", "city", "supplier", "price", "gwp", "fire_class", "expiring")

# Fields searched by free text, with boosts.
TEXT_FIELDS = (
    "name_zh^3",
    "name_en^3",
    "brand^2",
    "model^2",
    "manufacturer",
    "description_zh",
    "description_en",
    "category_name_zh^0.5",
    "category_name_en^0.5",
)
HIGHLIGHT_FIELDS = ("name_zh", "name_en", "brand", "model", "manufacturer", "description_zh", "description_en")
# Sentinels instead of HTML tags: the caller escapes the fragment and then swaps these for <mark>,
# so a product name containing markup can never inject it.
HL_PRE = "\ue000"
HL_POST = "\ue001"

# Range facet buckets. Price in fen (1 yuan = 100 fen); GWP in kg CO2e per declared unit.
PRICE_BUCKETS = (
    ("lt_100", None, 10_000),
    ("100_1000", 10_000, 100_000),
    ("1000_10000", 100_000, 1_000_000),
    ("10000_100000", 1_000_000, 10_000_000),
    ("gte_100000", 10_000_000, None),
)
GWP_BUCKETS = (
    ("lt_1", None, 1.0),
    ("1_10", 1.0, 10.0),
    ("10_100", 10.0, 100.0),
    ("100_1000", 100.0, 1000.0),
    ("gte_1000", 1000.0, None),
)
EXPIRING_DAYS = 90

# name -> list of (field, order, missing); every sort ends with product_id so search_after is total.
SORTS: dict[str, list[tuple[str, str, Optional[str]]]] = {
    "relevance": [("_score", "desc", None), ("updated_at", "desc", "_last"), ("product_id", "asc", None)],
    "price_asc": [("price_fen", "asc", "_last"), ("product_id", "asc", None)],
    "price_desc": [("price_fen", "desc", "_last"), ("product_id", "asc", None)],
    "stars": [("stars", "desc", "_last"), ("_score", "desc", None), ("product_id", "asc", None)],
    "gwp": [("gwp", "asc", "_last"), ("product_id", "asc", None)],
    "newest": [("created_at", "desc", "_last"), ("product_id", "asc", None)],
}

SOURCE_FIELDS = (
    "product_id", "version", "sku", "name_zh", "name_en", "brand", "model", "manufacturer", "unit",
    "category_id", "category_code", "group_code", "supplier_id", "supplier_name_zh", "supplier_name_en",
    "price_fen", "stars", "gwp", "gwp_unit", "fire_class", "cert_status", "cert_valid_until",
    "certificate_numbers", "compliant_cities", "verdicts", "status", "listed", "created_at", "updated_at",
)


@dataclass(frozen=True)
class Viewer:
    """Who is searching, reduced to what visibility needs.

    `supplier_id`: the viewer's supplier organisation (sees its own unlisted products too).
    `see_all`: platform reviewers/admins, who review drafts and suspended products.
    """

    supplier_id: Optional[int] = None
    see_all: bool = False


@dataclass(frozen=True)
class SearchRequest:
    """A validated search; build it with `catalog.search.params.parse_search_args`."""

    q: str = ""
    groups: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    stars: tuple[int, ...] = ()
    cities: tuple[str, ...] = ()
    suppliers: tuple[int, ...] = ()
    price_min: Optional[int] = None
    price_max: Optional[int] = None
    gwp_min: Optional[float] = None
    gwp_max: Optional[float] = None
    fire_classes: tuple[str, ...] = ()
    expiring: bool = False
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    search_after: Optional[tuple] = None
    verdict_city: Optional[str] = None
    facets: bool = True  # False: hits only (cheaper; e.g. API clients paging with search_after)
    viewer: Viewer = field(default_factory=Viewer)

    @property
    def badge_city(self) -> Optional[str]:
        """City whose verdict is shown on each hit: explicit, else the first city filter."""
        return self.verdict_city or (self.cities[0] if self.cities else None)

    def active_filters(self) -> list[tuple[str, Any]]:
        """(facet, value) pairs currently selected, for chips and tests."""
        out: list[tuple[str, Any]] = []
        out += [("group", v) for v in self.groups]
        out += [("category", v) for v in self.categories]
        out += [("stars", v) for v in self.stars]
        out += [("city", v) for v in self.cities]
        out += [("supplier", v) for v in self.suppliers]
        if self.price_min is not None:
            out.append(("price_min", self.price_min))
        if self.price_max is not None:
            out.append(("price_max", self.price_max))
        if self.gwp_min is not None:
            out.append(("gwp_min", self.gwp_min))
        if self.gwp_max is not None:
            out.append(("gwp_max", self.gwp_max))
        out += [("fire_class", v) for v in self.fire_classes]
        if self.expiring:
            out.append(("expiring", True))
        return out


# --------------------------------------------------------------------------- filters

def public_visibility_filter() -> dict:
    """Listed products holding a certificate that is valid now (expiry evaluated by the engine)."""
    return {
        "bool": {
            "filter": [
                {"term": {"listed": True}},
                {"term": {"cert_status": "valid"}},
                {"range": {"cert_valid_until": {"gt": "now"}}},
            ]
        }
    }


def visibility_filter(viewer: Viewer) -> Optional[dict]:
    """The filter limiting what `viewer` may see, or None for reviewers who see everything."""
    if viewer.see_all:
        return None
    public = public_visibility_filter()
    if viewer.supplier_id is None:
        return public
    return {
        "bool": {
            "should": [public, {"term": {"supplier_id": str(viewer.supplier_id)}}],
            "minimum_should_match": 1,
        }
    }


def _range(field_name: str, lo, hi, *, hi_inclusive: bool = True) -> Optional[dict]:
    if lo is None and hi is None:
        return None
    spec: dict[str, Any] = {}
    if lo is not None:
        spec["gte"] = lo
    if hi is not None:
        spec["lte" if hi_inclusive else "lt"] = hi
    return {"range": {field_name: spec}}


def facet_filters(req: SearchRequest) -> dict[str, dict]:
    """One filter clause per facet that has a selection (OR within the facet)."""
    out: dict[str, dict] = {}
    if req.groups:
        out["group"] = {"terms": {"group_code": list(req.groups)}}
    if req.categories:
        out["category"] = {"terms": {"category_code": list(req.categories)}}
    if req.stars:
        out["stars"] = {"terms": {"stars": list(req.stars)}}
    if req.cities:
        out["city"] = {"terms": {"compliant_cities": list(req.cities)}}
    if req.suppliers:
        out["supplier"] = {"terms": {"supplier_id": [str(s) for s in req.suppliers]}}
    price = _range("price_fen", req.price_min, req.price_max)
    if price:
        out["price"] = price
    gwp = _range("gwp", req.gwp_min, req.gwp_max)
    if gwp:
        out["gwp"] = gwp
    if req.fire_classes:
        out["fire_class"] = {"terms": {"fire_class": list(req.fire_classes)}}
    if req.expiring:
        out["expiring"] = expiring_filter()
    return out


def expiring_filter() -> dict:
    """Certificate still valid but expiring within 90 days (the renewal window)."""
    return {"range": {"cert_valid_until": {"gt": "now", "lte": f"now+{EXPIRING_DAYS}d"}}}


def _and(clauses: list[dict]) -> dict:
    if not clauses:
        return {"match_all": {}}
    if len(clauses) == 1:
        return clauses[0]
    return {"bool": {"filter": clauses}}


# --------------------------------------------------------------------------- text

def text_query(q: str) -> Optional[dict]:
    """Free text: safe `simple_query_string` over names, brand, model, manufacturer, description,
    plus exact (normalised) matches on SKU and certificate number, boosted to the top."""
    q = q.strip()
    if not q:
        return None
    should: list[dict] = [
        {
            "simple_query_string": {
                "query": q,
                "fields": list(TEXT_FIELDS),
                "default_operator": "and",
                # Phrases, prefix*, -exclusion and | alternatives; no fuzzy/slop/regex features.
                "flags": "AND|OR|NOT|PHRASE|PREFIX|PRECEDENCE|WHITESPACE|ESCAPE",
                "lenient": True,
            }
        },
        {"term": {"sku": {"value": q, "boost": 20}}},
        {"term": {"certificate_numbers": {"value": q, "boost": 20}}},
        {"term": {"model.kw": {"value": q, "boost": 5}}},
    ]
    return {"bool": {"should": should, "minimum_should_match": 1}}


# --------------------------------------------------------------------------- aggregations

def _facet_body(name: str) -> dict:
    if name == "group":
        return {"terms": {"field": "group_code", "size": 50}}
    if name == "category":
        return {"terms": {"field": "category_code", "size": 200}}
    if name == "stars":
        return {"terms": {"field": "stars", "size": 5, "order": {"_key": "desc"}}}
    if name == "city":
        return {"terms": {"field": "compliant_cities", "size": 200}}
    if name == "supplier":
        return {"terms": {"field": "supplier_id", "size": 50}}
    if name == "price":
        return {"range": {"field": "price_fen", "ranges": [_bucket(k, lo, hi) for k, lo, hi in PRICE_BUCKETS]}}
    if name == "gwp":
        return {"range": {"field": "gwp", "ranges": [_bucket(k, lo, hi) for k, lo, hi in GWP_BUCKETS]}}
    if name == "fire_class":
        return {"terms": {"field": "fire_class", "size": 10, "order": {"_key": "asc"}}}
    if name == "expiring":
        return {"filter": expiring_filter()}
    raise KeyError(name)


def _bucket(key: str, lo, hi) -> dict:
    b: dict[str, Any] = {"key": key}
    if lo is not None:
        b["from"] = lo
    if hi is not None:
        b["to"] = hi
    return b


def facet_aggs(req: SearchRequest) -> dict:
    """Each facet counted under every other facet's selection (not its own)."""
    filters = facet_filters(req)
    aggs = {}
    for name in FACETS:
        others = [clause for other, clause in filters.items() if other != name]
        aggs[name] = {"filter": _and(others), "aggs": {"values": _facet_body(name)}}
    return aggs


# --------------------------------------------------------------------------- bodies

def sort_clause(sort: str) -> list:
    """Elasticsearch `sort` for a named sort order."""
    out: list = []
    for field_name, order, missing in SORTS[sort]:
        if field_name == "_score":
            out.append({"_score": {"order": order}})
        else:
            spec: dict[str, Any] = {"order": order}
            if missing:
                spec["missing"] = missing
            out.append({field_name: spec})
    return out


def build_search(req: SearchRequest) -> dict:
    """The full search body: query (text + visibility), post_filter (facets), aggs, sort, paging,
    highlight. With `search_after` set, paging is by cursor and `from` is omitted."""
    must = text_query(req.q)
    visibility = visibility_filter(req.viewer)
    query: dict[str, Any] = {"bool": {}}
    if must:
        query["bool"]["must"] = [must]
    if visibility:
        query["bool"]["filter"] = [visibility]
    if not query["bool"]:
        query = {"match_all": {}}

    body: dict[str, Any] = {
        "query": query,
        "sort": sort_clause(req.sort),
        "size": req.per_page,
        "track_total_hits": True,
        "_source": list(SOURCE_FIELDS),
        "highlight": {
            "pre_tags": [HL_PRE],
            "post_tags": [HL_POST],
            "number_of_fragments": 0,
            "fields": {f: {} for f in HIGHLIGHT_FIELDS},
        },
    }
    if req.facets:
        body["aggs"] = facet_aggs(req)
    # Relevance without text scores everything alike; sorting ties go to the newest.
    if req.sort == "relevance" and not must:
        body["sort"] = sort_clause("newest")
    filters = list(facet_filters(req).values())
    if filters:
        body["post_filter"] = _and(filters)
    if req.search_after is not None:
        body["search_after"] = list(req.search_after)
    else:
        body["from"] = (req.page - 1) * req.per_page
    if not must:
        del body["highlight"]
    return body


def build_autocomplete(prefix: str, viewer: Viewer, size: int = 8) -> dict:
    """Name suggestions for a typed prefix: whole-name prefix (works for Chinese without word
    breaks), word prefixes in English, and phrase-prefix on the analysed names."""
    prefix = prefix.strip()
    should = [
        {"match": {"name_zh.prefix": {"query": prefix, "boost": 3}}},
        {"match": {"name_en.prefix": {"query": prefix, "operator": "and", "boost": 2}}},
        {"multi_match": {"query": prefix, "type": "phrase_prefix", "fields": ["name_zh", "name_en"]}},
    ]
    query: dict[str, Any] = {"bool": {"should": should, "minimum_should_match": 1}}
    visibility = visibility_filter(viewer)
    if visibility:
        query["bool"]["filter"] = [visibility]
    return {
        "query": query,
        "size": size,
        "_source": ["product_id", "name_zh", "name_en", "category_code"],
        "sort": [{"_score": {"order": "desc"}}, {"product_id": {"order": "asc"}}],
    }


def build_ids_page(after: Optional[int], size: int) -> dict:
    """One page of (product_id, version) for drift checks, in product_id order."""
    body: dict[str, Any] = {
        "query": {"match_all": {}},
        "size": size,
        "_source": ["product_id", "version"],
        "sort": [{"product_id": {"order": "asc"}}],
        "track_total_hits": False,
    }
    if after is not None:
        body["search_after"] = [after]
    return body
