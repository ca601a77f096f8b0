"""Who may do what with pooling rounds and tenders (one function per rule; services enforce
them, routes and templates ask the same functions through `can(...)`).

- a city's procurement centre (procurement officers of the centre) runs its rounds and tenders;
- the city's finance office reviews tenders before publication;
- purchasers contribute their own projects' bill lines;
- verified suppliers ask questions while clarifications are open;
- everyone, signed in or not, reads a tender once it is published; before that only its centre,
  the city's finance office and platform staff see it. The asker of a question is known to the
  centre alone.

Time matters as much as status: a published tender whose deadline has passed is treated as
closed here even if the chronograph has not run yet ("checked again on read").
"""

from __future__ import annotations

import datetime as dt

from core import roles as R
from core.policy import has_role, in_organisation, is_platform, is_signed_in, organisation_of, same_city
from core.timeutil import utcnow
from procurement.machine.stages import PROCUREMENT
from procurement.projects.policy import is_own_purchaser
from procurement.tendering.states import APPROVED, DRAFT, FINANCE_REVIEW, PUBLIC_STATES, PUBLISHED


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or utcnow()


# ------------------------------------------------------------------ centres and finance offices

def is_centre_officer(user, centre_org_id: int) -> bool:
    """A procurement officer of that procurement centre."""
    org = organisation_of(user)
    return (has_role(user, R.PROCUREMENT_OFFICER) and in_organisation(user, centre_org_id)
            and org is not None and org.kind == R.ORG_CENTRE)


def centre_of(user):
    """The procurement centre `user` works for as an officer (with a city), or None."""
    org = organisation_of(user)
    if (has_role(user, R.PROCUREMENT_OFFICER) and org is not None and org.kind == R.ORG_CENTRE
            and org.city_id is not None):
        return org
    return None


def can_open_round(user) -> bool:
    """Procurement officers of a city's centre open pooling rounds (and draft tenders)."""
    return centre_of(user) is not None


def can_manage_round(user, pooling_round) -> bool:
    return is_centre_officer(user, pooling_round.centre_org_id)


def can_manage_tender(user, tender) -> bool:
    """The tender's own centre edits, submits, publishes, amends, cancels and answers questions."""
    return is_centre_officer(user, tender.centre_org_id)


def can_edit_draft(user, tender) -> bool:
    return can_manage_tender(user, tender) and tender.status == DRAFT


def is_tender_reviewer(user, tender) -> bool:
    """The finance office of the tender's city."""
    return has_role(user, R.FINANCE_REVIEWER) and same_city(user, tender.city_id)


def can_review_tender(user, tender) -> bool:
    return is_tender_reviewer(user, tender) and tender.status == FINANCE_REVIEW


def can_publish_tender(user, tender) -> bool:
    return can_manage_tender(user, tender) and tender.status == APPROVED


# ------------------------------------------------------------------ reading

def is_public(tender) -> bool:
    """Published (or later): readable by anyone, without signing in."""
    return tender.status in PUBLIC_STATES


def can_view_tender(user, tender) -> bool:
    return (is_public(tender) or can_manage_tender(user, tender) or is_tender_reviewer(user, tender)
            or is_platform(user))


def can_see_asker(user, tender) -> bool:
    """Only the centre running the tender learns who asked a question."""
    return can_manage_tender(user, tender)


# ------------------------------------------------------------------ time-dependent rules

#: Methods whose offers are made in negotiation rounds, not as sealed bids (DOMAIN.md 9: an open
#: tender allows no re-bidding; rounds of improved offers belong to negotiation and consultation).
NEGOTIATED_METHODS = ("competitive_negotiation", "competitive_consultation")


def takes_sealed_bids(tender) -> bool:
    """The tender is answered with sealed bids (and their bonds and opening), not negotiation rounds."""
    return getattr(tender, "method", None) not in NEGOTIATED_METHODS


def is_open_for_bids(tender, now: dt.datetime | None = None) -> bool:
    """Published and before the bid deadline (server clock, no grace)."""
    return (tender.status == PUBLISHED and tender.bid_deadline_at is not None
            and _now(now) < tender.bid_deadline_at)


def questions_open(tender, now: dt.datetime | None = None) -> bool:
    """Published and before the clarification cut-off."""
    return (is_open_for_bids(tender, now) and tender.clarification_cutoff_at is not None
            and _now(now) < tender.clarification_cutoff_at)


def can_ask_question(user, tender, now: dt.datetime | None = None) -> bool:
    """A person of a verified supplier firm, while questions are open."""
    org = organisation_of(user)
    return (has_role(user, R.SUPPLIER) and org is not None and org.kind == R.ORG_SUPPLIER
            and org.status == "verified" and questions_open(tender, now))


def can_amend_tender(user, tender, now: dt.datetime | None = None) -> bool:
    """The centre amends a published tender until its deadline."""
    return can_manage_tender(user, tender) and is_open_for_bids(tender, now)


def can_follow_tender(user, tender) -> bool:
    return is_signed_in(user) and is_public(tender)


# ------------------------------------------------------------------ purchasers

def can_contribute(user, project) -> bool:
    """The project's own purchaser, while the project is in the procurement stage."""
    return is_own_purchaser(user, project) and project.stage == PROCUREMENT


def documents_available(tender) -> bool:
    """Published documents stay downloadable for good (the availability period of the profile
    is a minimum checked at publication, not a reason to take them down)."""
    return is_public(tender) and tender.published_at is not None


# ------------------------------------------------------------------ clarifications and opportunities

def is_verified_supplier(user) -> bool:
    """A person with the supplier role at a verified supplier firm (asks questions, hears of
    opportunities)."""
    org = organisation_of(user)
    return (has_role(user, R.SUPPLIER) and org is not None and org.kind == R.ORG_SUPPLIER
            and org.status == "verified")


def can_answer_question(user, tender, now: dt.datetime | None = None) -> bool:
    """The tender's centre answers questions while the tender is open for bids (an answer after
    the clarification cut-off that changes the tender goes with an amendment, which moves the
    deadline)."""
    return can_manage_tender(user, tender) and is_open_for_bids(tender, now)


# ------------------------------------------------------------------ pooling rounds (issue 10, pooling)

def is_collecting(pooling_round, now: dt.datetime | None = None) -> bool:
    """Open and before its closing time (server clock): the round takes contributions. A round
    whose closing time has passed is closed here even if the chronograph has not run yet."""
    from procurement.pooling.models import ROUND_OPEN

    return pooling_round.status == ROUND_OPEN and _now(now) < pooling_round.closes_at


def can_view_round(user, pooling_round) -> bool:
    """Its centre, the purchasers and city offices of its city, platform staff."""
    return (is_centre_officer(user, pooling_round.centre_org_id) or is_platform(user)
            or (has_role(user, R.PURCHASER, R.FINANCE_REVIEWER, R.PROCUREMENT_OFFICER, R.INSPECTOR)
                and same_city(user, pooling_round.city_id)))


def visible_rounds_filter(user):
    """SQL condition selecting the rounds `user` may see (the list form of `can_view_round`)."""
    from sqlalchemy import false, or_, true

    from procurement.pooling.models import PoolingRound

    if is_platform(user):
        return true()
    conds = []
    org = organisation_of(user)
    if has_role(user, R.PROCUREMENT_OFFICER) and org is not None and org.kind == R.ORG_CENTRE:
        conds.append(PoolingRound.centre_org_id == org.id)
    if (has_role(user, R.PURCHASER, R.FINANCE_REVIEWER, R.PROCUREMENT_OFFICER, R.INSPECTOR)
            and org is not None and org.city_id is not None):
        conds.append(PoolingRound.city_id == org.city_id)
    return or_(*conds) if conds else false()


def can_close_round(user, pooling_round) -> bool:
    from procurement.pooling.models import ROUND_OPEN

    return can_manage_round(user, pooling_round) and pooling_round.status == ROUND_OPEN


def can_cancel_round(user, pooling_round) -> bool:
    from procurement.pooling.models import ROUND_CLOSED, ROUND_OPEN

    return can_manage_round(user, pooling_round) and pooling_round.status in (ROUND_OPEN, ROUND_CLOSED)


def pooling_purchaser_city(user) -> int | None:
    """The city whose rounds `user` may contribute to (a purchaser of an organisation of a city)."""
    org = organisation_of(user)
    if has_role(user, R.PURCHASER) and org is not None and org.kind == R.ORG_PURCHASER and org.city_id is not None:
        return org.city_id
    return None


def can_contribute_to_round(user, pooling_round, now: dt.datetime | None = None) -> bool:
    """A purchaser of the round's city while the round is collecting (which projects and lines:
    `can_contribute` and the service's checks)."""
    return pooling_purchaser_city(user) == pooling_round.city_id and is_collecting(pooling_round, now)


def can_withdraw_line(user, pooled_line) -> bool:
    """The project's own purchaser, while the line is contributed and not in a lot."""
    from procurement.pooling.models import LINE_CONTRIBUTED

    return is_own_purchaser(user, pooled_line.project) and pooled_line.status == LINE_CONTRIBUTED


def can_see_round_lines(user, pooling_round) -> bool:
    """Every project's lines in a round: its centre, the city's finance office and inspectors,
    platform staff (a purchaser sees the totals and its own lines only)."""
    return (is_centre_officer(user, pooling_round.centre_org_id) or is_platform(user)
            or (has_role(user, R.FINANCE_REVIEWER, R.INSPECTOR) and same_city(user, pooling_round.city_id)))
