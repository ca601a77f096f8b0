"""The pooling API (/api/v1/pooling-rounds): JSON bodies for every outcome (201, 200, 400, 403,
404, 409), the same rules as the pages."""

import datetime as dt

import pytest

from core.extensions import db
from core.timeutil import utcnow
from procurement.pooling.models import PooledLine
from tests.factories import api_token, auth_header
from tests.procurement.helpers import World, line
from tests.procurement.pooling.helpers import bill_line, open_round, round_data
from tests.procurement.tendering_helpers import procurement_world


@pytest.fixture
def world(app):
    w, projects = procurement_world(2, line(), line("wall_coatings", specification="Interior paint"))
    w.projects = projects
    w.h_centre = auth_header(api_token(w.centre))
    w.h_purchaser = auth_header(api_token(w.purchaser))
    return w


def error(response, status):
    assert response.status_code == status, response.get_json()
    body = response.get_json()["error"]
    assert set(body) == {"code", "message", "fields"}
    return body


def test_centre_opens_lists_reads_and_closes_a_round(client, world):
    res = client.post("/api/v1/pooling-rounds", json=round_data("ready_mixed_concrete"), headers=world.h_centre)
    assert res.status_code == 201
    r = res.get_json()["round"]
    assert r["status"] == "open" and r["collecting"] is True and r["categories"][0]["code"] == "ready_mixed_concrete"
    listed = client.get("/api/v1/pooling-rounds?status=open", headers=world.h_purchaser).get_json()
    assert listed["total"] == 1 and listed["rounds"][0]["reference"] == r["reference"]
    got = client.get(f"/api/v1/pooling-rounds/{r['id']}", headers=world.h_centre).get_json()["round"]
    assert got["lines"] == []
    closed = client.post(f"/api/v1/pooling-rounds/{r['id']}/close", headers=world.h_centre)
    assert closed.status_code == 200 and closed.get_json()["round"]["status"] == "closed"
    assert error(client.post(f"/api/v1/pooling-rounds/{r['id']}/close", headers=world.h_centre), 409)["code"] \
        == "illegal_transition"


def test_bad_input_is_400_with_fields(client, world):
    body = error(client.post("/api/v1/pooling-rounds", json={"title": "x", "categories": [],
                                                              "closes_at": "tomorrow"}, headers=world.h_centre), 400)
    assert {"categories", "closes_at"} <= set(body["fields"])
    error(client.post("/api/v1/pooling-rounds", data="nope", headers=world.h_centre), 400)
    error(client.get("/api/v1/pooling-rounds?status=bogus", headers=world.h_centre), 400)
    error(client.get("/api/v1/pooling-rounds?page=0", headers=world.h_centre), 400)
    r = open_round(world)
    error(client.post(f"/api/v1/pooling-rounds/{r.id}/lines", json={"project_id": "one", "bom_line_ids": [1]},
                      headers=world.h_purchaser), 400)
    error(client.post(f"/api/v1/pooling-rounds/{r.id}/lines", json={"project_id": world.projects[0].id,
                                                                    "bom_line_ids": "all"},
                      headers=world.h_purchaser), 400)
    error(client.post(f"/api/v1/pooling-rounds/{r.id}/cancel", json={"reason": ""}, headers=world.h_centre), 400)
    error(client.get(f"/api/v1/pooling-rounds/{r.id}/eligible-lines", headers=world.h_purchaser), 400)


def test_roles_and_cities_are_403_and_404(client, world):
    error(client.post("/api/v1/pooling-rounds", json=round_data(), headers=world.h_purchaser), 403)
    r = open_round(world)
    error(client.post(f"/api/v1/pooling-rounds/{r.id}/close", headers=world.h_purchaser), 403)
    p = world.projects[0]
    error(client.post(f"/api/v1/pooling-rounds/{r.id}/lines", json={"project_id": p.id,
                                                                    "bom_line_ids": [bill_line(p).id]},
                      headers=world.h_centre), 403)
    other = auth_header(api_token(World("qingdao").centre))
    error(client.get(f"/api/v1/pooling-rounds/{r.id}", headers=other), 404)
    error(client.post(f"/api/v1/pooling-rounds/{r.id}/close", headers=other), 404)
    error(client.get("/api/v1/pooling-rounds/999999", headers=world.h_centre), 404)
    assert client.get("/api/v1/pooling-rounds").status_code == 401


def test_purchaser_contributes_sees_own_lines_and_withdraws(client, world):
    r = open_round(world, "ready_mixed_concrete", "wall_coatings")
    p = world.projects[0]
    eligible = client.get(f"/api/v1/pooling-rounds/{r.id}/eligible-lines?project_id={p.id}",
                          headers=world.h_purchaser).get_json()["lines"]
    assert [ln["line_no"] for ln in eligible] == [1, 2]
    res = client.post(f"/api/v1/pooling-rounds/{r.id}/lines", headers=world.h_purchaser,
                      json={"project_id": p.id, "bom_line_ids": [eligible[0]["id"]]})
    assert res.status_code == 201
    (pooled,) = res.get_json()["lines"]
    assert pooled["status"] == "contributed" and pooled["line_no"] == 1 and pooled["est_amount_fen"] == 5_000_000
    again = error(client.post(f"/api/v1/pooling-rounds/{r.id}/lines", headers=world.h_purchaser,
                              json={"project_id": p.id, "bom_line_ids": [eligible[0]["id"]]}), 409)
    assert "already pooled" in again["message"]
    own = client.get(f"/api/v1/pooling-rounds/{r.id}", headers=world.h_purchaser).get_json()["round"]["lines"]
    assert [ln["id"] for ln in own] == [pooled["id"]]
    error(client.post(f"/api/v1/pooling-rounds/{r.id + 1}/lines/{pooled['id']}/withdraw",
                      headers=world.h_purchaser), 404)
    res = client.post(f"/api/v1/pooling-rounds/{r.id}/lines/{pooled['id']}/withdraw", headers=world.h_purchaser)
    assert res.status_code == 200 and res.get_json()["line"]["status"] == "withdrawn"
    error(client.post(f"/api/v1/pooling-rounds/{r.id}/lines/{pooled['id']}/withdraw",
                      headers=world.h_purchaser), 409)


def test_cancel_and_a_round_past_its_time(client, world):
    r = open_round(world)
    p = world.projects[0]
    client.post(f"/api/v1/pooling-rounds/{r.id}/lines", headers=world.h_purchaser,
                json={"project_id": p.id, "bom_line_ids": [bill_line(p).id]})
    res = client.post(f"/api/v1/pooling-rounds/{r.id}/cancel", json={"reason": "Demand changed."},
                      headers=world.h_centre)
    assert res.status_code == 200 and res.get_json()["round"]["status"] == "cancelled"
    assert db.session.execute(db.select(PooledLine.status)).scalar_one() == "withdrawn"
    late = client.post("/api/v1/pooling-rounds", headers=world.h_centre, json=round_data(
        closes_at=(utcnow() + dt.timedelta(minutes=11)).isoformat())).get_json()["round"]
    from tests.procurement.pooling.helpers import past_closing
    from procurement.pooling.models import PoolingRound

    past_closing(db.session.get(PoolingRound, late["id"]))
    got = client.get(f"/api/v1/pooling-rounds/{late['id']}", headers=world.h_purchaser).get_json()["round"]
    assert got["status"] == "closed" and got["collecting"] is False
    body = error(client.post(f"/api/v1/pooling-rounds/{late['id']}/lines", headers=world.h_purchaser,
                             json={"project_id": p.id, "bom_line_ids": [bill_line(p).id]}), 409)
    assert "takes no more lines" in body["message"]
