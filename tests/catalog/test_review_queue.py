"""Worklists (issue 9, item 21): the reviewer queue is paginated and filtered, with batch
decisions; suppliers submit many drafts at once; reviewers see how many products wait. And the
supplier hears of each decision (item 23)."""
from __future__ import annotations

import re

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from core.i18n import render_payload
from core.models import MailMessage
from tests.catalog.product_helpers import notices_for, reviewer_user, supplier_user, window_data
from tests.factories import login_as, make_user
from catalog.models.products import Product
from catalog.services import product_edit as edit
from catalog.services import product_lifecycle as lifecycle


def _submitted(supplier, n, prefix="P", category=None):
    ids = []
    for i in range(n):
        data = window_data(sku=f"{prefix}-{i}", cert_number=f"C-{prefix}-{i}")
        if category:
            data.update(category)
        pid = edit.create_product(supplier, data).id
        lifecycle.submit_product(supplier, pid)
        ids.append(pid)
    return ids


def _status(db, pid):
    db.session.expire_all()
    return db.session.get(Product, pid).status


def _skus(html):
    return re.findall(r"<code>([A-Z]+-\d+)</code>", html)


def test_queue_is_paginated_oldest_first(catalog, client, db):
    supplier = supplier_user()
    _submitted(supplier, 27)
    login_as(client, reviewer_user())
    first = client.get("/review/products").get_data(as_text=True)
    assert len(_skus(first)) == 25 and _skus(first)[0] == "P-0"
    assert "27 products" in first and "1 / 2" in first
    second = client.get("/review/products?page=2").get_data(as_text=True)
    assert _skus(second) == ["P-25", "P-26"]
    # Absurd page numbers are a page, not an error.
    assert client.get("/review/products?page=99999999999999999999").status_code == 200
    assert client.get("/review/products?page=-1").status_code == 200


def test_queue_filters_by_status_category_and_supplier(catalog, client, db):
    alpha, beta = supplier_user(name_en="Alpha Glass", name_zh="阿尔法"), supplier_user(name_en="Beta Doors")
    _submitted(alpha, 2, "AL")
    _submitted(beta, 1, "BE")
    paint = edit.create_product(beta, window_data(
        sku="BE-9", cert_number="C-BE-9", category="wall_coatings", indicators={}))
    login_as(client, reviewer_user())
    assert sorted(_skus(client.get("/review/products?supplier=alpha").get_data(as_text=True))) == ["AL-0", "AL-1"]
    assert _skus(client.get("/review/products?supplier=阿尔法").get_data(as_text=True)) == ["AL-0", "AL-1"]
    assert _skus(client.get(f"/review/products?supplier={beta.organisation.credit_code}").get_data(as_text=True)) == ["BE-0"]
    assert _skus(client.get("/review/products?category=windows_doors&supplier=Beta").get_data(as_text=True)) == ["BE-0"]
    assert _skus(client.get("/review/products?category=wall_coatings").get_data(as_text=True)) == []
    drafts = client.get("/review/products?status=draft").get_data(as_text=True)
    assert _skus(drafts) == ["BE-9"] and f'/products/{paint.id}' in drafts
    # Nonsense filters are harmless.
    for query in ("status=<b>x</b>", "category=nope", "supplier=%25%25%25", "status=listed&page=abc"):
        resp = client.get(f"/review/products?{query}")
        assert resp.status_code == 200 and "<b>x</b>" not in resp.get_data(as_text=True)


def test_batch_verify_and_reject_with_a_summary(catalog, client, db):
    supplier = supplier_user()
    ids = _submitted(supplier, 4)
    reviewer = reviewer_user()
    lifecycle.verify_product(reviewer, ids[3])  # already decided: will be reported, not redone
    login_as(client, reviewer)
    resp = client.post("/review/products/batch", data={"ids": [ids[0], ids[1], ids[3]], "verify": "1"})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "2 products done." in html and "1 product could not be done" in html and "P-3" in html
    assert "not possible while the status is" in html
    assert [_status(db, pid) for pid in ids] == ["verified", "verified", "submitted", "verified"]
    # Reject needs a reason, then rejects each one with it.
    resp = client.post("/review/products/batch", data={"ids": [ids[2]], "reject": "1", "reason": " "},
                       follow_redirects=True)
    assert "Say why the products are rejected" in resp.get_data(as_text=True)
    assert _status(db, ids[2]) == "submitted"
    resp = client.post("/review/products/batch", data={"ids": [ids[2]], "reject": "1", "reason": "Scan unreadable"})
    assert "1 product done." in resp.get_data(as_text=True)
    assert _status(db, ids[2]) == "rejected"
    assert db.session.get(Product, ids[2]).review_note == "Scan unreadable"
    # Nothing ticked is a clear message; suppliers cannot use the batch.
    resp = client.post("/review/products/batch", data={"verify": "1"}, follow_redirects=True)
    assert "Select at least one product" in resp.get_data(as_text=True)
    login_as(client, supplier)
    assert client.post("/review/products/batch", data={"ids": [ids[2]], "verify": "1"}).status_code == 403


def test_supplier_submits_many_drafts_and_learns_which_failed(catalog, client, db):
    supplier = supplier_user()
    ready = [edit.create_product(supplier, window_data(sku=f"OK-{i}", cert_number=f"C-OK-{i}")).id for i in range(3)]
    bare = edit.create_product(supplier, window_data(sku="NOCERT-1", indicators={}, certificate=None)).id
    other = edit.create_product(supplier_user(), window_data(sku="THEIRS-1")).id
    login_as(client, supplier)
    listing = client.get("/supplier/products").get_data(as_text=True)
    assert listing.count('name="page_ids"') == 4 and 'form="submit-batch"' in listing
    resp = client.post("/supplier/products/submit", data={"ids": [*ready, bare, other], "submit": "1"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "3 products done." in html and "2 products could not be done" in html
    assert "NOCERT-1" in html and "Declare the product" in html and "Add a valid certificate" in html
    assert "THEIRS-1" not in html  # another supplier's product is not named
    assert [_status(db, pid) for pid in ready] == ["submitted"] * 3
    assert _status(db, bare) == "draft" and _status(db, other) == "draft"


def test_supplier_submits_every_draft_on_the_page(catalog, client, db):
    supplier = supplier_user()
    ids = [edit.create_product(supplier, window_data(sku=f"ALL-{i}", cert_number=f"C-ALL-{i}")).id for i in range(3)]
    login_as(client, supplier)
    resp = client.post("/supplier/products/submit", data={"page_ids": ids, "submit_page": "1"})
    assert "3 products done." in resp.get_data(as_text=True)
    assert {_status(db, pid) for pid in ids} == {"submitted"}


def test_reviewers_see_how_many_products_wait(catalog, client):
    supplier = supplier_user()
    _submitted(supplier, 3)
    edit.create_product(supplier, window_data(sku="DRAFT-1"))
    login_as(client, reviewer_user())
    html = client.get("/home").get_data(as_text=True)
    match = re.search(r'Products waiting for review</a>\s*<span class="badge[^"]*">(\d+)</span>', html)
    assert match and match.group(1) == "3"
    login_as(client, supplier)
    assert "Products waiting for review" not in client.get("/home").get_data(as_text=True)


@pytest.mark.parametrize("decision", ["verify", "reject"])
def test_each_decision_reaches_the_suppliers_people_in_their_language(catalog, db, decision):
    supplier = supplier_user()
    colleague = make_user(supplier.organisation, roles=("supplier",), locale="zh_Hans")
    pid = _submitted(supplier, 1, "NOTE")[0]
    reviewer = reviewer_user()
    if decision == "verify":
        lifecycle.verify_product(reviewer, pid)
    else:
        lifecycle.reject_product(reviewer, pid, "Blurred scan")
    kind = "product_verified" if decision == "verify" else "product_rejected"
    notices = [n for n in notices_for(supplier.organisation_id) if n.kind == kind]
    assert len(notices) == 2
    with force_locale("zh_Hans"):
        text = render_payload(notices[0].message)
    assert "NOTE-0" in text and ("审核" in text or "退回" in text)
    mails = db.session.execute(select(MailMessage).where(MailMessage.kind == kind)).scalars().all()
    assert {m.to_address for m in mails} == {supplier.email, colleague.email}
    zh = next(m for m in mails if m.to_address == colleague.email)
    assert re.search(r"[\u4e00-\u9fff]", zh.subject)
