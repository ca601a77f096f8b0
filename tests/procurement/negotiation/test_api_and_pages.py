"""The API and pages over the same services: start, offers (201, bad input 400 with the field,
a second offer 409), the round form, the public result once concluded."""

from __future__ import annotations

import datetime as dt

from core.extensions import db
from tests.factories import api_token, login
from tests.procurement.negotiation.helpers import close, free_lot, next_round, round_with, world


def _auth(user) -> dict:
    return {"Authorization": f"Bearer {api_token(user)}"}


def test_api_start_offer_and_errors(client):
    ctx = world()
    free_lot(ctx)
    start = {"kind": "competitive_consultation", "title": "Consultation", "lot_id": ctx.lot.id,
             "supplier_org_ids": [f.organisation_id for f in ctx.firms], "step_bp": 50, "tie_rule": "earliest_offer",
             "first_deadline_at": (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).isoformat()}
    bad = client.post("/api/v1/negotiations", json=dict(start, supplier_org_ids=[1]), headers=_auth(ctx.world.centre))
    assert bad.status_code == 400 and "supplier_org_ids" in bad.get_json()["error"]["fields"]
    made = client.post("/api/v1/negotiations", json=start, headers=_auth(ctx.world.centre))
    assert made.status_code == 201
    body = made.get_json()["negotiation"]
    assert body["kind"] == "competitive_consultation" and len(body["participants"]) == 4
    nid = body["id"]
    firm = _auth(ctx.firms[0])
    assert client.post(f"/api/v1/negotiations/{nid}/offers", json={"total_fen": "x"}, headers=firm).status_code == 400
    ok = client.post(f"/api/v1/negotiations/{nid}/offers", json={"total_fen": 9_000_000}, headers=firm)
    assert ok.status_code == 201 and ok.get_json()["negotiation"]["my_offers"][0]["total_fen"] is None
    again = client.post(f"/api/v1/negotiations/{nid}/offers", json={"total_fen": 8_000_000}, headers=firm)
    assert again.status_code == 409
    assert client.get(f"/api/v1/negotiations/{nid}").status_code == 404          # not public while running
    denied = client.post(f"/api/v1/negotiations/{nid}/rounds", json={"deadline_at": "2030-01-01T09:00"}, headers=firm)
    assert denied.status_code == 403
    assert client.post(f"/api/v1/negotiations/{nid}/cancel", json={"reason": "Budget withdrawn"},
                       headers=_auth(ctx.world.centre)).status_code == 200


def test_pages_offer_round_and_public_result(client):
    from procurement.negotiation import services

    ctx = world(min_rounds=1)
    live = services.start(ctx.world.centre, {   # the lot has its negotiation: a mini-competition's subject
        "kind": "mini_competition", "title": "Live", "quantity_milli": 100_000, "unit": "m3",
        "ceiling_fen": 10_000_000, "tie_rule": "earliest_offer",
        "supplier_org_ids": [f.organisation_id for f in ctx.firms], "step_min_fen": 10_000,
        "first_deadline_at": (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).isoformat()})
    login(client, ctx.firms[0])
    page = client.get(f"/negotiations/{live.id}")
    assert page.status_code == 200 and 'name="total"' in page.get_data(as_text=True)
    bad = client.post(f"/negotiations/{live.id}/offer", data={"total": "200,000"})   # above the ceiling
    assert bad.status_code == 400 and "100,000.00" in bad.get_data(as_text=True)
    sent = client.post(f"/negotiations/{live.id}/offer", data={"total": "93,456.78"})
    assert sent.status_code == 302
    mine = client.get(f"/negotiations/{live.id}").get_data(as_text=True)
    i = mine.find("93,456.78")
    assert i < 0, mine[max(0, i - 300):i + 50]
    assert "SHA-256" in mine and 'name="total"' not in mine
    client.post("/logout")
    round_with(ctx, {0: 9_000_000, 1: 9_100_000, 2: 9_200_000})
    login(client, ctx.world.centre)
    assert 'name="deadline_at"' in client.get(f"/negotiations/{ctx.id}").get_data(as_text=True)
    assert client.post(f"/negotiations/{ctx.id}/rounds", data={"deadline_at": "2001-01-01T09:00"}).status_code == 400
    client.post("/logout")
    assert client.get(f"/negotiations/{ctx.id}/result").status_code == 404
    next_round(ctx, final=True)
    round_with(ctx, {0: 8_500_000, 1: 8_400_000}, close_it=False)
    close(ctx)
    db.session.expire_all()
    result = client.get(f"/negotiations/{ctx.id}/result")
    assert result.status_code == 200
    text = result.get_data(as_text=True)
    assert ctx.firms[1].organisation.name_zh in text and "84,000.00" in text
    assert client.get(f"/api/v1/negotiations/{ctx.id}").get_json()["negotiation"]["saving_bp"] == 1600
