"""JSON API under /api/v1: the expert pool (finance office), panels (centre: request, draw,
cancel, status), invitations (experts: list, accept, decline). Same services as the pages."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from core import openapi
from core import roles as R
from core.api import api_auth, json_body
from core.hashchain import canonical_time
from core.web import page_number
from procurement.blueprints import ID_SCHEMA, _ids_in_range, error, json_response, ref
from procurement.evaluation import experts as expert_svc
from procurement.evaluation import services
from procurement.evaluation.states import DECLINE_REASONS, MEMBER_STATES, PANEL_STATES

api_bp = Blueprint("evaluation_api", __name__, url_prefix="/api/v1")
api_bp.url_value_preprocessor(_ids_in_range)
OPENAPI = openapi.Operations()  # registered by procurement.evaluation.wiring
POOL, PANELS = ["expert pool"], ["evaluation panels"]


def expert_json(e) -> dict:
    return {"id": e.id, "user_id": e.user_id, "name": e.user.name, "email": e.user.email, "city_id": e.city_id,
            "specialities": list(e.specialities or []), "employer_name": e.employer_name,
            "employer_credit_code": e.employer_credit_code, "province": e.province, "locality": e.locality,
            "active": e.active, "account_active": bool(e.user.active),
            "last_served_at": canonical_time(e.last_served_at), "created_at": canonical_time(e.created_at)}


def member_json(m) -> dict:
    return {"id": m.id, "seat": m.seat, "expert_id": m.expert_id, "name": m.expert.user.name, "status": m.status,
            "draw_id": m.draw_id, "replaces_id": m.replaces_id, "invited_at": canonical_time(m.invited_at),
            "responded_at": canonical_time(m.responded_at), "decline_reason_type": m.decline_reason_type}


def panel_json(p) -> dict:
    return {"id": p.id, "tender_id": p.tender_id, "lot_id": p.lot_id, "scope": p.scope, "status": p.status,
            "size": p.size, "budget_fen": p.budget_fen, "profile_id": p.profile_id,
            "recent_service_days": p.recent_service_days, "draw_id": p.draw_id, "pending_draw_id": p.pending_draw_id,
            "draws": [{"id": d.id, "status": d.status, "commitment": d.commitment} for d in services.draws_of(p)],
            "evaluation_at": canonical_time(p.evaluation_at), "venue": p.venue,
            "requested_at": canonical_time(p.requested_at), "drawn_at": canonical_time(p.drawn_at),
            "completed_at": canonical_time(p.completed_at), "cancelled_at": canonical_time(p.cancelled_at),
            "cancel_reason": p.cancel_reason, "open_seats": services.open_seats(p),
            "members": [member_json(m) for m in p.members]}


def invitation_json(m) -> dict:
    p = m.panel
    return {"id": m.id, "panel_id": p.id, "panel_status": p.status, "seat": m.seat, "status": m.status,
            "tender_id": p.tender_id, "tender_reference": p.tender.reference, "tender_title": p.tender.title,
            "lot_id": p.lot_id, "lot_number": p.lot.number if p.lot is not None else None,
            "evaluation_at": canonical_time(p.evaluation_at), "venue": p.venue,
            "invited_at": canonical_time(m.invited_at), "responded_at": canonical_time(m.responded_at)}


# ------------------------------------------------------------------ the pool

@api_bp.get("/experts")
@api_auth(R.FINANCE_REVIEWER)
def api_experts():
    raw = (request.args.get("active") or "").lower()
    active = True if raw == "true" else False if raw == "false" else None
    rows, total = expert_svc.list_pool(g.api_user, active=active, speciality=request.args.get("speciality") or None,
                                       page=page_number(request.args))
    return jsonify({"experts": [expert_json(e) for e in rows], "total": total})


@api_bp.post("/experts")
@api_auth(R.FINANCE_REVIEWER)
def api_add_expert():
    expert = expert_svc.add_expert(g.api_user, json_body())
    return jsonify({"expert": expert_json(expert)}), 201


@api_bp.get("/experts/<int:expert_id>")
@api_auth()
def api_expert(expert_id):
    return jsonify({"expert": expert_json(expert_svc.get_expert(g.api_user, expert_id))})


@api_bp.patch("/experts/<int:expert_id>")
@api_auth()
def api_update_expert(expert_id):
    return jsonify({"expert": expert_json(expert_svc.update_expert(g.api_user, expert_id, json_body()))})


# ------------------------------------------------------------------ panels

@api_bp.get("/tenders/<int:tender_id>/panels")
@api_auth()
def api_tender_panels(tender_id):
    _tender, panels = services.panels_of_tender(g.api_user, tender_id)
    return jsonify({"panels": [panel_json(p) for p in panels]})


@api_bp.post("/tenders/<int:tender_id>/panels")
@api_auth()
def api_request_panel(tender_id):
    panel = services.request_panel(g.api_user, tender_id, json_body())
    return jsonify({"panel": panel_json(panel)}), 201


@api_bp.get("/panels/<int:panel_id>")
@api_auth()
def api_panel(panel_id):
    return jsonify({"panel": panel_json(services.get_panel(g.api_user, panel_id))})


@api_bp.post("/panels/<int:panel_id>/draw")
@api_auth()
def api_draw_panel(panel_id):
    return jsonify({"panel": panel_json(services.draw_panel(g.api_user, panel_id))})


@api_bp.post("/panels/<int:panel_id>/cancel")
@api_auth()
def api_cancel_panel(panel_id):
    return jsonify({"panel": panel_json(services.cancel_panel(g.api_user, panel_id, json_body().get("reason")))})


@api_bp.get("/panel-invitations")
@api_auth()
def api_invitations():
    return jsonify({"invitations": [invitation_json(m) for m in services.invitations_of(g.api_user)]})


@api_bp.post("/panels/<int:panel_id>/accept")
@api_auth()
def api_accept(panel_id):
    return jsonify({"invitation": invitation_json(services.accept(g.api_user, panel_id))})


@api_bp.post("/panels/<int:panel_id>/decline")
@api_auth()
def api_decline(panel_id):
    data = json_body()
    member = services.decline(g.api_user, panel_id, data.get("reason_type"), data.get("reason"))
    return jsonify({"invitation": invitation_json(member)})


# ------------------------------------------------------------------ OpenAPI

TIME = {"type": "string", "format": "date-time", "nullable": True}
TEXT = {"type": "string"}
INT = {"type": "integer"}
OPENAPI.schema("Expert", {"type": "object", "required": ["id", "name", "specialities", "active"], "properties": {
    "id": INT, "user_id": INT, "name": TEXT, "email": TEXT, "city_id": INT,
    "specialities": {"type": "array", "items": TEXT}, "employer_name": TEXT,
    "employer_credit_code": {"type": "string", "nullable": True}, "province": TEXT, "locality": TEXT,
    "active": {"type": "boolean"}, "account_active": {"type": "boolean"}, "last_served_at": TIME, "created_at": TIME}})
OPENAPI.schema("ExpertInput", {"type": "object", "properties": {
    "email": TEXT, "name": TEXT, "specialities": {"type": "array", "items": TEXT,
                                                  "description": "Catalogue category codes"},
    "employer_name": TEXT, "employer_credit_code": {"type": "string", "nullable": True},
    "province": TEXT, "locality": TEXT,
    "active": {"type": "boolean", "description": "PATCH only: false deactivates, true reactivates"}}})
OPENAPI.schema("PanelMember", {"type": "object", "required": ["id", "seat", "status"], "properties": {
    "id": INT, "seat": INT, "expert_id": INT, "name": TEXT, "status": {"type": "string", "enum": list(MEMBER_STATES)},
    "draw_id": INT, "replaces_id": {"type": "integer", "nullable": True}, "invited_at": TIME, "responded_at": TIME,
    "decline_reason_type": {"type": "string", "nullable": True, "enum": [*DECLINE_REASONS, None]}}})
OPENAPI.schema("Panel", {"type": "object", "required": ["id", "tender_id", "status", "size", "draw_id"], "properties": {
    "id": INT, "tender_id": INT, "lot_id": {"type": "integer", "nullable": True}, "scope": TEXT,
    "status": {"type": "string", "enum": list(PANEL_STATES)}, "size": INT, "budget_fen": INT,
    "profile_id": {"type": "integer", "nullable": True}, "recent_service_days": INT, "draw_id": INT,
    "pending_draw_id": {"type": "integer", "nullable": True},
    "draws": {"type": "array", "items": {"type": "object", "properties": {"id": INT, "status": TEXT,
                                                                         "commitment": TEXT}}},
    "evaluation_at": TIME, "venue": TEXT, "requested_at": TIME, "drawn_at": TIME, "completed_at": TIME,
    "cancelled_at": TIME, "cancel_reason": TEXT, "open_seats": {"type": "array", "items": INT},
    "members": {"type": "array", "items": ref("PanelMember")}}})
OPENAPI.schema("PanelInvitation", {"type": "object", "required": ["id", "panel_id", "status"], "properties": {
    "id": INT, "panel_id": INT, "panel_status": {"type": "string", "enum": list(PANEL_STATES)}, "seat": INT,
    "status": {"type": "string", "enum": list(MEMBER_STATES)}, "tender_id": INT, "tender_reference": TEXT,
    "tender_title": TEXT, "lot_id": {"type": "integer", "nullable": True},
    "lot_number": {"type": "integer", "nullable": True}, "evaluation_at": TIME, "venue": TEXT,
    "invited_at": TIME, "responded_at": TIME}})


def _one(name, key):
    return {"type": "object", "required": [key], "properties": {key: ref(name)}}


def _body(schema):
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _path(name):
    return [{"name": name, "in": "path", "required": True, "schema": ID_SCHEMA}]


def _resp(status, description, schema, *, conflict=None, missing="No such object (or not visible to you)"):
    out = {status: json_response(description, schema), "403": error("Not allowed"), "404": error(missing)}
    if conflict:
        out["409"] = error(conflict)
    return out


OPENAPI.spec("/experts", "get", {
    "summary": "The experts of your city's pool (finance office)", "tags": POOL,
    "parameters": [{"name": "active", "in": "query", "schema": {"type": "string", "enum": ["true", "false"]}},
                   {"name": "speciality", "in": "query", "schema": {"type": "string", "maxLength": 80}},
                   {"name": "page", "in": "query", "schema": {"type": "integer"}}],
    "responses": _resp("200", "Experts", {"type": "object", "properties": {
        "experts": {"type": "array", "items": ref("Expert")}, "total": INT}})})
OPENAPI.spec("/experts", "post", {
    "summary": "Add an expert to your city's pool (finance office): the account is invited by e-mail",
    "tags": POOL, "requestBody": _body(ref("ExpertInput")),
    "responses": _resp("201", "The expert", _one("Expert", "expert"), conflict="The email already has an account")})
OPENAPI.spec("/experts/{expert_id}", "get", {
    "summary": "An expert (the pool's finance office, platform staff, the expert)", "tags": POOL,
    "parameters": _path("expert_id"), "responses": _resp("200", "The expert", _one("Expert", "expert"))})
OPENAPI.spec("/experts/{expert_id}", "patch", {
    "summary": "Change an expert's specialities, employer or location, or (de)activate them (finance office)",
    "tags": POOL, "parameters": _path("expert_id"), "requestBody": _body(ref("ExpertInput")),
    "responses": _resp("200", "The expert", _one("Expert", "expert"))})
OPENAPI.spec("/tenders/{tender_id}/panels", "get", {
    "summary": "A tender's evaluation panels (its centre, the city's finance office, platform staff)",
    "tags": PANELS, "parameters": _path("tender_id"),
    "responses": _resp("200", "Panels", {"type": "object", "properties": {
        "panels": {"type": "array", "items": ref("Panel")}}})})
OPENAPI.spec("/tenders/{tender_id}/panels", "post", {
    "summary": "Request a panel for a lot (lot_id) or the whole tender, after the bid deadline: the draw's seed "
               "commitment is published at once (the centre)", "tags": PANELS, "parameters": _path("tender_id"),
    "requestBody": _body({"type": "object", "properties": {
        "lot_id": {"type": "integer", "nullable": True}, "evaluation_at": {"type": "string", "nullable": True},
        "venue": TEXT}}),
    "responses": _resp("201", "The requested panel", _one("Panel", "panel"),
                       conflict="Before the bid deadline, or a panel already requested for the lot or tender")})
OPENAPI.spec("/panels/{panel_id}", "get", {
    "summary": "A panel with its seats (its centre, the city's finance office, platform staff)", "tags": PANELS,
    "parameters": _path("panel_id"), "responses": _resp("200", "The panel", _one("Panel", "panel"))})
OPENAPI.spec("/panels/{panel_id}/draw", "post", {
    "summary": "Draw the panel, or its pending replacement draw, and invite the drawn experts (the centre)",
    "tags": PANELS, "parameters": _path("panel_id"),
    "responses": _resp("200", "The panel", _one("Panel", "panel"),
                       conflict="Nothing to draw, or too few eligible experts (nothing changed)")})
OPENAPI.spec("/panels/{panel_id}/cancel", "post", {
    "summary": "Cancel a live panel with a reason: seats released, every draw's seed published (the centre)",
    "tags": PANELS, "parameters": _path("panel_id"),
    "requestBody": _body({"type": "object", "required": ["reason"], "properties": {"reason": TEXT}}),
    "responses": _resp("200", "The panel", _one("Panel", "panel"), conflict="The panel is already cancelled")})
OPENAPI.spec("/panel-invitations", "get", {
    "summary": "Your panel invitations and seats (experts)", "tags": PANELS,
    "responses": {"200": json_response("Invitations", {"type": "object", "properties": {
        "invitations": {"type": "array", "items": ref("PanelInvitation")}}})}})
OPENAPI.spec("/panels/{panel_id}/accept", "post", {
    "summary": "Accept your seat on the panel (the drawn expert)", "tags": PANELS, "parameters": _path("panel_id"),
    "responses": _resp("200", "Your seat", _one("PanelInvitation", "invitation"),
                       conflict="The panel is not inviting, or the seat was already answered")})
OPENAPI.spec("/panels/{panel_id}/decline", "post", {
    "summary": "Decline (or give up) your seat with a reason type and reason; a replacement draw is committed "
               "(the drawn expert)", "tags": PANELS, "parameters": _path("panel_id"),
    "requestBody": _body({"type": "object", "required": ["reason_type", "reason"], "properties": {
        "reason_type": {"type": "string", "enum": list(DECLINE_REASONS)}, "reason": TEXT}}),
    "responses": _resp("200", "Your seat", _one("PanelInvitation", "invitation"),
                       conflict="The panel is cancelled")})
