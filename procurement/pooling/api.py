"""JSON API of pooling rounds: list, open, read, close, cancel; contribute bill lines and
withdraw a pooled line; a project's uncovered lines for a round."""

from __future__ import annotations

from flask import g, jsonify, request

from core import openapi, scheduler
from core.api import api_auth, json_body
from core.errors import NotFound, ValidationError
from core.hashchain import canonical_time
from core.i18n import N_
from procurement.blueprints import ID_SCHEMA, ok_responses, ref
from procurement.pooling import inputs, queries, services
from procurement.pooling.models import LINE_STATES, ROUND_STATES
from procurement.projects.services import get_project
from procurement.quantities import PURCHASE_UNITS
from procurement.tendering import policy
from procurement.tendering.blueprints import API_TAG, api_bp

OPENAPI = openapi.Operations()  # registered by procurement.pooling.wiring.register(app)
ROUND_ID = [{"name": "round_id", "in": "path", "required": True, "schema": ID_SCHEMA}]
LINE_ID = ROUND_ID + [{"name": "line_id", "in": "path", "required": True, "schema": ID_SCHEMA}]
PER_PAGE = 25


def round_json(r, *, lines=None) -> dict:
    out = {"id": r.id, "reference": r.reference, "title": r.title, "description": r.description,
           "status": queries.shown_status(r), "collecting": policy.is_collecting(r), "city_id": r.city_id,
           "centre_org_id": r.centre_org_id,
           "categories": [{"id": c.id, "code": c.code} for c in r.categories],
           "opens_at": canonical_time(r.opens_at), "closes_at": canonical_time(r.closes_at),
           "closed_at": canonical_time(r.closed_at)}
    if lines is not None:
        out["lines"] = [line_json(ln) for ln in lines]
    return out


def line_json(ln) -> dict:
    return {"id": ln.id, "round_id": ln.round_id, "project_id": ln.project_id, "project_code": ln.project.code,
            "bom_line_id": ln.bom_line_id, "line_no": ln.bom_line.line_no, "category": ln.category.code,
            "specification": ln.specification, "quantity_milli": ln.quantity_milli, "unit": ln.unit,
            "est_unit_price_fen": ln.est_unit_price_fen, "est_amount_fen": ln.est_amount_fen,
            "status": ln.status, "lot_id": ln.lot_id}


def _responses(status: str, description: str, schema, *, conflict: str | None = None, bad: bool = True,
               forbidden: bool = True, missing: str | None = "No such pooling round (or not visible to you)") -> dict:
    return ok_responses(description, status, schema, conflict=conflict, not_found=missing, forbidden=forbidden,
                        bad="Invalid input" if bad else None)


TIME = {"type": "string", "format": "date-time"}
CATEGORY = {"type": "object", "required": ["id", "code"],
            "properties": {"id": {"type": "integer"}, "code": {"type": "string"}}}
OPENAPI.schema("PooledLine", {"type": "object", "required": ["id", "round_id", "project_id", "bom_line_id", "status"],
                              "properties": {
    "id": {"type": "integer"}, "round_id": {"type": "integer"}, "project_id": {"type": "integer"},
    "project_code": {"type": "string"}, "bom_line_id": {"type": "integer"}, "line_no": {"type": "integer"},
    "category": {"type": "string"}, "specification": {"type": "string"},
    "quantity_milli": {"type": "integer", "minimum": 1}, "unit": {"type": "string", "enum": list(PURCHASE_UNITS)},
    "est_unit_price_fen": {"type": "integer", "minimum": 0}, "est_amount_fen": {"type": "integer", "minimum": 0},
    "status": {"type": "string", "enum": list(LINE_STATES)}, "lot_id": {"type": "integer", "nullable": True}}})
OPENAPI.schema("PoolingRound", {"type": "object", "required": ["id", "reference", "title", "status", "closes_at"],
                                "properties": {
    "id": {"type": "integer"}, "reference": {"type": "string"}, "title": {"type": "string"},
    "description": {"type": "string"},
    "status": {"type": "string", "enum": list(ROUND_STATES),
               "description": "by the clock: an open round past its closing time is closed"},
    "collecting": {"type": "boolean", "description": "open and before its closing time"},
    "city_id": {"type": "integer"}, "centre_org_id": {"type": "integer"},
    "categories": {"type": "array", "items": CATEGORY}, "opens_at": TIME, "closes_at": TIME,
    "closed_at": {**TIME, "nullable": True},
    "lines": {"type": "array", "items": ref("PooledLine"),
              "description": "live lines: all of them for the centre, the city's offices and platform staff; a "
                             "purchaser's own lines (any status) otherwise (GET of one round only)"}}})
OPENAPI.schema("PoolingRoundInput", {"type": "object", "required": ["title", "categories", "closes_at"],
                                     "properties": {
    "title": {"type": "string", "minLength": 1, "maxLength": 200},
    "description": {"type": "string", "maxLength": inputs.DESCRIPTION_MAX},
    "categories": {"type": "array", "minItems": 1, "maxItems": inputs.MAX_CATEGORIES,
                   "items": {"oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "minLength": 1}]},
                   "description": "category ids or codes"},
    "closes_at": {"type": "string", "format": "date-time",
                  "description": f"in the future, at most {inputs.MAX_WINDOW_DAYS} days ahead; China time "
                                 "when no zone is given"}}})
ROUND_BODY = {"type": "object", "required": ["round"], "properties": {"round": ref("PoolingRound")}}
LINES_BODY = {"type": "object", "required": ["lines"], "properties": {"lines": {"type": "array",
                                                                                "items": ref("PooledLine")}}}


def _page() -> int:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 10_000:
        raise ValidationError(N_("page must be a whole number from 1 to 10000."), {"page": N_("Invalid page.")})
    return int(raw)


@api_bp.get("/pooling-rounds")
@api_auth()
def list_pooling_rounds():
    status = request.args.get("status") or None
    rows, total = queries.list_rounds(g.api_user, status=status, page=_page(), per_page=PER_PAGE)
    return jsonify({"rounds": [round_json(r) for r in rows], "total": total})


OPENAPI.spec("/pooling-rounds", "get", {
    "summary": "Pooling rounds visible to you (centre: its own; purchasers and city offices: their city's)",
    "tags": API_TAG, "parameters": [
        {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(ROUND_STATES)}},
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10000}}],
    "responses": _responses("200", "Rounds, newest first (25 a page)", {
        "type": "object", "required": ["rounds", "total"], "properties": {
            "rounds": {"type": "array", "items": ref("PoolingRound")}, "total": {"type": "integer", "minimum": 0}}},
        forbidden=False, missing=None)})


@api_bp.post("/pooling-rounds")
@api_auth()
def open_pooling_round():
    pooling_round = services.open_round(g.api_user, json_body())
    return jsonify({"round": round_json(pooling_round, lines=[])}), 201


OPENAPI.spec("/pooling-rounds", "post", {
    "summary": "Open a pooling round for categories until a closing time (procurement centre officer)",
    "tags": API_TAG, "requestBody": {"required": True, "content": {"application/json": {
        "schema": ref("PoolingRoundInput")}}},
    "responses": _responses("201", "The open round", ROUND_BODY, missing=None,
                            conflict="Another round was opened at the same moment")})


def _visible_lines(pooling_round):
    if policy.can_see_round_lines(g.api_user, pooling_round):
        return queries.round_lines(pooling_round)
    return queries.own_lines(g.api_user, pooling_round)


def _round(round_id):
    scheduler.catch_up(services.OBJECT_TYPE, round_id)
    return queries.get_round(g.api_user, round_id)


@api_bp.get("/pooling-rounds/<int:round_id>")
@api_auth()
def get_pooling_round(round_id):
    pooling_round = _round(round_id)
    return jsonify({"round": round_json(pooling_round, lines=_visible_lines(pooling_round))})


OPENAPI.spec("/pooling-rounds/{round_id}", "get", {
    "summary": "A pooling round with the lines you may see", "tags": API_TAG, "parameters": ROUND_ID,
    "responses": _responses("200", "The round", ROUND_BODY, forbidden=False, bad=False)})


@api_bp.post("/pooling-rounds/<int:round_id>/close")
@api_auth()
def close_pooling_round(round_id):
    pooling_round = services.close_round(g.api_user, _round(round_id).id)
    return jsonify({"round": round_json(pooling_round, lines=_visible_lines(pooling_round))})


OPENAPI.spec("/pooling-rounds/{round_id}/close", "post", {
    "summary": "Close the round now (its centre)", "tags": API_TAG, "parameters": ROUND_ID,
    "responses": _responses("200", "The closed round", ROUND_BODY, bad=False,
                            conflict="The round is not open (already closed, tendered or cancelled)")})


@api_bp.post("/pooling-rounds/<int:round_id>/cancel")
@api_auth()
def cancel_pooling_round(round_id):
    body = json_body()
    pooling_round = services.cancel_round(g.api_user, _round(round_id).id, body.get("reason"))
    return jsonify({"round": round_json(pooling_round, lines=_visible_lines(pooling_round))})


OPENAPI.spec("/pooling-rounds/{round_id}/cancel", "post", {
    "summary": "Cancel an open or closed round with a reason (its centre); contributed lines are withdrawn",
    "tags": API_TAG, "parameters": ROUND_ID,
    "requestBody": {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": ["reason"], "properties": {
            "reason": {"type": "string", "minLength": inputs.REASON_MIN, "maxLength": inputs.REASON_MAX}}}}}},
    "responses": _responses("200", "The cancelled round", ROUND_BODY,
                            conflict="The round was tendered or is already cancelled")})


@api_bp.post("/pooling-rounds/<int:round_id>/lines")
@api_auth()
def contribute_pooled_lines(round_id):
    body = json_body()
    project_id = body.get("project_id")
    if isinstance(project_id, bool) or not isinstance(project_id, int) or not 0 < project_id <= 2**31 - 1:
        raise ValidationError(N_("Say which project the lines are of."), {"project_id": N_("Give a project id.")})
    created = services.contribute_lines(g.api_user, _round(round_id).id, project_id, body.get("bom_line_ids"))
    return jsonify({"lines": [line_json(ln) for ln in created]}), 201


OPENAPI.spec("/pooling-rounds/{round_id}/lines", "post", {
    "summary": "Contribute bill lines of your project in procurement (its own purchaser; this is the confirmation)",
    "tags": API_TAG, "parameters": ROUND_ID,
    "requestBody": {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": ["project_id", "bom_line_ids"], "properties": {
            "project_id": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
            "bom_line_ids": {"type": "array", "minItems": 1, "maxItems": inputs.MAX_LINES_PER_CONTRIBUTION,
                             "items": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}}}}}},
    "responses": _responses("201", "The pooled lines", LINES_BODY,
                            missing="No such round or project (or not visible to you)",
                            conflict="The round takes no more lines, the project is not in procurement, or a line "
                                     "is already pooled in a round")})


@api_bp.post("/pooling-rounds/<int:round_id>/lines/<int:line_id>/withdraw")
@api_auth()
def withdraw_pooled_line(round_id, line_id):
    pooling_round = _round(round_id)
    line = services.get_line(g.api_user, line_id)
    if line.round_id != pooling_round.id:
        raise NotFound(N_("No such pooled line."))
    return jsonify({"line": line_json(services.withdraw_line(g.api_user, line.id))})


OPENAPI.spec("/pooling-rounds/{round_id}/lines/{line_id}/withdraw", "post", {
    "summary": "Withdraw a contributed line (the project's own purchaser; not once it is in a lot)",
    "tags": API_TAG, "parameters": LINE_ID,
    "responses": _responses("200", "The withdrawn line", {"type": "object", "required": ["line"],
                                                          "properties": {"line": ref("PooledLine")}},
                            bad=False, missing="No such round or pooled line (or not visible to you)",
                            conflict="The line is in a lot or was already withdrawn")})


@api_bp.get("/pooling-rounds/<int:round_id>/eligible-lines")
@api_auth()
def eligible_pooling_lines(round_id):
    raw = request.args.get("project_id", "")
    if not raw.isdigit() or not 0 < int(raw) <= 2**31 - 1:
        raise ValidationError(N_("Say which project the lines are of."), {"project_id": N_("Give a project id.")})
    pooling_round = _round(round_id)
    project = get_project(g.api_user, int(raw))
    lines = queries.eligible_lines(project, pooling_round)
    return jsonify({"lines": [{"id": ln.id, "line_no": ln.line_no, "category": ln.category.code,
                               "specification": ln.specification, "quantity_milli": ln.quantity_milli,
                               "unit": ln.unit, "est_unit_price_fen": ln.est_unit_price_fen,
                               "est_amount_fen": ln.total_fen} for ln in lines]})


OPENAPI.spec("/pooling-rounds/{round_id}/eligible-lines", "get", {
    "summary": "A project's bill lines of the round's categories not yet pooled anywhere", "tags": API_TAG,
    "parameters": ROUND_ID + [{"name": "project_id", "in": "query", "required": True,
                               "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}],
    "responses": _responses("200", "Uncovered bill lines", {"type": "object", "required": ["lines"], "properties": {
        "lines": {"type": "array", "items": {"type": "object", "required": ["id", "line_no"], "properties": {
            "id": {"type": "integer"}, "line_no": {"type": "integer"}, "category": {"type": "string"},
            "specification": {"type": "string"}, "quantity_milli": {"type": "integer"},
            "unit": {"type": "string"}, "est_unit_price_fen": {"type": "integer"},
            "est_amount_fen": {"type": "integer"}}}}}},
        forbidden=False, missing="No such round or project (or not visible to you)")})
