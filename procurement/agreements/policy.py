"""Who may do what with agreements (one function per rule; services enforce them, pages ask the
same functions through `can(...)`). The call-off orders' rules are in `procurement.orders.policy`.

- The agreement's procurement centre prepares, signs, publishes, terminates and cancels it.
- Staff of the agreement (its centre, the city's finance office, platform staff) see it at any
  time; once published it is public; before that its suppliers and the purchasers of projects
  that hold a quota in it see it too.
- Time matters as much as status: the validity is compared with the China date on every call.
"""

from __future__ import annotations

import datetime as dt

from core import roles as R
from core.policy import has_role, in_organisation, is_platform, same_city
from core.timeutil import CHINA, utcnow
from procurement.agreements.states import DRAFT, IN_FORCE_STATES, PUBLISHED, SIGNED
from procurement.projects.policy import is_own_purchaser
from procurement.tendering.policy import is_centre_officer


#: Who hears of a step, by organisation (services name no roles themselves).
SUPPLIER_RECIPIENTS = (R.SUPPLIER,)
CENTRE_RECIPIENTS = (R.PROCUREMENT_OFFICER,)


def china_day(now: dt.datetime | None = None) -> dt.date:
    return (now or utcnow()).astimezone(CHINA).date()


def is_firm_member(user, org_id) -> bool:
    """A supplier person of the firm `org_id`."""
    return has_role(user, R.SUPPLIER) and org_id is not None and in_organisation(user, org_id)


# ------------------------------------------------------------------ agreements

def can_manage_agreement(user, agreement) -> bool:
    """The agreement's own procurement centre."""
    return is_centre_officer(user, agreement.centre_org_id)


def can_sign(user, agreement) -> bool:
    return can_manage_agreement(user, agreement) and agreement.status == DRAFT


def can_publish(user, agreement) -> bool:
    return can_manage_agreement(user, agreement) and agreement.status == SIGNED


def can_terminate(user, agreement) -> bool:
    return can_manage_agreement(user, agreement) and agreement.status in IN_FORCE_STATES


def can_cancel_draft(user, agreement) -> bool:
    return can_manage_agreement(user, agreement) and agreement.status == DRAFT


def is_staff(user, agreement) -> bool:
    """The centre, the city's finance office, platform staff."""
    return (can_manage_agreement(user, agreement) or is_platform(user)
            or (has_role(user, R.FINANCE_REVIEWER) and same_city(user, agreement.city_id)))


def is_supplier_of(user, agreement) -> bool:
    return any(is_firm_member(user, s.supplier_org_id) for s in agreement.suppliers)


def is_quota_purchaser(user, agreement) -> bool:
    return any(is_own_purchaser(user, q.project) for q in agreement.quotas)


def can_view_agreement(user, agreement) -> bool:
    """Public once published; before that its staff, suppliers and quota holders' purchasers."""
    if agreement.status == DRAFT:
        return is_staff(user, agreement) or is_supplier_of(user, agreement)
    return (agreement.status == PUBLISHED or agreement.published_at is not None or is_staff(user, agreement)
            or is_supplier_of(user, agreement) or is_quota_purchaser(user, agreement))


def is_in_force(agreement, now: dt.datetime | None = None) -> bool:
    """Signed (or published) and its validity covers today's China date."""
    day = china_day(now)
    return agreement.status in IN_FORCE_STATES and agreement.valid_from <= day <= agreement.valid_until


POLICIES = {"manage_agreement": can_manage_agreement, "sign_agreement": can_sign,
            "publish_agreement": can_publish, "terminate_agreement": can_terminate,
            "cancel_agreement": can_cancel_draft, "view_agreement": can_view_agreement}
