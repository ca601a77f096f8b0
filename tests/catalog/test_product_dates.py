"""Dates get sane bounds at input (issue 9, item 2): a certificate expiring 9999-12-31, or any
evidence date before 2000 or after 2100, is refused with a field error, on the form and in the API,
before anything is stored."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.errors import ValidationError
from tests.catalog.product_helpers import field_text, supplier_user, window_data
from tests.catalog.test_products_pages import _form
from tests.factories import api_token, auth_header, login
from catalog.models.products import Certificate
from catalog.services import product_edit as edit

FAR = ["9999-12-31", "2101-01-01", "1999-12-31", "0001-01-01"]


@pytest.mark.parametrize("value", FAR)
def test_certificate_expiry_out_of_range_is_refused_by_the_service(catalog, db, value):
    data = window_data()
    data["certificate"]["expires_on"] = value
    with pytest.raises(ValidationError) as err:
        edit.create_product(supplier_user(), data)
    assert "between 2000-01-01 and 2100-12-31" in field_text(err.value, "certificate.expires_on")
    assert db.session.execute(select(func.count(Certificate.id))).scalar_one() == 0


@pytest.mark.parametrize("part,field,value", [
    ("certificate", "issued_on", "1970-01-01"),
    ("test_report", "issued_on", "1899-05-01"),
    ("carbon", "valid_until", "9999-12-31"),
])
def test_other_evidence_dates_are_bounded(catalog, part, field, value):
    data = window_data()
    data[part] = dict(data.get(part) or {}, **{
        "test_report": {"number": "TR-1", "lab": "Lab"},
        "carbon": {"declared_unit": "1 m2", "gwp_a1a3": 50},
    }.get(part, {}), **{field: value})
    with pytest.raises(ValidationError) as err:
        edit.create_product(supplier_user(), data)
    assert "between 2000-01-01 and 2100-12-31" in field_text(err.value, f"{part}.{field}")


def test_edge_dates_are_accepted(catalog):
    data = window_data()
    data["certificate"]["expires_on"] = "2100-12-31"
    assert edit.create_product(supplier_user(), data).certificates[0].expires_on.year == 2100


@pytest.mark.parametrize("value", ["9999-12-31", "1999-12-31"])
def test_the_api_answers_400_with_the_field(catalog, client, value):
    data = window_data()
    data["certificate"]["expires_on"] = value
    resp = client.post("/api/v1/products", json=data, headers=auth_header(api_token(supplier_user())))
    assert resp.status_code == 400
    assert "2100-12-31" in resp.get_json()["error"]["fields"]["certificate.expires_on"]


def test_the_form_shows_the_error_under_the_date(catalog, client):
    login(client, supplier_user())
    resp = client.post("/supplier/products/new", data=_form(cert_expires_on="9999-12-31"))
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert 'id="cert_expires_on-error"' in html and "between 2000-01-01 and 2100-12-31" in html
    # The date pickers are bounded too.
    page = client.get("/supplier/products/new").get_data(as_text=True)
    assert 'max="2100-12-31"' in page and 'min="2000-01-01"' in page
