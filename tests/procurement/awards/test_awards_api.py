"""The award API: the same services as the pages. Recommendation (201), review refused to another
city's finance office (403), notice (a second one: 409), the public award and challenge statuses
without a token (no text, no firm), a challenge after its window (409 naming its end in China
time), answers, withdrawal without a reason (400), offers, the contract gate, and the document."""

from __future__ import annotations

from core.extensions import db
from procurement.awards.models import Award
from tests.factories import api_token, auth_header
from tests.procurement.awards.helpers import award_in, qualified_lot, supplier_of

TEXT = "The winner's product is not certified for this city."


def _h(user):
    return auth_header(api_token(user))


def test_recommend_review_publish_and_challenge_over_the_api(app, client):
    ctx = qualified_lot(3)
    centre, finance, loser = ctx.world.centre, ctx.world.finance, supplier_of(ctx, 1)
    tid, lid = ctx.tender.id, ctx.lot.id
    public = client.get(f"/api/v1/tenders/{tid}/awards")
    assert public.status_code == 200 and public.get_json()["lots"][0]["award"] is None

    assert client.post(f"/api/v1/tenders/{tid}/lots/{lid}/award", headers=_h(finance)).status_code == 403
    made = client.post(f"/api/v1/tenders/{tid}/lots/{lid}/award", headers=_h(centre))
    assert made.status_code == 201, made.get_json()
    body = made.get_json()["award"]
    aid = body["id"]
    assert body["status"] == "finance_review" and [c["rank"] for c in body["candidates"]] == [1, 2, 3]
    assert client.get(f"/api/v1/awards/{aid}").status_code == 404  # not public before the notice
    assert client.post(f"/api/v1/tenders/{tid}/lots/{lid}/award", headers=_h(centre)).status_code == 409

    refused = client.post(f"/api/v1/awards/{aid}/approve", json={}, headers=_h(ctx.other_finance))
    assert refused.status_code == 403
    assert "finance office of the tender's city" in refused.get_json()["error"]["message"]
    assert client.post(f"/api/v1/awards/{aid}/return", json={}, headers=_h(finance)).status_code == 400
    assert client.post(f"/api/v1/awards/{aid}/approve", json={"comment": "In order"},
                       headers=_h(finance)).status_code == 200
    published = client.post(f"/api/v1/awards/{aid}/publish", headers=_h(centre))
    assert published.status_code == 200 and published.get_json()["award"]["status"] == "notified"
    assert client.post(f"/api/v1/awards/{aid}/publish", headers=_h(centre)).status_code == 409

    anonymous = client.get(f"/api/v1/awards/{aid}").get_json()["award"]
    assert anonymous["winner"]["id"] == ctx.orgs[0] and anonymous["total_fen"] == 4_000_000
    assert "candidates" not in anonymous and anonymous["challenge_window_open"] is True

    assert client.post(f"/api/v1/awards/{aid}/challenges", json={"text": TEXT},
                       headers=_h(ctx.world.purchaser)).status_code == 403
    lodged = client.post(f"/api/v1/awards/{aid}/challenges", json={"text": TEXT}, headers=_h(loser))
    assert lodged.status_code == 201, lodged.get_json()
    cid = lodged.get_json()["challenge"]["id"]
    listing = client.get(f"/api/v1/awards/{aid}/challenges").get_json()["challenges"]
    assert listing[0]["status"] == "lodged" and listing[0]["private"] is False and "text" not in listing[0]
    assert client.get(f"/api/v1/award-challenges/{cid}", headers=_h(supplier_of(ctx, 2))).status_code == 404
    assert client.get(f"/api/v1/award-challenges/{cid}", headers=_h(loser)).get_json()["challenge"]["text"] == TEXT

    gate = client.get(f"/api/v1/lots/{lid}/contract-gate", headers=_h(centre)).get_json()
    assert gate["can_sign"] is False and any("waits for the centre's answer" in r for r in gate["reasons"])
    assert client.get(f"/api/v1/lots/{lid}/contract-gate", headers=_h(loser)).status_code == 404
    answered = client.post(f"/api/v1/award-challenges/{cid}/answer",
                           json={"text": "The product's verdict in this city is pass since May."}, headers=_h(centre))
    assert answered.status_code == 200 and answered.get_json()["challenge"]["status"] == "answered"
    assert client.post(f"/api/v1/award-challenges/{cid}/complaint", json={"text": TEXT},
                       headers=_h(finance)).status_code == 403
    complaint = client.post(f"/api/v1/award-challenges/{cid}/complaint", json={"text": TEXT}, headers=_h(loser))
    assert complaint.status_code == 201 and complaint.get_json()["challenge"]["complaint"]["status"] == "lodged"
    kid = complaint.get_json()["challenge"]["complaint_detail"]["id"]
    assert client.post(f"/api/v1/award-complaints/{kid}/decide", json={"outcome": "dismissed", "reason": TEXT},
                       headers=_h(ctx.other_finance)).status_code == 403
    decided = client.post(f"/api/v1/award-complaints/{kid}/decide", json={"outcome": "dismissed", "reason": TEXT},
                          headers=_h(finance))
    assert decided.status_code == 200 and decided.get_json()["challenge"]["complaint"]["status"] == "dismissed"


def test_a_challenge_after_its_window_is_a_409_naming_the_end_in_china_time(app, client):
    ctx, award = award_in("notified")  # notice on 30 September 2026: the window ended on 16 October
    late = client.post(f"/api/v1/awards/{award.id}/challenges", json={"text": TEXT}, headers=_h(supplier_of(ctx, 1)))
    assert late.status_code == 409
    assert late.get_json()["error"]["message"] == ("The challenge period for this award ended at 2026-10-16 00:00 "
                                                   "(UTC+8) (its last day was 2026-10-15).")


def test_a_withdrawal_without_reason_is_a_400_and_the_offer_is_answered_over_the_api(app, client):
    ctx, award = award_in("notified")
    centre = ctx.world.centre
    bad = client.post(f"/api/v1/awards/{award.id}/withdrawal", json={"kind": "winner_withdrew"}, headers=_h(centre))
    assert bad.status_code == 400 and "reason" in bad.get_json()["error"]["fields"]
    done = client.post(f"/api/v1/awards/{award.id}/withdrawal",
                       json={"kind": "winner_withdrew", "reason": "Withdrew by letter"}, headers=_h(centre))
    assert done.status_code == 200 and done.get_json()["award"]["status"] == "offering"
    offer = client.get(f"/api/v1/awards/{award.id}", headers=_h(supplier_of(ctx, 1))).get_json()["award"]["my_offer"]
    assert offer["rank"] == 2 and offer["status"] == "offered"
    assert client.post(f"/api/v1/award-offers/{offer['id']}/accept", headers=_h(supplier_of(ctx, 2))).status_code == 404
    accepted = client.post(f"/api/v1/award-offers/{offer['id']}/accept", headers=_h(supplier_of(ctx, 1)))
    assert accepted.status_code == 200 and accepted.get_json()["award"]["status"] == "finance_review"
    db.session.expire_all()
    assert db.session.get(Award, award.id).winner_org_id == ctx.orgs[1]


def test_the_operations_are_in_the_openapi_document(app, client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/tenders/{tender_id}/awards", "/awards/{award_id}", "/tenders/{tender_id}/lots/{lot_id}/award",
                 "/awards/{award_id}/approve", "/awards/{award_id}/return", "/awards/{award_id}/publish",
                 "/awards/{award_id}/withdrawal", "/award-offers/{offer_id}/accept", "/awards/{award_id}/challenges",
                 "/award-challenges/{challenge_id}/answer", "/award-challenges/{challenge_id}/complaint",
                 "/award-complaints/{complaint_id}/decide", "/lots/{lot_id}/contract-gate"):
        assert path in paths, path
    assert set(paths["/awards/{award_id}/challenges"]) == {"get", "post"}
