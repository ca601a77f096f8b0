"""The Qingdao demo negotiation (`flask demo seed`, after the tenders): the city's first batch of
waterproofing for 13 government-funded projects (168,900 m² of SBS membrane, pooled by
`procurement.tendering.demo` into its batch tender, announced by competitive negotiation 40 days
ago) negotiated on that lot after the announcement's deadline, with the ceiling of the original
batch (168,900 m² × CNY 22.70 = CNY 3,834,030): four rounds of improved sealed offers and a
final-offer round among the four demo firms that make compliant membranes, ending at
CNY 2,339,300, 39 % below the ceiling.

Everything goes through the services with past clocks (rounds three days long, a month ago);
each round is closed by the chronograph's handler (`scheduler.catch_up`), so the offers are
sealed, the roots signed and the rankings told exactly as live. Idempotent: nothing is done when
the lot already has a negotiation.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core import scheduler
from core.errors import ServiceError
from core.extensions import db
from core.timeutil import utcnow

CEILING_FEN = 168_900 * 2_270          # CNY 3,834,030
STEP_BP, STEP_MIN_FEN = 100, 100_000   # 1 % of the previous offer, at least CNY 1,000
#: each firm's offer per round in CNY (None: no offer that round); the last column is the final round.
PRICES = [
    (3_650_000, 3_280_000, 2_950_000, 2_620_000, 2_339_300),
    (3_720_000, 3_450_000, 3_100_000, 2_800_000, 2_590_000),
    (3_590_000, 3_300_000, 2_990_000, 2_610_000, 2_402_000),
    (3_780_000, 3_600_000, None, 3_300_000, 3_300_000),
]
ROUND_DAYS = 3
START_DAYS_AGO = 30


def _qingdao_lot(ctx):
    from procurement.tendering.demo import QINGDAO_TITLE
    from procurement.tendering.models import Tender

    city = ctx["cities"].get("qingdao")
    if city is None:
        return None, None
    tender = db.session.execute(select(Tender).where(Tender.city_id == city.id, Tender.title == QINGDAO_TITLE)
                                ).scalar_one_or_none()
    return (tender, tender.lots[0]) if tender is not None and tender.lots else (None, None)


def seed_negotiations(ctx) -> None:
    """Create the Qingdao negotiation unless its lot has one."""
    from procurement.negotiation import services
    from procurement.negotiation.models import Negotiation
    from procurement.negotiation.states import ROUND_OBJECT
    from procurement.opening.demo import eligible_offers, supplier_person
    from procurement.tendering.demo import _centre_officer

    tender, lot = _qingdao_lot(ctx)
    if lot is None or db.session.execute(select(Negotiation.id).where(Negotiation.lot_id == lot.id)).first():
        return
    firms = [supplier_person(org_id) for org_id, _offer in eligible_offers(tender, lot)][:len(PRICES)]
    firms = [f for f in firms if f is not None]
    if len(firms) < 3:
        return
    centre = _centre_officer(ctx, "qingdao")
    t0 = (utcnow() - dt.timedelta(days=START_DAYS_AGO)).replace(microsecond=0)
    try:
        negotiation = services.start(centre, {
            "kind": "competitive_negotiation", "title": "青岛市政府投资项目防水卷材集中带量采购（第一批）竞争性谈判",
            "lot_id": lot.id, "supplier_org_ids": [f.organisation_id for f in firms], "ceiling_fen": CEILING_FEN,
            "step_bp": STEP_BP, "step_min_fen": STEP_MIN_FEN, "min_rounds": len(PRICES[0]) - 1,
            "tie_rule": "earliest_offer", "first_deadline_at": t0 + dt.timedelta(days=ROUND_DAYS)}, now=t0)
        for number in range(1, len(PRICES[0]) + 1):
            negotiation = services.get(negotiation.id)
            rnd = negotiation.rounds[number - 1]
            for i, firm in enumerate(firms):
                price = PRICES[i][number - 1]
                if price is not None:
                    services.submit_offer(firm, negotiation.id, {"total_fen": price * 100},
                                          now=rnd.opened_at + dt.timedelta(hours=20 + i))
            db.session.commit()
            scheduler.catch_up(ROUND_OBJECT, rnd.id)
            if number < len(PRICES[0]):
                opens = rnd.deadline_at + dt.timedelta(hours=20)
                services.open_round(centre, negotiation.id, {
                    "deadline_at": opens + dt.timedelta(days=ROUND_DAYS), "final": number + 1 == len(PRICES[0])},
                    now=opens)
    except ServiceError:
        db.session.rollback()
