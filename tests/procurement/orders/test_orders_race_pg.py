"""Concurrent call-off orders on PostgreSQL: row locks on the agreement and quota rows keep the
quota and the agreement's total from ever being exceeded, and the same request twice at the same
moment makes one order."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.concurrency import postgres_only, race  # noqa: F401  (fixture)

from core.errors import Conflict
from core.extensions import db
from core.models import User
from procurement.agreements import services as agreements
from procurement.orders import placing, services as orders
from procurement.orders.models import Order
from tests.procurement.agreements.helpers import DAY, signed_agreement

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("postgres_only")]


def _place(user_id, agreement_id, project_id, bom_line_id, milli, request_id, now):
    body = {"request_id": request_id, "lines": [{"bom_line_id": bom_line_id, "quantity_milli": milli}]}
    return lambda: orders.place_order(db.session.get(User, user_id), agreement_id, project_id, body, now=now)


def test_concurrent_orders_never_exceed_the_quota(app, monkeypatch):
    ctx, projects, agreement = signed_agreement(3)
    quota = next(q for q in agreement.quotas if q.project_id == projects[0].id)
    # six orders of a third of the quota each, at the same moment: exactly three fit
    third = quota.quantity_milli // 3
    calls = [_place(ctx.world.purchaser.id, agreement.id, projects[0].id, quota.bom_line_id, third, f"r{i}",
                    ctx.sign_at + DAY) for i in range(6)]
    outcomes = race(app, monkeypatch, calls, lock=(placing, "lock_rows"))
    assert sorted("ok" if o == "ok" else "conflict" for o in outcomes if isinstance(o, (str, Conflict))) == \
        ["conflict"] * 3 + ["ok"] * 3, outcomes
    assert all("quota" in o.message for o in outcomes if isinstance(o, Conflict))
    db.session.expire_all()
    fresh = agreements.get_agreement(agreement.id)
    ordered = next(q for q in fresh.quotas if q.id == quota.id).ordered_milli
    assert ordered == 3 * third <= quota.quantity_milli
    assert fresh.ordered_quantity_milli == ordered
    assert db.session.execute(select(func.coalesce(func.sum(Order.total_fen), 0))).scalar_one() > 0


def test_the_same_request_at_the_same_moment_makes_one_order(app, monkeypatch):
    ctx, projects, agreement = signed_agreement(3)
    quota = next(q for q in agreement.quotas if q.project_id == projects[0].id)
    calls = [_place(ctx.world.purchaser.id, agreement.id, projects[0].id, quota.bom_line_id, 1000, "same",
                    ctx.sign_at + DAY) for _ in range(2)]
    outcomes = race(app, monkeypatch, calls, lock=(placing, "lock_rows"))
    assert outcomes == ["ok", "ok"], outcomes  # the second gets the first order back
    db.session.expire_all()
    assert db.session.execute(select(func.count()).select_from(Order)).scalar_one() == 1
    fresh = agreements.get_agreement(agreement.id)
    assert next(q for q in fresh.quotas if q.id == quota.id).ordered_milli == 1000


def test_orders_of_several_projects_at_once_all_count_on_the_agreement(app, monkeypatch):
    ctx, projects, agreement = signed_agreement(3)
    calls = []
    for i, project in enumerate(projects):
        quota = next(q for q in agreement.quotas if q.project_id == project.id)
        calls.append(_place(ctx.world.purchaser.id, agreement.id, project.id, quota.bom_line_id, quota.quantity_milli,
                            f"p{i}", ctx.sign_at + DAY))
    outcomes = race(app, monkeypatch, calls, lock=(placing, "lock_rows"))
    assert outcomes == ["ok"] * len(projects), outcomes
    db.session.expire_all()
    fresh = agreements.get_agreement(agreement.id)
    assert fresh.ordered_quantity_milli == sum(q.quantity_milli for q in fresh.quotas)
    assert all(q.ordered_milli == q.quantity_milli for q in fresh.quotas)
