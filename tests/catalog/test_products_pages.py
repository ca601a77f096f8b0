"""Product pages: supplier list and editor (inline errors), reviewer queue, public page."""
from __future__ import annotations

import datetime as dt
import re

from core.timeutil import today_cn
import pytest
from sqlalchemy import select

from tests.catalog.product_helpers import listed_product, reviewer_user, supplier_user, window_data
from tests.factories import login, make_role_user
from catalog.services import product_edit as edit
from catalog.services import product_lifecycle as lifecycle


def _form(**overrides):
    today = today_cn()
    data = {
        "sku": "WEB-1", "name_zh": "节能窗", "name_en": "Energy-saving window", "category": "windows_doors",
        "brand": "B", "model_spec": "M", "unit": "m2", "list_price": "980.50", "manufacturer": "Maker",
        "plant": "Plant", "description": "",
        "indicators-0-key": "u_value", "indicators-0-value": "3.2", "indicators-0-unit": "W/(m2.K)",
        "indicators-1-key": "air_tightness_grade", "indicators-1-value": "7", "indicators-1-unit": "",
        "indicators-2-key": "", "indicators-2-value": "", "indicators-2-unit": "",
        "cert_number": "CGBM-WEB-1", "cert_body": "CTC", "cert_star_grade": "2", "cert_standard": "",
        "cert_issued_on": (today - dt.timedelta(days=10)).isoformat(),
        "cert_expires_on": (today + dt.timedelta(days=1000)).isoformat(),
        "carbon_declared_unit": "", "carbon_gwp_a1a3": "", "carbon_valid_until": "", "carbon_program_operator": "",
    }
    data.update(overrides)
    return data


def test_pages_require_the_right_role(catalog, client):
    assert client.get("/supplier/products").status_code == 302  # to login
    login(client, make_role_user("purchaser"))
    assert client.get("/supplier/products").status_code == 403
    assert client.get("/review/products").status_code == 403


def test_new_product_form_creates_draft_and_lists_it(catalog, client, db):
    from catalog.models.products import Product

    supplier = supplier_user()
    login(client, supplier)
    page = client.get("/supplier/products/new?category=windows_doors").get_data(as_text=True)
    assert 'name="indicators-0-key"' in page and "u_value" in page  # the standard's indicators are offered
    resp = client.post("/supplier/products/new", data=_form())
    assert resp.status_code == 302
    product = db.session.execute(select(Product)).unique().scalar_one()
    assert product.list_price_fen == 98050 and product.indicator_dict()["u_value"] == (3.2, "W/(m2.K)")
    listing = client.get("/supplier/products").get_data(as_text=True)
    assert "WEB-1" in listing and "CGBM-WEB-1" in listing


def test_editor_shows_service_errors_inline(catalog, client, db):
    supplier = supplier_user()
    login(client, supplier)
    resp = client.post("/supplier/products/new", data=_form(**{
        "indicators-0-unit": "kg", "cert_expires_on": "2000-01-01", "category": "windows_doors"}))
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    # The message sits under the offending input, linked for screen readers.
    assert re.search(r'id="indicators-0-value"[^>]*aria-invalid="true"', html) or \
        re.search(r'aria-invalid="true"[^>]*id="indicators-0-value"', html)
    assert "cannot be converted" in html
    assert 'id="cert_expires_on-error"' in html and "after the issue date" in html


def test_editor_form_level_errors(catalog, client):
    login(client, supplier_user())
    resp = client.post("/supplier/products/new", data=_form(list_price="-3", sku=""))
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert 'id="list_price-error"' in html and 'id="sku-error"' in html


def test_supplier_cannot_open_another_suppliers_editor(catalog, client):
    product = edit.create_product(supplier_user(), window_data())
    login(client, supplier_user())
    assert client.get(f"/supplier/products/{product.id}/edit").status_code == 403
    assert client.post(f"/supplier/products/{product.id}/submit", data={}).status_code == 403
    assert client.get(f"/products/{product.id}").status_code == 403  # a draft is not public


def test_edit_submit_and_review_through_the_pages(catalog, client, db):
    supplier, reviewer = supplier_user(), reviewer_user()
    product = edit.create_product(supplier, window_data())
    login(client, supplier)
    page = client.get(f"/supplier/products/{product.id}/edit").get_data(as_text=True)
    assert 'value="WIN-001"' in page and 'value="980.00"' in page
    assert client.post(f"/supplier/products/{product.id}/submit", data={}).status_code == 302
    client.post("/logout")
    login(client, reviewer)
    queue = client.get("/review/products").get_data(as_text=True)
    assert "WIN-001" in queue
    resp = client.post(f"/review/products/{product.id}/reject", data={"reason": ""})
    assert resp.status_code == 302
    assert db.session.get(type(product), product.id).status == "submitted"
    client.post(f"/review/products/{product.id}/verify", data={})
    db.session.expire_all()
    assert db.session.get(type(product), product.id).status == "verified"


def test_review_queue_shows_duplicate_certificate_flag(catalog, client):
    a, b = supplier_user(name_en="Alpha Windows"), supplier_user(name_en="Beta Windows")
    pa = edit.create_product(a, window_data(sku="A-1", cert_number="DUP-99"))
    edit.create_product(b, window_data(sku="B-1", cert_number="DUP-99"))
    lifecycle.submit_product(a, pa.id)
    login(client, reviewer_user())
    html = client.get("/review/products").get_data(as_text=True)
    assert "Duplicate certificate number" in html and "DUP-99" in html and "Beta Windows" in html


def test_public_page_has_compliance_matrix_and_carbon_chart(catalog, client, db):
    supplier, reviewer = supplier_user(), reviewer_user()
    product = listed_product(supplier, reviewer,
                             carbon={"declared_unit": "m2", "gwp_a1a3": 40.0, "program_operator": "CABR EPD"})
    other = listed_product(supplier, reviewer, sku="WIN-002", cert_number="C-2",
                           carbon={"declared_unit": "m2", "gwp_a1a3": 60.0})
    html = client.get(f"/products/{product.id}").get_data(as_text=True)
    for city in ("Nanjing", "Hangzhou", "Shaoxing", "Huzhou", "Qingdao", "Foshan"):
        assert city in html
    assert html.count('class="verdict-fail"') == 1  # Qingdao's U-value
    assert "&lt;= 3 W/(m2.K)" in html and "&lt;= 3.5 W/(m2.K)" in html  # Qingdao's and Nanjing's limits
    assert "3.2 W/(m2.K) does not meet" in html  # the reason for the failure
    assert "<svg" in html and "Category median" in html
    assert "style=" not in html and "<script>" not in html.split("</footer>")[0]
    assert "50" in html  # median of 40 and 60
    assert client.get(f"/products/{other.id}").status_code == 200


def test_user_text_is_escaped(catalog, client):
    supplier, reviewer = supplier_user(), reviewer_user()
    product = listed_product(supplier, reviewer, description="<script>alert('x')</script>")
    html = client.get(f"/products/{product.id}").get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_navigation_entries_by_role(catalog, client):
    login(client, supplier_user())
    assert "/supplier/products" in client.get("/home").get_data(as_text=True)
    client.post("/logout")
    login(client, reviewer_user())
    assert "/review/products" in client.get("/home").get_data(as_text=True)


def test_csrf_is_required_on_state_changes(catalog, client, csrf_enabled):
    supplier = supplier_user()
    product = edit.create_product(supplier, window_data())
    client.application.config["WTF_CSRF_ENABLED"] = False
    login(client, supplier)
    client.application.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"/supplier/products/{product.id}/submit", data={}).status_code == 400


def test_reviewer_controls_on_public_page(catalog, client, db):
    supplier, reviewer = supplier_user(), reviewer_user()
    product = listed_product(supplier, reviewer)
    anonymous = client.get(f"/products/{product.id}").get_data(as_text=True)
    assert "Reason for suspension" not in anonymous and "/edit" not in anonymous
    login(client, supplier)
    assert f"/supplier/products/{product.id}/edit" in client.get(f"/products/{product.id}").get_data(as_text=True)
    client.post("/logout")
    login(client, reviewer)
    html = client.get(f"/products/{product.id}").get_data(as_text=True)
    assert "Reason for suspension" in html and "Record a decision" in html
    cert_id = product.certificates[0].id
    assert client.post(f"/review/certificates/{cert_id}/status", data={"status": "revoked"}).status_code == 302
    db.session.expire_all()
    product = db.session.get(type(product), product.id)
    assert product.status == "suspended" and product.certificates[0].status == "revoked"
    # A bad status value is a clear message, not a crash.
    resp = client.post(f"/review/certificates/{cert_id}/status", data={"status": "bogus"}, follow_redirects=True)
    assert resp.status_code == 200 and "Unknown certificate status" in resp.get_data(as_text=True)
