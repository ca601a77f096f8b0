"""Automatic returns on the pages and in the API: "refund pending" after a cancellation (and that
the provider is being retried), "returned" with its cause after the job; the firm's "ask for the
bond back" form and API call; in Chinese too."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import procurement.models  # noqa: F401
from core import scheduler
from core.extensions import db
from procurement.bonds import services
from procurement.bonds.models import Bond
from procurement.payments import gateway
from procurement.tendering import services as tender_services
from tests.factories import api_token, auth_header, login_as
from tests.procurement.bonds.helpers import supplier
from tests.procurement.helpers import World, make_standard
from tests.procurement.tendering_helpers import make_tender


@pytest.fixture
def w(app):
    make_standard()
    return World()


def held_card(user, lot):
    bond, _ = services.start_card_payment(user, lot.id)
    services.pay_with_test_method(user, bond.id)
    return bond


def status(bond) -> str:
    return db.session.execute(select(Bond.status).where(Bond.id == bond.id)
                              .execution_options(populate_existing=True)).scalar_one()


def test_after_a_cancellation_the_pages_say_refund_pending_then_returned(w, client, monkeypatch):
    tender = make_tender(w)
    s = supplier("Refunded Ltd")
    bond = held_card(s, tender.lots[0])
    tender_services.cancel(w.centre, tender.id, "budget_withdrawn", "The budget was withdrawn this year.")
    login_as(client, s)
    page = client.get(f"/bonds/{bond.id}")
    assert page.status_code == 200 and "Refund pending" in page.text and "The tender was cancelled" in page.text
    assert status(bond) == "held"  # showing the page does not call the provider
    assert "Refund pending" in client.get(f"/lots/{bond.lot_id}/bond").text
    login_as(client, w.centre)
    listed = client.get(f"/tenders/{tender.id}/bonds")
    assert "Refunded Ltd" in listed.text and "Refund pending" in listed.text
    assert "Forfeit the bond" not in client.get(f"/bonds/{bond.id}").text

    def down(*args, **kwargs):
        raise gateway.PaymentsUnavailable("down")

    monkeypatch.setattr(gateway, "refund_payment_intent", down)
    scheduler.run_due()
    retrying = client.get(f"/bonds/{bond.id}")
    assert "could not be reached (1 attempts)" in retrying.text
    monkeypatch.undo()
    scheduler.run_due(scheduler.deadline_for("bonds.refund", "bond_refunds", bond.id).due_at)
    done = client.get(f"/bonds/{bond.id}")
    assert "Returned" in done.text and "Refund pending" not in done.text and "The tender was cancelled" in done.text


def test_the_firm_asks_for_its_bond_back_on_its_page(w, client, csrf_enabled):
    tender = make_tender(w)
    s = supplier()
    bond = held_card(s, tender.lots[0])
    login_as(client, s)
    page = client.get(f"/bonds/{bond.id}")
    assert "Ask for the bond back" in page.text
    assert client.post(f"/bonds/{bond.id}/return").status_code == 400  # no CSRF token
    assert db.session.get(Bond, bond.id).refund_requested_at is None
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    r = client.post(f"/bonds/{bond.id}/return", data={"csrf_token": token})
    assert r.status_code == 302
    after = client.get(r.headers["Location"])
    assert "Refund pending" in after.text and "Ask for the bond back" not in after.text
    assert "The firm has no bid on the lot" in after.text
    other = supplier()
    login_as(client, other)
    assert client.post(f"/bonds/{bond.id}/return", data={"csrf_token": token}).status_code in (400, 404)


def test_api_ask_back_and_refund_fields(w, client):
    tender = make_tender(w)
    s = supplier()
    bond = held_card(s, tender.lots[0])
    headers = auth_header(api_token(s))
    body = client.get(f"/api/v1/bonds/{bond.id}", headers=headers).get_json()["bond"]
    assert (body["refund_pending"], body["refund_cause"], body["refund_requested_at"]) == (False, None, None)
    r = client.post(f"/api/v1/bonds/{bond.id}/return", headers=headers)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()["bond"]
    assert body["refund_pending"] and body["refund_cause"] == "no_bid" and body["status"] == "held"
    assert client.post(f"/api/v1/bonds/{bond.id}/return", headers=auth_header(api_token(supplier()))).status_code == 404
    assert client.post("/api/v1/bonds/999999/return", headers=headers).status_code == 404
    scheduler.run_due()
    body = client.get(f"/api/v1/bonds/{bond.id}", headers=headers).get_json()["bond"]
    assert body["status"] == "refunded" and not body["refund_pending"] and body["refund_cause"] == "no_bid"


def test_refund_pages_in_chinese(w, client):
    tender = make_tender(w)
    s = supplier()
    s.locale = "zh_Hans"
    db.session.commit()
    bond = held_card(s, tender.lots[0])
    login_as(client, s)
    asking = client.get(f"/bonds/{bond.id}")
    assert "申请退还保证金" in asking.text and "Ask for the bond back" not in asking.text
    tender_services.cancel(w.centre, tender.id, "budget_withdrawn", "The budget was withdrawn this year.")
    pending = client.get(f"/bonds/{bond.id}")
    assert "待退还" in pending.text and "招标已终止" in pending.text
    for sentence in ("Refund pending", "The tender was cancelled", "Returned because", "platform returns"):
        assert sentence not in pending.text


def test_the_bid_page_links_each_lot_to_its_bond_and_the_tender_page_the_centre_to_the_bonds(app, client):
    from core.timeutil import utcnow
    from tests.procurement.bids.helpers import sealed_tender

    ctx = sealed_tender()
    login_as(client, ctx.supplier)
    page = client.get(f"/tenders/{ctx.tender.id}/bids")
    assert page.status_code == 200 and f"/lots/{ctx.lot.id}/bond" in page.text and "1,000.00" in page.text
    login_as(client, ctx.world.centre)
    assert f"/tenders/{ctx.tender.id}/bonds" not in client.get(f"/tenders/{ctx.tender.id}").text  # before the deadline
    ctx.tender.bid_deadline_at = utcnow()
    ctx.tender.status = "closed"
    db.session.commit()
    assert f"/tenders/{ctx.tender.id}/bonds" in client.get(f"/tenders/{ctx.tender.id}").text
