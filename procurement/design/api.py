"""JSON API for the bill of materials: lines with satisfying products, add, change, remove."""

from __future__ import annotations

from flask import g, jsonify

from core import openapi
from core.api import api_auth, json_body
from procurement.blueprints import API_TAG, PROJECT_ID, api_bp, body_ref, ok_responses
from procurement.design import services as design_svc
from procurement.design.requirements import line_offers
from procurement.projects.services import get_project
from procurement.quantities import PURCHASE_UNITS, format_quantity

OPENAPI = openapi.Operations()  # registered by procurement.register(app)
LINE = PROJECT_ID + [{"name": "line_no", "in": "path", "required": True, "schema": {"type": "integer"}}]


def bom_line_json(line, offer: dict | None = None) -> dict:
    out = {
        "line_no": line.line_no, "category": line.category.code, "specification": line.specification,
        "quantity": format_quantity(line.quantity_milli), "unit": line.unit,
        "est_unit_price_fen": line.est_unit_price_fen, "total_fen": line.total_fen,
        "green_required": line.green_required, "tightenings": dict(line.tightenings or {}),
    }
    if offer is not None:
        out["products"] = {
            "count": offer["count"], "min_price_fen": offer["min_price_fen"], "max_price_fen": offer["max_price_fen"],
            "cheapest": [{"id": p.id, "sku": p.sku, "name": p.name, "price_fen": p.list_price_fen, "unit": p.unit}
                         for p in offer["products"]],
        }
    return out


OPENAPI.schema("BomLineInput", {"type": "object", "required": ["category", "specification", "quantity", "unit",
                                                               "est_unit_price_fen"], "properties": {
    "category": {"type": "string", "description": "category code"}, "specification": {"type": "string"},
    "quantity": {"type": "string", "description": "decimal, up to 3 places"},
    "unit": {"type": "string", "enum": list(PURCHASE_UNITS)},
    "est_unit_price_fen": {"type": "integer", "minimum": 0}, "green_required": {"type": "boolean"},
    "tightenings": {"type": "object", "description": "{indicator key: stricter limit}"}}})


@api_bp.get("/projects/<int:project_id>/bom")
@api_auth()
def get_bom(project_id):
    p = get_project(g.api_user, project_id)
    lines = design_svc.bill_lines(p.id)
    offers = line_offers(p, lines)
    return jsonify({"summary": design_svc.summary(p, lines),
                    "lines": [bom_line_json(ln, offers.get(ln.id)) for ln in lines]})


OPENAPI.spec("/projects/{project_id}/bom", "get", {
    "summary": "Bill of materials with the catalog products that satisfy each line and their price range",
    "tags": API_TAG, "parameters": PROJECT_ID, "responses": ok_responses("Lines and totals")})


@api_bp.post("/projects/<int:project_id>/bom")
@api_auth()
def add_bom_line(project_id):
    return jsonify(bom_line_json(design_svc.add_line(g.api_user, project_id, json_body()))), 201


OPENAPI.spec("/projects/{project_id}/bom", "post", {
    "summary": "Add a bill line (design stage, purchaser); a looser limit than the standard is refused",
    "tags": API_TAG, "parameters": PROJECT_ID, "requestBody": body_ref("BomLineInput"),
    "responses": {**ok_responses("Created", "201"), "409": {"description": "Not in the design stage"}}})


@api_bp.patch("/projects/<int:project_id>/bom/<int:line_no>")
@api_auth()
def update_bom_line(project_id, line_no):
    return jsonify(bom_line_json(design_svc.update_line(g.api_user, project_id, line_no, json_body())))


@api_bp.delete("/projects/<int:project_id>/bom/<int:line_no>")
@api_auth()
def delete_bom_line(project_id, line_no):
    design_svc.delete_line(g.api_user, project_id, line_no)
    return "", 204


OPENAPI.spec("/projects/{project_id}/bom/{line_no}", "patch", {
    "summary": "Change a bill line", "tags": API_TAG, "parameters": LINE, "requestBody": body_ref("BomLineInput"),
    "responses": {**ok_responses("The line"), "409": {"description": "Not in the design stage"}}})
OPENAPI.spec("/projects/{project_id}/bom/{line_no}", "delete", {
    "summary": "Remove a bill line", "tags": API_TAG, "parameters": LINE,
    "responses": {**ok_responses("Removed", "204"), "404": {"description": "No such project or line"}}})
