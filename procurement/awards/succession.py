"""When the firm holding an award gives it up: the centre records that the winner withdrew or
refused to sign (with the reason), the firm's held bid bond is forfeited in the same transaction,
and the next firm of the ranking kept with the award is offered it automatically. The offered
firm accepts (the award goes back to the finance office for review, then a new notice) or
declines; an offer not answered within the profile's confirmation period lapses (chronograph).
With nobody left in the ranking the award fails, the lot fails, and the centre chooses the next
step of the procedure (re-tender, or with approval a negotiation procedure).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from core import audit, scheduler
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.i18n import N_, message_payload
from core.money import format_fen
from core.services import unit_of_work
from core.timeutil import china_time, utcnow
from procurement.awards import notices, policy, services
from procurement.awards.deadlines import window_end
from procurement.awards.models import Award, AwardOffer
from procurement.awards.services import (
    OBJECT_TYPE,
    clean_reason,
    locked_award,
    profile_of,
)
from procurement.awards.states import (
    ACCEPTED,
    AWARD,
    DEADLINE_OFFER,
    DEADLINE_REVIEW,
    OFFER,
    OFFERED,
    STEP_MOVES,
    WITHDRAWAL_KINDS,
)
from procurement.opening.states import NEXT_STEPS
from procurement.tendering.models import Lot
from procurement.tendering.states import LOT, LOT_ACTIVE

OFFER_TYPE = AwardOffer.__tablename__
WITHDRAWAL_REASON_MAX = 1000  # the bond's forfeiture note keeps at most this much


def _holder(award) -> AwardOffer | None:
    return next((o for o in award.offers if o.status == ACCEPTED), None)


def _forfeit_bond(award, offer, kind: str, reason: str, *, actor, now) -> None:
    """Forfeit the firm's held bond for the lot, if it has one (a lot may ask for no bond, or the
    bond may already be back with the firm): recorded on the offer either way."""
    from procurement.bonds import services as bond_services
    from procurement.bonds.states import HELD

    bond = bond_services.current_bond(award.lot_id, offer.supplier_org_id)
    forfeited = False
    # A bond already being returned (asked back after a withdrawal, or a cancelled round) is not
    # forfeited: the offer records that nothing was kept.
    if bond is not None and bond.status == HELD and bond.refund_requested_at is None:
        bond = bond_services.lock_bond(bond.id)
        if bond.status == HELD and bond.refund_requested_at is None:
            bond_services.forfeit_held(bond, kind, reason, actor=actor, now=now)
            forfeited = True
    offer.bond_id = bond.id if bond is not None else None
    offer.bond_forfeited = forfeited


def record_withdrawal(actor, award_id, kind, reason, *, now: dt.datetime | None = None) -> Award:
    """The centre records that the firm holding the award withdrew or refused to sign (`kind`:
    `winner_withdrew` or `refused_to_sign`, with the reason). Its bond is forfeited and the next
    firm of the ranking is offered the award (or the award fails when nobody is left)."""
    if kind not in WITHDRAWAL_KINDS:
        raise ValidationError(N_("Please correct the marked fields."),
                              {"kind": N_("Choose whether the winner withdrew or refused to sign.")})
    reason = clean_reason(reason, maximum=WITHDRAWAL_REASON_MAX)
    now = now or utcnow()
    with unit_of_work():
        award = locked_award(award_id)
        if not policy.can_manage_award(actor, award.tender):
            raise PermissionDenied(N_("Only the tender's procurement centre records a winner's withdrawal."))
        AWARD.check(award.status, "withdraw")
        holder = _holder(award)
        if holder is None:
            raise Conflict(N_("No firm holds this award at the moment."))
        before = award.snapshot()
        OFFER.apply(AwardOffer, holder.id, "withdraw", withdrawal_kind=kind, reason=reason, responded_at=now,
                    responded_by_id=actor.id)
        db.session.refresh(holder)
        _forfeit_bond(award, holder, kind, reason, actor=actor, now=now)
        AWARD.apply(Award, award.id, "withdraw", winner_org_id=None, winner_bid_id=None, winner_opened_bid_id=None,
                    winner_rank=None, total_fen=None, updated_at=now)
        scheduler.cancel(DEADLINE_REVIEW, OBJECT_TYPE, award.id)
        award = services.get_award(award.id)
        notices.record_step(award, "award_withdrawn", "awards.winner_withdrew", actor=actor, before=before,
                            firm=notices.firm_name(holder.supplier_org_id), withdrawal={"term": kind}, reason=reason,
                            bond_forfeited=holder.bond_forfeited)
        _offer_next(award, actor=actor, now=now)
    return award


# ------------------------------------------------------------------ offers

def _next_candidate(award) -> dict | None:
    tried = set(db.session.execute(select(AwardOffer.supplier_org_id).where(AwardOffer.award_id == award.id))
                .scalars())
    ranked = sorted((c for c in award.candidates if not c.get("excluded") and c.get("rank") is not None),
                    key=lambda c: c["rank"])
    return next((c for c in ranked if c["supplier_org_id"] not in tried), None)


def _offer_next(award, *, actor, now) -> AwardOffer | None:
    """Offer the award (now `offering`) to the next firm of its ranking, or fail it."""
    candidate = _next_candidate(award)
    if candidate is None:
        fail(award, message_payload(N_("Nobody is left in the ranking of this lot to offer the award to.")),
             actor=actor, now=now)
        return None
    AWARD.apply(Award, award.id, "offer_next", updated_at=now)
    number = (db.session.execute(select(func.max(AwardOffer.number)).where(AwardOffer.award_id == award.id))
              .scalar() or 0) + 1
    respond_by = window_end(now, profile_of(award.tender).award_confirm_working_days)
    offer = AwardOffer(award_id=award.id, number=number, rank=candidate["rank"],
                       supplier_org_id=candidate["supplier_org_id"], bid_id=candidate["bid_id"],
                       opened_bid_id=candidate["opened_bid_id"], total_fen=candidate["total_fen"], status=OFFERED,
                       offered_at=now, respond_by=respond_by, reason="", bond_forfeited=False)
    db.session.add(offer)
    db.session.flush()
    scheduler.schedule(DEADLINE_OFFER, OFFER_TYPE, offer.id, respond_by)
    award = services.get_award(award.id)
    audit.record("awards.offered", offer, after=offer.snapshot(), actor=actor)
    notices.record_step(award, "award_offered", "awards.offer_made", actor=actor,
                        firm=notices.firm_name(offer.supplier_org_id), rank=offer.rank, total_fen=offer.total_fen,
                        respond_by=respond_by.isoformat())
    notices.tell_firm(offer.supplier_org_id, "awards.offered",
                      N_("Your firm is offered lot %(lot)s of tender %(reference)s (ranked %(rank)s, %(amount)s): "
                         "accept or decline by %(deadline)s."), award,
                      {"rank": offer.rank, "amount": format_fen(offer.total_fen or 0),
                       "deadline": china_time(respond_by)})
    notices.tell_centre(award, "awards.offered", N_("Lot %(lot)s of tender %(reference)s is offered to %(firm)s, "
                                                    "ranked %(rank)s."),
                        {"firm": notices.firm_name(offer.supplier_org_id), "rank": offer.rank})
    return offer


def _offer_for(actor, offer_id) -> tuple[Award, AwardOffer]:
    try:
        found = db.session.get(AwardOffer, int(offer_id))
    except (TypeError, ValueError):
        found = None
    if found is None or not policy.owns_offer(actor, found):
        raise NotFound(N_("No such offer."))
    award = locked_award(found.award_id)
    offer = db.session.execute(select(AwardOffer).where(AwardOffer.id == found.id)
                               .execution_options(populate_existing=True)).unique().scalar_one()
    return award, offer


def _check_open(offer, now) -> None:
    OFFER.check(offer.status, "accept")
    if offer.respond_by is not None and now >= offer.respond_by:
        raise Conflict(N_("This offer lapsed at %(deadline)s."), deadline=china_time(offer.respond_by))


def accept_offer(actor, offer_id, *, now: dt.datetime | None = None) -> Award:
    """The offered firm accepts: it holds the award, which goes to the finance office for review
    again (and then to a new award notice)."""
    now = now or utcnow()
    with unit_of_work():
        award, offer = _offer_for(actor, offer_id)
        _check_open(offer, now)
        services._check_tender(award.tender, award.lot)
        before = award.snapshot()
        OFFER.apply(AwardOffer, offer.id, "accept", responded_at=now, responded_by_id=actor.id)
        scheduler.cancel(DEADLINE_OFFER, OFFER_TYPE, offer.id)
        AWARD.apply(Award, award.id, "accept", winner_org_id=offer.supplier_org_id, winner_bid_id=offer.bid_id,
                    winner_opened_bid_id=offer.opened_bid_id, winner_rank=offer.rank, total_fen=offer.total_fen,
                    submitted_at=now, submitted_by_id=None, reviewed_at=None, reviewed_by_id=None, review_comment="",
                    updated_at=now, **services._review_window(award, award.tender, now))
        award = services.get_award(award.id)
        notices.record_step(award, "award_offer_accepted", "awards.offer_accepted", actor=actor, before=before,
                            firm=notices.firm_name(offer.supplier_org_id), rank=offer.rank, total_fen=offer.total_fen)
        message = N_("%(firm)s accepted the award of lot %(lot)s of tender %(reference)s; the recommendation is "
                     "waiting for the finance office's review.")
        extra = {"firm": notices.firm_name(offer.supplier_org_id)}
        notices.tell_reviewers(award, "awards.offer_accepted", message, extra)
        notices.tell_centre(award, "awards.offer_accepted", message, extra)
    return award


def decline_offer(actor, offer_id, reason="", *, now: dt.datetime | None = None) -> Award:
    """The offered firm declines (reason optional): the next firm is offered the award. Its bid
    bond is not forfeited: it never held the award."""
    now = now or utcnow()
    reason = clean_reason(reason, required=False)
    with unit_of_work():
        award, offer = _offer_for(actor, offer_id)
        _check_open(offer, now)
        OFFER.apply(AwardOffer, offer.id, "decline", responded_at=now, responded_by_id=actor.id, reason=reason)
        _after_no(award, offer, actor=actor, now=now, lapsed=False)
    return services.get_award(award.id)


def _after_no(award, offer, *, actor, now, lapsed: bool) -> None:
    scheduler.cancel(DEADLINE_OFFER, OFFER_TYPE, offer.id)
    db.session.refresh(offer)
    notices.record_step(award, "award_offer_declined", "awards.offer_lapsed" if lapsed else "awards.offer_declined",
                        actor=actor, firm=notices.firm_name(offer.supplier_org_id), rank=offer.rank, lapsed=lapsed,
                        reason=offer.reason)
    _offer_next(services.get_award(award.id), actor=actor, now=now)


def lapse_due(offer_id: int, due_at: dt.datetime) -> None:
    """Chronograph handler (`awards.offer_due`): an offer still unanswered at its deadline lapses
    and the next firm is offered the award. Idempotent (an answered offer is left alone); no commit."""
    from procurement.tendering.services import CHRONOGRAPH

    offer = db.session.get(AwardOffer, int(offer_id))
    if offer is None or offer.status != OFFERED or offer.respond_by is None or utcnow() < offer.respond_by:
        return
    award = locked_award(offer.award_id)
    offer = db.session.execute(select(AwardOffer).where(AwardOffer.id == offer.id)
                               .execution_options(populate_existing=True)).unique().scalar_one()
    if offer.status != OFFERED:
        return
    OFFER.apply(AwardOffer, offer.id, "lapse", responded_at=offer.respond_by)
    _after_no(award, offer, actor=CHRONOGRAPH, now=utcnow(), lapsed=True)


# ------------------------------------------------------------------ failure and the next step

def fail(award, reason: dict, *, actor, now) -> None:
    """The award fails (in the caller's transaction): a pending offer lapses, the lot fails, and
    the tender fails when no lot is left. The centre is asked to choose the next step."""
    from procurement.opening.qualification import fail_tender_if_no_lot_left

    before = award.snapshot()
    for offer in award.offers:
        if offer.status == OFFERED:
            OFFER.apply(AwardOffer, offer.id, "lapse", responded_at=now)
            scheduler.cancel(DEADLINE_OFFER, OFFER_TYPE, offer.id)
    AWARD.apply(Award, award.id, "fail", fail_reason=reason, failed_at=now, winner_org_id=None, winner_bid_id=None,
                winner_opened_bid_id=None, winner_rank=None, total_fen=None, updated_at=now)
    scheduler.cancel(DEADLINE_REVIEW, OBJECT_TYPE, award.id)
    lot = db.session.get(Lot, award.lot_id)
    db.session.refresh(lot)
    if lot.status == LOT_ACTIVE:
        LOT.apply(Lot, lot.id, "fail")
    award = services.get_award(award.id)
    steps = list(NEXT_STEPS.get(award.tender.method, ()))
    notices.record_step(award, "award_failed", "awards.failed", actor=actor, before=before, reason=reason,
                        next_steps=steps)
    fail_tender_if_no_lot_left(award.tender, actor=actor)
    notices.tell_centre(award, "awards.failed", N_("The award of lot %(lot)s of tender %(reference)s failed: choose "
                                                   "the next step."))
    notices.tell_purchasers(award, "awards.failed", N_("The award of lot %(lot)s of tender %(reference)s failed; "
                                                       "the centre chooses the next step."))


def choose_next_step(actor, award_id, choice, reason, *, now: dt.datetime | None = None) -> Award:
    """The centre records its choice for a failed award: one of the next steps of the tender's
    method (re-tender, or competitive negotiation with approval: say whose in the reason)."""
    now = now or utcnow()
    reason = clean_reason(reason)
    with unit_of_work():
        award = locked_award(award_id)
        if not policy.can_manage_award(actor, award.tender):
            raise PermissionDenied(N_("Only the tender's procurement centre chooses the next step."))
        AWARD.check(award.status, "retender")
        allowed = NEXT_STEPS.get(award.tender.method, ())
        if choice not in allowed:
            raise ValidationError(N_("Please correct the marked fields."), {"choice": (
                N_("Choose one of: %(choices)s."), {"choices": ", ".join(allowed)})})
        before = award.snapshot()
        AWARD.apply(Award, award.id, STEP_MOVES[choice], next_step=choice, next_step_reason=reason,
                    decided_by_id=actor.id, decided_at=now, updated_at=now)
        award = services.get_award(award.id)
        notices.record_step(award, "award_next_step", "awards.next_step", actor=actor, before=before,
                            next_step={"term": choice}, reason=reason)
    return award
