"""Automatic returns of bid bonds: the bonds nothing can be awarded on any more go back by
themselves, without waiting for the centre.

| when                                             | which bonds                        | cause            |
|--------------------------------------------------|------------------------------------|------------------|
| the tender is cancelled (`on_tender_cancelled`)  | every live bond of the tender      | tender_cancelled |
| a lot fails or is cancelled (`request_lot_refunds`) | every live bond of the lot       | lot_failed / ... |
| the firm asks (`return_bond`), having no live bid | its bond for the lot              | bid_withdrawn / no_bid |
| the bid deadline (`on_tender_closed`)            | bonds of firms whose bid on the lot was withdrawn | bid_withdrawn |
| a payment succeeds after the end (`services._after_held`) | that bond                 | the end's cause  |

Two steps, so that the payment provider never blocks a cancellation:

1. **The request**, in the transaction of the step that ends things: a conditional ``UPDATE
   bonds SET refund_requested_at ... WHERE refund_requested_at IS NULL AND status IN (pending,
   held)`` (asking twice changes nothing), an audit event, for a held bond the due date (the
   profile's working days from today, flagged overdue like every refund), and a chronograph job
   `bonds.refund` due at once. No call to the provider.
2. **The job** (`settle`, run by the chronograph after the step committed): a held card bond is
   refunded through the gateway (one idempotency key per bond), a held guarantee released, a
   pending card payment cancelled at the provider (or, if it succeeded meanwhile, held and then
   refunded), a pending guarantee returned unverified. Idempotent: a bond already returned,
   forfeited or cancelled is left alone. A provider error rolls the job back and the chronograph
   retries it with growing delays (1, 2, 4 ... minutes, at most 6 hours); `/healthz` shows the
   chronograph "degraded" and the bond page says the return is being retried.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from core import audit, scheduler
from core.errors import Conflict, NotFound, PermissionDenied
from core.extensions import db
from core.i18n import N_, Term
from core.money import format_fen
from core.notifications import notify_organisation
from core.services import unit_of_work
from core.statemachine import IllegalMove
from core.timeutil import today_cn, utcnow
from core.workdays import add_working_days
from procurement.bonds import policy, services
from procurement.bonds.models import Bond
from procurement.bonds.states import (BANK_GUARANTEE, CARD, HELD, LIVE_STATES, PENDING, REFUND_CAUSES,
                                      REFUND_DUE, REFUND_OBJECT_TYPE)
from procurement.tendering.states import CANCELLED, FAILED, LOT_CANCELLED, LOT_FAILED

_ENDED = {CANCELLED: "tender_cancelled", FAILED: "tender_failed"}
_LOT_ENDED = {LOT_CANCELLED: "lot_cancelled", LOT_FAILED: "lot_failed"}


def ended_cause(tender, lot) -> str | None:
    """Why nothing can be awarded on the lot any more (a refund cause), or None."""
    return _ENDED.get(tender.status) or _LOT_ENDED.get(lot.status)


# ------------------------------------------------------------------ requests (no commit)

def request_refunds(bonds, cause: str, *, actor=None, now: dt.datetime | None = None) -> list[Bond]:
    """Ask for the automatic return of each live bond (no commit; see the module text). Returns
    the bonds newly asked for; a bond already asked for, or no longer live, is skipped."""
    if cause not in REFUND_CAUSES:
        raise ValueError(f"unknown refund cause {cause!r}")
    now = now or utcnow()
    asked = []
    for bond in bonds:
        result = db.session.execute(
            update(Bond).where(Bond.id == bond.id, Bond.status.in_(LIVE_STATES), Bond.refund_requested_at.is_(None))
            .values(refund_requested_at=now, refund_cause=cause).execution_options(synchronize_session=False))
        if result.rowcount != 1:
            continue
        db.session.refresh(bond)
        if bond.status == HELD:
            due = add_working_days(today_cn(), services._refund_days(bond.tender))
            if bond.refund_due_on is None or due < bond.refund_due_on:
                services.schedule_refund(bond, due)
                db.session.refresh(bond)
        audit.record("bonds.refund_requested", bond, after={"cause": cause, "status": bond.status,
                                                            "refund_due_on": _iso(bond.refund_due_on)}, actor=actor)
        scheduler.schedule(REFUND_DUE, REFUND_OBJECT_TYPE, bond.id, now)
        asked.append(bond)
    return asked


def _iso(day):
    return day.isoformat() if day else None


def _live_bonds(*conditions) -> list[Bond]:
    return list(db.session.execute(select(Bond).where(Bond.status.in_(LIVE_STATES), *conditions)
                                   .order_by(Bond.id)).scalars())


def on_tender_cancelled(tender) -> None:
    """Listener of `tendering.services.on_cancelled`: every live bond of the tender goes back."""
    request_refunds(_live_bonds(Bond.tender_id == tender.id), "tender_cancelled")


def request_lot_refunds(lot, *, actor=None) -> list[Bond]:
    """Every live bond of a lot that failed or was cancelled goes back (no commit). For the step
    that ends a lot (opening and evaluation: too few qualifying bids); a lot still active is an
    error of the caller."""
    cause = _LOT_ENDED.get(lot.status)
    if cause is None:
        raise ValueError(f"lot {lot.id} is {lot.status}, not failed or cancelled")
    return request_refunds(_live_bonds(Bond.lot_id == lot.id), cause, actor=actor)


def _bid_statuses(lot_id: int, org_id: int) -> set[str]:
    from procurement.bids.models import Bid

    return set(db.session.execute(select(Bid.status).where(Bid.lot_id == lot_id, Bid.supplier_org_id == org_id))
               .scalars())


def _withdrew(statuses: set[str]) -> bool:
    """The firm's bids on the lot were withdrawn (replaced ones only led to the withdrawn one)."""
    from procurement.bids.states import REPLACED, WITHDRAWN

    return WITHDRAWN in statuses and statuses <= {WITHDRAWN, REPLACED}


def on_tender_closed(tender) -> None:
    """Listener of `tendering.services.on_closed` (the bid deadline): the bonds of firms whose
    bid on the lot was withdrawn go back, if the firm did not ask already. A firm that never bid
    gets its bond back with the losers after the award notice (`schedule_award_refunds`)."""
    withdrawn = [bond for bond in _live_bonds(Bond.tender_id == tender.id, Bond.refund_requested_at.is_(None))
                 if _withdrew(_bid_statuses(bond.lot_id, bond.supplier_org_id))]
    request_refunds(withdrawn, "bid_withdrawn")


def can_ask_back(actor, bond) -> bool:
    """The firm's own live bond, not asked back yet, and the firm has no live bid on the lot
    (for the page: `return_bond` checks the same)."""
    from procurement.bids.states import LIVE_STATES as LIVE_BIDS

    return (policy.owns_bond(actor, bond) and bond.status in LIVE_STATES and bond.refund_requested_at is None
            and not _bid_statuses(bond.lot_id, bond.supplier_org_id) & set(LIVE_BIDS))


def return_bond(actor, bond_id, *, now: dt.datetime | None = None) -> Bond:
    """The firm asks for its bond back because it has no live bid on the lot (withdrawn, or
    none yet): returned automatically, at once. Asking again changes nothing."""
    from procurement.bids.states import LIVE_STATES as LIVE_BIDS

    now = now or utcnow()
    with unit_of_work():
        bond = services.lock_bond(bond_id)
        if not policy.owns_bond(actor, bond):
            if policy.can_view_bond(actor, bond, now):
                raise PermissionDenied(N_("Only the firm that posted a bid bond asks for it back."))
            raise NotFound(N_("No such bid bond."))
        if bond.refund_requested_at is not None:
            return bond
        if bond.status not in LIVE_STATES:
            raise IllegalMove(N_("This action is not possible while the status is “%(status)s”."),
                              status=Term(bond.status))
        statuses = _bid_statuses(bond.lot_id, bond.supplier_org_id)
        if statuses & set(LIVE_BIDS):
            raise Conflict(N_("Your firm has a bid on this lot, and a bid needs its bond: withdraw the bid first."))
        request_refunds([bond], "bid_withdrawn" if _withdrew(statuses) else "no_bid", actor=actor, now=now)
    db.session.refresh(bond)
    return bond


# ------------------------------------------------------------------ the job

def refund_job(bond_id: int):
    """The chronograph row of the bond's automatic return (attempts, last error), or None."""
    return scheduler.deadline_for(REFUND_DUE, REFUND_OBJECT_TYPE, bond_id)


def settle(bond_id: int, due_at) -> None:
    """Chronograph handler of `bonds.refund`: make the asked-for return (see the module text).
    Runs in the chronograph's transaction (no commit); raises on a provider error (retried)."""
    try:
        bond = services.lock_bond(bond_id)
    except NotFound:
        return
    if bond.refund_requested_at is None or bond.status not in LIVE_STATES:
        return  # returned, forfeited or cancelled meanwhile: nothing to do
    now = utcnow()
    if bond.status == PENDING and bond.method == CARD and bond.payment_intent_id:
        _settle_card_payment(bond, now)
    elif bond.status == PENDING and bond.method == BANK_GUARANTEE:
        services._move(bond, "cancel", audit_action="bonds.guarantee_returned")
        _tell_returned(bond)
    if bond.status == HELD:
        services.refund_held(bond, now=now)


def _settle_card_payment(bond, now) -> None:
    """A pending card payment: cancelled at the provider; held first if it succeeded meanwhile
    (then `settle` refunds it)."""
    from procurement.payments import gateway

    intent = services._retrieve(bond.payment_intent_id)
    status = intent.get("status")
    if status == "succeeded":
        services.apply_intent(intent, at=now)
    else:
        if status != "canceled":
            services._provider(gateway.cancel_payment_intent, bond.payment_intent_id)
        services._move(bond, "cancel")
    db.session.refresh(bond)


def _tell_returned(bond) -> None:
    notify_organisation(bond.supplier_org_id, "bonds.refunded",
                        N_("Your bid bond of %(amount)s for lot %(lot)s of tender %(reference)s was returned."),
                        {"amount": format_fen(bond.amount_fen), "lot": str(bond.lot.number),
                         "reference": bond.tender.reference}, link=services.bond_link(bond.id))
