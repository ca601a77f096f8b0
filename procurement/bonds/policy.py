"""Who may do what with bid bonds (one function per rule; services enforce them, pages ask the
same functions through `can(...)`).

- A person of a verified supplier firm posts a bond for a lot of a tender open for bids (server
  clock, no grace) and sees its own firm's bonds.
- The tender's procurement centre sees bonds only once the bid deadline has passed: before it, a
  list of bonds (even a count, or a guarantee waiting for verification) would tell the centre who
  is bidding. So bank guarantees are verified after the deadline and before opening, and refunds
  and forfeitures are the centre's after the deadline too.
"""

from __future__ import annotations

import datetime as dt

from core import roles as R
from core.policy import has_role, in_organisation, organisation_of
from core.timeutil import utcnow
from procurement.tendering.policy import can_manage_tender, is_open_for_bids, takes_sealed_bids
from procurement.tendering.states import CANCELLED, DRAFT, FINANCE_REVIEW, APPROVED, LOT_ACTIVE

_BEFORE_PUBLICATION = (DRAFT, FINANCE_REVIEW, APPROVED)


def is_verified_supplier(user) -> bool:
    org = organisation_of(user)
    return has_role(user, R.SUPPLIER) and org is not None and org.kind == R.ORG_SUPPLIER and org.status == "verified"


def can_post_bond(user, tender, lot, now: dt.datetime | None = None) -> bool:
    """A verified supplier, for an active lot of a tender open for sealed bids (a negotiated
    tender takes no bids, so no bid bonds)."""
    return (is_verified_supplier(user) and lot.tender_id == tender.id and lot.status == LOT_ACTIVE
            and is_open_for_bids(tender, now) and takes_sealed_bids(tender))


def owns_bond(user, bond) -> bool:
    """A supplier person of the firm that posted the bond."""
    return has_role(user, R.SUPPLIER) and in_organisation(user, bond.supplier_org_id)


def bonds_revealed(tender, now: dt.datetime | None = None) -> bool:
    """The bid deadline has passed (or the tender was cancelled after publication): who posted
    bonds may be known to the centre."""
    if tender.status in _BEFORE_PUBLICATION or tender.bid_deadline_at is None:
        return False
    return tender.status == CANCELLED or (now or utcnow()) >= tender.bid_deadline_at


def can_see_bonds(user, tender, now: dt.datetime | None = None) -> bool:
    """The tender's centre, after the deadline (see the module text)."""
    return can_manage_tender(user, tender) and bonds_revealed(tender, now)


def can_settle_bonds(user, tender, now: dt.datetime | None = None) -> bool:
    """Verify or reject guarantees, refund and forfeit: the tender's centre, after the deadline."""
    return can_see_bonds(user, tender, now)


def can_view_bond(user, bond, now: dt.datetime | None = None) -> bool:
    return owns_bond(user, bond) or can_see_bonds(user, bond.tender, now)
