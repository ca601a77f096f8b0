"""Our merge routine against ocdskit's on releases that exercise every rule: identifier merge
of arrays, replaced arrays of strings, null removing a field, empty values changing nothing,
equal dates keeping their order."""

from __future__ import annotations

import pytest
from ocdskit.combine import merge

from procurement.opendata.compiling import compile_release, record
from tests.procurement.opendata.helpers import patched_schema

OCID = "ocds-xxxxxx-T-1"


def _release(n, date, **sections):
    return {"ocid": OCID, "id": f"{OCID}-{n}", "date": date, "tag": ["tender"], "initiationType": "tender",
            **sections}


RELEASES = [
    _release(1, "2026-01-01T00:00:00Z", tender={"id": "T-1", "status": "active", "submissionMethod": ["written"],
             "lots": [{"id": "1", "title": "A", "status": "active"}, {"id": "2", "title": "B"}],
             "items": [{"id": "i1", "quantity": 5, "unit": {"name": "m3"}}]},
             parties=[{"id": "P1", "name": "Centre", "roles": ["procuringEntity"]}]),
    _release(2, "2026-01-02T00:00:00Z", tender={"id": "T-1", "submissionMethod": ["electronicSubmission"],
             "lots": [{"id": "2", "status": "cancelled"}], "description": None, "items": []},
             parties=[{"id": "P2", "name": "Firm", "roles": ["tenderer"]},
                      {"id": "P1", "roles": ["procuringEntity", "buyer"]}]),
    _release(3, "2026-01-02T00:00:00Z", tender={"id": "T-1", "status": "complete", "title": None},
             awards=[{"id": "a1", "status": "active", "suppliers": [{"id": "P2", "name": "Firm"}]}]),
]


@pytest.mark.pure
def test_our_compiled_release_is_ocdskits():
    package = {"uri": "urn:x", "version": "1.1", "publishedDate": "2026-01-03T00:00:00Z", "publisher": {"name": "x"},
               "releases": RELEASES}
    (theirs,) = list(merge([package], schema=patched_schema()))
    ours = compile_release(RELEASES)
    assert ours == theirs
    assert ours["tender"]["lots"][1] == {"id": "2", "title": "B", "status": "cancelled"}
    assert ours["tender"]["submissionMethod"] == ["electronicSubmission"]
    assert ours["tender"]["status"] == "complete" and ours["id"] == f"{OCID}-2026-01-02T00:00:00Z"


@pytest.mark.pure
def test_a_record_lists_its_releases_oldest_first():
    rec = record(list(reversed(RELEASES)))
    assert [r["id"] for r in rec["releases"]] == [f"{OCID}-1", f"{OCID}-3", f"{OCID}-2"]
    assert rec["ocid"] == OCID and rec["compiledRelease"]["tag"] == ["compiled"]
