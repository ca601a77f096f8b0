"""A bid in the last seconds before a deadline arrives with hundreds of others: its submission
sends a fixed, small number of SQL statements (token, tender with lot and key, the firm's bids,
the product with its values and verdict, two inserts), whatever the number of bids already in."""

from __future__ import annotations

from core.extensions import db
from core.services import unit_of_work
from tests.factories import api_token, auth_header, make_user
from tests.procurement.bids.helpers import request_id, sealed_tender
from tests.query_counter import counted

#: token (+ person, organisation, roles), tender + lot + opening key, the firm's bids on the lot,
#: the product (+ values, carbon, verdict), insert bid, insert receipt; pool pre-ping and the
#: transaction's own BEGIN/COMMIT are not statements here.
SUBMISSION_STATEMENTS = 6


def _post(client, where, headers, replaces=None):
    url, product_id = where
    return client.post(url, json={"product_id": product_id, "unit_price_fen": 40_000, "replaces": replaces},
                       headers={**headers, "Idempotency-Key": request_id()})


def test_a_bid_submission_sends_a_fixed_number_of_statements(app, client):
    ctx = sealed_tender()
    headers = auth_header(api_token(ctx.supplier))
    where = (f"/api/v1/tenders/{ctx.tender.id}/lots/{ctx.lot.id}/bids", ctx.product.id)
    first = _post(client, where, headers)           # the token's first use also records last_used_at
    assert first.status_code == 201
    current = first.get_json()["bid"]["id"]
    counts = []
    for _ in range(3):                             # replacements: more bids in, same statements
        db.session.expire_all()
        with counted() as statements:
            answer = _post(client, where, headers, replaces=current)
        assert answer.status_code == 201, answer.get_json()
        current = answer.get_json()["bid"]["id"]
        counts.append(len([s for s in statements if not s.lstrip().upper().startswith(("SELECT 1", "BEGIN"))]))
    # A replacement also marks the old bid replaced (one UPDATE): 6 + 1.
    assert counts == [SUBMISSION_STATEMENTS + 1] * 3, [" ".join(s.split())[:90] for s in statements]


def test_keep_loaded_leaves_written_objects_readable_without_a_query(app):
    user = make_user()
    with unit_of_work(keep_loaded=True):
        user.name = "Kept"
    with counted() as statements:
        assert user.name == "Kept"
    assert statements == []
    # ... and the session is back to expiring on commit for everyone else.
    with unit_of_work():
        user.name = "Changed"
    with counted() as statements:
        assert user.name == "Changed"
    assert statements, "after a plain unit of work the objects are read again"
