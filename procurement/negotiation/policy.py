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
from procurement.tendering.policy import is_centre_officer


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
