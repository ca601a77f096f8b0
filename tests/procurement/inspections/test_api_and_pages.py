"""The inspection API and pages: the authority opens and draws, the team records, the authority
publishes, the target answers a notice; anonymous visitors read published results. Same services
as the tests beside; documented in the OpenAPI document."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from core.extensions import db
from core.timeutil import today_cn
from procurement.inspections.models import Inspection, Rectification
from tests.factories import api_token, auth_header, login_as
from tests.procurement.inspections.helpers import (
    campaign_data,
    city_world,
    member_of,
    other_city_inspector,
    under_construction,
)


@pytest.fixture
def ctx(app):
    ctx = city_world(inspectors=3)
    under_construction(ctx.world, 2)
    return ctx


def test_the_api_flow(ctx, client):
    chief = auth_header(api_token(ctx.chief))
    made = client.post("/api/v1/inspection-campaigns", json=campaign_data(), headers=chief)
    assert made.status_code == 201, made.get_json()
    campaign = made.get_json()["campaign"]
    assert campaign["status"] == "planned" and campaign["items"][0]["code"] == "k1"
    bad = client.post("/api/v1/inspection-campaigns", json=campaign_data(team_size=1), headers=chief)
    assert bad.status_code == 400 and "team_size" in bad.get_json()["error"]["fields"]
    drawn = client.post(f"/api/v1/inspection-campaigns/{campaign['id']}/draw", headers=chief).get_json()["campaign"]
    assert drawn["status"] == "active" and len(drawn["inspections"]) == 2
    iid = drawn["inspections"][0]["id"]
    teamed = client.post(f"/api/v1/inspections/{iid}/draw-team", headers=chief).get_json()["inspection"]
    assert teamed["status"] == "scheduled" and len([s for s in teamed["seats"] if s["status"] == "active"]) == 2
    member = auth_header(api_token(member_of(db.session.get(Inspection, iid))))
    body = {"items_checked": [{"code": "k1", "outcome": "fail", "note": "uncertified boards"}],
            "samples": [{"batch": "B-7", "product": "XPS board", "lab": "Nanjing lab", "outcome": "fail"}],
            "findings": "Boards without a valid certificate.", "ended_on": today_cn().isoformat()}
    rec = client.post(f"/api/v1/inspections/{iid}/results", json=body, headers=member)
    assert rec.status_code == 200, rec.get_json()
    assert rec.get_json()["inspection"]["publication"] == "due"
    outsider = auth_header(api_token(other_city_inspector()))
    refused = client.post(f"/api/v1/inspections/{iid}/publish", headers=outsider)
    assert refused.status_code == 403 and refused.get_json()["error"]["message"]
    assert client.post(f"/api/v1/inspections/{iid}/publish", headers=chief).status_code == 200
    notice = client.post(f"/api/v1/inspections/{iid}/rectifications", headers=member, json={
        "required_actions": "Replace the boards.", "deadline": (today_cn() + dt.timedelta(days=20)).isoformat()})
    assert notice.status_code == 201
    rid = notice.get_json()["rectification"]["id"]
    target = auth_header(api_token(ctx.world.purchaser))
    answered = client.post(f"/api/v1/rectifications/{rid}/response", headers=target, data={
        "response": "Replaced on site.", "evidence": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "proof.pdf")},
        content_type="multipart/form-data")
    assert answered.status_code == 200, answered.get_json()
    assert answered.get_json()["rectification"]["status"] == "responded"
    assert client.post(f"/api/v1/rectifications/{rid}/response", headers=target, json={}).status_code == 400
    closed = client.post(f"/api/v1/rectifications/{rid}/reinspection", headers=chief,
                         json={"outcome": "close", "note": "Checked on site."})
    assert closed.get_json()["rectification"]["status"] == "closed"
    public = client.get("/api/v1/public/inspections").get_json()["inspections"]
    assert [p["id"] for p in public] == [iid]
    one = client.get(f"/api/v1/public/inspections/{iid}").get_json()["inspection"]
    assert "seats" not in one and one["samples"][0]["batch"] == "B-7"


def test_the_pages(ctx, client):
    login_as(client, ctx.chief)
    assert client.get("/inspections").status_code == 200
    form = client.get("/inspections/campaigns/new")
    assert form.status_code == 200
    made = client.post("/inspections/campaigns/new", data={
        "title": "Spot checks", "starts_on": "2026-09-01", "ends_on": "2026-12-31", "team_size": "2",
        "items-0-name": "Materials on site", "items-0-klass": "key", "items-0-target": "project",
        "items-0-share_pct": "100"})
    assert made.status_code == 302, made.get_data(as_text=True)
    bad = client.post("/inspections/campaigns/new", data={
        "title": "Spot checks", "starts_on": "2026-09-01", "ends_on": "2026-12-31", "team_size": "2",
        "items-0-name": "General", "items-0-klass": "general", "items-0-target": "project",
        "items-0-share_pct": "50"})
    assert bad.status_code == 200 and "bp of its pool" in bad.get_data(as_text=True)
    from procurement.inspections.models import Campaign

    campaign = db.session.execute(db.select(Campaign)).scalar_one()
    client.post(f"/inspections/campaigns/{campaign.id}/draw")
    inspection = db.session.execute(db.select(Inspection)).scalars().first()
    client.post(f"/inspections/{inspection.id}/draw-team")
    page = client.get(f"/inspections/{inspection.id}")
    assert page.status_code == 200 and "Random draw" in page.get_data(as_text=True)
    assert client.get("/inspections/ties").status_code == 200
    assert client.get("/public/inspections").status_code == 200
    login_as(client, ctx.world.purchaser)
    assert client.get(f"/inspections/{inspection.id}").status_code == 200   # the inspected organisation
    assert client.get("/inspections/rectifications").status_code == 200
    assert client.get("/inspections/campaigns/new").status_code == 403
    assert db.session.execute(db.select(Rectification)).first() is None


def test_the_pages_in_chinese_have_no_english_sentences(ctx, client):
    from procurement.inspections import campaigns, results, teams
    from tests.core.test_chinese_pages import english_sentences
    from tests.procurement.inspections.helpers import ITEM, opened, result_data

    # (the user's own text in Chinese: title, item, findings)
    campaign = campaigns.draw_targets(ctx.chief, opened(ctx, [dict(ITEM, name="施工现场节能材料")],
                                                         title="建筑节能材料专项检查").id)
    inspection = campaign.inspections[0]
    teams.draw_team(ctx.chief, inspection.id)
    inspection = db.session.get(Inspection, inspection.id)
    results.record_results(member_of(inspection), inspection.id,
                           dict(result_data(inspection), findings="进场材料与送货单一致。"))
    results.publish(ctx.chief, inspection.id)
    login_as(client, ctx.chief)
    zh = {"Accept-Language": "zh-CN"}
    for path in ("/inspections", "/inspections/campaigns/new", f"/inspections/campaigns/{campaign.id}",
                 f"/inspections/{inspection.id}", "/inspections/ties", "/public/inspections",
                 f"/public/inspections/{inspection.id}"):
        response = client.get(path, headers=zh)
        assert response.status_code == 200, path
        assert english_sentences(response.get_data(as_text=True)) == [], path
