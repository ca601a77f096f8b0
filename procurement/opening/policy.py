"""Who may do what at bid opening and qualification (one function per rule; services enforce
them, pages ask the same functions through `can(...)`).

- Opening happens only after the bid deadline (server clock, millisecond precision, read from
  the stored deadline: `deadline_passed`), whatever the tender's status says.
- A key holder unlocks only the share of a tender that names them (`KeyShare` rows), while they
  still hold the office that made them a holder (the tender's centre or its city's finance office).
- The opening session (who unlocked, when) is seen by the tender's centre, its city's finance
  office, its key holders and platform staff; the opening record (bidders, products, prices)
  is public once the bids are opened.
- Qualification results are seen by the centre, the finance office and platform staff; the
  centre overrides a result (with a reason), confirms a lot's qualification and chooses the
  next step of a failed lot. The lead adds evaluation panel members to
  `can_override_qualification` when panels exist.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core import roles as R
from core.extensions import db
from core.policy import is_platform
from core.timeutil import utcnow
from procurement.bids import policy as bid_policy
from procurement.tendering import policy as tender_policy


def deadline_passed(tender, now: dt.datetime | None = None) -> bool:
    """The stored bid deadline has passed (at the deadline itself: passed)."""
    return tender.bid_deadline_at is not None and (now or utcnow()) >= tender.bid_deadline_at


def holds_share(user, tender) -> bool:
    """`user` is named on one of the tender's key shares."""
    from procurement.bids.models import KeyShare

    user_id = getattr(user, "id", None)
    if user_id is None:
        return False
    return db.session.execute(select(KeyShare.id).where(KeyShare.tender_id == tender.id,
                                                        KeyShare.holder_user_id == user_id)).first() is not None


def can_unlock_share(user, tender, now: dt.datetime | None = None) -> bool:
    """A holder named on the tender's shares, still its centre's officer or its city's finance
    reviewer, after the deadline."""
    return (deadline_passed(tender, now) and tender_policy.takes_sealed_bids(tender)
            and bid_policy.is_key_holder_for(user, tender) and holds_share(user, tender))


def can_view_opening(user, tender) -> bool:
    """The session's progress: the centre, the city's finance office, platform staff, the
    tender's key holders."""
    return (tender_policy.can_manage_tender(user, tender) or tender_policy.is_tender_reviewer(user, tender)
            or is_platform(user) or holds_share(user, tender))


def can_view_qualification(user, tender) -> bool:
    """Per-bid check results: the centre, the city's finance office, platform staff."""
    return (tender_policy.can_manage_tender(user, tender) or tender_policy.is_tender_reviewer(user, tender)
            or is_platform(user))


def can_override_qualification(actor, lot) -> bool:
    """Override an automatic qualification result of a bid on `lot`: for now the procurement
    officers of the tender's centre (the lead adds evaluation panel members)."""
    return tender_policy.can_manage_tender(actor, lot.tender)


def can_decide_lot(actor, lot) -> bool:
    """Confirm a lot's qualification, choose a failed lot's next step: the tender's centre."""
    return tender_policy.can_manage_tender(actor, lot.tender)


def is_verified_supplier_firm(org) -> bool:
    """Qualification's "supplier verified and not suspended": a supplier firm whose verification
    stands (the platform has no separate suspension of firms)."""
    return org is not None and org.kind == R.ORG_SUPPLIER and org.status == "verified"
