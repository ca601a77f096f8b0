"""JSON API of the tender lifecycle under /api/v1/tenders: the public list and tender (no token
needed once published), the centre's and finance office's list, a draft from a pooling round,
draft changes, submit, approve, return, withdraw approval, publish, cancel, the live checks and
the tender's documents (list, attach)."""

from __future__ import annotations

from flask import g, jsonify, request
from sqlalchemy import select

from core import openapi
from core.api import api_auth, json_body
from core.errors import ValidationError
from core.extensions import db
from core.hashchain import canonical_time
from core.i18n import N_, render_payload_english
from core.models import City
from core.money import MAX_FEN
from core.policy import is_platform
from core.web import page_number
from procurement.blueprints import ID_SCHEMA, body_ref, error, json_response, ok_responses, ref
from procurement.profiles.models import METHODS, TRACKS
from procurement.quantities import PURCHASE_UNITS
from procurement.tendering import documents as tender_documents
from procurement.tendering import drafts as tender_drafts
from procurement.tendering import policy
from procurement.tendering import queries as tender_queries
from procurement.tendering import services as tender_svc
from procurement.tendering.blueprints import API_TAG, api_bp
from procurement.tendering.checks import CHECKS
from procurement.tendering.public_views import effective_status
from procurement.tendering.states import CANCEL_REASONS, LOT_STATES, PUBLIC_STATES, TENDER_STATES

OPENAPI = openapi.Operations()  # registered by procurement.tendering.wiring_core.register(app)
PER_PAGE = 20
TENDER_ID = [{"name": "tender_id", "in": "path", "required": True, "schema": ID_SCHEMA}]


# ------------------------------------------------------------------ bodies

def check_json(c: dict) -> dict:
    message = c.get("message") or {}
    return {"check": c.get("check"), "ok": bool(c.get("ok")), "message": render_payload_english(message),
            "problems": [render_payload_english(p) for p in c.get("problems") or []]}


def lot_json(lot) -> dict:
    return {"id": lot.id, "number": lot.number, "title": lot.title, "category_id": lot.category_id,
            "category_code": lot.category.code if lot.category is not None else None,
            "specification": lot.specification, "unit": lot.unit, "quantity_milli": lot.quantity_milli,
            "ceiling_fen": lot.ceiling_fen, "bond_fen": lot.bond_fen, "status": lot.status,
            "requirements": [dict(r) for r in (lot.requirements or [])]}


def document_json(link) -> dict:
    info = tender_documents.document_info(link)
    info["added_at"] = canonical_time(link.added_at)
    return info


def tender_json(tender, *, full: bool = True) -> dict:
    user = g.api_user
    body = {
        "id": tender.id, "reference": tender.reference, "title": tender.title, "description": tender.description,
        "status": tender.status, "effective_status": effective_status(tender),
        "city": {"id": tender.city_id, "code": tender.city.code if tender.city is not None else None},
        "centre_org_id": tender.centre_org_id, "pooling_round_id": tender.pooling_round_id,
        "method": tender.method, "track": tender.track, "profile_id": tender.profile_id,
        "bid_deadline_at": canonical_time(tender.bid_deadline_at),
        "clarification_cutoff_at": canonical_time(tender.clarification_cutoff_at),
        "documents_until": canonical_time(tender.documents_until),
        "published_at": canonical_time(tender.published_at), "closed_at": canonical_time(tender.closed_at),
        "cancelled_at": canonical_time(tender.cancelled_at), "cancel_reason_type": tender.cancel_reason_type,
        "cancel_reason": tender.cancel_reason or "", "amendment_count": tender.amendment_count,
        "ceiling_fen": sum(lot.ceiling_fen for lot in tender.lots),
        "lots": [lot_json(lot) for lot in tender.lots],
    }
    if full:
        body["documents"] = [document_json(d) for d in tender_documents.documents_of(tender)]
    if policy.can_manage_tender(user, tender) or policy.is_tender_reviewer(user, tender) or is_platform(user):
        body["review"] = {"submitted_at": canonical_time(tender.submitted_at),
                          "reviewed_at": canonical_time(tender.reviewed_at), "comment": tender.review_comment or "",
                          "checks": [check_json(c) for c in tender.review_checks or []]}
    return body


def _tender_body(tender):
    tender_svc.catch_up(tender.id)
    return jsonify({"tender": tender_json(tender_queries.get_tender(g.api_user, tender.id))})


def _optional_body() -> dict:
    return json_body() if request.get_data() else {}


def _text_field(body: dict, name: str):
    value = body.get(name, "")
    if value is not None and not isinstance(value, str):
        raise ValidationError(N_("%(field)s must be text."), {name: N_("Must be text.")}, field=name)
    return value


# ------------------------------------------------------------------ schemas

NULLABLE_TIME = {"type": "string", "format": "date-time", "nullable": True}
CHECK = {"type": "object", "required": ["check", "ok", "message"], "properties": {
    "check": {"type": "string", "enum": list(CHECKS)}, "ok": {"type": "boolean"}, "message": {"type": "string"},
    "problems": {"type": "array", "items": {"type": "string"}}}}
OPENAPI.schema("TenderCheck", CHECK)
LOT_REQUIRED = ["id", "number", "title", "category_id", "unit", "quantity_milli", "ceiling_fen", "bond_fen"]
OPENAPI.schema("TenderLot", {"type": "object", "required": LOT_REQUIRED, "properties": {
    "id": {"type": "integer"}, "number": {"type": "integer", "minimum": 1}, "title": {"type": "string"},
    "category_id": {"type": "integer"}, "category_code": {"type": "string", "nullable": True},
    "specification": {"type": "string"}, "unit": {"type": "string", "enum": list(PURCHASE_UNITS)},
    "quantity_milli": {"type": "integer", "minimum": 1}, "ceiling_fen": {"type": "integer", "minimum": 1},
    "bond_fen": {"type": "integer", "minimum": 0}, "status": {"type": "string", "enum": list(LOT_STATES)},
    "requirements": {"type": "array", "items": {"type": "object", "description": "An indicator rule: key, "
                                                "comparison, limit, unit, kind, name_en, name_zh, scale"}}}})
OPENAPI.schema("TenderDocument", {"type": "object", "required": ["id", "title", "sha256"], "properties": {
    "id": {"type": "integer"}, "title": {"type": "string"}, "name": {"type": "string"},
    "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"}, "size": {"type": "integer", "minimum": 0},
    "content_type": {"type": "string"}, "amendment_id": {"type": "integer", "nullable": True},
    "withdrawn": {"type": "boolean"}, "added_at": {"type": "string", "format": "date-time"}}})
TENDER_REQUIRED = ["id", "reference", "title", "status", "method", "track", "lots"]
OPENAPI.schema("Tender", {"type": "object", "required": TENDER_REQUIRED, "properties": {
    "id": {"type": "integer"}, "reference": {"type": "string"}, "title": {"type": "string"},
    "description": {"type": "string"}, "status": {"type": "string", "enum": list(TENDER_STATES)},
    "effective_status": {"type": "string", "enum": list(TENDER_STATES),
                         "description": "The status by the clock: a published tender past its deadline is closed"},
    "city": {"type": "object", "properties": {"id": {"type": "integer"}, "code": {"type": "string", "nullable": True}}},
    "centre_org_id": {"type": "integer"}, "pooling_round_id": {"type": "integer", "nullable": True},
    "method": {"type": "string", "enum": list(METHODS)}, "track": {"type": "string", "enum": list(TRACKS)},
    "profile_id": {"type": "integer", "nullable": True},
    "bid_deadline_at": NULLABLE_TIME, "clarification_cutoff_at": NULLABLE_TIME, "documents_until": NULLABLE_TIME,
    "published_at": NULLABLE_TIME, "closed_at": NULLABLE_TIME, "cancelled_at": NULLABLE_TIME,
    "cancel_reason_type": {"type": "string", "enum": list(CANCEL_REASONS), "nullable": True},
    "cancel_reason": {"type": "string"}, "amendment_count": {"type": "integer", "minimum": 0},
    "ceiling_fen": {"type": "integer", "minimum": 0},
    "lots": {"type": "array", "items": ref("TenderLot")},
    "documents": {"type": "array", "items": ref("TenderDocument")},
    "review": {"type": "object", "description": "Only for the tender's centre, its finance office and platform staff",
               "properties": {"submitted_at": NULLABLE_TIME, "reviewed_at": NULLABLE_TIME,
                              "comment": {"type": "string"},
                              "checks": {"type": "array", "items": ref("TenderCheck")}}}}})
DEADLINE = {"type": "string", "format": "date-time",
            "description": "ISO 8601; without a zone it is China time (UTC+8). At least the profile's minimum tender "
                           "period after publication."}
OPENAPI.schema("TenderCreate", {"type": "object", "required": ["round_id", "title", "bid_deadline_at"], "properties": {
    "round_id": ID_SCHEMA, "title": {"type": "string", "minLength": 1, "maxLength": tender_drafts.TITLE_MAX},
    "description": {"type": "string", "maxLength": tender_drafts.DESCRIPTION_MAX},
    "method": {"type": "string", "enum": list(METHODS)}, "track": {"type": "string", "enum": list(TRACKS)},
    "bid_deadline_at": DEADLINE}})
OPENAPI.schema("TenderUpdate", {"type": "object", "properties": {
    "title": {"type": "string", "minLength": 1, "maxLength": tender_drafts.TITLE_MAX},
    "description": {"type": "string", "maxLength": tender_drafts.DESCRIPTION_MAX},
    "method": {"type": "string", "enum": list(METHODS)}, "track": {"type": "string", "enum": list(TRACKS)},
    "bid_deadline_at": DEADLINE,
    "lots": {"type": "array", "items": {"type": "object", "required": ["number"], "properties": {
        "number": {"type": "integer", "minimum": 1}, "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "bond_fen": {"type": "integer", "minimum": 0, "maximum": MAX_FEN}}}}}})
TENDER_BODY = {"type": "object", "required": ["tender"], "properties": {"tender": ref("Tender")}}
LIST_BODY = {"type": "object", "required": ["items", "total", "page"], "properties": {
    "items": {"type": "array", "items": ref("Tender")}, "total": {"type": "integer", "minimum": 0},
    "page": {"type": "integer", "minimum": 1}}}


def _responses(description: str, status: str = "200", schema=TENDER_BODY, *, conflict: str | None = None,
               forbidden: bool = True) -> dict:
    return ok_responses(description, status, schema, conflict=conflict, forbidden=forbidden,
                        not_found="No such tender (or not visible to you)")


# ------------------------------------------------------------------ list and read

@api_bp.get("/tenders")
@api_auth(public=True)
def list_tenders():
    page = page_number(request.args)
    status = request.args.get("status") or None
    if request.args.get("scope") == "managed":
        if g.api_user is None or tender_queries.managed_query(g.api_user) is None:
            rows, total = [], 0
        else:
            rows, total = tender_queries.list_managed(g.api_user, status=status if status in TENDER_STATES else None,
                                                  page=page, per_page=PER_PAGE)
    else:
        code = (request.args.get("city") or "").strip().lower()
        city_id = db.session.execute(select(City.id).where(City.code == code)).scalar() if code else None
        raw_category = (request.args.get("category_id") or "").strip()
        category_id = int(raw_category) if raw_category.isdigit() and len(raw_category) <= 9 else None
        if code and city_id is None:
            rows, total = [], 0
        else:
            rows, total = tender_queries.list_public(status=status if status in PUBLIC_STATES else None,
                                                    city_id=city_id, category_id=category_id, page=page,
                                                    per_page=PER_PAGE)
    return jsonify({"items": [tender_json(t, full=False) for t in rows], "total": total, "page": page})


OPENAPI.spec("/tenders", "get", {
    "summary": "Published tenders (anyone), or with scope=managed the tenders you work on (centre, finance office)",
    "tags": API_TAG, "security": [{}, {"bearer": []}], "parameters": [
        {"name": "scope", "in": "query", "schema": {"type": "string", "enum": ["public", "managed"]}},
        {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(TENDER_STATES)},
         "description": "Published and closed read the clock (a published tender past its deadline is closed)"},
        {"name": "city", "in": "query", "schema": {"type": "string", "maxLength": 40}, "description": "City code"},
        {"name": "category_id", "in": "query", "schema": {"type": "integer", "minimum": 1}},
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1},
         "description": "1-based; out-of-range or malformed values are clamped to the nearest page"}],
    "responses": {"200": json_response("A page of tenders (20 a page)", LIST_BODY)}})


@api_bp.get("/tenders/<int:tender_id>")
@api_auth(public=True)
def get_tender(tender_id):
    return _tender_body(tender_queries.get_tender(g.api_user, tender_id))


OPENAPI.spec("/tenders/{tender_id}", "get", {
    "summary": "A tender: lots, requirements, ceilings, bonds, timeline, documents (published ones for anyone)",
    "tags": API_TAG, "security": [{}, {"bearer": []}], "parameters": TENDER_ID,
    "responses": _responses("The tender", forbidden=False)})


@api_bp.get("/tenders/<int:tender_id>/checks")
@api_auth()
def tender_checks(tender_id):
    tender = tender_queries.get_tender(g.api_user, tender_id)
    if not (policy.can_manage_tender(g.api_user, tender) or policy.is_tender_reviewer(g.api_user, tender)
            or is_platform(g.api_user)):
        from core.errors import NotFound

        raise NotFound(N_("No such tender."))
    results = tender_svc.current_checks(tender)
    return jsonify({"items": [check_json(c) for c in results], "ok": all(c["ok"] for c in results)})


OPENAPI.spec("/tenders/{tender_id}/checks", "get", {
    "summary": "The named checks against the procedure rules as of now (centre, finance office)", "tags": API_TAG,
    "parameters": TENDER_ID,
    "responses": _responses("Each check with its result and message", schema={
        "type": "object", "required": ["items", "ok"], "properties": {
            "items": {"type": "array", "items": ref("TenderCheck")}, "ok": {"type": "boolean"}}}, forbidden=False)})


# ------------------------------------------------------------------ drafts

@api_bp.post("/tenders")
@api_auth()
def create_tender():
    body = json_body()
    round_id = body.get("round_id")
    if isinstance(round_id, bool) or not isinstance(round_id, int) or not 1 <= round_id <= ID_SCHEMA["maximum"]:
        raise ValidationError(N_("The tender was not accepted."),
                              {"round_id": N_("Give the id of a closed pooling round.")})
    tender = tender_drafts.create_tender_from_round(g.api_user, round_id, body)
    return jsonify({"tender": tender_json(tender)}), 201


OPENAPI.spec("/tenders", "post", {
    "summary": "A draft tender from a closed pooling round of your centre (lots built from its lines)",
    "tags": API_TAG, "requestBody": body_ref("TenderCreate"),
    "responses": {"201": json_response("The draft tender", TENDER_BODY), "403": error("Not the round's centre"),
                  "404": error("No such pooling round"),
                  "409": error("The round is not closed, has no lines, or changed meanwhile")}})


@api_bp.patch("/tenders/<int:tender_id>")
@api_auth()
def update_tender(tender_id):
    return _tender_body(tender_drafts.update_draft(g.api_user, tender_id, json_body()))


OPENAPI.spec("/tenders/{tender_id}", "patch", {
    "summary": "Change a draft (title, description, method, track, bid deadline, lot titles and bonds); a deadline "
               "too early or a bond above the cap is a field error", "tags": API_TAG, "parameters": TENDER_ID,
    "requestBody": body_ref("TenderUpdate"),
    "responses": _responses("The changed draft", conflict="Not a draft")})


def _step(tender_id, func, *args):
    return _tender_body(func(g.api_user, tender_id, *args))


@api_bp.post("/tenders/<int:tender_id>/submit")
@api_auth()
def submit_tender(tender_id):
    return _step(tender_id, tender_svc.submit)


@api_bp.post("/tenders/<int:tender_id>/approve")
@api_auth()
def approve_tender(tender_id):
    return _step(tender_id, tender_svc.approve, _text_field(_optional_body(), "comment"))


@api_bp.post("/tenders/<int:tender_id>/return")
@api_auth()
def return_tender(tender_id):
    return _step(tender_id, tender_svc.return_, _text_field(_optional_body(), "comment"))


@api_bp.post("/tenders/<int:tender_id>/withdraw-approval")
@api_auth()
def withdraw_tender_approval(tender_id):
    return _step(tender_id, tender_svc.withdraw_approval)


@api_bp.post("/tenders/<int:tender_id>/publish")
@api_auth()
def publish_tender(tender_id):
    return _step(tender_id, tender_svc.publish)


@api_bp.post("/tenders/<int:tender_id>/cancel")
@api_auth()
def cancel_tender(tender_id):
    body = json_body()
    reason_type = body.get("reason_type")
    if not isinstance(reason_type, str):
        raise ValidationError(N_("The cancellation was not accepted."), {"reason_type": N_("This field is required.")})
    return _step(tender_id, tender_svc.cancel, reason_type, _text_field(body, "reason"))


COMMENT_BODY = {"content": {"application/json": {"schema": {"type": "object", "properties": {
    "comment": {"type": "string", "maxLength": tender_svc.COMMENT_MAX}}}}}}
for _path, _summary, _conflict, _body in (
        ("submit", "Send a draft whose checks pass to the city's finance office (centre)",
         "Not a draft, or a check fails (each failing check named in fields)", None),
        ("approve", "Approve a tender under review (city finance office); refused while a check fails",
         "Not under review, or a check fails", COMMENT_BODY),
        ("return", "Return a tender under review to the centre with a comment (city finance office)",
         "Not under review", {"content": {"application/json": {"schema": {
             "type": "object", "required": ["comment"], "properties": {
                 "comment": {"type": "string", "minLength": tender_svc.COMMENT_MIN,
                             "maxLength": tender_svc.COMMENT_MAX}}}}}}),
        ("withdraw-approval", "Take an approved tender back to draft (centre)", "Not approved", None),
        ("publish", "Publish an approved tender (centre): checks again with the publication time = now, arms the "
                    "deadlines; of two simultaneous publishers one wins", "Not approved, or a check fails", None),
        ("cancel", "Cancel a live tender with a reason type and reason (centre)", "Already cancelled or failed",
         {"required": True, "content": {"application/json": {"schema": {
             "type": "object", "required": ["reason_type", "reason"], "properties": {
                 "reason_type": {"type": "string", "enum": list(CANCEL_REASONS)},
                 "reason": {"type": "string", "minLength": tender_svc.REASON_MIN,
                            "maxLength": tender_svc.REASON_MAX}}}}}})):
    _operation = {"summary": _summary, "tags": API_TAG, "parameters": TENDER_ID,
                  "responses": _responses("The tender after the step", conflict=_conflict)}
    if _body:
        _operation["requestBody"] = _body
    OPENAPI.spec(f"/tenders/{{tender_id}}/{_path}", "post", _operation)


# ------------------------------------------------------------------ documents

@api_bp.get("/tenders/<int:tender_id>/documents")
@api_auth(public=True)
def list_tender_documents(tender_id):
    tender = tender_queries.get_tender(g.api_user, tender_id)
    return jsonify({"items": [document_json(d) for d in tender_documents.documents_of(tender)]})


@api_bp.post("/tenders/<int:tender_id>/documents")
@api_auth()
def attach_tender_document(tender_id):
    upload = request.files.get("file")
    if upload is None:
        raise ValidationError(N_("Send the file as multipart/form-data field 'file'."), {"file": N_("Required.")})
    link = tender_documents.attach(g.api_user, tender_id, upload.stream, upload.filename or "",
                                   request.form.get("title", ""))
    return jsonify(document_json(link)), 201


OPENAPI.spec("/tenders/{tender_id}/documents", "get", {
    "summary": "The tender's files with their SHA-256", "tags": API_TAG, "security": [{}, {"bearer": []}],
    "parameters": TENDER_ID,
    "responses": _responses("Files", schema={"type": "object", "required": ["items"], "properties": {
        "items": {"type": "array", "items": ref("TenderDocument")}}}, forbidden=False)})
OPENAPI.spec("/tenders/{tender_id}/documents", "post", {
    "summary": "Attach a PDF/JPEG/PNG to a draft tender (centre); stored by SHA-256", "tags": API_TAG,
    "parameters": TENDER_ID,
    "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file", "title"], "properties": {
            "file": {"type": "string", "format": "binary"}, "title": {"type": "string", "maxLength": 200}}}}}},
    "responses": {**_responses("Attached", "201", "TenderDocument", conflict="Not a draft"),
                  "413": error("The file is larger than the upload limit")}})
