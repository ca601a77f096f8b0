"""JSON API: `GET /api/v1/products/search` and `GET /api/v1/products/autocomplete`."""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from core import openapi
from core.api import api_auth

from . import service
from .engine import SearchUnavailable
from .params import (FIRE_CLASSES, MAX_GWP, MAX_PER_PAGE, MAX_PRICE_FEN, MAX_QUERY_CHARS, MAX_VALUES_PER_FACET,
                     MAX_WINDOW, parse_autocomplete_args, parse_search_args)
from .query import EXPIRING_DAYS, FACETS, SORTS

OPENAPI = openapi.Operations()  # registered by the package's register(app)

bp = Blueprint("search_api", __name__, url_prefix="/api/v1")


def _unavailable(exc: SearchUnavailable):
    return jsonify({"error": {"code": "search_unavailable", "message": exc.message, "fields": {}}}), 503


def hit_json(hit: service.Hit, city) -> dict:
    s = hit.source
    out = {
        "id": s.get("product_id"),
        "sku": s.get("sku"),
        "name_zh": s.get("name_zh"),
        "name_en": s.get("name_en"),
        "brand": s.get("brand"),
        "model": s.get("model"),
        "category": s.get("category_code"),
        "group": s.get("group_code"),
        "supplier": {"id": int(s["supplier_id"]) if s.get("supplier_id") else None,
                     "name_zh": s.get("supplier_name_zh"), "name_en": s.get("supplier_name_en")},
        "price_fen": s.get("price_fen"),
        "unit": s.get("unit"),
        "stars": s.get("stars"),
        "gwp": s.get("gwp"),
        "gwp_unit": s.get("gwp_unit"),
        "fire_class": s.get("fire_class"),
        "certificate_valid_until": s.get("cert_valid_until"),
        "status": s.get("status"),
        "compliant_cities": s.get("compliant_cities") or [],
        "city": city,
        "verdict": hit.verdict,
        "highlight": {k: str(v) for k, v in hit.highlight.items()},
    }
    return out


def facets_json(facets: dict) -> dict:
    out = {}
    for name, values in facets.items():
        items = []
        for v in values:
            item = {"value": v.value, "count": v.count}
            if name in ("price", "gwp"):
                item["from"], item["to"] = v.start, v.end
            items.append(item)
        out[name] = items
    return out


@bp.get("/products/search")
@api_auth(public=True)
def products_search():
    req = parse_search_args(request.args, service.viewer_for(g.api_user))
    try:
        result = service.search(req)
    except SearchUnavailable as exc:
        return _unavailable(exc)
    return jsonify({
        "total": result.total,
        "took": result.took,
        "page": req.page if req.search_after is None else None,
        "per_page": req.per_page,
        "sort": req.sort,
        "next_search_after": result.next_cursor,
        "hits": [hit_json(h, req.badge_city) for h in result.hits],
        "facets": facets_json(result.facets),
    })


@bp.get("/products/autocomplete")
@api_auth(public=True)
def products_autocomplete():
    prefix = parse_autocomplete_args(request.args)
    try:
        suggestions = service.autocomplete(prefix, service.viewer_for(g.api_user))
    except SearchUnavailable as exc:
        return _unavailable(exc)
    return jsonify({"q": prefix, "suggestions": suggestions})


def _multi(name, schema, description):
    return {"name": name, "in": "query", "required": False, "style": "form", "explode": True,
            "description": description,
            "schema": {"type": "array", "items": schema, "maxItems": MAX_VALUES_PER_FACET}}


_CODE = {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"}
_CITY = {"type": "string", "pattern": r"^[a-z][a-z0-9_]{0,31}$"}


def _one(name, schema, description):
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


_FACET_ITEM = {"type": "object", "properties": {"value": {}, "count": {"type": "integer"},
                                                "from": {"type": "number", "nullable": True},
                                                "to": {"type": "number", "nullable": True}}}
OPENAPI.schema("ProductSearchHit", {
    "type": "object",
    "properties": {
        "id": {"type": "integer"}, "sku": {"type": "string"}, "name_zh": {"type": "string"},
        "name_en": {"type": "string"}, "brand": {"type": "string"}, "model": {"type": "string"},
        "category": {"type": "string"}, "group": {"type": "string"},
        "supplier": {"type": "object", "properties": {"id": {"type": "integer"}, "name_zh": {"type": "string"},
                                                      "name_en": {"type": "string"}}},
        "price_fen": {"type": "integer", "nullable": True}, "unit": {"type": "string"},
        "stars": {"type": "integer", "nullable": True}, "gwp": {"type": "number", "nullable": True},
        "gwp_unit": {"type": "string", "nullable": True}, "fire_class": {"type": "string", "nullable": True},
        "certificate_valid_until": {"type": "string", "format": "date-time", "nullable": True},
        "status": {"type": "string"}, "compliant_cities": {"type": "array", "items": {"type": "string"}},
        "city": {"type": "string", "nullable": True},
        "verdict": {"type": "string", "nullable": True, "enum": ["pass", "fail", "incomplete", "not_evaluated", None],
                    "description": "Compliance verdict in `city` (the `verdict_city` parameter, else the first `city`)."},
        "highlight": {"type": "object", "additionalProperties": {"type": "string"},
                      "description": "HTML-escaped fragments with matches wrapped in <mark>."},
    },
})
OPENAPI.spec("/products/search", "get", {
    "summary": "Search certified products (faceted)",
    "description": "Free text over names (zh/en), brand, model, manufacturer and description; exact match on "
                   "certificate number and SKU. Facets combine with AND across parameters and OR within one "
                   "repeated parameter. Anonymous callers and purchasers see listed products with a valid "
                   "certificate; suppliers also see their own unlisted products. Page with `page`/`per_page` "
                   "(up to 10,000 results) or, beyond that, with `search_after` set to the previous "
                   "response's `next_search_after`.",
    "tags": ["catalog"],
    "security": [{}, {"bearer": []}],
    "parameters": [
        _one("q", {"type": "string", "maxLength": MAX_QUERY_CHARS}, "Search text. Quotes for phrases, `-word` to exclude, "
             "`word*` for prefixes. Matches names, brand, model, description and category; the manufacturer "
             "(often the supplier firm's name) only counts together with one of those."),
        _multi("group", _CODE, "Category group code (repeatable: any of them)."),
        _multi("category", _CODE, "Category code (repeatable: any of them)."),
        _multi("stars", {"type": "integer", "minimum": 1, "maximum": 3}, "Star grade (repeatable: any of them)."),
        _multi("city", _CITY, "Only products compliant in this city (repeatable: compliant in every one of them)."),
        _multi("supplier", {"type": "integer", "minimum": 1, "maximum": 2**53},
               "Supplier organisation id (repeatable: any of them)."),
        _one("price_min", {"type": "integer", "minimum": 0, "maximum": MAX_PRICE_FEN}, "Minimum list price in fen."),
        _one("price_max", {"type": "integer", "minimum": 0, "maximum": MAX_PRICE_FEN},
             "Maximum list price in fen (not below `price_min`)."),
        _one("gwp_min", {"type": "number", "minimum": 0, "maximum": MAX_GWP},
             "Minimum GWP A1-A3 (kg CO2e per declared unit)."),
        _one("gwp_max", {"type": "number", "minimum": 0, "maximum": MAX_GWP},
             "Maximum GWP A1-A3 (kg CO2e per declared unit; not below `gwp_min`)."),
        _multi("fire_class", {"type": "string", "enum": list(FIRE_CLASSES)},
               "Reaction-to-fire class (repeatable: any of them)."),
        _one("expiring", {"type": "boolean"}, f"Only products whose certificate expires within {EXPIRING_DAYS} days."),
        _one("verdict_city", _CITY, "City whose verdict each hit reports (default: first `city`)."),
        _one("sort", {"type": "string", "enum": list(SORTS), "default": "relevance"},
             "Sort order. `relevance` without `q` sorts newest first."),
        _one("page", {"type": "integer", "minimum": 1, "maximum": MAX_WINDOW, "default": 1},
             f"Page number (page x per_page <= {MAX_WINDOW:,}; deeper: `search_after`)."),
        _one("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 20}, "Hits per page."),
        _one("search_after", {"type": "string", "maxLength": 2000, "pattern": r"^[A-Za-z0-9_\-]+$"},
             "Cursor from `next_search_after` for deep paging (not with `page`)."),
        _one("facets", {"type": "boolean", "default": True}, "Set to false to skip facet counts (faster; "
             "`facets` is then empty), e.g. on later pages of a search_after walk."),
    ],
    "responses": {
        "200": {"description": "Results", "content": {"application/json": {"schema": {
            "type": "object",
            "properties": {
                "total": {"type": "integer"}, "took": {"type": "integer", "description": "Engine time in ms."},
                "page": {"type": "integer", "nullable": True}, "per_page": {"type": "integer"},
                "sort": {"type": "string", "enum": list(SORTS),
                         "description": "The order applied (`newest` for `relevance` without `q`)."},
                "next_search_after": {"type": "string", "nullable": True},
                "hits": {"type": "array", "items": {"$ref": "#/components/schemas/ProductSearchHit"}},
                "facets": {"type": "object", "description": "Facet name -> values with counts. Names: " + ", ".join(FACETS),
                           "additionalProperties": {"type": "array", "items": _FACET_ITEM}},
            }}}}},
        "503": {"description": "The search engine is unreachable or its index is missing (being built); "
                               "`error.code` is `search_unavailable`. An empty index answers 200 with no hits.",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
    },
})
OPENAPI.spec("/products/autocomplete", "get", {
    "summary": "Product name suggestions for a typed prefix",
    "tags": ["catalog"],
    "security": [{}, {"bearer": []}],
    "parameters": [_one("q", {"type": "string", "minLength": 1, "maxLength": 50}, "What the user typed so far.")],
    "responses": {
        "200": {"description": "Suggestions", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"q": {"type": "string"}, "suggestions": {"type": "array", "items": {
                "type": "object", "properties": {"product_id": {"type": "integer"}, "name_zh": {"type": "string"},
                                                 "name_en": {"type": "string"}, "category": {"type": "string"}}}}}}}}},
        "503": {"description": "The search engine is unavailable",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
    },
})
