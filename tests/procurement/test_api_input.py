"""Bad input to the projects API never gets a server error, and the OpenAPI document says what the
operations really answer (issue 9, #9).

* path ids beyond the INTEGER columns (projects, bill lines) are 404, not a database error;
* page numbers of any size are clamped;
* bodies with values of the wrong type, huge numbers or NUL characters are 400 with field errors;
* every operation documents its 404 (and 409 where the project's state can conflict), enums for
  stages, kinds and statuses, and integer bounds; schemathesis drives every projects operation
  against a real project (fixed path ids, generated bodies) with no server error and no answer
  the document does not describe.
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_schema_conformance,
                                 status_code_conformance)

from core import roles as R
from core.api import create_token
from procurement.blueprints import MAX_ROW_ID
from tests.factories import auth_header, make_user
from tests.procurement.helpers import designing, line, new_project

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "8"))


@pytest.fixture
def api(app):
    """A project in design with a line, one in the budget stage, and a token holding every role."""
    w, in_design = designing(line())
    budgeting = new_project(w)
    user = make_user(w.purchaser_org, roles=R.ALL_ROLES)
    _row, token = create_token(user, "test")
    return w, in_design, budgeting, auth_header(token)


ROUTES = [("GET", "/api/v1/projects/{id}"), ("PATCH", "/api/v1/projects/{id}"), ("GET", "/api/v1/projects/{id}/budget"),
          ("PUT", "/api/v1/projects/{id}/budget"), ("POST", "/api/v1/projects/{id}/budget/approve"),
          ("POST", "/api/v1/projects/{id}/budget/return"), ("GET", "/api/v1/projects/{id}/bom"),
          ("POST", "/api/v1/projects/{id}/bom"), ("PATCH", "/api/v1/projects/{id}/bom/1"),
          ("DELETE", "/api/v1/projects/{id}/bom/1"), ("PATCH", "/api/v1/projects/1/bom/{id}"),
          ("DELETE", "/api/v1/projects/1/bom/{id}"), ("GET", "/api/v1/projects/{id}/transitions"),
          ("POST", "/api/v1/projects/{id}/transitions"), ("GET", "/api/v1/projects/{id}/records"),
          ("GET", "/api/v1/projects/{id}/documents"), ("POST", "/api/v1/projects/{id}/documents"),
          ("GET", "/projects/{id}"), ("GET", "/projects/{id}/design"), ("GET", "/projects/{id}/budget"),
          ("GET", "/projects/{id}/records"), ("GET", "/projects/1/documents/{id}")]


@pytest.mark.parametrize("big", [MAX_ROW_ID + 1, 2**40, 2**63 - 1])
def test_ids_beyond_the_columns_are_not_found(client, api, big):
    headers = api[3]
    for method, route in ROUTES:
        res = client.open(route.format(id=big), method=method, headers=headers, json={})
        assert res.status_code == 404, (method, route, res.status_code)
        if route.startswith("/api/"):
            assert res.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("page", ["100000000000000000000", "-3", "1e20", "abc", "0", "99999"])
def test_page_numbers_are_clamped(client, api, page):
    w, _in_design, _budgeting, headers = api
    res = client.get(f"/api/v1/projects?page={page}", headers=headers)
    assert res.status_code == 200 and res.get_json()["page"] >= 1
    from tests.factories import login_as
    login_as(client, w.purchaser)
    assert client.get(f"/projects?page={page}").status_code == 200


JUNK = [{"x": [{"y": [None]}]}, [1, [2, [3]]], 10**40, -(10**40), 1e308, float("nan"), "\u0000", "a\u0000b", True, "",
        "99999999999999999999", "²³", 2**31]


@pytest.mark.parametrize("junk", JUNK, ids=range(len(JUNK)))
def test_values_of_any_type_get_400_not_500(client, api, junk):
    _w, in_design, budgeting, headers = api
    bodies = [
        ("POST", "/api/v1/projects", {"name": junk, "building_type": junk, "floor_area_m2": junk, "green_star_target": junk,
                                      "people": junk, "description": junk}),
        ("POST", "/api/v1/projects", {"name": "Library", "building_type": "office", "floor_area_m2": 900,
                                      "people": [{"role": "designer", "name": junk, "phone": junk}]}),
        ("PATCH", f"/api/v1/projects/{in_design.id}", {"name": junk, "floor_area_m2": junk}),
        ("PUT", f"/api/v1/projects/{budgeting.id}/budget", {"total_fen": junk, "green_share_bp": junk,
                                                            "funding_sources": junk}),
        ("PUT", f"/api/v1/projects/{budgeting.id}/budget", {"total_fen": 100, "green_share_bp": 1, "funding_sources": [
            {"kind": junk, "amount_fen": junk, "description": junk}]}),
        ("POST", f"/api/v1/projects/{budgeting.id}/budget/return", {"comment": junk}),
        ("POST", f"/api/v1/projects/{in_design.id}/bom", {"category": junk, "specification": junk, "quantity": junk,
                                                          "unit": junk, "est_unit_price_fen": junk,
                                                          "green_required": junk, "tightenings": junk}),
        ("POST", f"/api/v1/projects/{in_design.id}/bom", dict(line(), tightenings={"radionuclide_ira": junk})),
        ("PATCH", f"/api/v1/projects/{in_design.id}/bom/1", {"quantity": junk, "unit": junk, "category": junk}),
        ("POST", f"/api/v1/projects/{in_design.id}/transitions", {"from": junk, "to": junk, "kind": junk,
                                                                  "reason": junk}),
        ("POST", f"/api/v1/projects/{in_design.id}/transitions", {"from": "design", "to": "budget", "kind": "return",
                                                                  "reason": junk}),
    ]
    for method, url, body in bodies:
        res = client.open(url, method=method, headers=headers, json=body)
        # odd but valid values (a phone "99999999999999999999", a tightened limit of -1e40) are accepted
        assert res.status_code in (200, 201, 400, 403, 409), (method, url, body, res.status_code,
                                                              res.get_data(as_text=True))
        if res.status_code >= 400:
            assert set(res.get_json()["error"]) == {"code", "message", "fields"}


def test_text_with_nul_characters_is_refused_with_a_field_error(client, api):
    _w, in_design, _budgeting, headers = api
    res = client.patch(f"/api/v1/projects/{in_design.id}", headers=headers, json={"name": "School\u0000"})
    assert res.status_code == 400
    assert res.get_json()["error"]["fields"] == {"name": "Must not contain control characters."}


def test_document_describes_statuses_enums_and_bounds(app):
    from core.openapi import document

    doc = document(app=app)
    ops = {(path, method): op for path, methods in doc["paths"].items() for method, op in methods.items()
           if path.startswith("/projects")}
    assert len(ops) >= 17
    for (path, method), op in ops.items():
        codes = set(op["responses"])
        if "{project_id}" in path:
            assert {"403", "404"} <= codes, (path, method)
            assert op["parameters"][0]["schema"] == {"type": "integer", "minimum": 1, "maximum": MAX_ROW_ID}
        if method != "get" and "{project_id}" in path and path != "/projects/{project_id}":
            assert "409" in codes or path.endswith("/documents"), (path, method)
    schemas = doc["components"]["schemas"]
    assert schemas["Project"]["properties"]["stage"]["enum"][0] == "budget"
    assert "enum" in schemas["Budget"]["properties"]["status"]
    assert "enum" in schemas["TransitionInput"]["properties"]["kind"]
    assert schemas["BudgetInput"]["properties"]["total_fen"]["maximum"] > 0
    assert ops[("/projects", "get")]["parameters"][2]["schema"] == {"type": "integer", "minimum": 1}


def test_generated_requests_against_a_real_project(app, api):
    """Schemathesis over every projects operation, with path ids of existing rows."""
    _w, in_design, budgeting, headers = api
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith("/projects"):
            continue

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            if case.path_parameters:
                if "project_id" in case.path_parameters:
                    case.path_parameters["project_id"] = (in_design if case.path_parameters["project_id"] % 2
                                                          else budgeting).id
                if "line_no" in case.path_parameters:
                    case.path_parameters["line_no"] = 1
            case.call_and_validate(headers=headers, checks=checks)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect every operation's failure
            failures.append(f"{operation.label}: {' | '.join(str(exc).splitlines()[:6])[:400]}")
    assert not failures, "\n".join(failures)
