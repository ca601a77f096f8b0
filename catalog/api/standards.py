"""JSON API: categories and demand standards (public, read-only)."""
from __future__ import annotations

from flask import jsonify, request

from core import openapi
from core.api import api_auth
from core.errors import NotFound
from core.i18n import N_

from catalog.api import bp
from catalog.models.standards import StandardVersion
from catalog.services import standards as svc


OPENAPI = openapi.Operations()  # registered by the package's register(app)

def _category_json(cat, reqs_by_edition: dict) -> dict:
    return {
        "code": cat.code, "name_en": cat.name_en, "name_zh": cat.name_zh, "default_unit": cat.default_unit,
        "group": cat.group.code,
        "requirements": {ed: reqs.get(cat.code) for ed, reqs in reqs_by_edition.items()},
    }


def _rule_json(rule) -> dict:
    return {
        "id": rule.id, "key": rule.key, "name_en": rule.name_en, "name_zh": rule.name_zh, "kind": rule.kind,
        "comparison": rule.comparison, "limit": list(rule.limit) if isinstance(rule.limit, tuple) else rule.limit,
        "unit": rule.unit, "scale": list(rule.scale) if rule.scale else None, "test_standard": rule.test_standard,
        "climate_zone": rule.climate_zone, "city_code": rule.city_code, "scope": rule.scope,
        "requirement_text": rule.describe_limit(),
    }


def _version_json(v: StandardVersion) -> dict:
    return {"id": v.id, "number": v.number, "status": v.status, "effective_from": v.effective_from.isoformat(),
            "based_on_id": v.based_on_id, "note": v.note}


def _current_requirements(at=None) -> dict:
    out = {}
    for ed in svc.list_editions():
        version = svc.current_version(ed, at)
        if version is not None:
            out[ed.code] = svc.requirements(version)
    return out


@bp.get("/categories")
@api_auth(public=True)
def api_categories():
    reqs = _current_requirements()
    groups = []
    for group in svc.list_groups():
        groups.append({"code": group.code, "name_en": group.name_en, "name_zh": group.name_zh,
                       "categories": [_category_json(c, reqs) for c in group.categories]})
    return jsonify({"groups": groups, "count": sum(len(g["categories"]) for g in groups)})


_REQUIREMENT = {"type": "string", "enum": ["mandatory", "optional"], "nullable": True}
_CATEGORY = {"type": "object", "required": ["code", "name_en", "name_zh", "group", "requirements"], "properties": {
    "code": {"type": "string"}, "name_en": {"type": "string"}, "name_zh": {"type": "string"},
    "default_unit": {"type": "string", "nullable": True}, "group": {"type": "string"},
    "requirements": {"type": "object", "description": "edition code -> mandatory/optional",
                     "additionalProperties": _REQUIREMENT}}}
_VERSION = {"type": "object", "required": ["id", "number", "status", "effective_from"], "properties": {
    "id": {"type": "integer"}, "number": {"type": "integer"},
    "status": {"type": "string", "enum": ["draft", "in_force", "superseded"]},
    "effective_from": {"type": "string", "format": "date"}, "based_on_id": {"type": "integer", "nullable": True},
    "note": {"type": "string", "nullable": True}}}

OPENAPI.spec("/categories", "get", {
    "summary": "Category catalogue (51 categories in 6 groups)", "tags": ["standards"], "security": [],
    "responses": {"200": {"description": "Groups with their categories; `requirements` maps edition code to "
                                         "mandatory/optional under the version in force today",
                          "content": {"application/json": {"schema": {
                              "type": "object", "required": ["groups", "count"], "properties": {
                                  "count": {"type": "integer", "minimum": 0},
                                  "groups": {"type": "array", "items": {"type": "object", "properties": {
                                      "code": {"type": "string"}, "name_en": {"type": "string"},
                                      "name_zh": {"type": "string"},
                                      "categories": {"type": "array", "items": _CATEGORY}}}}}}}}}},
})


@bp.get("/standards")
@api_auth(public=True)
def api_standards():
    out = []
    for ed in svc.list_editions():
        current = svc.current_version(ed)
        out.append({
            "code": ed.code, "title": ed.title, "title_zh": ed.title_zh, "effective_from": ed.effective_from.isoformat(),
            "optional_green_share_min": ed.optional_green_share_min,
            "current_version_id": current.id if current else None,
            "versions": [_version_json(v) for v in ed.versions],
        })
    applicable = svc.applicable_version()
    return jsonify({"editions": out, "applicable_version_id": applicable.id if applicable else None})


OPENAPI.spec("/standards", "get", {
    "summary": "Demand standard editions and their versions", "tags": ["standards"], "security": [],
    "responses": {"200": {"description": "Editions with versions; `current_version_id` is in force today",
                          "content": {"application/json": {"schema": {
                              "type": "object", "required": ["editions"], "properties": {
                                  "applicable_version_id": {"type": "integer", "nullable": True},
                                  "editions": {"type": "array", "items": {"type": "object", "properties": {
                                      "code": {"type": "string"}, "title": {"type": "string"},
                                      "title_zh": {"type": "string", "nullable": True},
                                      "effective_from": {"type": "string", "format": "date"},
                                      "optional_green_share_min": {"type": "number", "nullable": True},
                                      "current_version_id": {"type": "integer", "nullable": True},
                                      "versions": {"type": "array", "items": _VERSION}}}}}}}}}},
})


@bp.get("/standards/<edition>/categories/<code>")
@api_auth(public=True)
def api_standard_category(edition, code):
    ed = svc.get_edition(edition)
    cat = svc.get_category(code)
    at = request.args.get("at") or None
    version = svc.current_version(ed, at)
    if version is None:
        raise NotFound(N_("Edition %(code)s has no version in force on that date."), code=ed.code)
    city_code = (request.args.get("city") or "").strip()
    all_rules = svc.version_rules(version, cat)
    body = {
        "edition": ed.code, "version": _version_json(version), "category": _category_json(cat, {ed.code: svc.requirements(version)}),
        "requirement": svc.requirements(version).get(cat.code),
        "optional_green_share_min": ed.optional_green_share_min,
    }
    if city_code:
        city = svc.get_city(city_code)
        from catalog.compliance import resolve_rules

        body["city"] = {"code": city.code, "name_en": city.name_en, "name_zh": city.name_zh, "climate_zone": city.climate_zone}
        body["rules"] = [_rule_json(r) for r in resolve_rules(all_rules, city.code, city.climate_zone)]
        body["resolved"] = True
    else:
        body["city"] = None
        body["rules"] = [_rule_json(r) for r in all_rules]
        body["resolved"] = False
    return jsonify(body)


OPENAPI.spec("/standards/{edition}/categories/{code}", "get", {
    "summary": "Indicator rules of a category in a standard edition, optionally resolved for a city",
    "tags": ["standards"], "security": [],
    "parameters": [
        {"name": "edition", "in": "path", "required": True, "schema": {"type": "string", "example": "2025"}},
        {"name": "code", "in": "path", "required": True, "schema": {"type": "string", "example": "windows_doors"}},
        {"name": "city", "in": "query", "required": False, "schema": {"type": "string", "example": "qingdao"},
         "description": "Resolve overrides for this city (city > climate zone > base)"},
        {"name": "at", "in": "query", "required": False, "schema": {"type": "string", "format": "date"},
         "description": "Version in force on this date (default today, China time)"},
    ],
    "responses": {"200": {"description": "Version, requirement and rules", "content": {"application/json": {"schema": {
                              "type": "object", "required": ["edition", "version", "category", "rules", "resolved"],
                              "properties": {
                                  "edition": {"type": "string"}, "version": _VERSION, "category": _CATEGORY,
                                  "requirement": _REQUIREMENT, "resolved": {"type": "boolean"},
                                  "optional_green_share_min": {"type": "number", "nullable": True},
                                  "city": {"type": "object", "nullable": True},
                                  "rules": {"type": "array", "items": {"type": "object", "required": ["key", "comparison"],
                                                                       "properties": {
                                      "key": {"type": "string"}, "comparison": {"type": "string",
                                                                                "enum": ["<=", ">=", "=", "in", "at_least", "bool"]},
                                      "kind": {"type": "string", "enum": ["green", "quality"]},
                                      "unit": {"type": "string"}, "scope": {"type": "string",
                                                                            "enum": ["base", "climate_zone", "city"]},
                                      "requirement_text": {"type": "string"}}}}}}}}},
                  "400": {"description": "`at` is not a date written YYYY-MM-DD",
                          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                  "404": {"description": "Unknown edition, category or city, or no version in force on that date",
                          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}},
})
