"""JSON API under /api/v1: campaigns (authority), inspections (draw the team, recuse, results,
publish), rectification notices (issue, respond with evidence, re-inspect), inspectors' ties,
and the public results. Same services as the pages."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from core import openapi
from core.api import api_auth, json_body
from core.errors import ValidationError
from core.hashchain import canonical_time
from core.i18n import N_
from procurement.blueprints import ID_SCHEMA, _ids_in_range, error, json_response, ref
from procurement.inspections import campaigns, rectifications, results, teams
from procurement.inspections.states import (
    CAMPAIGN_STATES,
    INSPECTION_STATES,
    ITEM_CLASSES,
    ITEM_OUTCOMES,
    RECTIFICATION_STATES,
    SAMPLE_OUTCOMES,
    SEAT_STATES,
    TARGET_KINDS,
    TIE_REASONS,
)

api_bp = Blueprint("inspections_api", __name__, url_prefix="/api/v1")
api_bp.url_value_preprocessor(_ids_in_range)
OPENAPI = openapi.Operations()  # registered by procurement.inspections.wiring
TAGS = ["inspections"]


def _day(value):
    return value.isoformat() if value else None


def campaign_json(c, *, with_inspections: bool = True) -> dict:
    out = {"id": c.id, "reference": c.reference, "city_id": c.city_id, "authority_org_id": c.authority_org_id,
           "title": c.title, "description": c.description, "status": c.status, "items": c.items,
           "team_size": c.team_size, "recent_exclusion_days": c.recent_exclusion_days,
           "max_general_share_bp": c.max_general_share_bp, "publication_working_days": c.publication_working_days,
           "target_draw_id": c.target_draw_id, "starts_on": _day(c.starts_on), "ends_on": _day(c.ends_on),
           "drawn_at": canonical_time(c.drawn_at), "closed_at": canonical_time(c.closed_at)}
    if with_inspections:
        out["inspections"] = [inspection_json(i, full=False) for i in c.inspections]
    return out


def inspection_json(i, *, full: bool = True, public: bool = False) -> dict:
    out = {"id": i.id, "campaign_id": i.campaign_id, "campaign_reference": i.campaign.reference,
           "target_kind": i.target_kind, "target_id": i.target_id, "target_name": i.target_name, "org_id": i.org_id,
           "project_id": i.project_id, "item_codes": list(i.item_codes or []), "status": i.status,
           "compliant": i.compliant, "ended_on": _day(i.ended_on), "publish_due_on": _day(i.publish_due_on),
           "publication": results.publication_state(i), "published_at": canonical_time(i.published_at)}
    if full:
        out.update(items_checked=list(i.items_checked or []), samples=list(i.samples or []), findings=i.findings,
                   team_draw_ids=[d.id for d in teams.draws_of(i)],
                   rectifications=[rectification_json(r) for r in i.rectifications])
        if not public:
            out.update(pending_draw_id=i.pending_draw_id, open_seats=teams.open_seats(i),
                       seats=[{"id": s.id, "seat": s.seat, "inspector_id": s.inspector_id, "name": s.inspector.name,
                               "status": s.status, "draw_id": s.draw_id, "replaces_id": s.replaces_id}
                              for s in i.seats])
    return out


def rectification_json(r) -> dict:
    return {"id": r.id, "reference": r.reference, "inspection_id": r.inspection_id,
            "delivery_sample_id": r.delivery_sample_id, "org_id": r.org_id,
            "project_id": r.project_id, "status": r.status, "required_actions": r.required_actions,
            "deadline": _day(r.deadline), "response": r.response,
            "evidence_document_ids": list(r.evidence_document_ids or []),
            "issued_at": canonical_time(r.issued_at), "responded_at": canonical_time(r.responded_at),
            "reinspected_at": canonical_time(r.reinspected_at), "reinspection_note": r.reinspection_note}


@api_bp.get("/inspection-campaigns")
@api_auth()
def api_campaigns():
    return jsonify({"campaigns": [campaign_json(c, with_inspections=False) for c in campaigns.campaigns_for(g.api_user)]})


@api_bp.post("/inspection-campaigns")
@api_auth()
def api_open_campaign():
    return jsonify({"campaign": campaign_json(campaigns.open_campaign(g.api_user, json_body()))}), 201


@api_bp.get("/inspection-campaigns/<int:campaign_id>")
@api_auth()
def api_campaign(campaign_id):
    return jsonify({"campaign": campaign_json(campaigns.get_campaign(g.api_user, campaign_id))})


@api_bp.post("/inspection-campaigns/<int:campaign_id>/draw")
@api_auth()
def api_draw_targets(campaign_id):
    return jsonify({"campaign": campaign_json(campaigns.draw_targets(g.api_user, campaign_id))})


@api_bp.post("/inspection-campaigns/<int:campaign_id>/cancel")
@api_auth()
def api_cancel_campaign(campaign_id):
    return jsonify({"campaign": campaign_json(campaigns.cancel_campaign(g.api_user, campaign_id))})


@api_bp.get("/inspections/<int:inspection_id>")
@api_auth()
def api_inspection(inspection_id):
    return jsonify({"inspection": inspection_json(teams.get_inspection(g.api_user, inspection_id))})


@api_bp.post("/inspections/<int:inspection_id>/draw-team")
@api_auth()
def api_draw_team(inspection_id):
    return jsonify({"inspection": inspection_json(teams.draw_team(g.api_user, inspection_id))})


@api_bp.post("/inspections/<int:inspection_id>/recuse")
@api_auth()
def api_recuse(inspection_id):
    data = json_body()
    return jsonify({"inspection": inspection_json(teams.recuse(g.api_user, inspection_id, data.get("reason"),
                                                               seat_id=data.get("seat_id")))})


@api_bp.post("/inspections/<int:inspection_id>/results")
@api_auth()
def api_results(inspection_id):
    return jsonify({"inspection": inspection_json(results.record_results(g.api_user, inspection_id, json_body()))})


@api_bp.post("/inspections/<int:inspection_id>/publish")
@api_auth()
def api_publish(inspection_id):
    return jsonify({"inspection": inspection_json(results.publish(g.api_user, inspection_id))})


@api_bp.post("/inspections/<int:inspection_id>/rectifications")
@api_auth()
def api_issue(inspection_id):
    return jsonify({"rectification": rectification_json(rectifications.issue(g.api_user, inspection_id,
                                                                             json_body()))}), 201


@api_bp.get("/rectifications/<int:rectification_id>")
@api_auth()
def api_rectification(rectification_id):
    return jsonify({"rectification": rectification_json(rectifications.get_rectification(g.api_user,
                                                                                          rectification_id))})


@api_bp.post("/rectifications/<int:rectification_id>/response")
@api_auth()
def api_respond(rectification_id):
    files = [(f.stream, f.filename or "") for f in request.files.getlist("evidence")]
    if not request.mimetype == "multipart/form-data":
        raise ValidationError(N_("Send the response as multipart/form-data: field 'response' and 'evidence' files."),
                              {"evidence": N_("Required.")})
    rect = rectifications.respond(g.api_user, rectification_id, request.form.get("response"), files)
    return jsonify({"rectification": rectification_json(rect)})


@api_bp.post("/rectifications/<int:rectification_id>/reinspection")
@api_auth()
def api_reinspect(rectification_id):
    return jsonify({"rectification": rectification_json(rectifications.reinspect(g.api_user, rectification_id,
                                                                                 json_body()))})


@api_bp.post("/inspector-ties")
@api_auth()
def api_tie():
    tie = teams.record_tie(g.api_user, json_body())
    return jsonify({"tie": {"id": tie.id, "inspector_id": tie.inspector_id, "org_id": tie.org_id,
                            "reason": tie.reason, "note": tie.note}}), 201


@api_bp.get("/public/inspections")
@api_auth(public=True)
def api_public_list():
    return jsonify({"inspections": [inspection_json(i, full=False) for i in results.published_results()]})


@api_bp.get("/public/inspections/<int:inspection_id>")
@api_auth(public=True)
def api_public(inspection_id):
    return jsonify({"inspection": inspection_json(results.public_inspection(inspection_id), public=True)})


# ------------------------------------------------------------------ OpenAPI

TEXT, INT, DAY = {"type": "string"}, {"type": "integer"}, {"type": "string", "format": "date", "nullable": True}
TIME = {"type": "string", "format": "date-time", "nullable": True}
NINT = {"type": "integer", "nullable": True}
OPENAPI.schema("InspectionItem", {"type": "object", "required": ["name", "class", "target", "share_bp"], "properties": {
    "code": TEXT, "name": {"type": "string", "maxLength": 200}, "class": {"type": "string", "enum": list(ITEM_CLASSES)},
    "target": {"type": "string", "enum": list(TARGET_KINDS)},
    "share_bp": {"type": "integer", "minimum": 1, "maximum": 10000,
                 "description": "Share of the item's pool drawn, in basis points (general items: at most the rule's)"}}})
OPENAPI.schema("Rectification", {"type": "object", "required": ["id", "reference", "status"], "properties": {
    "id": INT, "reference": TEXT, "inspection_id": NINT, "delivery_sample_id": NINT, "org_id": INT, "project_id": NINT,
    "status": {"type": "string", "enum": list(RECTIFICATION_STATES)}, "required_actions": TEXT, "deadline": DAY,
    "response": TEXT, "evidence_document_ids": {"type": "array", "items": INT}, "issued_at": TIME,
    "responded_at": TIME, "reinspected_at": TIME, "reinspection_note": TEXT}})
OPENAPI.schema("Inspection", {"type": "object", "required": ["id", "campaign_id", "status"], "properties": {
    "id": INT, "campaign_id": INT, "campaign_reference": TEXT, "target_kind": {"type": "string", "enum": list(TARGET_KINDS)},
    "target_id": INT, "target_name": TEXT, "org_id": INT, "project_id": NINT, "item_codes": {"type": "array", "items": TEXT},
    "status": {"type": "string", "enum": list(INSPECTION_STATES)}, "compliant": {"type": "boolean", "nullable": True},
    "ended_on": DAY, "publish_due_on": DAY, "published_at": TIME,
    "publication": {"type": "string", "nullable": True, "enum": ["due", "overdue", "published", "published_late", None]},
    "items_checked": {"type": "array", "items": {"type": "object", "properties": {
        "code": TEXT, "outcome": {"type": "string", "enum": list(ITEM_OUTCOMES)}, "note": TEXT}}},
    "samples": {"type": "array", "items": {"type": "object", "properties": {
        "batch": TEXT, "product": TEXT, "lab": TEXT, "outcome": {"type": "string", "enum": list(SAMPLE_OUTCOMES)},
        "note": TEXT}}},
    "findings": TEXT, "team_draw_ids": {"type": "array", "items": INT}, "pending_draw_id": NINT,
    "open_seats": {"type": "array", "items": INT},
    "seats": {"type": "array", "items": {"type": "object", "properties": {
        "id": INT, "seat": INT, "inspector_id": INT, "name": TEXT, "status": {"type": "string", "enum": list(SEAT_STATES)},
        "draw_id": INT, "replaces_id": NINT}}},
    "rectifications": {"type": "array", "items": ref("Rectification")}}})
OPENAPI.schema("InspectionCampaign", {"type": "object", "required": ["id", "reference", "status"], "properties": {
    "id": INT, "reference": TEXT, "city_id": INT, "authority_org_id": INT, "title": TEXT, "description": TEXT,
    "status": {"type": "string", "enum": list(CAMPAIGN_STATES)}, "items": {"type": "array", "items": ref("InspectionItem")},
    "team_size": INT, "recent_exclusion_days": INT, "max_general_share_bp": INT, "publication_working_days": INT,
    "target_draw_id": INT, "starts_on": DAY, "ends_on": DAY, "drawn_at": TIME, "closed_at": TIME,
    "inspections": {"type": "array", "items": ref("Inspection")}}})


def _one(name, key):
    return {"type": "object", "required": [key], "properties": {key: ref(name)}}


def _body(schema):
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _path(name):
    return [{"name": name, "in": "path", "required": True, "schema": ID_SCHEMA}]


def _resp(status, description, schema, *, conflict=None):
    out = {status: json_response(description, schema), "403": error("Not allowed"),
           "404": error("No such object (or not visible to you)")}
    if conflict:
        out["409"] = error(conflict)
    return out


_CAMPAIGN, _INSPECTION, _RECT = _one("InspectionCampaign", "campaign"), _one("Inspection", "inspection"), \
    _one("Rectification", "rectification")
OPENAPI.spec("/inspection-campaigns", "get", {
    "summary": "Your authority's inspection campaigns (inspectors; platform staff: all)", "tags": TAGS,
    "responses": {"200": json_response("Campaigns", {"type": "object", "properties": {
        "campaigns": {"type": "array", "items": ref("InspectionCampaign")}}})}})
OPENAPI.spec("/inspection-campaigns", "post", {
    "summary": "Open a campaign for your authority's city: the target draw's commitment is published (inspectors)",
    "tags": TAGS, "requestBody": _body({"type": "object", "required": ["title", "items", "team_size", "starts_on",
                                                                        "ends_on"], "properties": {
        "title": TEXT, "description": TEXT, "team_size": {"type": "integer", "minimum": 2, "maximum": 9},
        "starts_on": {"type": "string", "format": "date"}, "ends_on": {"type": "string", "format": "date"},
        "items": {"type": "array", "items": ref("InspectionItem")}}}),
    "responses": _resp("201", "The campaign", _CAMPAIGN, conflict="A reference taken at the same moment")})
OPENAPI.spec("/inspection-campaigns/{campaign_id}", "get", {
    "summary": "A campaign with its inspections", "tags": TAGS, "parameters": _path("campaign_id"),
    "responses": _resp("200", "The campaign", _CAMPAIGN)})
OPENAPI.spec("/inspection-campaigns/{campaign_id}/draw", "post", {
    "summary": "Draw the campaign's targets (one inspection per target, each team draw committed)", "tags": TAGS,
    "parameters": _path("campaign_id"),
    "responses": _resp("200", "The campaign", _CAMPAIGN, conflict="Already drawn, or no eligible target")})
OPENAPI.spec("/inspection-campaigns/{campaign_id}/cancel", "post", {
    "summary": "Cancel a campaign whose targets are not drawn (its seed is published)", "tags": TAGS,
    "parameters": _path("campaign_id"), "responses": _resp("200", "The campaign", _CAMPAIGN, conflict="Already drawn")})
OPENAPI.spec("/inspections/{inspection_id}", "get", {
    "summary": "An inspection: target, team, results, rectifications (authority, team, the inspected organisation)",
    "tags": TAGS, "parameters": _path("inspection_id"), "responses": _resp("200", "The inspection", _INSPECTION)})
OPENAPI.spec("/inspections/{inspection_id}/draw-team", "post", {
    "summary": "Draw the team (or the replacements) from the authority's inspectors, conflicts excluded",
    "tags": TAGS, "parameters": _path("inspection_id"),
    "responses": _resp("200", "The inspection", _INSPECTION, conflict="Nothing to draw, or too few eligible inspectors")})
OPENAPI.spec("/inspections/{inspection_id}/recuse", "post", {
    "summary": "Recuse (a drawn inspector with a conflict) or take seat_id off the team (authority): a "
               "replacement draw is committed", "tags": TAGS, "parameters": _path("inspection_id"),
    "requestBody": _body({"type": "object", "required": ["reason"], "properties": {
        "reason": TEXT, "seat_id": {"type": "integer", "nullable": True}}}),
    "responses": _resp("200", "The inspection", _INSPECTION, conflict="No such active seat, or results recorded")})
OPENAPI.spec("/inspections/{inspection_id}/results", "post", {
    "summary": "Record the results (a team member): every drawn item's outcome, samples, findings", "tags": TAGS,
    "parameters": _path("inspection_id"),
    "requestBody": _body({"type": "object", "required": ["items_checked", "findings"], "properties": {
        "items_checked": {"type": "array", "items": {"type": "object", "properties": {
            "code": TEXT, "outcome": {"type": "string", "enum": list(ITEM_OUTCOMES)}, "note": TEXT}}},
        "samples": {"type": "array", "items": {"type": "object", "properties": {
            "batch": TEXT, "product": TEXT, "lab": TEXT, "outcome": {"type": "string", "enum": list(SAMPLE_OUTCOMES)},
            "note": TEXT}}},
        "findings": TEXT, "ended_on": {"type": "string", "format": "date", "nullable": True}}}),
    "responses": _resp("200", "The inspection", _INSPECTION,
                       conflict="Not scheduled, team incomplete or a team member with a conflict")})
OPENAPI.spec("/inspections/{inspection_id}/publish", "post", {
    "summary": "Publish the result on the public portal (the campaign's own city's authority only)", "tags": TAGS,
    "parameters": _path("inspection_id"),
    "responses": _resp("200", "The inspection", _INSPECTION, conflict="No results recorded, or already published")})
OPENAPI.spec("/inspections/{inspection_id}/rectifications", "post", {
    "summary": "Issue a rectification notice (required actions, deadline)", "tags": TAGS,
    "parameters": _path("inspection_id"),
    "requestBody": _body({"type": "object", "required": ["required_actions", "deadline"], "properties": {
        "required_actions": TEXT, "deadline": {"type": "string", "format": "date"}}}),
    "responses": _resp("201", "The notice", _RECT, conflict="A reference taken at the same moment")})
OPENAPI.spec("/rectifications/{rectification_id}", "get", {
    "summary": "A rectification notice (the inspected organisation, the authority)", "tags": TAGS,
    "parameters": _path("rectification_id"), "responses": _resp("200", "The notice", _RECT)})
OPENAPI.spec("/rectifications/{rectification_id}/response", "post", {
    "summary": "Respond with what was done and evidence files (the inspected organisation)", "tags": TAGS,
    "parameters": _path("rectification_id"),
    "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["response", "evidence"], "properties": {
            "response": TEXT, "evidence": {"type": "array", "items": {"type": "string", "format": "binary"}}}}}}},
    "responses": {**_resp("200", "The notice", _RECT, conflict="Already responded or closed"),
                  "413": error("A file is larger than the upload limit")}})
OPENAPI.spec("/rectifications/{rectification_id}/reinspection", "post", {
    "summary": "Re-inspect: close or escalate the notice (the team, the authority)", "tags": TAGS,
    "parameters": _path("rectification_id"),
    "requestBody": _body({"type": "object", "required": ["outcome", "note"], "properties": {
        "outcome": {"type": "string", "enum": ["close", "escalate"]}, "note": TEXT}}),
    "responses": _resp("200", "The notice", _RECT, conflict="Not possible from the notice's status")})
OPENAPI.spec("/inspector-ties", "post", {
    "summary": "Record a tie between an inspector of your authority and an organisation (never drawn for it)",
    "tags": TAGS, "requestBody": _body({"type": "object", "required": ["inspector_id", "org_id", "reason"], "properties": {
        "inspector_id": INT, "org_id": INT, "reason": {"type": "string", "enum": list(TIE_REASONS)}, "note": TEXT}}),
    "responses": {"201": json_response("The tie", {"type": "object", "properties": {"tie": {"type": "object"}}}),
                  "403": error("Not an inspection authority"), "409": error("Already recorded")}})
OPENAPI.spec("/public/inspections", "get", {
    "summary": "Published inspection results, newest first (public)", "tags": TAGS, "security": [],
    "responses": {"200": json_response("Results", {"type": "object", "properties": {
        "inspections": {"type": "array", "items": ref("Inspection")}}})}})
OPENAPI.spec("/public/inspections/{inspection_id}", "get", {
    "summary": "A published inspection result (public)", "tags": TAGS, "security": [],
    "parameters": _path("inspection_id"),
    "responses": {"200": json_response("The result", _INSPECTION), "404": error("No such published result")}})
