"""The sealed-bid API under /api/v1: opening key, submission with an Idempotency-Key (contents
sealed at receipt, or an envelope sealed by the client), receipts, withdrawal, the count hidden
until the deadline, the proof after it, and clear 4xx answers to bad input."""

from __future__ import annotations

import base64

from nacl.public import PublicKey, SealedBox

from core.extensions import db
from core.services import unit_of_work
from procurement.bids.models import Bid
from procurement.tendering import services as tender_svc
from tests.factories import api_token, auth_header
from tests.procurement.bids.helpers import request_id, sealed_tender


def _headers(user, key=None):
    return {**auth_header(api_token(user)), "Idempotency-Key": key or request_id()}


def test_submit_replace_withdraw_and_prove_over_the_api(app, client):
    ctx = sealed_tender()
    tid, lid = ctx.tender.id, ctx.lot.id
    key = client.get(f"/api/v1/tenders/{tid}/opening-key").get_json()
    assert key["k"] == 2 and key["n"] == 2 and len(base64.b64decode(key["public_key"])) == 32

    headers = _headers(ctx.supplier)
    body = {"product_id": ctx.product.id, "unit_price_fen": 40_000}
    first = client.post(f"/api/v1/tenders/{tid}/lots/{lid}/bids", json=body, headers=headers)
    assert first.status_code == 201, first.get_json()
    data = first.get_json()
    assert data["bid"]["status"] == "submitted" and data["receipt"]["statement"]["sha256"] == data["bid"]["envelope_sha256"]
    again = client.post(f"/api/v1/tenders/{tid}/lots/{lid}/bids", json=body, headers=headers)
    assert again.status_code == 200 and again.get_json()["bid"]["id"] == data["bid"]["id"]

    replay = client.post(f"/api/v1/tenders/{tid}/lots/{lid}/bids", json=body, headers=_headers(ctx.supplier))
    assert replay.status_code == 409

    # A client-sealed envelope replaces it: the server never sees the contents.
    sealed = SealedBox(PublicKey(base64.b64decode(key["public_key"]))).encrypt(b'{"unit_price_fen": 39000}')
    second = client.post(f"/api/v1/tenders/{tid}/lots/{lid}/bids", headers=_headers(ctx.supplier),
                         json={"envelope": base64.b64encode(sealed).decode(), "replaces": data["bid"]["id"]})
    assert second.status_code == 201, second.get_json()
    second_id = second.get_json()["bid"]["id"]
    assert second.get_json()["notes"] and second.get_json()["bid"]["client_sealed"] is True
    assert bytes(db.session.get(Bid, second_id).sealed_envelope) == sealed

    own = client.get(f"/api/v1/tenders/{tid}/bids", headers=auth_header(api_token(ctx.supplier))).get_json()
    assert [b["id"] for b in own["bids"]] == [second_id, data["bid"]["id"]]
    centre = auth_header(api_token(ctx.world.centre))
    assert client.get(f"/api/v1/tenders/{tid}/bids", headers=centre).get_json()["bids"] == []
    assert client.get(f"/api/v1/bids/{second_id}", headers=centre).status_code == 404
    assert client.get(f"/api/v1/tenders/{tid}/bid-summary", headers=centre).status_code == 409
    assert client.get(f"/api/v1/bids/{second_id}/receipt/proof",
                      headers=auth_header(api_token(ctx.supplier))).status_code == 409

    with unit_of_work():
        tender_svc.close_tendering(tid, ctx.tender.bid_deadline_at)
    summary = client.get(f"/api/v1/tenders/{tid}/bid-summary").get_json()
    assert summary["bids"] == 1 and summary["bidders"] == 1
    proof = client.get(f"/api/v1/bids/{second_id}/receipt/proof", headers=auth_header(api_token(ctx.supplier)))
    assert proof.status_code == 200
    proof = proof.get_json()
    check = client.post("/api/v1/bid-receipts/verify", json={"receipt": proof["receipt"],
                                                              "merkle_root": summary["merkle_root"],
                                                              "proof": proof["proof"]})
    assert check.get_json() == {"signature": True, "included": True}
    late = client.post(f"/api/v1/tenders/{tid}/lots/{lid}/bids", json=body, headers=_headers(ctx.supplier))
    assert late.status_code == 409 and "no grace" in late.get_json()["error"]["message"]


def test_bad_bid_input_is_a_clear_400(app, client):
    ctx = sealed_tender()
    url = f"/api/v1/tenders/{ctx.tender.id}/lots/{ctx.lot.id}/bids"
    for body in ({}, {"product_id": "x", "unit_price_fen": 1}, {"envelope": 5}, {"envelope": "not base64!"},
                 {"product_id": ctx.product.id, "unit_price_fen": 100, "documents": [{"name": "a"}]}):
        response = client.post(url, json=body, headers=_headers(ctx.supplier))
        assert response.status_code == 400, (body, response.get_json())
        assert response.get_json()["error"]["message"]
    no_key = client.post(url, json={"product_id": ctx.product.id, "unit_price_fen": 1},
                         headers=auth_header(api_token(ctx.supplier)))
    assert no_key.status_code == 400 and "idempotency_key" in no_key.get_json()["error"]["fields"]
    assert client.post(url, json={"product_id": ctx.product.id, "unit_price_fen": 1},
                       headers=_headers(ctx.world.centre)).status_code == 403
    assert db.session.query(Bid).count() == 0


def test_key_holder_enrolment_over_the_api(app, client):
    ctx = sealed_tender()
    headers = auth_header(api_token(ctx.world.finance2))
    assert client.get("/api/v1/opening-key-holder", headers=headers).get_json()["enrolled"] is False
    short = client.post("/api/v1/opening-key-holder", json={"passphrase": "short"}, headers=headers)
    assert short.status_code == 400
    done = client.post("/api/v1/opening-key-holder", json={"passphrase": "a long passphrase here"}, headers=headers)
    assert done.status_code == 201 and done.get_json()["enrolled"] is True
    assert client.post("/api/v1/opening-key-holder", json={"passphrase": "a long passphrase here"},
                       headers=headers).status_code == 409


def test_the_operations_are_in_the_openapi_document(app, client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/tenders/{tender_id}/opening-key", "/tenders/{tender_id}/lots/{lot_id}/bids", "/bids/{bid_id}",
                 "/bids/{bid_id}/withdraw", "/bids/{bid_id}/reconfirm", "/bids/{bid_id}/receipt/proof",
                 "/tenders/{tender_id}/bid-summary", "/bid-receipts/verify", "/opening-key-holder"):
        assert path in paths, path
