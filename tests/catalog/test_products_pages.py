"""Product pages: supplier list and editor (inline errors), reviewer queue, public page."""
from __future__ import annotations

import datetime as dt
import re

from core.timeutil import today_cn
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
    assert client.get(f"/products/{product.id}").status_code == 404  # a draft is not public, nor known to exist


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


# --------------------------------------------------------------------------- issue 9, item 15


def test_carbon_comparison_normalises_declared_units(catalog, client, db):
    """A supplier following the form's hint ("1 m2") is compared with products declaring "m2",
    "10 m2" (converted) and not with one declaring per m3; the page says what was compared."""
    supplier, reviewer = supplier_user(), reviewer_user()
    hinted = listed_product(supplier, reviewer, sku="W-HINT", cert_number="C-H",
                            carbon={"declared_unit": "1 m2", "gwp_a1a3": 40.0})
    listed_product(supplier, reviewer, sku="W-PLAIN", cert_number="C-P", carbon={"declared_unit": "m2", "gwp_a1a3": 60.0})
    listed_product(supplier, reviewer, sku="W-TEN", cert_number="C-T",
                   carbon={"declared_unit": "10 m2", "gwp_a1a3": 800.0})  # 80 per m2
    listed_product(supplier, reviewer, sku="W-VOL", cert_number="C-V", carbon={"declared_unit": "1 m3", "gwp_a1a3": 5.0})
    from catalog.services.carbon import carbon_comparison

    cmp = carbon_comparison(db.session.get(type(hinted), hinted.id))
    assert (cmp["count"], cmp["median"], cmp["min"], cmp["max"]) == (3, 60.0, 40.0, 80.0)
    assert cmp["basis"] == "1 m2" and cmp["excluded"] == 1 and cmp["excluded_units"] == ["1 m3"]
    html = client.get(f"/products/{hinted.id}").get_data(as_text=True)
    assert "Compared with 2 other products of this category, each converted to kg CO2e per 1 m2." in html
    assert "1 product declared per a unit that cannot be converted (1 m3) and is left out." in html


def test_carbon_comparison_per_mass_converts_tonnes_and_kilograms(catalog, db):
    from catalog.services.carbon import carbon_comparison

    supplier, reviewer = supplier_user(), reviewer_user()
    t = listed_product(supplier, reviewer, sku="M-T", cert_number="C-MT", carbon={"declared_unit": "1 t", "gwp_a1a3": 300.0})
    listed_product(supplier, reviewer, sku="M-KG", cert_number="C-MKG",
                   carbon={"declared_unit": "1000 kg", "gwp_a1a3": 500.0})
    listed_product(supplier, reviewer, sku="M-1KG", cert_number="C-M1",
                   carbon={"declared_unit": "kg", "gwp_a1a3": 0.2})  # 200 per t
    cmp = carbon_comparison(db.session.get(type(t), t.id))
    assert cmp["count"] == 3 and abs(cmp["median"] - 300.0) < 1e-9 and abs(cmp["min"] - 200.0) < 1e-9


def test_a_lone_declaration_says_there_is_nothing_to_compare(catalog, client):
    supplier, reviewer = supplier_user(), reviewer_user()
    p = listed_product(supplier, reviewer, carbon={"declared_unit": "1 m2", "gwp_a1a3": 40.0})
    html = client.get(f"/products/{p.id}").get_data(as_text=True)
    assert "No other product of this category declares its carbon per a comparable unit yet." in html


# --------------------------------------------------------------------------- issue 9, items 17 and 18


def test_catalog_pages_show_no_raw_codes_or_developer_text(catalog, client):
    supplier, reviewer = supplier_user(), reviewer_user()
    p = listed_product(supplier, reviewer)
    for lang in ("en", "zh-CN"):
        headers = {"Accept-Language": lang}
        pages = {url: client.get(url, headers=headers).get_data(as_text=True).split("</nav>", 1)[-1]
                 for url in ("/standards", "/categories", "/standards/2025/categories/windows_doors", f"/products/{p.id}")}
        for url, html in pages.items():
            text = re.sub(r"<[^>]+>", " ", html)
            for raw in ("DOMAIN.md", "in_force", "hscw_a", "u_value", "air_tightness_grade", "windows_doors",
                        "(s)", "seed"):
                assert raw not in text, (lang, url, raw)


def test_plural_forms_on_the_product_page(catalog, client, db):
    supplier, reviewer = supplier_user(), reviewer_user()
    p = listed_product(supplier, reviewer, expires_in_days=1)
    html = client.get(f"/products/{p.id}").get_data(as_text=True)
    assert "expires in 1 day<" in html and "2 stars" in html


def test_reviewer_queue_shows_china_time_with_the_zone(catalog, client, db):
    import datetime as _dt

    from catalog.models.products import Product
    from tests.factories import login_as

    supplier = supplier_user()
    product = edit.create_product(supplier, window_data())
    lifecycle.submit_product(supplier, product.id)
    db.session.get(Product, product.id).submitted_at = _dt.datetime(2026, 3, 1, 20, 30, tzinfo=_dt.timezone.utc)
    db.session.commit()
    login_as(client, reviewer_user())
    html = client.get("/review/products").get_data(as_text=True)
    assert "2026-03-02 04:30 (UTC+8)" in html


# --------------------------------------------------------------------------- issue 9, item 11 (form side)


def test_editor_refuses_values_of_the_wrong_type_under_each_indicator(catalog, client, db):
    """The product form checks each value against its indicator's type (the same check as the
    import: `catalog.indicator_values`), with the message under that indicator's value."""
    from catalog.models.products import Product

    login(client, supplier_user())
    resp = client.post("/supplier/products/new", data=_form(**{
        "indicators-0-value": "abc", "indicators-1-value": "seven",
        "indicators-2-key": "shgc", "indicators-2-value": "0.35"}))
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    for row, words in ((0, "is not a number"), (1, "seven")):
        error = re.search(rf'id="indicators-{row}-value-error">([^<]*)<', html)
        assert error and words in error.group(1), (row, error and error.group(1))
    assert 'id="indicators-2-value-error"' not in html
    assert db.session.execute(select(Product)).first() is None
    # The same values, typed right, are saved.
    ok = client.post("/supplier/products/new", data=_form(**{"indicators-0-value": "3.2", "indicators-1-value": "7"}))
    assert ok.status_code == 302


def test_editor_edit_refuses_a_wrong_type_and_keeps_the_product(catalog, client, db):
    supplier = supplier_user()
    product = edit.create_product(supplier, window_data())
    login(client, supplier)
    form = _form(sku="WIN-001", **{"indicators-0-value": "3.1", "indicators-1-value": "not-a-grade"})
    resp = client.post(f"/supplier/products/{product.id}/edit", data=form)
    assert resp.status_code == 400 and 'id="indicators-1-value-error"' in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(product), product.id).indicator_dict()["u_value"][0] == 3.2
