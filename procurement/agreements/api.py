"""JSON API of agreements and call-off orders, under /api/v1:

- ``GET agreements``: the agreements you work with (published ones for everybody);
- ``GET agreements/{id}``: one agreement: suppliers and prices, quota use per project, orders;
- ``POST lots/{lot_id}/agreement``: the centre prepares the lot's agreement (201);
- ``POST agreements/{id}/sign | publish``; ``POST agreements/{id}/terminate | cancel`` (``{"reason"}``);
- ``POST agreements/{id}/orders`` (``{"project_id", "request_id", "lines": [...], ...}``): a
  purchaser's call-off order (201; the same request_id again returns the first order);
- ``GET orders``, ``GET orders/{id}``; ``POST orders/{id}/confirm | accept``;
  ``POST orders/{id}/cancel`` (``{"reason"}``).

Refusals are the JSON error body: 400 bad input (fields named), 404 not visible, 403 not
allowed, 409 above the quota or the total, another price, expired agreement, another city.
"""

from __future__ import annotations

from flask import g, jsonify

from core import openapi
from core.api import api_auth, json_body
from core.hashchain import canonical_time
from procurement.agreements import reading, services
from procurement.agreements.blueprints import api_bp
from procurement.agreements.states import AGREEMENT_STATES, KINDS, MAX_RETENTION_BP
from procurement.blueprints import ID_SCHEMA, body_ref, error, json_response, ok_responses, ref
from procurement.orders import services as orders
from procurement.orders.inputs import MAX_LINES
from procurement.orders.states import ORDER_STATES, SELECTION_METHODS

OPENAPI = openapi.Operations()  # registered by wiring.register(app)
TAG = ["agreements"]
TIME = {"type": "string", "format": "date-time", "nullable": True}
DATE = {"type": "string", "format": "date"}
NOT_FOUND = error("No such agreement, lot, project or order (or not visible to you)")


def path_id(name: str) -> list[dict]:
    return [{"name": name, "in": "path", "required": True, "schema": ID_SCHEMA}]


def time(value):
    return canonical_time(value) if value is not None else None


def firm(org) -> dict | None:
    return None if org is None else {"id": org.id, "name_en": org.name_en, "name_zh": org.name_zh}


def order_json(o) -> dict:
    return {"id": o.id, "reference": o.reference, "agreement_id": o.agreement_id, "project_id": o.project_id,
            "supplier": firm(o.supplier), "status": o.status, "selection_method": o.selection_method,
            "negotiation_id": o.negotiation_id,
            "total_fen": o.total_fen, "placed_at": time(o.placed_at), "confirmed_at": time(o.confirmed_at),
            "delivered_at": time(o.delivered_at), "accepted_at": time(o.accepted_at),
            "cancelled_at": time(o.cancelled_at), "cancel_reason": o.cancel_reason or None,
            "lines": [{"id": ln.id, "bom_line_id": ln.bom_line_id, "product_id": ln.product_id,
                       "quantity_milli": ln.quantity_milli, "unit": ln.unit, "unit_price_fen": ln.unit_price_fen,
                       "amount_fen": ln.amount_fen, "delivered_milli": ln.delivered_milli} for ln in o.lines]}


def agreement_json(viewer, agreement) -> dict:
    view = reading.agreement_view(viewer, agreement)
    return {"id": agreement.id, "reference": agreement.reference, "lot_id": agreement.lot_id,
            "award_id": agreement.award_id, "kind": agreement.kind, "status": agreement.status,
            "title": agreement.title, "city_id": agreement.city_id, "centre": firm(agreement.centre),
            "valid_from": agreement.valid_from.isoformat(), "valid_until": agreement.valid_until.isoformat(),
            "in_force": view["in_force"], "unit": agreement.unit,
            "total_quantity_milli": agreement.total_quantity_milli,
            "ordered_quantity_milli": agreement.ordered_quantity_milli, "retention_bp": agreement.retention_bp,
            "sign_due_at": time(agreement.sign_due_at), "sign_overdue": view["overdue"]["sign"],
            "signed_at": time(agreement.signed_at), "publish_due_at": time(agreement.publish_due_at),
            "publish_overdue": view["overdue"]["publish"], "published_at": time(agreement.published_at),
            "end_reason": agreement.end_reason or None,
            "suppliers": [{"supplier": firm(s.supplier), "product_id": s.product_id,
                           "unit_price_fen": s.unit_price_fen, "rank": s.rank} for s in view["suppliers"]],
            "quotas": [{"project_id": r["quota"].project_id, "bom_line_id": r["quota"].bom_line_id,
                        "quantity_milli": r["quantity"], "ordered_milli": r["ordered"], "percent": r["percent"]}
                       for r in view["quotas"]],
            "orders": [order_json(o) for o in view["orders"]]}


# ------------------------------------------------------------------ schemas

FIRM = {"type": "object", "nullable": True, "properties": {
    "id": {"type": "integer"}, "name_en": {"type": "string"}, "name_zh": {"type": "string"}}}
OPENAPI.schema("CallOffOrder", {"type": "object", "required": ["id", "reference", "status", "lines"], "properties": {
    "id": {"type": "integer"}, "reference": {"type": "string"}, "agreement_id": {"type": "integer"},
    "project_id": {"type": "integer"}, "supplier": FIRM, "status": {"type": "string", "enum": list(ORDER_STATES)},
    "selection_method": {"type": "string", "enum": list(SELECTION_METHODS)}, "total_fen": {"type": "integer"},
    "negotiation_id": {"type": "integer", "nullable": True}, "placed_at": TIME, "confirmed_at": TIME, "delivered_at": TIME, "accepted_at": TIME, "cancelled_at": TIME,
    "cancel_reason": {"type": "string", "nullable": True},
    "lines": {"type": "array", "items": {"type": "object", "properties": {
        "id": {"type": "integer"}, "bom_line_id": {"type": "integer"}, "product_id": {"type": "integer"},
        "quantity_milli": {"type": "integer"}, "unit": {"type": "string"}, "unit_price_fen": {"type": "integer"},
        "amount_fen": {"type": "integer"}, "delivered_milli": {"type": "integer"}}}}}})
OPENAPI.schema("Agreement", {"type": "object", "required": ["id", "reference", "kind", "status"], "properties": {
    "id": {"type": "integer"}, "reference": {"type": "string"}, "lot_id": {"type": "integer"},
    "award_id": {"type": "integer"}, "kind": {"type": "string", "enum": list(KINDS)},
    "status": {"type": "string", "enum": list(AGREEMENT_STATES)}, "title": {"type": "string"},
    "city_id": {"type": "integer"}, "centre": FIRM, "valid_from": DATE, "valid_until": DATE,
    "in_force": {"type": "boolean"}, "unit": {"type": "string"}, "total_quantity_milli": {"type": "integer"},
    "ordered_quantity_milli": {"type": "integer"}, "retention_bp": {"type": "integer"},
    "sign_due_at": TIME, "sign_overdue": {"type": "boolean"}, "signed_at": TIME, "publish_due_at": TIME,
    "publish_overdue": {"type": "boolean"}, "published_at": TIME, "end_reason": {"type": "string", "nullable": True},
    "suppliers": {"type": "array", "items": {"type": "object", "properties": {
        "supplier": FIRM, "product_id": {"type": "integer"}, "unit_price_fen": {"type": "integer"},
        "rank": {"type": "integer"}}}},
    "quotas": {"type": "array", "items": {"type": "object", "properties": {
        "project_id": {"type": "integer"}, "bom_line_id": {"type": "integer"}, "quantity_milli": {"type": "integer"},
        "ordered_milli": {"type": "integer"}, "percent": {"type": "integer"}}}},
    "orders": {"type": "array", "items": ref("CallOffOrder")}}})
OPENAPI.schema("AgreementTerms", {"type": "object", "required": ["valid_until"], "properties": {
    "kind": {"type": "string", "enum": list(KINDS)}, "valid_from": DATE, "valid_until": DATE,
    "retention_bp": {"type": "integer", "minimum": 0, "maximum": MAX_RETENTION_BP},
    "supplier_org_ids": {"type": "array", "maxItems": 20, "items": {"type": "integer"}}}})
OPENAPI.schema("AgreementReason", {"type": "object", "required": ["reason"], "properties": {
    "reason": {"type": "string", "minLength": 5, "maxLength": 2000}}})
OPENAPI.schema("CallOffOrderRequest", {"type": "object", "required": ["project_id", "request_id", "lines"],
                                       "properties": {
    "project_id": ID_SCHEMA, "request_id": {"type": "string", "minLength": 1, "maxLength": 64},
    "supplier_org_id": ID_SCHEMA, "selection_method": {"type": "string", "enum": list(SELECTION_METHODS)},
    "selection_note": {"type": "string", "maxLength": 2000}, "negotiation_id": ID_SCHEMA,
    "lines": {"type": "array", "minItems": 1, "maxItems": MAX_LINES, "items": {
        "type": "object", "required": ["bom_line_id"], "properties": {
            "bom_line_id": ID_SCHEMA, "quantity": {"type": "string"},
            "quantity_milli": {"type": "integer", "minimum": 1}, "unit_price_fen": {"type": "integer", "minimum": 1}}}}}})
AGREEMENT_BODY = {"type": "object", "required": ["agreement"], "properties": {"agreement": ref("Agreement")}}
ORDER_BODY = {"type": "object", "required": ["order"], "properties": {"order": ref("CallOffOrder")}}


def responses(description, *, status="200", conflict=None, schema=AGREEMENT_BODY, forbidden=True) -> dict:
    return ok_responses(description, status, schema, conflict=conflict, forbidden=forbidden, not_found=NOT_FOUND)


def _agreement(viewer, agreement) -> dict:
    return {"agreement": agreement_json(viewer, services.get_agreement(agreement.id))}


# ------------------------------------------------------------------ agreements

@api_bp.get("/agreements")
@api_auth(public=True)
def agreement_list():
    return jsonify({"agreements": [agreement_json(g.api_user, a) for a in reading.agreements_for(g.api_user)]})


OPENAPI.spec("/agreements", "get", {
    "summary": "The agreements you work with (published ones for everybody)", "tags": TAG,
    "security": [{}, {"bearer": []}],
    "responses": {"200": json_response("The agreements", {"type": "object", "required": ["agreements"], "properties": {
        "agreements": {"type": "array", "items": ref("Agreement")}}})}})


@api_bp.get("/agreements/<int:agreement_id>")
@api_auth(public=True)
def agreement(agreement_id):
    return jsonify(_agreement(g.api_user, services.visible_agreement(g.api_user, agreement_id)))


OPENAPI.spec("/agreements/{agreement_id}", "get", {
    "summary": "One agreement: suppliers and unit prices, quota use per project, the orders you may see",
    "tags": TAG, "parameters": path_id("agreement_id"), "security": [{}, {"bearer": []}],
    "responses": responses("The agreement", forbidden=False)})


@api_bp.post("/lots/<int:lot_id>/agreement")
@api_auth()
def prepare(lot_id):
    found = services.prepare(g.api_user, lot_id, json_body())
    return jsonify(_agreement(g.api_user, found)), 201


OPENAPI.spec("/lots/{lot_id}/agreement", "post", {
    "summary": "Prepare the contract or framework agreement of a lot whose award notice is published: suppliers "
               "and unit prices from the bids, quotas from the pooled lines (the lot's centre)", "tags": TAG,
    "parameters": path_id("lot_id"), "requestBody": body_ref("AgreementTerms"),
    "responses": responses("The draft agreement", status="201",
                           conflict="No published award notice, or the lot already has an agreement")})


def _step(path, summary, body_schema, call, conflict):
    def view(agreement_id):
        body = json_body() if body_schema else {}
        return jsonify(_agreement(g.api_user, call(g.api_user, agreement_id, body)))

    view.__name__ = "agreement_" + path
    api_bp.add_url_rule(f"/agreements/<int:agreement_id>/{path}", view_func=api_auth()(view), methods=["POST"])
    spec = {"summary": summary, "tags": TAG, "parameters": path_id("agreement_id"),
            "responses": responses("The agreement", conflict=conflict)}
    if body_schema:
        spec["requestBody"] = body_ref(body_schema)
    OPENAPI.spec(f"/agreements/{{agreement_id}}/{path}", "post", spec)


_step("sign", "Sign the draft (standstill over, no live challenge or complaint): publication becomes due, the "
      "winner's bond refund starts (the centre)", None, lambda u, a, b: services.sign(u, a),
      "Not a draft, or the award gate is closed")
_step("publish", "Publish the signed agreement (the centre)", None, lambda u, a, b: services.publish(u, a),
      "Not signed")
_step("terminate", "End an agreement in force early, with a reason (the centre)", "AgreementReason",
      lambda u, a, b: services.terminate(u, a, b.get("reason")), "Not in force")
_step("cancel", "Abandon a draft, with a reason (the centre)", "AgreementReason",
      lambda u, a, b: services.cancel_draft(u, a, b.get("reason")), "Not a draft")


# ------------------------------------------------------------------ orders

@api_bp.post("/agreements/<int:agreement_id>/orders")
@api_auth()
def place(agreement_id):
    body = json_body()
    order = orders.place_order(g.api_user, agreement_id, body.get("project_id"), body)
    return jsonify({"order": order_json(orders.get_order(order.id))}), 201


OPENAPI.spec("/agreements/{agreement_id}/orders", "post", {
    "summary": "Place a call-off order for your project, within its quota and the agreement's total, at the "
               "agreement price (the project's purchaser; the same request_id again returns the first order)",
    "tags": TAG, "parameters": path_id("agreement_id"), "requestBody": body_ref("CallOffOrderRequest"),
    "responses": responses("The order", status="201", schema=ORDER_BODY,
                           conflict="Above the quota or the total, another price, expired agreement, another city")})


@api_bp.get("/orders")
@api_auth()
def order_list():
    return jsonify({"orders": [order_json(o) for o in reading.orders_for(g.api_user)]})


OPENAPI.spec("/orders", "get", {
    "summary": "Your call-off orders (a purchaser's projects', a supplier's, a centre's agreements')", "tags": TAG,
    "responses": {"200": json_response("The orders", {"type": "object", "required": ["orders"], "properties": {
        "orders": {"type": "array", "items": ref("CallOffOrder")}}})}})


@api_bp.get("/orders/<int:order_id>")
@api_auth()
def order(order_id):
    return jsonify({"order": order_json(orders.visible_order(g.api_user, order_id))})


OPENAPI.spec("/orders/{order_id}", "get", {
    "summary": "One call-off order", "tags": TAG, "parameters": path_id("order_id"),
    "responses": responses("The order", schema=ORDER_BODY, forbidden=False)})


def _order_step(path, summary, body_schema, call, conflict):
    def view(order_id):
        body = json_body() if body_schema else {}
        found = call(g.api_user, order_id, body)
        return jsonify({"order": order_json(orders.get_order(found.id))})

    view.__name__ = "order_" + path
    api_bp.add_url_rule(f"/orders/<int:order_id>/{path}", view_func=api_auth()(view), methods=["POST"])
    spec = {"summary": summary, "tags": TAG, "parameters": path_id("order_id"),
            "responses": responses("The order", schema=ORDER_BODY, conflict=conflict)}
    if body_schema:
        spec["requestBody"] = body_ref(body_schema)
    OPENAPI.spec(f"/orders/{{order_id}}/{path}", "post", spec)


_order_step("confirm", "Confirm a placed order (its supplier)", None, lambda u, o, b: orders.confirm_order(u, o),
            "Not placed")
_order_step("cancel", "Cancel an order with a reason (the purchaser while placed or confirmed; the supplier refusing "
            "it while placed): its quantities go back to the quota", "AgreementReason",
            lambda u, o, b: orders.cancel_order(u, o, b.get("reason")), "Not placed or confirmed")
_order_step("accept", "Accept a delivered order (the project's purchaser)", None,
            lambda u, o, b: orders.accept_order(u, o), "Not delivered")
