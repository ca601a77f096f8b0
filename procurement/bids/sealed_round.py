"""The round of sealed bids around its deadline: re-confirmation after an amendment, the seal at
the deadline (not-opened bids, the signed Merkle root over the latest receipts), the count
published after it, and each bidder's proof that its receipt is in the root."""


from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select, update

from core import audit
from core.errors import Conflict, ValidationError
from core.extensions import db
from core.i18n import N_
from core.notifications import notify_organisation
from core.timeutil import china_time, utcnow
from procurement.bids import commitments, policy
from procurement.bids.models import (
    Bid,
    BidReceipt,
    BidRoot,
)
from procurement.bids.services import latest_receipt, own_bid
from procurement.bids.states import (
    LIVE_AT_OPENING,
    NEEDS_RECONFIRMATION,
    NOT_OPENED,
    SUBMITTED,
)
from procurement.tendering.clarifications import tender_link


def on_amended(tender, amendment) -> None:
    """Listener of `tendering.amendments.on_amended`: every submitted bid of the tender now needs
    re-confirmation; each bidding firm is told (only the firm itself)."""
    orgs = list(db.session.execute(select(Bid.supplier_org_id).where(Bid.tender_id == tender.id,
                                                                     Bid.status == SUBMITTED).distinct()).scalars())
    if not orgs:
        return
    db.session.execute(update(Bid).where(Bid.tender_id == tender.id, Bid.status == SUBMITTED)
                       .values(status=NEEDS_RECONFIRMATION, updated_at=utcnow())
                       .execution_options(synchronize_session=False))
    for org_id in sorted(orgs):
        notify_organisation(org_id, "bids.reconfirm", N_(
            "Tender %(reference)s was amended (amendment %(number)s). Re-confirm or replace your bid before "
            "%(deadline)s, or it will not be opened."),
            {"reference": tender.reference, "number": amendment.number, "deadline": china_time(tender.bid_deadline_at)},
            link=f"{tender_link(tender.id)}/bids")


def _leaves(tender_id: int) -> list[BidReceipt]:
    """The latest receipt of each bid still submitted, in receipt order."""
    latest = (select(func.max(BidReceipt.id)).join(Bid, Bid.id == BidReceipt.bid_id)
              .where(Bid.tender_id == tender_id, Bid.status.in_(LIVE_AT_OPENING)).group_by(BidReceipt.bid_id))
    return list(db.session.execute(select(BidReceipt).where(BidReceipt.id.in_(latest))
                                   .order_by(BidReceipt.id)).scalars())


def seal_round(tender) -> BidRoot:
    """Listener of `tendering.services.on_closed` (the chronograph's close at the deadline, in its
    transaction): bids still awaiting re-confirmation become "not opened"; the Merkle root over
    the latest receipt of every submitted bid is computed, signed and published. Idempotent."""
    existing = db.session.get(BidRoot, tender.id)
    if existing is not None:
        return existing
    from procurement.tendering.services import CHRONOGRAPH

    db.session.execute(update(Bid).where(Bid.tender_id == tender.id, Bid.status == NEEDS_RECONFIRMATION)
                       .values(status=NOT_OPENED).execution_options(synchronize_session=False))
    receipts = _leaves(tender.id)
    hashes = [commitments.leaf_hash(r.statement) for r in receipts]
    root = commitments.merkle_root(hashes)
    bidders = len(set(db.session.execute(select(Bid.supplier_org_id).where(
        Bid.tender_id == tender.id, Bid.status.in_(LIVE_AT_OPENING))).scalars()))
    deadline = tender.bid_deadline_at
    text, signature = commitments.sign({"tender": tender.reference, "root": root, "leaves": len(receipts),
                                        "bidders": bidders, "deadline": commitments.iso_ms(deadline)})
    row = BidRoot(tender_id=tender.id, root=root, leaf_count=len(receipts),
                  leaves=json.dumps([r.id for r in receipts]), statement=text, signature=signature,
                  computed_at=utcnow())
    db.session.add(row)
    db.session.flush()
    # The tender's audit event carries the root and the count (the close's own record is on the
    # projects' chains); no bidder is named.
    audit.record("bids.sealed", object_type="tenders", object_id=tender.id, actor=CHRONOGRAPH,
                 after={"root": root, "bids": len(receipts), "bidders": bidders})
    return row


def bid_root(tender) -> BidRoot | None:
    return db.session.get(BidRoot, tender.id)


def bidders_of(root: BidRoot) -> int:
    return int(json.loads(root.statement).get("bidders", 0))


def bid_summary(actor, tender, *, now: dt.datetime | None = None) -> dict:
    """After the deadline: the number of bids and firms and the Merkle root (no identities).
    Before it: refused, to everyone."""
    if not policy.can_see_bid_count(actor, tender, now):
        raise Conflict(N_("The number of bids is hidden until the bid deadline, %(deadline)s."),
                       deadline=china_time(tender.bid_deadline_at))
    root = bid_root(tender)
    if root is None:
        raise Conflict(N_("The bids are being sealed; try again in a moment."))
    return {"bids": root.leaf_count, "bidders": bidders_of(root), "merkle_root": root.root,
            "statement": root.statement, "signature": root.signature, "public_key": commitments.public_key()}


def receipt_proof(actor, bid_id) -> dict:
    """The bid's latest receipt with its inclusion proof in the published root (after the deadline)."""
    bid = own_bid(actor, bid_id)
    tender = bid.tender
    root = bid_root(tender)
    if root is None:
        raise Conflict(N_("The Merkle root is published at the bid deadline, %(deadline)s."),
                       deadline=china_time(tender.bid_deadline_at))
    receipt = latest_receipt(bid.id)
    leaf_ids = json.loads(root.leaves)
    if receipt is None or receipt.id not in leaf_ids:
        raise Conflict(N_("This bid is not in the published root: its status is “%(status)s” (only bids submitted or "
                          "re-confirmed by the deadline are)."), status=bid.status)
    statements = dict(db.session.execute(select(BidReceipt.id, BidReceipt.statement)
                                         .where(BidReceipt.id.in_(leaf_ids))).all())
    hashes = [commitments.leaf_hash(statements[i]) for i in leaf_ids]
    index = leaf_ids.index(receipt.id)
    return {"receipt": receipt_json(receipt), "merkle_root": root.root, "leaf_index": index,
            "leaf_count": len(leaf_ids), "proof": commitments.inclusion_proof(hashes, index)}


def receipt_json(receipt: BidReceipt) -> dict:
    return commitments.receipt_document(receipt.statement, receipt.signature, commitments.public_key())


def verify_receipt(document, root: str | None = None, proof=None) -> dict:
    """Check a receipt document (as downloaded): the platform's signature, and with `root` and
    `proof` its inclusion. ``{"signature": bool, "included": bool | None}``."""
    if not isinstance(document, dict) or not isinstance(document.get("statement_text"), str):
        raise ValidationError(N_("Send the receipt as downloaded (with its statement_text and signature)."))
    ok = commitments.verify_signature(document["statement_text"], str(document.get("signature", "")),
                                      commitments.public_key())
    included = None
    if root is not None:
        included = isinstance(proof, list) and commitments.verify_inclusion(document["statement_text"], proof, str(root))
    return {"signature": ok, "included": included}

