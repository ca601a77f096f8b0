"""The expert pool: the finance office adds, changes and deactivates experts (service, API,
pages); others are refused; the new account is invited and cannot be drawn until it signs up."""

from __future__ import annotations

import pytest

from core import roles as R
from core.errors import PermissionDenied, ValidationError
from core.extensions import db
from core.models import MailMessage, Organisation
from procurement.evaluation import experts as expert_svc
from tests.factories import api_token, auth_header, login_as
from tests.procurement.helpers import World, make_standard

GOOD = {"email": "li.ming@example.test", "name": "李明", "specialities": ["ready_mixed_concrete"],
        "employer_name": "南京建筑设计研究院", "employer_credit_code": "", "province": "江苏", "locality": "南京"}


@pytest.fixture
def w(app):
    make_standard()
    return World()


def test_the_finance_office_adds_an_expert_who_is_invited(w):
    expert = expert_svc.add_expert(w.finance, GOOD)
    assert expert.city_id == w.city.id and expert.specialities == ["ready_mixed_concrete"]
    assert not expert.user.active and expert.user.has_role(R.EXPERT)
    pool = db.session.get(Organisation, expert.pool_org_id)
    assert pool.kind == R.ORG_EXPERT_POOL and pool.city_id == w.city.id
    mail = db.session.execute(db.select(MailMessage).filter_by(to_address=GOOD["email"])).scalar_one()
    assert "/invitations/" in mail.body and "评审专家库" in mail.body  # the expert's language: Chinese
    second = expert_svc.add_expert(w.finance, dict(GOOD, email="wang@example.test"))
    assert second.pool_org_id == pool.id  # one pool per city


def test_bad_details_are_refused_field_by_field(w):
    with pytest.raises(ValidationError) as exc:
        expert_svc.add_expert(w.finance, dict(GOOD, email="nope", specialities=["no_such_category"],
                                              employer_credit_code="91320100ABCDEFGHIX", employer_name=""))
    assert set(exc.value.fields) == {"email", "specialities", "employer_credit_code", "employer_name"}
    expert_svc.add_expert(w.finance, GOOD)
    with pytest.raises(ValidationError) as exc:
        expert_svc.add_expert(w.finance, GOOD)
    assert "email" in exc.value.fields


def test_only_the_city_finance_office_keeps_the_pool(w):
    with pytest.raises(PermissionDenied):
        expert_svc.add_expert(w.centre, GOOD)
    expert = expert_svc.add_expert(w.finance, GOOD)
    elsewhere = World("qingdao")
    from core.errors import NotFound

    with pytest.raises(NotFound):
        expert_svc.update_expert(elsewhere.finance, expert.id, {"active": False})
    changed = expert_svc.update_expert(w.finance, expert.id, {"active": False, "specialities": ["wall_coatings"]})
    assert not changed.active and changed.deactivated_at is not None and changed.specialities == ["wall_coatings"]
    assert expert_svc.update_expert(w.finance, expert.id, {"active": "yes"}).active


def test_the_pool_api(w, client):
    token = api_token(w.finance)
    made = client.post("/api/v1/experts", json=GOOD, headers=auth_header(token))
    assert made.status_code == 201, made.get_json()
    expert_id = made.get_json()["expert"]["id"]
    listed = client.get("/api/v1/experts?active=true", headers=auth_header(token)).get_json()
    assert [e["id"] for e in listed["experts"]] == [expert_id] and listed["total"] == 1
    patched = client.patch(f"/api/v1/experts/{expert_id}", json={"active": False, "locality": "江宁"},
                           headers=auth_header(token))
    assert patched.get_json()["expert"]["active"] is False and patched.get_json()["expert"]["locality"] == "江宁"
    bad = client.post("/api/v1/experts", json=dict(GOOD, email="x@example.test", specialities="??"),
                      headers=auth_header(token))
    assert bad.status_code == 400 and "specialities" in bad.get_json()["error"]["fields"]
    assert client.post("/api/v1/experts", json=GOOD, headers=auth_header(api_token(w.centre))).status_code == 403


def test_the_pool_pages(w, client):
    login_as(client, w.finance)
    page = client.post("/evaluation/experts/new", data={
        "email": "zhao@example.test", "name": "赵六", "specialities": ["ready_mixed_concrete", "wall_coatings"],
        "employer_name": "南京大学", "employer_credit_code": "", "province": "江苏", "locality": "南京"},
        follow_redirects=True)
    assert page.status_code == 200 and "赵六" in page.get_data(as_text=True)
    listing = client.get("/evaluation/experts").get_data(as_text=True)
    assert "赵六" in listing and "南京大学" in listing
    expert = expert_svc.list_pool(w.finance)[0][0]
    client.post(f"/evaluation/experts/{expert.id}/active", data={})  # unticked: deactivate
    db.session.expire_all()
    assert expert_svc.get_expert(w.finance, expert.id).active is False
    bad = client.post("/evaluation/experts/new", data={"email": "x@example.test", "name": "X",
                                                     "specialities": ["ready_mixed_concrete"],
                                                     "employer_name": "Y", "employer_credit_code": "123"})
    assert bad.status_code == 200 and "18 characters" in bad.get_data(as_text=True)
    login_as(client, w.centre)
    assert client.get("/evaluation/experts").status_code == 403
