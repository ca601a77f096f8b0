"""The centre's start form (lot or mini-competition subject, invited firms, deadline, step rule),
its errors, the rule that only a negotiated tender's lot or a failed lot whose next step is the
negotiation may be negotiated (recorded as what the negotiation follows), and the links from a
failed lot and from the tender page."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core import roles as R
from core.errors import ValidationError
from core.extensions import db
from core.models import AuditEvent
from procurement.negotiation import services
from procurement.negotiation.models import Negotiation
from tests.factories import login, make_org, make_user
from tests.procurement.negotiation.helpers import free_lot, world


def _future(days: int = 2) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def _count() -> int:
    return db.session.execute(select(func.count(Negotiation.id))).scalar_one()


def test_start_form_errors_then_start_on_the_preselected_lot(client):
    ctx = world()
    free_lot(ctx)
    login(client, ctx.firms[0])
    assert client.get("/negotiations/new").status_code == 403          # only a centre's officers
    client.post("/logout")
    login(client, ctx.world.centre)
    page = client.get(f"/negotiations/new?lot={ctx.lot.id}").get_data(as_text=True)
    assert f'value="{ctx.lot.id}" selected' in page or f'selected value="{ctx.lot.id}"' in page
    before = _count()
    firms = [str(f.organisation_id) for f in ctx.firms]
    base = {"kind": "competitive_negotiation", "title": "Second try", "lot_id": str(ctx.lot.id),
            "first_deadline_at": _future(), "tie_rule": "earliest_offer", "supplier_org_ids": firms,
            "step_percent": "1", "step_min": "100"}
    bad = client.post("/negotiations/new", data=dict(base, supplier_org_ids=firms[:2], ceiling="abc",
                                                      first_deadline_at="2001-01-01T09:00"))
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "is-invalid" in text and _count() == before
    assert 'id="ceiling-error"' in text
    bad = client.post("/negotiations/new", data=dict(base, step_percent="", step_min="",
                                                      first_deadline_at="2001-01-01T09:00"))
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and 'id="first_deadline_at-error"' in text and _count() == before
    bad = client.post("/negotiations/new", data=dict(base, step_percent="", step_min=""))
    assert bad.status_code == 400 and 'id="step_percent-error"' in bad.get_data(as_text=True)
    bad = client.post("/negotiations/new", data=dict(base, supplier_org_ids=firms[:2]))
    assert bad.status_code == 400 and 'id="supplier_org_ids-error"' in bad.get_data(as_text=True)
    assert _count() == before
    made = client.post("/negotiations/new", data=base)
    assert made.status_code == 302 and _count() == before + 1
    negotiation = db.session.execute(select(Negotiation).order_by(Negotiation.id.desc())).scalars().first()
    assert (negotiation.lot_id, negotiation.ceiling_fen, negotiation.step_bp, negotiation.step_min_fen) == (
        ctx.lot.id, ctx.lot.ceiling_fen, 100, 10_000)
    again = client.post("/negotiations/new", data=base)                # the lot has a live negotiation now
    assert again.status_code == 400 and 'id="lot_id-error"' in again.get_data(as_text=True)


def test_start_form_mini_competition_subject(client):
    ctx = world()
    login(client, ctx.world.centre)
    data = {"kind": "mini_competition", "title": "Call-off 7", "first_deadline_at": _future(),
            "tie_rule": "lower_first_offer", "supplier_org_ids": [str(f.organisation_id) for f in ctx.firms[:3]],
            "step_min": "500", "quantity": "12.5", "unit": "m3"}
    bad = client.post("/negotiations/new", data=dict(data, quantity="-3", ceiling="80,000"))
    assert bad.status_code == 400 and 'id="quantity-error"' in bad.get_data(as_text=True)
    bad = client.post("/negotiations/new", data=data)                   # a mini-competition needs a ceiling
    assert bad.status_code == 400 and 'id="ceiling-error"' in bad.get_data(as_text=True)
    assert _count() == 1
    made = client.post("/negotiations/new", data=dict(data, ceiling="80,000"))
    assert made.status_code == 302
    n = db.session.execute(select(Negotiation).where(Negotiation.title == "Call-off 7")).scalar_one()
    assert (n.lot_id, n.quantity_milli, n.ceiling_fen, n.kind) == (None, 12_500, 8_000_000, "mini_competition")


def test_start_form_has_csrf(app, client):
    ctx = world()
    login(client, ctx.world.centre)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert 'name="csrf_token"' in client.get("/negotiations/new").get_data(as_text=True)
        refused = client.post("/negotiations/new", data={"kind": "mini_competition", "title": "No token"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert refused.status_code == 400 and _count() == 1


def test_a_public_tender_lot_is_negotiated_only_after_it_failed_with_that_next_step(client):
    from procurement.bids.policy import can_bid
    from procurement.opening.models import LotOpening
    from tests.procurement.opening.helpers import open_bids, opening_tender

    ctx = opening_tender(2)                       # 2 valid bids, 3 needed: the lot fails at opening
    open_bids(ctx)
    assert db.session.execute(select(LotOpening)).scalar_one().status == "failed"
    firms = [user.organisation_id for user, _product in ctx.firms]
    firms.append(make_user(make_org(R.ORG_SUPPLIER, city=ctx.world.city), roles=(R.SUPPLIER,)).organisation_id)
    data = {"kind": "competitive_negotiation", "title": "After the failed lot", "lot_id": ctx.lot.id,
            "supplier_org_ids": firms, "step_bp": 100, "tie_rule": "earliest_offer",
            "first_deadline_at": _future()}
    with pytest.raises(ValidationError) as exc:   # no re-bidding in an open tender before that choice
        services.start(ctx.world.centre, data)
    assert set(exc.value.fields) == {"lot_id"}

    login(client, ctx.world.centre)
    chosen = client.post(f"/tenders/{ctx.tender.id}/lots/{ctx.lot.id}/next-step",
                         data={f"step{ctx.lot.id}-choice": "competitive_negotiation",
                               f"step{ctx.lot.id}-reason": "Approved by the finance bureau, letter 2026-17"})
    assert chosen.status_code == 302 and chosen.headers["Location"].endswith(f"/negotiations/new?lot={ctx.lot.id}")
    session_page = client.get(f"/tenders/{ctx.tender.id}/opening").get_data(as_text=True)
    assert f"/negotiations/new?lot={ctx.lot.id}" in session_page
    tender_page = client.get(f"/tenders/{ctx.tender.id}").get_data(as_text=True)
    assert f"/negotiations/new?lot={ctx.lot.id}" in tender_page

    negotiation = services.start(ctx.world.centre, data)
    follows = {"after": "opening", "tender_id": ctx.tender.id, "lot_id": ctx.lot.id}
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "negotiation.started",
                                                        AuditEvent.object_id == str(negotiation.id))).scalar_one()
    assert {k: event.after["follows"][k] for k in follows} == follows
    from procurement.records.models import ProjectRecord
    records = db.session.execute(select(ProjectRecord).where(ProjectRecord.kind == "negotiation_started")).scalars()
    assert all(r.payload["follows"]["after"] == "opening" for r in records)
    page = client.get(f"/negotiations/{negotiation.id}").get_data(as_text=True)
    assert f'/tenders/{ctx.tender.id}"' in page and f"/negotiations/new?lot={ctx.lot.id}" not in \
        client.get(f"/tenders/{ctx.tender.id}").get_data(as_text=True)
    assert not can_bid(ctx.supplier, ctx.tender)


def test_negotiated_tender_takes_no_sealed_bids_and_its_page_links_the_negotiation(client):
    from procurement.bids.policy import can_bid

    ctx = world()
    assert ctx.tender.method == "competitive_negotiation" and not can_bid(ctx.firms[0], ctx.tender)
    login(client, ctx.firms[0])
    page = client.get(f"/tenders/{ctx.tender.id}").get_data(as_text=True)
    assert f"/negotiations/{ctx.id}" in page and 'id="bids-heading' not in page


def test_start_form_in_chinese(client):
    from tests.core.test_chinese_pages import english_sentences

    ctx = world()
    free_lot(ctx)
    client.post("/language", data={"lang": "zh_Hans"})
    login(client, ctx.world.centre)
    page = client.get(f"/negotiations/new?lot={ctx.lot.id}")
    assert page.status_code == 200 and not english_sentences(page.get_data(as_text=True))
    bad = client.post("/negotiations/new", data={"kind": "competitive_negotiation", "title": "x",
                                                 "lot_id": str(ctx.lot.id), "first_deadline_at": _future(),
                                                 "tie_rule": "earliest_offer", "step_min": "100"})
    assert bad.status_code == 400 and not english_sentences(bad.get_data(as_text=True))
