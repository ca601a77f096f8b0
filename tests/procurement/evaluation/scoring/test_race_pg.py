"""Signatures at the same moment (PostgreSQL row locks): the last two members signing together are
both recorded and the report is signed off exactly once; one member's two requests at once count
once; a signature racing the centre taking the report back lands first or gets a clear 409."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.errors import Conflict
from core.extensions import db
from core.models import AuditEvent, User
from procurement.evaluation.scoring import results, services
from procurement.evaluation.scoring.models import LotEvaluation, ReportSignature
from procurement.records.models import ProjectRecord
from tests.concurrency import postgres_only, race  # noqa: F401  (fixture)
from tests.procurement.evaluation.scoring.helpers import evaluation_ready

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("postgres_only")]


def _sign(lot_id, user_id):
    return lambda: services.sign(db.session.get(User, user_id), lot_id)


def _count(stmt):
    return db.session.execute(stmt).scalar()


@pytest.fixture
def issued(app):
    ctx = evaluation_ready(plan=None, outsiders=0)
    services.issue_report(ctx.world.centre, ctx.lot.id)
    return ctx


def test_the_last_two_members_signing_at_once_sign_it_off_once(app, monkeypatch, issued):
    ctx = issued
    for member in ctx.members[:3]:
        services.sign(member, ctx.lot.id)
    outcomes = race(app, monkeypatch, [_sign(ctx.lot.id, u.id) for u in ctx.members[3:]],
                    lock=(services, "lock_evaluation"))
    assert outcomes == ["ok", "ok"], outcomes
    db.session.expire_all()
    evaluation = db.session.execute(select(LotEvaluation)).scalar_one()
    assert evaluation.status == "signed" and evaluation.signed_at is not None
    assert _count(select(func.count(ReportSignature.id))) == 5
    assert _count(select(func.count(AuditEvent.id)).where(AuditEvent.action == "scoring.report_signed")) == 1
    signed_records = _count(select(func.count(ProjectRecord.id)).where(ProjectRecord.kind == "tender_lot_report_signed"))
    assert signed_records == len(ctx.projects)
    assert results.recommendation(ctx.lot.id).total_fen == 8_000_000


def test_one_member_twice_at_once_signs_once(app, monkeypatch, issued):
    ctx = issued
    member = ctx.members[0]
    outcomes = race(app, monkeypatch, [_sign(ctx.lot.id, member.id)] * 2, lock=(services, "lock_evaluation"))
    assert sorted("ok" if o == "ok" else type(o).__name__ for o in outcomes) == ["Conflict", "ok"], outcomes
    db.session.expire_all()
    assert _count(select(func.count(ReportSignature.id))) == 1
    assert db.session.execute(select(LotEvaluation)).scalar_one().status == "signing"


def test_a_signature_racing_the_report_taken_back(app, monkeypatch, issued):
    ctx = issued
    for member in ctx.members[:4]:
        services.sign(member, ctx.lot.id)
    centre_id, lot_id = ctx.world.centre.id, ctx.lot.id
    calls = [_sign(lot_id, ctx.members[4].id),
             lambda: services.reopen(db.session.get(User, centre_id), lot_id, "A member's name is misspelt")]
    outcomes = race(app, monkeypatch, calls, lock=(services, "lock_evaluation"))
    db.session.expire_all()
    status = db.session.execute(select(LotEvaluation)).scalar_one().status
    if outcomes[0] == "ok":  # the signature came first: signed off, the reopen refused
        assert status == "signed" and isinstance(outcomes[1], Conflict), outcomes
    else:  # taken back first: the signature is refused
        assert outcomes[1] == "ok" and isinstance(outcomes[0], Conflict) and status == "scoring", outcomes
