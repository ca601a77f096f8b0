"""Who may do what with a negotiation: the one home of each rule, used by the services and by
pages (`can('manage_negotiation', n)` ...). No role names in the services."""

from __future__ import annotations

import datetime as dt

from core import roles as R
from core.policy import (
    has_role,
    in_organisation,
    is_platform,
    organisation_of,
    same_city,
)
from core.timeutil import utcnow
from procurement.negotiation.states import CONCLUDED, FAILED, LIVE_STATES, ROUND_OPEN
from procurement.tendering.policy import is_centre_officer, takes_sealed_bids


def can_start(user) -> bool:
    """A procurement officer of a procurement centre (the negotiation is its centre's)."""
    org = organisation_of(user)
    return org is not None and org.kind == R.ORG_CENTRE and is_centre_officer(user, org.id)


def can_manage(user, negotiation) -> bool:
    """The negotiation's own centre opens rounds and cancels."""
    return is_centre_officer(user, negotiation.centre_org_id)


def is_overseer(user, negotiation) -> bool:
    """The finance office of the negotiation's city and platform staff follow every step."""
    return (has_role(user, R.FINANCE_REVIEWER) and same_city(user, negotiation.city_id)) or is_platform(user)


def participant_org(user, negotiation) -> int | None:
    """The user's firm when it is invited to the negotiation (a supplier person), else None."""
    if not has_role(user, R.SUPPLIER):
        return None
    for p in negotiation.participants:
        if in_organisation(user, p.supplier_org_id):
            return p.supplier_org_id
    return None


def is_participant(user, negotiation) -> bool:
    return participant_org(user, negotiation) is not None


def can_view(user, negotiation) -> bool:
    """Its centre, overseers and invited firms; everyone once it is concluded or failed (the
    public result)."""
    return (negotiation.status in (CONCLUDED, FAILED) or can_manage(user, negotiation)
            or is_overseer(user, negotiation) or is_participant(user, negotiation))


def open_round(negotiation):
    """The round open for offers, if any."""
    return next((r for r in negotiation.rounds if r.status == ROUND_OPEN), None)


def can_offer(user, negotiation, now: dt.datetime | None = None) -> bool:
    """An invited firm's person, while a round is open and before its deadline, once per round."""
    rnd = open_round(negotiation)
    org_id = participant_org(user, negotiation)
    return (negotiation.status in LIVE_STATES and rnd is not None and (now or utcnow()) < rnd.deadline_at
            and org_id is not None and not any(o.supplier_org_id == org_id for o in rnd.offers))


def can_open_round(user, negotiation) -> bool:
    """The centre, while the negotiation is live and no round is open."""
    return (can_manage(user, negotiation) and negotiation.status in LIVE_STATES
            and open_round(negotiation) is None and not any(r.final for r in negotiation.rounds))


def is_negotiated_tender(tender) -> bool:
    """A tender of a negotiation method: its lots are negotiated (no sealed bids, DOMAIN.md 9:
    an open tender allows no re-bidding, so only these methods have rounds of offers)."""
    return not takes_sealed_bids(tender)


def lot_negotiable(lot) -> dict | None:
    """Why a lot may be negotiated, or None: its tender's method is a negotiation (`tender`),
    or the lot failed at opening (`opening`) or at its award's succession (`award`) and the
    centre chose the negotiation step. The dict is recorded with the negotiation's start."""
    from sqlalchemy import select

    from core.extensions import db
    from procurement.awards.models import Award
    from procurement.opening.models import LotOpening

    if is_negotiated_tender(lot.tender):
        return {"after": "tender", "tender_id": lot.tender_id, "lot_id": lot.id}
    outcome = db.session.execute(select(LotOpening).where(LotOpening.lot_id == lot.id)).scalar_one_or_none()
    if outcome is not None and outcome.status == "negotiation":
        return {"after": "opening", "tender_id": lot.tender_id, "lot_id": lot.id, "lot_opening_id": outcome.id}
    award = db.session.execute(select(Award).where(Award.lot_id == lot.id)).scalar_one_or_none()
    if award is not None and award.status == "negotiation":
        return {"after": "award", "tender_id": lot.tender_id, "lot_id": lot.id, "award_id": award.id}
    return None


def can_start_on_lot(user, lot) -> bool:
    """The lot's own centre, when the lot may be negotiated (`lot_negotiable`) and no live or
    concluded negotiation has it yet (the start form's link from a failed lot)."""
    from sqlalchemy import select

    from core.extensions import db
    from procurement.negotiation.models import Negotiation

    if not (can_start(user) and is_centre_officer(user, lot.tender.centre_org_id)) or lot_negotiable(lot) is None:
        return False
    return db.session.execute(select(Negotiation.id).where(Negotiation.lot_id == lot.id,
                                                           Negotiation.status.in_(LIVE_STATES + (CONCLUDED,)))
                              ).first() is None
