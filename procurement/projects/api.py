"""JSON API for projects: list, register, read, edit (under /api/v1/projects).

Amounts are integer fen, shares integer basis points (1/100 %), quantities decimal strings.
Errors: ``{"error": {"code", "message", "fields"}}``.
"""

from __future__ import annotations

from flask import g, jsonify, request

from core import openapi
from core.api import api_auth, json_body
from core.errors import ValidationError
from core.hashchain import canonical_time
from core.i18n import N_
from core.web import page_number
from procurement.blueprints import (API_TAG, ID_SCHEMA, PROJECT_ID, api_bp, body_ref, error, json_response,
                                    ok_responses, ref)
from procurement.budget.api import budget_json
from procurement.budget.models import BUDGET_STATUSES
from procurement.machine.policy import available_transitions
from procurement.machine.stages import KINDS, STAGES
from procurement.projects import services as project_svc
from procurement.projects.models import BUILDING_TYPES, PERSON_ROLES
from procurement.projects.services import MAX_PEOPLE
from procurement.quantities import MAX_FLOOR_AREA_M2

OPENAPI = openapi.Operations()  # registered by procurement.register(app)


def project_json(p, *, detail: bool = False) -> dict:
    out = {
        "id": p.id, "code": p.code, "name": p.name, "stage": p.stage,
        "city": p.city.code, "purchaser": {"id": p.purchaser_org_id, "name_en": p.purchaser.name_en,
                                           "name_zh": p.purchaser.name_zh},
        "building_type": p.building_type, "floor_area_m2": p.floor_area_m2, "green_star_target": p.green_star_target,
        "registered_on": p.registered_on.isoformat(),
        "standard": {"edition": p.standard_edition.code, "version_at_registration": p.standard_version.number},
        "stage_changed_at": canonical_time(p.stage_changed_at),
    }
    if detail:
        out["description"] = p.description
        out["people"] = [{"role": x.role, "name": x.name, "phone": x.phone} for x in p.people]
        out["budget"] = budget_json(p.budget)
        out["records"] = {"count": p.record_count, "head_hash": p.record_head_hash}
    return out


PERSON = {"type": "object", "required": ["role", "name"], "properties": {
    "role": {"type": "string", "enum": list(PERSON_ROLES)}, "name": {"type": "string", "maxLength": 120},
    "phone": {"type": "string", "maxLength": 40}}}
OPENAPI.schema("Project", {"type": "object", "required": ["id", "code", "name", "stage", "city", "building_type"],
                           "properties": {
    "id": ID_SCHEMA, "code": {"type": "string"}, "name": {"type": "string"},
    "stage": {"type": "string", "enum": list(STAGES)}, "city": {"type": "string"},
    "purchaser": {"type": "object", "properties": {"id": {"type": "integer"}, "name_en": {"type": "string"},
                                                   "name_zh": {"type": "string"}}},
    "building_type": {"type": "string", "enum": list(BUILDING_TYPES)},
    "floor_area_m2": {"type": "integer", "minimum": 1, "maximum": MAX_FLOOR_AREA_M2},
    "green_star_target": {"type": "integer", "minimum": 0, "maximum": 3},
    "registered_on": {"type": "string", "format": "date"},
    "standard": {"type": "object", "properties": {"edition": {"type": "string"},
                                                  "version_at_registration": {"type": "integer"}}},
    "stage_changed_at": {"type": "string", "format": "date-time"}}})
OPENAPI.schema("ProjectDetail", {"allOf": [ref("Project"), {"type": "object", "properties": {
    "description": {"type": "string"}, "people": {"type": "array", "items": PERSON},
    "budget": {"allOf": [ref("Budget")], "nullable": True},
    "records": {"type": "object", "properties": {"count": {"type": "integer", "minimum": 0},
                                                 "head_hash": {"type": "string"}}},
    "available_transitions": {"type": "array", "items": {"type": "object", "properties": {
        "to": {"type": "string", "enum": list(STAGES)}, "kind": {"type": "string", "enum": list(KINDS)}}}}}}]})
PROJECT_FIELDS = {
    "name": {"type": "string", "minLength": 1, "maxLength": 200}, "description": {"type": "string", "maxLength": 5000},
    "building_type": {"type": "string", "enum": list(BUILDING_TYPES)},
    "floor_area_m2": {"type": "integer", "minimum": 1, "maximum": MAX_FLOOR_AREA_M2},
    "green_star_target": {"type": "integer", "minimum": 0, "maximum": 3},
    "people": {"type": "array", "maxItems": MAX_PEOPLE, "items": PERSON}}
OPENAPI.schema("ProjectInput", {"type": "object", "required": ["name", "building_type", "floor_area_m2"],
                                "properties": PROJECT_FIELDS})
OPENAPI.schema("ProjectChanges", {"type": "object", "properties": PROJECT_FIELDS,
                                  "description": "Only the fields given change."})


@api_bp.get("/projects")
@api_auth()
def list_projects():
    stage = request.args.get("stage") or None
    if stage is not None and stage not in STAGES:
        raise ValidationError(N_("Unknown stage."), {"stage": (N_("One of %(values)s."), {"values": ", ".join(STAGES)})})
    budget_status = request.args.get("budget_status") or None
    if budget_status is not None and budget_status not in BUDGET_STATUSES:
        raise ValidationError(N_("Unknown budget status."),
                              {"budget_status": (N_("One of %(values)s."), {"values": ", ".join(BUDGET_STATUSES)})})
    page = page_number(request.args)
    rows, total = project_svc.list_projects(g.api_user, stage=stage, budget_status=budget_status, page=page)
    return jsonify({"items": [project_json(p) for p in rows], "total": total, "page": page})


OPENAPI.spec("/projects", "get", {"summary": "Projects visible to you", "tags": API_TAG, "parameters": [
    {"name": "stage", "in": "query", "schema": {"type": "string", "enum": list(STAGES)}},
    {"name": "budget_status", "in": "query", "schema": {"type": "string", "enum": list(BUDGET_STATUSES)},
     "description": "submitted = awaiting the finance office's review"},
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1},
     "description": "1-based; out-of-range or malformed values are clamped to the nearest page"}],
    "responses": {"200": json_response("A page of projects (25 a page), newest first", {
        "type": "object", "required": ["items", "total", "page"], "properties": {
            "items": {"type": "array", "items": ref("Project")}, "total": {"type": "integer", "minimum": 0},
            "page": {"type": "integer", "minimum": 1}}})}})


@api_bp.post("/projects")
@api_auth()
def create_project():
    p = project_svc.create_project(g.api_user, json_body())
    return jsonify(project_json(p, detail=True)), 201


OPENAPI.spec("/projects", "post", {
    "summary": "Register a project (purchasers of a verified purchasing organisation with a city)", "tags": API_TAG,
    "requestBody": body_ref("ProjectInput"),
    "responses": {"201": json_response("Registered", "ProjectDetail"),
                  "403": error("Not a purchaser of a verified purchasing organisation")}})


@api_bp.get("/projects/<int:project_id>")
@api_auth()
def get_project(project_id):
    p = project_svc.get_project(g.api_user, project_id)
    body = project_json(p, detail=True)
    body["available_transitions"] = [{"to": t.to_stage, "kind": t.kind} for t in available_transitions(g.api_user, p)]
    return jsonify(body)


OPENAPI.spec("/projects/{project_id}", "get", {"summary": "One project with budget and people", "tags": API_TAG,
                                                "parameters": PROJECT_ID,
                                                "responses": ok_responses("The project", schema="ProjectDetail")})


@api_bp.patch("/projects/<int:project_id>")
@api_auth()
def update_project(project_id):
    p = project_svc.update_project(g.api_user, project_id, json_body())
    return jsonify(project_json(p, detail=True))


OPENAPI.spec("/projects/{project_id}", "patch", {
    "summary": "Edit a project's descriptive fields (its purchaser, until the project is closed); only the fields "
               "given change", "tags": API_TAG, "parameters": PROJECT_ID,
    "requestBody": body_ref("ProjectChanges"),
    "responses": ok_responses("The updated project", schema="ProjectDetail")})
