"""The tender API under /api/v1/tenders: the whole lifecycle by tokens, public reads without one,
clear 400/403/404/409 answers with nothing half-written, documents with SHA-256, and every
operation in the OpenAPI document."""

from __future__ import annotations

import hashlib
import io

import pytest
from sqlalchemy import func, select

from core.extensions import db
from procurement.records.models import ProjectRecord
from procurement.tendering.models import Tender
from tests.factories import api_token, auth_header
from tests.procurement.helpers import World
from tests.procurement.tendering.tender_builders import closed_round, deadline, tender_in

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def headers(user) -> dict:
    return auth_header(api_token(user))


def test_the_lifecycle_through_the_api(app, client):
    world, projects, rnd = closed_round(2)
    centre, finance = headers(world.centre), headers(world.finance)
    created = client.post("/api/v1/tenders", headers=centre, json={
        "round_id": rnd.id, "title": "Concrete 2027", "bid_deadline_at": deadline(30).isoformat()})
    assert created.status_code == 201, created.get_json()
    tender = created.get_json()["tender"]
    tid = tender["id"]
    assert tender["status"] == "draft" and tender["lots"][0]["bond_fen"] == 200_000
    assert tender["review"]["checks"] == []

    short = client.patch(f"/api/v1/tenders/{tid}", headers=centre, json={"bid_deadline_at": deadline(5).isoformat()})
    assert short.status_code == 400 and "bid_deadline_at" in short.get_json()["error"]["fields"]
    bond = client.patch(f"/api/v1/tenders/{tid}", headers=centre, json={"lots": [{"number": 1, "bond_fen": 10**9}]})
    assert bond.status_code == 400 and "lots.1.bond_fen" in bond.get_json()["error"]["fields"]
    ok = client.patch(f"/api/v1/tenders/{tid}", headers=centre, json={"lots": [{"number": 1, "bond_fen": 150_000}]})
    assert ok.status_code == 200 and ok.get_json()["tender"]["lots"][0]["bond_fen"] == 150_000

    checks = client.get(f"/api/v1/tenders/{tid}/checks", headers=finance)
    assert checks.status_code == 200 and checks.get_json()["ok"] is True
    assert [c["check"] for c in checks.get_json()["items"]] == ["lots", "method", "ceilings", "bond", "periods", "budget", "evaluation"]

    upload = client.post(f"/api/v1/tenders/{tid}/documents", headers=centre,
                         data={"title": "Tender documents", "file": (io.BytesIO(PDF), "tender.pdf")},
                         content_type="multipart/form-data")
    assert upload.status_code == 201 and upload.get_json()["sha256"] == hashlib.sha256(PDF).hexdigest()

    assert client.post(f"/api/v1/tenders/{tid}/approve", headers=finance).status_code == 409  # still a draft
    assert client.post(f"/api/v1/tenders/{tid}/submit", headers=centre).get_json()["tender"]["status"] == "finance_review"
    assert client.get(f"/api/v1/tenders/{tid}").status_code == 404  # not public yet
    returned = client.post(f"/api/v1/tenders/{tid}/return", headers=finance, json={"comment": "no"})
    assert returned.status_code == 400
    approved = client.post(f"/api/v1/tenders/{tid}/approve", headers=finance, json={"comment": "Within budget"})
    assert approved.status_code == 200 and approved.get_json()["tender"]["status"] == "approved"
    assert client.post(f"/api/v1/tenders/{tid}/publish", headers=finance).status_code == 403
    published = client.post(f"/api/v1/tenders/{tid}/publish", headers=centre)
    assert published.status_code == 200
    body = published.get_json()["tender"]
    assert body["status"] == "published" and body["clarification_cutoff_at"] and body["documents_until"]

    public = client.get(f"/api/v1/tenders/{tid}").get_json()["tender"]  # no token
    assert public["status"] == "published" and "review" not in public
    assert public["documents"][0]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert client.get("/api/v1/tenders").get_json()["total"] == 1
    assert client.get(f"/api/v1/tenders/{tid}/documents").get_json()["items"][0]["title"] == "Tender documents"

    assert client.post(f"/api/v1/tenders/{tid}/publish", headers=centre).status_code == 409  # twice
    cancel = client.post(f"/api/v1/tenders/{tid}/cancel", headers=centre,
                         json={"reason_type": "irregularity", "reason": "A brand was named."})
    assert cancel.status_code == 200 and cancel.get_json()["tender"]["cancel_reason_type"] == "irregularity"


def test_the_managed_list_shows_drafts_to_their_offices_only(app, client):
    world, _projects, tender = tender_in("draft", n_projects=1)
    mine = client.get("/api/v1/tenders?scope=managed", headers=headers(world.centre)).get_json()
    assert [t["id"] for t in mine["items"]] == [tender.id]
    assert client.get("/api/v1/tenders?scope=managed", headers=headers(world.finance)).get_json()["total"] == 0
    assert client.get("/api/v1/tenders?scope=managed", headers=headers(World("hangzhou").centre)).get_json()["total"] == 0
    assert client.get("/api/v1/tenders?scope=managed").get_json()["total"] == 0
    assert client.get("/api/v1/tenders").get_json()["total"] == 0


@pytest.mark.parametrize("method, path, body, status", [
    ("post", "/api/v1/tenders", {"round_id": "x", "title": "t", "bid_deadline_at": "2030-01-01T09:00"}, 400),
    ("post", "/api/v1/tenders", {"round_id": 99999, "title": "t", "bid_deadline_at": "2030-01-01T09:00"}, 404),
    ("post", "/api/v1/tenders", [1, 2], 400),
    ("patch", "/api/v1/tenders/{id}", {"title": 5}, 400),
    ("patch", "/api/v1/tenders/{id}", {"lots": {"number": 1}}, 400),
    ("patch", "/api/v1/tenders/99999", {"title": "x"}, 404),
    ("patch", "/api/v1/tenders/99999999999", {"title": "x"}, 404),
    ("post", "/api/v1/tenders/{id}/cancel", {"reason_type": "whim", "reason": "Because"}, 400),
    ("post", "/api/v1/tenders/{id}/cancel", {"reason": "Because"}, 400),
    ("post", "/api/v1/tenders/{id}/approve", {"comment": 3}, 400),
    ("post", "/api/v1/tenders/{id}/documents", None, 400),
])
def test_bad_requests_get_clear_errors_and_change_nothing(app, client, method, path, body, status):
    world, _projects, tender = tender_in("draft", n_projects=1)
    before = (db.session.execute(select(func.count(Tender.id))).scalar(),
              db.session.execute(select(func.count(ProjectRecord.id))).scalar())
    kwargs = {"headers": headers(world.centre)}
    if body is not None:
        kwargs["json"] = body
    response = getattr(client, method)(path.replace("{id}", str(tender.id)), **kwargs)
    assert response.status_code == status, response.get_json()
    assert set(response.get_json()["error"]) == {"code", "message", "fields"}
    db.session.expire_all()
    assert (db.session.execute(select(func.count(Tender.id))).scalar(),
            db.session.execute(select(func.count(ProjectRecord.id))).scalar()) == before
    assert db.session.get(Tender, tender.id).title == "Concrete for three schools"


def test_writes_need_a_token(app, client):
    _world, _projects, tender = tender_in("draft", n_projects=1)
    assert client.post(f"/api/v1/tenders/{tender.id}/submit").status_code == 401
    assert client.get(f"/api/v1/tenders/{tender.id}/checks").status_code == 401


def test_every_tender_operation_is_documented(app, client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    expected = {("/tenders", "get"), ("/tenders", "post"), ("/tenders/{tender_id}", "get"),
                ("/tenders/{tender_id}", "patch"), ("/tenders/{tender_id}/checks", "get"),
                ("/tenders/{tender_id}/documents", "get"), ("/tenders/{tender_id}/documents", "post")}
    expected |= {(f"/tenders/{{tender_id}}/{a}", "post")
                 for a in ("submit", "approve", "return", "withdraw-approval", "publish", "cancel")}
    for path, method in expected:
        operation = paths[path][method]
        assert {"400", "401", "404"} <= set(operation["responses"]) or path == "/tenders", (path, method)
