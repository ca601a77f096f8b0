"""Reading tenders: one tender for whoever may see it, the public list, the lists of the people who
work on tenders, the counts of their worklists and the closed pooling rounds a centre can tender.
(The use cases that change tenders are `services`, `drafts` and `amendments`.)"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from core.errors import NotFound
from core.extensions import db
from core.i18n import N_
from core.policy import is_platform
from core.timeutil import utcnow
from procurement.pooling.models import ROUND_CLOSED, PoolingRound
from procurement.tendering import policy
from procurement.tendering.models import Lot, Tender
from procurement.tendering.states import APPROVED, CLOSED, DRAFT, FINANCE_REVIEW, PUBLIC_STATES, PUBLISHED


def get_tender(actor, tender_id: int) -> Tender:
    """The tender if `actor` may see it (NotFound otherwise: no hint that it exists)."""
    tender = db.session.get(Tender, int(tender_id))
    if tender is None or not policy.can_view_tender(actor, tender):
        raise NotFound(N_("No such tender."))
    return tender


def find_tender(actor, ref) -> Tender:
    """A tender by id (digits) or reference, if `actor` may see it."""
    ref = str(ref or "").strip()
    if ref.isdigit() and len(ref) <= 9:
        tender = db.session.get(Tender, int(ref))
    else:
        tender = db.session.execute(select(Tender).where(Tender.reference == ref[:40])).scalar_one_or_none()
    if tender is None or not policy.can_view_tender(actor, tender):
        raise NotFound(N_("No such tender."))
    return tender


def public_tenders_query(*, status: str | None = None, city_id: int | None = None, category_id: int | None = None,
                         now: dt.datetime | None = None):
    """Published (or later) tenders, optionally filtered. The status filter reads the clock: a
    published tender past its deadline counts as closed (the chronograph may not have run yet)."""
    now = now or utcnow()
    stmt = select(Tender).where(Tender.status.in_(PUBLIC_STATES))
    if status == PUBLISHED:
        stmt = stmt.where(Tender.status == PUBLISHED, Tender.bid_deadline_at > now)
    elif status == CLOSED:
        stmt = stmt.where(or_(Tender.status == CLOSED, and_(Tender.status == PUBLISHED, Tender.bid_deadline_at <= now)))
    elif status in PUBLIC_STATES:
        stmt = stmt.where(Tender.status == status)
    if city_id is not None:
        stmt = stmt.where(Tender.city_id == city_id)
    if category_id is not None:
        stmt = stmt.where(Tender.id.in_(select(Lot.tender_id).where(Lot.category_id == category_id)))
    return stmt


def _page(stmt, order, page: int, per_page: int) -> tuple[list[Tender], int]:
    total = db.session.execute(select(func.count()).select_from(stmt.subquery())).scalar()
    rows = list(db.session.execute(stmt.options(selectinload(Tender.lots)).order_by(*order)
                                   .limit(per_page).offset((page - 1) * per_page)).scalars())
    return rows, total


def list_public(*, status=None, city_id=None, category_id=None, page: int = 1, per_page: int = 20, now=None):
    """(tenders, total) of the public list, newest publication first."""
    stmt = public_tenders_query(status=status, city_id=city_id, category_id=category_id, now=now)
    return _page(stmt, (Tender.published_at.desc().nulls_last(), Tender.id.desc()), page, per_page)


def managed_query(actor):
    """The tenders `actor` works on: its centre's (procurement officers), its city's once
    submitted (finance office), every one (platform staff); None for anyone else."""
    centre = policy.centre_of(actor)
    if centre is not None:
        return select(Tender).where(Tender.centre_org_id == centre.id)
    if is_platform(actor):
        return select(Tender)
    org = getattr(actor, "organisation", None)
    city_id = getattr(org, "city_id", None)
    if city_id is not None and policy.is_tender_reviewer(actor, SimpleNamespace(city_id=city_id)):
        return select(Tender).where(Tender.city_id == city_id, Tender.status != DRAFT)
    return None


def list_managed(actor, *, status: str | None = None, page: int = 1, per_page: int = 20):
    """(tenders, total) of `actor`'s worklist of tenders; ([], 0) when it has none."""
    stmt = managed_query(actor)
    if stmt is None:
        return [], 0
    if status:
        stmt = stmt.where(Tender.status == status)
    return _page(stmt, (Tender.updated_at.desc(), Tender.id.desc()), page, per_page)


def count_awaiting_review(city_id: int) -> int:
    """Tenders of the city waiting for the finance office (one query)."""
    return db.session.execute(select(func.count(Tender.id)).where(Tender.city_id == city_id,
                                                                  Tender.status == FINANCE_REVIEW)).scalar()


def count_to_publish(centre_org_id: int) -> int:
    """Approved tenders of a centre waiting to be published (one query)."""
    return db.session.execute(select(func.count(Tender.id)).where(Tender.centre_org_id == centre_org_id,
                                                                  Tender.status == APPROVED)).scalar()


def closed_rounds(actor) -> list[PoolingRound]:
    """The closed pooling rounds `actor`'s centre can build a tender from (newest first)."""
    centre = policy.centre_of(actor)
    if centre is None:
        return []
    return list(db.session.execute(select(PoolingRound).where(PoolingRound.centre_org_id == centre.id,
                                                              PoolingRound.status == ROUND_CLOSED)
                                   .order_by(PoolingRound.id.desc())).scalars())
