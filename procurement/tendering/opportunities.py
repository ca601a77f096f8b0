"""Telling suppliers of a newly published tender that fits what they sell.

At publication (`announce`, called by the publish use case inside its transaction) every
supplier firm with a listed product that fits a lot is told once, with the names of all the lots
its products fit and a link to the public page. A product fits a lot when it is listed, its
stored verdict for the tender's city is "pass", it is of the lot's category and its declared
values meet the lot's requirements (the strictest of its lines' requirements; a lot without
stored requirements asks for the city's passing verdict only).

Only the people of a verified supplier firm holding the supplier role hear of it, in the app
and by e-mail (the notification centre, each in their own language). Announcing twice tells
nobody twice.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

import catalog.interface as catalog
from core.extensions import db
from core.i18n import N_
from core.models import Notification, User
from core.notifications import notify
from core.timeutil import china_time
from procurement.tendering import policy
from procurement.tendering.clarifications import tender_link
from procurement.tendering.follows import OPPORTUNITY_KIND
from procurement.tendering.states import LOT_ACTIVE

TEMPLATE = N_("New tender %(reference)s “%(title)s”: your listed products fit these lots: %(lots)s. Bids are due %(deadline)s.")


def _rule(data):
    from procurement.tendering.lots import rule_from_dict

    return rule_from_dict(data)


def fitting_suppliers(tender) -> dict[int, list]:
    """``{supplier organisation id: [lots its listed products fit]}`` (lots in number order):
    one query for the products of every lot's category in the tender's city."""
    lots = [lot for lot in tender.lots if lot.status == LOT_ACTIVE]
    offers = catalog.listed_passing_products_by_category(tender.city_id, {lot.category_id for lot in lots})
    fits: dict[int, list] = {}
    for lot in sorted(lots, key=lambda x: x.number):
        rules = [_rule(r) for r in (lot.requirements or [])]
        for offer in offers.get(lot.category_id, []):
            if rules and not catalog.meets(rules, offer):
                continue
            lots_of = fits.setdefault(offer.supplier.id, [])
            if lot not in lots_of:
                lots_of.append(lot)
    return fits


def announce(tender) -> int:
    """Notify the supplier people whose firms' listed products fit a lot of the just-published
    `tender`: one notice per person per tender, naming every lot that fits. No commit. Returns
    the number of firms told."""
    fits = fitting_suppliers(tender)
    if not fits:
        return 0
    link = tender_link(tender.id)
    told = set(db.session.execute(select(Notification.user_id).where(Notification.kind == OPPORTUNITY_KIND,
                                                                     Notification.link == link)).scalars())
    people = db.session.execute(select(User).where(User.organisation_id.in_(fits), User.active.is_(True))
                                .options(selectinload(User.organisation)).order_by(User.id)).scalars()
    by_org: dict[int, list[User]] = {}
    for user in people:
        if user.id not in told and policy.is_verified_supplier(user):
            by_org.setdefault(user.organisation_id, []).append(user)
    deadline = china_time(tender.bid_deadline_at)
    for org_id, users in sorted(by_org.items()):
        lots = "; ".join(f"{lot.number}. {lot.title}" for lot in fits[org_id])
        notify(users, OPPORTUNITY_KIND, TEMPLATE, {"reference": tender.reference, "title": tender.title,
                                                   "lots": lots, "deadline": deadline}, link=link)
    return len(by_org)
