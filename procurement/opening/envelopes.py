"""Opening the envelopes of a tender with its recombined key (inside the opening's transaction).

For every bid still `submitted` at the deadline (`bids.states.LIVE_AT_OPENING`), in bid order:

1. **Commitment**: the SHA-256 of the envelope as stored now must equal the hash in the bid's
   latest signed receipt (platform Ed25519 signature checked), and that receipt must be a leaf of
   the Merkle root signed and published at the deadline (the root is recomputed from the stored
   receipts and its signed statement checked). A changed envelope, receipt or root: the bid is
   void with the reason; nothing of it is decrypted.
2. **Decryption** with the tender's key; an envelope that does not open is void ("a failed
   decryption caused by the bidder counts as the bidder's withdrawal", NDRC Order 20).
3. **Contents**: the tender, lot and firm named inside must be the bid's own; product id, unit
   price, total (computed when a client-sealed envelope left it out) and documents must be well
   formed, each document matching its SHA-256.

Each bid becomes one `OpenedBid` row (valid or void, with a stored reason: key and parameters)
with its documents. Nothing here commits; the caller wipes the key.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import func, select

from core.extensions import db
from core.i18n import N_, Message, message_payload
from procurement.bids import commitments, sealing
from procurement.bids.contents import (
    MAX_DOCUMENT_BYTES,
    MAX_DOCUMENTS,
    MAX_PRICE_FEN,
    expected_total,
)
from procurement.bids.models import Bid, BidReceipt, BidRoot
from procurement.bids.states import LIVE_AT_OPENING
from procurement.opening.models import OpenedBid, OpenedBidDocument
from procurement.opening.states import VALID, VOID

MAX_ID = 2**31 - 1


@dataclass
class RootCheck:
    """The published root as verified at opening: `ok` when its signed statement verifies and it
    equals the root recomputed from the stored leaf receipts."""

    ok: bool
    root: str
    leaf_ids: list[int]


def check_root(root_row: BidRoot) -> RootCheck:
    """Verify the signed Merkle root against the receipts stored as its leaves."""
    try:
        leaf_ids = [int(i) for i in json.loads(root_row.leaves)]
        statement = json.loads(root_row.statement)
    except (TypeError, ValueError):
        return RootCheck(False, root_row.root, [])
    rows = dict(db.session.execute(select(BidReceipt.id, BidReceipt.statement)
                                   .where(BidReceipt.id.in_(leaf_ids))).all()) if leaf_ids else {}
    recomputed = commitments.merkle_root([commitments.leaf_hash(rows[i]) for i in leaf_ids if i in rows])
    ok = (len(rows) == len(leaf_ids) and recomputed == root_row.root and statement.get("root") == root_row.root
          and commitments.verify_signature(root_row.statement, root_row.signature, commitments.public_key()))
    return RootCheck(ok, root_row.root, leaf_ids)


def _latest_receipt(bid_id: int) -> BidReceipt | None:
    return db.session.execute(select(BidReceipt).where(BidReceipt.bid_id == bid_id)
                              .order_by(BidReceipt.id.desc()).limit(1)).scalar_one_or_none()


def commitment_problem(bid: Bid, actual_sha256: str, root: RootCheck) -> tuple[dict | None, str | None]:
    """(void reason payload or None, the hash the receipt commits to)."""
    receipt = _latest_receipt(bid.id)
    if receipt is None:
        return message_payload(N_("The bid has no receipt.")), None
    if not commitments.verify_signature(receipt.statement, receipt.signature, commitments.public_key()):
        return message_payload(N_("The bid's receipt does not carry a valid platform signature.")), None
    try:
        statement = json.loads(receipt.statement)
        committed = str(statement["sha256"])
        names_bid = int(statement["bid"]) == bid.id and int(statement["lot"]) == bid.lot_id
    except (KeyError, TypeError, ValueError):
        return message_payload(N_("The bid's receipt cannot be read.")), None
    if not names_bid:
        return message_payload(N_("The bid's receipt names another bid or lot.")), committed
    if not root.ok:
        return message_payload(N_("The published Merkle root %(root)s does not verify against the stored receipts."),
                               {"root": root.root}), committed
    if receipt.id not in root.leaf_ids:
        return message_payload(N_("The bid's latest receipt is not in the published Merkle root.")), committed
    if committed != actual_sha256:
        return message_payload(N_("The stored envelope does not match the bid's commitment: its SHA-256 is "
                                  "%(actual)s, the signed receipt and the published root commit to %(committed)s."),
                               {"actual": actual_sha256, "committed": committed}), committed
    return None, committed


def _whole(value, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return None
    return value


def _documents(raw) -> tuple[list[dict] | None, Message | None]:
    if raw in (None, []):
        return [], None
    if not isinstance(raw, list) or len(raw) > MAX_DOCUMENTS:
        return None, Message(N_("the documents are not a list of at most %(n)s"), n=MAX_DOCUMENTS)
    out = []
    for item in raw:
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            return None, Message(N_("a document has no valid name"))
        try:
            content = base64.b64decode(str(item.get("content", "")).encode("ascii"), validate=True)
        except (binascii.Error, ValueError, UnicodeEncodeError):
            return None, Message(N_("document “%(name)s” is not base64"), name=name[:200])
        if not content or len(content) > MAX_DOCUMENT_BYTES:
            return None, Message(N_("document “%(name)s” is empty or too large"), name=name[:200])
        digest = sealing.sha256_hex(content)
        if item.get("sha256") not in (None, digest):
            return None, Message(N_("document “%(name)s” does not match its SHA-256"), name=name[:200])
        out.append({"name": name.strip(), "sha256": digest, "content": content})
    return out, None


def read_contents(contents, bid: Bid, tender, lot) -> tuple[dict | None, dict | None]:
    """(clean contents, None) or (None, void reason payload)."""
    if not isinstance(contents, dict):
        return None, message_payload(N_("The envelope does not hold a bid (not a JSON object)."))
    if (contents.get("tender") != tender.reference or contents.get("lot") != bid.lot_id
            or contents.get("supplier_org") != bid.supplier_org_id):
        return None, message_payload(N_("The envelope's contents name another tender, lot or firm than the bid."))
    problem = None
    product_id = _whole(contents.get("product_id"), 1, MAX_ID)
    unit_price = _whole(contents.get("unit_price_fen"), 1, MAX_PRICE_FEN)
    total = contents.get("total_fen")
    if product_id is None:
        problem = Message(N_("no valid product id"))
    elif unit_price is None:
        problem = Message(N_("no valid unit price"))
    elif total is not None and _whole(total, 1, MAX_PRICE_FEN) is None:
        problem = Message(N_("no valid total"))
    documents, doc_problem = _documents(contents.get("documents"))
    problem = problem or doc_problem
    if problem is not None:
        return None, message_payload(N_("The envelope's contents are not a valid bid: %(problem)s."),
                                     {"problem": problem})
    if total is None:  # a client-sealed envelope may leave the total to us
        total = expected_total(unit_price, lot.quantity_milli)
    return {"product_id": product_id, "unit_price_fen": unit_price, "total_fen": total, "documents": documents}, None


def open_all(tender, private_key: bytearray, now: dt.datetime) -> list[OpenedBid]:
    """Check, decrypt and store every bid of `tender` that is opened (see the module text)."""
    root_row = db.session.get(BidRoot, tender.id)
    root = check_root(root_row) if root_row is not None else RootCheck(False, "", [])
    lots = {lot.id: lot for lot in tender.lots}
    bids = db.session.execute(select(Bid).where(Bid.tender_id == tender.id, Bid.status.in_(LIVE_AT_OPENING))
                              .order_by(Bid.lot_id, Bid.id)).unique().scalars()
    opened = []
    for bid in bids:
        envelope = bytes(bid.sealed_envelope or b"")
        actual = sealing.sha256_hex(envelope)
        row = OpenedBid(tender_id=tender.id, lot_id=bid.lot_id, bid_id=bid.id, supplier_org_id=bid.supplier_org_id,
                        status=VOID, envelope_sha256=actual, client_sealed=bool(bid.client_sealed), opened_at=now)
        reason, row.committed_sha256 = commitment_problem(bid, actual, root)
        contents = None
        if reason is None:
            try:
                contents = sealing.open_envelope(envelope, private_key)
            except sealing.SealingError:
                reason = message_payload(N_("The envelope does not open with the tender's key (counted as the "
                                            "bidder's withdrawal)."))
        if reason is None:
            clean, reason = read_contents(contents, bid, tender, lots[bid.lot_id])
            if clean is not None:
                row.status = VALID
                row.product_id, row.unit_price_fen, row.total_fen = (clean["product_id"], clean["unit_price_fen"],
                                                                     clean["total_fen"])
                for position, doc in enumerate(clean["documents"], start=1):
                    row.documents.append(OpenedBidDocument(position=position, name=doc["name"], sha256=doc["sha256"],
                                                           size=len(doc["content"]), content=doc["content"]))
        row.void_reason = reason
        del contents
        db.session.add(row)
        opened.append(row)
    db.session.flush()
    return opened


def opened_count(tender_id: int) -> int:
    return db.session.execute(select(func.count(OpenedBid.id)).where(OpenedBid.tender_id == tender_id)).scalar()
