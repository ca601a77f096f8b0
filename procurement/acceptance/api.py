"""JSON API of completion acceptance, under /api/v1:

- ``GET projects/{id}/acceptance``: the checklist (null before it is generated);
- ``POST projects/{id}/acceptance/checklist``: generate it (again) from the evidence;
- ``POST projects/{id}/acceptance/sign-off`` (``{"remarks"}``): the acceptance inspector;
- ``GET orders/{id}/payments``, ``POST orders/{id}/payments`` (``{"amount_fen", "reference",
  "paid_on"}``): payments to the order's supplier, retention computed;
- ``GET projects/{id}/closure-report``: the loop-closure report's figures.
"""

from __future__ import annotations

import datetime as dt

from flask import g, jsonify

from core import openapi
from core.api import api_auth, json_body
from core.errors import NotFound
from core.extensions import db
from core.hashchain import canonical_time
from core.i18n import N_, render_payload_english
from procurement.acceptance import checklist as checklist_svc
from procurement.acceptance import payments as payment_svc
from procurement.acceptance import policy
from procurement.acceptance.blueprints import api_bp
from procurement.acceptance.report import closure_report
from procurement.acceptance.states import CHECKLIST_STATES
from procurement.blueprints import ID_SCHEMA, body_ref, error, ok_responses, ref
from procurement.orders.policy import is_order_supplier
from procurement.orders.models import Order
from procurement.projects.services import get_project

OPENAPI = openapi.Operations()  # registered by wiring.register(app)
TAG = ["acceptance"]
NOT_FOUND = error("No such project or order (or not visible to you)")


def path_id(name: str) -> list[dict]:
    return [{"name": name, "in": "path", "required": True, "schema": ID_SCHEMA}]


def plain(value):
    """Report data as JSON: times as canonical text, stored messages in English."""
    if isinstance(value, dt.datetime):
        return canonical_time(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        if set(value) == {"key", "params"}:
            return render_payload_english(value)
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def item_json(i) -> dict:
    return {"line_no": i.line_no, "bom_line_id": i.bom_line_id, "category_id": i.category_id,
            "product_ids": list(i.product_ids or []), "ordered_milli": i.ordered_milli,
            "accepted_milli": i.accepted_milli, "delivered_in_full": i.delivered_in_full, "certified": i.certified,
            "compliant": i.compliant, "inspections_clear": i.inspections_clear, "passed": i.passed,
            "notes": [render_payload_english(n) for n in i.notes or []]}


def checklist_json(c) -> dict | None:
    if c is None:
        return None
    return {"id": c.id, "status": c.status, "generated_at": canonical_time(c.generated_at),
            "signed_at": canonical_time(c.signed_at) if c.signed_at else None,
            "signed_by": getattr(c.signed_by, "name", None), "remarks": c.remarks or None,
            "items": [item_json(i) for i in c.items]}


def payment_json(p) -> dict:
    return {"id": p.id, "order_id": p.order_id, "reference": p.reference, "amount_fen": p.amount_fen,
            "retention_bp": p.retention_bp, "retention_fen": p.retention_fen, "paid_fen": p.paid_fen,
            "paid_on": p.paid_on.isoformat()}


OPENAPI.schema("AcceptanceChecklist", {"type": "object", "required": ["id", "status", "items"], "properties": {
    "id": {"type": "integer"}, "status": {"type": "string", "enum": list(CHECKLIST_STATES)},
    "generated_at": {"type": "string", "format": "date-time"},
    "signed_at": {"type": "string", "format": "date-time", "nullable": True},
    "signed_by": {"type": "string", "nullable": True}, "remarks": {"type": "string", "nullable": True},
    "items": {"type": "array", "items": {"type": "object", "required": ["line_no", "passed"], "properties": {
        "line_no": {"type": "integer"}, "bom_line_id": {"type": "integer"}, "category_id": {"type": "integer"},
        "product_ids": {"type": "array", "items": {"type": "integer"}}, "ordered_milli": {"type": "integer"},
        "accepted_milli": {"type": "integer"}, "delivered_in_full": {"type": "boolean"},
        "certified": {"type": "boolean"}, "compliant": {"type": "boolean"},
        "inspections_clear": {"type": "boolean"}, "passed": {"type": "boolean"},
        "notes": {"type": "array", "items": {"type": "string"}}}}}}})
OPENAPI.schema("SupplierPayment", {"type": "object", "required": ["id", "amount_fen", "retention_fen", "paid_fen"],
                                   "properties": {
    "id": {"type": "integer"}, "order_id": {"type": "integer"}, "reference": {"type": "string"},
    "amount_fen": {"type": "integer"}, "retention_bp": {"type": "integer"}, "retention_fen": {"type": "integer"},
    "paid_fen": {"type": "integer"}, "paid_on": {"type": "string", "format": "date"}}})
OPENAPI.schema("SupplierPaymentInput", {"type": "object", "required": ["amount_fen", "reference", "paid_on"],
                                        "properties": {
    "amount_fen": {"type": "integer", "minimum": 1}, "reference": {"type": "string", "maxLength": 80},
    "paid_on": {"type": "string", "format": "date"}}})
OPENAPI.schema("AcceptanceSignOff", {"type": "object", "properties": {
    "remarks": {"type": "string", "maxLength": checklist_svc.REMARKS_MAX}}})
CHECKLIST_BODY = {"type": "object", "required": ["checklist"],
                  "properties": {"checklist": {**ref("AcceptanceChecklist"), "nullable": True}}}


def responses(description, *, status="200", schema=CHECKLIST_BODY, conflict=None) -> dict:
    return ok_responses(description, status, schema, conflict=conflict, not_found=NOT_FOUND)


@api_bp.get("/projects/<int:project_id>/acceptance")
@api_auth()
def acceptance(project_id):
    project = get_project(g.api_user, project_id)
    return jsonify({"checklist": checklist_json(checklist_svc.checklist_of(project.id))})


OPENAPI.spec("/projects/{project_id}/acceptance", "get", {
    "summary": "The project's acceptance checklist (null before it is generated)", "tags": TAG,
    "parameters": path_id("project_id"), "responses": responses("The checklist")})


@api_bp.post("/projects/<int:project_id>/acceptance/checklist")
@api_auth()
def generate(project_id):
    found = checklist_svc.generate(g.api_user, project_id)
    return jsonify({"checklist": checklist_json(checklist_svc.checklist_of(found.project_id))}), 201


OPENAPI.spec("/projects/{project_id}/acceptance/checklist", "post", {
    "summary": "Generate the acceptance checklist (again) from the bill, the deliveries and the inspections",
    "tags": TAG, "parameters": path_id("project_id"),
    "responses": responses("The checklist", status="201", conflict="Already signed off")})


@api_bp.post("/projects/<int:project_id>/acceptance/sign-off")
@api_auth()
def sign_off(project_id):
    found = checklist_svc.sign_off(g.api_user, project_id, json_body().get("remarks", ""))
    return jsonify({"checklist": checklist_json(checklist_svc.checklist_of(found.project_id))})


OPENAPI.spec("/projects/{project_id}/acceptance/sign-off", "post", {
    "summary": "The acceptance inspector signs the checklist off (every line must pass)", "tags": TAG,
    "parameters": path_id("project_id"), "requestBody": body_ref("AcceptanceSignOff"),
    "responses": responses("The signed checklist", conflict="A line did not pass, or the evidence changed")})


def _visible_order(order_id) -> Order:
    order = db.session.get(Order, order_id)
    if order is None or not (policy.can_view_report(g.api_user, order.project) or is_order_supplier(g.api_user, order)):
        raise NotFound(N_("No such order."))
    return order


PAYMENTS = {"type": "object", "required": ["items"], "properties": {"items": {"type": "array",
                                                                              "items": ref("SupplierPayment")}}}


@api_bp.get("/orders/<int:order_id>/payments")
@api_auth()
def payments(order_id):
    order = _visible_order(order_id)
    return jsonify({"items": [payment_json(p) for p in payment_svc.order_payments(order.id)]})


OPENAPI.spec("/orders/{order_id}/payments", "get", {
    "summary": "Payments to the order's supplier", "tags": TAG, "parameters": path_id("order_id"),
    "responses": responses("Payments", schema=PAYMENTS)})


@api_bp.post("/orders/<int:order_id>/payments")
@api_auth()
def record_payment(order_id):
    payment = payment_svc.record_payment(g.api_user, order_id, json_body())
    return jsonify({"payment": payment_json(payment)}), 201


OPENAPI.spec("/orders/{order_id}/payments", "post", {
    "summary": "Record a payment to the order's supplier (the agreement's retention is withheld)", "tags": TAG,
    "parameters": path_id("order_id"), "requestBody": body_ref("SupplierPaymentInput"),
    "responses": responses("The payment", status="201", schema={
        "type": "object", "required": ["payment"], "properties": {"payment": ref("SupplierPayment")}},
        conflict="More than the order is due, or the reference is used")})


@api_bp.get("/projects/<int:project_id>/closure-report")
@api_auth()
def report(project_id):
    project = get_project(g.api_user, project_id)
    return jsonify(plain(closure_report(project)))


OPENAPI.spec("/projects/{project_id}/closure-report", "get", {
    "summary": "The loop-closure report's figures: money and savings, green share, embodied carbon, inspections, "
               "the record chain and its signed checkpoint", "tags": TAG, "parameters": path_id("project_id"),
    "responses": responses("The report", schema={"type": "object", "required": ["project", "money", "green"],
                                                 "properties": {"project": {"type": "object"},
                                                                "final": {"type": "boolean"},
                                                                "money": {"type": "object"},
                                                                "green": {"type": "object"},
                                                                "carbon": {"type": "object"},
                                                                "inspections": {"type": "object"},
                                                                "checklist": {"type": "object", "nullable": True},
                                                                "items": {"type": "array"},
                                                                "chain": {"type": "object"}}})})
