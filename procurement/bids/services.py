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

import base64
import binascii
import datetime as dt
import json
import re
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

import catalog.interface as catalog
from core import audit
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.i18n import N_
from core.notifications import notify_organisation
from core.services import unit_of_work
from core.timeutil import china_time, utcnow
from core.validation import Errors, integer
from procurement.bids import commitments, keyholders, policy, sealing
from procurement.bids.models import (
    Bid,
    BidReceipt,
    BidRoot,
    KeyHolder,
    KeyShare,
    OpeningKey,
)
from procurement.bids.states import (
    BID,
    LIVE_AT_OPENING,
    LIVE_STATES,
    NEEDS_RECONFIRMATION,
    NOT_OPENED,
    SUBMITTED,
)
from procurement.tendering import policy as tender_policy
from procurement.tendering.clarifications import tender_link
from procurement.tendering.models import Tender
from procurement.tendering.states import LOT_ACTIVE

MAX_DOCUMENTS = 5
MAX_DOCUMENT_BYTES = 2 * 1024 * 1024
MAX_ENVELOPE_BYTES = 12 * 1024 * 1024
MAX_PRICE_FEN = 10**13
IDEMPOTENCY_RE = re.compile(r"^[A-Za-z0-9._:-]{8,80}$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclass
class Submission:
    bid: Bid
    receipt: BidReceipt
    created: bool                       # False: the same request id again (nothing new written)
    notes: list = field(default_factory=list)   # (template, params) told to the bidder


# ------------------------------------------------------------------ publication: the opening key

def create_opening_key(tender) -> OpeningKey:
    """Listener of `tendering.services.on_published`: make the tender's opening key pair, publish
    the public key, split the private key k of n among the tender's key holders (each share
    sealed to its holder), wipe it. Fewer than two enrolled holders: publication is refused."""
    if db.session.get(OpeningKey, tender.id) is not None:
        return db.session.get(OpeningKey, tender.id)
    holders = keyholders.holders_for(tender)
    if len(holders) < 2:
        raise Conflict(N_("Sealed bids need at least two enrolled opening key holders (officers of the "
                          "procurement centre or the city's finance office); %(n)s enrolled. Enrol key "
                          "holders, then publish."), n=len(holders))
    n = len(holders)
    k = max(2, min(int(current_app.config.get("SEALING_THRESHOLD", 2)), n))
    pair = sealing.make_opening_key()
    try:
        shares = sealing.split_secret(pair.private_key, k, n)
    finally:
        sealing.wipe(pair.private_key)
    key = OpeningKey(tender_id=tender.id, public_key=pair.public_key, k=k, n=n, created_at=utcnow())
    db.session.add(key)
    db.session.flush()
    for holder, (x, share) in zip(holders, shares):
        db.session.add(KeyShare(tender_id=tender.id, holder_user_id=holder.user_id, x=x,
                                sealed_share=sealing.seal_share(x, share, holder.public_key)))
    del shares
    audit.record("bids.opening_key_created", object_type="tenders", object_id=tender.id,
                 after={"public_key": pair.public_key, "k": k, "n": n,
                        "holders": [h.user_id for h in holders]})
    return key


def opening_key(tender_id: int) -> OpeningKey | None:
    return db.session.get(OpeningKey, int(tender_id))


def holder_share(tender_id: int, user, passphrase: str) -> tuple[int, bytes]:
    """The holder's own share of the tender's key, unsealed with the passphrase (opening, next
    issue). A wrong passphrase: a clear 400, nothing changed."""
    holder = db.session.get(KeyHolder, getattr(user, "id", None))
    share = db.session.execute(select(KeyShare).where(KeyShare.tender_id == int(tender_id),
                                                      KeyShare.holder_user_id == getattr(user, "id", None))
                               ).unique().scalar_one_or_none()
    if holder is None or share is None:
        raise PermissionDenied(N_("You hold no share of this tender's opening key."))
    try:
        private = sealing.unwrap_holder_key(holder, passphrase if isinstance(passphrase, str) else "")
    except sealing.SealingError:
        raise ValidationError(N_("Wrong passphrase: your share was not unlocked and nothing changed."),
                              {"passphrase": N_("Wrong passphrase.")}) from None
    return sealing.open_share(share.sealed_share, private)


# ------------------------------------------------------------------ input

def clean_idempotency_key(value) -> str:
    if not isinstance(value, str) or not IDEMPOTENCY_RE.match(value.strip()):
        raise ValidationError(N_("Please correct the marked fields."), {"idempotency_key": N_(
            "Send a client request id (Idempotency-Key) of 8 to 80 letters, digits or . _ : -, new for each "
            "submission.")})
    return value.strip()


def _decode_b64(value, field_name: str, errors: Errors, limit: int) -> bytes | None:
    if not isinstance(value, str) or not value:
        errors.add(field_name, N_("Must be base64 text."))
        return None
    if len(value) > limit * 4 // 3 + 8:
        errors.add(field_name, N_("Too large: at most %(n)s bytes."), n=limit)
        return None
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        errors.add(field_name, N_("Must be base64 text."))
        return None


def clean_documents(raw, errors: Errors) -> list[dict]:
    """Technical documents as ``[{"name", "content" (base64)}]`` or ``[(name, bytes)]`` (forms):
    at most `MAX_DOCUMENTS`, each at most `MAX_DOCUMENT_BYTES`. Sealed into the envelope with
    their SHA-256; never stored in clear."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        errors.add("documents", N_("Must be a list."))
        return []
    if len(raw) > MAX_DOCUMENTS:
        errors.add("documents", N_("At most %(n)s documents."), n=MAX_DOCUMENTS)
        return []
    out = []
    for item in raw:
        if isinstance(item, tuple):
            name, content = item
        elif isinstance(item, dict):
            name = item.get("name")
            content = _decode_b64(item.get("content"), "documents", errors, MAX_DOCUMENT_BYTES)
            if content is None:
                return []
        else:
            errors.add("documents", N_("Each document needs a name and a content."))
            return []
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            errors.add("documents", N_("Each document needs a name of at most 200 characters."))
            return []
        if len(content) > MAX_DOCUMENT_BYTES:
            errors.add("documents", N_("Too large: at most %(n)s bytes."), n=MAX_DOCUMENT_BYTES)
            return []
        out.append({"name": name.strip(), "sha256": sealing.sha256_hex(content),
                    "content": base64.b64encode(content).decode("ascii")})
    return out


def expected_total(unit_price_fen: int, quantity_milli: int) -> int:
    """Unit price x the lot's quantity, rounded half up to the fen."""
    return (unit_price_fen * quantity_milli + 500) // 1000


def _check_product(actor, tender, lot, product_id: int, errors: Errors) -> None:
    """The product is the bidder's own, listed, of the lot's category, passing in the tender's
    city and meeting the lot's requirements."""
    from procurement.tendering.lots import rule_from_dict

    facts = catalog.product_facts(product_id)
    if facts is None or facts["supplier_id"] != actor.organisation_id:
        errors.add("product_id", N_("No such product in your firm's catalogue."))
        return
    if facts["status"] != "listed":
        errors.add("product_id", N_("This product is not listed (status “%(status)s”): only listed products can be "
                                    "offered."), status=facts["status"])
        return
    if facts["category_id"] != lot.category_id:
        category = catalog.find_category(lot.category_id)
        errors.add("product_id", N_("This product is not of the lot's category (%(category)s)."),
                   category=category.name if category else lot.category_id)
        return
    passing = catalog.verdicts(product_id).get(tender.city_id) == catalog.PASS
    rules = [rule_from_dict(r) for r in (lot.requirements or [])]
    if not passing or (rules and not catalog.meets(rules, facts["offer"])):
        errors.add("product_id", N_("This product does not meet the lot's requirements (its verdict for the city "
                                    "or its declared values)."))


def _contents(actor, tender, lot, data: dict, errors: Errors, notes: list) -> dict | None:
    product_id = integer(data, "product_id", errors, minimum=1, maximum=2**31 - 1)
    unit_price = integer(data, "unit_price_fen", errors, minimum=1, maximum=MAX_PRICE_FEN)
    total = integer(data, "total_fen", errors, minimum=1, maximum=MAX_PRICE_FEN, required=False)
    documents = clean_documents(data.get("documents"), errors)
    if errors:
        return None
    _check_product(actor, tender, lot, product_id, errors)
    want = expected_total(unit_price, lot.quantity_milli)
    if total is None:
        total = want
    elif total != want:
        errors.add("total_fen", N_("The total must be the unit price times the lot's quantity: %(total)s fen."),
                   total=want)
    if errors:
        return None
    if total > lot.ceiling_fen:
        notes.append((N_("Your total is above the lot's ceiling price. The bid is accepted sealed and will be "
                         "screened at opening, where a bid above the ceiling is rejected."), {}))
    return {"tender": tender.reference, "lot": lot.id, "supplier_org": actor.organisation_id,
            "product_id": product_id, "unit_price_fen": unit_price, "total_fen": total, "documents": documents}


def _client_envelope(data: dict, errors: Errors, notes: list) -> bytes | None:
    envelope = _decode_b64(data.get("envelope"), "envelope", errors, MAX_ENVELOPE_BYTES)
    if envelope is None:
        return None
    if len(envelope) > MAX_ENVELOPE_BYTES:
        errors.add("envelope", N_("Too large: at most %(n)s bytes."), n=MAX_ENVELOPE_BYTES)
        return None
    if not sealing.looks_sealed(envelope):
        errors.add("envelope", N_("This is not a sealed box: seal the bid's JSON to the tender's opening public key "
                                  "(X25519 sealed box)."))
        return None
    notes.append((N_("You sealed this bid yourself: the platform cannot read it, so the product's compliance, the "
                     "total and the ceiling price are checked at opening."), {}))
    return envelope


# ------------------------------------------------------------------ reading

def _shared_lock(tender_id: int) -> Tender:
    """The tender row with a shared lock: bids go in side by side, an amendment or the close
    (which lock it for update) waits for them and they for it."""
    tender = db.session.execute(select(Tender).where(Tender.id == int(tender_id)).with_for_update(read=True, of=Tender)
                                .execution_options(populate_existing=True)).unique().scalar_one_or_none()
    if tender is None or not tender_policy.is_public(tender):
        raise NotFound(N_("No such tender."))
    return tender


def _own_bid(actor, bid_id, *, lock: bool = False) -> Bid:
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
    return _own_bid(actor, bid_id)


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
    if not tender_policy.is_open_for_bids(tender, now):
        raise Conflict(N_("Bids are no longer accepted: the deadline was %(deadline)s (server time %(now)s; no "
                          "grace period)."), deadline=_deadline_text(tender), now=commitments.iso_ms(now))


def _receipt(bid: Bid, kind: str, at: dt.datetime, tender, extra: dict | None = None) -> BidReceipt:
    statement = {"action": kind, "bid": bid.id, "tender": tender.reference, "lot": bid.lot_id,
                 "sequence": bid.sequence, "sha256": bid.envelope_sha256, "received_at": commitments.iso_ms(at)}
    statement.update(extra or {})
    text, signature = commitments.sign(statement)
    receipt = BidReceipt(bid_id=bid.id, kind=kind, statement=text, signature=signature, created_at=at)
    db.session.add(receipt)
    db.session.flush()
    return receipt


# ------------------------------------------------------------------ submission

def submit(actor, tender_id, lot_id, data: dict, *, idempotency_key, replaces=None,
           now: dt.datetime | None = None) -> Submission:
    """Submit (or replace) a supplier firm's bid on a lot; see the module docstring."""
    now = commitments.truncate_ms(now or utcnow())
    key = clean_idempotency_key(idempotency_key)
    if not isinstance(data, dict):
        raise ValidationError(N_("The body must be a JSON object."))
    try:
        return _submit(actor, tender_id, lot_id, data, key, replaces, now)
    except IntegrityError:
        db.session.rollback()
        raise Conflict(N_("Another submission for this lot, or with this request id, arrived at the same moment. "
                          "Reload your bids and try again.")) from None


def _submit(actor, tender_id, lot_id, data, key, replaces, now) -> Submission:
    with unit_of_work():
        tender = _shared_lock(tender_id)
        if not tender_policy.is_verified_supplier(actor):
            raise PermissionDenied(N_("Only people of a verified supplier firm can bid."))
        same = db.session.execute(select(Bid).where(Bid.supplier_org_id == actor.organisation_id,
                                                    Bid.idempotency_key == key)).unique().scalar_one_or_none()
        if same is not None:
            if same.tender_id != tender.id or str(same.lot_id) != str(lot_id):
                raise Conflict(N_("This request id was already used for another bid; send a new one for each "
                                  "submission."))
            first = db.session.execute(select(BidReceipt).where(BidReceipt.bid_id == same.id)
                                       .order_by(BidReceipt.id).limit(1)).scalar_one()
            return Submission(same, first, created=False,
                              notes=[(N_("This request was already received: here is its receipt; nothing new was "
                                         "submitted."), {})])
        _refuse_closed(tender, now)
        lot = next((x for x in tender.lots if str(x.id) == str(lot_id)), None)
        if lot is None:
            raise NotFound(N_("No such lot in this tender."))
        if lot.status != LOT_ACTIVE:
            raise Conflict(N_("This lot is no longer open for bids (status “%(status)s”)."), status=lot.status)
        key_row = opening_key(tender.id)
        if key_row is None:
            raise Conflict(N_("This tender has no opening key, so bids cannot be sealed; tell the procurement centre."))

        errors, notes = Errors(), []
        client_sealed = "envelope" in data
        if client_sealed:
            envelope = _client_envelope(data, errors, notes)
            errors.raise_if_any()
        else:
            contents = _contents(actor, tender, lot, data, errors, notes)
            errors.raise_if_any()
            envelope = sealing.seal(contents, key_row.public_key)
            del contents

        live = db.session.execute(select(Bid).where(Bid.lot_id == lot.id, Bid.supplier_org_id == actor.organisation_id,
                                                    Bid.status.in_(LIVE_STATES)).with_for_update(of=Bid)
                                  ).unique().scalar_one_or_none()
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
        sequence = 1
        if live is not None:
            BID.apply(Bid, live.id, "replace", updated_at=now)
            sequence = live.sequence + 1
        else:
            last = db.session.execute(select(func.max(Bid.sequence)).where(
                Bid.lot_id == lot.id, Bid.supplier_org_id == actor.organisation_id)).scalar()
            sequence = (last or 0) + 1
        bid = Bid(tender_id=tender.id, lot_id=lot.id, supplier_org_id=actor.organisation_id, submitted_by_id=actor.id,
                  sequence=sequence, status=SUBMITTED, sealed_envelope=envelope,
                  envelope_sha256=sealing.sha256_hex(envelope), client_sealed=client_sealed, idempotency_key=key,
                  received_at=now, replaces_id=live.id if live else None, updated_at=now)
        db.session.add(bid)
        db.session.flush()
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
        bid = _own_bid(actor, bid_id)
        tender = _shared_lock(bid.tender_id)
        if not tender_policy.is_verified_supplier(actor):
            raise PermissionDenied(N_("Only people of a verified supplier firm can bid."))
        _refuse_closed(tender, now)
        BID.apply(Bid, bid.id, action, updated_at=now)
        receipt = _receipt(bid, receipt_action, now, tender)
    return receipt


# ------------------------------------------------------------------ amendments and the deadline

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
    bid = _own_bid(actor, bid_id)
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
