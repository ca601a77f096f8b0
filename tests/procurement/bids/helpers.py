"""Builders for sealed-bid tests: a published tender (written directly) with its opening key made
by the real listener, a stocked city and a verified supplier person of the concrete product's
firm."""

from __future__ import annotations

import datetime as dt
import itertools
from types import SimpleNamespace

from core import roles as R
from core.extensions import db
from core.models import Organisation
from core.services import unit_of_work
from core.timeutil import utcnow
from procurement.bids import opening_keys, services
from tests.factories import make_user
from tests.procurement.helpers import World, make_product, make_standard, stock_products
from tests.procurement.tendering_helpers import (
    KEY_PASSPHRASE,
    enrol_key_holders,
    make_tender,
)

_keys = itertools.count(1)


def request_id() -> str:
    return f"req-{next(_keys):06d}-test"


def sealed_tender(*, lots: int = 1, deadline: dt.datetime | None = None, city_code: str = "nanjing"):
    make_standard()
    world = World(city_code)
    products = stock_products(world.city)
    holders = enrol_key_holders(world)
    tender = make_tender(world, lots=lots, bid_deadline_at=deadline or (utcnow() + dt.timedelta(days=10)))
    with unit_of_work():
        opening_keys.create_opening_key(tender)
    concrete = products[0]
    supplier = make_user(db.session.get(Organisation, concrete.supplier_id), roles=(R.SUPPLIER,))
    return SimpleNamespace(world=world, tender=tender, lot=tender.lots[0], product=concrete, supplier=supplier,
                           holders=holders, products=products)


def rival(ctx):
    """Another verified supplier firm with its own compliant concrete product."""
    product = make_product(ctx.world.city, "ready_mixed_concrete", {"radionuclide_ira": (0.5, "")})
    user = make_user(db.session.get(Organisation, product.supplier_id), roles=(R.SUPPLIER,))
    return user, product


def bid(ctx, user=None, product=None, unit_price_fen: int = 40_000, lot=None, **kw):
    user = user or ctx.supplier
    product = product or ctx.product
    data = {"product_id": product.id, "unit_price_fen": unit_price_fen}
    data.update(kw.pop("data", {}))
    return services.submit(user, ctx.tender.id, (lot or ctx.lot).id, data,
                           idempotency_key=kw.pop("idempotency_key", None) or request_id(), **kw)


__all__ = ["KEY_PASSPHRASE", "bid", "request_id", "rival", "sealed_tender"]
