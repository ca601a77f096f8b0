"""Builders for opening tests: a sealed tender whose deadline has passed, with bids of several
firms (each product certified, each bond held), closed at its deadline; and unlocking."""

from __future__ import annotations

import datetime as dt

from catalog.models.products import Certificate
from core.extensions import db
from core.services import unit_of_work
from procurement.bonds.models import Bond
from procurement.opening import services
from procurement.tendering import services as tender_svc
from tests.procurement.bids.helpers import KEY_PASSPHRASE, bid, rival, sealed_tender

MS = dt.timedelta(milliseconds=1)
#: A deadline in the past, at a China calendar edge: 2026-06-01 16:30 UTC is 2026-06-02 00:30 in China.
EDGE_DEADLINE = dt.datetime(2026, 6, 1, 16, 30, tzinfo=dt.timezone.utc)


def certify(product, *, expires_on=dt.date(2030, 1, 1), issued_on=dt.date(2024, 1, 1), status="valid",
            changed_on=None, number=None):
    cert = Certificate(product_id=product.id, number=number or f"CERT-{product.id}-{expires_on}", body="CTC",
                       star_grade=2, standard="T/CECS", issued_on=issued_on, expires_on=expires_on, status=status,
                       changed_on=changed_on)
    db.session.add(cert)
    db.session.commit()
    return cert


def hold_bond(tender, lot, org_id, at):
    bond = Bond(tender_id=tender.id, lot_id=lot.id, supplier_org_id=org_id, amount_fen=lot.bond_fen, method="card",
                status="held", held_at=at, reject_reason="", reason="")
    db.session.add(bond)
    db.session.commit()
    return bond


def opening_tender(n_bidders: int = 3, *, deadline: dt.datetime | None = None, certify_products: bool = True,
                   bonds: bool = True, close: bool = True, prices=None):
    """(ctx, firms): a sealed tender with one lot, `n_bidders` firms' bids made an hour before the
    deadline (default: a minute ago), products certified and bonds held, closed at the deadline."""
    deadline = deadline or (dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)).replace(microsecond=0)
    ctx = sealed_tender(deadline=deadline)
    firms = [(ctx.supplier, ctx.product)] + [rival(ctx) for _ in range(n_bidders - 1)]
    ctx.bids = []
    for i, (user, product) in enumerate(firms):
        if certify_products:
            certify(product)
        if bonds:
            hold_bond(ctx.tender, ctx.lot, user.organisation_id, deadline - dt.timedelta(hours=2))
        price = (prices or {}).get(i, 40_000 + 100 * i)
        ctx.bids.append(bid(ctx, user, product, unit_price_fen=price, now=deadline - dt.timedelta(hours=1)).bid)
    ctx.firms = firms
    ctx.deadline = deadline
    if close:
        close_tender(ctx)
    return ctx


def close_tender(ctx):
    with unit_of_work():
        tender_svc.close_tendering(ctx.tender.id, ctx.tender.bid_deadline_at)
    db.session.expire_all()


def unlock(ctx, who: int, *, now=None, passphrase=KEY_PASSPHRASE):
    """Holder number `who` (0: the centre officer, 1: the finance reviewer) unlocks."""
    user = ctx.holders[who][0]
    return services.unlock(user, ctx.tender.id, passphrase, now=now or ctx.deadline + dt.timedelta(minutes=1))


def open_bids(ctx, *, now=None):
    unlock(ctx, 0, now=now)
    result = unlock(ctx, 1, now=now)
    db.session.expire_all()
    return result


__all__ = ["KEY_PASSPHRASE", "certify", "hold_bond", "open_bids", "opening_tender", "unlock"]
