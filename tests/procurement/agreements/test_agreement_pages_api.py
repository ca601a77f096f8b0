"""Pages and API of agreements and orders: the same services; quota use as progress bars; bad
input a 400 naming the fields, refusals a 409 with their reason; the OpenAPI document."""

from __future__ import annotations

from sqlalchemy import func, select

from core.extensions import db
from core.timeutil import today_cn
from procurement.orders.models import Order
from tests.factories import api_token, auth_header, login_as
from tests.procurement.agreements.helpers import signed_agreement


def _h(user):
    return auth_header(api_token(user))


def _today_agreement(**extra):
    return signed_agreement(3, valid_from=today_cn().isoformat(), **extra)


def test_order_over_the_api_then_quota_refusals_are_409s(app, client):
    ctx, projects, agreement = _today_agreement()
    quota = next(q for q in agreement.quotas if q.project_id == projects[0].id)
    purchaser = ctx.world.purchaser
    url = f"/api/v1/agreements/{agreement.id}/orders"
    line = {"bom_line_id": quota.bom_line_id, "quantity_milli": quota.quantity_milli}
    bad = client.post(url, json={"project_id": projects[0].id, "lines": []}, headers=_h(purchaser))
    assert bad.status_code == 400 and {"request_id", "lines"} <= set(bad.get_json()["error"]["fields"])
    made = client.post(url, json={"project_id": projects[0].id, "request_id": "a1", "lines": [line]},
                       headers=_h(purchaser))
    assert made.status_code == 201, made.get_json()
    order = made.get_json()["order"]
    assert order["status"] == "placed" and order["lines"][0]["unit_price_fen"] == agreement.suppliers[0].unit_price_fen
    again = client.post(url, json={"project_id": projects[0].id, "request_id": "a1", "lines": [line]},
                        headers=_h(purchaser))
    assert again.status_code == 201 and again.get_json()["order"]["id"] == order["id"]
    over = client.post(url, json={"project_id": projects[0].id, "request_id": "a2",
                                  "lines": [{"bom_line_id": quota.bom_line_id, "quantity_milli": 1}]},
                       headers=_h(purchaser))
    assert over.status_code == 409 and "quota" in over.get_json()["error"]["message"]
    price = client.post(url, json={"project_id": projects[1].id, "request_id": "a3", "lines": [
        {"bom_line_id": next(q for q in agreement.quotas if q.project_id == projects[1].id).bom_line_id,
         "quantity_milli": 1000, "unit_price_fen": 1}]}, headers=_h(purchaser))
    assert price.status_code == 409 and "agreement price" in price.get_json()["error"]["message"]
    assert db.session.execute(select(func.count()).select_from(Order)).scalar_one() == 1
    body = client.get(f"/api/v1/agreements/{agreement.id}", headers=_h(purchaser)).get_json()["agreement"]
    mine = next(q for q in body["quotas"] if q["project_id"] == projects[0].id)
    assert mine["percent"] == 100 and body["ordered_quantity_milli"] == quota.quantity_milli
    firm = next(u for u, _p in ctx.firms if u.organisation_id == order["supplier"]["id"])
    assert client.post(f"/api/v1/orders/{order['id']}/accept", headers=_h(purchaser)).status_code == 409
    assert client.post(f"/api/v1/orders/{order['id']}/confirm", headers=_h(firm)).get_json()["order"]["status"] \
        == "confirmed"
    other_firm = next(u for u, _p in ctx.firms if u.organisation_id != order["supplier"]["id"])
    assert client.get(f"/api/v1/orders/{order['id']}", headers=_h(other_firm)).status_code == 404
    assert client.get(f"/api/v1/orders/{order['id']}", headers=_h(ctx.world.finance)).status_code == 200


def test_the_operations_are_in_the_openapi_document(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    for path in ("/agreements", "/agreements/{agreement_id}", "/lots/{lot_id}/agreement",
                 "/agreements/{agreement_id}/orders", "/orders/{order_id}/cancel"):
        assert path in doc["paths"], path


def test_pages_show_quota_use_and_a_purchaser_orders_on_the_page(app, client):
    ctx, projects, agreement = _today_agreement()
    quota = next(q for q in agreement.quotas if q.project_id == projects[0].id)
    login_as(client, ctx.world.purchaser)
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert "<progress" in page and "<script" not in page
    done = client.post(f"/agreements/{agreement.id}/quotas/{quota.id}/order",
                       data={f"q{quota.id}-quantity": "1.5", f"q{quota.id}-request_id": "pg1",
                             f"q{quota.id}-selection_method": "direct"}, follow_redirects=True)
    assert done.status_code == 200
    order = db.session.execute(select(Order)).scalar_one()
    assert order.lines[0].quantity_milli == 1500
    refused = client.post(f"/agreements/{agreement.id}/quotas/{quota.id}/order",
                          data={f"q{quota.id}-quantity": "999999", f"q{quota.id}-request_id": "pg2",
                                f"q{quota.id}-selection_method": "direct"}, follow_redirects=True)
    assert "quota" in refused.get_data(as_text=True)
    assert client.get("/agreements").status_code == 200 and client.get("/orders").status_code == 200
    login_as(client, ctx.world.centre)
    assert agreement.reference in client.get("/agreements").get_data(as_text=True)
    firm = next(u for u, _p in ctx.firms if u.organisation_id == order.supplier_org_id)
    login_as(client, firm)
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "Confirm the order" in page
    client.post(f"/orders/{order.id}/confirm", data={})
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "confirmed"


def test_agreement_pages_in_chinese_have_no_english_sentences(app, client):
    from tests.core.test_chinese_pages import english_sentences

    ctx, projects, agreement = _today_agreement()
    quota = next(q for q in agreement.quotas if q.project_id == projects[0].id)
    from procurement.orders import services as orders

    order = orders.place_order(ctx.world.purchaser, agreement.id, projects[0].id,
                               {"request_id": "zh", "lines": [{"bom_line_id": quota.bom_line_id, "quantity": "2"}]})
    client.post("/language", data={"lang": "zh_Hans"})
    problems = []
    for user, urls in ((ctx.world.centre, ["/agreements", f"/agreements/{agreement.id}"]),
                       (ctx.world.purchaser, [f"/agreements/{agreement.id}", "/orders", f"/orders/{order.id}"])):
        login_as(client, user)
        for url in urls:
            page = client.get(url)
            assert page.status_code == 200, url
            problems += [f"{url}: {s}" for s in english_sentences(page.get_data(as_text=True))]
    assert "协议" in client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert not problems, problems
