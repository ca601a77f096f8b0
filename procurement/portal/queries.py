"""What the public portal reads: published records only.

- tenders: published (open: before the deadline), closed, cancelled or failed (`PUBLIC_STATES`);
- opening records: only once the bids are opened (`opening.reading.opening_record`);
- awards: only once their notice is published (`notice_number > 0`);
- contracts: agreements with a publication time (`published_at`) in a published-or-later state;
- city figures: the monthly facts of notified awards, orders placed and published inspections,
  plus the city's targets."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from core.extensions import db
from core.models import City
from core.timeutil import today_cn, utcnow
from procurement.awards.models import Award
from procurement.oversight.models import MonthlyFact
from procurement.oversight.targets import targets_for
from procurement.tendering.models import Tender
from procurement.tendering.states import PUBLIC_STATES, PUBLISHED

LIMIT = 100
#: Facts a city's public figures show (aggregates of published or non-confidential records).
PUBLIC_METRICS = ("ordered_fen", "awarded_fen", "awarded_ceiling_fen", "awarded_lots", "inspections_published",
                  "rectifications", "rectifications_closed")


def open_tenders(city_id: int | None = None, *, now: dt.datetime | None = None, limit: int = LIMIT) -> list[Tender]:
    """Published tenders before their deadline, newest publication first."""
    now = now or utcnow()
    stmt = select(Tender).where(Tender.status == PUBLISHED, Tender.bid_deadline_at > now)
    if city_id is not None:
        stmt = stmt.where(Tender.city_id == city_id)
    return list(db.session.execute(stmt.options(selectinload(Tender.lots))
                                   .order_by(Tender.published_at.desc(), Tender.id.desc()).limit(limit)).scalars())


def closed_tenders(city_id: int | None = None, *, now: dt.datetime | None = None, limit: int = LIMIT) -> list[Tender]:
    """Public tenders no longer open for bids (deadline passed, closed, cancelled or failed)."""
    now = now or utcnow()
    stmt = select(Tender).where(Tender.status.in_(PUBLIC_STATES), Tender.published_at.is_not(None),
                                or_(Tender.status != PUBLISHED, Tender.bid_deadline_at <= now))
    if city_id is not None:
        stmt = stmt.where(Tender.city_id == city_id)
    return list(db.session.execute(stmt.order_by(Tender.bid_deadline_at.desc(), Tender.id.desc()).limit(limit))
                .scalars())


def public_tender(tender_id: int) -> Tender | None:
    """A tender the public may see, or None."""
    tender = db.session.get(Tender, tender_id)
    return tender if tender is not None and tender.status in PUBLIC_STATES and tender.published_at else None


def opened_tenders(limit: int = LIMIT) -> list[tuple[Tender, dt.datetime]]:
    """Tenders whose bids are opened (their opening record is public), newest opening first."""
    from procurement.opening.models import OpeningSession
    from procurement.opening.states import OPENED

    rows = db.session.execute(select(Tender, OpeningSession.opened_at)
                              .join(OpeningSession, OpeningSession.tender_id == Tender.id)
                              .where(OpeningSession.status == OPENED, Tender.status.in_(PUBLIC_STATES))
                              .order_by(OpeningSession.opened_at.desc()).limit(limit)).all()
    return [(t, at) for t, at in rows]


def public_awards(city_id: int | None = None, limit: int = LIMIT) -> list[Award]:
    """Awards whose notice is published, newest notice first."""
    stmt = (select(Award).join(Tender, Tender.id == Award.tender_id)
            .where(Award.notice_number > 0, Award.notice_at.is_not(None)))
    if city_id is not None:
        stmt = stmt.where(Tender.city_id == city_id)
    return list(db.session.execute(stmt.order_by(Award.notice_at.desc(), Award.id.desc()).limit(limit)).scalars())


def public_contracts(city_id: int | None = None, limit: int = LIMIT) -> list:
    """Published contracts and framework agreements, newest publication first."""
    from procurement.agreements.models import Agreement
    from procurement.agreements.states import EXPIRED, TERMINATED
    from procurement.agreements.states import PUBLISHED as AGREEMENT_PUBLISHED

    stmt = select(Agreement).where(Agreement.published_at.is_not(None),
                                   Agreement.status.in_((AGREEMENT_PUBLISHED, EXPIRED, TERMINATED)))
    if city_id is not None:
        stmt = stmt.where(Agreement.city_id == city_id)
    return list(db.session.execute(stmt.order_by(Agreement.published_at.desc(), Agreement.id.desc()).limit(limit))
                .scalars())


def city_figures(year: int | None = None) -> list[dict]:
    """Each city's headline figures for `year` (default: this year, to date): the public metrics'
    totals and the green-material target."""
    year = year or today_cn().year
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 1)
    totals: dict[int, dict] = {}
    for city_id, metric, value in db.session.execute(
            select(MonthlyFact.city_id, MonthlyFact.metric, func.sum(MonthlyFact.value))
            .where(MonthlyFact.month >= start, MonthlyFact.month <= end, MonthlyFact.metric.in_(PUBLIC_METRICS))
            .group_by(MonthlyFact.city_id, MonthlyFact.metric)):
        totals.setdefault(city_id, {})[metric] = int(value or 0)
    targets = targets_for(year)
    out = []
    for city in db.session.execute(select(City).order_by(City.code)).scalars():
        t = totals.get(city.id, {})
        target = targets.get(city.id)
        out.append({"city": city, "year": year, **{m: t.get(m, 0) for m in PUBLIC_METRICS},
                    "savings_fen": t.get("awarded_ceiling_fen", 0) - t.get("awarded_fen", 0),
                    "target_fen": target.green_amount_fen if target else None})
    return out
