"""Bids at the same moment (PostgreSQL row locks): two first bids of one firm on one lot make one
bid (the other a clear 409); bids of different firms go in side by side; the same request id sent
twice at once makes one bid."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.errors import Conflict
from core.extensions import db
from core.models import User
from procurement.bids import services
from procurement.bids.models import Bid, BidReceipt
from tests.concurrency import postgres_only, race  # noqa: F401  (fixture)
from tests.procurement.bids.helpers import request_id, rival, sealed_tender

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("postgres_only")]


def _submit(tender_id, lot_id, user_id, product_id, key=None):
    return lambda: services.submit(db.session.get(User, user_id), tender_id, lot_id,
                                   {"product_id": product_id, "unit_price_fen": 40_000},
                                   idempotency_key=key or request_id())


def _race(app, monkeypatch, calls):
    return race(app, monkeypatch, calls, lock=(services, "_shared_lock"))


def test_two_first_bids_of_one_firm_at_once_make_one_bid(app, monkeypatch):
    ctx = sealed_tender()
    args = (ctx.tender.id, ctx.lot.id, ctx.supplier.id, ctx.product.id)
    outcomes = _race(app, monkeypatch, [_submit(*args), _submit(*args)])
    assert sorted("ok" if o == "ok" else "conflict" for o in outcomes if isinstance(o, (str, Conflict))) \
        == ["conflict", "ok"], outcomes
    loser = next(o for o in outcomes if isinstance(o, Conflict))
    assert loser.status == 409
    db.session.expire_all()
    assert db.session.execute(select(func.count(Bid.id))).scalar() == 1
    assert db.session.execute(select(func.count(BidReceipt.id))).scalar() == 1


def test_the_same_request_id_twice_at_once_makes_one_bid(app, monkeypatch):
    ctx = sealed_tender()
    key = request_id()
    args = (ctx.tender.id, ctx.lot.id, ctx.supplier.id, ctx.product.id, key)
    outcomes = _race(app, monkeypatch, [_submit(*args), _submit(*args)])
    assert "ok" in outcomes and all(o == "ok" or isinstance(o, Conflict) for o in outcomes), outcomes
    db.session.expire_all()
    assert db.session.execute(select(func.count(Bid.id))).scalar() == 1


def test_different_firms_bid_side_by_side(app, monkeypatch):
    ctx = sealed_tender()
    firms = [(ctx.supplier, ctx.product)] + [rival(ctx) for _ in range(3)]
    outcomes = _race(app, monkeypatch, [_submit(ctx.tender.id, ctx.lot.id, u.id, p.id) for u, p in firms])
    assert outcomes == ["ok"] * 4, outcomes
    db.session.expire_all()
    assert db.session.execute(select(func.count(Bid.id))).scalar() == 4
