"""Unlocks at the same moment (PostgreSQL row locks): two holders unlocking together are each
counted exactly once and the bids are opened once; one holder's two requests at once count once;
an override racing the confirmation either lands before it or gets a clear 409."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.errors import Conflict
from core.extensions import db
from core.models import User
from procurement.opening import qualification, services
from procurement.opening.models import (
    LotOpening,
    OpenedBid,
    OpeningSession,
    QualificationResult,
    UnlockedShare,
)
from tests.concurrency import postgres_only, race  # noqa: F401  (fixture)
from tests.procurement.bids.helpers import KEY_PASSPHRASE
from tests.procurement.opening.helpers import open_bids, opening_tender

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("postgres_only")]


def _unlock(tender_id, user_id, now):
    return lambda: services.unlock(db.session.get(User, user_id), tender_id, KEY_PASSPHRASE, now=now)


def _count(model):
    return db.session.execute(select(func.count()).select_from(model)).scalar()


def test_two_holders_unlocking_at_once_count_once_each_and_open_once(app, monkeypatch):
    ctx = opening_tender(3)
    now = ctx.deadline
    outcomes = race(app, monkeypatch, [_unlock(ctx.tender.id, u.id, now) for u, _p in ctx.holders],
                    lock=(services, "lock_for_opening"))
    assert outcomes == ["ok", "ok"], outcomes
    db.session.expire_all()
    rows = db.session.execute(select(UnlockedShare)).scalars().all()
    assert sorted(r.holder_user_id for r in rows) == sorted(u.id for u, _p in ctx.holders)
    assert db.session.execute(select(OpeningSession)).scalar_one().status == "opened"
    assert _count(OpenedBid) == 3 and _count(LotOpening) == 1


def test_one_holder_twice_at_once_counts_once(app, monkeypatch):
    ctx = opening_tender(3)
    user = ctx.holders[0][0]
    outcomes = race(app, monkeypatch, [_unlock(ctx.tender.id, user.id, ctx.deadline)] * 2,
                    lock=(services, "lock_for_opening"))
    assert sorted("ok" if o == "ok" else type(o).__name__ for o in outcomes) == ["Conflict", "ok"], outcomes
    db.session.expire_all()
    assert _count(UnlockedShare) == 1 and _count(OpenedBid) == 0


def test_an_override_racing_the_confirmation(app, monkeypatch):
    ctx = opening_tender(3)
    open_bids(ctx)
    result = db.session.execute(select(QualificationResult).order_by(QualificationResult.id)).scalars().first()
    centre_id, tender_id, lot_id = ctx.world.centre.id, ctx.tender.id, ctx.lot.id
    calls = [lambda: qualification.override(db.session.get(User, centre_id), result.id, False,
                                            "Forged certificate copy, see letter"),
             lambda: qualification.confirm(db.session.get(User, centre_id), tender_id, lot_id)]
    outcomes = race(app, monkeypatch, calls, lock=(qualification, "lock_tender"))
    db.session.expire_all()
    outcome = db.session.execute(select(LotOpening)).scalar_one()
    overridden = db.session.get(QualificationResult, result.id).passed is False
    if outcomes == ["ok", "ok"]:  # the override came first: the confirmation counted it
        assert overridden and (outcome.status, outcome.qualified_bids) == ("failed", 2)
    else:  # the confirmation came first: the override is refused and changed nothing
        assert outcomes[1] == "ok" and isinstance(outcomes[0], Conflict), outcomes
        assert not overridden and outcome.status == "qualified"
