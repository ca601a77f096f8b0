"""JSON API for the bill of materials: lines with satisfying products, add, change, remove."""

from __future__ import annotations

from flask import g, jsonify

from core import openapi
from core.api import api_auth, json_body
from procurement.blueprints import API_TAG, ID_SCHEMA, PROJECT_ID, api_bp, body_ref, error, ok_responses, ref
from procurement.design import services as design_svc
from procurement.design.lines import SPECIFICATION_MAX
from procurement.design.requirements import MAX_TIGHTENINGS, line_offers
from procurement.projects.services import get_project
from procurement.quantities import MAX_UNIT_PRICE_FEN, PURCHASE_UNITS, format_quantity

OPENAPI = openapi.Operations()  # registered by procurement.register(app)
LINE = PROJECT_ID + [{"name": "line_no", "in": "path", "required": True, "schema": ID_SCHEMA}]


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


LINE_FIELDS = {
    "category": {"type": "string", "description": "category code (part of the project's standard edition)"},
    "specification": {"type": "string", "minLength": 1, "maxLength": SPECIFICATION_MAX},
    "quantity": {"type": "string", "description": "decimal, > 0, at most 10^9, up to 3 places"},
    "unit": {"type": "string", "enum": list(PURCHASE_UNITS),
             "description": "must convert to the category's unit (a category priced per tonne takes t or kg)"},
    "est_unit_price_fen": {"type": "integer", "minimum": 0, "maximum": MAX_UNIT_PRICE_FEN},
    "green_required": {"type": "boolean", "description": "always true for mandatory categories"},
    "tightenings": {"type": "object", "maxProperties": MAX_TIGHTENINGS,
                    "description": "{indicator key: stricter limit}; a looser limit is refused"}}
OPENAPI.schema("BomLineInput", {"type": "object", "required": ["category", "specification", "quantity", "unit",
                                                               "est_unit_price_fen"], "properties": LINE_FIELDS})
OPENAPI.schema("BomLineChanges", {"type": "object", "properties": LINE_FIELDS,
                                  "description": "Only the fields given change."})
PRODUCT = {"type": "object", "properties": {
    "id": {"type": "integer"}, "sku": {"type": "string"}, "name": {"type": "string"},
    "price_fen": {"type": "integer", "minimum": 0}, "unit": {"type": "string"}}}
OPENAPI.schema("BomLine", {"type": "object", "required": ["line_no", "category", "quantity", "unit"], "properties": {
    "line_no": {"type": "integer", "minimum": 1}, "category": {"type": "string"}, "specification": {"type": "string"},
    "quantity": {"type": "string"}, "unit": {"type": "string", "enum": list(PURCHASE_UNITS)},
    "est_unit_price_fen": {"type": "integer", "minimum": 0}, "total_fen": {"type": "integer", "minimum": 0},
    "green_required": {"type": "boolean"}, "tightenings": {"type": "object"},
    "products": {"type": "object", "description": "catalog products that satisfy the line now (GET /bom only)",
                 "properties": {"count": {"type": "integer", "minimum": 0},
                                "min_price_fen": {"type": "integer", "nullable": True},
                                "max_price_fen": {"type": "integer", "nullable": True},
                                "cheapest": {"type": "array", "items": PRODUCT}}}}})
STAGE_CONFLICT = "The project is not in the design stage"


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
    "tags": API_TAG, "parameters": PROJECT_ID, "responses": ok_responses("Lines and totals", schema={
        "type": "object", "required": ["summary", "lines"], "properties": {
            "summary": {"type": "object", "properties": {
                "lines": {"type": "integer", "minimum": 0}, "total_fen": {"type": "integer", "minimum": 0},
                "total": {"type": "string"}, "budget_fen": {"type": "integer", "nullable": True},
                "within_budget": {"type": "boolean", "nullable": True}}},
            "lines": {"type": "array", "items": ref("BomLine")}}})})


@api_bp.post("/projects/<int:project_id>/bom")
@api_auth()
def add_bom_line(project_id):
    return jsonify(bom_line_json(design_svc.add_line(g.api_user, project_id, json_body()))), 201


OPENAPI.spec("/projects/{project_id}/bom", "post", {
    "summary": "Add a bill line (design stage, purchaser); a looser limit than the standard, or a unit that does not "
               "convert to the category's unit, is refused", "tags": API_TAG, "parameters": PROJECT_ID,
    "requestBody": body_ref("BomLineInput"),
    "responses": ok_responses("Created", "201", "BomLine", conflict=STAGE_CONFLICT)})


@api_bp.patch("/projects/<int:project_id>/bom/<int:line_no>")
@api_auth()
def update_bom_line(project_id, line_no):
    return jsonify(bom_line_json(design_svc.update_line(g.api_user, project_id, line_no, json_body())))


@api_bp.delete("/projects/<int:project_id>/bom/<int:line_no>")
@api_auth()
def delete_bom_line(project_id, line_no):
    design_svc.delete_line(g.api_user, project_id, line_no)
    return "", 204


NO_LINE = {"404": error("No such project (or not visible to you), or no such line")}
OPENAPI.spec("/projects/{project_id}/bom/{line_no}", "patch", {
    "summary": "Change a bill line", "tags": API_TAG, "parameters": LINE, "requestBody": body_ref("BomLineChanges"),
    "responses": {**ok_responses("The line", schema="BomLine", conflict=STAGE_CONFLICT), **NO_LINE}})
OPENAPI.spec("/projects/{project_id}/bom/{line_no}", "delete", {
    "summary": "Remove a bill line", "tags": API_TAG, "parameters": LINE,
    "responses": {**ok_responses("Removed", "204", conflict=STAGE_CONFLICT), **NO_LINE}})
