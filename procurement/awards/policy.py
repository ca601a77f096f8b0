"""Who may do what with awards, challenges and complaints (one function per rule; services
enforce them, pages ask the same functions through `can(...)`).

- The tender's procurement centre sends the recommendation, publishes the award notice, records
  a winner's withdrawal or refusal, chooses the next step of a failed award and answers
  challenges.
- The finance office of the tender's **city** reviews the recommendation (approve or return)
  and decides complaints; a finance office of another city is refused.
- An award is public once its notice is published; before that the centre, the city's finance
  office and platform staff see it, and a firm sees the offer made to it.
- Bidders of the lot (firms whose bid was opened) challenge the notice within its window; the
  challenger complains about the answer (or the missing answer) within the complaint window.
  A challenge's text and answer, and a complaint's, are seen by the challenger's firm, the
  centre, the city's finance office and platform staff; the public sees number, dates and status.
- Time matters as much as status: windows are compared with the clock on every call.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core import roles as R
from core.extensions import db
from core.policy import has_role, in_organisation, is_platform
from core.timeutil import utcnow
from procurement.awards.states import (
    ANSWERED,
    APPROVED,
    FINANCE_REVIEW,
    LIVE_AWARD_STATES,
    LODGED,
    NOTIFIED,
    RETURNED,
)
from procurement.tendering import policy as tender_policy


def _now(now):
    return now or utcnow()


def _firm(user, org_id) -> bool:
    return has_role(user, R.SUPPLIER) and org_id is not None and in_organisation(user, org_id)


# ------------------------------------------------------------------ the award

def can_manage_award(user, tender) -> bool:
    """The tender's own centre: recommendation, notice, withdrawals, next step, answers."""
    return tender_policy.can_manage_tender(user, tender)


def is_award_reviewer(user, tender) -> bool:
    """The finance office of the tender's city (reviews recommendations, decides complaints)."""
    return tender_policy.is_tender_reviewer(user, tender)


def is_finance_reviewer(user) -> bool:
    """A finance reviewer of any city (told "not yours" rather than "no such thing" when it
    tries to decide another city's complaint)."""
    return has_role(user, R.FINANCE_REVIEWER)


def is_staff(user, tender) -> bool:
    """The centre, the city's finance office, platform staff."""
    return can_manage_award(user, tender) or is_award_reviewer(user, tender) or is_platform(user)


def is_public(award) -> bool:
    """An award notice has been published for it."""
    return award.notice_number > 0


def can_view_award(user, award) -> bool:
    """Public once notified; before that its staff and the firms it was offered to."""
    return (is_public(award) or is_staff(user, award.tender)
            or any(_firm(user, o.supplier_org_id) for o in award.offers))


def owns_offer(user, offer) -> bool:
    """A supplier person of the firm the offer is made to."""
    return _firm(user, offer.supplier_org_id)


# ------------------------------------------------------------------ bidders and challenges

def bidder_firms(lot_id: int) -> set[int]:
    """Firms whose bid on the lot was opened (valid or void)."""
    from procurement.opening.models import OpenedBid

    return set(db.session.execute(select(OpenedBid.supplier_org_id).where(OpenedBid.lot_id == int(lot_id)))
               .scalars())


def is_bidder(user, lot_id: int) -> bool:
    """A supplier person of a firm that bid on the lot."""
    org_id = getattr(user, "organisation_id", None)
    return has_role(user, R.SUPPLIER) and org_id is not None and org_id in bidder_firms(lot_id)


def challenge_window_open(award, now: dt.datetime | None = None) -> bool:
    """A notice is published, the award still lives, and its challenge window has not ended."""
    return (is_public(award) and award.status in LIVE_AWARD_STATES and award.challenge_until is not None
            and _now(now) < award.challenge_until)


def can_challenge(user, award, now: dt.datetime | None = None) -> bool:
    return is_bidder(user, award.lot_id) and challenge_window_open(award, now)


def owns_challenge(user, challenge) -> bool:
    return _firm(user, challenge.supplier_org_id)


def can_see_challenge(user, challenge) -> bool:
    """Its text and answer: the challenger's firm, the centre, the city's finance office, platform staff."""
    return owns_challenge(user, challenge) or is_staff(user, challenge.award.tender)


def can_answer_challenge(user, challenge) -> bool:
    return can_manage_award(user, challenge.award.tender) and challenge.status == LODGED


def complaint_open(challenge, now: dt.datetime | None = None) -> bool:
    """Answered, or unanswered past its answer deadline; and before the complaint window ends."""
    now = _now(now)
    ripe = challenge.status == ANSWERED or (challenge.status == LODGED and now >= challenge.answer_due_at)
    return ripe and now < challenge.complaint_until and challenge.complaint is None


def can_complain(user, challenge, now: dt.datetime | None = None) -> bool:
    return owns_challenge(user, challenge) and complaint_open(challenge, now)


def can_decide_complaint(user, complaint) -> bool:
    return is_award_reviewer(user, complaint.award.tender) and complaint.status == LODGED


def can_publish(user, award) -> bool:
    """Used by pages: the centre, once the finance office approved."""
    return can_manage_award(user, award.tender) and award.status == APPROVED


def can_review(user, award) -> bool:
    """Used by pages: the city's finance office, while the recommendation waits."""
    return is_award_reviewer(user, award.tender) and award.status == FINANCE_REVIEW


def can_record_withdrawal(user, award) -> bool:
    """Used by pages: the centre, while a firm holds the award."""
    return can_manage_award(user, award.tender) and award.status in (FINANCE_REVIEW, RETURNED, APPROVED, NOTIFIED)
