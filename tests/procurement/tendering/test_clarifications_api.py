"""Schemathesis over the clarification, amendment and follow operations against a real published
tender (fixed path ids, generated bodies), as its centre and as a verified supplier: no server
error, no answer the OpenAPI document does not describe; ids beyond the columns are 404."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_schema_conformance,
                                 status_code_conformance)

import procurement.models  # noqa: F401  (every table mapped before the app configures the mappers)
from procurement.blueprints import MAX_ROW_ID
from procurement.tendering import clarifications
from tests.factories import api_token, auth_header
from tests.procurement.helpers import World, make_standard
from tests.procurement.tendering.test_clarifications import supplier
from tests.procurement.tendering_helpers import make_tender

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "10"))
MINE = ("/tenders/{tender_id}/questions", "/tenders/{tender_id}/amendments", "/tenders/{tender_id}/follow")


@pytest.fixture
def real(app):
    make_standard()
    w = World()
    tender = make_tender(w, lots=2)
    question = clarifications.ask(supplier(), tender.id, "Which delivery window applies to lot 2?")
    return w, tender, question


@pytest.mark.parametrize("who", ["centre", "supplier"])
def test_generated_requests_against_a_real_tender(app, real, who):
    w, tender, question = real
    headers = auth_header(api_token(w.centre if who == "centre" else supplier()))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith(MINE):
            continue
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            if case.path_parameters:
                case.path_parameters["tender_id"] = tender.id
                if "question_id" in case.path_parameters:
                    case.path_parameters["question_id"] = question.id
            case.call_and_validate(headers=headers, checks=checks)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect every operation's failure
            failures.append(f"{operation.label}: {' | '.join(str(exc).splitlines()[:6])[:400]}")
    assert operations == 7
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("big", [MAX_ROW_ID + 1, 2**40])
def test_ids_beyond_the_columns_are_not_found(client, real, big):
    w, tender, _question = real
    headers = auth_header(api_token(w.centre))
    for method, url in (("GET", f"/api/v1/tenders/{big}/questions"), ("POST", f"/api/v1/tenders/{big}/questions"),
                        ("POST", f"/api/v1/tenders/{tender.id}/questions/{big}/answer"),
                        ("GET", f"/api/v1/tenders/{big}/amendments"), ("POST", f"/api/v1/tenders/{big}/amendments"),
                        ("PUT", f"/api/v1/tenders/{big}/follow"), ("GET", f"/tenders/{big}/questions"),
                        ("GET", f"/tenders/{big}/amendments"), ("GET", f"/tenders/{big}/amend")):
        res = client.open(url, method=method, headers=headers, json={"text": "A question of some length."})
        assert res.status_code == 404, (method, url, res.status_code)


def test_every_operation_documents_its_answers(app):
    from core.openapi import document

    doc = document(app=app)
    for path in MINE:
        for method, op in doc["paths"][path].items():
            assert {"400", "401", "404"} <= set(op["responses"]), (path, method)
            if method != "get":
                assert "409" in op["responses"] or method == "delete", (path, method)
    answer = doc["paths"]["/tenders/{tender_id}/questions/{question_id}/answer"]["post"]
    assert {"403", "404", "409"} <= set(answer["responses"])
