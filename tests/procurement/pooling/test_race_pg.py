"""Two purchasers contributing the same bill line at the same moment, on PostgreSQL: exactly one
wins, the other gets a clear 409 naming the line (row locks, with the partial unique index
behind them)."""

import threading

import pytest

from procurement.records import services as records_mod
from tests.concurrency import postgres_only, race  # noqa: F401  (fixture)

from core import roles as R
from core.errors import Conflict
from core.extensions import db
from procurement.pooling import services
from procurement.pooling.models import PooledLine
from procurement.records.models import ProjectRecord
from procurement.records.services import verify_project
from tests.factories import make_user
from tests.procurement.helpers import line
from tests.procurement.pooling.helpers import bill_line, open_round
from tests.procurement.tendering_helpers import procurement_world

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("postgres_only")]


def _race(app, monkeypatch, calls):
    return race(app, monkeypatch, calls, lock=(records_mod, "lock_project"))


@pytest.mark.parametrize("rounds", [1, 2], ids=["same round", "two rounds"])
def test_two_purchasers_contribute_the_same_line_at_once(app, monkeypatch, rounds):
    world, (project,) = procurement_world(1, line())
    colleague = make_user(world.purchaser_org, roles=(R.PURCHASER,))
    round_ids = [open_round(world).id for _ in range(rounds)]
    pid, line_id = project.id, bill_line(project).id
    users = (world.purchaser.id, colleague.id)

    def contribute(user_id, round_id):
        from core.models import User

        return lambda: services.contribute_lines(db.session.get(User, user_id), round_id, pid, [line_id])

    outcomes = _race(app, monkeypatch, [contribute(users[0], round_ids[0]), contribute(users[1], round_ids[-1])])
    assert sorted("ok" if o == "ok" else type(o).__name__ for o in outcomes) == ["Conflict", "ok"], outcomes
    loser = next(o for o in outcomes if isinstance(o, Conflict))
    assert loser.status == 409 and f"Line 1 of project {project.code} is already pooled" in loser.message
    db.session.expire_all()
    assert db.session.execute(db.select(db.func.count(PooledLine.id))).scalar() == 1
    assert db.session.execute(db.select(db.func.count(ProjectRecord.id))
                              .filter_by(project_id=pid, kind="pooled_line_contributed")).scalar() == 1
    assert verify_project(db.session.get(type(project), pid)).ok


def test_closing_and_contributing_at_once_leave_a_consistent_round(app, monkeypatch):
    """The centre closes while a purchaser contributes: the round lock orders them, so either the
    line got in before the close or the contribution is refused; never a line in a closed round."""
    from core.models import User

    world, (project,) = procurement_world(1, line())
    r = open_round(world)
    pid, line_id, rid = project.id, bill_line(project).id, r.id
    purchaser_id, centre_id = world.purchaser.id, world.centre.id
    barrier = threading.Barrier(2, timeout=20)
    real = services._lock_round

    def lock_together(*args, **kw):
        barrier.wait()
        return real(*args, **kw)

    monkeypatch.setattr(services, "_lock_round", lock_together)
    outcomes = [None, None]

    def run(i, fn):
        with app.app_context():
            try:
                fn()
                outcomes[i] = "ok"
            except Conflict as exc:
                outcomes[i] = exc
            except Exception as exc:  # noqa: BLE001
                outcomes[i] = repr(exc)
            finally:
                db.session.remove()

    calls = [lambda: services.contribute_lines(db.session.get(User, purchaser_id), rid, pid, [line_id]),
             lambda: services.close_round(db.session.get(User, centre_id), rid)]
    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert outcomes[1] == "ok", outcomes
    db.session.expire_all()
    lines = db.session.execute(db.select(PooledLine)).scalars().all()
    if outcomes[0] == "ok":
        assert lines[0].contributed_at <= lines[0].round.closed_at
    else:
        assert isinstance(outcomes[0], Conflict) and "takes no more lines" in outcomes[0].message and not lines
