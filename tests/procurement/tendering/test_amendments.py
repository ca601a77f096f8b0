"""Amendments: the centre changes a published tender with a rationale; a late amendment moves the
deadline so that bidders keep the clarification period; a closed tender or another city's
centre is refused with nothing written; the diff reads in yuan, units and China time."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

import procurement.models  # noqa: F401  (every table mapped before the app configures the mappers)
from core import scheduler
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.models import AuditEvent, Deadline, MailMessage, Notification
from core.timeutil import utcnow
from procurement.records.models import ProjectRecord
from procurement.tendering import amendments, clarifications, follows
from procurement.tendering.models import Amendment, Lot, Tender
from procurement.tendering.states import DEADLINE_CUTOFF
from tests.factories import api_token, auth_header, login_as
from tests.procurement.helpers import World, field_text, make_standard
from tests.procurement.tendering.test_clarifications import supplier
from tests.procurement.tendering_helpers import make_tender

RATIONALE = "The quantity was recounted on site."
NOW = utcnow()


def state(tender_id) -> dict:
    """Everything an amendment writes, to compare before and after a refusal."""
    db.session.expire_all()
    tender = db.session.get(Tender, tender_id)
    return {"tender": tender.snapshot(), "amendment_count": tender.amendment_count,
            "amendments": db.session.execute(select(func.count(Amendment.id))).scalar(),
            "audit": db.session.execute(select(func.count(AuditEvent.id))).scalar(),
            "records": db.session.execute(select(func.count(ProjectRecord.id))).scalar(),
            "notifications": db.session.execute(select(func.count(Notification.id))).scalar(),
            "mail": db.session.execute(select(func.count(MailMessage.id))).scalar(),
            "deadlines": db.session.execute(select(func.count(Deadline.id))).scalar()}


@pytest.fixture
def w(app):
    make_standard()
    return World()


def test_an_amendment_before_the_cut_off_keeps_the_deadline(w):
    tender = make_tender(w, bid_deadline_at=NOW + dt.timedelta(days=30))
    deadline, cutoff, title = tender.bid_deadline_at, tender.clarification_cutoff_at, tender.title
    a = amendments.amend(w.centre, tender.id, {"title": "Ready-mixed concrete, recounted"}, RATIONALE,
                         now=cutoff - dt.timedelta(seconds=1))
    assert (a.number, a.deadline_moved, a.deadline_before, a.deadline_after) == (1, False, deadline, deadline)
    assert a.changes == [{"field": "title", "lot": None, "before": title, "after": "Ready-mixed concrete, recounted"}]
    db.session.expire_all()
    tender = db.session.get(Tender, tender.id)
    assert (tender.bid_deadline_at, tender.clarification_cutoff_at, tender.amendment_count) == (deadline, cutoff, 1)
    assert tender.title == "Ready-mixed concrete, recounted"


def test_an_amendment_after_the_cut_off_moves_the_deadline_exactly(w):
    tender = make_tender(w, bid_deadline_at=NOW + dt.timedelta(days=30))  # profile: 15 days
    cutoff = tender.clarification_cutoff_at
    now = cutoff + dt.timedelta(days=3)  # 12 days before the deadline
    a = amendments.amend(w.centre, tender.id, {"lots": [{"number": 1, "quantity_milli": 120_000}]}, RATIONALE, now=now)
    assert a.deadline_moved is True
    assert a.deadline_after == now + dt.timedelta(days=15) == NOW + dt.timedelta(days=33)
    db.session.expire_all()
    tender = db.session.get(Tender, tender.id)
    assert tender.bid_deadline_at == now + dt.timedelta(days=15)
    assert tender.clarification_cutoff_at == now  # the cut-off moves with the deadline
    assert tender.lots[0].quantity_milli == 120_000
    fields = [c["field"] for c in a.changes]
    assert fields == ["bid_deadline_at", "clarification_cutoff_at", "quantity_milli"]
    cutoff_row = scheduler.deadline_for(DEADLINE_CUTOFF, "tenders", tender.id)
    assert cutoff_row is not None and cutoff_row.due_at == now and cutoff_row.status == "pending"


def test_a_late_extension_too_short_for_the_clarification_period_is_moved_further(w):
    tender = make_tender(w, bid_deadline_at=NOW + dt.timedelta(days=20))
    now = NOW + dt.timedelta(days=10, seconds=30, microseconds=500)
    a = amendments.amend(w.centre, tender.id, {"bid_deadline_at": (NOW + dt.timedelta(days=22)).isoformat()},
                         RATIONALE, now=now)
    assert a.deadline_moved is True
    assert a.deadline_after == now + dt.timedelta(days=15) == NOW + dt.timedelta(days=25, seconds=30, microseconds=500)
    assert db.session.get(Tender, tender.id).clarification_cutoff_at == now


def test_an_extension_in_time_is_kept_and_moves_the_cut_off_with_it(w):
    tender = make_tender(w, bid_deadline_at=NOW + dt.timedelta(days=30))
    later = NOW + dt.timedelta(days=40)
    a = amendments.amend(w.centre, tender.id, {"bid_deadline_at": later.astimezone(dt.timezone(dt.timedelta(hours=8)))
                                               .isoformat()}, RATIONALE, now=NOW)
    assert (a.deadline_after, a.deadline_moved) == (later, False)
    assert db.session.get(Tender, tender.id).clarification_cutoff_at == later - dt.timedelta(days=15)


@pytest.mark.parametrize("deadline, message", [
    (lambda t: NOW + dt.timedelta(days=10), "minimum tendering period of 20 days"),
    (lambda t: NOW - dt.timedelta(hours=1), "must be in the future"),
    (lambda t: NOW + dt.timedelta(days=400), "at most 366 days"),
    ("next friday", "with its offset"),
    ("2026-06-30T09:00:00", "with its offset"),
])
def test_a_deadline_the_rules_do_not_allow_is_refused(w, deadline, message):
    tender = make_tender(w, bid_deadline_at=NOW + dt.timedelta(days=30), published_at=NOW - dt.timedelta(days=1))
    before = state(tender.id)
    value = deadline(tender).isoformat() if callable(deadline) else deadline
    with pytest.raises(ValidationError) as refused:
        amendments.amend(w.centre, tender.id, {"bid_deadline_at": value}, RATIONALE, now=NOW)
    assert message in field_text(refused.value, "bid_deadline_at")
    assert state(tender.id) == before


def test_shortening_must_leave_the_clarification_period_after_the_amendment(w):
    tender = make_tender(w, bid_deadline_at=NOW + dt.timedelta(days=40), published_at=NOW - dt.timedelta(days=10))
    with pytest.raises(ValidationError) as refused:
        amendments.amend(w.centre, tender.id, {"bid_deadline_at": (NOW + dt.timedelta(days=12)).isoformat()},
                         RATIONALE, now=NOW)
    assert "15 days after this amendment" in field_text(refused.value, "bid_deadline_at")
    ok = amendments.amend(w.centre, tender.id, {"bid_deadline_at": (NOW + dt.timedelta(days=25)).isoformat()},
                          RATIONALE, now=NOW)
    assert ok.deadline_after == NOW + dt.timedelta(days=25) and not ok.deadline_moved


def test_an_amendment_on_a_closed_tender_is_refused_with_nothing_written(w):
    closed = make_tender(w, status="closed", bid_deadline_at=NOW - dt.timedelta(days=1))
    past = make_tender(w, bid_deadline_at=NOW + dt.timedelta(days=30))
    for tender, now in ((closed, NOW), (past, past.bid_deadline_at)):
        before = state(tender.id)
        with pytest.raises(Conflict) as refused:
            amendments.amend(w.centre, tender.id, {"title": "Too late"}, RATIONALE, now=now)
        assert refused.value.status == 409
        assert state(tender.id) == before
    assert "closed" in str(refused.value.message)


def test_another_citys_centre_and_other_roles_are_refused_with_nothing_written(w):
    tender = make_tender(w)
    before = state(tender.id)
    for person in (World("suzhou").centre, w.finance, w.purchaser, supplier()):
        with pytest.raises(PermissionDenied):
            amendments.amend(person, tender.id, {"title": "Hijacked"}, RATIONALE)
    with pytest.raises(NotFound):
        amendments.amend(supplier(), make_tender(w, status="draft").id, {"title": "Hidden"}, RATIONALE)
    assert state(tender.id) == before


@pytest.mark.parametrize("changes, rationale, field", [
    ({"title": "New title"}, "short", "rationale"),
    ({"title": "New title"}, "A rationale with a \x00 in it", "rationale"),
    ({}, RATIONALE, "changes"),
    ({"title": None}, RATIONALE, "title"),
    ({"status": "closed"}, RATIONALE, "status"),
    ({"lots": [{"number": 9, "quantity_milli": 5}]}, RATIONALE, "lots.0.number"),
    ({"lots": [{"number": 1, "quantity_milli": 0}]}, RATIONALE, "lots.0.quantity_milli"),
    ({"lots": [{"number": 1, "category_id": 3}]}, RATIONALE, "lots.0.category_id"),
    ({"lots": [{"number": 1, "ceiling_fen": 6_000_000}]}, RATIONALE, "lots.0.ceiling_fen"),
    ({"lots": [{"number": 1, "bond_fen": 100_001}]}, RATIONALE, "lots.0.bond_fen"),
    ({"lots": [{"number": 1, "ceiling_fen": 4_000_000}]}, RATIONALE, "lots.0.bond_fen"),
    ({"lots": "all"}, RATIONALE, "lots"),
    ({"withdraw_documents": [12345]}, RATIONALE, "withdraw_documents"),
    ({"title": "Test tender"}, RATIONALE, "changes"),
    ("title", RATIONALE, "changes"),
])
def test_bad_amendments_are_refused_with_nothing_written(w, changes, rationale, field):
    tender = make_tender(w)
    if changes == {"title": "Test tender"}:
        changes = {"title": tender.title}  # the same value: nothing changes
    before = state(tender.id)
    with pytest.raises(ValidationError) as refused:
        amendments.amend(w.centre, tender.id, changes, rationale)
    assert field in refused.value.fields, refused.value.fields
    assert state(tender.id) == before


def test_lowering_the_ceiling_and_the_bond_within_the_cap(w):
    tender = make_tender(w)  # ceiling ¥50,000.00, bond ¥1,000.00 (2 %)
    a = amendments.amend(w.centre, tender.id, {"lots": [{"number": 1, "ceiling_fen": 4_000_000, "bond_fen": 80_000}]},
                         RATIONALE)
    assert {(c["field"], c["before"], c["after"]) for c in a.changes} == {
        ("ceiling_fen", 5_000_000, 4_000_000), ("bond_fen", 100_000, 80_000)}
    # Back up to the approved ceiling is fine; above it is not (no budgets behind it).
    amendments.amend(w.centre, tender.id, {"lots": [{"number": 1, "ceiling_fen": 5_000_000}]}, RATIONALE)
    with pytest.raises(ValidationError):
        amendments.amend(w.centre, tender.id, {"lots": [{"number": 1, "ceiling_fen": 5_000_001}]}, RATIONALE)
    assert db.session.get(Lot, tender.lots[0].id).ceiling_fen == 5_000_000


def test_listeners_followers_and_askers_hear_of_an_amendment(w, app):
    tender = make_tender(w)
    fan, asker = supplier("Fan Firm"), supplier("Asker Firm")
    follows.follow(fan, tender.id)
    clarifications.ask(asker, tender.id, "What about the delivery schedule?")
    heard = []
    amendments.on_amended(app, lambda t, a: heard.append((t.id, a.number)))
    try:
        amendments.amend(w.centre, tender.id, {"description": "Deliveries in two batches."}, RATIONALE)
    finally:
        app.extensions[amendments.LISTENERS_KEY].pop()
    assert heard == [(tender.id, 1)]
    told = {n.user_id for n in db.session.execute(select(Notification).filter_by(kind="tender.amended")).scalars()}
    assert told == {fan.id, asker.id}
    event = db.session.execute(select(AuditEvent).filter_by(action="tender.amended")).scalar_one()
    assert event.before["description"] == "" and event.after["description"] == "Deliveries in two batches."


def test_a_failing_listener_rolls_the_amendment_back(w, app):
    tender = make_tender(w)
    before = state(tender.id)

    def refuse(_tender, _amendment):
        raise Conflict("That change conflicts with existing data.")

    amendments.on_amended(app, refuse)
    try:
        with pytest.raises(Conflict):
            amendments.amend(w.centre, tender.id, {"title": "Never saved"}, RATIONALE)
    finally:
        app.extensions[amendments.LISTENERS_KEY].remove(refuse)
    assert state(tender.id) == before


def test_the_diff_reads_in_yuan_units_and_china_time(w, client):
    tender = make_tender(w, bid_deadline_at=NOW + dt.timedelta(days=30))
    later = NOW + dt.timedelta(days=35)
    amendments.amend(w.centre, tender.id, {"bid_deadline_at": later.isoformat(), "title": "Concrete <C35> & more",
                                           "lots": [{"number": 1, "ceiling_fen": 4_500_050, "quantity_milli": 125_500,
                                                    "bond_fen": 90_000}]},
                     RATIONALE)
    page = client.get(f"/tenders/{tender.id}/amendments").get_data(as_text=True)
    assert "Amendment 1" in page and RATIONALE in page
    assert "¥50,000.00" in page and "¥45,000.50" in page
    assert "125.5 m³" in page and "100 m³" in page
    assert (later + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M") + " (UTC+8)" in page
    assert "Concrete &lt;C35&gt; &amp; more" in page and "<C35>" not in page


def test_amending_through_the_page_with_a_preview(w, client):
    tender = make_tender(w, bid_deadline_at=utcnow() + dt.timedelta(days=10))  # the cut-off has passed
    login_as(client, w.centre)
    page = client.get(f"/tenders/{tender.id}/amend")
    assert page.status_code == 200 and "moves the bid deadline to at least" in page.get_data(as_text=True)
    local = (tender.bid_deadline_at + dt.timedelta(hours=8))
    form = {"title": tender.title, "description": "", "deadline_date": local.strftime("%Y-%m-%d"),
            "deadline_time": local.strftime("%H:%M"), "lots-0-number": "1", "lots-0-quantity": "150",
            "lots-0-ceiling": "50000.00", "lots-0-bond": "1000.00", "rationale": RATIONALE}
    preview = client.post(f"/tenders/{tender.id}/amend", data={**form, "preview": "1"})
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Preview of the amendment" in text and "150 m³" in text
    assert "will move to" in text
    assert db.session.execute(select(func.count(Amendment.id))).scalar() == 0, text
    bad = client.post(f"/tenders/{tender.id}/amend", data={**form, "lots-0-ceiling": "lots", "confirm": "1"})
    assert bad.status_code == 400 and db.session.execute(select(func.count(Amendment.id))).scalar() == 0
    done = client.post(f"/tenders/{tender.id}/amend", data={**form, "confirm": "1"})
    assert done.status_code == 302
    a = db.session.execute(select(Amendment)).scalar_one()
    assert a.deadline_moved and [c["field"] for c in a.changes][-1] == "quantity_milli"
    login_as(client, World("suzhou").centre)
    assert client.get(f"/tenders/{tender.id}/amend").status_code == 403
    assert client.post(f"/tenders/{tender.id}/amend", data={**form, "confirm": "1"}).status_code == 403


def test_amending_through_the_api(w, client):
    tender = make_tender(w)
    url = f"/api/v1/tenders/{tender.id}/amendments"
    body = {"rationale": RATIONALE, "changes": {"lots": [{"number": 1, "bond_fen": 50_000}]}}
    assert client.post(url, json=body).status_code == 401
    assert client.post(url, json=body, headers=auth_header(api_token(supplier()))).status_code == 403
    res = client.post(url, json=body, headers=auth_header(api_token(w.centre)))
    assert res.status_code == 201 and res.json["amendment"]["changes"] == [
        {"field": "bond_fen", "lot": 1, "before": 100_000, "after": 50_000}]
    listed = client.get(url).json["amendments"]
    assert [a["number"] for a in listed] == [1]
    bad = client.post(url, json={"rationale": RATIONALE, "changes": {"bid_deadline_at": "soon"}},
                      headers=auth_header(api_token(w.centre)))
    assert bad.status_code == 400 and "bid_deadline_at" in bad.json["error"]["fields"]
    closed = make_tender(w, status="closed")
    res = client.post(f"/api/v1/tenders/{closed.id}/amendments", json=body, headers=auth_header(api_token(w.centre)))
    assert res.status_code == 409
