"""The search operations answer as their OpenAPI document says, on a catalogue with hits (the
whole-API run in tests/core/test_api_schema.py searches an empty index): generated requests, valid
and invalid, get no server error and only documented status codes and bodies."""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.core.test_api_schema import CHECKS

OPERATIONS = ("GET /products/search", "GET /products/autocomplete")


def test_search_operations_answer_as_documented(catalog, app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures, seen = [], []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label not in OPERATIONS:
            continue
        seen.append(operation.label)

        @given(case=operation.as_strategy())
        @settings(max_examples=40, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            case.call_and_validate(checks=CHECKS)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - report every operation
            failures.append(f"{operation.label}: {str(exc)[:600]}")
    assert sorted(seen) == sorted(OPERATIONS)
    assert not failures, "\n".join(failures)


def test_an_empty_index_answers_200_with_no_hits(search_env, client):
    body = client.get("/api/v1/products/search?q=anything").get_json()
    assert body["total"] == 0 and body["hits"] == []
    assert client.get("/api/v1/products/autocomplete?q=any").get_json()["suggestions"] == []
