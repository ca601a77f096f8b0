"""JSON API of clarifications, amendments and following, under /api/v1/tenders/<id>/:

- ``GET questions`` (anyone, for a published tender), ``POST questions`` (verified suppliers until
  the cut-off), ``POST questions/<qid>/answer`` (the centre);
- ``GET amendments`` (anyone), ``POST amendments`` (the centre, while open for bids);
- ``PUT follow`` / ``DELETE follow`` (any signed-in person, published tenders).

The asking firm appears (``asker``) only in the answers given to the tender's procurement
centre; everyone else gets no such key, and ``mine`` tells the asker's own firm.
"""

from __future__ import annotations

from flask import g, jsonify

from core import openapi
from core.api import api_auth, json_body
from core.errors import NotFound
from core.extensions import db
from core.hashchain import canonical_time
from core.i18n import N_
from core.money import MAX_FEN
from procurement.blueprints import ID_SCHEMA, body_ref, error, json_response, ref
from procurement.tendering import amendments, clarifications, follows
from procurement.tendering.blueprints import API_TAG, api_bp
from procurement.tendering.models import Question
from procurement.tendering.states import QUESTION_STATES

OPENAPI = openapi.Operations()  # registered by wiring_changes.register(app)

TENDER_ID = [{"name": "tender_id", "in": "path", "required": True, "schema": ID_SCHEMA}]
QUESTION_ID = TENDER_ID + [{"name": "question_id", "in": "path", "required": True, "schema": ID_SCHEMA}]
TIME = {"type": "string", "format": "date-time"}
NULLABLE_TIME = {"type": "string", "format": "date-time", "nullable": True}


def question_json(view) -> dict:
    """A `clarifications.QuestionView` as JSON (``asker`` only when the viewer may see it)."""
    out = {"id": view.id, "number": view.number, "lot_number": view.lot_number, "text": view.text,
           "asked_at": canonical_time(view.asked_at), "status": view.status, "answer": view.answer,
           "answered_at": canonical_time(view.answered_at), "flagged": view.flagged, "mine": view.mine}
    if view.asker is not None:
        out["asker"] = {"id": view.asker.id, "name_en": view.asker.name_en, "name_zh": view.asker.name_zh}
    return out


def amendment_json(a) -> dict:
    return {"number": a.number, "rationale": a.rationale, "created_at": canonical_time(a.created_at),
            "deadline_before": canonical_time(a.deadline_before), "deadline_after": canonical_time(a.deadline_after),
            "deadline_moved": bool(a.deadline_moved),
            "changes": [{"field": c.get("field"), "lot": c.get("lot"), "before": c.get("before"), "after": c.get("after")}
                        for c in a.changes or []]}


OPENAPI.schema("TenderQuestion", {"type": "object", "required": ["id", "number", "text", "asked_at", "status",
                                                                  "answer", "flagged", "mine"], "properties": {
    "id": {"type": "integer"}, "number": {"type": "integer", "minimum": 1},
    "lot_number": {"type": "integer", "nullable": True}, "text": {"type": "string"}, "asked_at": TIME,
    "status": {"type": "string", "enum": list(QUESTION_STATES)}, "answer": {"type": "string"},
    "answered_at": NULLABLE_TIME, "flagged": {"type": "boolean", "description": "Unanswered at the cut-off"},
    "mine": {"type": "boolean", "description": "Asked by the caller's own firm"},
    "asker": {"type": "object", "description": "The asking firm: given to the tender's procurement centre only",
              "required": ["id", "name_en", "name_zh"], "properties": {
                  "id": {"type": "integer"}, "name_en": {"type": "string"}, "name_zh": {"type": "string"}}}}})
OPENAPI.schema("TenderAmendment", {"type": "object", "required": ["number", "rationale", "created_at", "changes",
                                                                   "deadline_moved"], "properties": {
    "number": {"type": "integer", "minimum": 1}, "rationale": {"type": "string"}, "created_at": TIME,
    "deadline_before": NULLABLE_TIME, "deadline_after": NULLABLE_TIME,
    "deadline_moved": {"type": "boolean", "description": "The amendment came after the clarification cut-off and "
                                                         "moved the bid deadline"},
    "changes": {"type": "array", "items": {"type": "object", "required": ["field"], "properties": {
        "field": {"type": "string"}, "lot": {"type": "integer", "nullable": True},
        "before": {"description": "The value before (text, integer fen or thousandths, ISO time, or null)"},
        "after": {"description": "The value after"}}}}}})
LOT_CHANGE = {"type": "object", "required": ["number"], "additionalProperties": False, "properties": {
    "number": {"type": "integer", "minimum": 1, "maximum": amendments.MAX_LOTS},
    "quantity_milli": {"type": "integer", "minimum": 1, "maximum": amendments.MAX_QUANTITY_MILLI},
    "ceiling_fen": {"type": "integer", "minimum": 1, "maximum": MAX_FEN},
    "bond_fen": {"type": "integer", "minimum": 0, "maximum": MAX_FEN}}}
OPENAPI.schema("TenderAmendmentInput", {"type": "object", "required": ["rationale", "changes"], "properties": {
    "rationale": {"type": "string", "minLength": amendments.RATIONALE_MIN, "maxLength": amendments.RATIONALE_MAX},
    "changes": {"type": "object", "additionalProperties": False, "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": amendments.TITLE_MAX},
        "description": {"type": "string", "maxLength": amendments.DESCRIPTION_MAX},
        "bid_deadline_at": {"type": "string", "format": "date-time",
                            "description": "With its offset; moved later if the amendment comes after the cut-off"},
        "lots": {"type": "array", "maxItems": amendments.MAX_LOTS, "items": LOT_CHANGE},
        "withdraw_documents": {"type": "array", "maxItems": 100, "items": ID_SCHEMA}}}}})
OPENAPI.schema("TenderQuestionInput", {"type": "object", "required": ["text"], "properties": {
    "text": {"type": "string", "minLength": clarifications.TEXT_MIN, "maxLength": clarifications.TEXT_MAX},
    "lot_id": {"type": "integer", "nullable": True, "minimum": 1, "description": "A lot of the tender, or null"}}})
OPENAPI.schema("TenderAnswerInput", {"type": "object", "required": ["text"], "properties": {
    "text": {"type": "string", "minLength": clarifications.ANSWER_MIN, "maxLength": clarifications.ANSWER_MAX}}})

QUESTION_BODY = {"type": "object", "required": ["question"], "properties": {"question": ref("TenderQuestion")}}
AMENDMENT_BODY = {"type": "object", "required": ["amendment"], "properties": {"amendment": ref("TenderAmendment")}}
FOLLOW_BODY = {"type": "object", "required": ["following"], "properties": {"following": {"type": "boolean"}}}
NOT_FOUND = error("No such tender (or not visible to you)")


def _reading(description: str, schema: dict) -> dict:
    return {"200": json_response(description, schema), "404": NOT_FOUND}


def _writing(description: str, schema: dict, status: str = "200", *, conflict: str) -> dict:
    return {status: json_response(description, schema), "403": error("Not allowed"), "404": NOT_FOUND,
            "409": error(conflict)}


@api_bp.get("/tenders/<int:tender_id>/questions")
@api_auth(public=True)
def list_questions(tender_id):
    tender = clarifications.visible_tender(g.api_user, tender_id)
    return jsonify({"questions": [question_json(v) for v in clarifications.questions_for(g.api_user, tender)]})


OPENAPI.spec("/tenders/{tender_id}/questions", "get", {
    "summary": "The tender's questions and answers (the asking firm is named to its procurement centre only)",
    "tags": API_TAG, "parameters": TENDER_ID, "security": [{}, {"bearer": []}],
    "responses": _reading("Questions, oldest first", {"type": "object", "required": ["questions"], "properties": {
        "questions": {"type": "array", "items": ref("TenderQuestion")}}})})


def _view(actor, tender, question_id):
    return next(v for v in clarifications.questions_for(actor, tender) if v.id == question_id)


@api_bp.post("/tenders/<int:tender_id>/questions")
@api_auth()
def ask_question(tender_id):
    body = json_body()
    question = clarifications.ask(g.api_user, tender_id, body.get("text"), body.get("lot_id"))
    tender = clarifications.visible_tender(g.api_user, tender_id)
    return jsonify({"question": question_json(_view(g.api_user, tender, question.id))}), 201


OPENAPI.spec("/tenders/{tender_id}/questions", "post", {
    "summary": "Ask a question (people of verified supplier firms, until the clarification cut-off)",
    "tags": API_TAG, "parameters": TENDER_ID, "requestBody": body_ref("TenderQuestionInput"),
    "responses": _writing("The question, numbered", QUESTION_BODY, "201",
                          conflict="Questions are closed (after the clarification cut-off, or the tender is not "
                                   "open)")})


@api_bp.post("/tenders/<int:tender_id>/questions/<int:question_id>/answer")
@api_auth()
def answer_question(tender_id, question_id):
    body = json_body()
    tender = clarifications.visible_tender(g.api_user, tender_id)
    found = db.session.get(Question, question_id)
    if found is None or found.tender_id != tender.id:
        raise NotFound(N_("No such question."))
    clarifications.answer(g.api_user, question_id, body.get("text"))
    return jsonify({"question": question_json(_view(g.api_user, tender, question_id))})


OPENAPI.spec("/tenders/{tender_id}/questions/{question_id}/answer", "post", {
    "summary": "Answer a question (the tender's procurement centre); published to everyone", "tags": API_TAG,
    "parameters": QUESTION_ID, "requestBody": body_ref("TenderAnswerInput"),
    "responses": _writing("The answered question", QUESTION_BODY,
                          conflict="Already answered, or the tender is no longer open for bids")})


@api_bp.get("/tenders/<int:tender_id>/amendments")
@api_auth(public=True)
def list_amendments(tender_id):
    tender = clarifications.visible_tender(g.api_user, tender_id)
    return jsonify({"amendments": [amendment_json(a) for a in amendments.amendments_of(tender)]})


OPENAPI.spec("/tenders/{tender_id}/amendments", "get", {
    "summary": "The tender's amendments, newest first, with their changes", "tags": API_TAG,
    "parameters": TENDER_ID, "security": [{}, {"bearer": []}],
    "responses": _reading("Amendments", {"type": "object", "required": ["amendments"], "properties": {
        "amendments": {"type": "array", "items": ref("TenderAmendment")}}})})


@api_bp.post("/tenders/<int:tender_id>/amendments")
@api_auth()
def make_amendment(tender_id):
    body = json_body()
    amendment = amendments.amend(g.api_user, tender_id, body.get("changes"), body.get("rationale"))
    return jsonify({"amendment": amendment_json(amendment)}), 201


OPENAPI.spec("/tenders/{tender_id}/amendments", "post", {
    "summary": "Amend a published tender (its procurement centre, until the bid deadline); an amendment after the "
               "clarification cut-off moves the deadline", "tags": API_TAG, "parameters": TENDER_ID,
    "requestBody": body_ref("TenderAmendmentInput"),
    "responses": _writing("The amendment", AMENDMENT_BODY, "201",
                          conflict="The tender is not open for bids (closed, cancelled, not published)")})


@api_bp.put("/tenders/<int:tender_id>/follow")
@api_auth()
def follow(tender_id):
    follows.follow(g.api_user, tender_id)
    return jsonify({"following": True})


@api_bp.delete("/tenders/<int:tender_id>/follow")
@api_auth()
def unfollow(tender_id):
    follows.unfollow(g.api_user, tender_id)
    return jsonify({"following": False})


for _method, _summary, _status in (("put", "Follow the tender (its answers, changes and deadlines)", True),
                                   ("delete", "Stop following the tender", False)):
    OPENAPI.spec("/tenders/{tender_id}/follow", _method, {
        "summary": _summary, "tags": API_TAG, "parameters": TENDER_ID,
        "responses": {"200": json_response("Following or not", FOLLOW_BODY), "404": NOT_FOUND,
                      **({"409": error("The tender is not published")} if _status else {})}})
