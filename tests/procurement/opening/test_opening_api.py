"""The opening API: unlock with a passphrase (400 for a wrong one, 409 before the deadline, 403
for someone holding no share), the session, the public opening record (409 before opening), the
qualification results, override (400 without a reason), confirmation and the next step."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from core.extensions import db
from procurement.opening.models import OpeningSession
from tests.factories import api_token, auth_header
from tests.procurement.bids.helpers import KEY_PASSPHRASE
from tests.procurement.opening.helpers import opening_tender


def _h(user):
    return auth_header(api_token(user))


def test_unlock_open_and_qualify_over_the_api(app, client):
    ctx = opening_tender(3)
    tid, lid = ctx.tender.id, ctx.lot.id
    centre, finance = ctx.holders[0][0], ctx.holders[1][0]
    assert client.get(f"/api/v1/tenders/{tid}/opening-record").status_code == 409

    wrong = client.post(f"/api/v1/tenders/{tid}/opening/unlock", json={"passphrase": "not the passphrase"},
                        headers=_h(centre))
    assert wrong.status_code == 400 and "Wrong passphrase" in wrong.get_json()["error"]["message"]
    assert db.session.execute(select(func.count(OpeningSession.id))).scalar() == 0
    assert client.post(f"/api/v1/tenders/{tid}/opening/unlock", json={}, headers=_h(centre)).status_code == 400
    assert client.post(f"/api/v1/tenders/{tid}/opening/unlock", json={"passphrase": KEY_PASSPHRASE},
                       headers=_h(ctx.supplier)).status_code == 403

    first = client.post(f"/api/v1/tenders/{tid}/opening/unlock", json={"passphrase": KEY_PASSPHRASE},
                        headers=_h(centre))
    assert first.status_code == 200, first.get_json()
    body = first.get_json()
    assert (body["shares"], body["k"], body["opened"], body["session"]["status"]) == (1, 2, False, "collecting")
    session = client.get(f"/api/v1/tenders/{tid}/opening", headers=_h(finance)).get_json()
    assert {h["user_id"]: h["unlocked_at"] is not None for h in session["holders"]} == {centre.id: True,
                                                                                        finance.id: False}
    assert client.get(f"/api/v1/tenders/{tid}/opening", headers=_h(ctx.supplier)).status_code == 404

    second = client.post(f"/api/v1/tenders/{tid}/opening/unlock", json={"passphrase": KEY_PASSPHRASE},
                         headers=_h(finance))
    assert second.status_code == 200 and second.get_json()["opened"] is True
    again = client.post(f"/api/v1/tenders/{tid}/opening/unlock", json={"passphrase": KEY_PASSPHRASE},
                        headers=_h(finance))
    assert again.status_code == 409

    record = client.get(f"/api/v1/tenders/{tid}/opening-record")  # public: no token
    assert record.status_code == 200
    (lot,) = record.get_json()["lots"]
    assert lot["outcome"]["status"] == "qualifying"
    assert sorted(b["total_fen"] for b in lot["bids"]) == [4_000_000, 4_010_000, 4_020_000]
    assert {b["product"]["sku"] for b in lot["bids"]} == {p.sku for _u, p in ctx.firms}

    assert client.get(f"/api/v1/tenders/{tid}/qualification", headers=_h(ctx.supplier)).status_code == 404
    results = client.get(f"/api/v1/tenders/{tid}/qualification", headers=_h(centre)).get_json()
    bids = results["lots"][0]["bids"]
    assert all(b["qualified"] for b in bids) and [r["check"] for r in bids[0]["results"]] == [
        "supplier", "product", "compliance", "price", "bond"]
    result_id = bids[0]["results"][3]["id"]
    no_reason = client.post(f"/api/v1/qualification-results/{result_id}/override", json={"passed": False},
                            headers=_h(centre))
    assert no_reason.status_code == 400 and "reason" in no_reason.get_json()["error"]["fields"]
    done = client.post(f"/api/v1/qualification-results/{result_id}/override",
                       json={"passed": False, "reason": "Price is abnormally low, see the panel's note"},
                       headers=_h(centre))
    assert done.status_code == 200 and done.get_json()["result"]["passed"] is False
    assert done.get_json()["result"]["auto_passed"] is True

    confirm = client.post(f"/api/v1/tenders/{tid}/lots/{lid}/qualification/confirm", headers=_h(centre))
    assert confirm.status_code == 200
    outcome = confirm.get_json()["outcome"]
    assert (outcome["status"], outcome["next_steps"]) == ("failed", ["retender", "competitive_negotiation"])
    step = client.post(f"/api/v1/tenders/{tid}/lots/{lid}/next-step", headers=_h(centre),
                       json={"choice": "retender", "reason": "Re-tender with a longer period"})
    assert step.status_code == 200 and step.get_json()["outcome"]["status"] == "retender"


def test_unlocking_before_the_deadline_is_a_409(app, client):
    ctx = opening_tender(3, deadline=(dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)).replace(microsecond=0),
                         close=False)
    answer = client.post(f"/api/v1/tenders/{ctx.tender.id}/opening/unlock", json={"passphrase": KEY_PASSPHRASE},
                         headers=_h(ctx.holders[0][0]))
    assert answer.status_code == 409 and "before the bid deadline" in answer.get_json()["error"]["message"]


def test_the_operations_are_in_the_openapi_document(app, client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/tenders/{tender_id}/opening", "/tenders/{tender_id}/opening/unlock",
                 "/tenders/{tender_id}/opening-record", "/tenders/{tender_id}/qualification",
                 "/qualification-results/{result_id}/override",
                 "/tenders/{tender_id}/lots/{lot_id}/qualification/confirm",
                 "/tenders/{tender_id}/lots/{lot_id}/next-step"):
        assert path in paths, path
