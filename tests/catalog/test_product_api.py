"""Products JSON API: shapes, errors, permissions, compliance per city, OpenAPI entries."""
from __future__ import annotations


from tests.catalog.product_helpers import listed_product, reviewer_user, supplier_user, window_data
from tests.factories import api_token, auth_header


def _json(client, method, url, token=None, **kw):
    headers = auth_header(token) if token else {}
    return getattr(client, method)(url, headers=headers, **kw)


def test_create_read_update_submit_roundtrip(catalog, client):
    supplier = supplier_user()
    token = api_token(supplier)
    resp = _json(client, "post", "/api/v1/products", token, json=window_data())
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "draft" and body["sku"] == "WIN-001" and body["list_price_fen"] == 98000
    assert body["category"] == "windows_doors"
    assert body["verdicts"]["nanjing"] == "pass" and body["verdicts"]["qingdao"] == "fail"
    assert {i["key"] for i in body["indicators"]} >= {"u_value", "shgc"}
    assert body["certificates"][0]["number"] == "CGBM-2024-0001"
    pid = body["id"]

    resp = _json(client, "patch", f"/api/v1/products/{pid}", token, json={"list_price_fen": 1000, "brand": "New"})
    assert resp.status_code == 200
    assert resp.get_json()["list_price_fen"] == 1000 and resp.get_json()["brand"] == "New"

    resp = _json(client, "post", f"/api/v1/products/{pid}/submit", token)
    assert resp.status_code == 200 and resp.get_json()["status"] == "submitted"
    again = _json(client, "post", f"/api/v1/products/{pid}/submit", token)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "illegal_transition"

    mine = _json(client, "get", "/api/v1/products?mine=1", token).get_json()
    assert mine["total"] == 1 and mine["items"][0]["id"] == pid


def test_validation_error_body_lists_fields(catalog, client):
    token = api_token(supplier_user())
    data = window_data(list_price_fen=-5)
    data["certificate"]["star_grade"] = 4
    resp = _json(client, "post", "/api/v1/products", token, json=data)
    assert resp.status_code == 400
    err = resp.get_json()["error"]
    assert err["code"] == "validation_error"
    assert set(err["fields"]) >= {"list_price_fen", "certificate.star_grade"}


def test_non_json_body_is_a_400_not_a_500(catalog, client):
    token = api_token(supplier_user())
    resp = client.post("/api/v1/products", data="sku=1", headers=auth_header(token))
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "validation_error"
    resp = _json(client, "post", "/api/v1/products", token, json=["not", "an", "object"])
    assert resp.status_code == 400


def test_roles_and_isolation(catalog, client):
    owner, other = supplier_user(), supplier_user()
    pid = _json(client, "post", "/api/v1/products", api_token(owner), json=window_data()).get_json()["id"]
    other_token = api_token(other)
    assert _json(client, "patch", f"/api/v1/products/{pid}", other_token, json={"brand": "x"}).status_code == 403
    # Drafts are invisible to others (404, not 403: do not reveal they exist).
    assert _json(client, "get", f"/api/v1/products/{pid}", other_token).status_code == 404
    assert client.get(f"/api/v1/products/{pid}").status_code == 404
    assert client.post("/api/v1/products", json=window_data()).status_code == 401
    reviewer_token = api_token(reviewer_user())
    assert _json(client, "post", "/api/v1/products", reviewer_token, json=window_data()).status_code == 403
    assert _json(client, "get", f"/api/v1/products/{pid}", reviewer_token).status_code == 200


def test_public_list_and_compliance_endpoint(catalog, client):
    supplier, reviewer = supplier_user(), reviewer_user()
    product = listed_product(supplier, reviewer)
    listing = client.get("/api/v1/products").get_json()
    assert listing["total"] == 1 and listing["items"][0]["status"] == "listed"
    assert listing["items"][0]["verdicts"] == {"nanjing": "pass", "hangzhou": "pass", "shaoxing": "pass",
                                               "huzhou": "pass", "qingdao": "fail", "foshan": "pass"}
    assert client.get("/api/v1/products?category=windows_doors").get_json()["total"] == 1
    assert client.get("/api/v1/products?category=nope").status_code == 400
    assert client.get("/api/v1/products?page=abc").status_code == 400
    assert client.get("/api/v1/products?status=draft").status_code == 400

    nanjing = client.get(f"/api/v1/products/{product.id}/compliance?city=nanjing").get_json()
    qingdao = client.get(f"/api/v1/products/{product.id}/compliance?city=qingdao").get_json()
    assert nanjing["verdict"] == "pass" and qingdao["verdict"] == "fail"
    u = next(r for r in qingdao["results"] if r["key"] == "u_value")
    assert u["status"] == "fail" and u["limit"] == 3.0 and u["value"] == 3.2 and u["unit"] == "W/(m2.K)"
    assert "does not meet" in u["reason"]
    assert nanjing["standard_version_id"] is not None
    assert client.get(f"/api/v1/products/{product.id}/compliance").status_code == 400
    assert client.get(f"/api/v1/products/{product.id}/compliance?city=atlantis").status_code == 400
    assert client.get("/api/v1/products/987654/compliance?city=nanjing").status_code == 404


def test_openapi_document_lists_product_operations(catalog, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    paths = doc["paths"]
    assert {"get", "post"} <= set(paths["/products"])
    assert {"get", "patch", "put"} <= set(paths["/products/{id}"])
    assert "post" in paths["/products/{id}/submit"]
    params = paths["/products/{id}/compliance"]["get"]["parameters"]
    assert any(p["name"] == "city" and p["required"] for p in params)
    assert "ProductInput" in doc["components"]["schemas"]
