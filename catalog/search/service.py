"""Search use cases shared by the HTML page and the JSON API: run a search, autocomplete, compare.

Views parse (`params`), call these, render. Engine failures surface as `SearchUnavailable`.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Optional

from markupsafe import Markup, escape
from sqlalchemy import func, select

from core import roles

from . import query as Q
from .engine import search_engine
from .params import encode_cursor
from .query import SearchRequest, Viewer


def viewer_for(user) -> Viewer:
    """Visibility context of a (possibly anonymous) user."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Viewer()
    if user.has_role(roles.PLATFORM_ADMIN, roles.PLATFORM_REVIEWER):
        return Viewer(see_all=True)
    if user.has_role(roles.SUPPLIER) and getattr(user, "organisation_id", None):
        return Viewer(supplier_id=int(user.organisation_id))
    return Viewer()


def render_highlight(fragment: str) -> Markup:
    """Escape an engine fragment, then turn the sentinel tags into <mark>."""
    text = str(escape(fragment))
    return Markup(text.replace(Q.HL_PRE, "<mark>").replace(Q.HL_POST, "</mark>"))


@dataclass
class FacetValue:
    value: Any
    count: int
    label: str = ""
    selected: bool = False
    start: Any = None  # range facets
    end: Any = None


@dataclass
class Hit:
    source: dict
    highlight: dict[str, Markup]
    verdict: Optional[str]
    sort: list

    def __getattr__(self, item):  # templates read source fields as attributes
        try:
            return self.source[item]
        except KeyError:
            raise AttributeError(item) from None

    @property
    def verdicts_by_city(self) -> dict[str, str]:
        return dict(v.split(":", 1) for v in self.source.get("verdicts") or [])


@dataclass
class SearchResult:
    request: SearchRequest
    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    took: int
    next_cursor: Optional[str] = None
    labels: dict[str, dict] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        from .params import MAX_WINDOW

        reachable = min(self.total, MAX_WINDOW)
        return max(1, -(-reachable // self.request.per_page))


def _selected(req: SearchRequest, name: str, key) -> bool:
    if name == "group":
        return key in req.groups
    if name == "category":
        return key in req.categories
    if name == "stars":
        return int(key) in req.stars
    if name == "city":
        return key in req.cities
    if name == "supplier":
        return str(key) in {str(s) for s in req.suppliers}
    if name == "fire_class":
        return key in req.fire_classes
    if name == "expiring":
        return req.expiring
    return False


def parse_facets(req: SearchRequest, aggs: dict) -> dict[str, list[FacetValue]]:
    """Engine aggregations (of either query shape) -> facet values with counts (pure)."""
    parsed = Q.parse_aggregations(aggs)
    out: dict[str, list[FacetValue]] = {}
    for name in Q.FACETS:
        agg = parsed.get(name) or {}
        values: list[FacetValue] = []
        if name == "expiring":
            values.append(FacetValue(True, int(agg.get("doc_count", 0)), selected=req.expiring))
        elif name in ("price", "gwp"):
            lo_sel, hi_sel = (req.price_min, req.price_max) if name == "price" else (req.gwp_min, req.gwp_max)
            for b in agg.get("buckets", []):
                start, end = b.get("from"), b.get("to")
                if name == "price":
                    start = int(start) if start is not None else None
                    end = int(end) if end is not None else None
                values.append(FacetValue(b["key"], int(b["doc_count"]), start=start, end=end,
                                         selected=(lo_sel == start and hi_sel == end and (start, end) != (None, None))))
        else:
            for b in agg.get("buckets", []):
                key = b.get("key_as_string", b["key"]) if name not in ("stars",) else int(b["key"])
                values.append(FacetValue(key, int(b["doc_count"]), selected=_selected(req, name, key)))
        out[name] = values
    return out


def parse_hits(req: SearchRequest, response: dict) -> list[Hit]:
    hits = []
    city = req.badge_city
    for h in response["hits"]["hits"]:
        src = h.get("_source") or {}
        hl = {f: render_highlight(frags[0]) for f, frags in (h.get("highlight") or {}).items() if frags}
        verdict = None
        if city:
            verdict = next((v.split(":", 1)[1] for v in src.get("verdicts") or [] if v.split(":", 1)[0] == city),
                           "not_evaluated")
        hits.append(Hit(source=src, highlight=hl, verdict=verdict, sort=h.get("sort") or []))
    return hits


def search(req: SearchRequest, *, legacy: bool = False) -> SearchResult:
    """Run the search; raises `SearchUnavailable` when the engine cannot answer.

    Browsing (no text, no selection) takes its facet counts from `BrowseFacets` when it can, and
    asks the engine for hits only. `legacy` runs the former query shape (tests, benchmark)."""
    indexes, schema = search_engine.live_index()
    cache = cached = None
    if req.facets and req.browsing and not legacy:
        cache = browse_facets()
        cached = cache.get(req.viewer, indexes)
    if cached is not None:
        response = search_engine.search(Q.build_search(replace(req, facets=False), schema))
        facets = _copy_facets(cached)
    else:
        response = search_engine.search(Q.build_search(req, schema, legacy=legacy))
        facets = parse_facets(req, response.get("aggregations", {})) if req.facets else {}
        if cache is not None:
            cache.put(req.viewer, indexes, _copy_facets(facets))
    hits = parse_hits(req, response)
    total = response["hits"]["total"]["value"] if isinstance(response["hits"]["total"], dict) \
        else int(response["hits"]["total"])
    cursor = encode_cursor(hits[-1].sort) if hits and len(hits) == req.per_page and hits[-1].sort else None
    return SearchResult(request=req, total=total, hits=hits, facets=facets,
                        took=int(response.get("took", 0)), next_cursor=cursor)


def _copy_facets(facets: dict[str, list[FacetValue]]) -> dict[str, list[FacetValue]]:
    """Callers label the values they get (`facet_labels`): never share them with the cache."""
    return {name: [replace(v) for v in values] for name, values in facets.items()}


class BrowseFacets:
    """Facet counts of the unfiltered catalogue, per visibility class (the public, each supplier,
    reviewers), for browsing without text: the most common page, and the most expensive facets.

    An entry is dropped when this process delivers changes to the index (`forget`, called by
    `sync.send` and `reindex`), when any process did (the newest `processed_at` in the outbox
    moved), when the alias points at another index, and at the next UTC midnight or after `TTL`
    seconds, whichever comes first. (Visibility and the "expiring" window move with the clock, but
    only at midnight: certificates are valid until a midnight UTC, see `documents.valid_until`.)"""

    TTL = 600.0
    MAX_ENTRIES = 256

    def __init__(self):
        import threading

        self._lock = threading.Lock()
        self._entries: dict[tuple, tuple[float, Any, dict]] = {}

    @staticmethod
    def _key(viewer: Viewer, indexes) -> tuple:
        who = "all" if viewer.see_all else (f"supplier:{viewer.supplier_id}" if viewer.supplier_id else "public")
        return (search_engine.alias, tuple(indexes), who)

    @staticmethod
    def _delivered_mark():
        """The newest delivery of any process (one indexed MAX over the outbox)."""
        from core.extensions import db

        from .models import SearchOutbox

        return db.session.execute(select(func.max(SearchOutbox.processed_at))).scalar()

    def get(self, viewer: Viewer, indexes) -> Optional[dict]:
        import time

        key = self._key(viewer, indexes)
        with self._lock:
            entry = self._entries.get(key)
        if entry is None:
            return None
        until, mark, facets = entry
        if time.time() >= until or mark != self._delivered_mark():
            self.forget()
            return None
        return facets

    def put(self, viewer: Viewer, indexes, facets: dict) -> None:
        import time

        now = time.time()
        until = min(now + self.TTL, (now // 86400 + 1) * 86400)  # next UTC midnight at the latest
        mark = self._delivered_mark()
        with self._lock:
            if len(self._entries) >= self.MAX_ENTRIES:
                self._entries.clear()
            self._entries[self._key(viewer, indexes)] = (until, mark, facets)

    def forget(self) -> None:
        with self._lock:
            self._entries.clear()


def browse_facets(app=None) -> BrowseFacets:
    """This app's `BrowseFacets`."""
    from flask import current_app

    app = app or current_app._get_current_object()
    cache = app.extensions.get("search_browse_facets")
    if cache is None:
        cache = app.extensions.setdefault("search_browse_facets", BrowseFacets())
    return cache


def forget_browse_facets(app) -> None:
    """The index changed: cached browse facets are stale."""
    cache = app.extensions.get("search_browse_facets")
    if cache is not None:
        cache.forget()


def autocomplete(prefix: str, viewer: Viewer, size: int = 8) -> list[dict]:
    """Distinct product names starting with (or containing a word starting with) `prefix`."""
    response = search_engine.search(Q.build_autocomplete(prefix, viewer, size=size * 2, schema=search_engine.schema()))
    seen, out = set(), []
    for h in response["hits"]["hits"]:
        src = h["_source"]
        key = (src.get("name_zh"), src.get("name_en"))
        if key in seen:
            continue
        seen.add(key)
        out.append({"product_id": src["product_id"], "name_zh": src.get("name_zh") or "",
                    "name_en": src.get("name_en") or "", "category": src.get("category_code")})
        if len(out) >= size:
            break
    return out


def facet_labels(result: SearchResult, locale: str) -> dict[str, dict]:
    """Display names for facet values from the database (categories, groups, suppliers, cities)."""
    from catalog.models import Category, CategoryGroup
    from core.extensions import db
    from core.models import City, Organisation

    zh = locale.startswith("zh")

    def name(obj):
        return (obj.name_zh or obj.name_en) if zh else (obj.name_en or obj.name_zh)

    def wanted(facet, extra=()):
        return {v.value for v in result.facets.get(facet, [])} | set(extra)

    req = result.request
    labels: dict[str, dict] = {"group": {}, "category": {}, "supplier": {}, "city": {}}
    groups = wanted("group", req.groups)
    if groups:
        for g in db.session.execute(select(CategoryGroup).where(CategoryGroup.code.in_(groups))).scalars():
            labels["group"][g.code] = name(g)
    cats = wanted("category", req.categories) | {h.source.get("category_code") for h in result.hits}
    cats.discard(None)
    if cats:
        for c in db.session.execute(select(Category).where(Category.code.in_(cats))).unique().scalars():
            labels["category"][c.code] = name(c)
    sups = {int(v) for v in wanted("supplier", req.suppliers) if str(v).isdigit()}
    if sups:
        for o in db.session.execute(select(Organisation).where(Organisation.id.in_(sups))).scalars():
            labels["supplier"][str(o.id)] = name(o)
    all_cities = db.session.execute(select(City).order_by(City.id)).scalars().all()
    for c in all_cities:
        labels["city"][c.code] = name(c)
    labels["_all_cities"] = {c.code: name(c) for c in all_cities}
    for facet, mapping in labels.items():
        if facet.startswith("_"):
            continue
        for v in result.facets.get(facet, []):
            v.label = mapping.get(str(v.value), str(v.value))
    return labels


MAX_COMPARE = 4


def compare(user, product_ids: list[int]) -> list[dict]:
    """Up to four products side by side: indicators, verdicts per city, carbon, price, certificate.
    Products the user may not see are left out."""
    from catalog.models import Product
    from catalog.policy import can_view_product
    from core.errors import ValidationError
    from core.extensions import db
    from core.i18n import N_

    if len(product_ids) > MAX_COMPARE:
        raise ValidationError("Compare at most %(max)s products at a time.", fields={"id": N_("too many")},
                              max=MAX_COMPARE)
    if not product_ids:
        return []
    products = db.session.execute(select(Product).where(Product.id.in_(product_ids))).unique().scalars().all()
    by_id = {p.id: p for p in products}
    out = []
    for pid in product_ids:
        p = by_id.get(pid)
        if p is None or not can_view_product(user, p):
            continue
        carbon = p.current_carbon()
        valid = [c for c in p.certificates if c.status == "valid"]
        out.append({
            "product": p,
            "indicators": {iv.key: (iv.value, iv.unit) for iv in p.indicator_values},
            "verdicts": {v.city.code: v.verdict for v in p.verdicts},
            "carbon": carbon,
            "certificate": max(valid, key=lambda c: c.star_grade) if valid else None,
        })
    return out


def selection(user, product_ids: list[int]) -> list:
    """The products among `product_ids` the user may see, in that order (for the list of ticked
    products when there are more than can be compared)."""
    from catalog.models import Product
    from catalog.policy import can_view_product
    from core.extensions import db

    if not product_ids:
        return []
    found = {p.id: p for p in db.session.execute(select(Product).where(Product.id.in_(product_ids)))
             .unique().scalars()}
    return [found[i] for i in product_ids if i in found and can_view_product(user, found[i])]


def indicator_names(keys, locale: str) -> dict[str, str]:
    """Display names of indicator keys, from the demand standards' rules (the key itself when no
    rule names it)."""
    from catalog.models import IndicatorRule
    from core.extensions import db

    keys = sorted(set(keys))
    if not keys:
        return {}
    zh = locale.startswith("zh")
    names: dict[str, str] = {}
    rows = db.session.execute(select(IndicatorRule.key, IndicatorRule.name_en, IndicatorRule.name_zh)
                              .where(IndicatorRule.key.in_(keys)).order_by(IndicatorRule.id.desc()))
    for key, name_en, name_zh in rows:
        name = (name_zh or name_en) if zh else (name_en or name_zh)
        if name and key not in names:
            names[key] = name
    return names
