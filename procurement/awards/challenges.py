"""Challenges (质疑) of an award notice and complaints (投诉) about their answers.

- A firm that bid on the lot challenges the award within the profile's challenge window from the
  award notice (7 working days; a challenge at the end instant is refused with a 409 naming it in
  China time). The centre answers within the profile's answer period (7 working days from the
  challenge); an unanswered challenge is flagged at its deadline (chronograph) and the centre
  and the challenger are told.
- The challenger complains to the finance office of the tender's city within the profile's
  complaint window (15 working days) from the answer, or from the answer deadline when no answer
  came. The finance office decides within the profile's decision period (30 working days),
  flagged when overdue; an upheld complaint makes the award fail (the centre then chooses the
  next step).
- A lodged challenge or complaint blocks the contract of its lot (`gate.can_sign_contract`).

Texts are private (challenger, centre, finance office, platform staff); the projects' records
and the public page carry numbers, dates and statuses only.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update

from core import audit, scheduler
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.i18n import N_, Term, message_payload
from core.services import unit_of_work
from core.timeutil import china_time, utcnow
from core.validation import plain_text
from procurement.awards import notices, policy, services
from procurement.awards.deadlines import last_day, window_end
from procurement.awards.models import Challenge, Complaint
from procurement.awards.services import locked_award, profile_of
from procurement.awards.states import (
    CHALLENGE,
    COMPLAINT,
    DEADLINE_ANSWER,
    DEADLINE_DECISION,
    DECISIONS,
    LIVE_AWARD_STATES,
    LODGED,
    UPHELD,
)

CHALLENGE_TYPE, COMPLAINT_TYPE = Challenge.__tablename__, Complaint.__tablename__
TEXT_MIN, TEXT_MAX = 20, 8000


def _text(value, field: str = "text") -> str:
    return plain_text(value, field, minimum=TEXT_MIN, maximum=TEXT_MAX)


def _challenge(actor, challenge_id, *, lock: bool = True) -> Challenge:
    """The challenge if `actor` may see it (NotFound otherwise), its tender locked when `lock`."""
    try:
        found = db.session.get(Challenge, int(challenge_id))
    except (TypeError, ValueError):
        found = None
    if found is None or not policy.can_see_challenge(actor, found):
        raise NotFound(N_("No such challenge."))
    if lock:
        locked_award(found.award_id)
    return db.session.execute(select(Challenge).where(Challenge.id == found.id)
                              .execution_options(populate_existing=True)).unique().scalar_one()


def _complaint_window(start, profile) -> dt.datetime:
    return window_end(start, profile.complaint_working_days)


# ------------------------------------------------------------------ challenges

def lodge(actor, award_id, text, *, now: dt.datetime | None = None) -> Challenge:
    """A bidder of the lot challenges the award notice, within the challenge window."""
    now = now or utcnow()
    text = _text(text)
    with unit_of_work(N_("Another challenge was lodged at the same moment; please try again.")):
        award = locked_award(award_id)
        if not policy.can_view_award(actor, award):
            raise NotFound(N_("No such award."))
        if not policy.is_bidder(actor, award.lot_id):
            raise PermissionDenied(N_("Only firms that bid on this lot may challenge its award."))
        if not policy.challenge_window_open(award, now):
            if award.status in LIVE_AWARD_STATES and award.challenge_until is not None:
                raise Conflict(N_("The challenge period for this award ended at %(deadline)s (its last day was "
                                  "%(day)s)."), deadline=china_time(award.challenge_until),
                               day=last_day(award.challenge_until).isoformat())
            raise Conflict(N_("The award of this lot cannot be challenged now (it is %(status)s)."),
                           status=Term(award.status))
        profile = profile_of(award.tender)
        number = (db.session.execute(select(func.max(Challenge.number)).where(Challenge.award_id == award.id))
                  .scalar() or 0) + 1
        answer_due = window_end(now, profile.challenge_answer_working_days)
        challenge = Challenge(award_id=award.id, tender_id=award.tender_id, lot_id=award.lot_id, number=number,
                              notice_number=award.notice_number, supplier_org_id=actor.organisation_id,
                              lodged_by_id=actor.id, text=text, status=LODGED, lodged_at=now,
                              answer_due_at=answer_due, answer="",
                              complaint_until=_complaint_window(last_day(answer_due), profile))
        db.session.add(challenge)
        db.session.flush()
        scheduler.schedule(DEADLINE_ANSWER, CHALLENGE_TYPE, challenge.id, answer_due)
        audit.record("awards.challenge_lodged", challenge, after=challenge.snapshot(), actor=actor)
        notices.record_on_lot_projects(award, "award_challenged", actor=actor, challenge=number,
                                       answer_due_at=answer_due.isoformat())
        notices.tell_centre(award, "awards.challenge_lodged",
                            N_("Challenge %(number)s against the award of lot %(lot)s of tender %(reference)s: "
                               "answer by %(deadline)s."),
                            {"number": number, "deadline": china_time(answer_due)},
                            link=notices.challenge_link(challenge.id))
    return challenge


def answer(actor, challenge_id, text, *, now: dt.datetime | None = None) -> Challenge:
    """The centre answers a challenge; the complaint window now runs from the answer."""
    now = now or utcnow()
    text = _text(text, "answer")
    with unit_of_work():
        challenge = _challenge(actor, challenge_id)
        award = challenge.award
        if not policy.can_manage_award(actor, award.tender):
            raise PermissionDenied(N_("Only the tender's procurement centre answers challenges."))
        before = challenge.snapshot()
        CHALLENGE.apply(Challenge, challenge.id, "answer", answer=text, answered_at=now, answered_by_id=actor.id,
                        complaint_until=_complaint_window(now, profile_of(award.tender)))
        scheduler.cancel(DEADLINE_ANSWER, CHALLENGE_TYPE, challenge.id)
        db.session.refresh(challenge)
        audit.record("awards.challenge_answered", challenge, before=before, after=challenge.snapshot(), actor=actor)
        notices.record_on_lot_projects(award, "award_challenge_answered", actor=actor, challenge=challenge.number,
                                       late=now >= challenge.answer_due_at)
        notices.tell_firm(challenge.supplier_org_id, "awards.challenge_answered",
                          N_("The centre answered your challenge %(number)s on lot %(lot)s of tender %(reference)s; "
                             "you may complain to the finance office until %(deadline)s."), award,
                          {"number": challenge.number, "deadline": china_time(challenge.complaint_until)},
                          link=notices.challenge_link(challenge.id))
    return challenge


def withdraw_challenge(actor, challenge_id, *, now: dt.datetime | None = None) -> Challenge:
    """The challenger withdraws a challenge not yet answered."""
    now = now or utcnow()
    with unit_of_work():
        challenge = _challenge(actor, challenge_id)
        if not policy.owns_challenge(actor, challenge):
            raise PermissionDenied(N_("Only the firm that lodged a challenge withdraws it."))
        before = challenge.snapshot()
        CHALLENGE.apply(Challenge, challenge.id, "withdraw", withdrawn_at=now)
        scheduler.cancel(DEADLINE_ANSWER, CHALLENGE_TYPE, challenge.id)
        db.session.refresh(challenge)
        audit.record("awards.challenge_withdrawn", challenge, before=before, after=challenge.snapshot(), actor=actor)
        notices.record_on_lot_projects(challenge.award, "award_challenge_withdrawn", actor=actor,
                                       challenge=challenge.number)
        notices.tell_centre(challenge.award, "awards.challenge_withdrawn",
                            N_("Challenge %(number)s on lot %(lot)s of tender %(reference)s was withdrawn."),
                            {"number": challenge.number}, link=notices.challenge_link(challenge.id))
    return challenge


def flag_answer_overdue(challenge_id: int, due_at: dt.datetime) -> None:
    """Chronograph handler (`awards.challenge_answer_due`): a challenge still unanswered at its
    deadline is flagged; the centre and the challenger (who may now complain) are told, once.
    Idempotent; no commit."""
    from procurement.tendering.services import CHRONOGRAPH

    challenge = db.session.get(Challenge, int(challenge_id))
    if (challenge is None or challenge.status != LODGED or challenge.answer_overdue_at is not None
            or utcnow() < challenge.answer_due_at):
        return
    done = db.session.execute(update(Challenge).where(Challenge.id == challenge.id, Challenge.status == LODGED,
                                                      Challenge.answer_overdue_at.is_(None))
                              .values(answer_overdue_at=challenge.answer_due_at)
                              .execution_options(synchronize_session="fetch"))
    if done.rowcount != 1:
        return
    award = challenge.award
    audit.record("awards.challenge_overdue", challenge, after=challenge.snapshot(), actor=CHRONOGRAPH)
    extra = {"number": challenge.number, "deadline": china_time(challenge.answer_due_at),
             "until": china_time(challenge.complaint_until)}
    notices.tell_centre(award, "awards.challenge_overdue",
                        N_("Challenge %(number)s on lot %(lot)s of tender %(reference)s was not answered by "
                           "%(deadline)s."), extra, link=notices.challenge_link(challenge.id))
    notices.tell_firm(challenge.supplier_org_id, "awards.challenge_overdue",
                      N_("Your challenge %(number)s on lot %(lot)s of tender %(reference)s was not answered by "
                         "%(deadline)s; you may complain to the finance office until %(until)s."), award, extra,
                      link=notices.challenge_link(challenge.id))


# ------------------------------------------------------------------ complaints

def _refuse_complaint(challenge, now) -> Conflict:
    if challenge.complaint is not None:
        return Conflict(N_("A complaint about this challenge was already lodged."))
    if now >= challenge.complaint_until:
        return Conflict(N_("The complaint period for this challenge ended at %(deadline)s."),
                        deadline=china_time(challenge.complaint_until))
    if challenge.status == LODGED:
        return Conflict(N_("A complaint can be lodged once the centre has answered, or after the answer deadline, "
                           "%(deadline)s."), deadline=china_time(challenge.answer_due_at))
    return Conflict(N_("The challenge was %(status)s: there is nothing to complain about."),
                    status=Term(challenge.status))


def complain(actor, challenge_id, text, *, now: dt.datetime | None = None) -> Complaint:
    """The challenger complains to the finance office of the tender's city about the answer (or
    the missing answer), within the complaint window."""
    now = now or utcnow()
    text = _text(text)
    with unit_of_work(N_("A complaint about this challenge was already lodged.")):
        challenge = _challenge(actor, challenge_id)
        if not policy.owns_challenge(actor, challenge):
            raise PermissionDenied(N_("Only the firm that lodged the challenge complains about it."))
        if not policy.complaint_open(challenge, now):
            raise _refuse_complaint(challenge, now)
        award = challenge.award
        due = window_end(now, profile_of(award.tender).complaint_decision_working_days)
        complaint = Complaint(challenge_id=challenge.id, award_id=award.id, supplier_org_id=challenge.supplier_org_id,
                              lodged_by_id=actor.id, text=text, status=LODGED, lodged_at=now, decision_due_at=due,
                              decision="")
        db.session.add(complaint)
        db.session.flush()
        scheduler.schedule(DEADLINE_DECISION, COMPLAINT_TYPE, complaint.id, due)
        audit.record("awards.complaint_lodged", complaint, after=complaint.snapshot(), actor=actor)
        notices.record_on_lot_projects(award, "award_complaint_lodged", actor=actor, challenge=challenge.number,
                                       decision_due_at=due.isoformat())
        message = N_("A complaint about challenge %(number)s on lot %(lot)s of tender %(reference)s was lodged with "
                     "the finance office: decision due by %(deadline)s.")
        extra = {"number": challenge.number, "deadline": china_time(due)}
        notices.tell_reviewers(award, "awards.complaint_lodged", message, extra)
        notices.tell_centre(award, "awards.complaint_lodged", message, extra, link=notices.challenge_link(challenge.id))
    return complaint


def _complaint(actor, complaint_id, *, deciding: bool = False) -> Complaint:
    """The complaint if `actor` may see it; a finance office of another city that tries to
    decide it is refused (PermissionDenied, by the caller) rather than told it does not exist."""
    try:
        found = db.session.get(Complaint, int(complaint_id))
    except (TypeError, ValueError):
        found = None
    if found is None or not (policy.can_see_challenge(actor, found.challenge)
                             or (deciding and policy.is_finance_reviewer(actor))):
        raise NotFound(N_("No such complaint."))
    locked_award(found.award_id)
    return db.session.execute(select(Complaint).where(Complaint.id == found.id)
                              .execution_options(populate_existing=True)).unique().scalar_one()


def decide(actor, complaint_id, outcome, reason, *, now: dt.datetime | None = None) -> Complaint:
    """The finance office of the tender's city decides a complaint (`upheld` or `dismissed`, with
    its reasons). An upheld complaint makes the award fail; the centre chooses the next step."""
    from procurement.awards.succession import fail

    now = now or utcnow()
    if outcome not in DECISIONS:
        raise ValidationError(N_("Please correct the marked fields."),
                              {"outcome": N_("Choose whether the complaint is upheld or dismissed.")})
    reason = _text(reason, "reason")
    with unit_of_work():
        complaint = _complaint(actor, complaint_id, deciding=True)
        award = complaint.award
        if not policy.is_award_reviewer(actor, award.tender):
            raise PermissionDenied(N_("Only the finance office of the tender's city decides complaints about its "
                                      "awards."))
        before = complaint.snapshot()
        COMPLAINT.apply(Complaint, complaint.id, DECISIONS[outcome], decision=reason, decided_at=now,
                        decided_by_id=actor.id)
        scheduler.cancel(DEADLINE_DECISION, COMPLAINT_TYPE, complaint.id)
        db.session.refresh(complaint)
        number = complaint.challenge.number
        audit.record("awards.complaint_decided", complaint, before=before, after=complaint.snapshot(), actor=actor)
        notices.record_on_lot_projects(award, "award_complaint_decided", actor=actor, challenge=number,
                                       outcome={"term": outcome})
        extra = {"number": number, "outcome": Term(outcome)}
        notices.tell_firm(complaint.supplier_org_id, "awards.complaint_decided",
                          N_("The finance office decided your complaint about challenge %(number)s on lot %(lot)s of "
                             "tender %(reference)s: %(outcome)s."), award, extra,
                          link=notices.challenge_link(complaint.challenge_id))
        notices.tell_centre(award, "awards.complaint_decided",
                            N_("The finance office decided the complaint about challenge %(number)s on lot %(lot)s "
                               "of tender %(reference)s: %(outcome)s."), extra,
                            link=notices.challenge_link(complaint.challenge_id))
        award = services.get_award(award.id)
        if outcome == UPHELD and award.status in LIVE_AWARD_STATES:
            fail(award, message_payload(N_("The finance office upheld the complaint about challenge %(number)s."),
                                        {"number": number}), actor=actor, now=now)
    return complaint


def withdraw_complaint(actor, complaint_id, *, now: dt.datetime | None = None) -> Complaint:
    """The challenger withdraws a complaint not yet decided."""
    now = now or utcnow()
    with unit_of_work():
        complaint = _complaint(actor, complaint_id)
        if not policy.owns_challenge(actor, complaint.challenge):
            raise PermissionDenied(N_("Only the firm that lodged a complaint withdraws it."))
        before = complaint.snapshot()
        COMPLAINT.apply(Complaint, complaint.id, "withdraw", withdrawn_at=now)
        scheduler.cancel(DEADLINE_DECISION, COMPLAINT_TYPE, complaint.id)
        db.session.refresh(complaint)
        audit.record("awards.complaint_withdrawn", complaint, before=before, after=complaint.snapshot(), actor=actor)
        notices.record_on_lot_projects(complaint.award, "award_complaint_withdrawn", actor=actor,
                                       challenge=complaint.challenge.number)
        notices.tell_reviewers(complaint.award, "awards.complaint_withdrawn",
                               N_("The complaint about challenge %(number)s on lot %(lot)s of tender %(reference)s "
                                  "was withdrawn."), {"number": complaint.challenge.number})
    return complaint


def flag_decision_overdue(complaint_id: int, due_at: dt.datetime) -> None:
    """Chronograph handler (`awards.complaint_decision_due`): a complaint still undecided at its
    deadline is flagged and the finance office told, once. Idempotent; no commit."""
    from procurement.tendering.services import CHRONOGRAPH

    complaint = db.session.get(Complaint, int(complaint_id))
    if (complaint is None or complaint.status != LODGED or complaint.decision_overdue_at is not None
            or utcnow() < complaint.decision_due_at):
        return
    done = db.session.execute(update(Complaint).where(Complaint.id == complaint.id, Complaint.status == LODGED,
                                                      Complaint.decision_overdue_at.is_(None))
                              .values(decision_overdue_at=complaint.decision_due_at)
                              .execution_options(synchronize_session="fetch"))
    if done.rowcount != 1:
        return
    audit.record("awards.complaint_overdue", complaint, after=complaint.snapshot(), actor=CHRONOGRAPH)
    notices.tell_reviewers(complaint.award, "awards.complaint_overdue",
                           N_("The complaint about challenge %(number)s on lot %(lot)s of tender %(reference)s was "
                              "not decided by %(deadline)s."),
                           {"number": complaint.challenge.number, "deadline": china_time(complaint.decision_due_at)})
