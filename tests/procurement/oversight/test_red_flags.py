"""Each red flag fires on the records that should raise it, and stays quiet on the ones just
inside the threshold."""

from __future__ import annotations

import datetime as dt

import pytest

from core.extensions import db
from procurement.bonds.models import Bond
from procurement.oversight import redflags
from procurement.tendering.models import Amendment
from tests.procurement.oversight.builders import (
    agreement,
    at,
    award,
    bid,
    make_tender,
    supplier,
    world,
)


@pytest.fixture
def w():
    return world()


def tender_of(w, **kw):
    kw.setdefault("published_at", at(2026, 1, 2))
    kw.setdefault("bid_deadline_at", at(2026, 1, 30))
    return make_tender(w, **kw)


def codes(tenders, code):
    return [f for f in redflags.flags_for(tenders) if f.code == code]


def test_single_bidder(w):
    t = tender_of(w)
    bid(t, t.lots[0], supplier(), total_fen=100, opened=True)
    assert len(codes([t], "single_bidder")) == 1
    bid(t, t.lots[0], supplier(), total_fen=200, opened=True)
    assert codes([t], "single_bidder") == []


def test_identical_prices(w):
    t = tender_of(w)
    a, b = supplier(), supplier()
    bid(t, t.lots[0], a, total_fen=4_500_000, opened=True)
    bid(t, t.lots[0], b, total_fen=4_500_001, opened=True)
    assert codes([t], "identical_prices") == []
    bid(t, t.lots[0], supplier(), total_fen=4_500_000, opened=True)
    found = codes([t], "identical_prices")
    assert len(found) == 1 and found[0].params["n"] == 2 and len(found[0].records) == 2


@pytest.mark.parametrize("total, fires", [(4_950_000, True), (4_949_999, False)])
def test_near_ceiling(w, total, fires):
    t = tender_of(w)                                    # ceiling 5 000 000; national rule: 99 %
    award(t, t.lots[0], total_fen=total, notice_at=at(2026, 2, 5))
    assert bool(codes([t], "near_ceiling")) is fires


def test_near_ceiling_ignores_awards_not_notified(w):
    t = tender_of(w)
    award(t, t.lots[0], total_fen=5_000_000, notified=False)
    assert codes([t], "near_ceiling") == []


@pytest.mark.parametrize("wins, fires", [(3, True), (2, False)])
def test_repeat_winner(w, wins, fires):
    firm = supplier()
    tenders = []
    for i in range(wins):
        t = tender_of(w)
        award(t, t.lots[0], total_fen=1_000_000, notice_at=at(2026, 2, 1 + i), winner=firm)
        tenders.append(t)
    award(tender_of(w).lots[0].tender, tender_of(w).lots[0], total_fen=1, notice_at=at(2026, 2, 20))  # another firm
    assert bool(codes(tenders, "repeat_winner")) is fires


def test_repeat_winner_outside_the_window(w):
    firm = supplier()
    tenders = [tender_of(w) for _ in range(3)]
    for t, when in zip(tenders, (at(2024, 1, 1), at(2025, 6, 1), at(2026, 2, 1))):
        award(t, t.lots[0], total_fen=1_000_000, notice_at=when, winner=firm)
    assert codes(tenders, "repeat_winner") == []          # never 3 within 365 days


def test_shared_card(w):
    t = tender_of(w)
    a, b = supplier(), supplier()
    for firm, card in ((a, "fp_1"), (b, "fp_2")):
        db.session.add(Bond(tender_id=t.id, lot_id=t.lots[0].id, supplier_org_id=firm.id, amount_fen=100_000,
                            method="card", status="held", card_fingerprint=card, held_at=at(2026, 1, 5)))
    db.session.commit()
    assert codes([t], "shared_card") == []
    db.session.query(Bond).update({"card_fingerprint": "fp_same"})
    db.session.commit()
    assert len(codes([t], "shared_card")) == 1


def test_shared_address(w):
    t = tender_of(w)
    a, b = supplier(), supplier()
    bid(t, t.lots[0], a, address="203.0.113.7")
    bid(t, t.lots[0], b, address="203.0.113.8")
    assert codes([t], "shared_address") == []
    t2 = tender_of(w)
    bid(t2, t2.lots[0], a, address="203.0.113.9")
    bid(t2, t2.lots[0], b, address="203.0.113.9")
    found = codes([t2], "shared_address")
    assert len(found) == 1 and found[0].params["address"] == "203.0.113.9"


@pytest.mark.parametrize("days, fires", [(19, True), (20, False)])
def test_short_tender_period(w, days, fires):
    t = tender_of(w, bid_deadline_at=at(2026, 1, 2) + dt.timedelta(days=days))   # public tender: 20 days
    assert bool(codes([t], "short_period")) is fires


@pytest.mark.parametrize("bond, fires", [(100_001, True), (100_000, False)])
def test_bond_above_cap(w, bond, fires):
    t = tender_of(w)                                     # cap 2 % of 5 000 000 = 100 000
    t.lots[0].bond_fen = bond
    db.session.commit()
    assert bool(codes([t], "bond_above_cap")) is fires


@pytest.mark.parametrize("after, fires", [(5_500_001, True), (5_500_000, False)])
def test_amendment_above_ten_per_cent(w, after, fires):
    t = tender_of(w)
    db.session.add(Amendment(tender_id=t.id, number=1, rationale="Price index",
                             changes=[{"field": "ceiling_fen", "lot": 1, "before": 5_000_000, "after": after}]))
    db.session.commit()
    assert bool(codes([t], "amendment_value")) is fires


@pytest.mark.parametrize("published, fires", [(None, True), (at(2026, 2, 12), True), (at(2026, 2, 9), False)])
def test_late_contract_publication(w, published, fires):
    t = tender_of(w)
    won = award(t, t.lots[0], total_fen=1_000_000, notice_at=at(2026, 1, 31))
    agreement(w, t, t.lots[0], won, publish_due_at=at(2026, 2, 10), published_at=published,
              status="published" if published else "signed")
    assert bool(codes([t], "late_contract")) is fires


def test_flags_page_and_api_show_explanation_and_records(client, w):
    from tests.factories import api_token, auth_header, login_as
    from tests.procurement.oversight.builders import platform_admin

    t = tender_of(w, published_at=at(2026, 3, 2), bid_deadline_at=at(2026, 3, 5))
    admin = platform_admin()
    answer = client.get("/api/v1/oversight/red-flags?from=2026-01&to=2026-12", headers=auth_header(api_token(admin)))
    flags = [f for f in answer.get_json()["flags"] if f["code"] == "short_period"]
    assert flags and flags[0]["tender"] == t.reference and "fewer days" in flags[0]["explanation"]
    login_as(client, admin)
    page = client.get("/oversight/red-flags?from=2026-01&to=2026-12").get_data(as_text=True)
    assert t.reference in page and "fewer days than its procedure profile" in page
    # the finance office of another city sees neither the page of this city nor its flags
    from tests.procurement.helpers import World

    other = World("hangzhou")
    login_as(client, other.finance)
    assert client.get("/oversight/red-flags?city=nanjing").status_code == 403
