"""Placing a call-off order sends a fixed, small number of SQL statements, and a refusal that
committed data decides takes no lock at all (`procurement.orders.placing`): concurrent orders on
one agreement queue on its row, so what runs while it is held is the agreement's throughput."""

from __future__ import annotations

from core.errors import Conflict
from core.extensions import db
from procurement.orders import services as orders
from tests.procurement.agreements.helpers import DAY, signed_agreement
from tests.query_counter import counted

#: Unlocked: the project, the request id, the agreement with its suppliers and the project's
#: quotas, the supplier's people (+ roles). Locked: the project, the request id again,
#: quotas with the agreement, the agreement's order count. Writes: order, line, quota, agreement,
#: the two audit events (chain head each, the record, the project's head) and the notification.
#: SQLite has no row locks: `lock_project` and the audit chain head add a no-op UPDATE (and a
#: re-read) to take the database write lock.
PLACE_STATEMENTS = {"postgresql": 22, "sqlite": 27}
#: A refusal decided on committed data: the reads before the locks, no lock, no write.
EARLY_REFUSAL_STATEMENTS = 3
#: A retry of a committed request: the project, the order of the request id and its lines.
RETRY_STATEMENTS = 3


def _sent(statements) -> list[str]:
    return [" ".join(s.split()) for s in statements
            if not s.lstrip().upper().startswith(("SELECT 1", "BEGIN", "SAVEPOINT", "RELEASE", "PRAGMA"))]


def _place(ctx, ids, milli, request_id, counting=False):
    """Place through the service, everything expired as in a fresh request; the actor is loaded
    first (a request's sign-in did that)."""
    agreement_id, project_id, bom_line_id = ids
    body = {"request_id": request_id, "lines": [{"bom_line_id": bom_line_id, "quantity_milli": milli}]}
    db.session.expire_all()
    actor = ctx.world.purchaser
    assert actor.role_names and actor.organisation is not None
    with counted() as statements:
        try:
            order = orders.place_order(actor, agreement_id, project_id, body, now=ctx.sign_at + DAY)
        except Conflict as exc:
            return exc, _sent(statements)
    return order, _sent(statements)


def test_placing_refusing_and_replaying_send_fixed_statement_counts(app):
    ctx, projects, agreement = signed_agreement(3)
    quota = next(q for q in agreement.quotas if q.project_id == projects[0].id)
    ids, tenth, full = (agreement.id, projects[0].id, quota.bom_line_id), quota.quantity_milli // 10, quota.quantity_milli
    dialect = db.engine.dialect.name
    _place(ctx, ids, tenth, "warm-up")                        # first order: first use of the audit head etc.
    placed = [_place(ctx, ids, tenth, f"r{i}") for i in range(3)]  # more orders in, same statements
    assert all(o.request_id == f"r{i}" for i, (o, _s) in enumerate(placed))
    assert [len(s) for _o, s in placed] == [PLACE_STATEMENTS[dialect]] * 3, placed[-1][1]
    locks = [s for s in placed[-1][1] if "FOR UPDATE" in s.upper()]
    if dialect == "postgresql":  # the project, the quotas with the agreement, the audit head twice
        assert len(locks) == 4, locks

    refusal, statements = _place(ctx, ids, full, "too-much")
    assert isinstance(refusal, Conflict) and "quota" in refusal.message
    assert len(statements) == EARLY_REFUSAL_STATEMENTS, statements
    assert not [s for s in statements if "FOR UPDATE" in s.upper() or s.upper().startswith(("UPDATE", "INSERT"))]

    again, statements = _place(ctx, ids, tenth, "r0")
    assert again.id == placed[0][0].id
    assert len(statements) == RETRY_STATEMENTS, statements
