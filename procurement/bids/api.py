"""JSON API of sealed bids, under /api/v1:

- ``GET tenders/{id}/opening-key``: the tender's opening public key (X25519) and threshold;
- ``POST tenders/{id}/lots/{lot_id}/bids``: submit or replace a bid (verified suppliers, until the
  deadline), with an ``Idempotency-Key`` header; contents in clear (sealed at receipt) or an
  ``envelope`` sealed by the client;
- ``GET tenders/{id}/bids``: the caller's firm's own bids on the tender;
- ``GET bids/{id}``, ``POST bids/{id}/withdraw``, ``POST bids/{id}/reconfirm``,
  ``GET bids/{id}/receipt``, ``GET bids/{id}/receipt/proof`` (after the deadline);
- ``GET tenders/{id}/bid-summary``: after the deadline, the number of bids and the Merkle root;
- ``POST bid-receipts/verify``: check a receipt's signature (and inclusion, with root and proof);
- ``GET/POST opening-key-holder``: the caller's enrolment as an opening key holder.
"""

from __future__ import annotations

from flask import g, jsonify, request

from core import openapi
from core.api import api_auth, json_body
from core.errors import NotFound
from core.hashchain import canonical_time
from core.i18n import N_, translate_message
from procurement.bids import commitments, contents, keyholders, opening_keys, sealed_round, services
from procurement.bids.states import BID_STATES
from procurement.blueprints import ID_SCHEMA, body_ref, error, json_response, ok_responses, ref
from procurement.tendering import services as tender_services
from procurement.tendering.blueprints import api_bp
from procurement.tendering.clarifications import visible_tender

OPENAPI = openapi.Operations()  # registered by wiring.register(app)
TAG = ["bids"]
TENDER_ID = [{"name": "tender_id", "in": "path", "required": True, "schema": ID_SCHEMA}]
LOT_ID = TENDER_ID + [{"name": "lot_id", "in": "path", "required": True, "schema": ID_SCHEMA}]
BID_ID = [{"name": "bid_id", "in": "path", "required": True, "schema": ID_SCHEMA}]
IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "required": True,
               "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{8,80}$"},
               "description": "A new client request id per submission; the same id again returns the same bid "
                              "and receipt"}
NOT_FOUND = error("No such tender, lot or bid (or not yours)")


def bid_json(bid) -> dict:
    return {"id": bid.id, "tender_id": bid.tender_id, "lot_id": bid.lot_id, "sequence": bid.sequence,
            "status": bid.status, "envelope_sha256": bid.envelope_sha256, "client_sealed": bool(bid.client_sealed),
            "received_at": commitments.iso_ms(bid.received_at), "replaces": bid.replaces_id}


def _notes(notes) -> list[str]:
    return [translate_message((template, params)) for template, params in notes]


RECEIPT = {"type": "object", "required": ["statement", "statement_text", "algorithm", "signature", "public_key"],
           "properties": {
               "statement": {"type": "object", "description": "action, bid, tender, lot, sequence, sha256 (of the "
                                                               "sealed envelope), received_at (UTC, ms), key_id"},
               "statement_text": {"type": "string", "description": "The exact signed bytes (canonical JSON)"},
               "algorithm": {"type": "string", "enum": ["Ed25519"]},
               "signature": {"type": "string", "description": "base64"},
               "public_key": {"type": "string", "description": "The platform's Ed25519 public key, base64"}}}
OPENAPI.schema("BidReceipt", RECEIPT)
OPENAPI.schema("Bid", {"type": "object", "required": ["id", "tender_id", "lot_id", "sequence", "status",
                                                      "envelope_sha256", "client_sealed", "received_at"],
                       "properties": {
                           "id": {"type": "integer"}, "tender_id": {"type": "integer"}, "lot_id": {"type": "integer"},
                           "sequence": {"type": "integer", "minimum": 1},
                           "status": {"type": "string", "enum": list(BID_STATES)},
                           "envelope_sha256": {"type": "string"}, "client_sealed": {"type": "boolean"},
                           "received_at": {"type": "string", "format": "date-time"},
                           "replaces": {"type": "integer", "nullable": True}}})
DOCUMENT = {"type": "object", "required": ["name", "content"], "properties": {
    "name": {"type": "string", "minLength": 1, "maxLength": 200},
    "content": {"type": "string", "description": "base64, at most 2 MiB decoded"}}}
OPENAPI.schema("BidInput", {"type": "object", "properties": {
    "product_id": {"type": "integer", "minimum": 1,
                   "description": "One of your firm's listed products, of the lot's category, compliant with the lot"},
    "unit_price_fen": {"type": "integer", "minimum": 1},
    "total_fen": {"type": "integer", "minimum": 1, "description": "Unit price x the lot's quantity (computed when "
                                                                   "left out). Above the ceiling: accepted sealed, "
                                                                   "rejected at opening"},
    "documents": {"type": "array", "maxItems": contents.MAX_DOCUMENTS, "items": DOCUMENT},
    "envelope": {"type": "string", "description": "Instead of the fields above: base64 of an X25519 sealed box "
                                                  "(libsodium crypto_box_seal) to the tender's opening public key, "
                                                  "holding the JSON {tender, lot, supplier_org, product_id, "
                                                  "unit_price_fen, total_fen, documents}. Checked at opening only."},
    "replaces": {"type": "integer", "minimum": 1, "description": "Your current bid on this lot, to replace it"}}})
SUBMISSION = {"type": "object", "required": ["bid", "receipt", "notes"], "properties": {
    "bid": ref("Bid"), "receipt": ref("BidReceipt"), "notes": {"type": "array", "items": {"type": "string"}}}}
RECEIPT_BODY = {"type": "object", "required": ["receipt"], "properties": {"receipt": ref("BidReceipt")}}


def _responses(description: str, schema: dict, status: str = "200", *, conflict: str | None = None) -> dict:
    return ok_responses(description, status, schema, conflict=conflict, not_found=NOT_FOUND)


@api_bp.get("/tenders/<int:tender_id>/opening-key")
@api_auth(public=True)
def opening_key(tender_id):
    tender = visible_tender(g.api_user, tender_id)
    key = opening_keys.opening_key(tender.id)
    if key is None:
        raise NotFound(N_("This tender has no opening key (not published)."))
    return jsonify({"tender_id": tender.id, "public_key": key.public_key, "k": key.k, "n": key.n,
                    "algorithm": "X25519 sealed box (libsodium crypto_box_seal)",
                    "created_at": canonical_time(key.created_at)})


OPENAPI.spec("/tenders/{tender_id}/opening-key", "get", {
    "summary": "The tender's opening public key: seal bids to it; k of its n key holders are needed to open them",
    "tags": TAG, "parameters": TENDER_ID, "security": [{}, {"bearer": []}],
    "responses": {"200": json_response("The public key", {"type": "object", "required": ["public_key", "k", "n"],
                                                           "properties": {
        "tender_id": {"type": "integer"}, "public_key": {"type": "string", "description": "base64, 32 bytes"},
        "k": {"type": "integer"}, "n": {"type": "integer"}, "algorithm": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"}}}), "404": NOT_FOUND}})


@api_bp.post("/tenders/<int:tender_id>/lots/<int:lot_id>/bids")
@api_auth()
def submit_bid(tender_id, lot_id):
    body = json_body()
    key = request.headers.get("Idempotency-Key") or body.get("idempotency_key")
    # No catch_up here: the service compares the deadline with the clock itself, and a storm of
    # bids just before a deadline should not also query the chronograph's table each time.
    result = services.submit(g.api_user, tender_id, lot_id, body, idempotency_key=key, replaces=body.get("replaces"),
                             client_address=request.remote_addr)
    return jsonify({"bid": bid_json(result.bid), "receipt": sealed_round.receipt_json(result.receipt),
                    "notes": _notes(result.notes)}), (201 if result.created else 200)


OPENAPI.spec("/tenders/{tender_id}/lots/{lot_id}/bids", "post", {
    "summary": "Submit or replace your firm's sealed bid on a lot (verified suppliers, before the deadline: server "
               "clock, no grace). Returns a signed receipt.", "tags": TAG, "parameters": LOT_ID + [IDEMPOTENCY],
    "requestBody": body_ref("BidInput"),
    "responses": {**_responses("The bid and its receipt", SUBMISSION, "201",
                               conflict="After the deadline; a current bid not named in replaces; an old bid named "
                                        "(replayed receipt); a request id used for another bid"),
                  "200": json_response("The same request id again: the same bid and receipt", SUBMISSION)}})


@api_bp.get("/tenders/<int:tender_id>/bids")
@api_auth()
def my_bids(tender_id):
    tender = visible_tender(g.api_user, tender_id)
    return jsonify({"bids": [bid_json(b) for b in services.my_bids(g.api_user, tender)]})


OPENAPI.spec("/tenders/{tender_id}/bids", "get", {
    "summary": "Your own firm's bids on the tender (nobody sees anyone else's)", "tags": TAG, "parameters": TENDER_ID,
    "responses": _responses("Your bids", {"type": "object", "required": ["bids"], "properties": {
        "bids": {"type": "array", "items": ref("Bid")}}})})


@api_bp.get("/bids/<int:bid_id>")
@api_auth()
def get_bid(bid_id):
    bid = services.get_bid(g.api_user, bid_id)
    return jsonify({"bid": bid_json(bid), "receipts": [sealed_round.receipt_json(r) for r in bid.receipts]})


OPENAPI.spec("/bids/{bid_id}", "get", {
    "summary": "One of your firm's bids with all its receipts", "tags": TAG, "parameters": BID_ID,
    "responses": _responses("The bid", {"type": "object", "required": ["bid", "receipts"], "properties": {
        "bid": ref("Bid"), "receipts": {"type": "array", "items": ref("BidReceipt")}}})})


@api_bp.post("/bids/<int:bid_id>/withdraw")
@api_auth()
def withdraw_bid(bid_id):
    receipt = services.withdraw(g.api_user, bid_id)
    return jsonify({"receipt": sealed_round.receipt_json(receipt)})


OPENAPI.spec("/bids/{bid_id}/withdraw", "post", {
    "summary": "Withdraw your bid (until the deadline); returns the signed receipt", "tags": TAG, "parameters": BID_ID,
    "responses": _responses("The withdrawal receipt", RECEIPT_BODY, conflict="After the deadline, or the bid is no "
                                                                             "longer current")})


@api_bp.post("/bids/<int:bid_id>/reconfirm")
@api_auth()
def reconfirm_bid(bid_id):
    receipt = services.reconfirm(g.api_user, bid_id)
    return jsonify({"receipt": sealed_round.receipt_json(receipt)})


OPENAPI.spec("/bids/{bid_id}/reconfirm", "post", {
    "summary": "Re-confirm your bid after an amendment (until the deadline); a bid not re-confirmed is not opened",
    "tags": TAG, "parameters": BID_ID,
    "responses": _responses("The re-confirmation receipt", RECEIPT_BODY,
                            conflict="After the deadline, or the bid does not need re-confirmation")})


@api_bp.get("/bids/<int:bid_id>/receipt")
@api_auth()
def bid_receipt(bid_id):
    bid = services.get_bid(g.api_user, bid_id)
    return jsonify({"receipt": sealed_round.receipt_json(services.latest_receipt(bid.id))})


OPENAPI.spec("/bids/{bid_id}/receipt", "get", {
    "summary": "The latest signed receipt of your bid", "tags": TAG, "parameters": BID_ID,
    "responses": _responses("The receipt", RECEIPT_BODY)})


PROOF = {"type": "object", "required": ["receipt", "merkle_root", "leaf_index", "leaf_count", "proof"], "properties": {
    "receipt": ref("BidReceipt"), "merkle_root": {"type": "string"}, "leaf_index": {"type": "integer"},
    "leaf_count": {"type": "integer"},
    "proof": {"type": "array", "items": {"type": "object", "required": ["side", "hash"], "properties": {
        "side": {"type": "string", "enum": ["left", "right"]}, "hash": {"type": "string"}}}}}}


@api_bp.get("/bids/<int:bid_id>/receipt/proof")
@api_auth()
def receipt_proof(bid_id):
    bid = services.get_bid(g.api_user, bid_id)
    tender_services.catch_up(bid.tender_id)
    return jsonify(sealed_round.receipt_proof(g.api_user, bid_id))


OPENAPI.spec("/bids/{bid_id}/receipt/proof", "get", {
    "summary": "After the deadline: your bid's latest receipt with its inclusion proof in the published Merkle root "
               "(leaf = SHA-256(0x00 || statement_text), node = SHA-256(0x01 || left || right))",
    "tags": TAG, "parameters": BID_ID,
    "responses": _responses("The proof", PROOF, conflict="Before the deadline, or the bid is not in the root "
                                                         "(withdrawn, replaced, not re-confirmed)")})


SUMMARY = {"type": "object", "required": ["bids", "bidders", "merkle_root"], "properties": {
    "bids": {"type": "integer"}, "bidders": {"type": "integer"}, "merkle_root": {"type": "string"},
    "statement": {"type": "string"}, "signature": {"type": "string"}, "public_key": {"type": "string"}}}


@api_bp.get("/tenders/<int:tender_id>/bid-summary")
@api_auth(public=True)
def bid_summary(tender_id):
    tender_services.catch_up(tender_id)
    tender = visible_tender(g.api_user, tender_id)
    return jsonify(sealed_round.bid_summary(g.api_user, tender))


OPENAPI.spec("/tenders/{tender_id}/bid-summary", "get", {
    "summary": "After the deadline: how many bids and firms (no names) and the signed Merkle root of the "
               "commitments. Before it: 409, for everyone.", "tags": TAG, "parameters": TENDER_ID,
    "security": [{}, {"bearer": []}],
    "responses": {"200": json_response("The count and root", SUMMARY), "404": NOT_FOUND,
                  "409": error("Before the bid deadline")}})


OPENAPI.schema("BidReceiptCheck", {"type": "object", "required": ["receipt"], "properties": {
    "receipt": ref("BidReceipt"), "merkle_root": {"type": "string"},
    "proof": PROOF["properties"]["proof"]}})


@api_bp.post("/bid-receipts/verify")
@api_auth(public=True)
def verify_receipt():
    body = json_body()
    return jsonify(sealed_round.verify_receipt(body.get("receipt"), body.get("merkle_root"), body.get("proof")))


OPENAPI.spec("/bid-receipts/verify", "post", {
    "summary": "Check a receipt: the platform's signature, and with merkle_root and proof its inclusion",
    "tags": TAG, "security": [{}, {"bearer": []}], "requestBody": body_ref("BidReceiptCheck"),
    "responses": {"200": json_response("The checks", {"type": "object", "required": ["signature", "included"],
                                                      "properties": {"signature": {"type": "boolean"},
                                                                     "included": {"type": "boolean",
                                                                                  "nullable": True}}})}})


HOLDER = {"type": "object", "required": ["enrolled"], "properties": {
    "enrolled": {"type": "boolean"}, "public_key": {"type": "string", "nullable": True},
    "enrolled_at": {"type": "string", "format": "date-time", "nullable": True}}}


def _holder_json(holder) -> dict:
    return {"enrolled": holder is not None, "public_key": holder.public_key if holder else None,
            "enrolled_at": canonical_time(holder.enrolled_at) if holder else None}


@api_bp.get("/opening-key-holder")
@api_auth()
def key_holder():
    return jsonify(_holder_json(keyholders.holder_of(g.api_user)))


OPENAPI.spec("/opening-key-holder", "get", {
    "summary": "Whether you are an enrolled opening key holder", "tags": TAG,
    "responses": {"200": json_response("Your enrolment", HOLDER)}})

OPENAPI.schema("KeyHolderEnrolment", {"type": "object", "required": ["passphrase"], "properties": {
    "passphrase": {"type": "string", "minLength": keyholders.PASSPHRASE_MIN, "maxLength": keyholders.PASSPHRASE_MAX}}})


@api_bp.post("/opening-key-holder")
@api_auth()
def enrol_key_holder():
    body = json_body()
    return jsonify(_holder_json(keyholders.enrol(g.api_user, body.get("passphrase")))), 201


OPENAPI.spec("/opening-key-holder", "post", {
    "summary": "Enrol as an opening key holder (centre officers, finance reviewers) with a passphrase of at least "
               "12 characters; only a salt and your wrapped key are stored, never the passphrase", "tags": TAG,
    "requestBody": body_ref("KeyHolderEnrolment"),
    "responses": {"201": json_response("Enrolled", HOLDER), "403": error("Not allowed"),
                  "409": error("Already enrolled")}})

