"""JSON API for a project's budget: read, submit, approve, return."""

from __future__ import annotations

from flask import g, jsonify, request

from core import openapi
from core.api import api_auth, json_body
from core.errors import ValidationError
from core.hashchain import canonical_time
from core.i18n import N_
from procurement.blueprints import API_TAG, PROJECT_ID, api_bp, body_ref, ok_responses
from procurement.budget import services as budget_svc
from procurement.budget.models import FUNDING_KINDS
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


OPENAPI.schema("BudgetInput", {"type": "object", "required": ["total_fen", "green_share_bp", "funding_sources"],
                               "properties": {
    "total_fen": {"type": "integer", "minimum": 1}, "green_share_bp": {"type": "integer", "minimum": 0, "maximum": 10000},
    "funding_sources": {"type": "array", "items": {"type": "object", "required": ["kind", "amount_fen"], "properties": {
        "kind": {"type": "string", "enum": list(FUNDING_KINDS)},
        "description": {"type": "string"}, "amount_fen": {"type": "integer", "minimum": 1}}}}}})


@api_bp.get("/projects/<int:project_id>/budget")
@api_auth()
def get_budget(project_id):
    return jsonify({"budget": budget_json(get_project(g.api_user, project_id).budget)})


OPENAPI.spec("/projects/{project_id}/budget", "get", {"summary": "The project's budget", "tags": API_TAG,
                                                       "parameters": PROJECT_ID, "responses": ok_responses("Budget or null")})


@api_bp.put("/projects/<int:project_id>/budget")
@api_auth()
def submit_budget(project_id):
    return jsonify({"budget": budget_json(budget_svc.submit_budget(g.api_user, project_id, json_body()))})


OPENAPI.spec("/projects/{project_id}/budget", "put", {
    "summary": "Submit or resubmit the budget (purchaser; refused if over the funding total)", "tags": API_TAG,
    "parameters": PROJECT_ID, "requestBody": body_ref("BudgetInput"),
    "responses": {**ok_responses("Submitted budget"), "409": {"description": "Already submitted or approved"}}})


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


for _action, _summary in (("approve", "Approve the submitted budget (city finance office)"),
                          ("return", "Return the submitted budget with a comment (city finance office)")):
    OPENAPI.spec(f"/projects/{{project_id}}/budget/{_action}", "post", {
        "summary": _summary, "tags": API_TAG, "parameters": PROJECT_ID,
        "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {
            "comment": {"type": "string"}}}}}},
        "responses": {**ok_responses("Reviewed budget"), "409": {"description": "Not under review (e.g. already approved)"}}})
