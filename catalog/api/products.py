"""Products JSON API: list, read, create, update, submit, per-city compliance.

Same services as the web forms; errors come back as `{"error": {"code", "message", "fields"}}`.
"""
from __future__ import annotations

from flask import g, jsonify, request
from sqlalchemy import select

from core import openapi
from core import roles as R
from core.api import api_auth, json_body
from core.errors import NotFound, ValidationError
from core.extensions import db
from core.models import City

from core.i18n import N_
from core.timeutil import today_cn

from catalog import policy
from catalog.api import bp
from catalog.models.products import Product
from catalog.models.standards import Category
from catalog.models.products import DOCUMENT_KINDS
from catalog.product_states import CERTIFICATE_STATUSES, LISTED, PRODUCT_STATUSES, SUSPENDED
from catalog.services import product_edit, product_lifecycle, product_queries
from catalog.services.product_access import get_product
from catalog.services.product_expiry import effective_status, enforce_expiry_on_read, not_lapsed_clause
from catalog.services.verdicts import evaluate_for_city, verdict_map, verdicts_by_city

OPENAPI = openapi.Operations()  # registered by the package's register(app)


def _iso(value):
    return value.isoformat() if value is not None else None


def product_json(product: Product, *, full=False, today=None, verdicts=None) -> dict:
    """The API shape of a product (list items omit evidence details)."""
    today = today or today_cn()
    out = {
        "id": product.id,
        "sku": product.sku,
        "name_zh": product.name_zh,
        "name_en": product.name_en,
        "category": product.category.code if product.category else None,
        "supplier": {"id": product.supplier_id, "name_en": product.supplier.name_en,
                     "name_zh": product.supplier.name_zh, "credit_code": product.supplier.credit_code},
        "brand": product.brand,
        "model_spec": product.model_spec,
        "unit": product.unit,
        "list_price_fen": product.list_price_fen,
        "status": effective_status(product, today),
        "updated_at": _iso(product.updated_at),
        "verdicts": verdicts if verdicts is not None else {
            code: v.verdict for code, v in verdicts_by_city(product, with_details=False).items()},
    }
    if full:
        carbon = product.current_carbon()
        out.update({
            "manufacturer": product.manufacturer,
            "plant": product.plant,
            "description": product.description,
            "suspended_reason": product.suspended_reason if product.status == SUSPENDED else None,
            "review_note": product.review_note,
            "created_at": _iso(product.created_at),
            "indicators": [{"key": iv.key, "value": iv.value, "unit": iv.unit} for iv in product.indicator_values],
            "certificates": [{
                "id": c.id, "number": c.number, "body": c.body, "star_grade": c.star_grade, "standard": c.standard,
                "issued_on": _iso(c.issued_on), "expires_on": _iso(c.expires_on),
                "status": c.effective_status(today), "changed_on": _iso(c.changed_on)} for c in product.certificates],
            "test_reports": [{"id": r.id, "number": r.number, "lab": r.lab, "issued_on": _iso(r.issued_on),
                              "covers": list(r.covers or [])} for r in product.test_reports],
            "carbon": None if carbon is None else {
                "declared_unit": carbon.declared_unit, "gwp_a1a3": carbon.gwp_a1a3,
                "valid_until": _iso(carbon.valid_until), "program_operator": carbon.program_operator},
            "documents": [{"id": lk.document_id, "kind": lk.kind, "sha256": lk.document.sha256,
                           "content_type": lk.document.content_type, "size": lk.document.size,
                           "original_name": lk.name} for lk in product.document_links],
        })
    return out


def _visible(product_id) -> Product:
    product = get_product(product_id)
    if not policy.can_view_product(g.api_user, product):
        raise NotFound(N_("No such product."))  # do not reveal drafts of other suppliers
    return product


def _int_arg(name, default, lo, hi):
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError(N_("'%(name)s' must be a whole number."), {name: N_("Must be a whole number.")},
                              name=name) from None
    if not lo <= value <= hi:
        raise ValidationError(N_("'%(name)s' must be between %(lo)s and %(hi)s."),
                              {name: (N_("Between %(lo)s and %(hi)s."), {"lo": lo, "hi": hi})}, name=name, lo=lo, hi=hi)
    return value


@bp.get("/products")
@api_auth(public=True)
def products_list():
    user = g.api_user
    page = _int_arg("page", 1, 1, 10**6)
    per_page = _int_arg("per_page", 50, 1, 200)
    mine = request.args.get("mine") in ("1", "true", "yes")
    status = request.args.get("status") or None
    if mine:
        if not policy.is_supplier(user):
            raise ValidationError(N_("'mine' is for suppliers."), {"mine": N_("Only suppliers have products.")})
        items, total = product_queries.supplier_products(user.organisation_id, status=status, page=page,
                                                         per_page=per_page)
    else:
        status = status or LISTED
        if status != LISTED and not policy.can_see_all_product_statuses(user):
            raise ValidationError(N_("Only listed products are public."),
                                  {"status": N_("Use mine=1 for your own products.")})
        if status not in PRODUCT_STATUSES:
            raise ValidationError(N_("Unknown status."), {"status": (N_("One of %(statuses)s."),
                                                                     {"statuses": ", ".join(PRODUCT_STATUSES)})})
        q = select(Product).where(Product.status == status).options(*product_queries.LIST_OPTIONS)
        if status == LISTED:
            q = q.where(not_lapsed_clause(today_cn()))
        category = request.args.get("category")
        if category:
            cat = db.session.execute(select(Category).filter_by(code=category)).unique().scalar_one_or_none()
            if cat is None:
                raise ValidationError(N_("Unknown category."),
                                      {"category": (N_("No category '%(code)s'."), {"code": category[:64]})})
            q = q.where(Product.category_id == cat.id)
        items, total = product_queries.page_of(q.order_by(Product.id), page, per_page)
    verdicts = verdict_map(p.id for p in items)
    return jsonify({"items": [product_json(p, verdicts=verdicts.get(p.id, {})) for p in items], "total": total,
                    "page": page, "per_page": per_page})


@bp.get("/products/<int:product_id>")
@api_auth(public=True)
def products_read(product_id):
    product = _visible(product_id)
    enforce_expiry_on_read(product)
    return jsonify(product_json(product, full=True))


@bp.post("/products")
@api_auth(R.SUPPLIER)
def products_create():
    product = product_edit.create_product(g.api_user, json_body())
    return jsonify(product_json(product, full=True)), 201


@bp.route("/products/<int:product_id>", methods=["PATCH", "PUT"])
@api_auth(R.SUPPLIER)
def products_update(product_id):
    product = product_edit.update_product(g.api_user, product_id, json_body())
    return jsonify(product_json(product, full=True))


@bp.post("/products/<int:product_id>/submit")
@api_auth(R.SUPPLIER)
def products_submit(product_id):
    product = product_lifecycle.submit_product(g.api_user, product_id)
    return jsonify(product_json(product, full=True))


@bp.get("/products/<int:product_id>/compliance")
@api_auth(public=True)
def products_compliance(product_id):
    product = _visible(product_id)
    code = (request.args.get("city") or "").strip()
    if not code:
        raise ValidationError(N_("Give a city code."), {"city": N_("Required, e.g. nanjing.")})
    city = db.session.execute(select(City).filter_by(code=code)).scalar_one_or_none()
    if city is None:
        raise ValidationError(N_("Unknown city."), {"city": (N_("No city '%(code)s'."), {"code": code[:40]})})
    stored = verdicts_by_city(product).get(city.code)
    if stored is not None:
        details = dict(stored.details or {})
        verdict, version_id, evaluated_at = stored.verdict, stored.standard_version_id, _iso(stored.evaluated_at)
    else:
        ev = evaluate_for_city(product, city)
        details, verdict, version_id, evaluated_at = ev.to_dict(), ev.verdict, ev.version_id, None
    return jsonify({"product_id": product.id, "city": city.code, "climate_zone": city.climate_zone,
                    "verdict": verdict, "standard_version_id": version_id, "evaluated_at": evaluated_at,
                    "results": details.get("results", [])})


_PRODUCT_INPUT = {
    "type": "object",
    "properties": {
        "sku": {"type": "string", "maxLength": 64}, "name_zh": {"type": "string"}, "name_en": {"type": "string"},
        "category": {"type": "string", "description": "category code"}, "brand": {"type": "string"},
        "model_spec": {"type": "string"}, "unit": {"type": "string"},
        "list_price_fen": {"type": "integer", "minimum": 0},
        "manufacturer": {"type": "string"}, "plant": {"type": "string"}, "description": {"type": "string"},
        "indicators": {"description": "{key: value}, {key: {value, unit}} or [{key, value, unit}]",
                       "oneOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}]},
        "certificate": {"type": "object", "properties": {
            "number": {"type": "string"}, "body": {"type": "string"}, "star_grade": {"type": "integer", "minimum": 1, "maximum": 3},
            "standard": {"type": "string"}, "issued_on": {"type": "string", "format": "date"},
            "expires_on": {"type": "string", "format": "date"}}},
        "test_report": {"type": "object"},
        "carbon": {"type": "object", "properties": {
            "declared_unit": {"type": "string"}, "gwp_a1a3": {"type": "number", "minimum": 0},
            "valid_until": {"type": "string", "format": "date"}, "program_operator": {"type": "string"}}},
    },
}
OPENAPI.schema("ProductInput", _PRODUCT_INPUT)
_nullable_str = {"type": "string", "nullable": True}
_date = {"type": "string", "format": "date"}
_VERDICT = {"type": "string", "enum": ["pass", "fail", "incomplete"]}
OPENAPI.schema("Product", {
    "type": "object", "required": ["id", "sku", "status", "list_price_fen", "verdicts"],
    "description": "List items carry the summary fields; reading one product adds its evidence.",
    "properties": {
        "id": {"type": "integer", "minimum": 1}, "sku": {"type": "string"}, "name_zh": {"type": "string"},
        "name_en": {"type": "string"}, "category": {"type": "string", "description": "category code"},
        "supplier": {"type": "object", "properties": {"id": {"type": "integer"}, "name_en": _nullable_str,
                                                      "name_zh": _nullable_str, "credit_code": _nullable_str}},
        "brand": {"type": "string"}, "model_spec": {"type": "string"}, "unit": {"type": "string"},
        "list_price_fen": {"type": "integer", "minimum": 0},
        "status": {"type": "string", "enum": list(PRODUCT_STATUSES),
                   "description": "a listed product whose certificates all lapsed reads as suspended"},
        "updated_at": {"type": "string", "format": "date-time", "nullable": True},
        "verdicts": {"type": "object", "description": "per pilot city code", "additionalProperties": _VERDICT},
        "manufacturer": {"type": "string"}, "plant": {"type": "string"}, "description": {"type": "string"},
        "suspended_reason": _nullable_str, "review_note": _nullable_str,
        "created_at": {"type": "string", "format": "date-time", "nullable": True},
        "indicators": {"type": "array", "items": {"type": "object", "required": ["key"], "properties": {
            "key": {"type": "string"}, "value": {"nullable": True, "oneOf": [{"type": "number"}, {"type": "string"}]},
            "unit": {"type": "string"}}}},
        "certificates": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "integer"}, "number": {"type": "string"}, "body": {"type": "string"},
            "star_grade": {"type": "integer", "minimum": 1, "maximum": 3}, "standard": {"type": "string"},
            "issued_on": _date, "expires_on": _date,
            "status": {"type": "string", "enum": list(CERTIFICATE_STATUSES)},
            "changed_on": {**_date, "nullable": True}}}},
        "test_reports": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "integer"}, "number": {"type": "string"}, "lab": {"type": "string"}, "issued_on": _date,
            "covers": {"type": "array", "items": {"type": "string"}}}}},
        "carbon": {"type": "object", "nullable": True, "properties": {
            "declared_unit": {"type": "string"}, "gwp_a1a3": {"type": "number", "minimum": 0},
            "valid_until": {**_date, "nullable": True}, "program_operator": {"type": "string"}}},
        "documents": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "integer"}, "kind": {"type": "string", "enum": list(DOCUMENT_KINDS)},
            "sha256": {"type": "string"}, "content_type": {"type": "string"}, "size": {"type": "integer"},
            "original_name": {"type": "string", "description": "the name its supplier gave (sanitised)"}}}},
    }})
_ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Product"}}}
_id_param = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
_err = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}

OPENAPI.spec("/products", "get", {
    "summary": "List products (listed ones; `mine=1` for a supplier's own)", "tags": ["products"], "security": [{}, {"bearer": []}],
    "parameters": [
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10**6, "default": 1}},
        {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
        {"name": "category", "in": "query", "schema": {"type": "string"}, "description": "category code (400 if unknown)"},
        {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(PRODUCT_STATUSES)},
         "description": "default listed; other statuses for reviewers, or with mine=1"},
        {"name": "mine", "in": "query", "schema": {"type": "boolean"}, "description": "a supplier's own products"}],
    "responses": {
        "200": {"description": "A page of products", "content": {"application/json": {"schema": {
            "type": "object", "required": ["items", "total", "page", "per_page"],
            "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Product"}},
                           "total": {"type": "integer", "minimum": 0}, "page": {"type": "integer", "minimum": 1},
                           "per_page": {"type": "integer", "minimum": 1, "maximum": 200}}}}}},
        "400": {"description": "Page out of range, unknown category or status, a status that is not public, "
                               "or mine=1 for someone who is not a supplier", "content": _err}}})
OPENAPI.spec("/products", "post", {
    "summary": "Create a draft product (supplier)", "tags": ["products"],
    "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ProductInput"}}}},
    "responses": {"201": {"description": "Created", "content": _ref}, "403": {"description": "Not a supplier", "content": _err},
                  "409": {"description": "SKU already used", "content": _err}}})
OPENAPI.spec("/products/{id}", "get", {
    "summary": "Read a product with its evidence", "tags": ["products"], "parameters": [_id_param], "security": [{}, {"bearer": []}],
    "responses": {"200": {"description": "The product", "content": _ref}, "404": {"description": "Not found", "content": _err}}})
for _method in ("patch", "put"):
    OPENAPI.spec("/products/{id}", _method, {
        "summary": "Update your product (absent fields are kept)", "tags": ["products"], "parameters": [_id_param],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ProductInput"}}}},
        "responses": {"200": {"description": "Updated", "content": _ref}, "403": {"description": "Not yours", "content": _err},
                      "404": {"description": "Not found", "content": _err},
                      "409": {"description": "SKU already used, or a reviewer moved the product meanwhile",
                              "content": _err}}})
OPENAPI.spec("/products/{id}/submit", "post", {
    "summary": "Submit a draft for review", "tags": ["products"], "parameters": [_id_param],
    "responses": {"200": {"description": "Submitted", "content": _ref},
                  "400": {"description": "Not ready for review (values, certificate)", "content": _err},
                  "403": {"description": "Not yours, or your firm is not verified", "content": _err},
                  "404": {"description": "Not found", "content": _err},
                  "409": {"description": "Wrong status", "content": _err}}})
OPENAPI.spec("/products/{id}/compliance", "get", {
    "summary": "Per-indicator compliance of a product in a city", "tags": ["products"], "security": [{}, {"bearer": []}],
    "parameters": [_id_param, {"name": "city", "in": "query", "required": True, "schema": {"type": "string"},
                               "description": "city code, e.g. nanjing"}],
    "responses": {"200": {"description": "Verdict and per-indicator results (pass/fail/missing, limit, value, reason)",
                          "content": {"application/json": {"schema": {
                              "type": "object", "required": ["product_id", "city", "verdict", "results"], "properties": {
                                  "product_id": {"type": "integer"}, "verdict": _VERDICT, "city": {"type": "string"},
                                  "climate_zone": _nullable_str,
                                  "standard_version_id": {"type": "integer", "nullable": True},
                                  "evaluated_at": {"type": "string", "format": "date-time", "nullable": True},
                                  "results": {"type": "array", "items": {"type": "object"}}}}}}},
                  "400": {"description": "No city given, or an unknown city", "content": _err},
                  "404": {"description": "Not found", "content": _err}}})
