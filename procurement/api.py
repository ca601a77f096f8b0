"""JSON API for projects under /api/v1/projects. Same services as the web forms.

Amounts are integer fen, shares integer basis points (1/100 %), quantities decimal strings.
Errors: ``{"error": {"code", "message", "fields"}}``; a refused stage transition is 409
``gate_refused`` with ``error.checks`` listing every check result.
"""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from core import openapi
from core.api import api_auth, json_body
from core.errors import ValidationError
from core.extensions import db
from procurement import policy, serializers, stages
from procurement.models import BUDGET_STATUSES, BomLine
from procurement.services import budget as budget_svc
from procurement.services import design as design_svc
from procurement.services import documents as document_svc
from procurement.services import projects as project_svc
from procurement.services import records as record_svc
from procurement.services.transitions import preview_gates, request_transition

OPENAPI = openapi.Operations()  # registered by the package's register(app)

api_bp = Blueprint("projects_api", __name__, url_prefix="/api/v1")

_TAG = ["projects"]
_ID = [{"name": "project_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
_LINE = _ID + [{"name": "line_no", "in": "path", "required": True, "schema": {"type": "integer"}}]


def _ok(description):
    return {"200": {"description": description}, "403": {"description": "Not allowed"},
            "404": {"description": "No such project (or not visible to you)"}}


OPENAPI.schema("Project", {"type": "object", "properties": {
    "id": {"type": "integer"}, "code": {"type": "string"}, "name": {"type": "string"},
    "stage": {"type": "string", "enum": list(stages.STAGES)}, "city": {"type": "string"},
    "building_type": {"type": "string"}, "floor_area_m2": {"type": "integer"},
    "green_star_target": {"type": "integer", "minimum": 0, "maximum": 3}}})
OPENAPI.schema("ProjectInput", {"type": "object", "required": ["name", "building_type", "floor_area_m2"], "properties": {
    "name": {"type": "string", "maxLength": 200}, "description": {"type": "string"},
    "building_type": {"type": "string", "enum": ["school", "hospital", "office", "complex", "exhibition_centre",
                                                 "stadium", "affordable_housing", "urban_renewal"]},
    "floor_area_m2": {"type": "integer", "minimum": 1, "maximum": 2000000},
    "green_star_target": {"type": "integer", "minimum": 0, "maximum": 3},
    "people": {"type": "array", "items": {"type": "object", "properties": {
        "role": {"type": "string"}, "name": {"type": "string"}, "phone": {"type": "string"}}}}}})
OPENAPI.schema("BudgetInput", {"type": "object", "required": ["total_fen", "green_share_bp", "funding_sources"],
                               "properties": {
    "total_fen": {"type": "integer", "minimum": 1}, "green_share_bp": {"type": "integer", "minimum": 0, "maximum": 10000},
    "funding_sources": {"type": "array", "items": {"type": "object", "required": ["kind", "amount_fen"], "properties": {
        "kind": {"type": "string", "enum": ["general_budget", "government_fund", "special_bond", "central_transfer",
                                            "self_raised", "other"]},
        "description": {"type": "string"}, "amount_fen": {"type": "integer", "minimum": 1}}}}}})
OPENAPI.schema("BomLineInput", {"type": "object", "required": ["category", "specification", "quantity", "unit",
                                                               "est_unit_price_fen"], "properties": {
    "category": {"type": "string", "description": "category code"}, "specification": {"type": "string"},
    "quantity": {"type": "string", "description": "decimal, up to 3 places"},
    "unit": {"type": "string", "enum": ["m3", "m2", "m", "t", "kg", "L", "piece", "set"]},
    "est_unit_price_fen": {"type": "integer", "minimum": 0}, "green_required": {"type": "boolean"},
    "tightenings": {"type": "object", "description": "{indicator key: stricter limit}"}}})
OPENAPI.schema("TransitionInput", {"type": "object", "required": ["from", "to"], "properties": {
    "from": {"type": "string", "description": "the stage you expect the project to be in now"},
    "to": {"type": "string"}, "kind": {"type": "string", "enum": ["advance", "return"]},
    "reason": {"type": "string", "description": "required for a return"}}})


def _body_ref(name):
    return {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}}


@api_bp.get("/projects")
@api_auth()
def list_projects():
    stage = request.args.get("stage") or None
    if stage is not None and stage not in stages.STAGES:
        raise ValidationError("Unknown stage.", {"stage": f"One of {', '.join(stages.STAGES)}."})
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        raise ValidationError("page must be a number.", {"page": "Must be a whole number."}) from None
    budget_status = request.args.get("budget_status") or None
    if budget_status is not None and budget_status not in BUDGET_STATUSES:
        raise ValidationError("Unknown budget status.", {"budget_status": f"One of {', '.join(BUDGET_STATUSES)}."})
    rows, total = project_svc.list_projects(g.api_user, stage=stage, budget_status=budget_status, page=page)
    return jsonify({"items": [serializers.project(p) for p in rows], "total": total, "page": page})


OPENAPI.spec("/projects", "get", {"summary": "Projects visible to you", "tags": _TAG, "parameters": [
    {"name": "stage", "in": "query", "schema": {"type": "string"}},
    {"name": "budget_status", "in": "query", "schema": {"type": "string", "enum": ["submitted", "approved", "returned"]},
     "description": "submitted = awaiting the finance office's review"},
    {"name": "page", "in": "query", "schema": {"type": "integer"}}], "responses": _ok("A page of projects")})


@api_bp.post("/projects")
@api_auth()
def create_project():
    p = project_svc.create_project(g.api_user, json_body())
    return jsonify(serializers.project(p, detail=True)), 201


OPENAPI.spec("/projects", "post", {"summary": "Register a project (purchasers)", "tags": _TAG,
                                   "requestBody": _body_ref("ProjectInput"),
                                   "responses": {"201": {"description": "Created"}, "403": {"description": "Not a purchaser"}}})


@api_bp.get("/projects/<int:project_id>")
@api_auth()
def get_project(project_id):
    p = project_svc.get_project(g.api_user, project_id)
    body = serializers.project(p, detail=True)
    body["available_transitions"] = [{"to": t.to_stage, "kind": t.kind}
                                     for t in policy.available_transitions(g.api_user, p)]
    return jsonify(body)


OPENAPI.spec("/projects/{project_id}", "get", {"summary": "One project with budget and people", "tags": _TAG,
                                                "parameters": _ID, "responses": _ok("The project")})


@api_bp.patch("/projects/<int:project_id>")
@api_auth()
def update_project(project_id):
    p = project_svc.update_project(g.api_user, project_id, json_body())
    return jsonify(serializers.project(p, detail=True))


OPENAPI.spec("/projects/{project_id}", "patch", {"summary": "Edit a project's descriptive fields (its purchaser)",
                                                  "tags": _TAG, "parameters": _ID,
                                                  "requestBody": _body_ref("ProjectInput"),
                                                  "responses": _ok("The updated project")})


@api_bp.get("/projects/<int:project_id>/budget")
@api_auth()
def get_budget(project_id):
    p = project_svc.get_project(g.api_user, project_id)
    return jsonify({"budget": serializers.budget(p.budget)})


OPENAPI.spec("/projects/{project_id}/budget", "get", {"summary": "The project's budget", "tags": _TAG,
                                                       "parameters": _ID, "responses": _ok("Budget or null")})


@api_bp.put("/projects/<int:project_id>/budget")
@api_auth()
def submit_budget(project_id):
    b = budget_svc.submit_budget(g.api_user, project_id, json_body())
    return jsonify({"budget": serializers.budget(b)})


OPENAPI.spec("/projects/{project_id}/budget", "put", {
    "summary": "Submit or resubmit the budget (purchaser; refused if over the funding total)", "tags": _TAG,
    "parameters": _ID, "requestBody": _body_ref("BudgetInput"),
    "responses": {**_ok("Submitted budget"), "409": {"description": "Already submitted or approved"}}})


def _comment():
    body = json_body() if request.get_data() else {}
    comment = body.get("comment", "")
    if comment is not None and not isinstance(comment, str):
        raise ValidationError("comment must be text.", {"comment": "Must be text."})
    return comment


@api_bp.post("/projects/<int:project_id>/budget/approve")
@api_auth()
def approve_budget(project_id):
    b = budget_svc.approve_budget(g.api_user, project_id, _comment())
    return jsonify({"budget": serializers.budget(b)})


@api_bp.post("/projects/<int:project_id>/budget/return")
@api_auth()
def return_budget(project_id):
    b = budget_svc.return_budget(g.api_user, project_id, _comment())
    return jsonify({"budget": serializers.budget(b)})


for _action, _summary in (("approve", "Approve the submitted budget (city finance office)"),
                          ("return", "Return the submitted budget with a comment (city finance office)")):
    OPENAPI.spec(f"/projects/{{project_id}}/budget/{_action}", "post", {
        "summary": _summary, "tags": _TAG, "parameters": _ID,
        "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {
            "comment": {"type": "string"}}}}}},
        "responses": {**_ok("Reviewed budget"), "409": {"description": "Not under review (e.g. already approved)"}}})


def _lines(project):
    return list(db.session.execute(db.select(BomLine).where(BomLine.project_id == project.id)
                                   .order_by(BomLine.line_no)).scalars())


@api_bp.get("/projects/<int:project_id>/bom")
@api_auth()
def get_bom(project_id):
    p = project_svc.get_project(g.api_user, project_id)
    lines = _lines(p)
    offers = design_svc.line_offers(p, lines)
    return jsonify({"summary": design_svc.summary(p, lines),
                    "lines": [serializers.bom_line(ln, offers.get(ln.id)) for ln in lines]})


OPENAPI.spec("/projects/{project_id}/bom", "get", {
    "summary": "Bill of materials with the catalog products that satisfy each line and their price range",
    "tags": _TAG, "parameters": _ID, "responses": _ok("Lines and totals")})


@api_bp.post("/projects/<int:project_id>/bom")
@api_auth()
def add_bom_line(project_id):
    line = design_svc.add_line(g.api_user, project_id, json_body())
    return jsonify(serializers.bom_line(line)), 201


OPENAPI.spec("/projects/{project_id}/bom", "post", {
    "summary": "Add a bill line (design stage, purchaser); a looser limit than the standard is refused",
    "tags": _TAG, "parameters": _ID, "requestBody": _body_ref("BomLineInput"),
    "responses": {"201": {"description": "Created"}, "409": {"description": "Not in the design stage"}}})


@api_bp.patch("/projects/<int:project_id>/bom/<int:line_no>")
@api_auth()
def update_bom_line(project_id, line_no):
    line = design_svc.update_line(g.api_user, project_id, line_no, json_body())
    return jsonify(serializers.bom_line(line))


@api_bp.delete("/projects/<int:project_id>/bom/<int:line_no>")
@api_auth()
def delete_bom_line(project_id, line_no):
    design_svc.delete_line(g.api_user, project_id, line_no)
    return "", 204


OPENAPI.spec("/projects/{project_id}/bom/{line_no}", "patch", {
    "summary": "Change a bill line", "tags": _TAG, "parameters": _LINE, "requestBody": _body_ref("BomLineInput"),
    "responses": _ok("The line")})
OPENAPI.spec("/projects/{project_id}/bom/{line_no}", "delete", {
    "summary": "Remove a bill line", "tags": _TAG, "parameters": _LINE,
    "responses": {"204": {"description": "Removed"}, "404": {"description": "No such line"}}})


@api_bp.get("/projects/<int:project_id>/transitions")
@api_auth()
def list_transitions(project_id):
    p = project_svc.get_project(g.api_user, project_id)
    return jsonify({
        "stage": p.stage,
        "available": [{"to": t.to_stage, "kind": t.kind} for t in policy.available_transitions(g.api_user, p)],
        "next_gates": [c.to_dict() for c in preview_gates(g.api_user, p)],
    })


OPENAPI.spec("/projects/{project_id}/transitions", "get", {
    "summary": "Moves you may request now, and a dry run of the next stage's gate checks", "tags": _TAG,
    "parameters": _ID, "responses": _ok("Available moves and gate preview")})


@api_bp.post("/projects/<int:project_id>/transitions")
@api_auth()
def transition(project_id):
    body = json_body()
    for key in ("from", "to"):
        if not isinstance(body.get(key), str):
            raise ValidationError(f"'{key}' is required.", {key: "Give a stage name."})
    p = request_transition(g.api_user, project_id, to_stage=body["to"], expected_stage=body["from"],
                           kind=body.get("kind") or stages.ADVANCE, reason=body.get("reason"))
    return jsonify(serializers.project(p, detail=True))


OPENAPI.spec("/projects/{project_id}/transitions", "post", {
    "summary": "Advance the project one stage (gates run) or return it one stage with a reason", "tags": _TAG,
    "parameters": _ID, "requestBody": _body_ref("TransitionInput"),
    "responses": {**_ok("The moved project"),
                  "409": {"description": "gate_refused (error.checks lists every check) or the project moved meanwhile"}}})


@api_bp.get("/projects/<int:project_id>/records")
@api_auth()
def records(project_id):
    p = project_svc.get_project(g.api_user, project_id)
    result = record_svc.verify_project(p)
    return jsonify({"project": serializers.project(p), "chain_intact": result.ok,
                    "problem": str(result.problem) if result.problem else None,
                    "records": [serializers.record(r) for r in record_svc.timeline(p)]})


OPENAPI.spec("/projects/{project_id}/records", "get", {
    "summary": "The project's closed-loop record (hash-chained timeline) and whether the chain is intact",
    "tags": _TAG, "parameters": _ID, "responses": _ok("Records, oldest first")})


def _document(link) -> dict:
    return {"id": link.id, "kind": link.kind, "title": link.title, "stage": link.stage,
            "name": link.document.original_name, "sha256": link.document.sha256, "size": link.document.size,
            "content_type": link.document.content_type, "uploaded_by": getattr(link.uploaded_by, "name", None),
            "created_at": link.created_at.isoformat()}


@api_bp.get("/projects/<int:project_id>/documents")
@api_auth()
def list_documents(project_id):
    p = project_svc.get_project(g.api_user, project_id)
    return jsonify({"items": [_document(d) for d in document_svc.project_documents(p)]})


@api_bp.post("/projects/<int:project_id>/documents")
@api_auth()
def attach_document(project_id):
    upload = request.files.get("file")
    if upload is None:
        raise ValidationError("Send the file as multipart/form-data field 'file'.", {"file": "Required."})
    link = document_svc.attach_document(g.api_user, project_id, upload.stream, upload.filename or "",
                                        kind=request.form.get("kind", ""), title=request.form.get("title", ""))
    return jsonify(_document(link)), 201


OPENAPI.spec("/projects/{project_id}/documents", "get", {
    "summary": "Documents attached to the project (with SHA-256)", "tags": _TAG, "parameters": _ID,
    "responses": _ok("Documents")})
OPENAPI.spec("/projects/{project_id}/documents", "post", {
    "summary": "Attach a PDF/JPEG/PNG document (purchaser or city officials); recorded with its SHA-256",
    "tags": _TAG, "parameters": _ID,
    "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file", "kind", "title"], "properties": {
            "file": {"type": "string", "format": "binary"},
            "kind": {"type": "string", "enum": ["budget_approval", "design_drawings", "design_review",
                                                "bill_of_quantities", "other"]},
            "title": {"type": "string", "maxLength": 200}}}}}},
    "responses": {"201": {"description": "Attached"}, "403": {"description": "Not allowed"}}})


