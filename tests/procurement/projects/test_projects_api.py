"""JSON API under /api/v1/projects: same services, clear errors, OpenAPI entries."""

import pytest

from core.extensions import db
from procurement.projects.models import Project
from tests.factories import api_token, auth_header
from tests.procurement.helpers import BUDGET, PROJECT_DATA, World, line, make_standard, stock_products


@pytest.fixture
def w(app):
    make_standard()
    world = World()
    world.h_purchaser = auth_header(api_token(world.purchaser))
    world.h_finance = auth_header(api_token(world.finance))
    world.h_finance2 = auth_header(api_token(world.finance2))
    return world


def create(client, w, **extra):
    res = client.post("/api/v1/projects", json=dict(PROJECT_DATA, **extra), headers=w.h_purchaser)
    assert res.status_code == 201, res.json
    return res.json


def test_full_flow_over_the_api(client, w):
    stock_products(w.city)
    p = create(client, w)
    pid = p["id"]
    assert p["stage"] == "budget" and p["standard"]["edition"] == "2025"
    res = client.put(f"/api/v1/projects/{pid}/budget", json=BUDGET, headers=w.h_purchaser)
    assert res.status_code == 200 and res.json["budget"]["status"] == "submitted"
    res = client.post(f"/api/v1/projects/{pid}/budget/approve", json={"comment": "fine"}, headers=w.h_finance)
    assert res.json["budget"]["status"] == "approved"
    res = client.post(f"/api/v1/projects/{pid}/budget/approve", json={}, headers=w.h_finance2)
    assert res.status_code == 409 and res.json["error"]["code"] == "conflict"
    res = client.get(f"/api/v1/projects/{pid}/transitions", headers=w.h_purchaser)
    assert res.json["available"] == [{"to": "design", "kind": "advance"}]
    assert res.json["next_gates"][0] == {"name": "budget_approved", "passed": True,
                                         "message": res.json["next_gates"][0]["message"],
                                         "details": {"total_fen": BUDGET["total_fen"]}}
    res = client.post(f"/api/v1/projects/{pid}/transitions", json={"from": "budget", "to": "design"},
                      headers=w.h_purchaser)
    assert res.status_code == 200 and res.json["stage"] == "design"
    res = client.post(f"/api/v1/projects/{pid}/bom", json=line(), headers=w.h_purchaser)
    assert res.status_code == 201 and res.json["line_no"] == 1 and res.json["total_fen"] == 5_000_000
    res = client.patch(f"/api/v1/projects/{pid}/bom/1", json={"quantity": "120"}, headers=w.h_purchaser)
    assert res.json["quantity"] == "120"
    res = client.get(f"/api/v1/projects/{pid}/bom", headers=w.h_finance)
    assert res.json["summary"]["total_fen"] == 6_000_000 and res.json["summary"]["within_budget"] is True
    assert res.json["lines"][0]["products"]["count"] == 1
    res = client.post(f"/api/v1/projects/{pid}/transitions", json={"from": "design", "to": "procurement"},
                      headers=w.h_purchaser)
    assert res.status_code == 200 and res.json["stage"] == "procurement"
    res = client.get(f"/api/v1/projects/{pid}/records", headers=w.h_purchaser)
    assert res.json["chain_intact"] is True
    kinds = [r["kind"] for r in res.json["records"]]
    assert kinds == ["project_registered", "budget_submitted", "budget_approved", "stage_advanced",
                     "bom_line_added", "bom_line_changed", "stage_advanced"]
    assert res.json["records"][1]["prev_hash"] == res.json["records"][0]["hash"]


def test_gate_refusal_is_409_with_every_check(client, w):
    p = create(client, w)
    res = client.post(f"/api/v1/projects/{p['id']}/transitions", json={"from": "budget", "to": "design"},
                      headers=w.h_purchaser)
    assert res.status_code == 409
    err = res.json["error"]
    assert err["code"] == "gate_refused" and "budget_approved" in err["fields"]
    assert err["checks"][0]["passed"] is False


@pytest.mark.parametrize("body,status", [
    ({"to": "design"}, 400), ({"from": "budget"}, 400), ({"from": "budget", "to": "closed"}, 400),
    ({"from": "design", "to": "procurement"}, 409), ({"from": "budget", "to": "design", "kind": "jump"}, 400),
    ({"from": "budget", "to": "design", "reason": 42}, 400), ({"from": "budget", "to": ["design"]}, 400),
    ({"from": "budget", "to": "budget", "kind": "return", "reason": "x" * 10}, 400),
])
def test_bad_transition_requests(client, w, body, status):
    p = create(client, w)
    res = client.post(f"/api/v1/projects/{p['id']}/transitions", json=body, headers=w.h_purchaser)
    assert res.status_code == status and "error" in res.json


@pytest.mark.parametrize("body", [
    {"floor_area_m2": -1}, {"floor_area_m2": 99_999_999}, {"building_type": "castle"}, {"name": None},
])
def test_bad_project_json(client, w, body):
    res = client.post("/api/v1/projects", json=dict(PROJECT_DATA, **body), headers=w.h_purchaser)
    assert res.status_code == 400 and res.json["error"]["fields"]
    assert db.session.execute(db.select(Project)).first() is None


def test_not_json_and_wrong_types(client, w):
    res = client.post("/api/v1/projects", data="name=x", headers=w.h_purchaser)
    assert res.status_code == 400
    res = client.post("/api/v1/projects", json=[1, 2], headers=w.h_purchaser)
    assert res.status_code == 400
    p = create(client, w)
    res = client.put(f"/api/v1/projects/{p['id']}/budget", json={"total_fen": "1e99", "green_share_bp": [],
                                                                 "funding_sources": "lots"}, headers=w.h_purchaser)
    assert res.status_code == 400 and {"total_fen", "green_share_bp", "funding_sources"} <= set(res.json["error"]["fields"])
    res = client.put(f"/api/v1/projects/{p['id']}/budget", json=dict(BUDGET, total_fen=BUDGET["total_fen"] + 1),
                     headers=w.h_purchaser)
    assert res.status_code == 400 and "funding total" in res.json["error"]["fields"]["total_fen"]


def test_visibility_over_the_api(client, w):
    p = create(client, w)
    other = World("nanjing")
    h_other = auth_header(api_token(other.purchaser))
    assert client.get(f"/api/v1/projects/{p['id']}", headers=h_other).status_code == 404
    assert client.patch(f"/api/v1/projects/{p['id']}", json={"name": "x"}, headers=h_other).status_code == 404
    assert client.get("/api/v1/projects", headers=h_other).json["total"] == 0
    assert client.get("/api/v1/projects", headers=w.h_purchaser).json["total"] == 1
    qd = World("qingdao")
    assert client.get(f"/api/v1/projects/{p['id']}", headers=auth_header(api_token(qd.finance))).status_code == 404
    assert client.get(f"/api/v1/projects/{p['id']}", headers=w.h_finance).status_code == 200
    assert client.get("/api/v1/projects").status_code == 401
    assert client.get("/api/v1/projects?stage=nowhere", headers=w.h_finance).status_code == 400
    assert client.get("/api/v1/projects?budget_status=lost", headers=w.h_finance).status_code == 400
    assert client.get("/api/v1/projects?budget_status=submitted", headers=w.h_finance).json["total"] == 0
    client.put(f"/api/v1/projects/{p['id']}/budget", json=BUDGET, headers=w.h_purchaser)
    assert client.get("/api/v1/projects?budget_status=submitted", headers=w.h_finance).json["total"] == 1


def test_openapi_lists_project_operations(client, w):
    doc = client.get("/api/v1/openapi.json").json
    for path, method in [("/projects", "get"), ("/projects", "post"), ("/projects/{project_id}", "patch"),
                         ("/projects/{project_id}/budget", "put"), ("/projects/{project_id}/budget/approve", "post"),
                         ("/projects/{project_id}/budget/return", "post"), ("/projects/{project_id}/bom", "post"),
                         ("/projects/{project_id}/bom/{line_no}", "delete"),
                         ("/projects/{project_id}/transitions", "post"), ("/projects/{project_id}/records", "get")]:
        assert method in doc["paths"][path], (path, method)
    assert "BudgetInput" in doc["components"]["schemas"]


def test_bom_delete_and_loosened_limit_over_api(client, w):
    p = create(client, w)
    pid = p["id"]
    client.put(f"/api/v1/projects/{pid}/budget", json=BUDGET, headers=w.h_purchaser)
    client.post(f"/api/v1/projects/{pid}/budget/approve", json={}, headers=w.h_finance)
    client.post(f"/api/v1/projects/{pid}/transitions", json={"from": "budget", "to": "design"}, headers=w.h_purchaser)
    res = client.post(f"/api/v1/projects/{pid}/bom", json=line("wall_coatings", unit="kg", tightenings={"voc": 120}),
                      headers=w.h_purchaser)
    assert res.status_code == 400 and "Looser than the standard" in res.json["error"]["fields"]["tightenings.voc"]
    client.post(f"/api/v1/projects/{pid}/bom", json=line(), headers=w.h_purchaser)
    assert client.delete(f"/api/v1/projects/{pid}/bom/1", headers=w.h_purchaser).status_code == 204
    assert client.delete(f"/api/v1/projects/{pid}/bom/1", headers=w.h_purchaser).status_code == 404
