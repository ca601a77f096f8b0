"""JSON API of bid opening and qualification, under /api/v1:

- ``GET tenders/{id}/opening``: the opening session (k of n, who unlocked; centre, finance
  office, key holders, platform staff);
- ``POST tenders/{id}/opening/unlock``: a key holder unlocks their share with their passphrase
  (after the deadline); the k-th share opens the bids;
- ``GET tenders/{id}/opening-record``: public once opened: bidders, products, prices per lot;
- ``GET tenders/{id}/qualification``: every opened bid's check results (centre, finance, platform);
- ``POST qualification-results/{id}/override``: override one result (passed, reason);
- ``POST tenders/{id}/lots/{lot_id}/qualification/confirm``: close a lot's qualification;
- ``POST tenders/{id}/lots/{lot_id}/next-step``: choose a failed lot's next step.
"""

from __future__ import annotations

from flask import g, jsonify

from core import openapi
from core.api import api_auth, json_body
from core.errors import Conflict, NotFound
from core.hashchain import canonical_time
from core.i18n import N_, render_payload_english
from procurement.blueprints import ID_SCHEMA, body_ref, error, json_response, ref
from procurement.opening import policy, qualification, reading, services
from procurement.opening.blueprints import api_bp
from procurement.opening.states import (
    CHECKS,
    LOT_OUTCOMES,
    NEXT_STEPS,
    OPENED_BID_STATES,
    SESSION_STATES,
)
from procurement.tendering import services as tender_services
from procurement.tendering.clarifications import visible_tender

OPENAPI = openapi.Operations()  # registered by wiring.register(app)
TAG = ["opening"]
TENDER_ID = [{"name": "tender_id", "in": "path", "required": True, "schema": ID_SCHEMA}]
LOT_ID = TENDER_ID + [{"name": "lot_id", "in": "path", "required": True, "schema": ID_SCHEMA}]
RESULT_ID = [{"name": "result_id", "in": "path", "required": True, "schema": ID_SCHEMA}]
NOT_FOUND = error("No such tender, lot or result (or not visible to you)")
NULLABLE_TIME = {"type": "string", "format": "date-time", "nullable": True}


def _time(value):
    return canonical_time(value) if value is not None else None


def _visible(tender_id, check):
    tender_services.catch_up(tender_id)
    tender = visible_tender(g.api_user, tender_id)
    if check is not None and not check(g.api_user, tender):
        raise NotFound(N_("No such tender."))
    return tender


def session_json(view: dict) -> dict:
    session = view["session"]
    return {"tender_id": view["tender"].id, "status": view["status"], "k": view["k"], "n": view["n"],
            "attempt": session.attempt if session else None, "unlocked": view["unlocked"],
            "deadline": _time(view["tender"].bid_deadline_at), "deadline_passed": view["deadline_passed"],
            "expires_at": _time(session.expires_at) if session and view["status"] == "collecting" else None,
            "opened_at": _time(session.opened_at) if session else None,
            "holders": [{"user_id": h["user"].id, "name": h["user"].name, "unlocked_at": _time(h["unlocked_at"])}
                        for h in view["holders"]]}


def outcome_json(outcome, tender) -> dict | None:
    if outcome is None:
        return None
    return {"status": outcome.status, "valid_bids": outcome.valid_bids, "qualified_bids": outcome.qualified_bids,
            "min_bidders": outcome.min_bidders,
            "fail_reason": render_payload_english(outcome.fail_reason) if outcome.fail_reason else None,
            "next_steps": list(NEXT_STEPS.get(tender.method, ())) if outcome.status == "failed" else [],
            "next_step": outcome.next_step, "next_step_reason": outcome.next_step_reason or None}


def _supplier(opened) -> dict:
    org = opened.supplier
    return {"id": org.id, "name_en": org.name_en, "name_zh": org.name_zh}


def _bid_json(item: dict) -> dict:
    b = item["opened"]
    return {"bid_id": b.bid_id, "supplier": _supplier(b), "status": b.status,
            "void_reason": render_payload_english(b.void_reason) if b.void_reason else None,
            "product": item["product"], "unit_price_fen": b.unit_price_fen, "total_fen": b.total_fen,
            "documents": [{"name": d.name, "sha256": d.sha256, "size": d.size} for d in b.documents]}


def result_json(r) -> dict:
    return {"id": r.id, "check": r.check_name, "passed": r.passed, "auto_passed": r.auto_passed,
            "reason": render_payload_english(r.reason), "reason_key": r.reason.get("key"),
            "reason_params": r.reason.get("params") or {}, "override_reason": r.override_reason or None,
            "overridden_by": r.overridden_by_id, "overridden_at": _time(r.overridden_at)}


# ------------------------------------------------------------------ schemas

OUTCOME = {"type": "object", "nullable": True, "required": ["status", "valid_bids", "min_bidders"], "properties": {
    "status": {"type": "string", "enum": list(LOT_OUTCOMES)}, "valid_bids": {"type": "integer"},
    "qualified_bids": {"type": "integer", "nullable": True}, "min_bidders": {"type": "integer"},
    "fail_reason": {"type": "string", "nullable": True},
    "next_steps": {"type": "array", "items": {"type": "string"}},
    "next_step": {"type": "string", "nullable": True}, "next_step_reason": {"type": "string", "nullable": True}}}
SUPPLIER = {"type": "object", "required": ["id"], "properties": {
    "id": {"type": "integer"}, "name_en": {"type": "string"}, "name_zh": {"type": "string"}}}
OPENAPI.schema("OpeningSession", {"type": "object", "required": ["tender_id", "status", "unlocked", "holders"],
                                  "properties": {
    "tender_id": {"type": "integer"},
    "status": {"type": "string", "enum": ["not_started", *SESSION_STATES]},
    "k": {"type": "integer", "nullable": True}, "n": {"type": "integer", "nullable": True},
    "attempt": {"type": "integer", "nullable": True}, "unlocked": {"type": "integer"},
    "deadline": NULLABLE_TIME, "deadline_passed": {"type": "boolean"}, "expires_at": NULLABLE_TIME,
    "opened_at": NULLABLE_TIME,
    "holders": {"type": "array", "items": {"type": "object", "required": ["user_id"], "properties": {
        "user_id": {"type": "integer"}, "name": {"type": "string"}, "unlocked_at": NULLABLE_TIME}}}}})
OPENAPI.schema("OpenedBid", {"type": "object", "required": ["bid_id", "supplier", "status"], "properties": {
    "bid_id": {"type": "integer"}, "supplier": SUPPLIER, "status": {"type": "string", "enum": list(OPENED_BID_STATES)},
    "void_reason": {"type": "string", "nullable": True},
    "product": {"type": "object", "nullable": True, "properties": {
        "id": {"type": "integer"}, "sku": {"type": "string"}, "name_en": {"type": "string"},
        "name_zh": {"type": "string"}, "unit": {"type": "string"}}},
    "unit_price_fen": {"type": "integer", "nullable": True}, "total_fen": {"type": "integer", "nullable": True},
    "documents": {"type": "array", "items": {"type": "object", "properties": {
        "name": {"type": "string"}, "sha256": {"type": "string"}, "size": {"type": "integer"}}}}}})
OPENAPI.schema("QualificationResult", {"type": "object", "required": ["id", "check", "passed", "auto_passed", "reason"],
                                       "properties": {
    "id": {"type": "integer"}, "check": {"type": "string", "enum": list(CHECKS)}, "passed": {"type": "boolean"},
    "auto_passed": {"type": "boolean"}, "reason": {"type": "string", "description": "English; reason_key and "
                                                                                     "reason_params to translate"},
    "reason_key": {"type": "string"}, "reason_params": {"type": "object"},
    "override_reason": {"type": "string", "nullable": True}, "overridden_by": {"type": "integer", "nullable": True},
    "overridden_at": NULLABLE_TIME}})
OPENAPI.schema("LotOutcome", OUTCOME)
LOT_BASE = {"lot_id": {"type": "integer"}, "number": {"type": "integer"}, "title": {"type": "string"},
            "outcome": ref("LotOutcome")}
RECORD = {"type": "object", "required": ["tender_id", "reference", "opened_at", "lots"], "properties": {
    "tender_id": {"type": "integer"}, "reference": {"type": "string"}, "opened_at": {"type": "string",
                                                                                    "format": "date-time"},
    "merkle_root": {"type": "string", "nullable": True},
    "lots": {"type": "array", "items": {"type": "object", "properties": {
        **LOT_BASE, "bids": {"type": "array", "items": ref("OpenedBid")}}}}}}
QUALIFICATION = {"type": "object", "required": ["tender_id", "lots"], "properties": {
    "tender_id": {"type": "integer"},
    "lots": {"type": "array", "items": {"type": "object", "properties": {**LOT_BASE, "bids": {
        "type": "array", "items": {"type": "object", "properties": {
            "opened_bid_id": {"type": "integer"}, "bid_id": {"type": "integer"}, "supplier": SUPPLIER,
            "status": {"type": "string", "enum": list(OPENED_BID_STATES)}, "qualified": {"type": "boolean"},
            "results": {"type": "array", "items": ref("QualificationResult")}}}}}}}}}
OPENAPI.schema("OpeningUnlock", {"type": "object", "required": ["passphrase"], "properties": {
    "passphrase": {"type": "string", "minLength": 1, "maxLength": 200}}})
OPENAPI.schema("QualificationOverride", {"type": "object", "required": ["passed", "reason"], "properties": {
    "passed": {"type": "boolean"}, "reason": {"type": "string", "minLength": 5, "maxLength": 2000}}})
OPENAPI.schema("LotNextStep", {"type": "object", "required": ["choice", "reason"], "properties": {
    "choice": {"type": "string", "enum": sorted({s for steps in NEXT_STEPS.values() for s in steps})},
    "reason": {"type": "string", "minLength": 5, "maxLength": 2000}}})


def _ok(description, schema, *, conflict=None, forbidden=True) -> dict:
    out = {"200": json_response(description, schema), "404": NOT_FOUND}
    if forbidden:
        out["403"] = error("Not allowed")
    if conflict:
        out["409"] = error(conflict)
    return out


# ------------------------------------------------------------------ routes

@api_bp.get("/tenders/<int:tender_id>/opening")
@api_auth()
def opening_session(tender_id):
    tender = _visible(tender_id, policy.can_view_opening)
    return jsonify(session_json(reading.session_view(tender)))


OPENAPI.spec("/tenders/{tender_id}/opening", "get", {
    "summary": "The opening session: k of n key holders, who unlocked, when it expires or opened", "tags": TAG,
    "parameters": TENDER_ID, "responses": _ok("The session", ref("OpeningSession"), forbidden=False)})


@api_bp.post("/tenders/<int:tender_id>/opening/unlock")
@api_auth()
def unlock(tender_id):
    body = json_body()
    tender_services.catch_up(tender_id)
    done = services.unlock(g.api_user, tender_id, body.get("passphrase"))
    view = reading.session_view(done.session.tender)
    return jsonify({"session": session_json(view), "shares": done.shares, "k": done.k, "opened": done.opened})


OPENAPI.spec("/tenders/{tender_id}/opening/unlock", "post", {
    "summary": "Unlock your share of the tender's opening key with your passphrase (named key holders, after the "
               "bid deadline). The k-th share opens the bids. A wrong passphrase: 400, nothing changes.",
    "tags": TAG, "parameters": TENDER_ID, "requestBody": body_ref("OpeningUnlock"),
    "responses": _ok("Unlocked", {"type": "object", "required": ["session", "shares", "k", "opened"], "properties": {
        "session": ref("OpeningSession"), "shares": {"type": "integer"}, "k": {"type": "integer"},
        "opened": {"type": "boolean"}}},
        conflict="Before the deadline; tendering not closed; already unlocked; already opened")})


@api_bp.get("/tenders/<int:tender_id>/opening-record")
@api_auth(public=True)
def opening_record(tender_id):
    tender = _visible(tender_id, None)
    record = reading.opening_record(tender)
    if record is None:
        raise Conflict(N_("The bids of this tender have not been opened yet."))
    return jsonify({"tender_id": tender.id, "reference": tender.reference,
                    "opened_at": _time(record["session"].opened_at),
                    "merkle_root": record["root"].root if record["root"] else None,
                    "lots": [{"lot_id": row["lot"].id, "number": row["lot"].number, "title": row["lot"].title,
                              "outcome": outcome_json(row["outcome"], tender),
                              "bids": [_bid_json(item) for item in row["bids"]]} for row in record["lots"]]})


OPENAPI.spec("/tenders/{tender_id}/opening-record", "get", {
    "summary": "The public opening record: per lot, every opened bid's firm, product, unit price and total (or why "
               "it was void), and the lot's outcome", "tags": TAG, "parameters": TENDER_ID,
    "security": [{}, {"bearer": []}],
    "responses": _ok("The opening record", RECORD, conflict="Not opened yet", forbidden=False)})


@api_bp.get("/tenders/<int:tender_id>/qualification")
@api_auth()
def qualification_results(tender_id):
    tender = _visible(tender_id, policy.can_view_qualification)
    return jsonify({"tender_id": tender.id, "lots": [
        {"lot_id": row["lot"].id, "number": row["lot"].number, "title": row["lot"].title,
         "outcome": outcome_json(row["outcome"], tender),
         "bids": [{"opened_bid_id": item["opened"].id, "bid_id": item["opened"].bid_id,
                   "supplier": _supplier(item["opened"]), "status": item["opened"].status,
                   "qualified": item["qualified"], "results": [result_json(r) for r in item["results"]]}
                  for item in row["bids"]]} for row in reading.qualification_view(tender)]})


OPENAPI.spec("/tenders/{tender_id}/qualification", "get", {
    "summary": "Qualification results of every opened bid, check by check, with reasons and overrides", "tags": TAG,
    "parameters": TENDER_ID, "responses": _ok("The results", QUALIFICATION, forbidden=False)})


@api_bp.post("/qualification-results/<int:result_id>/override")
@api_auth()
def override(result_id):
    body = json_body()
    result = qualification.override(g.api_user, result_id, body.get("passed"), body.get("reason"))
    return jsonify({"result": result_json(result)})


OPENAPI.spec("/qualification-results/{result_id}/override", "post", {
    "summary": "Override one automatic qualification result (the tender's centre, while the lot is being "
               "qualified); a reason is required and recorded", "tags": TAG, "parameters": RESULT_ID,
    "requestBody": body_ref("QualificationOverride"),
    "responses": _ok("The result", {"type": "object", "required": ["result"], "properties": {
        "result": ref("QualificationResult")}}, conflict="The lot's qualification is closed")})


def _outcome_body(outcome) -> dict:
    return {"lot_id": outcome.lot_id, "outcome": outcome_json(outcome, outcome.lot.tender)}


OUTCOME_BODY = {"type": "object", "required": ["lot_id", "outcome"], "properties": {
    "lot_id": {"type": "integer"}, "outcome": ref("LotOutcome")}}


@api_bp.post("/tenders/<int:tender_id>/lots/<int:lot_id>/qualification/confirm")
@api_auth()
def confirm(tender_id, lot_id):
    return jsonify(_outcome_body(qualification.confirm(g.api_user, tender_id, lot_id)))


OPENAPI.spec("/tenders/{tender_id}/lots/{lot_id}/qualification/confirm", "post", {
    "summary": "Close a lot's qualification: qualified when enough firms pass every check, else the lot fails",
    "tags": TAG, "parameters": LOT_ID,
    "responses": _ok("The lot's outcome", OUTCOME_BODY, conflict="Not opened, or qualification already closed")})


@api_bp.post("/tenders/<int:tender_id>/lots/<int:lot_id>/next-step")
@api_auth()
def next_step(tender_id, lot_id):
    body = json_body()
    outcome = qualification.choose_next_step(g.api_user, tender_id, lot_id, body.get("choice"), body.get("reason"))
    return jsonify(_outcome_body(outcome))


OPENAPI.spec("/tenders/{tender_id}/lots/{lot_id}/next-step", "post", {
    "summary": "Record the centre's choice for a failed lot: re-tender, or switch to competitive negotiation (with "
               "approval: say whose in the reason)", "tags": TAG, "parameters": LOT_ID,
    "requestBody": body_ref("LotNextStep"),
    "responses": _ok("The lot's outcome", OUTCOME_BODY, conflict="The lot has not failed, or a step was chosen")})
