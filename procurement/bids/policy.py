"""Who may do what with sealed bids and opening keys (one home per rule).

- Bidding: people of a verified supplier firm, while the tender is open for bids (server clock,
  no grace: `tendering.policy.is_open_for_bids`).
- A bid and its receipts are seen by its own firm only. Before the deadline nobody else — not the
  centre, the finance office or platform staff — learns whether, how many or who bid.
- After the deadline the number of bids (and the Merkle root) is public; identities stay hidden
  until opening (next issue).
- Opening key holders: procurement officers of a centre and people of a city's finance office
  enrol; a tender's holders are the enrolled officers of its centre and the enrolled finance
  reviewers of its city.
"""

from __future__ import annotations

import datetime as dt

from core import roles as R
from core.policy import has_role, in_organisation, organisation_of
from core.timeutil import utcnow
from procurement.tendering import policy as tender_policy
from procurement.tendering.states import CLOSED, FAILED


def can_bid(user, tender, now: dt.datetime | None = None) -> bool:
    return (tender_policy.is_verified_supplier(user) and tender_policy.is_open_for_bids(tender, now)
            and tender_policy.takes_sealed_bids(tender))  # a negotiation's offers are made in its rounds


def is_supplier_person(user) -> bool:
    return has_role(user, R.SUPPLIER) and getattr(user, "organisation_id", None) is not None


def is_own_bid(user, bid) -> bool:
    return is_supplier_person(user) and in_organisation(user, bid.supplier_org_id)


def can_change_bid(user, bid, now: dt.datetime | None = None) -> bool:
    """Replace, withdraw or re-confirm: the bid's own (verified) firm, until the deadline."""
    return is_own_bid(user, bid) and can_bid(user, bid.tender, now)


def bids_sealed_from_view(tender, now: dt.datetime | None = None) -> bool:
    """Before the deadline the number and identity of bidders are hidden from everyone but each
    bidder (its own bids)."""
    if tender.status in (CLOSED, FAILED):
        return False  # tendering closed at the deadline
    return tender.bid_deadline_at is None or (now or utcnow()) < tender.bid_deadline_at


def can_see_bid_count(user, tender, now: dt.datetime | None = None) -> bool:
    """After the deadline: the count is public (shown with the Merkle root on the tender page)."""
    return tender_policy.is_public(tender) and not bids_sealed_from_view(tender, now)


def can_enrol_key_holder(user) -> bool:
    """Procurement officers of a city's centre, and finance reviewers of a city's finance office."""
    if tender_policy.centre_of(user) is not None:
        return True
    org = organisation_of(user)
    return (has_role(user, R.FINANCE_REVIEWER) and org is not None and org.kind == R.ORG_FINANCE
            and org.city_id is not None)


def is_key_holder_for(user, tender) -> bool:
    """May hold a share of the tender's opening key: its centre's officers and its city's
    finance reviewers."""
    return tender_policy.can_manage_tender(user, tender) or tender_policy.is_tender_reviewer(user, tender)
