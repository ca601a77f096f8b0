"""Who may do what with the expert pool and evaluation panels (one function per rule; services
enforce them, routes and templates ask the same functions through `can(...)`).

- A city's finance office (finance reviewers) keeps the city's expert pool: adds experts, changes
  their specialities and employer, deactivates and reactivates them.
- The tender's procurement centre requests a panel for a lot (or the whole tender) once the bid
  deadline has passed, draws it, draws replacements and cancels it.
- The finance office of the city and platform staff see panels (oversight); the centre sees who
  was drawn, as it convenes the panel. Bidders and the public see only the draw page, whose
  result appears once the draw is revealed (when the panel is complete or cancelled).
- Experts see and answer their own invitations; the scoring piece asks `is_panel_member`.
"""

from __future__ import annotations

import datetime as dt

from core import roles as R
from core.policy import has_role, is_platform, is_signed_in, organisation_of, same_city
from core.timeutil import utcnow
from procurement.evaluation.states import ACCEPTED, LIVE_PANEL_STATES
from procurement.tendering import policy as tender_policy
from procurement.tendering.states import (
    APPROVED,
    CANCELLED,
    DRAFT,
    FAILED,
    FINANCE_REVIEW,
)

#: The role and organisation kind of expert accounts (services create them through these).
EXPERT_ROLES = (R.EXPERT,)
POOL_ORG_KIND = R.ORG_EXPERT_POOL
#: Tender states in which no panel can be asked for: not yet published, or ended without award.
NO_PANEL_STATES = (DRAFT, FINANCE_REVIEW, APPROVED, CANCELLED, FAILED)


# ------------------------------------------------------------------ the pool

def finance_city_of(user) -> int | None:
    """The city whose expert pool `user` keeps: a finance reviewer of a city's finance office."""
    org = organisation_of(user)
    if has_role(user, R.FINANCE_REVIEWER) and org is not None and org.kind == R.ORG_FINANCE \
            and org.city_id is not None:
        return org.city_id
    return None


def can_manage_pool(user, city_id: int | None = None) -> bool:
    """The finance office of `city_id` (of any city when not given) keeps the pool."""
    city = finance_city_of(user)
    return city is not None and (city_id is None or city == city_id)


def can_view_expert(user, expert) -> bool:
    """The pool's finance office, platform staff and the expert themself."""
    return (can_manage_pool(user, expert.city_id) or is_platform(user)
            or (is_signed_in(user) and getattr(user, "id", None) == expert.user_id))


def is_expert(user) -> bool:
    """A signed-in evaluation expert (role `expert` in an expert-pool organisation)."""
    org = organisation_of(user)
    return has_role(user, R.EXPERT) and org is not None and org.kind == R.ORG_EXPERT_POOL


# ------------------------------------------------------------------ panels

def bids_closed(tender, now: dt.datetime | None = None) -> bool:
    """The bid deadline has passed (server clock, checked on read) and the tender is live."""
    return (tender.status not in NO_PANEL_STATES and tender.bid_deadline_at is not None
            and (now or utcnow()) >= tender.bid_deadline_at)


def can_manage_panels_of(user, tender) -> bool:
    """The tender's procurement centre asks for, draws and cancels its panels."""
    return tender_policy.can_manage_tender(user, tender)


def can_request_panel(user, tender, now: dt.datetime | None = None) -> bool:
    """The tender's centre, after the bid deadline (bidders are known, so conflicts can be checked)."""
    return can_manage_panels_of(user, tender) and bids_closed(tender, now)


def can_manage_panel(user, panel) -> bool:
    """The centre of the panel's tender draws, draws replacements and cancels."""
    return can_manage_panels_of(user, panel.tender)


def can_view_panel(user, panel) -> bool:
    """The centre, the city's finance office and platform staff (members see their invitation)."""
    return (can_manage_panel(user, panel) or is_platform(user)
            or (has_role(user, R.FINANCE_REVIEWER) and same_city(user, panel.city_id)))


def can_see_panels_of(user, tender) -> bool:
    """The list of a tender's panels: its centre, the city's finance office, platform staff."""
    return (tender_policy.can_manage_tender(user, tender) or tender_policy.is_tender_reviewer(user, tender)
            or is_platform(user))


def is_invited(user, member) -> bool:
    """The member row is `user`'s own invitation."""
    return is_expert(user) and member.expert is not None and member.expert.user_id == getattr(user, "id", None)


# ------------------------------------------------------------------ for the scoring piece

def panel_for(lot):
    """The live panel (requested, inviting or complete) that evaluates `lot`: the lot's own panel,
    else its tender's whole-tender panel; None when there is none."""
    from sqlalchemy import or_, select

    from core.extensions import db
    from procurement.evaluation.models import Panel

    return db.session.execute(
        select(Panel).where(Panel.status.in_(LIVE_PANEL_STATES),
                            or_(Panel.scope == f"lot:{lot.id}", Panel.scope == f"tender:{lot.tender_id}"))
        .order_by(Panel.lot_id.is_(None)).limit(1)).scalar_one_or_none()


def is_panel_member(user, lot) -> bool:
    """`user` is an expert who accepted a seat on the live panel of `lot`. (Scoring should also
    wait for the panel to be complete: ``panel_for(lot).status == "complete"``.)"""
    if not is_expert(user):
        return False
    panel = panel_for(lot)
    return panel is not None and any(m.status == ACCEPTED and m.expert.user_id == user.id for m in panel.members)


def panel_tenders_filter(user):
    """SQL condition selecting the tenders whose panels `user` may see (the list form of
    `can_see_panels_of`)."""
    from sqlalchemy import false, true

    from procurement.tendering.models import Tender

    if is_platform(user):
        return true()
    centre = tender_policy.centre_of(user)
    if centre is not None:
        return Tender.centre_org_id == centre.id
    org = organisation_of(user)
    if has_role(user, R.FINANCE_REVIEWER) and org is not None and org.city_id is not None:
        return Tender.city_id == org.city_id
    return false()
