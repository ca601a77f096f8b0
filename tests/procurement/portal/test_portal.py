"""The public portal: no login, only published records, valid and escaped Atom feeds, both
languages, clear errors for bad filters."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from core.extensions import db
from core.timeutil import utcnow
from tests.procurement.oversight.builders import (
    agreement,
    at,
    award,
    bid,
    make_tender,
    world,
)

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def w():
    return world()


def test_unpublished_records_never_appear(client, w):
    draft = make_tender(w, status="draft")
    draft.title = "Secret draft <b>"
    review = make_tender(w, status="finance_review")
    review.title = "Under review tender"
    sealed = make_tender(w, published_at=utcnow() - dt.timedelta(days=2))          # bids still sealed
    bid(sealed, sealed.lots[0], w.purchaser_org, total_fen=4_321_000)
    closed = make_tender(w, status="closed", published_at=at(2026, 1, 2), bid_deadline_at=at(2026, 1, 30))
    unnotified = award(closed, closed.lots[0], total_fen=3_333_000, notified=False)
    unpublished = agreement(w, closed, closed.lots[0], unnotified, status="signed", published_at=None)
    unpublished.title = "Unpublished contract"
    db.session.commit()
    pages = "".join(client.get(url).get_data(as_text=True) for url in (
        "/public/", "/public/tenders", "/public/awards", "/public/contracts", "/public/openings",
        "/public/feeds/awards.atom", "/public/feeds/contracts.atom", "/public/feeds/closed-tenders.atom"))
    for secret in ("Secret draft", "Under review tender", "33,330.00", "43,210.00", "Unpublished contract"):
        assert secret not in pages
    assert sealed.reference in pages and closed.reference in pages          # published tenders are listed
    assert client.get(f"/public/tenders/{sealed.id}/opening").status_code == 404   # still sealed
    assert client.get(f"/public/tenders/{draft.id}/opening").status_code == 404


def test_published_records_appear(client, w):
    closed = make_tender(w, status="closed", published_at=at(2026, 1, 2), bid_deadline_at=at(2026, 1, 30))
    won = award(closed, closed.lots[0], total_fen=3_333_000, notice_at=at(2026, 2, 3))
    c = agreement(w, closed, closed.lots[0], won, published_at=at(2026, 2, 20))
    assert "33,330.00" in client.get("/public/awards").get_data(as_text=True)
    assert c.reference in client.get("/public/contracts").get_data(as_text=True)


def _feed(client, url):
    answer = client.get(url)
    assert answer.status_code == 200 and answer.mimetype == "application/atom+xml"
    assert answer.data.startswith(b"<?xml")
    return ET.fromstring(answer.data)


def test_feeds_are_valid_atom_and_escaped(client, w):
    closed = make_tender(w, status="closed", published_at=at(2026, 1, 2), bid_deadline_at=at(2026, 1, 30))
    closed.title = 'Concrete <script>alert("x")</script> & mortar'
    won = award(closed, closed.lots[0], total_fen=3_333_000, notice_at=at(2026, 2, 3))
    c = agreement(w, closed, closed.lots[0], won, published_at=at(2026, 2, 20))
    c.title = "Steel & <glass>"
    db.session.commit()
    for url, count in (("/public/feeds/awards.atom", 1), ("/public/feeds/contracts.atom", 1),
                       ("/public/feeds/closed-tenders.atom", 1)):
        root = _feed(client, url)
        assert root.tag == f"{ATOM}feed"
        for tag in ("id", "title", "updated"):
            assert root.find(f"{ATOM}{tag}").text
        entries = root.findall(f"{ATOM}entry")
        assert len(entries) == count
        for entry in entries:
            assert entry.find(f"{ATOM}id").text.startswith("http")
            dt.datetime.fromisoformat(entry.find(f"{ATOM}updated").text.replace("Z", "+00:00"))
    closed_feed = client.get("/public/feeds/closed-tenders.atom").data
    assert b"<script>" not in closed_feed and b"&lt;script&gt;" in closed_feed
    title = _feed(client, "/public/feeds/closed-tenders.atom").find(f"{ATOM}entry/{ATOM}title").text
    assert 'Concrete <script>alert("x")</script> & mortar' in title           # the text survives, escaped
    assert b"Steel &amp; &lt;glass&gt;" in client.get("/public/feeds/contracts.atom").data


def test_unknown_city_filter_is_404(client, w):
    assert client.get("/public/awards?city=atlantis").status_code == 404
    assert client.get("/public/feeds/awards.atom?city=atlantis").status_code == 404
    assert client.get("/public/awards?city=nanjing").status_code == 200


def test_both_languages(client, w):
    english = client.get("/public/").get_data(as_text=True)
    assert "Open data" in english
    chinese = client.get("/public/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "信息公开" in chinese and "Open data sections" not in chinese
    feed = client.get("/public/feeds/awards.atom", headers={"Accept-Language": "zh-CN"}).data
    assert b'xml:lang="zh-Hans"' in feed and "中标公告".encode() in feed


def test_opening_record_once_opened(client, w):
    from procurement.opening.models import OpeningSession

    t = make_tender(w, status="closed", published_at=at(2026, 1, 2), bid_deadline_at=at(2026, 1, 30))
    bid(t, t.lots[0], w.purchaser_org, total_fen=4_321_000, opened=True)
    db.session.add(OpeningSession(tender_id=t.id, status="opened", public_key="k", started_at=at(2026, 1, 30),
                                  expires_at=at(2026, 1, 31), opened_at=at(2026, 1, 30, 5)))
    db.session.commit()
    assert t.reference in client.get("/public/openings").get_data(as_text=True)
    page = client.get(f"/public/tenders/{t.id}/opening")
    assert page.status_code == 200 and "43,210.00" in page.get_data(as_text=True)
