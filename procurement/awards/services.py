"""The award of a lot up to its notice: the centre sends the recommendation (the signed
ranking's first bid) to the finance office of the tender's city, which approves it or returns it
with a reason; the centre publishes the award notice, which starts the standstill period and the
challenge window and schedules the losers' bond refunds.

Every step is one transaction that locks the tender row first (`lock_tender`: steps on one
tender never interleave), moves the award through `states.AWARD` with a conditional UPDATE (two
officers publishing at the same moment: one wins, the other gets a 409), writes the audit event
and one record on each project contributing to the lot, and tells the people concerned.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from core import audit, scheduler
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.i18n import N_, Term
from core.money import format_fen
from core.services import unit_of_work
from core.timeutil import utcnow
from core.validation import plain_text
from procurement.awards import notices, policy, ranking
from procurement.awards.deadlines import china_day, window_end
from procurement.awards.models import Award, AwardOffer, Challenge, Complaint
from procurement.awards.states import (
    ACCEPTED,
    AWARD,
    DEADLINE_REVIEW,
    FINANCE_REVIEW,
    LODGED,
    OFFERED,
)
from procurement.profiles.services import profile_for
from procurement.tendering.clarifications import lock_tender
from procurement.tendering.states import CLOSED, LOT_ACTIVE

OBJECT_TYPE = Award.__tablename__
REASON_MIN, REASON_MAX = 5, 2000


# ------------------------------------------------------------------ reading and locking

def award_for_lot(lot_id) -> Award | None:
    try:
        lot_id = int(lot_id)
    except (TypeError, ValueError):
        return None
    return db.session.execute(select(Award).where(Award.lot_id == lot_id)
                              .execution_options(populate_existing=True)).unique().scalar_one_or_none()


def get_award(award_id) -> Award | None:
    try:
        award_id = int(award_id)
    except (TypeError, ValueError):
        return None
    return db.session.execute(select(Award).where(Award.id == award_id)
                              .execution_options(populate_existing=True)).unique().scalar_one_or_none()


def visible_award(actor, award_id) -> Award:
    """The award if `actor` may see it (NotFound otherwise)."""
    award = get_award(award_id)
    if award is None or not policy.can_view_award(actor, award):
        raise NotFound(N_("No such award."))
    return award


def locked_award(award_id) -> Award:
    """The award, fresh, after locking its tender's row for this transaction (NotFound if none)."""
    award = get_award(award_id)
    if award is None:
        raise NotFound(N_("No such award."))
    lock_tender(award.tender_id)
    return get_award(award.id)


def catch_up(award) -> None:
    """Run the due deadlines of the award, its pending offer, its challenges and complaints
    before a page or the API shows it ("checked again on read")."""
    scheduler.catch_up(OBJECT_TYPE, award.id)
    for model, live in ((AwardOffer, OFFERED), (Challenge, LODGED), (Complaint, LODGED)):
        ids = list(db.session.execute(select(model.id).where(model.award_id == award.id, model.status == live))
                   .scalars())
        db.session.rollback()
        for object_id in ids:
            scheduler.catch_up(model.__tablename__, object_id)


def profile_of(tender):
    """The procedure profile the tender was published under (else the one in force)."""
    return tender.profile or profile_for(tender.method, tender.track, tender.city_id)


def clean_reason(reason, field: str = "reason", *, required: bool = True, maximum: int = REASON_MAX) -> str:
    if not required and (reason is None or (isinstance(reason, str) and not reason.strip())):
        return ""
    if reason is None or (isinstance(reason, str) and not reason.strip()):
        raise ValidationError(N_("A reason is required."), {field: N_("Give the reason (at least 5 characters).")})
    return plain_text(reason, field, minimum=REASON_MIN, maximum=maximum)


def _check_tender(tender, lot) -> None:
    if tender.status != CLOSED or lot.status != LOT_ACTIVE:
        raise Conflict(N_("Only an active lot of a closed tender is awarded (the tender is %(status)s, the lot "
                          "%(lot_status)s)."), status=Term(tender.status), lot_status=Term(lot.status))


def _review_window(award, tender, now) -> dict:
    """The finance office's confirmation period from `now` (the profile's working days)."""
    due = window_end(now, profile_of(tender).award_confirm_working_days)
    scheduler.schedule(DEADLINE_REVIEW, OBJECT_TYPE, award.id, due)
    return {"review_due_at": due, "review_overdue_at": None}


# ------------------------------------------------------------------ the recommendation

def _first_ranked(candidates):
    ranked = sorted((c for c in candidates if not c.excluded and c.rank is not None), key=lambda c: c.rank)
    if not ranked:
        raise Conflict(N_("Every bid of this lot was excluded from the ranking: there is nobody to recommend."))
    return ranked[0]


def _candidates(lot_id):
    found = ranking.ranked_candidates(lot_id)
    if found is None:
        raise Conflict(N_("The evaluation report of this lot is not signed off yet: there is no recommendation to "
                          "send."))
    return found


def submit(actor, tender_id, lot_id, *, now: dt.datetime | None = None) -> Award:
    """The centre sends the lot's recommendation (the signed ranking's first bid) to the finance
    office of the tender's city. The ranking is kept with the award for the offers that may follow."""
    from procurement.opening.reading import lot_outcome
    from procurement.opening.states import QUALIFIED

    now = now or utcnow()
    with unit_of_work(N_("This lot already has an award.")):
        try:
            tender = lock_tender(int(tender_id))
        except (TypeError, ValueError):
            raise NotFound(N_("No such tender.")) from None
        lot = next((x for x in tender.lots if str(x.id) == str(lot_id)), None)
        if lot is None:
            raise NotFound(N_("No such lot in this tender."))
        if not policy.can_manage_award(actor, tender):
            raise PermissionDenied(N_("Only the tender's procurement centre sends award recommendations."))
        _check_tender(tender, lot)
        existing = award_for_lot(lot.id)
        if existing is not None:
            raise Conflict(N_("This lot already has an award (%(status)s)."), status=Term(existing.status))
        outcome = lot_outcome(lot.id)
        if outcome is None or outcome.status != QUALIFIED:
            raise Conflict(N_("The qualification of this lot has not been confirmed."))
        candidates = _candidates(lot.id)
        first = _first_ranked(candidates)
        profile = profile_of(tender)
        award = Award(tender_id=tender.id, lot_id=lot.id, status=FINANCE_REVIEW, profile_id=profile.id,
                      candidates=[c.as_dict() for c in candidates], winner_org_id=first.supplier_org_id,
                      winner_bid_id=first.bid_id, winner_opened_bid_id=first.opened_bid_id, winner_rank=first.rank,
                      total_fen=first.total_fen, submitted_at=now, submitted_by_id=actor.id, review_comment="",
                      notice_number=0, next_step_reason="", created_at=now, updated_at=now)
        db.session.add(award)
        db.session.flush()
        db.session.add(AwardOffer(award_id=award.id, number=1, rank=first.rank, supplier_org_id=first.supplier_org_id,
                                  bid_id=first.bid_id, opened_bid_id=first.opened_bid_id, total_fen=first.total_fen,
                                  status=ACCEPTED, offered_at=now, reason="", bond_forfeited=False))
        for key, value in _review_window(award, tender, now).items():
            setattr(award, key, value)
        notices.record_step(award, "award_submitted", "awards.submitted", actor=actor,
                            winner=notices.firm_name(first.supplier_org_id), total_fen=first.total_fen)
        notices.tell_reviewers(award, "awards.submitted", N_("The award recommendation for lot %(lot)s of tender "
                                                             "%(reference)s is waiting for your review."))
    return award


def resubmit(actor, award_id, *, now: dt.datetime | None = None) -> Award:
    """The centre sends a returned recommendation again. Before any notice or offer the ranking
    is read again (the evaluation may have been redone and signed anew)."""
    now = now or utcnow()
    with unit_of_work():
        award = locked_award(award_id)
        if not policy.can_manage_award(actor, award.tender):
            raise PermissionDenied(N_("Only the tender's procurement centre sends award recommendations."))
        _check_tender(award.tender, award.lot)
        before = award.snapshot()
        values = {"submitted_at": now, "submitted_by_id": actor.id, "updated_at": now,
                  **_review_window(award, award.tender, now)}
        if award.notice_number == 0 and len(award.offers) == 1:
            candidates = _candidates(award.lot_id)
            first = _first_ranked(candidates)
            values.update(candidates=[c.as_dict() for c in candidates], winner_org_id=first.supplier_org_id,
                          winner_bid_id=first.bid_id, winner_opened_bid_id=first.opened_bid_id,
                          winner_rank=first.rank, total_fen=first.total_fen)
            db.session.execute(update(AwardOffer).where(AwardOffer.id == award.offers[0].id).values(
                rank=first.rank, supplier_org_id=first.supplier_org_id, bid_id=first.bid_id,
                opened_bid_id=first.opened_bid_id, total_fen=first.total_fen)
                .execution_options(synchronize_session=False))
        AWARD.apply(Award, award.id, "resubmit", **values)
        award = get_award(award.id)
        notices.record_step(award, "award_submitted", "awards.resubmitted", actor=actor, before=before,
                            winner=notices.firm_name(award.winner_org_id), total_fen=award.total_fen)
        notices.tell_reviewers(award, "awards.submitted", N_("The award recommendation for lot %(lot)s of tender "
                                                             "%(reference)s is waiting for your review."))
    return award


# ------------------------------------------------------------------ the finance office's review

def _reviewed(actor, award_id) -> Award:
    award = locked_award(award_id)
    if not policy.is_award_reviewer(actor, award.tender):
        raise PermissionDenied(N_("Only the finance office of the tender's city reviews its award recommendations."))
    return award


def approve(actor, award_id, comment="", *, now: dt.datetime | None = None) -> Award:
    """The finance office of the tender's city approves the recommendation (comment optional)."""
    now = now or utcnow()
    comment = clean_reason(comment, "comment", required=False)
    with unit_of_work():
        award = _reviewed(actor, award_id)
        _check_tender(award.tender, award.lot)
        before = award.snapshot()
        AWARD.apply(Award, award.id, "approve", reviewed_at=now, reviewed_by_id=actor.id, review_comment=comment,
                    updated_at=now)
        scheduler.cancel(DEADLINE_REVIEW, OBJECT_TYPE, award.id)
        award = get_award(award.id)
        notices.record_step(award, "award_approved", "awards.approved", actor=actor, before=before, comment=comment)
        notices.tell_centre(award, "awards.approved", N_("The finance office approved the award recommendation for "
                                                         "lot %(lot)s of tender %(reference)s: publish the award "
                                                         "notice."))
    return award


def return_recommendation(actor, award_id, reason, *, now: dt.datetime | None = None) -> Award:
    """The finance office of the tender's city returns the recommendation, with its reason."""
    now = now or utcnow()
    reason = clean_reason(reason)
    with unit_of_work():
        award = _reviewed(actor, award_id)
        before = award.snapshot()
        AWARD.apply(Award, award.id, "return", reviewed_at=now, reviewed_by_id=actor.id, review_comment=reason,
                    updated_at=now)
        scheduler.cancel(DEADLINE_REVIEW, OBJECT_TYPE, award.id)
        award = get_award(award.id)
        notices.record_step(award, "award_returned", "awards.returned", actor=actor, before=before, reason=reason)
        notices.tell_centre(award, "awards.returned", N_("The finance office returned the award recommendation for "
                                                         "lot %(lot)s of tender %(reference)s: %(reason)s"),
                            {"reason": reason})
    return award


def flag_review_overdue(award_id: int, due_at: dt.datetime) -> None:
    """Chronograph handler (`awards.review_due`): a recommendation still waiting at the end of
    the confirmation period is flagged, and the finance office and the centre told, once.
    Idempotent; no commit."""
    from procurement.tendering.services import CHRONOGRAPH

    award = get_award(award_id)
    if (award is None or award.status != FINANCE_REVIEW or award.review_overdue_at is not None
            or award.review_due_at is None or award.review_due_at > due_at):
        return  # reviewed, already flagged, or a later submission moved the deadline
    done = db.session.execute(update(Award).where(Award.id == award.id, Award.status == FINANCE_REVIEW,
                                                  Award.review_overdue_at.is_(None))
                              .values(review_overdue_at=award.review_due_at)
                              .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        return
    audit.record("awards.review_overdue", award, after={"review_due_at": award.review_due_at.isoformat()},
                 actor=CHRONOGRAPH)
    message = N_("The award recommendation for lot %(lot)s of tender %(reference)s was not reviewed within the "
                 "confirmation period.")
    notices.tell_reviewers(award, "awards.review_overdue", message)
    notices.tell_centre(award, "awards.review_overdue", message)


# ------------------------------------------------------------------ the award notice

def publish(actor, award_id, *, now: dt.datetime | None = None) -> Award:
    """The centre publishes the award notice of an approved award: announced for the profile's
    notice period, followed by the standstill period; bidders may challenge it within the
    challenge window. At the first notice the losers' bonds are scheduled for refund. Every
    bidder, the winner and the contributing purchasers are told."""
    from procurement.bonds import services as bond_services

    now = now or utcnow()
    with unit_of_work():
        award = locked_award(award_id)
        if not policy.can_manage_award(actor, award.tender):
            raise PermissionDenied(N_("Only the tender's procurement centre publishes award notices."))
        AWARD.check(award.status, "publish")
        _check_tender(award.tender, award.lot)
        before = award.snapshot()
        profile = profile_of(award.tender)
        number = award.notice_number + 1
        AWARD.apply(Award, award.id, "publish", notice_number=number, notice_at=now, notice_by_id=actor.id,
                    notice_until=window_end(now, profile.award_notice_working_days),
                    standstill_until=window_end(now, profile.standstill_working_days),
                    challenge_until=window_end(now, profile.challenge_working_days), updated_at=now)
        award = get_award(award.id)
        if number == 1:
            # Losers' bonds are due back within the profile's working days of the (first) notice.
            bond_services.schedule_award_refunds(award.lot_id, award.winner_org_id, china_day(now), actor=actor)
        winner = notices.firm_name(award.winner_org_id)
        notices.record_step(award, "award_published", "awards.published", actor=actor, before=before, winner=winner,
                            winner_org_id=award.winner_org_id, total_fen=award.total_fen, notice=number,
                            standstill_until=award.standstill_until.isoformat(),
                            challenge_until=award.challenge_until.isoformat())
        _tell_notice(award, winner)
    return award


def _tell_notice(award, winner: str) -> None:
    extra = {"winner": winner, "amount": format_fen(award.total_fen or 0)}
    for org_id in sorted(policy.bidder_firms(award.lot_id) | {award.winner_org_id}):
        if org_id == award.winner_org_id:
            notices.tell_firm(org_id, "awards.won", N_("Your firm is awarded lot %(lot)s of tender %(reference)s "
                                                       "(%(amount)s): the award notice is published."), award, extra)
        else:
            notices.tell_firm(org_id, "awards.published", N_("The award notice for lot %(lot)s of tender "
                                                             "%(reference)s is published: the lot goes to %(winner)s."),
                              award, extra)
    notices.tell_purchasers(award, "awards.published", N_("The award notice for lot %(lot)s of tender %(reference)s "
                                                          "is published: %(winner)s, %(amount)s."), extra)
