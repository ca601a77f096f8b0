"""Sealed bids: the opening key made at publication, submission (sealed at receipt or by the
client), replacement, withdrawal, re-confirmation after an amendment, signed receipts, and the
Merkle root of commitments at the deadline.

Decisions (see docs/bids.md):

- **Web-form and JSON-contents path**: the server sees the product and price for the moment it
  checks them (the product is the firm's own, listed, of the lot's category, passing in the city
  and meeting the lot's requirements; the total is unit price x quantity), then seals them to the
  tender's public key in memory. Only the sealed envelope is stored; nothing of the contents is
  logged.
- **Client-sealed path** (API ``envelope``): the server never sees the contents, so product
  compliance, the total and the ceiling are screened at opening; an envelope that does not open
  or whose contents name another firm or lot is rejected at opening.
- **Price above the ceiling**: accepted sealed and screened at opening (the answer says so).
- **Replay**: each submission carries a client request id (``Idempotency-Key``); the same id
  again returns the same bid and receipt and creates nothing. Replacing names the bid being
  replaced; naming a bid that is no longer current (an old receipt) is refused (409), so a stale
  client cannot silently overwrite a newer bid.
- **Hidden bidders**: no audit event, notification or record names a bidder before the
  deadline; the receipts are the bidders' record. At the deadline one record per tender gives
  the count and the Merkle root.
- **Deadline**: server clock, millisecond precision (``received_at`` is truncated to the
  millisecond before comparing), no grace: at the deadline itself a bid is refused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.i18n import N_
from core.services import unit_of_work
from core.timeutil import utcnow
from core.validation import Errors, integer
from procurement.bids import commitments, policy, sealing, statements
from procurement.bids.contents import client_envelope, checked_contents, clean_idempotency_key
from procurement.bids.models import (
    Bid,
    BidReceipt,
)
from procurement.bids.states import (
    BID,
    LIVE_STATES,
    SUBMITTED,
)
from procurement.tendering import policy as tender_policy
from procurement.tendering.models import Tender
from procurement.tendering.states import LOT_ACTIVE


@dataclass
class Submission:
    bid: Bid
    receipt: BidReceipt
    created: bool                       # False: the same request id again (nothing new written)
    notes: list = field(default_factory=list)   # (template, params) told to the bidder


# ------------------------------------------------------------------ reading

def _shared_lock(tender_id: int) -> Tender:
    """The tender row with a shared lock: bids go in side by side, an amendment or the close
    (which lock it for update) waits for them and they for it."""
    tender = db.session.execute(select(Tender).where(Tender.id == int(tender_id)).with_for_update(read=True, of=Tender)
                                .execution_options(populate_existing=True)).unique().scalar_one_or_none()
    if tender is None or not tender_policy.is_public(tender):
        raise NotFound(N_("No such tender."))
    return tender


def own_bid(actor, bid_id, *, lock: bool = False) -> Bid:
    try:
        bid_id = int(bid_id)
    except (TypeError, ValueError):
        raise NotFound(N_("No such bid.")) from None
    stmt = select(Bid).where(Bid.id == bid_id)
    if lock:
        stmt = stmt.with_for_update(of=Bid)
    bid = db.session.execute(stmt.execution_options(populate_existing=True)).unique().scalar_one_or_none()
    if bid is None or not policy.is_own_bid(actor, bid):
        raise NotFound(N_("No such bid."))
    return bid


def get_bid(actor, bid_id) -> Bid:
    return own_bid(actor, bid_id)


def latest_receipt(bid_id: int) -> BidReceipt | None:
    return db.session.execute(select(BidReceipt).where(BidReceipt.bid_id == bid_id)
                              .order_by(BidReceipt.id.desc()).limit(1)).scalar_one_or_none()


def my_bids(actor, tender) -> list[Bid]:
    """The actor's firm's bids on `tender` (all of them, newest first): only its own."""
    if not policy.is_supplier_person(actor):
        return []
    return list(db.session.execute(select(Bid).where(Bid.tender_id == tender.id,
                                                     Bid.supplier_org_id == actor.organisation_id)
                                   .order_by(Bid.lot_id, Bid.id.desc())).unique().scalars())


def _deadline_text(tender) -> str:
    return commitments.iso_ms(tender.bid_deadline_at)


def _refuse_closed(tender, now: dt.datetime) -> None:
    if not tender_policy.takes_sealed_bids(tender):  # its offers are made in the negotiation's rounds
        raise Conflict(N_("Tender %(reference)s is procured by negotiation: offers are made in the rounds of its "
                          "negotiation, not as sealed bids."), reference=tender.reference)
    if not tender_policy.is_open_for_bids(tender, now):
        raise Conflict(N_("Bids are no longer accepted: the deadline was %(deadline)s (server time %(now)s; no "
                          "grace period)."), deadline=_deadline_text(tender), now=commitments.iso_ms(now))


def _receipt(bid: Bid, kind: str, at: dt.datetime, tender, extra: dict | None = None) -> BidReceipt:
    statement = {"action": kind, "bid": bid.id, "tender": tender.reference, "lot": bid.lot_id,
                 "sequence": bid.sequence, "sha256": bid.envelope_sha256, "received_at": commitments.iso_ms(at)}
    statement.update(extra or {})
    text, signature = commitments.sign(statement)
    return statements.insert_receipt(dict(bid_id=bid.id, kind=kind, statement=text, signature=signature,
                                          created_at=at))


# ------------------------------------------------------------------ submission

def submit(actor, tender_id, lot_id, data: dict, *, idempotency_key, replaces=None,
           now: dt.datetime | None = None, client_address: str | None = None) -> Submission:
    """Submit (or replace) a supplier firm's bid on a lot; see the module docstring.
    `client_address`: the submitter's network address, kept for oversight's red flags."""
    now = commitments.truncate_ms(now or utcnow())
    key = clean_idempotency_key(idempotency_key)
    if not isinstance(data, dict):
        raise ValidationError(N_("The body must be a JSON object."))
    try:
        return _submit(actor, tender_id, lot_id, data, key, replaces, now, (client_address or "")[:45] or None)
    except IntegrityError:
        db.session.rollback()
        raise Conflict(N_("Another submission for this lot, or with this request id, arrived at the same moment. "
                          "Reload your bids and try again.")) from None


def _tender_and_lot(tender_id, lot_id):
    """The tender (shared lock, as `_shared_lock`), the lot and the opening public key in one
    round trip: the bid storm's hot path (plain attribute objects, see `statements`)."""
    tender_id, lot_number = _as_id(tender_id), _as_id(lot_id)
    found = statements.tender_lot_key(tender_id, lot_number or 0) if tender_id is not None else None
    if found is None or not tender_policy.is_public(found[0]):
        raise NotFound(N_("No such tender."))
    return found


def _as_id(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


def _submit(actor, tender_id, lot_id, data, key, replaces, now, client_address=None) -> Submission:
    # keep_loaded: the answer shows the bid and receipt just written, without reading them back.
    with unit_of_work(keep_loaded=True):
        tender, lot, public_key = _tender_and_lot(tender_id, lot_id)
        if not tender_policy.is_verified_supplier(actor):
            raise PermissionDenied(N_("Only people of a verified supplier firm can bid."))
        mine = statements.firm_bids(actor.organisation_id, key, lot.id if lot else -1)
        same = next((b for b in mine if b.idempotency_key == key), None)
        if same is not None:
            if same.tender_id != tender.id or lot is None or same.lot_id != lot.id:
                raise Conflict(N_("This request id was already used for another bid; send a new one for each "
                                  "submission."))
            # A client retry (rare): the bid and its first receipt as they were written.
            first = db.session.execute(select(BidReceipt).where(BidReceipt.bid_id == same.id)
                                       .order_by(BidReceipt.id).limit(1)).scalar_one()
            return Submission(db.session.get(Bid, same.id), first, created=False,
                              notes=[(N_("This request was already received: here is its receipt; nothing new was "
                                         "submitted."), {})])
        _refuse_closed(tender, now)
        if lot is None:
            raise NotFound(N_("No such lot in this tender."))
        if lot.status != LOT_ACTIVE:
            raise Conflict(N_("This lot is no longer open for bids (status “%(status)s”)."), status=lot.status)
        if public_key is None:
            raise Conflict(N_("This tender has no opening key, so bids cannot be sealed; tell the procurement centre."))

        errors, notes = Errors(), []
        client_sealed = "envelope" in data
        if client_sealed:
            envelope = client_envelope(data, errors, notes)
            errors.raise_if_any()
        else:
            contents = checked_contents(actor, tender, lot, data, errors, notes)
            errors.raise_if_any()
            envelope = sealing.seal(contents, public_key)
            del contents

        live = next((b for b in mine if b.lot_id == lot.id and b.status in LIVE_STATES), None)
        replaces_id = _clean_replaces(replaces)
        if live is not None and replaces_id != live.id:
            if replaces_id is None:
                raise Conflict(N_("Your firm already has bid %(bid)s on this lot. To replace it, name it "
                                  "(replaces = %(bid)s)."), bid=live.id)
            raise Conflict(N_("Bid %(old)s is not your current bid on this lot (an old receipt?); your current bid "
                              "is %(bid)s."), old=replaces_id, bid=live.id)
        if live is None and replaces_id is not None:
            raise Conflict(N_("Bid %(old)s is no longer current (replaced or withdrawn): submit a new bid instead."),
                           old=replaces_id)
        if live is not None:
            BID.apply(Bid, live.id, "replace", updated_at=now)
        sequence = 1 + max((b.sequence for b in mine if b.lot_id == lot.id), default=0)
        bid = statements.insert_bid(dict(
            tender_id=tender.id, lot_id=lot.id, supplier_org_id=actor.organisation_id, submitted_by_id=actor.id,
            sequence=sequence, status=SUBMITTED, sealed_envelope=envelope, envelope_sha256=sealing.sha256_hex(envelope),
            client_sealed=client_sealed, idempotency_key=key, received_at=now, replaces_id=live.id if live else None,
            updated_at=now, client_address=client_address))
        receipt = _receipt(bid, "replaced" if live else "submitted", now, tender,
                           {"replaces": live.id} if live else None)
    return Submission(bid, receipt, created=True, notes=notes)


def _clean_replaces(value) -> int | None:
    if value in (None, ""):
        return None
    errors = Errors()
    number = integer({"replaces": value}, "replaces", errors, minimum=1, maximum=2**31 - 1)
    errors.raise_if_any()
    return number


def withdraw(actor, bid_id, *, now: dt.datetime | None = None) -> BidReceipt:
    """The bidder withdraws its bid until the deadline; the receipt says so."""
    return _bidder_step(actor, bid_id, "withdraw", "withdrawn", now)


def reconfirm(actor, bid_id, *, now: dt.datetime | None = None) -> BidReceipt:
    """After an amendment the bidder re-confirms its bid as it is (or replaces it) before the
    deadline; a bid not re-confirmed is not opened."""
    return _bidder_step(actor, bid_id, "reconfirm", "reconfirmed", now)


def _bidder_step(actor, bid_id, action: str, receipt_action: str, now: dt.datetime | None) -> BidReceipt:
    """One move of the bidder's own bid before the deadline, with its signed receipt."""
    now = commitments.truncate_ms(now or utcnow())
    with unit_of_work():
        bid = own_bid(actor, bid_id)
        tender = _shared_lock(bid.tender_id)
        if not tender_policy.is_verified_supplier(actor):
            raise PermissionDenied(N_("Only people of a verified supplier firm can bid."))
        _refuse_closed(tender, now)
        BID.apply(Bid, bid.id, action, updated_at=now)
        receipt = _receipt(bid, receipt_action, now, tender)
    return receipt


