"""Builders for award tests: a lot whose bids were opened and qualified (three or more firms,
products certified, bonds held), optionally pooled from real projects; the ranking read from the
opening's qualified bids; and an award taken to any state through the services."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from sqlalchemy import select

from core.extensions import db
from core.models import Organisation, User
from core.timeutil import CHINA
from procurement.awards import services
from procurement.awards.ranking import Candidate
from procurement.opening import qualification
from procurement.opening.reading import qualified_bids
from tests.factories import make_org, make_user
from tests.procurement.opening.helpers import open_bids, opening_tender

UTC = dt.timezone.utc
#: Bids closed before National Day 2026 (1-7 October; Saturday 10 October is a make-up working day).
DEADLINE = dt.datetime(2026, 9, 20, 2, 0, tzinfo=UTC)
#: Wednesday 30 September 2026, 10:00 in China: the award notice just before the holiday.
NOTICE_AT = dt.datetime(2026, 9, 30, 10, 0, tzinfo=CHINA).astimezone(UTC)
MS = dt.timedelta(milliseconds=1)


def china(*args) -> dt.datetime:
    """A China wall-clock time as an aware UTC instant: china(2026, 10, 16) is 2026-10-15 16:00 UTC."""
    return dt.datetime(*args, tzinfo=CHINA).astimezone(UTC)


def ranking_from_opening(lot_id):
    """The ranking as lowest evaluated price: the lot's qualified bids, cheapest first (None
    until the lot's qualification is confirmed)."""
    bids = qualified_bids(lot_id)
    if not bids:
        return None
    return [Candidate(rank=i + 1, bid_id=b.bid_id, opened_bid_id=b.opened_bid_id, supplier_org_id=b.supplier_org_id,
                      total_fen=b.total_fen, score=None, excluded=False, reason=None) for i, b in enumerate(bids)]


def qualified_lot(n_bidders: int = 3, *, deadline: dt.datetime = DEADLINE):
    """An opening tender whose bids were opened and whose lot's qualification the centre
    confirmed; firm i bids 40,000 + 100 i fen a unit (firm 0 is the cheapest). Adds `officer2`
    (a second officer of the centre) and `other_finance` (the finance office of another city)."""
    ctx = opening_tender(n_bidders, deadline=deadline)
    open_bids(ctx, now=deadline + dt.timedelta(minutes=1))
    qualification.confirm(ctx.world.centre, ctx.tender.id, ctx.lot.id, now=deadline + dt.timedelta(minutes=5))
    db.session.expire_all()
    ctx.officer2 = make_user(db.session.get(User, ctx.world.centre.id).organisation,
                             roles=ctx.world.centre.role_names)
    from core import roles as R

    ctx.other_finance = make_user(make_org(R.ORG_FINANCE, city="qingdao"), roles=(R.FINANCE_REVIEWER,))
    ctx.orgs = [u.organisation_id for u, _p in ctx.firms]
    return ctx


def award_in(status: str, n_bidders: int = 3, *, notice_at: dt.datetime = NOTICE_AT):
    """(ctx, award) with the lot's award taken to `status`: finance_review, approved or notified
    (published at `notice_at`)."""
    ctx = qualified_lot(n_bidders)
    centre, finance = ctx.world.centre, ctx.world.finance
    award = services.submit(centre, ctx.tender.id, ctx.lot.id, now=notice_at - dt.timedelta(days=5))
    if status in ("approved", "notified"):
        award = services.approve(finance, award.id, "", now=notice_at - dt.timedelta(days=1))
    if status == "notified":
        award = services.publish(centre, award.id, now=notice_at)
    db.session.expire_all()
    ctx.award = services.get_award(award.id)
    return ctx, ctx.award


def supplier_of(ctx, i: int) -> User:
    return ctx.firms[i][0]



def pooled_qualified_lot(n_bidders: int = 3):
    """Like `qualified_lot`, for a tender built from a pooling round of three projects of the
    world's purchaser (so every step is recorded on their chains): (ctx, projects)."""
    from catalog.models.products import Product
    from core import roles as R
    from procurement.opening import services as opening_services
    from tests.procurement.bids.helpers import KEY_PASSPHRASE, bid, rival
    from tests.procurement.opening.helpers import certify, close_tender, hold_bond
    from tests.procurement.tendering.tender_builders import tender_in

    world, projects, tender = tender_in("published")
    lot = tender.lots[0]
    product = db.session.execute(select(Product).where(Product.category_id == lot.category_id)
                                 .order_by(Product.id)).scalars().first()
    supplier = make_user(db.session.get(Organisation, product.supplier_id), roles=(R.SUPPLIER,))
    ctx = SimpleNamespace(world=world, tender=tender, lot=lot, product=product, supplier=supplier)
    firms = [(supplier, product)] + [rival(ctx) for _ in range(n_bidders - 1)]
    before = tender.bid_deadline_at - dt.timedelta(days=1)
    unit = lot.ceiling_fen * 1000 // lot.quantity_milli // 2
    for i, (user, prod) in enumerate(firms):
        certify(prod)
        hold_bond(tender, lot, user.organisation_id, before - dt.timedelta(hours=1))
        bid(ctx, user, prod, unit_price_fen=unit + 100 * i, now=before)
    close_tender(ctx)
    after = tender.bid_deadline_at + MS
    for who in (world.centre, world.finance):
        opening_services.unlock(who, tender.id, KEY_PASSPHRASE, now=after)
    qualification.confirm(world.centre, tender.id, lot.id, now=after + dt.timedelta(minutes=1))
    db.session.expire_all()
    ctx.firms, ctx.orgs, ctx.after = firms, [u.organisation_id for u, _p in firms], after
    return ctx, projects
