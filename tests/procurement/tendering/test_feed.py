"""The Atom feed of open tenders: well-formed Atom 1.0, filtered by city and category, escaped,
clear errors for bad filters."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

import procurement.models  # noqa: F401  (every table mapped before the app configures the mappers)
from core.extensions import db
from core.timeutil import utcnow
from procurement.tendering.models import Tender
from tests.procurement.helpers import World, make_standard
from tests.procurement.tendering_helpers import make_tender

A = "{http://www.w3.org/2005/Atom}"


def parse(response) -> ET.Element:
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{A}feed"
    return root


def entries(root) -> list[str]:
    return [e.find(f"{A}title").text for e in root.findall(f"{A}entry")]


def check_atom(root) -> None:
    """RFC 4287's required elements: the feed's and each entry's id, title and updated (RFC 3339
    times), an author, and each entry's alternate link."""
    for element in (root, *root.findall(f"{A}entry")):
        for tag in ("id", "title", "updated"):
            assert (element.find(f"{A}{tag}").text or "").strip(), (element.tag, tag)
        dt.datetime.fromisoformat(element.find(f"{A}updated").text)
    assert root.find(f"{A}author/{A}name").text
    assert root.find(f"{A}link[@rel='self']") is not None
    for entry in root.findall(f"{A}entry"):
        link = entry.find(f"{A}link[@rel='alternate']").get("href")
        assert link.startswith("http://localhost/tenders/")


@pytest.fixture
def tenders(app):
    make_standard()
    nanjing, suzhou = World("nanjing"), World("suzhou")
    now = utcnow()
    made = {
        "concrete": make_tender(nanjing),
        "coatings": make_tender(nanjing, category_code="wall_coatings"),
        "suzhou": make_tender(suzhou),
        "draft": make_tender(nanjing, status="draft"),
        "closed": make_tender(nanjing, status="closed"),
        "past": make_tender(nanjing, bid_deadline_at=now - dt.timedelta(minutes=1)),
    }
    for key, tender in made.items():
        tender.title = f"{key} <tender> & “quotes”"
    db.session.commit()
    return made


def test_the_feed_lists_open_tenders_only(client, tenders):
    root = parse(client.get("/tenders/feed.atom"))
    check_atom(root)
    titles = entries(root)
    assert len(titles) == 3
    assert {t.split(" ", 1)[1].split(" ")[0] for t in titles} == {"concrete", "coatings", "suzhou"}
    assert "concrete <tender> & “quotes”" in " ".join(titles)  # escaped on the wire, exact once parsed
    assert b"&lt;tender&gt; &amp;" in client.get("/tenders/feed.atom").data


def test_the_feed_filters_by_city_and_category(client, tenders):
    by_city = entries(parse(client.get("/tenders/feed.atom?city=nanjing")))
    assert sorted(t.split(" ")[1] for t in by_city) == ["coatings", "concrete"]
    both = entries(parse(client.get("/tenders/feed.atom?city=nanjing&category=wall_coatings")))
    assert [t.split(" ")[1] for t in both] == ["coatings"]
    by_category = entries(parse(client.get("/tenders/feed.atom?category=ready_mixed_concrete")))
    assert sorted(t.split(" ")[1] for t in by_category) == ["concrete", "suzhou"]
    assert entries(parse(client.get("/tenders/feed.atom?category=valves"))) == []


def test_the_feed_updated_is_the_latest_change(client, tenders):
    latest = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    db.session.get(Tender, tenders["coatings"].id).updated_at = latest
    db.session.commit()
    root = parse(client.get("/tenders/feed.atom"))
    assert root.find(f"{A}updated").text == "2030-01-02T03:04:05Z"


@pytest.mark.parametrize("query, status", [("city=Nan%20jing", 400), ("category=%3Cscript%3E", 400),
                                           ("city=" + "a" * 41, 400), ("city=atlantis", 404),
                                           ("category=unobtainium", 404), ("category=12345", 404)])
def test_bad_filters_get_a_plain_message(client, tenders, query, status):
    res = client.get(f"/tenders/feed.atom?{query}")
    assert res.status_code == status and res.mimetype == "text/plain"
    assert "<" not in res.get_data(as_text=True)


def test_the_feed_link_carries_the_lists_filters(app, tenders):
    from flask import render_template_string

    from tests.procurement.helpers import category

    concrete = category("ready_mixed_concrete")
    with app.test_request_context(f"/tenders?city=nanjing&category={concrete.id}"):
        html = render_template_string('{% include "tendering/clarifications/_feed_link.html" %}')
    assert 'type="application/atom+xml"' in html
    assert "/tenders/feed.atom?city=nanjing&amp;category=ready_mixed_concrete" in html
