"""What pages and the API read about agreements and orders (reads only).

- `agreements_for(user)`: the agreements a person works with: the centre's own, a supplier's,
  those holding quotas of a purchaser's projects, a finance office's city, all for platform
  staff; published ones for everyone else;
- `agreement_view(user, agreement, now)`: suppliers, quota use per project (ordered / quota, as
  a share for the progress bars), the orders the viewer may see, and the deadlines (overdue
  checked again on read);
- `lots_awaiting_agreement(user, now)`: for a centre, its notified awards with no live agreement
  and their signing deadline (30 days after the notice, overdue flagged on read);
- `orders_for(user)`: the orders of a purchaser's projects, of a supplier, of a centre's agreements.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import false, or_, select, true

from core import roles as R
from core.extensions import db
from core.policy import has_role, is_platform, organisation_of
from core.timeutil import utcnow
from procurement.agreements import policy
from procurement.agreements.models import Agreement, AgreementQuota, AgreementSupplier
from procurement.agreements.services import overdue_flags, sign_due_at
from procurement.agreements.states import LIVE_STATES, PUBLISHED
from procurement.orders import policy as order_policy
from procurement.orders.models import Order
from procurement.orders.states import COUNTING_STATES
from procurement.projects.models import Project
from procurement.projects.policy import official_city

LIMIT = 200


def percent(part: int, whole: int) -> int:
    """Whole percent of `part` in `whole` (0 when there is no whole), for the progress bars."""
    return 0 if not whole else min(100, (part * 100) // whole)


def _visible_filter(user):
    if is_platform(user):
        return true()
    conds = [Agreement.status == PUBLISHED]
    org = organisation_of(user)
    if org is not None:
        if has_role(user, R.PROCUREMENT_OFFICER):
            conds.append(Agreement.centre_org_id == org.id)
        if has_role(user, R.SUPPLIER):
            conds.append(Agreement.id.in_(select(AgreementSupplier.agreement_id)
                                          .where(AgreementSupplier.supplier_org_id == org.id)))
        if has_role(user, R.PURCHASER):
            conds.append(Agreement.id.in_(select(AgreementQuota.agreement_id).join(Project)
                                          .where(Project.purchaser_org_id == org.id)))
        city = official_city(user, R.FINANCE_REVIEWER)
        if city is not None:
            conds.append(Agreement.city_id == city)
    return or_(*conds) if conds else false()


def agreements_for(user) -> list[Agreement]:
    rows = db.session.execute(select(Agreement).where(_visible_filter(user))
                              .order_by(Agreement.id.desc()).limit(LIMIT)).unique().scalars()
    return [a for a in rows if policy.can_view_agreement(user, a)]


def quota_rows(agreement) -> list[dict]:
    return [{"quota": q, "project": q.project, "ordered": q.ordered_milli, "quantity": q.quantity_milli,
             "percent": percent(q.ordered_milli, q.quantity_milli)} for q in agreement.quotas]


def agreement_view(user, agreement, now: dt.datetime | None = None) -> dict:
    now = now or utcnow()
    orders = [o for o in db.session.execute(select(Order).where(Order.agreement_id == agreement.id)
                                            .order_by(Order.id)).unique().scalars()
              if order_policy.can_view_order(user, o)]
    quotas = quota_rows(agreement)
    if not (policy.is_staff(user, agreement) or policy.is_supplier_of(user, agreement)):
        quotas = [r for r in quotas if policy.is_quota_purchaser(user, _OneQuota(r["quota"]))]
    return {"agreement": agreement, "suppliers": list(agreement.suppliers), "quotas": quotas,
            "total_percent": percent(agreement.ordered_quantity_milli, agreement.total_quantity_milli),
            "orders": orders, "overdue": overdue_flags(agreement, now), "in_force": policy.is_in_force(agreement, now),
            "staff": policy.is_staff(user, agreement)}


class _OneQuota:
    """An agreement-like object holding one quota (to ask `is_quota_purchaser` about that quota)."""

    def __init__(self, quota):
        self.quotas = [quota]


def lots_awaiting_agreement(user, now: dt.datetime | None = None) -> list[dict]:
    """A centre's notified awards whose lot has no live agreement yet, with the signing deadline."""
    from procurement.awards.models import Award
    from procurement.awards.states import NOTIFIED
    from procurement.tendering.models import Tender

    now = now or utcnow()
    org = organisation_of(user)
    if org is None or not has_role(user, R.PROCUREMENT_OFFICER):
        return []
    live = select(Agreement.lot_id).where(Agreement.status.in_(LIVE_STATES))
    awards = db.session.execute(select(Award).join(Tender, Tender.id == Award.tender_id)
                                .where(Tender.centre_org_id == org.id, Award.status == NOTIFIED,
                                       Award.lot_id.not_in(live)).order_by(Award.notice_at)).unique().scalars()
    out = []
    for award in awards:
        due = sign_due_at(award)
        out.append({"award": award, "lot": award.lot, "tender": award.tender, "sign_due_at": due,
                    "overdue": due is not None and now >= due})
    return out


def orders_for(user) -> list[Order]:
    org = organisation_of(user)
    conds = []
    if is_platform(user):
        conds.append(true())
    if org is not None:
        if has_role(user, R.PURCHASER):
            conds.append(Order.project_id.in_(select(Project.id).where(Project.purchaser_org_id == org.id)))
        if has_role(user, R.SUPPLIER):
            conds.append(Order.supplier_org_id == org.id)
        if has_role(user, R.PROCUREMENT_OFFICER):
            conds.append(Order.agreement_id.in_(select(Agreement.id).where(Agreement.centre_org_id == org.id)))
    if not conds:
        return []
    rows = db.session.execute(select(Order).where(or_(*conds)).order_by(Order.id.desc()).limit(LIMIT)).unique().scalars()
    return [o for o in rows if order_policy.can_view_order(user, o)]


def project_quotas(user, project) -> list[dict]:
    """A project's quotas in agreements in force, with what remains (the order form's choices)."""
    rows = db.session.execute(select(AgreementQuota).join(Agreement)
                              .where(AgreementQuota.project_id == project.id)
                              .order_by(AgreementQuota.id)).unique().scalars()
    return [{"quota": q, "agreement": q.agreement, "percent": percent(q.ordered_milli, q.quantity_milli),
             "in_force": policy.is_in_force(q.agreement)} for q in rows]


def counting(order) -> bool:
    return order.status in COUNTING_STATES
