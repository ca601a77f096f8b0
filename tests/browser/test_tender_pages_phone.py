"""The tender pages fit a phone-sized screen (390 CSS px wide): wide lots tables scroll inside
their own container, long titles and hashes wrap."""

from __future__ import annotations

import io

import pytest

import procurement.models  # noqa: F401  (every table mapped before the app configures the mappers)
from procurement.tendering import documents as tender_documents
from procurement.tendering import services as tender_svc
from tests.browser.conftest import sign_in as _sign_in, too_wide
from tests.procurement.tendering.tender_builders import tender_in

pytestmark = pytest.mark.browser
LONG = "Waterproof-membrane-SBS-modified-bitumen-4mm-with-a-very-long-unbroken-model-number-0123456789"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_the_tender_pages_fit_a_phone(live_server, phone):
    world, _projects, tender = tender_in("draft", title=f"Tender {LONG}", description=LONG * 3)
    tender_documents.attach(world.centre, tender.id, io.BytesIO(PDF), f"{LONG}.pdf", f"Documents {LONG}")
    problems = []
    _sign_in(phone, live_server, world.centre)
    for url in ("/tenders/manage", f"/tenders/{tender.id}/manage", f"/tenders/{tender.id}/edit", "/tenders/new"):
        problems.append(too_wide(phone, live_server + url))
    tender_svc.submit(world.centre, tender.id)
    tender_svc.approve(world.finance, tender.id, "")
    tender_svc.publish(world.centre, tender.id)
    phone.get_by_role("button", name="Sign out").click()
    for url in ("/tenders", f"/tenders/{tender.id}", f"/tenders/{tender.id}/documents/print",
                "/procedure-rules"):
        problems.append(too_wide(phone, live_server + url))
    problems = [x for x in problems if x]
    assert not problems, "\n".join(problems)
