"""Tender deadlines through the chronograph: tendering closes exactly at the bid deadline (not a
second before), the handler run twice changes nothing the second time, a moved deadline is
followed, every read checks the clock too (pages catch up; lists and rules read the clock)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core import scheduler
from core.extensions import db
from core.models import AuditEvent, Notification
from procurement.records.models import ProjectRecord
from procurement.records.services import verify_project
from procurement.tendering import follows, policy
from procurement.tendering import services as tender_svc
from procurement.tendering.models import Tender
from procurement.tendering.states import DEADLINE_BIDS
from tests.procurement.tendering.tender_builders import record_kinds, tender_in

SECOND = dt.timedelta(seconds=1)


def reload(tender) -> Tender:
    db.session.expire_all()
    return db.session.get(Tender, tender.id)


def closed_records() -> int:
    return db.session.execute(select(func.count(ProjectRecord.id)).where(ProjectRecord.kind == "tender_closed")).scalar()


def test_the_chronograph_closes_tendering_exactly_at_the_deadline(app):
    world, projects, tender = tender_in("published")
    deadline = tender.bid_deadline_at
    counts = scheduler.run_due(now=deadline - SECOND)  # the clarification cut-off may run, not the close
    assert counts.failed == 0 and reload(tender).status == "published"
    assert scheduler.deadline_for(DEADLINE_BIDS, "tenders", tender.id).status == "pending"
    assert policy.is_open_for_bids(reload(tender), deadline - SECOND)
    assert not policy.is_open_for_bids(reload(tender), deadline)  # the rule reads the clock itself
    counts = scheduler.run_due(now=deadline)
    assert counts.done >= 1 and counts.failed == 0
    tender = reload(tender)
    assert tender.status == "closed" and tender.closed_at == deadline
    for project in projects:
        assert record_kinds(project)[-1] == "tender_closed"
        assert verify_project(project).ok
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "tender.closed")).scalar_one()
    assert event.actor_id is None  # the clock closed it, not whoever happened to be signed in


def test_the_handler_run_twice_changes_nothing_the_second_time(app):
    world, projects, tender = tender_in("published")
    deadline = tender.bid_deadline_at
    tender_svc.close_tendering(tender.id, deadline)
    db.session.commit()
    records, events = closed_records(), db.session.execute(select(func.count(AuditEvent.id))).scalar()
    tender_svc.close_tendering(tender.id, deadline)
    db.session.commit()
    assert reload(tender).status == "closed"
    assert closed_records() == records == len(projects)
    assert db.session.execute(select(func.count(AuditEvent.id))).scalar() == events
    assert scheduler.run_due(now=deadline + dt.timedelta(days=1)).failed == 0
    assert closed_records() == records


def test_a_handler_for_a_deadline_moved_later_leaves_the_tender_open(app):
    world, _projects, tender = tender_in("published")
    old = tender.bid_deadline_at
    db.session.execute(Tender.__table__.update().where(Tender.id == tender.id)
                       .values(bid_deadline_at=old + dt.timedelta(days=3)))
    db.session.commit()
    tender_svc.close_tendering(tender.id, old)  # a stale run for the old deadline
    db.session.commit()
    assert reload(tender).status == "published" and closed_records() == 0


def test_a_cancelled_or_unknown_tender_is_a_quiet_no_op(app):
    world, _projects, tender = tender_in("published")
    tender_svc.cancel(world.centre, tender.id, "other", "Stopped for the test")
    tender_svc.close_tendering(tender.id, tender.bid_deadline_at)
    tender_svc.close_tendering(999_999, tender.bid_deadline_at)
    db.session.commit()
    assert reload(tender).status == "cancelled" and closed_records() == 0


def test_followers_hear_that_tendering_closed(app):
    world, _projects, tender = tender_in("published")
    follows.follow(world.purchaser, tender.id)
    scheduler.run_due(now=tender.bid_deadline_at)
    assert db.session.execute(select(Notification).where(Notification.kind == "tender.closed",
                                                         Notification.user_id == world.purchaser.id)).scalar_one()


def _past_deadline(tender):
    """As if the deadline had passed with no tick: the deadline and its row moved into the past."""
    past = tender.bid_deadline_at - dt.timedelta(days=31)
    db.session.execute(Tender.__table__.update().where(Tender.id == tender.id)
                       .values(bid_deadline_at=past, clarification_cutoff_at=past - dt.timedelta(days=15)))
    db.session.commit()
    scheduler.schedule(DEADLINE_BIDS, "tenders", tender.id, past)
    db.session.commit()
    return past


def test_a_missed_tick_never_shows_a_tender_open_past_its_deadline(app, client):
    world, _projects, tender = tender_in("published")
    _past_deadline(tender)
    listed = client.get("/tenders?status=published").get_data(as_text=True)
    assert tender.reference not in listed  # the list reads the clock
    assert tender.reference in client.get("/tenders?status=closed").get_data(as_text=True)
    assert reload(tender).status == "published"  # nothing has run yet
    page = client.get(f"/tenders/{tender.id}").get_data(as_text=True)
    assert "Tendering closed" in page
    assert reload(tender).status == "closed"  # the page caught up first
    api = client.get(f"/api/v1/tenders/{tender.id}").get_json()["tender"]
    assert (api["status"], api["effective_status"]) == ("closed", "closed")


def test_the_api_list_reads_the_clock(app, client):
    world, _projects, tender = tender_in("published")
    _past_deadline(tender)
    item = client.get("/api/v1/tenders").get_json()["items"][0]
    assert (item["status"], item["effective_status"]) == ("published", "closed")


@pytest.mark.parametrize("offset, open_", [(-SECOND, True), (dt.timedelta(0), False), (SECOND, False)])
def test_bids_are_open_until_the_deadline_by_the_server_clock(app, offset, open_):
    _world, _projects, tender = tender_in("published", n_projects=1)
    assert policy.is_open_for_bids(tender, tender.bid_deadline_at + offset) is open_
