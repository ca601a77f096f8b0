"""Bid pages: the supplier's bid form and receipts, withdrawal, the key-holder enrolment page, the
public tender page's sealed-bids section before and after the deadline, and the same pages in
Chinese without English sentences."""

from __future__ import annotations

import io
import json
import re

from core.extensions import db
from core.services import unit_of_work
from procurement.bids.models import Bid, KeyHolder
from procurement.tendering import services as tender_svc
from tests.core.test_chinese_pages import english_sentences
from tests.factories import login_as
from tests.procurement.bids.helpers import bid, sealed_tender


def test_a_supplier_bids_through_the_form_and_downloads_its_receipt(app, client):
    ctx = sealed_tender()
    login_as(client, ctx.supplier)
    page = client.get(f"/tenders/{ctx.tender.id}/bids")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert ctx.product.sku in html and "Seal and submit the bid" in html
    request_id = re.search(rf'name="lot{ctx.lot.id}-request_id" type="hidden" value="([^"]+)"', html).group(1)
    data = {"lot": str(ctx.lot.id), f"lot{ctx.lot.id}-lot_id": str(ctx.lot.id),
            f"lot{ctx.lot.id}-request_id": request_id, f"lot{ctx.lot.id}-replaces": "",
            f"lot{ctx.lot.id}-product_id": str(ctx.product.id), f"lot{ctx.lot.id}-unit_price": "400.00",
            f"lot{ctx.lot.id}-documents": (io.BytesIO(b"%PDF-1.4 sheet"), "sheet.pdf")}
    done = client.post(f"/tenders/{ctx.tender.id}/bids", data=data, content_type="multipart/form-data",
                       follow_redirects=True)
    assert done.status_code == 200 and "Bid sealed and received" in done.get_data(as_text=True)
    (row,) = db.session.query(Bid).all()
    assert row.status == "submitted"
    # The same form sent twice (same request id) makes no second bid.
    data[f"lot{ctx.lot.id}-documents"] = (io.BytesIO(b"%PDF-1.4 sheet"), "sheet.pdf")
    client.post(f"/tenders/{ctx.tender.id}/bids", data=data, content_type="multipart/form-data")
    assert db.session.query(Bid).count() == 1

    receipt = client.get(f"/bids/{row.id}/receipt.json")
    assert receipt.status_code == 200 and json.loads(receipt.data)["statement"]["bid"] == row.id

    bad = dict(data, **{f"lot{ctx.lot.id}-request_id": "another-request-id", f"lot{ctx.lot.id}-unit_price": "abc",
                        f"lot{ctx.lot.id}-documents": (io.BytesIO(b""), "")})
    shown = client.post(f"/tenders/{ctx.tender.id}/bids", data=bad, content_type="multipart/form-data")
    assert shown.status_code == 200 and "is-invalid" in shown.get_data(as_text=True)

    withdrawn = client.post(f"/bids/{row.id}/withdraw", follow_redirects=True)
    assert withdrawn.status_code == 200
    db.session.expire_all()
    assert db.session.get(Bid, row.id).status == "withdrawn"


def test_others_cannot_see_bids_and_the_public_page_shows_only_the_count_after_the_deadline(app, client):
    ctx = sealed_tender()
    result = bid(ctx)
    login_as(client, ctx.world.centre)
    assert client.get(f"/tenders/{ctx.tender.id}/bids").status_code == 403
    assert client.get(f"/bids/{result.bid.id}/receipt.json").status_code == 404
    page = client.get(f"/tenders/{ctx.tender.id}").get_data(as_text=True)
    assert "Sealed bids" in page and "The number of bids is hidden until the deadline." in page
    assert "Bids received" not in page
    with unit_of_work():
        tender_svc.close_tendering(ctx.tender.id, ctx.tender.bid_deadline_at)
    page = client.get(f"/tenders/{ctx.tender.id}").get_data(as_text=True)
    assert "Bids received" in page and "Merkle root" in page
    assert ctx.supplier.organisation.name_en not in page


def test_key_holder_enrolment_page(app, client):
    ctx = sealed_tender()
    login_as(client, ctx.world.finance2)
    assert client.get("/opening-key").status_code == 200
    short = client.post("/opening-key", data={"enrol-passphrase": "short", "enrol-confirm": "short",
                                              "enrol-submit": "1"})
    assert "is-invalid" in short.get_data(as_text=True) and db.session.get(KeyHolder, ctx.world.finance2.id) is None
    done = client.post("/opening-key", data={"enrol-passphrase": "a long passphrase here",
                                             "enrol-confirm": "a long passphrase here", "enrol-submit": "1"},
                       follow_redirects=True)
    assert done.status_code == 200 and db.session.get(KeyHolder, ctx.world.finance2.id) is not None
    wrong = client.post("/opening-key", data={"check-passphrase": "not it at all", "check-submit": "1"})
    assert "Wrong passphrase." in wrong.get_data(as_text=True)
    login_as(client, ctx.supplier)
    assert client.get("/opening-key").status_code == 403


def test_bid_pages_in_chinese(app, client):
    ctx = sealed_tender()
    result = bid(ctx)
    client.post("/language", data={"lang": "zh_Hans"})
    pages = [(ctx.supplier, f"/tenders/{ctx.tender.id}/bids"), (ctx.world.centre, "/opening-key"),
             (ctx.world.finance2, "/opening-key"), (None, f"/tenders/{ctx.tender.id}")]
    problems = []

    def check():
        for user, url in pages:
            if user is not None:
                login_as(client, user)
            response = client.get(url)
            assert response.status_code == 200, url
            problems.extend(f"{url}: {s}" for s in english_sentences(response.get_data(as_text=True)))

    check()
    from procurement.tendering import amendments

    amendments.amend(ctx.world.centre, ctx.tender.id, {"title": "修改后的标题"}, "为投标人澄清标题内容")
    check()
    with unit_of_work():
        tender_svc.close_tendering(ctx.tender.id, ctx.tender.bid_deadline_at)
    check()
    assert result.bid.id
    assert not problems, "\n".join(sorted(set(problems)))
