"""A bid records the submitter's network address, and two firms bidding from one address raise
the red flag."""

from __future__ import annotations

from core.extensions import db
from procurement.bids.models import Bid
from procurement.oversight import redflags
from tests.factories import api_token, auth_header
from tests.procurement.bids.helpers import request_id, rival, sealed_tender


def _submit(client, ctx, user, product, address):
    return client.post(f"/api/v1/tenders/{ctx.tender.id}/lots/{ctx.lot.id}/bids",
                       json={"product_id": product.id, "unit_price_fen": 40_000},
                       headers={**auth_header(api_token(user)), "Idempotency-Key": request_id()},
                       environ_base={"REMOTE_ADDR": address})


def test_bid_keeps_the_network_address_and_shared_ones_are_flagged(app, client):
    ctx = sealed_tender()
    assert _submit(client, ctx, ctx.supplier, ctx.product, "198.51.100.4").status_code == 201
    assert db.session.query(Bid.client_address).scalar() == "198.51.100.4"
    assert [f for f in redflags.flags_for([ctx.tender]) if f.code == "shared_address"] == []
    other, product = rival(ctx)
    assert _submit(client, ctx, other, product, "198.51.100.4").status_code == 201
    flags = [f for f in redflags.flags_for([ctx.tender]) if f.code == "shared_address"]
    assert len(flags) == 1 and flags[0].params == {"n": 2, "address": "198.51.100.4"}
