"""Two centre officers publishing the same tender at the same moment, two finance reviewers
deciding at once (PostgreSQL row locks): exactly one wins, the other gets a clear 409, and the
records are written once and stay intact."""

from __future__ import annotations


import pytest

from tests.concurrency import postgres_only, race  # noqa: F401  (fixture)
from sqlalchemy import func, select

from core import roles as R
from core.errors import Conflict
from core.extensions import db
from core.models import AuditEvent, Deadline, User
from procurement.projects.models import Project
from procurement.records.models import ProjectRecord
from procurement.records.services import verify_project
from procurement.tendering import services as tender_svc
from procurement.tendering.models import Tender
from tests.factories import make_user
from tests.procurement.tendering.tender_builders import tender_in

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("postgres_only")]


def _race(app, monkeypatch, calls):
    return race(app, monkeypatch, calls, lock=(tender_svc, "lock_tender"))


def test_two_officers_publish_at_the_same_moment_exactly_one_wins(app, monkeypatch):
    world, projects, tender = tender_in("approved", n_projects=2)
    second = make_user(world.centre.organisation, roles=(R.PROCUREMENT_OFFICER,))
    tid, ids = tender.id, (world.centre.id, second.id)

    def publish(user_id):
        return lambda: tender_svc.publish(db.session.get(User, user_id), tid)

    outcomes = _race(app, monkeypatch, [publish(ids[0]), publish(ids[1])])
    assert sorted("ok" if o == "ok" else "conflict" for o in outcomes if isinstance(o, (str, Conflict))) \
        == ["conflict", "ok"], outcomes
    loser = next(o for o in outcomes if isinstance(o, Conflict))
    assert loser.status == 409 and "published" in loser.message
    db.session.expire_all()
    assert db.session.get(Tender, tid).status == "published"
    assert db.session.execute(select(func.count(ProjectRecord.id))
                              .where(ProjectRecord.kind == "tender_published")).scalar() == 2  # one per project
    assert db.session.execute(select(func.count(AuditEvent.id))
                              .where(AuditEvent.action == "tender.published")).scalar() == 1
    assert db.session.execute(select(func.count(Deadline.id)).where(Deadline.object_id == tid,
                                                                    Deadline.kind == "tender.bid_deadline")).scalar() == 1
    for project in db.session.execute(select(Project)).scalars():
        assert verify_project(project).ok


def test_approve_and_return_at_once_one_decision(app, monkeypatch):
    world, _projects, tender = tender_in("finance_review", n_projects=1)
    tid, f1, f2 = tender.id, world.finance.id, world.finance2.id
    outcomes = _race(app, monkeypatch, [
        lambda: tender_svc.approve(db.session.get(User, f1), tid, "ok"),
        lambda: tender_svc.return_(db.session.get(User, f2), tid, "Bond letter missing"),
    ])
    assert sum(1 for o in outcomes if o == "ok") == 1 and sum(1 for o in outcomes if isinstance(o, Conflict)) == 1, outcomes
    db.session.expire_all()
    decisions = db.session.execute(select(func.count(ProjectRecord.id)).where(
        ProjectRecord.kind.in_(("tender_approved", "tender_returned")))).scalar()
    assert decisions == 1
    assert verify_project(db.session.execute(select(Project)).scalar_one()).ok
