"""The panel API and pages: the centre requests and draws, the expert answers, everyone reads the
public draw; the same services behind both; documented in the OpenAPI document."""

from __future__ import annotations

import pytest

from core.extensions import db
from procurement.evaluation.models import Panel
from tests.factories import api_token, auth_header, login_as
from tests.procurement.evaluation.helpers import (
    closed_tender,
    expert_user,
    make_expert,
    make_pool,
)


@pytest.fixture
def ctx(app):
    ctx = closed_tender()
    make_pool(ctx.world, 6)
    return ctx


def test_the_api_flow(ctx, client):
    centre = auth_header(api_token(ctx.world.centre))
    made = client.post(f"/api/v1/tenders/{ctx.tender.id}/panels", json={"lot_id": ctx.lot.id, "venue": "Room 3",
                                                                      "evaluation_at": "2030-01-20T09:00"},
                       headers=centre)
    assert made.status_code == 201, made.get_json()
    panel = made.get_json()["panel"]
    assert panel["status"] == "requested" and panel["size"] == 5 and panel["draws"][0]["commitment"]
    assert panel["evaluation_at"].startswith("2030-01-20T01:00")  # 09:00 China time, stored UTC
    again = client.post(f"/api/v1/tenders/{ctx.tender.id}/panels", json={"lot_id": ctx.lot.id}, headers=centre)
    assert again.status_code == 409
    drawn = client.post(f"/api/v1/panels/{panel['id']}/draw", headers=centre).get_json()["panel"]
    assert drawn["status"] == "inviting" and len(drawn["members"]) == 5
    assert client.post(f"/api/v1/panels/{panel['id']}/draw", headers=centre).status_code == 409
    listed = client.get(f"/api/v1/tenders/{ctx.tender.id}/panels", headers=centre).get_json()["panels"]
    assert [p["id"] for p in listed] == [panel["id"]]

    member = db.session.get(Panel, panel["id"]).members[0]
    expert = auth_header(api_token(expert_user(member.expert)))
    invitations = client.get("/api/v1/panel-invitations", headers=expert).get_json()["invitations"]
    assert [i["panel_id"] for i in invitations] == [panel["id"]] and invitations[0]["status"] == "invited"
    declined = client.post(f"/api/v1/panels/{panel['id']}/decline", json={"reason_type": "unavailable",
                                                                         "reason": "On leave that week."},
                           headers=expert)
    assert declined.status_code == 200 and declined.get_json()["invitation"]["status"] == "declined"
    status = client.get(f"/api/v1/panels/{panel['id']}", headers=centre).get_json()["panel"]
    assert status["pending_draw_id"] and status["open_seats"] == [member.seat]
    assert client.post(f"/api/v1/panels/{panel['id']}/draw", headers=centre).get_json()["panel"]["open_seats"] == []


def test_accepting_for_a_panel_you_are_not_on_is_a_clear_403(ctx, client):
    outsider = make_expert(ctx.world, specialities=("wall_coatings",))  # never drawn for concrete
    centre = auth_header(api_token(ctx.world.centre))
    panel_id = client.post(f"/api/v1/tenders/{ctx.tender.id}/panels", json={"lot_id": ctx.lot.id},
                           headers=centre).get_json()["panel"]["id"]
    client.post(f"/api/v1/panels/{panel_id}/draw", headers=centre)
    assert outsider.id not in {m.expert_id for m in db.session.get(Panel, panel_id).members}
    answer = client.post(f"/api/v1/panels/{panel_id}/accept", headers=auth_header(api_token(expert_user(outsider))))
    assert answer.status_code == 403
    assert "no invitation to this panel" in answer.get_json()["error"]["message"]
    assert client.post(f"/api/v1/panels/{panel_id}/accept", headers=centre).status_code == 403


def test_others_cannot_see_or_run_panels(ctx, client):
    centre = auth_header(api_token(ctx.world.centre))
    panel_id = client.post(f"/api/v1/tenders/{ctx.tender.id}/panels", json={"lot_id": ctx.lot.id},
                           headers=centre).get_json()["panel"]["id"]
    purchaser = auth_header(api_token(ctx.world.purchaser))
    assert client.get(f"/api/v1/panels/{panel_id}", headers=purchaser).status_code == 404
    assert client.post(f"/api/v1/panels/{panel_id}/draw", headers=purchaser).status_code == 404
    finance = auth_header(api_token(ctx.world.finance))
    assert client.get(f"/api/v1/panels/{panel_id}", headers=finance).status_code == 200
    assert client.post(f"/api/v1/panels/{panel_id}/draw", headers=finance).status_code == 403


def test_the_operations_are_documented(app, client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/experts", "/experts/{expert_id}", "/tenders/{tender_id}/panels", "/panels/{panel_id}",
                 "/panels/{panel_id}/draw", "/panels/{panel_id}/cancel", "/panels/{panel_id}/accept",
                 "/panels/{panel_id}/decline", "/panel-invitations", "/draws/{draw_id}"):
        assert path in paths, path


def test_the_pages(ctx, client):
    login_as(client, ctx.world.centre)
    assert ctx.tender.reference in client.get("/evaluation/panels").get_data(as_text=True)
    page = client.post(f"/evaluation/tenders/{ctx.tender.id}", data={"lot_id": str(ctx.lot.id), "venue": "Room 5"},
                       follow_redirects=True)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Room 5" in text
    panel = db.session.execute(db.select(Panel)).scalar_one()
    assert f"/draws/{panel.draw_id}" in text
    drawn = client.post(f"/evaluation/panels/{panel.id}/draw", data={}, follow_redirects=True)
    assert drawn.status_code == 200
    db.session.expire_all()
    member = db.session.get(Panel, panel.id).members[0]
    assert member.expert.user.name in drawn.get_data(as_text=True)

    expert = expert_user(member.expert)
    login_as(client, expert)
    mine = client.get("/evaluation/invitations").get_data(as_text=True)
    assert ctx.tender.reference in mine and f'name="panel{panel.id}-reason"' in mine
    client.post(f"/evaluation/panels/{panel.id}/decline",
                data={f"panel{panel.id}-reason_type": "conflict_of_interest",
                      f"panel{panel.id}-reason": "I advised a bidder last year."})
    db.session.expire_all()
    assert db.session.get(Panel, panel.id).members[0].status == "declined"
    other = db.session.get(Panel, panel.id).members[1]
    login_as(client, expert_user(other.expert))
    client.post(f"/evaluation/panels/{panel.id}/accept", data={})
    db.session.expire_all()
    assert db.session.get(Panel, panel.id).members[1].status == "accepted"

    login_as(client, ctx.world.finance)
    assert client.get(f"/evaluation/panels/{panel.id}").status_code == 200
    login_as(client, ctx.world.purchaser)
    assert client.get(f"/evaluation/panels/{panel.id}").status_code == 404


def test_the_chinese_pages(ctx, client):
    login_as(client, ctx.world.centre)
    with client.session_transaction() as sess:
        sess["locale"] = "zh_Hans"
    text = client.get(f"/evaluation/tenders/{ctx.tender.id}").get_data(as_text=True)
    assert "申请评审委员会" in text
