"""The clarification, amendment and follow pages fit a phone-sized screen (390 CSS px wide):
long unbroken question texts and wide diffs wrap or scroll inside their own container."""

from __future__ import annotations

import datetime as dt

import pytest

import procurement.models  # noqa: F401  (every table mapped before the app configures the mappers)
from core.timeutil import utcnow
from procurement.tendering import amendments, clarifications, follows
from tests.browser.conftest import sign_in as _sign_in, too_wide
from tests.procurement.helpers import World, make_standard
from tests.procurement.tendering.test_clarifications import supplier
from tests.procurement.tendering_helpers import make_tender

pytestmark = pytest.mark.browser
LONG = "Specification-with-a-very-long-unbroken-model-number-ABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789"


@pytest.fixture
def scene(app):
    make_standard()
    w = World()
    tender = make_tender(w, lots=3, bid_deadline_at=utcnow() + dt.timedelta(days=10))
    asker = supplier("A supplier firm with a rather long registered name, Limited")
    q = clarifications.ask(asker, tender.id, f"Is {LONG} acceptable for lot 2?",
                           now=tender.clarification_cutoff_at - dt.timedelta(hours=1))
    clarifications.ask(asker, tender.id, LONG, now=tender.clarification_cutoff_at - dt.timedelta(hours=1))
    clarifications.answer(w.centre, q.id, f"Yes. {LONG}")
    amendments.amend(w.centre, tender.id, {"description": LONG * 3, "title": f"Tender {LONG}",
                                           "lots": [{"number": 2, "quantity_milli": 123_456_789_125}]},
                     f"Rationale {LONG}")
    follows.follow(asker, tender.id)
    return w, tender, asker


def test_the_pages_fit_a_phone(live_server, phone, scene):
    w, tender, asker = scene
    pages = {asker: [f"/tenders/{tender.id}/questions", f"/tenders/{tender.id}/amendments", "/tenders/following"],
             w.centre: [f"/tenders/{tender.id}/questions", f"/tenders/{tender.id}/amend",
                        "/tenders/questions/unanswered"]}
    problems = []
    for user, urls in pages.items():
        _sign_in(phone, live_server, user)
        for url in urls:
            problems.append(too_wide(phone, live_server + url))
        phone.get_by_role("button", name="Sign out").click()
    problems = [x for x in problems if x]
    assert not problems, "\n".join(problems)
