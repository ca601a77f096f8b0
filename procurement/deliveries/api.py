"""JSON API of deliveries, under /api/v1:

- ``GET projects/{id}/deliveries``: the project's deliveries (whoever sees the project; a
  supplier sees its own);
- ``POST order-lines/{id}/deliveries`` (multipart: the fields and the ``delivery_note`` file):
  record a delivery; refused with every failed automatic check on its field (400);
- ``GET deliveries/{id}``; ``POST deliveries/{id}/accept`` (``{"reason"}`` optional),
  ``POST deliveries/{id}/reject`` (``{"reason"}``): the site manager;
- ``POST deliveries/{id}/samples`` (``{"lab_name", "sample_code"}``): a sample to a testing lab;
- ``POST delivery-samples/{id}/report`` (``{"result", "report_number", "findings", "required_actions",
  "deadline"}``): the lab's
  report (a failed sample rejects the delivery and opens a rectification).
"""

from __future__ import annotations

from flask import g, jsonify, request
from sqlalchemy import select

from core import openapi
from core.api import api_auth, json_body
from core.errors import NotFound
from core.extensions import db
from core.hashchain import canonical_time
from core.i18n import N_, render_payload_english
from procurement.blueprints import ID_SCHEMA, body_ref, error, ok_responses, ref
from procurement.deliveries import policy, services
from procurement.deliveries.blueprints import api_bp
from procurement.deliveries.models import Delivery
from procurement.deliveries.states import DELIVERY_STATES, EVIDENCE_KINDS, RESULTS, SAMPLE_STATES
from procurement.projects.services import get_project

OPENAPI = openapi.Operations()  # registered by wiring.register(app)
TAG = ["deliveries"]
NOT_FOUND = error("No such project, order line, delivery or sample (or not visible to you)")


def path_id(name: str) -> list[dict]:
    return [{"name": name, "in": "path", "required": True, "schema": ID_SCHEMA}]


def sample_json(s) -> dict:
    from procurement.inspections.models import Rectification

    rect_id = (db.session.execute(select(Rectification.id).where(Rectification.delivery_sample_id == s.id))
               .scalar_one_or_none() if s.rectification_ref else None)
    return {"id": s.id, "lab_name": s.lab_name, "sample_code": s.sample_code, "status": s.status,
            "sent_at": canonical_time(s.sent_at), "report_number": s.report_number or None,
            "findings": s.findings or None, "rectification": s.rectification_ref or None,
            "rectification_id": rect_id}


def delivery_json(d) -> dict:
    return {"id": d.id, "reference": d.reference, "project_id": d.project_id, "order_id": d.order_id,
            "order_reference": d.order.reference, "order_line_id": d.order_line_id, "product_id": d.product_id,
            "supplier_org_id": d.supplier_org_id, "quantity_milli": d.quantity_milli, "unit": d.unit,
            "batch_number": d.batch_number, "delivered_on": d.delivered_on.isoformat(),
            "delivery_note_sha256": d.delivery_note.sha256, "evidence_kind": d.evidence_kind,
            "evidence_number": d.evidence_number, "status": d.status,
            "checks": [{"name": c["name"], "passed": c["passed"], "message": render_payload_english(c["message"])}
                       for c in d.checks or []],
            "recorded_at": canonical_time(d.recorded_at),
            "decided_at": canonical_time(d.decided_at) if d.decided_at else None,
            "decision_reason": d.decision_reason or None, "samples": [sample_json(s) for s in d.samples]}


SAMPLE = {"type": "object", "required": ["id", "status"], "properties": {
    "id": {"type": "integer"}, "lab_name": {"type": "string"}, "sample_code": {"type": "string"},
    "status": {"type": "string", "enum": list(SAMPLE_STATES)}, "sent_at": {"type": "string", "format": "date-time"},
    "report_number": {"type": "string", "nullable": True}, "findings": {"type": "string", "nullable": True},
    "rectification": {"type": "string", "nullable": True},
    "rectification_id": {"type": "integer", "nullable": True,
                         "description": "The notice a failed sample issued (GET /rectifications/{id})"}}}
OPENAPI.schema("DeliverySample", SAMPLE)
OPENAPI.schema("Delivery", {"type": "object", "required": ["id", "reference", "status", "checks"], "properties": {
    "id": {"type": "integer"}, "reference": {"type": "string"}, "project_id": {"type": "integer"},
    "order_id": {"type": "integer"}, "order_reference": {"type": "string"}, "order_line_id": {"type": "integer"},
    "product_id": {"type": "integer"}, "supplier_org_id": {"type": "integer"},
    "quantity_milli": {"type": "integer"}, "unit": {"type": "string"}, "batch_number": {"type": "string"},
    "delivered_on": {"type": "string", "format": "date"}, "delivery_note_sha256": {"type": "string"},
    "evidence_kind": {"type": "string", "enum": list(EVIDENCE_KINDS)}, "evidence_number": {"type": "string"},
    "status": {"type": "string", "enum": list(DELIVERY_STATES)},
    "checks": {"type": "array", "items": {"type": "object", "required": ["name", "passed", "message"], "properties": {
        "name": {"type": "string"}, "passed": {"type": "boolean"}, "message": {"type": "string"}}}},
    "recorded_at": {"type": "string", "format": "date-time"},
    "decided_at": {"type": "string", "format": "date-time", "nullable": True},
    "decision_reason": {"type": "string", "nullable": True},
    "samples": {"type": "array", "items": ref("DeliverySample")}}})
OPENAPI.schema("DeliveryReason", {"type": "object", "properties": {
    "reason": {"type": "string", "maxLength": services.REASON_MAX}}})
OPENAPI.schema("DeliverySampleSent", {"type": "object", "required": ["lab_name", "sample_code"], "properties": {
    "lab_name": {"type": "string", "maxLength": 200}, "sample_code": {"type": "string", "maxLength": 80}}})
OPENAPI.schema("DeliveryLabReport", {"type": "object", "required": ["result", "report_number"], "properties": {
    "result": {"type": "string", "enum": list(RESULTS)}, "report_number": {"type": "string", "maxLength": 80},
    "findings": {"type": "string", "maxLength": 4000, "description": "Required when the result is failed"},
    "required_actions": {"type": "string", "maxLength": 4000,
                         "description": "When failed: what the supplier must do (the rectification notice)"},
    "deadline": {"type": "string", "format": "date",
                 "description": "When failed: the notice's deadline (China date, today to a year ahead)"}}})
ONE = {"type": "object", "required": ["delivery"], "properties": {"delivery": ref("Delivery")}}


def responses(description, *, status="200", schema=ONE, conflict=None) -> dict:
    return ok_responses(description, status, schema, conflict=conflict, not_found=NOT_FOUND)


@api_bp.get("/projects/<int:project_id>/deliveries")
@api_auth()
def project_deliveries(project_id):
    project = get_project(g.api_user, project_id)
    return jsonify({"items": [delivery_json(d) for d in services.project_deliveries(project.id)]})


OPENAPI.spec("/projects/{project_id}/deliveries", "get", {
    "summary": "The project's deliveries with their automatic checks and samples", "tags": TAG,
    "parameters": path_id("project_id"),
    "responses": responses("Deliveries", schema={"type": "object", "required": ["items"], "properties": {
        "items": {"type": "array", "items": ref("Delivery")}}})})


@api_bp.get("/suppliers/me/deliveries")
@api_auth()
def my_deliveries():
    """A supplier's own deliveries (it does not see the projects themselves)."""
    org_id = getattr(g.api_user, "organisation_id", None)
    rows = db.session.execute(select(Delivery).where(Delivery.supplier_org_id == (org_id or 0))
                              .order_by(Delivery.id.desc()).limit(200)).unique().scalars()
    return jsonify({"items": [delivery_json(d) for d in rows if policy.is_order_supplier(g.api_user, d.order)]})


OPENAPI.spec("/suppliers/me/deliveries", "get", {
    "summary": "Your firm's deliveries (newest 200)", "tags": TAG,
    "responses": responses("Deliveries", schema={"type": "object", "required": ["items"], "properties": {
        "items": {"type": "array", "items": ref("Delivery")}}})})


@api_bp.post("/order-lines/<int:order_line_id>/deliveries")
@api_auth()
def record_delivery(order_line_id):
    upload = request.files.get("delivery_note")
    delivery = services.record_delivery(g.api_user, order_line_id, request.form.to_dict(),
                                        upload.stream if upload else None, upload.filename if upload else "")
    return jsonify({"delivery": delivery_json(services.get_delivery(delivery.id))}), 201


OPENAPI.spec("/order-lines/{order_line_id}/deliveries", "post", {
    "summary": "Record a delivery against an order line (the order's supplier or the site manager); refused "
               "with each failed automatic check on its field", "tags": TAG, "parameters": path_id("order_line_id"),
    "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["product_id", "quantity", "batch_number", "delivered_on", "evidence_kind",
                                       "evidence_number", "delivery_note"],
        "properties": {"product_id": {"type": "integer"}, "quantity": {"type": "string"},
                       "unit": {"type": "string"}, "batch_number": {"type": "string", "maxLength": 80},
                       "delivered_on": {"type": "string", "format": "date"},
                       "evidence_kind": {"type": "string", "enum": list(EVIDENCE_KINDS)},
                       "evidence_number": {"type": "string", "maxLength": 80},
                       "delivery_note": {"type": "string", "format": "binary"}}}}}},
    "responses": responses("The delivery recorded", status="201",
                           conflict="The order takes no deliveries now, or a concurrent change")})


@api_bp.get("/deliveries/<int:delivery_id>")
@api_auth()
def delivery(delivery_id):
    return jsonify({"delivery": delivery_json(services.visible_delivery(g.api_user, delivery_id))})


OPENAPI.spec("/deliveries/{delivery_id}", "get", {
    "summary": "One delivery", "tags": TAG, "parameters": path_id("delivery_id"),
    "responses": responses("The delivery")})


def _decide(delivery_id, accept: bool):
    data = json_body() if request.content_length else {}
    found = services.decide(g.api_user, delivery_id, accept=accept, reason=data.get("reason"))
    return jsonify({"delivery": delivery_json(services.get_delivery(found.id))})


@api_bp.post("/deliveries/<int:delivery_id>/accept")
@api_auth()
def accept(delivery_id):
    return _decide(delivery_id, True)


@api_bp.post("/deliveries/<int:delivery_id>/reject")
@api_auth()
def reject(delivery_id):
    return _decide(delivery_id, False)


for _action, _summary in (("accept", "The site manager accepts the delivery (reason optional)"),
                          ("reject", "The site manager rejects the delivery (reason required)")):
    OPENAPI.spec(f"/deliveries/{{delivery_id}}/{_action}", "post", {
        "summary": _summary, "tags": TAG, "parameters": path_id("delivery_id"),
        "requestBody": {"required": False, "content": {"application/json": {"schema": ref("DeliveryReason")}}},
        "responses": responses("The delivery", conflict="Not possible in the delivery's status")})


@api_bp.post("/deliveries/<int:delivery_id>/samples")
@api_auth()
def send_sample(delivery_id):
    sample = services.send_sample(g.api_user, delivery_id, json_body())
    return jsonify({"delivery": delivery_json(services.get_delivery(sample.delivery_id))}), 201


OPENAPI.spec("/deliveries/{delivery_id}/samples", "post", {
    "summary": "A sample of the delivery is sent to a testing lab", "tags": TAG,
    "parameters": path_id("delivery_id"), "requestBody": body_ref("DeliverySampleSent"),
    "responses": responses("The delivery, waiting for the lab", status="201",
                           conflict="Not possible in the delivery's status")})


@api_bp.post("/delivery-samples/<int:sample_id>/report")
@api_auth()
def lab_report(sample_id):
    sample = services.record_lab_report(g.api_user, sample_id, json_body())
    if sample is None:
        raise NotFound(N_("No such sample."))
    return jsonify({"delivery": delivery_json(services.get_delivery(sample.delivery_id))})


OPENAPI.spec("/delivery-samples/{sample_id}/report", "post", {
    "summary": "The lab's report on a sample (a failed sample rejects the delivery and opens a rectification)",
    "tags": TAG, "parameters": path_id("sample_id"), "requestBody": body_ref("DeliveryLabReport"),
    "responses": responses("The delivery", conflict="The sample already has its report")})
