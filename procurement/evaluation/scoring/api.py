"""JSON API of scoring, under /api/v1 (the same services as the pages):

- ``GET|PUT|DELETE tenders/{id}/scoring-plan``, ``DELETE tenders/{id}/lots/{lot_id}/scoring-plan``:
  the evaluation method and criteria (read: whoever reads the tender; write: its centre, draft);
- ``GET lots/{id}/evaluation``, ``POST lots/{id}/evaluation/start``: a lot's evaluation;
- ``GET|POST lots/{id}/evaluation/scores``: the scores the caller may see; a member's sheet;
- ``GET|POST lots/{id}/evaluation/report``, ``POST .../report/signatures``, ``POST
  lots/{id}/evaluation/reopen``: the report: read, issue, sign, take back;
- ``GET price-flags/{id}``, ``POST price-flags/{id}/justification``, ``POST
  price-flags/{id}/decision``: abnormally low prices.

Exact scores are strings "n/d" (or a whole number); ``*_display`` is rounded half up to 2 decimals.
"""

from __future__ import annotations

from flask import g, jsonify

from core import openapi, scheduler
from core.api import api_auth, json_body
from core.errors import Conflict
from core.hashchain import canonical_time
from core.i18n import N_, render_payload_english
from procurement.blueprints import ID_SCHEMA, body_ref, error, json_response, ref
from procurement.evaluation.scoring import criteria, justifications, reading, services
from procurement.evaluation.scoring.arithmetic import display, exact, format_points
from procurement.evaluation.scoring.blueprints import api_bp
from procurement.evaluation.scoring.states import (
    EVALUATION_STATES,
    FLAG_STATES,
    METHODS,
    OBJECT_TYPE,
    SCORING,
    SUBJECTS,
)
from procurement.quantities import format_bp
from procurement.tendering.clarifications import visible_tender

OPENAPI = openapi.Operations()  # registered by wiring.register(app)
TAG = ["scoring"]
TENDER_ID = [{"name": "tender_id", "in": "path", "required": True, "schema": ID_SCHEMA}]
LOT_ID = [{"name": "lot_id", "in": "path", "required": True, "schema": ID_SCHEMA}]
FLAG_ID = [{"name": "flag_id", "in": "path", "required": True, "schema": ID_SCHEMA}]
TIME = {"type": "string", "format": "date-time", "nullable": True}
EXACT = {"type": "string", "description": "Exact value: a whole number or a fraction n/d (points out of 100)"}


def _ok(description, schema, *, conflict=None, forbidden=True, status="200") -> dict:
    out = {status: json_response(description, schema) if status != "204" else {"description": description},
           "404": error("No such tender, lot or flag (or not visible to you)")}
    if forbidden:
        out["403"] = error("Not allowed")
    if conflict:
        out["409"] = error(conflict)
    return out


# ------------------------------------------------------------------ JSON shapes

def criterion_json(c: dict) -> dict:
    return {"id": c.get("id"), "position": c.get("position"), "name": c["name"], "description": c["description"],
            "weight_percent": format_bp(c["weight_bp"]), "weight_bp": c["weight_bp"],
            "max_score": format_points(c["max_score_cp"])}


def plan_json(plan: dict) -> dict:
    return {"method": plan["method"], "subject": plan["subject"], "price_weight_bp": plan["price_weight_bp"],
            "price_weight_percent": format_bp(plan["price_weight_bp"]),
            "criteria": [criterion_json(c) for c in plan["criteria"]]}


def flag_json(flag) -> dict:
    return {"id": flag.id, "lot_id": flag.evaluation.lot_id, "opened_bid_id": flag.opened_bid_id,
            "supplier_org_id": flag.supplier_org_id, "status": flag.status,
            "reasons": [render_payload_english(r) for r in flag.reasons or []], "due_at": canonical_time(flag.due_at),
            "justification": flag.justification or None, "justified_at": canonical_time(flag.justified_at),
            "decision_reason": flag.decision_reason or None, "decided_at": canonical_time(flag.decided_at)}


def ranked_json(item) -> dict:
    b = item.bid
    return {"rank": item.rank, "bid_id": b.bid_id, "opened_bid_id": b.opened_bid_id,
            "supplier_org_id": b.supplier_org_id, "total_fen": b.total_fen, "price_score": exact(item.price_score),
            "score": exact(item.score), "score_display": display(item.score), "excluded": b.excluded,
            "exclusion_reason": render_payload_english(b.exclusion_reason) if b.exclusion_reason else None}


def _report_ranking(report: dict) -> list[dict]:
    return [{"rank": b["rank"], "bid_id": b["bid_id"], "opened_bid_id": b["opened_bid_id"],
             "supplier_org_id": b["supplier_org_id"], "total_fen": b["total_fen"], "price_score": b["price_score"],
             "score": b["score"], "score_display": b["score_display"], "excluded": b["excluded"],
             "exclusion_reason": render_payload_english(b["exclusion_reason"]) if b["exclusion_reason"] else None}
            for b in report["bids"]]


def evaluation_json(v: dict) -> dict:
    e = v["evaluation"]
    lot = v["lot"]
    out = {"lot_id": lot.id, "tender_id": lot.tender_id, "status": e.status if e else "not_started",
           "plan": plan_json(v["plan"]) if e is None else plan_json({
               "method": e.method, "subject": e.subject, "price_weight_bp": e.price_weight_bp, "criteria": e.criteria}),
           "panel": None if v["panel"] is None else {"panel_id": v["panel"].id, "status": v["panel"].status},
           "members": [{"user_id": u.id, "name": u.name, "submitted": u.id in v["submitted_ids"],
                        "signed": u.id in v["signed_ids"]} for u in v["members"]],
           "flags": [flag_json(f) for f in v.get("flags", [])],
           "justification_due_at": canonical_time(e.justification_due_at) if e else None,
           "report": None if e is None or e.report is None else {
               "version": e.report_version, "sha256": e.report_sha256, "issued_at": canonical_time(e.report_issued_at)},
           "signed_at": canonical_time(e.signed_at) if e else None,
           "you": {"is_member": v["is_member"], "can_score": v["can_score"], "submitted": v["own_sheet"] is not None,
                   "can_sign": v["can_sign"], "can_see_scores": v["can_see_sheets"], "can_start": v["can_start"]},
           "ranking": None}
    if e is not None and v["can_see_sheets"]:
        out["ranking"] = [ranked_json(s) for s in v["scored"]] if e.status == SCORING else _report_ranking(e.report)
    return out


# ------------------------------------------------------------------ schemas

CRITERION = {"type": "object", "required": ["name", "weight_bp", "max_score"], "properties": {
    "id": {"type": "integer", "nullable": True}, "position": {"type": "integer", "nullable": True},
    "name": {"type": "string"}, "description": {"type": "string"}, "weight_percent": {"type": "string"},
    "weight_bp": {"type": "integer"}, "max_score": {"type": "string"}}}
OPENAPI.schema("ScoringPlan", {"type": "object", "required": ["method", "subject", "price_weight_bp", "criteria"],
                               "properties": {
    "method": {"type": "string", "enum": list(METHODS)}, "subject": {"type": "string", "enum": list(SUBJECTS)},
    "price_weight_bp": {"type": "integer"}, "price_weight_percent": {"type": "string"},
    "criteria": {"type": "array", "items": CRITERION}}})
PLANS = {"type": "object", "required": ["tender_id", "tender", "lots"], "properties": {
    "tender_id": {"type": "integer"}, "tender": {**ref("ScoringPlan"), "nullable": True},
    "lots": {"type": "array", "items": {"type": "object", "properties": {
        "lot_id": {"type": "integer"}, "number": {"type": "integer"}, "own": {"type": "boolean"},
        "plan": ref("ScoringPlan")}}}}}
OPENAPI.schema("ScoringPlanInput", {"type": "object", "required": ["method"], "properties": {
    "lot_id": {**ID_SCHEMA, "description": "Only this lot (absent: the whole tender)"},
    "method": {"type": "string", "enum": list(METHODS)}, "subject": {"type": "string", "enum": list(SUBJECTS)},
    "price_weight": {"type": "string", "description": "Percent, up to 2 decimals (comprehensive scoring)"},
    "criteria": {"type": "array", "maxItems": 20, "items": {"type": "object", "required": ["name", "weight",
                                                                                          "max_score"],
                                                            "properties": {
        "name": {"type": "string", "maxLength": 200}, "description": {"type": "string", "maxLength": 2000},
        "weight": {"type": "string", "description": "Percent of the 100 points"},
        "max_score": {"type": "string", "description": "Points, up to 2 decimals"}}}}}})
OPENAPI.schema("PriceFlag", {"type": "object", "required": ["id", "status", "reasons", "due_at"], "properties": {
    "id": {"type": "integer"}, "lot_id": {"type": "integer"}, "opened_bid_id": {"type": "integer"},
    "supplier_org_id": {"type": "integer"}, "status": {"type": "string", "enum": list(FLAG_STATES)},
    "reasons": {"type": "array", "items": {"type": "string"}}, "due_at": TIME,
    "justification": {"type": "string", "nullable": True}, "justified_at": TIME,
    "decision_reason": {"type": "string", "nullable": True}, "decided_at": TIME}})
OPENAPI.schema("RankedBid", {"type": "object", "required": ["rank", "bid_id", "score", "excluded"], "properties": {
    "rank": {"type": "integer", "nullable": True}, "bid_id": {"type": "integer"}, "opened_bid_id": {"type": "integer"},
    "supplier_org_id": {"type": "integer"}, "total_fen": {"type": "integer"}, "price_score": EXACT, "score": EXACT,
    "score_display": {"type": "string"}, "excluded": {"type": "boolean"},
    "exclusion_reason": {"type": "string", "nullable": True}}})
OPENAPI.schema("LotEvaluation", {"type": "object", "required": ["lot_id", "status", "plan", "members", "flags"],
                                 "properties": {
    "lot_id": {"type": "integer"}, "tender_id": {"type": "integer"},
    "status": {"type": "string", "enum": ["not_started", *EVALUATION_STATES]}, "plan": ref("ScoringPlan"),
    "panel": {"type": "object", "nullable": True, "properties": {"panel_id": {"type": "integer"},
                                                                 "status": {"type": "string"}}},
    "members": {"type": "array", "items": {"type": "object", "properties": {
        "user_id": {"type": "integer"}, "name": {"type": "string"}, "submitted": {"type": "boolean"},
        "signed": {"type": "boolean"}}}},
    "flags": {"type": "array", "items": ref("PriceFlag")}, "justification_due_at": TIME,
    "report": {"type": "object", "nullable": True, "properties": {
        "version": {"type": "integer"}, "sha256": {"type": "string"}, "issued_at": TIME}},
    "signed_at": TIME, "you": {"type": "object", "additionalProperties": {"type": "boolean"}},
    "ranking": {"type": "array", "nullable": True, "items": ref("RankedBid"),
                "description": "Only for members who submitted their scores, and overseers once the report is issued"}}})
OPENAPI.schema("ScoreSheetInput", {"type": "object", "required": ["scores"], "properties": {
    "scores": {"type": "array", "items": {"type": "object", "required": ["opened_bid_id", "criterion_id", "score"],
                                          "properties": {
        "opened_bid_id": {"type": "integer"}, "criterion_id": {"type": "integer"},
        "score": {"type": "string", "description": "Points, 0 to the criterion's maximum, up to 2 decimals"}}}}}})
SHEETS = {"type": "object", "required": ["lot_id", "sheets"], "properties": {
    "lot_id": {"type": "integer"},
    "sheets": {"type": "array", "items": {"type": "object", "properties": {
        "user_id": {"type": "integer"}, "name": {"type": "string"}, "submitted_at": TIME,
        "scores": {"type": "array", "items": {"type": "object", "properties": {
            "opened_bid_id": {"type": "integer"}, "criterion_id": {"type": "integer"},
            "score": {"type": "string"}}}}}}}}}
OPENAPI.schema("EvaluationReport", {"type": "object", "required": ["version", "sha256", "status", "report"],
                                    "properties": {
    "version": {"type": "integer"}, "sha256": {"type": "string"},
    "status": {"type": "string", "enum": list(EVALUATION_STATES)}, "signed_at": TIME,
    "signatures": {"type": "array", "items": {"type": "object", "properties": {
        "user_id": {"type": "integer"}, "name": {"type": "string"}, "signed_at": TIME}}},
    "ranking": {"type": "array", "items": ref("RankedBid")},
    "report": {"type": "object", "description": "The frozen report document whose SHA-256 the members sign"}}})
OPENAPI.schema("Reason", {"type": "object", "required": ["reason"], "properties": {
    "reason": {"type": "string", "minLength": 5, "maxLength": 2000}}})
OPENAPI.schema("Justification", {"type": "object", "required": ["justification"], "properties": {
    "justification": {"type": "string", "minLength": 20, "maxLength": 5000}}})
OPENAPI.schema("JustificationDecision", {"type": "object", "required": ["accept", "reason"], "properties": {
    "accept": {"type": "boolean"}, "reason": {"type": "string", "minLength": 5, "maxLength": 2000}}})
EVALUATION = ref("LotEvaluation")


# ------------------------------------------------------------------ the plan

def _tender(tender_id):
    return visible_tender(g.api_user, tender_id)


def plans_json(tender) -> dict:
    view = reading.tender_view(g.api_user, tender)
    plan = view["tender_plan"]
    return {"tender_id": tender.id, "tender": plan_json(criteria.effective(plan)) if plan else None,
            "lots": [{"lot_id": row["lot"].id, "number": row["lot"].number, "own": row["plan"]["own"],
                      "plan": plan_json(row["plan"])} for row in view["lots"]]}


@api_bp.get("/tenders/<int:tender_id>/scoring-plan")
@api_auth(public=True)
def get_plan(tender_id):
    return jsonify(plans_json(_tender(tender_id)))


OPENAPI.spec("/tenders/{tender_id}/scoring-plan", "get", {
    "summary": "The evaluation method and criteria of the tender and of each lot (no plan: lowest evaluated "
               "price)", "tags": TAG, "parameters": TENDER_ID, "security": [{}, {"bearer": []}],
    "responses": _ok("The plans", PLANS, forbidden=False)})


@api_bp.put("/tenders/<int:tender_id>/scoring-plan")
@api_auth()
def put_plan(tender_id):
    criteria.set_plan(g.api_user, tender_id, json_body())
    return jsonify(plans_json(_tender(tender_id)))


OPENAPI.spec("/tenders/{tender_id}/scoring-plan", "put", {
    "summary": "Set the evaluation method of the tender, or of one lot (`lot_id`): the tender's centre, while it is "
               "a draft. Comprehensive scoring: price weight at least the procedure rules' floor, weights adding up "
               "to 100.", "tags": TAG, "parameters": TENDER_ID, "requestBody": body_ref("ScoringPlanInput"),
    "responses": _ok("The plans", PLANS, conflict="Not a draft; no procedure rules in force")})


@api_bp.delete("/tenders/<int:tender_id>/scoring-plan")
@api_auth()
def delete_plan(tender_id):
    criteria.clear_plan(g.api_user, tender_id, None)
    return "", 204


OPENAPI.spec("/tenders/{tender_id}/scoring-plan", "delete", {
    "summary": "Remove the tender's evaluation method (back to lowest evaluated price); draft only", "tags": TAG,
    "parameters": TENDER_ID, "responses": _ok("Removed", None, conflict="Not a draft", status="204")})


@api_bp.delete("/tenders/<int:tender_id>/lots/<int:lot_id>/scoring-plan")
@api_auth()
def delete_lot_plan(tender_id, lot_id):
    criteria.clear_plan(g.api_user, tender_id, lot_id)
    return "", 204


OPENAPI.spec("/tenders/{tender_id}/lots/{lot_id}/scoring-plan", "delete", {
    "summary": "Remove a lot's own evaluation method (it follows the tender's again); draft only", "tags": TAG,
    "parameters": TENDER_ID + [{"name": "lot_id", "in": "path", "required": True, "schema": ID_SCHEMA}],
    "responses": _ok("Removed", None, conflict="Not a draft", status="204")})


# ------------------------------------------------------------------ the evaluation

def _view(lot_id) -> dict:
    lot = services.find_lot(g.api_user, lot_id)
    evaluation = services.evaluation_of(lot.id)
    if evaluation is not None:
        scheduler.catch_up(OBJECT_TYPE, evaluation.id)
    return reading.lot_view(g.api_user, lot)


@api_bp.get("/lots/<int:lot_id>/evaluation")
@api_auth()
def get_evaluation(lot_id):
    return jsonify(evaluation_json(_view(lot_id)))


OPENAPI.spec("/lots/{lot_id}/evaluation", "get", {
    "summary": "A lot's evaluation: method, panel members (who scored, who signed), price flags, report; the "
               "ranking only for those who may see the scores", "tags": TAG, "parameters": LOT_ID,
    "responses": _ok("The evaluation", EVALUATION, forbidden=False)})


def _action(path: str, summary: str, call, *, conflict: str, body: str | None = None):
    def view(lot_id):
        data = json_body() if body else None
        call(lot_id, data)
        return jsonify(evaluation_json(_view(lot_id)))
    view.__name__ = "post_" + path.strip("/").replace("/", "_").replace("-", "_")
    api_bp.add_url_rule(f"/lots/<int:lot_id>/evaluation{path}", view.__name__, api_auth()(view), methods=["POST"])
    spec = {"summary": summary, "tags": TAG, "parameters": LOT_ID,
            "responses": _ok("The evaluation", EVALUATION, conflict=conflict)}
    if body:
        spec["requestBody"] = body_ref(body)
    OPENAPI.spec(f"/lots/{{lot_id}}/evaluation{path}", "post", spec)


_action("/start", "Start the lot's evaluation (the centre; lot qualified, panel complete): abnormally low prices "
        "are flagged and their bidders asked to justify them",
        lambda lot_id, _d: services.start(g.api_user, lot_id),
        conflict="Not qualified, panel not complete, already started")
_action("/scores", "Submit your scores (a panel member): every bid on every criterion, each within its range, at "
        "once; final. Out of range or incomplete: 400, nothing saved",
        lambda lot_id, d: services.submit_scores(g.api_user, lot_id, d), body="ScoreSheetInput",
        conflict="Already submitted; not being scored; lowest-price lot")
_action("/report", "Issue the report (the centre): every member's scores in, every flag decided",
        lambda lot_id, _d: services.issue_report(g.api_user, lot_id),
        conflict="Scores or decisions missing; already issued")
_action("/report/signatures", "Sign the issued report (a member named on it); the last signature signs it off",
        lambda lot_id, _d: services.sign(g.api_user, lot_id), conflict="Not issued; already signed; panel changed")
_action("/reopen", "Take an issued report back (the centre), with a reason",
        lambda lot_id, d: services.reopen(g.api_user, lot_id, d.get("reason")), body="Reason",
        conflict="No report waiting for signatures")


@api_bp.get("/lots/<int:lot_id>/evaluation/scores")
@api_auth()
def get_scores(lot_id):
    v = _view(lot_id)
    e = v["evaluation"]
    if e is None:
        raise Conflict(N_("The evaluation of this lot has not started yet."))
    visible = list(e.sheets) if v["can_see_sheets"] else [s for s in e.sheets if s.expert_user_id == g.api_user.id]
    return jsonify({"lot_id": v["lot"].id, "sheets": [
        {"user_id": s.expert_user_id, "name": s.expert.name, "submitted_at": canonical_time(s.submitted_at),
         "scores": [{"opened_bid_id": x.opened_bid_id, "criterion_id": x.criterion_id,
                     "score": format_points(x.score_cp)} for x in s.scores]} for s in visible]})


OPENAPI.spec("/lots/{lot_id}/evaluation/scores", "get", {
    "summary": "The score sheets you may see: your own; everyone's once you submitted yours (members) or once the "
               "report is issued (centre, finance office, platform)", "tags": TAG, "parameters": LOT_ID,
    "responses": _ok("The sheets", SHEETS, conflict="Not started", forbidden=False)})


@api_bp.get("/lots/<int:lot_id>/evaluation/report")
@api_auth()
def get_report(lot_id):
    v = _view(lot_id)
    e = v["evaluation"]
    if e is None or e.report is None or e.status == SCORING:
        raise Conflict(N_("The evaluation report of this lot has not been issued."))
    return jsonify({"version": e.report_version, "sha256": e.report_sha256, "status": e.status,
                    "signed_at": canonical_time(e.signed_at), "ranking": _report_ranking(e.report),
                    "signatures": [{"user_id": s.expert_user_id, "name": s.expert.name,
                                    "signed_at": canonical_time(s.signed_at)} for s in services.signatures(e)],
                    "report": e.report})


OPENAPI.spec("/lots/{lot_id}/evaluation/report", "get", {
    "summary": "The issued evaluation report (frozen; its SHA-256 is what members sign), its ranking and "
               "signatures", "tags": TAG, "parameters": LOT_ID,
    "responses": _ok("The report", ref("EvaluationReport"), conflict="Not issued", forbidden=False)})


# ------------------------------------------------------------------ price flags

def _flag(flag_id):
    flag = justifications.find_flag(g.api_user, flag_id)
    scheduler.catch_up(OBJECT_TYPE, flag.evaluation_id)
    return justifications.find_flag(g.api_user, flag_id)


@api_bp.get("/price-flags/<int:flag_id>")
@api_auth()
def get_flag(flag_id):
    return jsonify(flag_json(_flag(flag_id)))


OPENAPI.spec("/price-flags/{flag_id}", "get", {
    "summary": "An abnormally low price: why, the deadline, the justification and the panel's decision (the bidding "
               "firm, the lot's overseers and panel)", "tags": TAG, "parameters": FLAG_ID,
    "responses": _ok("The flag", ref("PriceFlag"), forbidden=False)})


@api_bp.post("/price-flags/<int:flag_id>/justification")
@api_auth()
def post_justification(flag_id):
    body = json_body()
    _flag(flag_id)
    return jsonify(flag_json(justifications.justify(g.api_user, flag_id, body.get("justification"))))


OPENAPI.spec("/price-flags/{flag_id}/justification", "post", {
    "summary": "Justify the firm's abnormally low price before the deadline (the bidding firm; once)", "tags": TAG,
    "parameters": FLAG_ID, "requestBody": body_ref("Justification"),
    "responses": _ok("The flag", ref("PriceFlag"), conflict="Deadline passed; already justified")})


@api_bp.post("/price-flags/<int:flag_id>/decision")
@api_auth()
def post_decision(flag_id):
    body = json_body()
    _flag(flag_id)
    flag = justifications.decide(g.api_user, flag_id, body.get("accept"), body.get("reason"))
    return jsonify(flag_json(flag))


OPENAPI.spec("/price-flags/{flag_id}/decision", "post", {
    "summary": "Record the panel's decision on a justification (a panel member): accept, or reject (the bid is "
               "excluded), with a reason", "tags": TAG, "parameters": FLAG_ID,
    "requestBody": body_ref("JustificationDecision"),
    "responses": _ok("The flag", ref("PriceFlag"), conflict="Not justified yet, or already decided; report issued")})


