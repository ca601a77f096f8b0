""""Waiting for you" items (`core.worklists`, registered by `agreements.wiring`), one query each:

- a procurement centre: its awarded lots waiting for a signed agreement (signing due 30 days
  after the award notice) and its signed agreements waiting for publication (due 2 working days
  after signing); each split into overdue and still due, overdue first, labelled with the
  earliest last day (deadlines are checked again on read, whatever the chronograph did);
- a supplier: the orders placed with it waiting for its confirmation;
- a purchaser: its projects' delivered orders waiting for its acceptance.

The link goes to the one agreement or order when one waits, else to the list.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core import roles as R
from core.extensions import db
from core.policy import has_role, organisation_of
from core.timeutil import utcnow
from core.worklists import WorkItem
from procurement.awards.deadlines import china_day, end_of_day, last_day
from procurement.blueprints import page_path


def _centre(user):
    org = organisation_of(user)
    return org if org is not None and has_role(user, R.PROCUREMENT_OFFICER) else None


def _split(dues: list[dt.datetime], now: dt.datetime) -> tuple[list, list]:
    """(overdue, still due) last days, each earliest first."""
    overdue = sorted(last_day(d) for d in dues if now >= d)
    due = sorted(last_day(d) for d in dues if now < d)
    return overdue, due


def _items(dues, now, overdue_label, due_label, url) -> list[WorkItem]:
    """Overdue first; `*_label(date)` gives the label naming the earliest last day."""
    overdue, due = _split(dues, now)
    out = []
    if overdue:
        out.append(WorkItem(overdue_label(overdue[0].isoformat()), len(overdue), url))
    if due:
        out.append(WorkItem(due_label(due[0].isoformat()), len(due), url))
    return out


def lots_to_sign(user, now: dt.datetime | None = None) -> list[WorkItem]:
    """A centre's notified awards whose lot has no signed agreement yet, by signing deadline."""
    from procurement.agreements.models import Agreement
    from procurement.agreements.states import DRAFT
    from procurement.agreements.states import CANCELLED as AGREEMENT_CANCELLED
    from procurement.awards.models import Award
    from procurement.agreements.services import sign_due_at
    from procurement.awards.states import NOTIFIED
    from procurement.profiles.models import ProcedureProfile
    from procurement.tendering.models import Tender

    org = _centre(user)
    if org is None:
        return []
    now = now or utcnow()
    signed = select(Agreement.lot_id).where(Agreement.status.not_in((DRAFT, AGREEMENT_CANCELLED)))
    rows = db.session.execute(
        select(Award.id, Award.notice_at, ProcedureProfile.contract_sign_days)
        .join(Tender, Tender.id == Award.tender_id)
        .outerjoin(ProcedureProfile, ProcedureProfile.id == Award.profile_id)
        .where(Tender.centre_org_id == org.id, Award.status == NOTIFIED, Award.notice_at.is_not(None),
               Award.lot_id.not_in(signed))).all()
    # The same deadline as `agreements.services.sign_due_at`, from the row; an award without a
    # stored profile (older data) asks that function.
    dues = [end_of_day(china_day(notice_at) + dt.timedelta(days=days)) if days is not None
            else sign_due_at(db.session.get(Award, award_id)) for award_id, notice_at, days in rows]
    return _items(dues, now,
                  lambda day: _l("Awarded lots overdue for signing (the first was due by %(date)s)", date=day),
                  lambda day: _l("Awarded lots waiting for an agreement (sign by %(date)s)", date=day),
                  page_path("agreements.overview"))


def agreements_to_publish(user, now: dt.datetime | None = None) -> list[WorkItem]:
    """A centre's signed agreements not yet published, by publication deadline."""
    from procurement.agreements.models import Agreement
    from procurement.agreements.states import SIGNED

    org = _centre(user)
    if org is None:
        return []
    now = now or utcnow()
    rows = db.session.execute(select(Agreement.id, Agreement.publish_due_at, Agreement.publish_overdue_at)
                              .where(Agreement.centre_org_id == org.id, Agreement.status == SIGNED,
                                     Agreement.publish_due_at.is_not(None))).all()
    # A flagged agreement is overdue even if its stored due time moved: the flag's time counts.
    dues = [min(due, flagged) if flagged is not None else due for _id, due, flagged in rows]
    url = (page_path("agreements.detail", agreement_id=rows[0][0]) if len(rows) == 1
           else page_path("agreements.overview"))
    return _items(dues, now,
                  lambda day: _l("Signed agreements overdue for publication (the first was due by %(date)s)",
                                 date=day),
                  lambda day: _l("Signed agreements waiting for publication (publish by %(date)s)", date=day), url)


def _orders_item(label, where) -> list[WorkItem]:
    from procurement.orders.models import Order

    count, first = db.session.execute(select(func.count(Order.id), func.min(Order.id)).where(*where)).one()
    if not count:
        return []
    url = page_path("agreements.order_page", order_id=first) if count == 1 else page_path("agreements.order_list")
    return [WorkItem(label, count, url)]


def orders_to_confirm(user) -> list[WorkItem]:
    """A supplier's placed orders, waiting for its confirmation (or refusal)."""
    from procurement.orders.models import Order
    from procurement.orders.states import PLACED

    org = organisation_of(user)
    if org is None or not has_role(user, R.SUPPLIER):
        return []
    return _orders_item(_l("Call-off orders waiting for your confirmation"),
                        (Order.supplier_org_id == org.id, Order.status == PLACED))


def orders_to_accept(user) -> list[WorkItem]:
    """A purchaser's delivered orders (its organisation's projects), waiting for its acceptance."""
    from procurement.orders.models import Order
    from procurement.orders.states import DELIVERED
    from procurement.projects.models import Project

    org = organisation_of(user)
    if org is None or not has_role(user, R.PURCHASER):
        return []
    mine = select(Project.id).where(Project.purchaser_org_id == org.id)
    return _orders_item(_l("Delivered orders waiting for your acceptance"),
                        (Order.project_id.in_(mine), Order.status == DELIVERED))


PROVIDERS = (lots_to_sign, agreements_to_publish, orders_to_confirm, orders_to_accept)
