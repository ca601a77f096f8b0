"""Two officers awarding at the same moment (on SQLite here, on PostgreSQL with TEST_DATABASE_URL):
each step locks the tender row and moves the award with a conditional UPDATE, so exactly one
publication wins, the other gets a 409, and the notice, its records and refunds happen once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.errors import Conflict
from core.extensions import db
from core.models import AuditEvent, User
from procurement.awards import services
from procurement.awards.models import Award
from tests.concurrency import race
from tests.procurement.awards.helpers import NOTICE_AT, award_in, qualified_lot

# Marked `postgres` so that a PostgreSQL-only run (-m postgres) includes them; they run on SQLite too.
pytestmark = pytest.mark.postgres


def _kinds(outcomes) -> list[str]:
    return sorted("ok" if o == "ok" else "409" if isinstance(o, Conflict) else repr(o) for o in outcomes)


def _count(action) -> int:
    return db.session.execute(select(func.count(AuditEvent.id)).where(AuditEvent.action == action)).scalar()


def test_two_officers_publishing_at_once_one_wins(app, monkeypatch):
    ctx, award = award_in("approved")
    officers = [ctx.world.centre.id, ctx.officer2.id]
    calls = [lambda uid=uid: services.publish(db.session.get(User, uid), award.id, now=NOTICE_AT) for uid in officers]
    outcomes = race(app, monkeypatch, calls, lock=(services, "lock_tender"))
    assert _kinds(outcomes) == ["409", "ok"], outcomes
    db.session.expire_all()
    done = db.session.get(Award, award.id)
    assert (done.status, done.notice_number) == ("notified", 1)
    assert _count("awards.published") == 1 and _count("bonds.refund_scheduled") == 2


def test_two_officers_sending_the_recommendation_at_once_make_one_award(app, monkeypatch):
    ctx = qualified_lot(3)
    officers = [ctx.world.centre.id, ctx.officer2.id]
    calls = [lambda uid=uid: services.submit(db.session.get(User, uid), ctx.tender.id, ctx.lot.id) for uid in officers]
    outcomes = race(app, monkeypatch, calls, lock=(services, "lock_tender"))
    assert _kinds(outcomes) == ["409", "ok"], outcomes
    assert db.session.execute(select(func.count(Award.id))).scalar() == 1 and _count("awards.submitted") == 1
