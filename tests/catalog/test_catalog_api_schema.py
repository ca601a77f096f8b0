"""The catalog's JSON operations against their own OpenAPI description (issue 9, item 9), on a
seeded catalogue with real products, so responses with bodies (a product, its compliance, the
categories and standards) are checked too, not only 404s: no 500, every status code documented,
every body matching its schema. tests/core/test_api_schema.py fuzzes the whole API on an empty
database."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_schema_conformance,
                                 status_code_conformance)

from core import roles as R
from tests.catalog.product_helpers import listed_product, reviewer_user, supplier_user, window_data
from tests.factories import api_token, auth_header, make_org, make_user
from catalog.services import product_edit as edit

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
CATALOG = ("/products", "/categories", "/standards")
SEARCH = ("/products/search", "/products/autocomplete")  # engineer D's operations: tests/catalog/search


def _catalog_operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    out = []
    for result in schema.get_all_operations():
        operation = result.ok()
        path = operation.path
        if path.startswith(CATALOG) and not path.startswith(SEARCH):
            out.append(operation)
    return out


@pytest.fixture
def world(catalog):
    supplier, reviewer = supplier_user(), reviewer_user()
    listed = listed_product(supplier, reviewer, carbon={"declared_unit": "1 m2", "gwp_a1a3": 40.0})
    draft = edit.create_product(supplier, window_data(sku="DRAFT-1", cert_number="C-D1"))
    everyone = make_user(make_org(kind=R.ORG_PURCHASER), roles=R.ALL_ROLES)
    return {"supplier": api_token(supplier), "all": api_token(everyone), "ids": [listed.id, draft.id]}


def test_catalog_operations_answer_as_documented_on_real_data(app, world):
    operations = _catalog_operations(app)
    assert {op.label for op in operations} >= {"GET /products", "POST /products", "GET /products/{id}",
                                                "PATCH /products/{id}", "GET /categories", "GET /standards"}
    failures = []
    for token in (world["supplier"], world["all"], None):
        headers = auth_header(token) if token else None
        for operation in operations:
            # Real ids first (bodies to validate), then generated requests.
            if "{id}" in operation.path:
                for pid in world["ids"]:
                    query = {"city": "nanjing"} if operation.path.endswith("/compliance") else None
                    case = operation.Case(path_parameters={"id": pid}, query=query,
                                          body=window_data(sku=f"API-{pid}") if operation.method in ("put", "patch") else
                                          schemathesis.core.NOT_SET)
                    try:
                        case.call_and_validate(headers=headers, checks=CHECKS)
                    except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001
                        failures.append(f"{operation.label} id={pid}: {str(exc)[:300]}")

            @given(case=operation.as_strategy())
            @settings(max_examples=25, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            def run(case):
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                run()
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect every failure
                lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
                failures.append(f"{operation.label} ({'token' if token else 'anonymous'}): {' | '.join(lines[:4])[:400]}")
    assert not failures, "\n".join(failures)


def test_created_product_matches_the_product_schema(app, client, world):
    operation = next(op for op in _catalog_operations(app) if op.label == "POST /products")
    case = operation.Case(body=window_data(sku="SCHEMA-1", carbon={"declared_unit": "1 m2", "gwp_a1a3": 3.5}))
    response = case.call_and_validate(headers=auth_header(world["supplier"]), checks=CHECKS)
    assert response.status_code == 201


@pytest.mark.parametrize("path,query", [
    ({"edition": "2025", "code": "windows_doors"}, None),
    ({"edition": "2025", "code": "windows_doors"}, {"city": "qingdao"}),
    ({"edition": "2022", "code": "wall_coatings"}, {"at": "2023-01-01"}),
    ({"edition": "2025", "code": "windows_doors"}, {"at": "1999-01-01"}),  # nothing in force: 404
    ({"edition": "2025", "code": "windows_doors"}, {"at": "31/12/2025"}),  # not a date: 400
    ({"edition": "2025", "code": "windows_doors"}, {"city": "atlantis"}),  # 404
])
def test_standard_rules_answer_as_documented(app, world, path, query):
    operation = next(op for op in _catalog_operations(app) if op.label == "GET /standards/{edition}/categories/{code}")
    operation.Case(path_parameters=path, query=query).call_and_validate(checks=CHECKS)
