"""JSON API for bid bonds under /api/v1: start a card payment, read a bond (and refresh it from
the provider), upload a bank guarantee, ask for the bond back (no live bid), and the centre's
list, verification, refund and forfeiture (after the bid deadline)."""

from __future__ import annotations

from flask import g, jsonify, request

from core import openapi
from core.api import api_auth, json_body
from core.errors import ValidationError
from core.hashchain import canonical_time
from core.i18n import N_
from procurement.blueprints import ID_SCHEMA, error, json_response, ok_responses, ref
from procurement.bonds import refunds, services
from procurement.bonds.states import BOND_STATES, FORFEIT_REASONS, METHODS, REFUND_CAUSES
from procurement.tendering.blueprints import api_bp

OPENAPI = openapi.Operations()  # registered by procurement.bonds.wiring
TAG = ["bonds"]


def bond_json(b, client_secret: str | None = None) -> dict:
    out = {"id": b.id, "tender_id": b.tender_id, "lot_id": b.lot_id, "supplier_org_id": b.supplier_org_id,
           "amount_fen": b.amount_fen, "method": b.method, "status": b.status,
           "payment_intent_id": b.payment_intent_id, "held_at": canonical_time(b.held_at),
           "refund_due_on": b.refund_due_on.isoformat() if b.refund_due_on else None,
           "refund_overdue": b.refund_overdue_at is not None,
           "refunded_at": canonical_time(b.refunded_at), "forfeited_at": canonical_time(b.forfeited_at),
           "forfeit_reason": b.forfeit_reason, "refund_pending": b.refund_pending,
           "refund_requested_at": canonical_time(b.refund_requested_at), "refund_cause": b.refund_cause}
    if client_secret is not None:
        out["client_secret"] = client_secret
    return out


NULL_TIME = {"type": "string", "format": "date-time", "nullable": True}
OPENAPI.schema("Bond", {"type": "object", "required": ["id", "tender_id", "lot_id", "amount_fen", "method", "status"],
                        "properties": {
    "id": {"type": "integer"}, "tender_id": {"type": "integer"}, "lot_id": {"type": "integer"},
    "supplier_org_id": {"type": "integer"}, "amount_fen": {"type": "integer", "minimum": 1},
    "method": {"type": "string", "enum": list(METHODS)}, "status": {"type": "string", "enum": list(BOND_STATES)},
    "payment_intent_id": {"type": "string", "nullable": True}, "held_at": NULL_TIME,
    "refund_due_on": {"type": "string", "format": "date", "nullable": True}, "refund_overdue": {"type": "boolean"},
    "refunded_at": NULL_TIME, "forfeited_at": NULL_TIME,
    "forfeit_reason": {"type": "string", "enum": list(FORFEIT_REASONS), "nullable": True},
    "refund_pending": {"type": "boolean", "description": "An automatic return was asked and is not made yet"},
    "refund_requested_at": NULL_TIME,
    "refund_cause": {"type": "string", "enum": list(REFUND_CAUSES), "nullable": True,
                     "description": "Why the bond is returned automatically"},
    "client_secret": {"type": "string", "description": "For Stripe's Payment Element (card payments only)"}}})
BOND_BODY = {"type": "object", "required": ["bond"], "properties": {"bond": ref("Bond")}}
LOT_ID = [{"name": "lot_id", "in": "path", "required": True, "schema": ID_SCHEMA}]
BOND_ID = [{"name": "bond_id", "in": "path", "required": True, "schema": ID_SCHEMA}]
TENDER_ID = [{"name": "tender_id", "in": "path", "required": True, "schema": ID_SCHEMA}]


def _responses(description, *, conflict=None, extra=None):
    return ok_responses(description, schema=BOND_BODY, conflict=conflict, extra=extra,
                        not_found="No such lot or bond (or not visible to you)")


@api_bp.post("/lots/<int:lot_id>/bond/card")
@api_auth()
def api_start_card(lot_id):
    bond, secret = services.start_card_payment(g.api_user, lot_id)
    return jsonify({"bond": bond_json(bond, secret or "")})


OPENAPI.spec("/lots/{lot_id}/bond/card", "post", {
    "summary": "Start (or resume) the firm's card payment of the lot's bid bond: a PaymentIntent captured at "
               "confirmation; confirm it with Stripe's Payment Element using client_secret",
    "tags": TAG, "parameters": LOT_ID,
    "responses": _responses("The pending bond and its client_secret",
                            conflict="Not open for bids, no bond asked, bond above the cap, or a bond already "
                                     "under way or held",
                            extra={"503": error("The payment service cannot be reached")})})


@api_bp.get("/bonds/<int:bond_id>")
@api_auth()
def api_get_bond(bond_id):
    return jsonify({"bond": bond_json(services.visible_bond(g.api_user, bond_id))})


OPENAPI.spec("/bonds/{bond_id}", "get", {
    "summary": "A bid bond (its firm; the tender's centre after the bid deadline)", "tags": TAG,
    "parameters": BOND_ID, "responses": _responses("The bond")})


@api_bp.post("/bonds/<int:bond_id>/refresh")
@api_auth()
def api_refresh_bond(bond_id):
    return jsonify({"bond": bond_json(services.refresh_payment(g.api_user, bond_id))})


OPENAPI.spec("/bonds/{bond_id}/refresh", "post", {
    "summary": "Ask the payment service how a pending card payment stands and apply it (same effect as its "
               "webhook; idempotent)", "tags": TAG, "parameters": BOND_ID,
    "responses": _responses("The bond", extra={"503": error("The payment service cannot be reached")})})


@api_bp.post("/lots/<int:lot_id>/bond/guarantee")
@api_auth()
def api_upload_guarantee(lot_id):
    upload = request.files.get("file")
    if upload is None:
        raise ValidationError(N_("The bank guarantee was not accepted."), {"file": N_("Choose a file.")})
    bond = services.upload_guarantee(g.api_user, lot_id, upload.stream, upload.filename or "guarantee")
    return jsonify({"bond": bond_json(bond)})


OPENAPI.spec("/lots/{lot_id}/bond/guarantee", "post", {
    "summary": "Upload an electronic bank guarantee (PDF, JPEG or PNG) for the lot's bid bond; the centre verifies "
               "it after the bid deadline", "tags": TAG, "parameters": LOT_ID,
    "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"], "properties": {"file": {"type": "string", "format": "binary"}}}}}},
    "responses": _responses("The pending bond", conflict="Not open for bids, no bond asked, or a bond already "
                                                         "under way or held",
                            extra={"400": error("No file, or not a PDF, JPEG or PNG file")})})


@api_bp.post("/bonds/<int:bond_id>/return")
@api_auth()
def api_return_bond(bond_id):
    return jsonify({"bond": bond_json(refunds.return_bond(g.api_user, bond_id))})


OPENAPI.spec("/bonds/{bond_id}/return", "post", {
    "summary": "The firm asks for its bond back: it has no live bid on the lot (withdrawn, or none). Returned "
               "automatically at once (refund_pending until done); asking again changes nothing", "tags": TAG,
    "parameters": BOND_ID,
    "responses": _responses("The bond", conflict="The firm has a live bid on the lot, or the bond is no longer "
                                                 "held or waiting")})


@api_bp.get("/tenders/<int:tender_id>/bonds")
@api_auth()
def api_tender_bonds(tender_id):
    bonds = services.bonds_for_tender(g.api_user, tender_id)
    return jsonify({"bonds": [bond_json(b) for b in bonds], "shared_cards": services.fingerprint_flags(tender_id)})


OPENAPI.spec("/tenders/{tender_id}/bonds", "get", {
    "summary": "Every bid bond of a tender and the lots where one card paid for two firms (the tender's centre, "
               "after the bid deadline only: before it, bonds would tell who is bidding)", "tags": TAG,
    "parameters": TENDER_ID,
    "responses": {"200": json_response("Bonds", {"type": "object", "required": ["bonds", "shared_cards"], "properties": {
        "bonds": {"type": "array", "items": ref("Bond")},
        "shared_cards": {"type": "array", "items": {"type": "object", "properties": {
            "lot_id": {"type": "integer"}, "fingerprint": {"type": "string"},
            "supplier_org_ids": {"type": "array", "items": {"type": "integer"}}}}}}}),
        "403": error("Before the bid deadline"), "404": error("No such tender (or not yours)")}})


def _text(body, key):
    value = body.get(key, "")
    if value is not None and not isinstance(value, str):
        raise ValidationError(N_("The request was not accepted."), {key: N_("Must be text.")})
    return value or ""


@api_bp.post("/bonds/<int:bond_id>/verify")
@api_auth()
def api_verify_bond(bond_id):
    body = json_body() if request.get_data() else {}
    approve = body.get("approve", True)
    if not isinstance(approve, bool):
        raise ValidationError(N_("The request was not accepted."), {"approve": N_("Must be true or false.")})
    if approve:
        bond = services.verify_guarantee(g.api_user, bond_id)
    else:
        bond = services.reject_guarantee(g.api_user, bond_id, _text(body, "reason"))
    return jsonify({"bond": bond_json(bond)})


OPENAPI.spec("/bonds/{bond_id}/verify", "post", {
    "summary": "Accept (approve true) or reject (approve false, with a reason) a bank guarantee (the tender's "
               "centre, after the bid deadline)", "tags": TAG, "parameters": BOND_ID,
    "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {
        "approve": {"type": "boolean"}, "reason": {"type": "string", "maxLength": services.REASON_MAX}}}}}},
    "responses": _responses("The bond", conflict="Not a pending bank guarantee",
                            extra={"400": error("No reason for a rejection")})})


@api_bp.post("/bonds/<int:bond_id>/refund")
@api_auth()
def api_refund_bond(bond_id):
    return jsonify({"bond": bond_json(services.refund(g.api_user, bond_id))})


OPENAPI.spec("/bonds/{bond_id}/refund", "post", {
    "summary": "Return a held bond (card payments refunded through the payment service, guarantees released)",
    "tags": TAG, "parameters": BOND_ID,
    "responses": _responses("The bond", conflict="The bond is not held",
                            extra={"503": error("The payment service cannot be reached")})})


@api_bp.post("/bonds/<int:bond_id>/forfeit")
@api_auth()
def api_forfeit_bond(bond_id):
    body = json_body()
    return jsonify({"bond": bond_json(services.forfeit(g.api_user, bond_id, body.get("reason_type"),
                                                       _text(body, "note")))})


OPENAPI.spec("/bonds/{bond_id}/forfeit", "post", {
    "summary": "Forfeit a held bond: the winner withdrew or refused to sign", "tags": TAG, "parameters": BOND_ID,
    "requestBody": {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": ["reason_type"], "properties": {
            "reason_type": {"type": "string", "enum": list(FORFEIT_REASONS)},
            "note": {"type": "string", "maxLength": services.REASON_MAX}}}}}},
    "responses": _responses("The bond", conflict="The bond is not held", extra={"400": error("No reason type")})})
