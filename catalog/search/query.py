"""Pure query builders: a validated `SearchRequest` in, an Elasticsearch request body out.

Nothing here talks to a server, reads the clock or the database, so every rule (which text
query type, how facets combine, who sees what) is unit-tested as plain dict comparisons.

Facets combine AND across facets and OR within one, except cities: choosing several cities means
compliant in *all* of them. The selected values go into `post_filter` (so hits are narrowed) and a
facet's counts are taken under every *other* facet's selection, so they show what choosing another
value would give; the city facet (and the "expiring" switch) count under every selection, including
their own, because choosing one more city narrows the results.

Facets whose "other selections" are the same share one `filter` aggregation, and with nothing
selected no wrapper is used at all. In that shared group the terms and range facets are counted by
one `terms` aggregation over `facet_tokens` (``"category:masonry"``, ``"price:100_1000"``, ... built
into each document), which the engine walks once instead of once per facet; `parse_aggregations`
turns its buckets back into per-facet counts, identical to what each facet's own aggregation
gives (`legacy_facet_aggs`, kept for the equivalence test and the benchmark).
Visibility (who may see a product) is a plain `query.bool.filter`, applied to hits and counts alike;
the public part is one range on `public_until` (listed with a valid certificate, until its expiry).

User text only ever reaches Elasticsearch through `simple_query_string` (which never raises a
parse error) and `term` queries on normalised keywords; never `query_string`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

# Facet names in display order; the values are the request attribute they read.
FACETS = ("group", "category", "stars", "city", "supplier", "price", "gwp", "fire_class", "expiring")

# Fields that describe the product itself: free text must match at least one of them.
PRODUCT_TEXT_FIELDS = (
    "name_zh^3",
    "name_en^3",
    "brand^2",
    "model^2",
    "description_zh",
    "description_en",
    "category_name_zh^0.5",
    "category_name_en^0.5",
)
# The manufacturer is usually the supplier firm's name ("佛山顺德保温材料有限公司"): it may help a
# search ("保温 佛山") and ranks a little, but a match on it alone never makes a product a hit,
# or every product of a firm called "...保温..." would answer a search for insulation.
FIRM_TEXT_FIELDS = ("manufacturer^0.2",)
# Fields searched by free text, with boosts.
TEXT_FIELDS = PRODUCT_TEXT_FIELDS + FIRM_TEXT_FIELDS
# Highlighted: what the result list shows.
HIGHLIGHT_FIELDS = ("name_zh", "name_en", "brand", "model", "description_zh", "description_en")
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

# Terms facets: engine field and how many values are shown (ordered by count, then value, except
# where an order is given).
TERMS_FACETS = {
    "group": ("group_code", 50, None),
    "category": ("category_code", 200, None),
    "stars": ("stars", 5, "desc"),
    "city": ("compliant_cities", 200, None),
    "supplier": ("supplier_id", 50, None),
    "fire_class": ("fire_class", 10, "asc"),
}
RANGE_FACETS = {"price": ("price_fen", PRICE_BUCKETS), "gwp": ("gwp", GWP_BUCKETS)}
# Facets counted from `facet_tokens` (supplier stays a field of its own: there can be thousands).
TOKEN_FACETS = ("group", "category", "stars", "city", "price", "gwp", "fire_class")
TOKENS_SIZE = 5000
# Facets counted under every selection, their own included (see the module docstring).
CONJUNCTIVE = frozenset({"city", "expiring"})
# The mapping version that has `facet_tokens` and `public_until`.
TOKENS_SCHEMA = 2

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
    # The order the user chose (what the page's sort menu shows); `sort` is the one applied, which
    # is "newest" for "relevance" without text.
    sort_choice: str = "relevance"

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


    @property
    def browsing(self) -> bool:
        """No text and no selection: the whole visible catalogue (its facets can be cached)."""
        return not self.q.strip() and not self.active_filters()


# --------------------------------------------------------------------------- filters

def public_visibility_filter(schema: int = TOKENS_SCHEMA) -> dict:
    """Listed products holding a certificate that is valid now (expiry evaluated by the engine).
    From mapping v2 one field says it: `public_until` is the certificate's expiry, set only on
    listed products with a valid certificate."""
    if schema >= TOKENS_SCHEMA:
        return {"range": {"public_until": {"gt": "now"}}}
    return {
        "bool": {
            "filter": [
                {"term": {"listed": True}},
                {"term": {"cert_status": "valid"}},
                {"range": {"cert_valid_until": {"gt": "now"}}},
            ]
        }
    }


def visibility_filter(viewer: Viewer, schema: int = TOKENS_SCHEMA) -> Optional[dict]:
    """The filter limiting what `viewer` may see, or None for reviewers who see everything."""
    if viewer.see_all:
        return None
    public = public_visibility_filter(schema)
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
    if req.cities:  # compliant in every chosen city
        cities = [{"term": {"compliant_cities": c}} for c in req.cities]
        out["city"] = cities[0] if len(cities) == 1 else {"bool": {"filter": cities}}
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

def positive_query(q: str) -> str:
    """`q` without its excluded words (``-word``) and AND/OR operators: what the product must
    match at least part of (phrases and ``prefix*`` kept)."""
    words = [w for w in q.split() if not w.startswith("-")]
    return " ".join(" ".join(words).replace("|", " ").replace("+", " ").split())


def text_query(q: str) -> Optional[dict]:
    """Free text: safe `simple_query_string` over names, brand, model, description, category and
    (weighted low) manufacturer, of which at least one word must match a field describing the
    product itself; plus exact (normalised) matches on SKU and certificate number, boosted to
    the top."""
    q = q.strip()
    if not q:
        return None
    sqs = {
        "simple_query_string": {
            "query": q,
            "fields": list(TEXT_FIELDS),
            "default_operator": "and",
            # Phrases, prefix*, -exclusion and | alternatives; no fuzzy/slop/regex features.
            "flags": "AND|OR|NOT|PHRASE|PREFIX|PRECEDENCE|WHITESPACE|ESCAPE",
            "lenient": True,
        }
    }
    positive = positive_query(q)
    text = sqs
    if any(ch.isalnum() for ch in positive):
        # Anchor: some word matches the product itself, not only its manufacturer (not scored).
        anchor = {"simple_query_string": {"query": positive, "fields": [f.split("^")[0] for f in PRODUCT_TEXT_FIELDS],
                                          "default_operator": "or", "flags": "OR|PHRASE|PREFIX|WHITESPACE",
                                          "lenient": True}}
        text = {"bool": {"must": [sqs], "filter": [anchor]}}
    should: list[dict] = [
        text,
        {"term": {"sku": {"value": q, "boost": 20}}},
        {"term": {"certificate_numbers": {"value": q, "boost": 20}}},
        {"term": {"model.kw": {"value": q, "boost": 5}}},
    ]
    return {"bool": {"should": should, "minimum_should_match": 1}}


# --------------------------------------------------------------------------- aggregations

def _facet_body(name: str) -> dict:
    """The facet's own aggregation on its own field."""
    if name in TERMS_FACETS:
        field_name, size, order = TERMS_FACETS[name]
        body: dict[str, Any] = {"field": field_name, "size": size}
        if order:
            body["order"] = {"_key": order}
        return {"terms": body}
    if name in RANGE_FACETS:
        field_name, buckets = RANGE_FACETS[name]
        return {"range": {"field": field_name, "ranges": [_bucket(k, lo, hi) for k, lo, hi in buckets]}}
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


def range_key(value, buckets) -> Optional[str]:
    """The bucket a value falls in (from inclusive, to exclusive, as the range aggregation)."""
    if value is None:
        return None
    for key, lo, hi in buckets:
        if (lo is None or value >= lo) and (hi is None or value < hi):
            return key
    return None


def facet_tokens(doc: dict) -> list[str]:
    """The document's `facet_tokens`: one ``"<facet>:<value>"`` per value of each token facet."""
    tokens: list[str] = []
    for name in TOKEN_FACETS:
        if name in RANGE_FACETS:
            field_name, buckets = RANGE_FACETS[name]
            key = range_key(doc.get(field_name), buckets)
            values = [] if key is None else [key]
        else:
            value = doc.get(TERMS_FACETS[name][0])
            values = value if isinstance(value, list) else ([] if value is None else [value])
        tokens += [f"{name}:{v}" for v in values]
    return tokens


def _others(name: str, filters: dict[str, dict]) -> tuple[str, ...]:
    """Names of the selections a facet is counted under."""
    return tuple(other for other in filters if other != name or name in CONJUNCTIVE)


def legacy_facet_aggs(req: SearchRequest) -> dict:
    """The former shape: each facet's aggregation in a `filter` of its own, selected or not
    (kept to show that `facet_aggs` counts the same, and for the benchmark's ratios)."""
    filters = facet_filters(req)
    aggs = {}
    for name in FACETS:
        others = [filters[o] for o in _others(name, filters)]
        aggs[name] = {"filter": _and(others), "aggs": {"values": _facet_body(name)}}
    return aggs


def facet_aggs(req: SearchRequest, schema: int = TOKENS_SCHEMA) -> dict:
    """Facet aggregations grouped by the selections they are counted under: one `filter` wrapper
    per distinct set (none when it is empty), and one `facet_tokens` aggregation for the token
    facets of the group counted under every selection. Read the response with
    `parse_aggregations`."""
    filters = facet_filters(req)
    groups: dict[tuple[str, ...], list[str]] = {}
    for name in FACETS:
        groups.setdefault(_others(name, filters), []).append(name)
    everything = tuple(filters)
    aggs: dict[str, Any] = {}
    for i, (others, names) in enumerate(groups.items()):
        inner: dict[str, Any] = {}
        tokens = [n for n in names if n in TOKEN_FACETS] if schema >= TOKENS_SCHEMA and others == everything else []
        if len(tokens) > 1:
            inner["tokens"] = {"terms": {"field": "facet_tokens", "size": TOKENS_SIZE}}
        else:
            tokens = []
        for name in names:
            if name not in tokens:
                inner[name] = _facet_body(name)
        if not others:
            aggs.update(inner)
        else:
            aggs[f"group_{i}"] = {"filter": _and([filters[o] for o in others]), "aggs": inner}
    return aggs


def _token_facets(buckets: list[dict]) -> dict[str, dict]:
    """`facet_tokens` buckets -> each token facet's result as its own aggregation gives it."""
    counts: dict[str, dict[str, int]] = {}
    for b in buckets:
        name, _, value = str(b["key"]).partition(":")
        counts.setdefault(name, {})[value] = int(b["doc_count"])
    out: dict[str, dict] = {}
    for name in TOKEN_FACETS:
        values = counts.get(name, {})
        if name in RANGE_FACETS:
            out[name] = {"buckets": [
                {"key": key, **({"from": float(lo)} if lo is not None else {}),
                 **({"to": float(hi)} if hi is not None else {}), "doc_count": values.get(key, 0)}
                for key, lo, hi in RANGE_FACETS[name][1]]}
            continue
        _field, size, order = TERMS_FACETS[name]
        items = [(int(v) if name == "stars" else v, n) for v, n in values.items() if n > 0]
        if order == "desc":
            items.sort(key=lambda kv: kv[0], reverse=True)
        elif order == "asc":
            items.sort(key=lambda kv: kv[0])
        else:
            items.sort(key=lambda kv: (-kv[1], kv[0]))
        out[name] = {"buckets": [{"key": v, "doc_count": n} for v, n in items[:size]]}
    return out


def parse_aggregations(aggs: dict) -> dict[str, dict]:
    """`{facet: its aggregation's result}` from a response of either shape (`facet_aggs` or
    `legacy_facet_aggs`), as each facet's own aggregation (`_facet_body`) would give it."""
    out: dict[str, dict] = {}

    def walk(node: dict) -> None:
        for key, value in node.items():
            if not isinstance(value, dict):
                continue
            if key == "tokens":  # a facet counted on its own field elsewhere (selected) keeps that
                out.update({k: v for k, v in _token_facets(value.get("buckets", [])).items() if k not in out})
            elif key.startswith("group_"):
                walk(value)
            elif key in FACETS:
                out[key] = value["values"] if "values" in value else value

    walk(aggs)
    return out


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


def build_search(req: SearchRequest, schema: int = TOKENS_SCHEMA, *, legacy: bool = False) -> dict:
    """The full search body: query (text + visibility), post_filter (facets), aggs, sort, paging,
    highlight. With `search_after` set, paging is by cursor and `from` is omitted.

    `schema` is the mapping version of the index searched (older ones lack the fields of the
    faster shape); `legacy` builds the former shape (every facet in its own filter, three-clause
    visibility) for the equivalence test and the benchmark."""
    if legacy:
        schema = 1
    must = text_query(req.q)
    visibility = visibility_filter(req.viewer, schema)
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
        body["aggs"] = legacy_facet_aggs(req) if legacy else facet_aggs(req, schema)
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


def build_autocomplete(prefix: str, viewer: Viewer, size: int = 8, schema: int = TOKENS_SCHEMA) -> dict:
    """Name suggestions for a typed prefix: whole-name prefix (works for Chinese without word
    breaks), word prefixes in English, and phrase-prefix on the analysed names."""
    prefix = prefix.strip()
    should = [
        {"match": {"name_zh.prefix": {"query": prefix, "boost": 3}}},
        {"match": {"name_en.prefix": {"query": prefix, "operator": "and", "boost": 2}}},
        {"multi_match": {"query": prefix, "type": "phrase_prefix", "fields": ["name_zh", "name_en"]}},
    ]
    query: dict[str, Any] = {"bool": {"should": should, "minimum_should_match": 1}}
    visibility = visibility_filter(viewer, schema)
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
