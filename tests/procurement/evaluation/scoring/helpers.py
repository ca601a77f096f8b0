"""Builders for scoring tests: a tender pooling two projects' concrete into one lot (200 m3,
ceiling CNY 100,000), its evaluation method set while it is a draft, published through the
services; bids of several firms (products certified, bonds held) received one second apart an
hour before the deadline; closed, opened by the two key holders, qualification confirmed; a
panel of five drawn from the city's pool (plus outsiders not drawn), every seat accepted."""

from __future__ import annotations

import datetime as dt
import itertools
from types import SimpleNamespace

from sqlalchemy import update

from core import roles as R
from core.extensions import db
from core.models import Organisation
from core.services import unit_of_work
from core.timeutil import utcnow
from procurement.bids import services as bid_services
from procurement.evaluation import services as panel_services
from procurement.evaluation.scoring import criteria, services
from procurement.opening import qualification
from procurement.opening import services as opening_services
from procurement.tendering import services as tender_svc
from procurement.tendering.models import Tender
from tests.factories import make_user
from tests.procurement.evaluation.helpers import expert_user, make_pool
from tests.procurement.helpers import GOOD_VALUES, make_product
from tests.procurement.opening.helpers import certify, hold_bond
from tests.procurement.tendering.tender_builders import closed_round, draft
from tests.procurement.tendering_helpers import KEY_PASSPHRASE

CONCRETE = "ready_mixed_concrete"
QUANTITY_M3 = 200          # two projects x 100 m3
CEILING_FEN = 10_000_000   # 200 m3 x CNY 500
_keys = itertools.count(1)

#: A comprehensive plan: price 40 %, technical 40 % (scored 0..10), service 20 % (scored 0..5).
COMPREHENSIVE = {"method": "comprehensive", "subject": "goods", "price_weight": "40", "criteria": [
    {"name": "Technical merit", "description": "Mix design, strength records", "weight": "40", "max_score": "10"},
    {"name": "Service", "description": "Delivery plan, support", "weight": "20", "max_score": "5"}]}


def tender_with_plan(plan: dict | None = None):
    """(world, projects, tender): a published tender whose draft got `plan`."""
    world, projects, rnd = closed_round(2)
    tender = draft(world, rnd)
    if plan is not None:
        criteria.set_plan(world.centre, tender.id, plan)
    tender_svc.submit(world.centre, tender.id)
    tender_svc.approve(world.finance, tender.id, "ok")
    tender_svc.publish(world.centre, tender.id)
    db.session.expire_all()
    return world, projects, db.session.get(Tender, tender.id)


def firm_bidder(world):
    product = make_product(world.city, CONCRETE, GOOD_VALUES[CONCRETE])
    certify(product)
    user = make_user(db.session.get(Organisation, product.supplier_id), roles=(R.SUPPLIER,))
    return user, product


def qualified_lot(unit_prices=(40_000, 42_000, 45_000), *, plan: dict | None = None, seconds=None):
    """A lot whose bids (one per firm at `unit_prices`, fen per m3, submitted in that order and
    received `seconds[i]` (default: i) seconds after an hour before the deadline) are opened and
    qualified."""
    world, projects, tender = tender_with_plan(plan)
    lot = tender.lots[0]
    deadline = (utcnow() - dt.timedelta(minutes=1)).replace(microsecond=0)
    bidders, bids = [], []
    for i, price in enumerate(unit_prices):
        user, product = firm_bidder(world)
        hold_bond(tender, lot, user.organisation_id, deadline - dt.timedelta(hours=2))
        bids.append(bid_services.submit(user, tender.id, lot.id, {"product_id": product.id, "unit_price_fen": price},
                                        idempotency_key=f"scoring-{next(_keys):06d}",
                                        now=deadline - dt.timedelta(hours=1)
                                        + dt.timedelta(seconds=seconds[i] if seconds else i)).bid)
        bidders.append(user)
    db.session.execute(update(Tender).where(Tender.id == tender.id).values(bid_deadline_at=deadline))
    db.session.commit()
    with unit_of_work():
        tender_svc.close_tendering(tender.id, deadline)
    db.session.expire_all()
    for holder in (world.centre, world.finance):
        opening_services.unlock(holder, tender.id, KEY_PASSPHRASE, now=deadline + dt.timedelta(minutes=1))
    qualification.confirm(world.centre, tender.id, lot.id)
    db.session.expire_all()
    return SimpleNamespace(world=world, projects=projects, tender=db.session.get(Tender, tender.id), lot=lot,
                           bidders=bidders, bids=bids, deadline=deadline)


def seat_panel(ctx, *, outsiders: int = 1) -> None:
    """Draw the lot's panel of five from a pool of 5 + `outsiders` experts; every drawn expert
    accepts. Sets ctx.members (Users, by seat) and ctx.outsiders (experts not drawn)."""
    pool = make_pool(ctx.world, 5 + outsiders)
    panel = panel_services.request_panel(ctx.world.centre, ctx.tender.id, {"lot_id": ctx.lot.id})
    panel = panel_services.draw_panel(ctx.world.centre, panel.id)
    members = sorted((m for m in panel.members), key=lambda m: m.seat)
    drawn = {m.expert_id for m in members}
    for m in members:
        panel_services.accept(expert_user(m.expert), panel.id)
    db.session.expire_all()
    ctx.panel = panel
    ctx.members = [expert_user(m.expert) for m in members]
    ctx.outsiders = [expert_user(e) for e in pool if e.id not in drawn]


def evaluation_ready(unit_prices=(40_000, 42_000, 45_000), *, plan: dict | None = COMPREHENSIVE, start: bool = True,
                     outsiders: int = 1, seconds=None):
    """A qualified lot with its complete panel and (by default) its evaluation started."""
    ctx = qualified_lot(unit_prices, plan=plan, seconds=seconds)
    seat_panel(ctx, outsiders=outsiders)
    if start:
        services.start(ctx.world.centre, ctx.lot.id)
        db.session.expire_all()
    return ctx


def opened_ids(ctx) -> list[int]:
    """Opened bid ids in the order of ctx.bids (firm 0, 1, ...)."""
    from sqlalchemy import select

    from procurement.opening.models import OpenedBid

    by_bid = dict(db.session.execute(select(OpenedBid.bid_id, OpenedBid.id)).all())
    return [by_bid[b.id] for b in ctx.bids]


def criterion_ids(ctx) -> list[int]:
    evaluation = services.evaluation_of(ctx.lot.id)
    return [c["id"] for c in evaluation.criteria]


def sheet(ctx, marks) -> dict:
    """A score-sheet body from {firm index: (score on criterion 1, score on criterion 2, ...)}."""
    obs, cids = opened_ids(ctx), criterion_ids(ctx)
    return {"scores": [{"opened_bid_id": obs[i], "criterion_id": cid, "score": str(value)}
                       for i, values in marks.items() for cid, value in zip(cids, values)]}
