"""JSON API of negotiations, under /api/v1:

- ``POST negotiations``: the centre starts one (201);
- ``GET negotiations/{id}``: the negotiation as you may see it (public once concluded or failed;
  the firms and opened offers for its centre and overseers; your own offers and anonymised
  ranking for an invited firm);
- ``POST negotiations/{id}/rounds`` (``{"deadline_at", "final"}``): the centre opens the next round;
- ``POST negotiations/{id}/offers`` (``{"total_fen"}``): an invited firm's sealed offer (201);
- ``POST negotiations/{id}/cancel`` (``{"reason"}``): the centre cancels.
"""

from __future__ import annotations

from flask import g, jsonify

from core import openapi
from core.api import api_auth, json_body
from core.hashchain import canonical_time
from core.i18n import render_payload_english
from procurement.blueprints import ID_SCHEMA, body_ref, error, ok_responses, ref
from procurement.negotiation import closing, reading, services
from procurement.negotiation.blueprints import api_bp
from procurement.negotiation.states import (
    KINDS,
    NEGOTIATION_STATES,
    OFFER_STATES,
    ROUND_STATES,
    TIE_RULES,
)

OPENAPI = openapi.Operations()  # registered by wiring.register(app)
TAG = ["negotiations"]
PATH_ID = [{"name": "negotiation_id", "in": "path", "required": True, "schema": ID_SCHEMA}]
TIME = {"type": "string", "format": "date-time", "nullable": True}
FEN = {"type": "integer", "nullable": True}
NOT_FOUND = error("No such negotiation (or not visible to you)")


def _time(value):
    return canonical_time(value) if value is not None else None


def negotiation_json(viewer, negotiation) -> dict:
    v = reading.view(viewer, negotiation)
    n = negotiation
    out = {"id": n.id, "reference": n.reference, "kind": n.kind, "status": n.status, "title": n.title,
           "city_id": n.city_id, "tender_id": n.tender_id, "lot_id": n.lot_id, "agreement_id": n.agreement_id,
           "quantity_milli": n.quantity_milli, "unit": n.unit, "ceiling_fen": n.ceiling_fen, "step_bp": n.step_bp,
           "step_min_fen": n.step_min_fen, "min_rounds": n.min_rounds, "tie_rule": n.tie_rule,
           "winner": v["winner"], "total_fen": n.total_fen if v["winner"] else None, "saving_bp": v["saving_bp"],
           "fail_reason": render_payload_english(n.fail_reason) if n.fail_reason else None,
           "rounds": [{"number": r["number"], "final": r["final"], "status": r["status"],
                       "deadline_at": _time(r["deadline_at"]), "closed_at": _time(r["closed_at"]),
                       "offers": r["offers"], "best_total_fen": r["best_total_fen"], "merkle_root": r["merkle_root"],
                       "root_statement": r["root_statement"], "root_signature": r["root_signature"]}
                      for r in v["rounds"]]}
    if v["staff"]:
        out["participants"] = v["participants"]
        out["offers"] = [{"round": o["round"], "firm": o["firm"], "status": o["status"],
                          "received_at": _time(o["received_at"]), "envelope_sha256": o["envelope_sha256"],
                          "total_fen": o["total_fen"]} for o in v["offers"]]
    if v["participant_org_id"] is not None:
        out["my_ranking"] = [{"round": r.number, "final": r.final, "rank": r.rank, "ranked": r.ranked,
                              "best_total_fen": r.best_total_fen, "own_total_fen": r.own_total_fen}
                             for r in v["my_rounds"]]
        out["my_offers"] = [{"round": o["round"], "status": o["status"], "received_at": _time(o["received_at"]),
                             "envelope_sha256": o["envelope_sha256"], "receipt_statement": o["receipt_statement"],
                             "receipt_signature": o["receipt_signature"], "total_fen": o["total_fen"]}
                            for o in v["my_offers"]]
    return out


FIRM = {"type": "object", "nullable": True, "properties": {
    "id": {"type": "integer"}, "name_en": {"type": "string"}, "name_zh": {"type": "string"}}}
NULL_TEXT = {"type": "string", "nullable": True}
OPENAPI.schema("Negotiation", {"type": "object", "required": ["id", "reference", "status", "rounds"], "properties": {
    "id": {"type": "integer"}, "reference": {"type": "string"}, "kind": {"type": "string", "enum": list(KINDS)},
    "status": {"type": "string", "enum": list(NEGOTIATION_STATES)}, "title": {"type": "string"},
    "city_id": {"type": "integer"}, "tender_id": {"type": "integer", "nullable": True},
    "lot_id": {"type": "integer", "nullable": True}, "agreement_id": {"type": "integer", "nullable": True},
    "quantity_milli": {"type": "integer"}, "unit": {"type": "string"}, "ceiling_fen": {"type": "integer"},
    "step_bp": {"type": "integer"}, "step_min_fen": {"type": "integer"}, "min_rounds": {"type": "integer"},
    "tie_rule": {"type": "string", "enum": list(TIE_RULES)}, "winner": FIRM, "total_fen": FEN,
    "saving_bp": {"type": "integer", "nullable": True}, "fail_reason": NULL_TEXT,
    "rounds": {"type": "array", "items": {"type": "object", "properties": {
        "number": {"type": "integer"}, "final": {"type": "boolean"}, "status": {"type": "string",
                                                                                 "enum": list(ROUND_STATES)},
        "deadline_at": TIME, "closed_at": TIME, "offers": {"type": "integer", "nullable": True},
        "best_total_fen": FEN, "merkle_root": NULL_TEXT, "root_statement": NULL_TEXT, "root_signature": NULL_TEXT}}},
    "participants": {"type": "array", "items": FIRM},
    "offers": {"type": "array", "items": {"type": "object", "properties": {
        "round": {"type": "integer"}, "firm": FIRM, "status": {"type": "string", "enum": list(OFFER_STATES)},
        "received_at": TIME, "envelope_sha256": {"type": "string"}, "total_fen": FEN}}},
    "my_ranking": {"type": "array", "items": {"type": "object", "properties": {
        "round": {"type": "integer"}, "final": {"type": "boolean"}, "rank": {"type": "integer", "nullable": True},
        "ranked": {"type": "integer"}, "best_total_fen": FEN, "own_total_fen": FEN}}},
    "my_offers": {"type": "array", "items": {"type": "object", "properties": {
        "round": {"type": "integer"}, "status": {"type": "string", "enum": list(OFFER_STATES)}, "received_at": TIME,
        "envelope_sha256": {"type": "string"}, "receipt_statement": {"type": "string"},
        "receipt_signature": {"type": "string"}, "total_fen": FEN}}}}})
OPENAPI.schema("NegotiationStart", {"type": "object", "required": ["kind", "title", "supplier_org_ids", "tie_rule",
                                                                   "first_deadline_at"], "properties": {
    "kind": {"type": "string", "enum": list(KINDS)}, "title": {"type": "string", "maxLength": services.TITLE_MAX},
    "supplier_org_ids": {"type": "array", "items": {"type": "integer"}, "minItems": 3,
                         "maxItems": services.MAX_FIRMS},
    "lot_id": {"type": "integer"}, "quantity_milli": {"type": "integer"}, "unit": {"type": "string"},
    "category_id": {"type": "integer"}, "agreement_id": {"type": "integer"},
    "project_ids": {"type": "array", "items": {"type": "integer"}}, "ceiling_fen": {"type": "integer"},
    "step_bp": {"type": "integer", "minimum": 0, "maximum": 5000}, "step_min_fen": {"type": "integer", "minimum": 0},
    "min_rounds": {"type": "integer"}, "tie_rule": {"type": "string", "enum": list(TIE_RULES)},
    "first_deadline_at": {"type": "string", "format": "date-time"}}})
OPENAPI.schema("NegotiationRoundOpen", {"type": "object", "required": ["deadline_at"], "properties": {
    "deadline_at": {"type": "string", "format": "date-time"}, "final": {"type": "boolean"}}})
OPENAPI.schema("NegotiationOffer", {"type": "object", "required": ["total_fen"], "properties": {
    "total_fen": {"type": "integer", "minimum": 1}}})
OPENAPI.schema("NegotiationCancel", {"type": "object", "required": ["reason"], "properties": {
    "reason": {"type": "string", "minLength": services.REASON_MIN, "maxLength": services.REASON_MAX}}})
BODY = {"type": "object", "required": ["negotiation"], "properties": {"negotiation": ref("Negotiation")}}


def responses(description, *, status="200", conflict=None, forbidden=True, bad=True) -> dict:
    return ok_responses(description, status, BODY, conflict=conflict, forbidden=forbidden, not_found=NOT_FOUND,
                        bad="Bad input (the fields say why)" if bad else None)


def _body(negotiation_id) -> dict:
    return {"negotiation": negotiation_json(g.api_user, services.visible(g.api_user, negotiation_id))}


@api_bp.post("/negotiations")
@api_auth()
def start():
    found = services.start(g.api_user, json_body())
    return jsonify(_body(found.id)), 201


OPENAPI.spec("/negotiations", "post", {
    "summary": "Start a negotiation (competitive negotiation or consultation on a lot, or a framework "
               "mini-competition) among at least 3 invited firms, round 1 open (a procurement centre)", "tags": TAG,
    "requestBody": body_ref("NegotiationStart"),
    "responses": {k: v for k, v in responses("The negotiation", status="201", conflict="Conflicting data").items()
                  if k != "404"}})


@api_bp.get("/negotiations/<int:negotiation_id>")
@api_auth(public=True)
def negotiation(negotiation_id):
    return jsonify(_body(negotiation_id))


OPENAPI.spec("/negotiations/{negotiation_id}", "get", {
    "summary": "A negotiation as you may see it (public once concluded; invited firms see their own rank and the "
               "best price after each round, never another firm's name or price)", "tags": TAG,
    "parameters": PATH_ID, "security": [{}, {"bearer": []}],
    "responses": responses("The negotiation", forbidden=False, bad=False)})


def _step(path, summary, schema, call, conflict, status="200"):
    def view(negotiation_id):
        body = json_body()
        call(g.api_user, negotiation_id, body)
        return jsonify(_body(negotiation_id)), int(status)
    view.__name__ = "step_" + path
    api_bp.add_url_rule(f"/negotiations/<int:negotiation_id>/{path}", view_func=api_auth()(view), methods=["POST"])
    OPENAPI.spec(f"/negotiations/{{negotiation_id}}/{path}", "post", {
        "summary": summary, "tags": TAG, "parameters": PATH_ID, "requestBody": body_ref(schema),
        "responses": responses("The negotiation", status=status, conflict=conflict)})


_step("rounds", "Open the next round, or the final-offer round once the published rounds have closed (the "
      "negotiation's centre)", "NegotiationRoundOpen", lambda u, n, b: services.open_round(u, n, b),
      "A round is still open, the final offers come later, or the negotiation is over", status="201")
_step("offers", "Make your firm's sealed offer in the open round: within the ceiling, at least the minimal step "
      "below your previous offer (final round: not above it), before the deadline; one per round", "NegotiationOffer",
      lambda u, n, b: services.submit_offer(u, n, b), "No round open, the deadline has passed, or already offered",
      status="201")
_step("cancel", "Cancel the negotiation with a reason (its centre)", "NegotiationCancel",
      lambda u, n, b: closing.cancel(u, n, b.get("reason")), "The negotiation is over")
