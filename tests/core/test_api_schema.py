"""The whole JSON API against its own OpenAPI document (schemathesis): generated requests,
valid and invalid, must never get a server error, and every response must be one the document
describes (status code, content type, body schema).

Requests carry a bearer token of a user holding every role, so they reach past authorisation
into the services; a second run without a token checks that unauthenticated calls get 401.
Examples per operation are few (CI time); `API_FUZZ_EXAMPLES` raises them for a deeper run.
"""
from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from core import roles as R
from tests.factories import make_org, make_user

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "15"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _run_all(app, *, headers=None, examples=EXAMPLES):
    """Run every operation of the app's document through schemathesis; return the failures.

    (schemathesis' pytest fixture loader does not work with pytest 9 yet, so the operations
    are driven here with Hypothesis directly.)"""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect every operation's failure
            lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
            failures.append(f"{operation.label}: {' | '.join(lines[:3])[:300]}")
    assert operations >= 30
    return failures


@pytest.fixture
def token(app):
    """A bearer token of one person holding every role (its organisation: a purchaser)."""
    from core.api import create_token

    org = make_org(kind=R.ORG_PURCHASER)
    user = make_user(org, roles=R.ALL_ROLES)
    _row, plaintext = create_token(user, "fuzz")
    return plaintext


@pytest.fixture
def search_index(app):
    """The search index exists (empty, as after `flask search reindex` on this test's catalogue), so
    the search operations answer 200 as documented; without an index they answer 503 with the JSON
    error body, which is right for an engine that is down but is not what this run is about."""
    from catalog.search.engine import search_engine
    from catalog.search.indexer import ensure_index

    created = ensure_index(app)
    yield
    if created:  # leave the engine as other tests expect it: no index behind the default alias
        client = search_engine.client
        for name in client.indices.get_alias(name=search_engine.alias).body:
            client.indices.delete(index=name)
        search_engine.forget_live_index()


def test_every_operation_answers_as_documented(app, token, search_index):
    failures = _run_all(app, headers={"Authorization": f"Bearer {token}"})
    assert not failures, f"{len(failures)} operations broke their document:\n" + "\n".join(failures)


def test_without_a_token_answers_as_documented(app, search_index):
    failures = _run_all(app, examples=3)
    assert not failures, f"{len(failures)} operations broke their document:\n" + "\n".join(failures)
