"""Demo awards (`flask demo seed`, after the expert pools) and the one function other demos use to
reach a signable contract: `award_demo_tender`.

`award_demo_tender(ctx, tender, now=None, until=...)` takes a closed demo tender through opening
(the city's demo key holders), qualification, the panel draw (every drawn expert accepts),
evaluation (scores when the plan is comprehensive, the report issued and signed), the award
recommendation, the finance office's approval and the award notice, with past clocks counted
from the bid deadline, so the standstill period has ended when the deadline is old enough (the
demo's closed tenders were published 50 days ago). It returns the awards whose lots may now sign
a contract (`procurement.awards.gate.can_sign_contract`). Each step runs only when not done yet.

`seed_awards` takes each city's "tendering closed" demo tender as far as `PLAN` says, so the demo
shows an opening record and qualification (Nanjing, whose panel stays as the expert demo left
it), an award under the finance office's review (Shaoxing) and one whose standstill has ended
(Qingdao).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core import scheduler
from core.errors import ServiceError
from core.extensions import db
from core.timeutil import utcnow

QUALIFIED, REVIEW, NOTIFIED, ENDED = "qualified", "finance_review", "notified", "standstill_ended"
STOPS = (QUALIFIED, REVIEW, NOTIFIED, ENDED)
#: how far `seed_awards` takes each city's closed demo tender
PLAN = {"nanjing": QUALIFIED, "shaoxing": REVIEW, "qingdao": ENDED}
EVALUATE_AFTER = dt.timedelta(hours=1)
SUBMIT_AFTER = dt.timedelta(hours=27)
APPROVE_AFTER = dt.timedelta(days=2)
PUBLISH_AFTER = dt.timedelta(days=2, hours=2)


def _at(moment: dt.datetime) -> dt.datetime:
    return min(moment, utcnow())


def _city_code(ctx, tender) -> str | None:
    return next((code for code, c in ctx["cities"].items() if c.id == tender.city_id), None)


def _award_lot(centre, finance, tender, lot, base, until) -> None:
    from procurement.awards import services
    from procurement.awards.states import APPROVED, FINANCE_REVIEW

    award = services.award_for_lot(lot.id)
    if award is None:
        award = services.submit(centre, tender.id, lot.id, now=_at(base + SUBMIT_AFTER))
    if until == REVIEW:
        return
    if award.status == FINANCE_REVIEW:
        award = services.approve(finance, award.id, "推荐结果符合采购文件规定，同意授标。", now=_at(base + APPROVE_AFTER))
    if award.status == APPROVED:
        award = services.publish(centre, award.id, now=_at(base + PUBLISH_AFTER))
        _refunds(lot)


def _refunds(lot) -> None:
    """The losers' bond returns due by now are made now rather than at the next chronograph tick."""
    from procurement.bonds.models import Bond
    from procurement.bonds.states import REFUND_OBJECT_TYPE

    ids = db.session.execute(select(Bond.id).where(Bond.lot_id == lot.id)).scalars().all()
    db.session.commit()
    for bond_id in ids:
        scheduler.catch_up(REFUND_OBJECT_TYPE, bond_id)


def award_demo_tender(ctx, tender, *, now: dt.datetime | None = None, until: str = ENDED) -> list:
    """Take a closed demo tender to `until` (see the module text); the awards whose lots may sign
    their contract now (empty when the clock does not allow it yet or a step was refused)."""
    from procurement.awards import gate, services
    from procurement.demo_data import _actors
    from procurement.evaluation.scoring.demo import evaluate_demo_lot
    from procurement.opening.demo import open_demo_tender
    from procurement.opening.reading import lot_outcome
    from procurement.opening.states import QUALIFIED as LOT_QUALIFIED
    from procurement.tendering.demo import _centre_officer

    city = _city_code(ctx, tender)
    if city is None or until not in STOPS:
        return []
    base = now or tender.bid_deadline_at
    centre, finance = _centre_officer(ctx, city), _actors(ctx, city)[1]
    try:
        open_demo_tender(ctx, tender, city, now=base)
        if until == QUALIFIED:
            return []
        for lot in tender.lots:
            outcome = lot_outcome(lot.id)
            if outcome is None or outcome.status != LOT_QUALIFIED:
                continue
            if evaluate_demo_lot(centre, tender, lot, now=base + EVALUATE_AFTER):
                _award_lot(centre, finance, tender, lot, base, until)
    except ServiceError:
        db.session.rollback()
    db.session.expire_all()
    out = []
    for lot in tender.lots:
        if gate.can_sign_contract(lot)[0]:
            out.append(services.award_for_lot(lot.id))
    return out


def closed_demo_tender(ctx, city: str):
    """The city's "tendering closed" demo tender (by its title), or None."""
    from catalog.interface import find_category
    from procurement.tendering.demo import TITLE
    from procurement.tendering.models import Tender
    from procurement.tendering.states import CLOSED

    city_row = ctx["cities"].get(city)
    if city_row is None:
        return None
    for tender in db.session.execute(select(Tender).where(Tender.city_id == city_row.id, Tender.status == CLOSED)
                                     .order_by(Tender.id)).scalars():
        category = find_category(tender.lots[0].category_id) if tender.lots else None
        if category is not None and tender.title == TITLE["closed"].format(
                city=f"{city_row.name_zh}市", category=category.name_zh or category.name_en):
            return tender
    return None


def seed_awards(ctx) -> None:
    """Take each city's closed demo tender as far as `PLAN` says."""
    for city, until in PLAN.items():
        tender = closed_demo_tender(ctx, city)
        if tender is not None:
            award_demo_tender(ctx, tender, until=until)
            db.session.commit()
