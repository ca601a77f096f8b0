"""JSON API for stage moves: the moves you may request with a dry run of their gates, and the
move itself (409 ``gate_refused`` with ``error.checks`` listing every check result)."""

from __future__ import annotations

from flask import g, jsonify

from core import openapi
from core.api import api_auth, json_body
from core.errors import ValidationError
from core.i18n import N_
from procurement.blueprints import API_TAG, PROJECT_ID, api_bp, body_ref, ok_responses, ref
from procurement.machine.services import check_json, move_options, preview_gates, request_transition
from procurement.machine.stages import ADVANCE, KINDS, REASON_MAX_LENGTH, REASON_MIN_LENGTH, STAGES
from procurement.projects.api import project_json
from procurement.projects.services import get_project

OPENAPI = openapi.Operations()  # registered by procurement.register(app)

OPENAPI.schema("TransitionInput", {"type": "object", "required": ["from", "to"], "properties": {
    "from": {"type": "string", "enum": list(STAGES), "description": "the stage you expect the project to be in now"},
    "to": {"type": "string", "enum": list(STAGES)}, "kind": {"type": "string", "enum": list(KINDS), "default": ADVANCE},
    "reason": {"type": "string", "maxLength": REASON_MAX_LENGTH,
               "description": f"required for a return (at least {REASON_MIN_LENGTH} characters)"}}})
OPENAPI.schema("CheckResult", {"type": "object", "required": ["name", "passed", "message"], "properties": {
    "name": {"type": "string"}, "passed": {"type": "boolean"}, "message": {"type": "string"},
    "details": {"type": "object"}}})
MOVE = {"type": "object", "required": ["to", "kind"], "properties": {
    "to": {"type": "string", "enum": list(STAGES)}, "kind": {"type": "string", "enum": list(KINDS)}}}


@api_bp.get("/projects/<int:project_id>/transitions")
@api_auth()
def list_transitions(project_id):
    p = get_project(g.api_user, project_id)
    options = move_options(g.api_user, p)
    return jsonify({
        "stage": p.stage,
        "available": [{"to": o.transition.to_stage, "kind": o.transition.kind} for o in options],
        "moves": [{"to": o.transition.to_stage, "kind": o.transition.kind, "blocked": o.blocked,
                   "failing": [c.name for c in o.failing]} for o in options],
        "next_gates": [check_json(c.to_dict()) for c in preview_gates(g.api_user, p)],
    })


OPENAPI.spec("/projects/{project_id}/transitions", "get", {
    "summary": "Moves you may request now (`moves`: blocked while any of its checks fails) and a dry run of "
               "the next stage's gate checks",
    "tags": API_TAG, "parameters": PROJECT_ID, "responses": ok_responses("Available moves and gate preview", schema={
        "type": "object", "required": ["stage", "available", "moves", "next_gates"], "properties": {
            "stage": {"type": "string", "enum": list(STAGES)}, "available": {"type": "array", "items": MOVE},
            "moves": {"type": "array", "items": {"allOf": [MOVE, {"type": "object", "properties": {
                "blocked": {"type": "boolean"}, "failing": {"type": "array", "items": {"type": "string"}}}}]}},
            "next_gates": {"type": "array", "items": ref("CheckResult")}}})})


@api_bp.post("/projects/<int:project_id>/transitions")
@api_auth()
def transition(project_id):
    body = json_body()
    for key in ("from", "to"):
        if not isinstance(body.get(key), str):
            raise ValidationError(N_("'%(key)s' is required."), {key: N_("Give a stage name.")}, key=key)
    p = request_transition(g.api_user, project_id, to_stage=body["to"], expected_stage=body["from"],
                           kind=body.get("kind") or ADVANCE, reason=body.get("reason"))
    return jsonify(project_json(p, detail=True))


OPENAPI.spec("/projects/{project_id}/transitions", "post", {
    "summary": "Advance the project one stage (gates run) or return it one stage with a reason", "tags": API_TAG,
    "parameters": PROJECT_ID, "requestBody": body_ref("TransitionInput"),
    "responses": ok_responses("The moved project", schema="ProjectDetail",
                              conflict="gate_refused (error.checks lists every check result) or the project is no "
                                       "longer in the `from` stage (moved meanwhile)")})
