"""JSON API of awards, under /api/v1 (challenges and complaints: `challenge_api`):

- ``GET tenders/{id}/awards``: each lot's award the caller may see (public once notified);
- ``GET awards/{id}``: one award (the ranking and offers for the centre, the finance office and
  platform staff; the contract gate);
- ``POST tenders/{id}/lots/{lot_id}/award``: the centre sends the recommendation (201);
- ``POST awards/{id}/approve`` (``{"comment"}``), ``POST awards/{id}/return`` (``{"reason"}``):
  the finance office of the tender's city; ``POST awards/{id}/resubmit``, ``POST awards/{id}/publish``:
  the centre;
- ``POST awards/{id}/withdrawal`` (``{"kind", "reason"}``): the winner withdrew or refused to sign;
- ``POST award-offers/{id}/accept``, ``POST award-offers/{id}/decline`` (``{"reason"}``): the offered firm;
- ``POST awards/{id}/next-step`` (``{"choice", "reason"}``): a failed award's next step;
- ``GET lots/{lot_id}/contract-gate``: may the lot's contract be signed now, and if not, why.
"""

from __future__ import annotations

from flask import g, jsonify

from core import openapi
from core.api import api_auth, json_body
from core.errors import NotFound
from core.hashchain import canonical_time
from core.i18n import N_, render_payload_english
from procurement.awards import gate, policy, reading, services, succession
from procurement.awards.blueprints import api_bp
from procurement.awards.states import (
    AWARD_STATES,
    CHALLENGE_STATES,
    COMPLAINT_STATES,
    OFFER_STATES,
    STEP_MOVES,
    WITHDRAWAL_KINDS,
)
from procurement.blueprints import ID_SCHEMA, body_ref, error, ok_responses, ref
from procurement.tendering import services as tender_services
from procurement.tendering.clarifications import visible_tender
from procurement.tendering.models import Lot

OPENAPI = openapi.Operations()  # registered by wiring.register(app)
TAG = ["awards"]


def path_id(name: str) -> list[dict]:
    return [{"name": name, "in": "path", "required": True, "schema": ID_SCHEMA}]


TIME = {"type": "string", "format": "date-time", "nullable": True}
NOT_FOUND = error("No such tender, lot, award or offer (or not visible to you)")


def time(value):
    return canonical_time(value) if value is not None else None


def firm(org) -> dict | None:
    return None if org is None else {"id": org.id, "name_en": org.name_en, "name_zh": org.name_zh}


def public_challenge_json(row: dict) -> dict:
    complaint = row["complaint"]
    return {"number": row["number"], "notice_number": row["notice_number"], "status": row["status"],
            "lodged_at": time(row["lodged_at"]), "answer_due_at": time(row["answer_due_at"]),
            "answered_at": time(row["answered_at"]), "overdue": row["overdue"],
            "complaint_until": time(row["complaint_until"]),
            "complaint": None if complaint is None else {
                "status": complaint["status"], "lodged_at": time(complaint["lodged_at"]),
                "decision_due_at": time(complaint["decision_due_at"]), "decided_at": time(complaint["decided_at"]),
                "overdue": complaint["overdue"]}}


def offer_json(o) -> dict:
    return {"id": o.id, "number": o.number, "rank": o.rank, "supplier": firm(o.supplier), "total_fen": o.total_fen,
            "status": o.status, "offered_at": time(o.offered_at), "respond_by": time(o.respond_by),
            "responded_at": time(o.responded_at), "withdrawal_kind": o.withdrawal_kind,
            "reason": o.reason or None, "bond_forfeited": o.bond_forfeited}


def award_json(viewer, award) -> dict:
    view = reading.award_view(viewer, award)
    out = {"id": award.id, "tender_id": award.tender_id, "reference": award.tender.reference, "lot_id": award.lot_id,
           "lot_number": award.lot.number, "status": award.status, "winner": firm(award.winner),
           "total_fen": award.total_fen, "notice_number": award.notice_number, "notice_at": time(award.notice_at),
           "notice_until": time(award.notice_until), "standstill_until": time(award.standstill_until),
           "challenge_until": time(award.challenge_until), "challenge_window_open": view["window_open"],
           "fail_reason": render_payload_english(award.fail_reason) if award.fail_reason else None,
           "next_step": award.next_step, "next_step_reason": award.next_step_reason or None,
           "challenges": [public_challenge_json(r) for r in view["public_challenges"]],
           "my_offer": offer_json(view["my_offer"]) if view["my_offer"] is not None else None}
    if view["staff"]:
        out.update({"submitted_at": time(award.submitted_at), "review_due_at": time(award.review_due_at),
                    "review_overdue": award.review_overdue_at is not None, "reviewed_at": time(award.reviewed_at),
                    "review_comment": award.review_comment or None,
                    "candidates": [{"rank": c.get("rank"), "bid_id": c.get("bid_id"),
                                    "supplier": firm(c["firm"]), "total_fen": c.get("total_fen"),
                                    "score": c["score_text"] or None, "excluded": bool(c.get("excluded")),
                                    "reason": render_payload_english(c["reason"]) if c.get("reason") else None}
                                   for c in view["candidates"]],
                    "offers": [offer_json(o) for o in view["offers"]],
                    "can_sign_contract": view["can_sign"],
                    "sign_reasons": [render_payload_english(r) for r in view["sign_reasons"]]})
    return out


# ------------------------------------------------------------------ schemas

FIRM = {"type": "object", "nullable": True, "properties": {
    "id": {"type": "integer"}, "name_en": {"type": "string"}, "name_zh": {"type": "string"}}}
COMPLAINT_PUBLIC = {"type": "object", "nullable": True, "properties": {
    "status": {"type": "string", "enum": list(COMPLAINT_STATES)}, "lodged_at": TIME, "decision_due_at": TIME,
    "decided_at": TIME, "overdue": {"type": "boolean"}}}
OPENAPI.schema("AwardChallengeStatus", {"type": "object", "required": ["number", "status"], "properties": {
    "number": {"type": "integer"}, "notice_number": {"type": "integer"},
    "status": {"type": "string", "enum": list(CHALLENGE_STATES)}, "lodged_at": TIME, "answer_due_at": TIME,
    "answered_at": TIME, "overdue": {"type": "boolean"}, "complaint_until": TIME, "complaint": COMPLAINT_PUBLIC}})
OPENAPI.schema("AwardOffer", {"type": "object", "required": ["id", "number", "status"], "properties": {
    "id": {"type": "integer"}, "number": {"type": "integer"}, "rank": {"type": "integer"}, "supplier": FIRM,
    "total_fen": {"type": "integer", "nullable": True}, "status": {"type": "string", "enum": list(OFFER_STATES)},
    "offered_at": TIME, "respond_by": TIME, "responded_at": TIME,
    "withdrawal_kind": {"type": "string", "nullable": True, "enum": [*WITHDRAWAL_KINDS, None]},
    "reason": {"type": "string", "nullable": True}, "bond_forfeited": {"type": "boolean"}}})
OPENAPI.schema("Award", {"type": "object", "required": ["id", "tender_id", "lot_id", "status", "challenges"],
                         "properties": {
    "id": {"type": "integer"}, "tender_id": {"type": "integer"}, "reference": {"type": "string"},
    "lot_id": {"type": "integer"}, "lot_number": {"type": "integer"},
    "status": {"type": "string", "enum": list(AWARD_STATES)}, "winner": FIRM,
    "total_fen": {"type": "integer", "nullable": True}, "notice_number": {"type": "integer"},
    "notice_at": TIME, "notice_until": TIME, "standstill_until": TIME, "challenge_until": TIME,
    "challenge_window_open": {"type": "boolean"}, "fail_reason": {"type": "string", "nullable": True},
    "next_step": {"type": "string", "nullable": True}, "next_step_reason": {"type": "string", "nullable": True},
    "challenges": {"type": "array", "items": ref("AwardChallengeStatus")},
    "my_offer": {**ref("AwardOffer"), "nullable": True},
    "submitted_at": TIME, "review_due_at": TIME, "review_overdue": {"type": "boolean"}, "reviewed_at": TIME,
    "review_comment": {"type": "string", "nullable": True},
    "candidates": {"type": "array", "items": {"type": "object", "properties": {
        "rank": {"type": "integer", "nullable": True}, "bid_id": {"type": "integer"}, "supplier": FIRM,
        "total_fen": {"type": "integer"}, "score": {"type": "string", "nullable": True},
        "excluded": {"type": "boolean"}, "reason": {"type": "string", "nullable": True}}}},
    "offers": {"type": "array", "items": ref("AwardOffer")},
    "can_sign_contract": {"type": "boolean"}, "sign_reasons": {"type": "array", "items": {"type": "string"}}}})
OPENAPI.schema("AwardComment", {"type": "object", "properties": {
    "comment": {"type": "string", "maxLength": services.REASON_MAX}}})
OPENAPI.schema("AwardReason", {"type": "object", "required": ["reason"], "properties": {
    "reason": {"type": "string", "minLength": 5, "maxLength": services.REASON_MAX}}})
OPENAPI.schema("AwardOptionalReason", {"type": "object", "properties": {
    "reason": {"type": "string", "maxLength": services.REASON_MAX}}})
OPENAPI.schema("AwardWithdrawal", {"type": "object", "required": ["kind", "reason"], "properties": {
    "kind": {"type": "string", "enum": list(WITHDRAWAL_KINDS)},
    "reason": {"type": "string", "minLength": 5, "maxLength": succession.WITHDRAWAL_REASON_MAX}}})
OPENAPI.schema("AwardNextStep", {"type": "object", "required": ["choice", "reason"], "properties": {
    "choice": {"type": "string", "enum": sorted(STEP_MOVES)},
    "reason": {"type": "string", "minLength": 5, "maxLength": services.REASON_MAX}}})
AWARD_BODY = {"type": "object", "required": ["award"], "properties": {"award": ref("Award")}}


def responses(description, *, status="200", conflict=None, forbidden=True, schema=AWARD_BODY) -> dict:
    return ok_responses(description, status, schema, conflict=conflict, forbidden=forbidden, not_found=NOT_FOUND)


def _award(viewer, award) -> dict:
    return {"award": award_json(viewer, services.get_award(award.id))}


# ------------------------------------------------------------------ routes

@api_bp.get("/tenders/<int:tender_id>/awards")
@api_auth(public=True)
def tender_awards(tender_id):
    tender_services.catch_up(tender_id)
    tender = visible_tender(g.api_user, tender_id)
    rows = reading.tender_awards(g.api_user, tender)
    for row in rows:
        if row["award"] is not None:
            services.catch_up(row["award"])
    rows = reading.tender_awards(g.api_user, visible_tender(g.api_user, tender_id))
    return jsonify({"tender_id": tender_id, "lots": [
        {"lot_id": r["lot"].id, "number": r["lot"].number, "title": r["lot"].title,
         "award": award_json(g.api_user, r["award"]) if r["award"] is not None else None} for r in rows]})


OPENAPI.spec("/tenders/{tender_id}/awards", "get", {
    "summary": "Each lot's award as you may see it (public once its notice is published)", "tags": TAG,
    "parameters": path_id("tender_id"), "security": [{}, {"bearer": []}],
    "responses": responses("The lots and their awards", forbidden=False, schema={
        "type": "object", "required": ["tender_id", "lots"], "properties": {
            "tender_id": {"type": "integer"}, "lots": {"type": "array", "items": {"type": "object", "properties": {
                "lot_id": {"type": "integer"}, "number": {"type": "integer"}, "title": {"type": "string"},
                "award": {**ref("Award"), "nullable": True}}}}}})})


@api_bp.get("/awards/<int:award_id>")
@api_auth(public=True)
def award(award_id):
    found = services.get_award(award_id)
    if found is not None:
        services.catch_up(found)
    return jsonify(_award(g.api_user, services.visible_award(g.api_user, award_id)))


OPENAPI.spec("/awards/{award_id}", "get", {
    "summary": "One award: winner, amount, notice dates, challenge statuses; the ranking, offers and contract gate "
               "for the centre, the finance office and platform staff", "tags": TAG,
    "parameters": path_id("award_id"), "security": [{}, {"bearer": []}],
    "responses": responses("The award", forbidden=False)})


@api_bp.post("/tenders/<int:tender_id>/lots/<int:lot_id>/award")
@api_auth()
def submit(tender_id, lot_id):
    found = services.submit(g.api_user, tender_id, lot_id)
    return jsonify(_award(g.api_user, found)), 201


OPENAPI.spec("/tenders/{tender_id}/lots/{lot_id}/award", "post", {
    "summary": "Send the lot's recommendation (the signed ranking's first bid) to the finance office of the "
               "tender's city (the tender's centre)", "tags": TAG,
    "parameters": path_id("tender_id") + path_id("lot_id"),
    "responses": responses("The award, waiting for review", status="201",
                           conflict="The lot is not qualified or ranked yet, or already has an award")})


def _step(path, summary, body_schema, call, conflict):
    """Register one POST step on an award."""
    def view(award_id):
        body = json_body() if body_schema else {}
        return jsonify(_award(g.api_user, call(g.api_user, award_id, body)))

    view.__name__ = "step_" + path.replace("-", "_")
    api_bp.add_url_rule(f"/awards/<int:award_id>/{path}", view_func=api_auth()(view), methods=["POST"])
    spec = {"summary": summary, "tags": TAG, "parameters": path_id("award_id"),
            "responses": responses("The award", conflict=conflict)}
    if body_schema:
        spec["requestBody"] = body_ref(body_schema)
    OPENAPI.spec(f"/awards/{{award_id}}/{path}", "post", spec)


_step("approve", "Approve the recommendation (the finance office of the tender's city)", "AwardComment",
      lambda u, a, b: services.approve(u, a, b.get("comment")), "Not waiting for review")
_step("return", "Return the recommendation with a reason (the finance office of the tender's city)", "AwardReason",
      lambda u, a, b: services.return_recommendation(u, a, b.get("reason")), "Not waiting for review")
_step("resubmit", "Send a returned recommendation again (the centre)", None,
      lambda u, a, b: services.resubmit(u, a), "Not returned")
_step("publish", "Publish the award notice: standstill and challenge window start, losers' bonds are scheduled for "
      "refund (the centre, once approved; two at once: one wins)", None,
      lambda u, a, b: services.publish(u, a), "Not approved, or already published")
_step("withdrawal", "Record that the winner withdrew or refused to sign: its bond is forfeited and the next-ranked "
      "firm is offered the award (the centre)", "AwardWithdrawal",
      lambda u, a, b: succession.record_withdrawal(u, a, b.get("kind"), b.get("reason")), "No firm holds the award")
_step("next-step", "Choose a failed award's next step (the centre)", "AwardNextStep",
      lambda u, a, b: succession.choose_next_step(u, a, b.get("choice"), b.get("reason")), "The award has not failed")


def _offer_step(path, summary, body_schema, call):
    def view(offer_id):
        body = json_body() if body_schema else {}
        return jsonify(_award(g.api_user, call(g.api_user, offer_id, body)))

    view.__name__ = "offer_" + path
    api_bp.add_url_rule(f"/award-offers/<int:offer_id>/{path}", view_func=api_auth()(view), methods=["POST"])
    spec = {"summary": summary, "tags": TAG, "parameters": path_id("offer_id"),
            "responses": responses("The award", conflict="The offer was answered or lapsed", forbidden=False)}
    if body_schema:
        spec["requestBody"] = body_ref(body_schema)
    OPENAPI.spec(f"/award-offers/{{offer_id}}/{path}", "post", spec)


_offer_step("accept", "Accept the award offered to your firm (before its deadline)", None,
            lambda u, o, b: succession.accept_offer(u, o))
_offer_step("decline", "Decline the award offered to your firm", "AwardOptionalReason",
            lambda u, o, b: succession.decline_offer(u, o, b.get("reason")))


@api_bp.get("/lots/<int:lot_id>/contract-gate")
@api_auth()
def contract_gate(lot_id):
    from core.extensions import db

    lot = db.session.get(Lot, lot_id)
    if lot is None or not policy.is_staff(g.api_user, lot.tender):
        raise NotFound(N_("No such lot."))
    found = services.award_for_lot(lot.id)
    if found is not None:
        services.catch_up(found)
    ok, reasons = gate.can_sign_contract(lot_id)
    return jsonify({"lot_id": lot_id, "can_sign": ok, "reasons": [render_payload_english(r) for r in reasons],
                    "reason_keys": [r["key"] for r in reasons]})


OPENAPI.spec("/lots/{lot_id}/contract-gate", "get", {
    "summary": "May the lot's contract be signed now? (award notice published, standstill over, no challenge or "
               "complaint pending); the centre, the finance office, platform staff", "tags": TAG,
    "parameters": path_id("lot_id"),
    "responses": responses("The gate", forbidden=False, schema={
        "type": "object", "required": ["lot_id", "can_sign", "reasons"], "properties": {
            "lot_id": {"type": "integer"}, "can_sign": {"type": "boolean"},
            "reasons": {"type": "array", "items": {"type": "string"}},
            "reason_keys": {"type": "array", "items": {"type": "string"}}}})})
