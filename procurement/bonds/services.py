"""Bid bond use cases: card payments (Stripe PaymentIntents, captured at once), bank guarantees
verified by the centre, refunds on the rules' schedule, forfeiture, and the checks the bids
need (`bond_required`, `bond_held`, `fingerprint_flags`).

Bond events go to the audit chain (`bonds.*`), not to the projects' record chains: a bond names
a bidder, and the projects' records are read by purchasers before the bids are opened. The
award and contract steps that schedule refunds are recorded on the projects by their own
capabilities.

Calls to the payment provider happen inside the use case's transaction, after the bond row is
locked and its state checked, so a refund is requested once per held bond; a provider error
rolls everything back. Automatic returns (tender cancelled, bid withdrawn: `refunds`) call the
provider from a chronograph job instead, never inside the step that asked for them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update

from core import audit, scheduler
from core.documents import store_document
from core.errors import Conflict, NotFound, PaymentRefused, PermissionDenied, Unavailable, ValidationError
from core.extensions import db
from core.i18n import N_, Term
from core.money import format_fen
from core.notifications import notify, notify_organisation, recipients_in
from core.services import unit_of_work
from core.statemachine import IllegalMove
from core.timeutil import CHINA, utcnow
from core.validation import plain_text
from core.workdays import add_working_days, load_calendar
from procurement.bonds import policy
from procurement.bonds.models import Bond
from procurement.bonds.states import (BANK_GUARANTEE, BOND, CARD, FORFEIT_REASONS, HELD, LIVE_STATES, PENDING,
                                      REFUND_OVERDUE, SECURED_STATES, TEST_METHODS)
from procurement.payments import gateway
from procurement.tendering.checks import bond_cap_fen, find_profile
from procurement.tendering.models import Lot, Tender

OBJECT_TYPE = Bond.__tablename__
REASON_MAX = 1000


def bond_link(bond_id: int) -> str:
    return f"/bonds/{int(bond_id)}"


# ------------------------------------------------------------------ reading

def lock_bond(bond_id) -> Bond:
    """The bond row locked for this transaction, fresh (NotFound if none)."""
    try:
        bid = int(bond_id)
    except (TypeError, ValueError):
        raise NotFound(N_("No such bid bond.")) from None
    if db.engine.dialect.name == "sqlite":
        db.session.execute(update(Bond).where(Bond.id == bid).values(status=Bond.status)
                           .execution_options(synchronize_session=False))
    bond = db.session.execute(select(Bond).where(Bond.id == bid).with_for_update(of=Bond)
                              .execution_options(populate_existing=True)).scalar_one_or_none()
    if bond is None:
        raise NotFound(N_("No such bid bond."))
    return bond


def visible_bond(actor, bond_id, *, lock: bool = False, now=None) -> Bond:
    """The bond if `actor` may see it (its firm; the centre after the deadline), else NotFound."""
    if lock:
        bond = lock_bond(bond_id)
    else:
        bond = db.session.get(Bond, int(bond_id)) if str(bond_id).isdigit() else None
        if bond is None:
            raise NotFound(N_("No such bid bond."))
    if not policy.can_view_bond(actor, bond, now):
        raise NotFound(N_("No such bid bond."))
    return bond


def lot_for_supplier(lot_id) -> tuple[Tender, Lot]:
    """A lot of a published tender (NotFound otherwise: drafts are not shown to suppliers)."""
    from procurement.tendering.policy import is_public

    lot = db.session.get(Lot, int(lot_id)) if str(lot_id).isdigit() else None
    if lot is None or not is_public(lot.tender):
        raise NotFound(N_("No such lot."))
    return lot.tender, lot


def current_bond(lot_id: int, org_id: int) -> Bond | None:
    """The firm's live (pending or held) bond for the lot, else its latest one, or None."""
    rows = db.session.execute(select(Bond).where(Bond.lot_id == lot_id, Bond.supplier_org_id == org_id)
                              .order_by(Bond.id.desc())).scalars().all()
    live = [b for b in rows if b.status in LIVE_STATES]
    return live[0] if live else (rows[0] if rows else None)


def bonds_for_tender(actor, tender_id: int, now=None) -> list[Bond]:
    """Every bond of the tender, for its centre after the deadline (PermissionDenied before)."""
    tender = db.session.get(Tender, int(tender_id))
    if tender is None or not policy.can_manage_tender(actor, tender):
        raise NotFound(N_("No such tender."))
    if not policy.can_see_bonds(actor, tender, now):
        raise PermissionDenied(N_("Bid bonds are shown to the centre only after the bid deadline: before it, "
                                  "they would tell who is bidding."))
    return db.session.execute(select(Bond).where(Bond.tender_id == tender.id)
                              .order_by(Bond.lot_id, Bond.id)).scalars().all()


# ------------------------------------------------------------------ amounts

def bond_required(lot) -> bool:
    return (lot.bond_fen or 0) > 0


def required_amount(tender, lot, now=None) -> int:
    """The lot's bond from the tender, refused above the cap of the profile in force (the
    tender's stored profile, else the one in force now)."""
    amount = lot.bond_fen or 0
    if amount <= 0:
        raise Conflict(N_("Lot %(lot)s asks for no bid bond."), lot=str(lot.number))
    profile = tender.profile or find_profile(tender, now or utcnow())
    if profile is None:
        raise Conflict(N_("No procedure rules are in force for this tender, so its bid bond cannot be checked."))
    cap = bond_cap_fen(profile, lot.ceiling_fen)
    if amount > cap:
        raise Conflict(N_("Lot %(lot)s: the bid bond %(bond)s is above the cap of %(cap)s; the centre must "
                          "correct it before bonds can be posted."),
                       lot=str(lot.number), bond=format_fen(amount), cap=format_fen(cap))
    return amount


# ------------------------------------------------------------------ posting a bond

def _check_can_post(actor, tender, lot, now):
    if not policy.is_verified_supplier(actor):
        raise PermissionDenied(N_("Only people of a verified supplier firm post bid bonds."))
    if not policy.can_post_bond(actor, tender, lot, now):
        raise Conflict(N_("Bid bonds are accepted only while the tender is open for bids."))


def _live_bond_conflict(existing: Bond):
    if existing.refund_requested_at is not None:
        return Conflict(N_("Your firm's bid bond for this lot is being returned; post a new one once it has been "
                           "returned."))
    if existing.status == HELD:
        return Conflict(N_("Your firm's bid bond for this lot is already held."))
    if existing.method == BANK_GUARANTEE:
        return Conflict(N_("Your firm's bank guarantee for this lot is waiting for verification."))
    return Conflict(N_("A card payment for this lot is already under way."))


def start_card_payment(actor, lot_id, *, now=None) -> tuple[Bond, str | None]:
    """Create (or resume) the firm's card payment for the lot's bond: a PaymentIntent for the
    amount, with the bond's id in its metadata. Returns (bond, client_secret)."""
    now = now or utcnow()
    tender, lot = lot_for_supplier(lot_id)
    _check_can_post(actor, tender, lot, now)
    amount = required_amount(tender, lot, now)
    org_id = actor.organisation_id
    existing = current_bond(lot.id, org_id)
    if existing is not None and existing.status in LIVE_STATES:
        if existing.status == PENDING and existing.method == CARD and existing.payment_intent_id:
            intent = _retrieve(existing.payment_intent_id)
            return existing, intent.get("client_secret")
        raise _live_bond_conflict(existing)
    with unit_of_work(N_("Your firm already has a bid bond under way for this lot.")):
        bond = Bond(tender_id=tender.id, lot_id=lot.id, supplier_org_id=org_id, amount_fen=amount, method=CARD,
                    status=PENDING, created_by_id=actor.id, created_at=now)
        db.session.add(bond)
        db.session.flush()
        intent = _provider(gateway.create_payment_intent, amount,
                           metadata={"bond_id": bond.id, "lot_id": lot.id, "tender_id": tender.id},
                           idempotency_key=f"bond-{bond.id}-intent")
        bond.payment_intent_id = intent["id"]
        audit.record("bonds.payment_started", bond, after=bond.snapshot(), actor=actor)
    return bond, intent.get("client_secret")


def _provider(func, *args, **kwargs):
    try:
        return func(*args, **kwargs)
    except gateway.PaymentsUnavailable:
        raise Unavailable(N_("The payment service cannot be reached; nothing was charged. Try again "
                             "in a few minutes.")) from None
    except gateway.PaymentError:
        raise PaymentRefused(N_("The payment service refused the request.")) from None


def _retrieve(payment_intent_id: str):
    return _provider(gateway.retrieve_payment_intent, payment_intent_id)


def pay_with_test_method(actor, bond_id, payment_method: str = "pm_card_visa", *, now=None) -> Bond:
    """Confirm the payment server-side with a Stripe test payment method (test mode only: the
    embedded localstripe and sk_test_ keys). Production confirms in Stripe's Payment Element."""
    if not gateway.is_test_mode():
        raise Conflict(N_("Test payments are possible only with a test payment service."))
    if payment_method not in TEST_METHODS:
        raise ValidationError(N_("The payment was not accepted."), {"payment_method": N_("Choose a test card.")})
    bond = visible_bond(actor, bond_id, now=now)
    if not policy.owns_bond(actor, bond) or bond.method != CARD or not bond.payment_intent_id:
        raise NotFound(N_("No such bid bond."))
    if bond.status != PENDING:
        raise IllegalMove(N_("This action is not possible while the status is “%(status)s”."), status=Term(bond.status))
    if not policy.can_post_bond(actor, bond.tender, bond.lot, now):
        raise Conflict(N_("Bid bonds are accepted only while the tender is open for bids."))
    _provider(gateway.confirm_payment_intent, bond.payment_intent_id, payment_method)
    return refresh_payment(actor, bond.id, now=now)


def refresh_payment(actor, bond_id, *, now=None) -> Bond:
    """Ask the provider how the bond's PaymentIntent stands and apply it (the same effect as its
    webhook; whichever comes first wins, the other changes nothing)."""
    bond = visible_bond(actor, bond_id, now=now)
    if bond.method != CARD or bond.status != PENDING or not bond.payment_intent_id:
        return bond
    intent = _retrieve(bond.payment_intent_id)
    with unit_of_work():
        apply_intent(intent, at=now or utcnow(), actor=actor)
    db.session.refresh(bond)
    return bond


def apply_intent(intent, *, at: dt.datetime, actor=None, event_type: str | None = None) -> str:
    """Apply a PaymentIntent's state to its bond (no commit). Returns what happened: "held",
    "failed", "cancelled", "unchanged", "unknown" (no such bond), "mismatch" (amount differs)."""
    status = event_type or intent.get("status")
    bond = db.session.execute(select(Bond).where(Bond.payment_intent_id == intent.get("id"))).scalar_one_or_none()
    if bond is None:
        return "unknown"
    if status in ("succeeded", "payment_intent.succeeded"):
        return _secure_card(bond, intent, at=at, actor=actor)
    if status in ("payment_intent.payment_failed",) or (status == "requires_payment_method"
                                                         and intent.get("last_payment_error")):
        return "failed" if _move(bond, "fail", actor=actor, reason="payment_failed") else "unchanged"
    if status in ("canceled", "payment_intent.canceled"):
        return "cancelled" if _move(bond, "cancel", actor=actor) else "unchanged"
    return "unchanged"


def _move(bond, action, *, actor=None, audit_action=None, **values) -> bool:
    """Apply `action` if the bond is still in a source state; False (nothing written) if not."""
    before = bond.snapshot()
    try:
        BOND.apply(Bond, bond.id, action, **values)
    except IllegalMove:
        return False
    db.session.refresh(bond)
    audit.record(audit_action or f"bonds.{action}", bond, before=before, after=bond.snapshot(), actor=actor)
    return True


def _secure_card(bond, intent, *, at, actor=None) -> str:
    if bond.status != PENDING:
        return "unchanged"
    if int(intent.get("amount") or 0) != bond.amount_fen or str(intent.get("currency", "")).lower() != "cny":
        audit.record("bonds.amount_mismatch", bond, before=bond.snapshot(),
                     after={"amount": intent.get("amount"), "currency": intent.get("currency")}, actor=actor)
        return "mismatch"
    fingerprint = _provider(gateway.card_fingerprint, intent)
    if not _move(bond, "hold", actor=actor, held_at=at, card_fingerprint=fingerprint):
        return "unchanged"
    _after_held(bond, actor)
    return "held"


def _after_held(bond, actor):
    from procurement.bonds import refunds

    if fingerprint_shared(bond):
        audit.record("bonds.shared_card", bond, after={"lot_id": bond.lot_id, "fingerprint": bond.card_fingerprint},
                     actor=actor)
    tender = bond.tender
    ended = refunds.ended_cause(tender, bond.lot)
    if ended is not None:
        # Paid or verified after the tender (or lot) ended: returned at once, automatically.
        refunds.request_refunds([bond], ended, actor=actor)
    elif tender.bid_deadline_at is not None and bond.held_at >= tender.bid_deadline_at:
        # Secured too late to count: refunded on the rules' schedule from today.
        schedule_refund(bond, add_working_days(bond.held_at.astimezone(CHINA).date(), _refund_days(tender)))
    notify_organisation(bond.supplier_org_id, "bonds.held",
                        N_("Your bid bond of %(amount)s for lot %(lot)s of tender %(reference)s is held."),
                        {"amount": format_fen(bond.amount_fen), "lot": str(bond.lot.number),
                         "reference": tender.reference}, link=bond_link(bond.id))


def upload_guarantee(actor, lot_id, stream, filename: str, *, now=None) -> Bond:
    """An electronic bank guarantee for the lot's bond (PDF, JPEG or PNG), waiting for the
    centre's verification after the deadline. It counts as held from its upload once verified."""
    now = now or utcnow()
    tender, lot = lot_for_supplier(lot_id)
    _check_can_post(actor, tender, lot, now)
    amount = required_amount(tender, lot, now)
    existing = current_bond(lot.id, actor.organisation_id)
    if existing is not None and existing.status in LIVE_STATES:
        raise _live_bond_conflict(existing)
    with unit_of_work(N_("Your firm already has a bid bond under way for this lot.")):
        document = store_document(stream, filename, actor, field="file")
        db.session.flush()
        bond = Bond(tender_id=tender.id, lot_id=lot.id, supplier_org_id=actor.organisation_id, amount_fen=amount,
                    method=BANK_GUARANTEE, status=PENDING, guarantee_document_id=document.id,
                    created_by_id=actor.id, created_at=now)
        db.session.add(bond)
        db.session.flush()
        audit.record("bonds.guarantee_uploaded", bond, after=bond.snapshot(), actor=actor)
    return bond


def _settled_bond(actor, bond_id, now):
    bond = lock_bond(bond_id)
    if not policy.can_settle_bonds(actor, bond.tender, now):
        if policy.can_view_bond(actor, bond, now):
            raise PermissionDenied(N_("Only the tender's centre does this, after the bid deadline."))
        raise NotFound(N_("No such bid bond."))
    return bond


def verify_guarantee(actor, bond_id, *, now=None) -> Bond:
    """The centre accepts a bank guarantee (after the deadline, before opening)."""
    now = now or utcnow()
    with unit_of_work():
        bond = _settled_bond(actor, bond_id, now)
        if bond.method != BANK_GUARANTEE:
            raise Conflict(N_("Only bank guarantees are verified; card payments are confirmed by the payment service."))
        BOND.check(bond.status, "hold")
        _move(bond, "hold", actor=actor, audit_action="bonds.guarantee_verified", held_at=bond.created_at,
              verified_by_id=actor.id, verified_at=now)
        _after_held(bond, actor)
    return bond


def reject_guarantee(actor, bond_id, reason, *, now=None) -> Bond:
    """The centre rejects a bank guarantee, with the reason the firm reads."""
    now = now or utcnow()
    text = _clean_reason(reason)
    with unit_of_work():
        bond = _settled_bond(actor, bond_id, now)
        if bond.method != BANK_GUARANTEE:
            raise Conflict(N_("Only bank guarantees are verified; card payments are confirmed by the payment service."))
        BOND.check(bond.status, "fail")
        _move(bond, "fail", actor=actor, audit_action="bonds.guarantee_rejected", reject_reason=text,
              verified_by_id=actor.id, verified_at=now)
        notify_organisation(bond.supplier_org_id, "bonds.rejected",
                            N_("Your bank guarantee for lot %(lot)s of tender %(reference)s was rejected: %(reason)s"),
                            {"lot": str(bond.lot.number), "reference": bond.tender.reference, "reason": text},
                            link=bond_link(bond.id))
    return bond


def _clean_reason(reason, *, required=True) -> str:
    return plain_text(reason, "reason", minimum=5 if required else 0, maximum=REASON_MAX)


# ------------------------------------------------------------------ refunds and forfeiture

def _refund_days(tender) -> int:
    profile = tender.profile or find_profile(tender, utcnow())
    return profile.bond_refund_working_days if profile is not None else 5


def _overdue_at(due_on: dt.date) -> dt.datetime:
    """The first moment after the due day (China time), in UTC."""
    start = dt.datetime.combine(due_on + dt.timedelta(days=1), dt.time(0, 0), tzinfo=CHINA)
    return start.astimezone(dt.timezone.utc)


def schedule_refund(bond, due_on: dt.date) -> None:
    """Set the bond's refund due date and arm the overdue flag for the day after (no commit)."""
    db.session.execute(update(Bond).where(Bond.id == bond.id)
                       .values(refund_due_on=due_on, refund_overdue_at=None)
                       .execution_options(synchronize_session="fetch"))
    scheduler.schedule(REFUND_OVERDUE, OBJECT_TYPE, bond.id, _overdue_at(due_on))


def _held_on_lot(lot_id) -> list[Bond]:
    return db.session.execute(select(Bond).where(Bond.lot_id == lot_id, Bond.status == HELD)
                              .order_by(Bond.id)).scalars().all()


def schedule_award_refunds(lot_id: int, winner_org_id: int | None, notice_on: dt.date, *, actor=None) -> list[Bond]:
    """The losers' bonds on the lot are due back within the profile's working days of the award
    notice (`notice_on`, a China date). Call inside the award's use case (no commit)."""
    calendar = load_calendar()
    out = []
    for bond in _held_on_lot(lot_id):
        if bond.supplier_org_id == winner_org_id:
            continue
        due = add_working_days(notice_on, _refund_days(bond.tender), calendar=calendar)
        schedule_refund(bond, due)
        audit.record("bonds.refund_scheduled", bond, after={"refund_due_on": due.isoformat(), "rule": "award_notice"},
                     actor=actor)
        out.append(bond)
    return out


def schedule_winner_refund(lot_id: int, winner_org_id: int, signed_on: dt.date, *, actor=None) -> Bond | None:
    """The winner's bond is due back within the profile's working days of contract signing
    (no commit)."""
    bond = db.session.execute(select(Bond).where(Bond.lot_id == lot_id, Bond.supplier_org_id == winner_org_id,
                                                 Bond.status == HELD)).scalar_one_or_none()
    if bond is None:
        return None
    due = add_working_days(signed_on, _refund_days(bond.tender))
    schedule_refund(bond, due)
    audit.record("bonds.refund_scheduled", bond, after={"refund_due_on": due.isoformat(), "rule": "contract_signed"},
                 actor=actor)
    return bond


def flag_overdue_refund(bond_id: int, due_at) -> None:
    """Chronograph handler (`bonds.refund_overdue`): a bond still held after its refund due date
    is flagged to the centre and the firm, once. Idempotent; no commit."""
    bond = db.session.get(Bond, int(bond_id))
    if (bond is None or bond.status != HELD or bond.refund_overdue_at is not None or bond.refund_due_on is None
            or utcnow() < _overdue_at(bond.refund_due_on)):
        return  # refunded, forfeited, already flagged, or the due date moved later
    result = db.session.execute(
        update(Bond).where(Bond.id == bond.id, Bond.status == HELD, Bond.refund_overdue_at.is_(None))
        .values(refund_overdue_at=utcnow()).execution_options(synchronize_session="fetch"))
    if result.rowcount != 1:
        return
    audit.record("bonds.refund_overdue", bond, after=bond.snapshot(), actor=None)
    params = {"amount": format_fen(bond.amount_fen), "lot": str(bond.lot.number),
              "reference": bond.tender.reference, "due": bond.refund_due_on.isoformat()}
    officers = [u for u in recipients_in(bond.tender.centre_org_id)
                if policy.can_manage_tender(u, bond.tender)]
    notify(officers, "bonds.refund_overdue",
           N_("The bid bond of %(amount)s for lot %(lot)s of tender %(reference)s was due back by %(due)s and "
              "has not been refunded."), params, link=f"/tenders/{bond.tender_id}/bonds")
    notify_organisation(bond.supplier_org_id, "bonds.refund_overdue",
                        N_("Your bid bond of %(amount)s for lot %(lot)s of tender %(reference)s was due back by "
                           "%(due)s; the centre has been reminded."), params, link=bond_link(bond.id))


def refund(actor, bond_id, *, now=None) -> Bond:
    """Return a held bond: a card payment is refunded through the provider, a bank guarantee is
    released. `actor` None is the system (a scheduled job)."""
    now = now or utcnow()
    with unit_of_work():
        bond = lock_bond(bond_id) if actor is None else _settled_bond(actor, bond_id, now)
        BOND.check(bond.status, "refund")
        refund_held(bond, actor=actor, now=now)
    return bond


def refund_held(bond, *, actor=None, now=None) -> None:
    """Return a held bond whose row the caller has locked (no commit): the whole card payment
    refunded through the provider (one idempotency key per bond, so a repeat after a failure
    refunds once), a guarantee released; the overdue flag disarmed; the firm told."""
    now = now or utcnow()
    refund_id = None
    if bond.method == CARD:
        try:
            result = _provider(gateway.refund_payment_intent, bond.payment_intent_id,
                               metadata={"bond_id": bond.id}, idempotency_key=f"bond-{bond.id}-refund")
            refund_id = result["id"]
        except PaymentRefused:
            if not _already_refunded(bond):
                raise
            # Refunded by an earlier attempt whose transaction did not commit (and whose
            # idempotency key has since expired): record it instead of failing for ever.
    _move(bond, "refund", actor=actor, refunded_at=now, refund_id=refund_id)
    scheduler.cancel(REFUND_OVERDUE, OBJECT_TYPE, bond.id)
    notify_organisation(bond.supplier_org_id, "bonds.refunded",
                        N_("Your bid bond of %(amount)s for lot %(lot)s of tender %(reference)s was returned."),
                        {"amount": format_fen(bond.amount_fen), "lot": str(bond.lot.number),
                         "reference": bond.tender.reference}, link=bond_link(bond.id))


def _already_refunded(bond) -> bool:
    intent = _retrieve(bond.payment_intent_id)
    charge = intent.get("latest_charge")
    if isinstance(charge, str):
        charge = _provider(gateway.retrieve_charge, charge)
    return bool(isinstance(charge, dict) and charge.get("refunded"))


def forfeit(actor, bond_id, reason_type, note="", *, now=None) -> Bond:
    """Keep a held bond: the winner withdrew or refused to sign the contract."""
    now = now or utcnow()
    if reason_type not in FORFEIT_REASONS:
        raise ValidationError(N_("The forfeiture was not accepted."),
                              {"reason_type": N_("Choose why the bond is forfeited.")})
    text = _clean_reason(note, required=False)
    with unit_of_work():
        bond = _settled_bond(actor, bond_id, now)
        forfeit_held(bond, reason_type, text, actor=actor, now=now)
    return bond


def forfeit_held(bond, reason_type, note="", *, actor=None, now=None) -> None:
    """Keep a held bond whose row the caller has locked, in the caller's transaction (no commit):
    `forfeit` above, and the award's record of a winner's withdrawal or refusal to sign
    (`procurement.awards.succession`), which forfeits the bond with the same commit."""
    now = now or utcnow()
    BOND.check(bond.status, "forfeit")
    if bond.refund_requested_at is not None:
        raise Conflict(N_("This bid bond is being returned (%(cause)s) and cannot be forfeited."),
                       cause=Term(bond.refund_cause))
    _move(bond, "forfeit", actor=actor, forfeited_at=now, forfeit_reason=reason_type, reason=note)
    scheduler.cancel(REFUND_OVERDUE, OBJECT_TYPE, bond.id)
    notify_organisation(bond.supplier_org_id, "bonds.forfeited",
                        N_("Your bid bond of %(amount)s for lot %(lot)s of tender %(reference)s is forfeited: "
                           "%(reason)s."),
                        {"amount": format_fen(bond.amount_fen), "lot": str(bond.lot.number),
                         "reference": bond.tender.reference, "reason": Term(reason_type)},
                        link=bond_link(bond.id))


# ------------------------------------------------------------------ for the bids

def bond_held(lot_id: int, supplier_org_id: int, at: dt.datetime) -> bool:
    """Was the firm's bond for the lot secured at `at` (the bid deadline)? A card payment counts
    from the provider's success time, a verified guarantee from its upload; a bond returned (or
    whose return the firm asked for) before `at` no longer counts."""
    return db.session.execute(
        select(func.count(Bond.id)).where(Bond.lot_id == lot_id, Bond.supplier_org_id == supplier_org_id,
                                          Bond.status.in_(SECURED_STATES), Bond.held_at <= at,
                                          (Bond.refunded_at.is_(None)) | (Bond.refunded_at > at),
                                          (Bond.refund_requested_at.is_(None)) | (Bond.refund_requested_at > at))
    ).scalar() > 0


def bond_satisfied(lot, supplier_org_id: int, at: dt.datetime) -> bool:
    """No bond is asked for the lot, or the firm's was held by `at`."""
    return not bond_required(lot) or bond_held(lot.id, supplier_org_id, at)


def fingerprint_shared(bond) -> bool:
    if not bond.card_fingerprint:
        return False
    return db.session.execute(
        select(func.count(Bond.id)).where(Bond.lot_id == bond.lot_id, Bond.card_fingerprint == bond.card_fingerprint,
                                          Bond.supplier_org_id != bond.supplier_org_id,
                                          Bond.status.in_(SECURED_STATES))).scalar() > 0


def fingerprint_flags(tender_id: int) -> list[dict]:
    """Lots of the tender where one card paid the bonds of two or more different firms:
    ``[{"lot_id", "fingerprint", "supplier_org_ids"}]`` (a sign of collusion)."""
    rows = db.session.execute(
        select(Bond.lot_id, Bond.card_fingerprint, Bond.supplier_org_id)
        .where(Bond.tender_id == tender_id, Bond.card_fingerprint.is_not(None), Bond.status.in_(SECURED_STATES))
        .distinct().order_by(Bond.lot_id, Bond.card_fingerprint, Bond.supplier_org_id)).all()
    groups: dict[tuple, list[int]] = {}
    for lot_id, fp, org_id in rows:
        groups.setdefault((lot_id, fp), []).append(org_id)
    return [{"lot_id": lot_id, "fingerprint": fp, "supplier_org_ids": orgs}
            for (lot_id, fp), orgs in groups.items() if len(orgs) > 1]
