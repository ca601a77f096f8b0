"""JSON API for a project's budget: read, submit, approve, return."""

from __future__ import annotations

from flask import g, jsonify, request

from core import openapi
from core.api import api_auth, json_body
from core.errors import ValidationError
from core.hashchain import canonical_time
from core.i18n import N_
from core.money import MAX_FEN
from procurement.blueprints import API_TAG, PROJECT_ID, api_bp, body_ref, ok_responses, ref
from procurement.budget import services as budget_svc
from procurement.budget.models import BUDGET_STATUSES, FUNDING_KINDS
from procurement.budget.services import COMMENT_MAX, COMMENT_MIN, MAX_FUNDING_SOURCES
from procurement.projects.services import get_project

OPENAPI = openapi.Operations()  # registered by procurement.register(app)


def budget_json(b) -> dict | None:
    if b is None:
        return None
    return {
        "status": b.status, "revision": b.revision, "total_fen": b.total_fen, "green_share_bp": b.green_share_bp,
        "funding_total_fen": b.funding_total_fen,
        "funding_sources": [{"kind": f.kind, "description": f.description, "amount_fen": f.amount_fen}
                            for f in b.funding_sources],
        "submitted_at": canonical_time(b.submitted_at), "reviewed_at": canonical_time(b.reviewed_at),
        "review_comment": b.review_comment,
    }


FUNDING = {"type": "object", "required": ["kind", "amount_fen"], "properties": {
    "kind": {"type": "string", "enum": list(FUNDING_KINDS)}, "description": {"type": "string", "maxLength": 200},
    "amount_fen": {"type": "integer", "minimum": 1, "maximum": MAX_FEN}}}
OPENAPI.schema("Budget", {"type": "object", "required": ["status", "revision", "total_fen"], "properties": {
    "status": {"type": "string", "enum": list(BUDGET_STATUSES)}, "revision": {"type": "integer", "minimum": 1},
    "total_fen": {"type": "integer", "minimum": 1, "maximum": MAX_FEN},
    "green_share_bp": {"type": "integer", "minimum": 0, "maximum": 10000},
    "funding_total_fen": {"type": "integer", "minimum": 0},
    "funding_sources": {"type": "array", "items": FUNDING},
    "submitted_at": {"type": "string", "format": "date-time"},
    "reviewed_at": {"type": "string", "format": "date-time", "nullable": True},
    "review_comment": {"type": "string"}}})
OPENAPI.schema("BudgetInput", {"type": "object", "required": ["total_fen", "green_share_bp", "funding_sources"],
                               "properties": {
    "total_fen": {"type": "integer", "minimum": 1, "maximum": MAX_FEN},
    "green_share_bp": {"type": "integer", "minimum": 0, "maximum": 10000},
    "funding_sources": {"type": "array", "minItems": 1, "maxItems": MAX_FUNDING_SOURCES, "items": FUNDING}}})
BUDGET_BODY = {"type": "object", "required": ["budget"], "properties": {"budget": ref("Budget")}}


@api_bp.get("/projects/<int:project_id>/budget")
@api_auth()
def get_budget(project_id):
    return jsonify({"budget": budget_json(get_project(g.api_user, project_id).budget)})


OPENAPI.spec("/projects/{project_id}/budget", "get", {
    "summary": "The project's budget (null before the first submission)", "tags": API_TAG, "parameters": PROJECT_ID,
    "responses": ok_responses("Budget or null", schema={"type": "object", "required": ["budget"], "properties": {
        "budget": {"allOf": [ref("Budget")], "nullable": True}}})})


@api_bp.put("/projects/<int:project_id>/budget")
@api_auth()
def submit_budget(project_id):
    return jsonify({"budget": budget_json(budget_svc.submit_budget(g.api_user, project_id, json_body()))})


OPENAPI.spec("/projects/{project_id}/budget", "put", {
    "summary": "Submit or resubmit the budget (purchaser; refused if over the funding total)", "tags": API_TAG,
    "parameters": PROJECT_ID, "requestBody": body_ref("BudgetInput"),
    "responses": ok_responses("Submitted budget", schema=BUDGET_BODY,
                              conflict="Not in the budget stage, or already submitted or approved")})


def _comment():
    body = json_body() if request.get_data() else {}
    comment = body.get("comment", "")
    if comment is not None and not isinstance(comment, str):
        raise ValidationError(N_("comment must be text."), {"comment": N_("Must be text.")})
    return comment


@api_bp.post("/projects/<int:project_id>/budget/approve")
@api_auth()
def approve_budget(project_id):
    return jsonify({"budget": budget_json(budget_svc.approve_budget(g.api_user, project_id, _comment()))})


@api_bp.post("/projects/<int:project_id>/budget/return")
@api_auth()
def return_budget(project_id):
    return jsonify({"budget": budget_json(budget_svc.return_budget(g.api_user, project_id, _comment()))})


for _action, _summary, _comment_rule in (
        ("approve", "Approve the submitted budget (city finance office)", {"maxLength": COMMENT_MAX}),
        ("return", "Return the submitted budget with a comment (city finance office)",
         {"minLength": COMMENT_MIN, "maxLength": COMMENT_MAX})):
    OPENAPI.spec(f"/projects/{{project_id}}/budget/{_action}", "post", {
        "summary": _summary, "tags": API_TAG, "parameters": PROJECT_ID,
        "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {
            "comment": {"type": "string", **_comment_rule}}}}}},
        "responses": ok_responses("Reviewed budget", schema=BUDGET_BODY,
                                  conflict="Not under review (not in the budget stage, none submitted, or already "
                                           "approved or returned)")})
