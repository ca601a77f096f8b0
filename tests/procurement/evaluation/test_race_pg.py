"""Two people at the same moment, on PostgreSQL: two officers requesting the same panel get one
panel; two officers drawing it draw once; an expert's two answers at once count once."""

from __future__ import annotations

from core import roles as R
from core.extensions import db
from core.models import Organisation
from procurement.evaluation import services
from procurement.evaluation.models import Panel
from tests.concurrency import postgres_only, race  # noqa: F401  (fixture)
from tests.factories import make_user
from tests.procurement.evaluation.helpers import closed_tender, expert_user, make_pool


def test_two_officers_requesting_the_same_panel_get_one(app, monkeypatch, postgres_only):
    ctx = closed_tender()
    colleague = make_user(db.session.get(Organisation, ctx.world.centre.organisation_id),
                          roles=(R.PROCUREMENT_OFFICER,))
    officers = [ctx.world.centre.id, colleague.id]

    def request(user_id):
        from core.models import User

        return lambda: services.request_panel(db.session.get(User, user_id), ctx.tender.id, {"lot_id": ctx.lot.id})

    outcomes = race(app, monkeypatch, [request(uid) for uid in officers], lock=(services, "lock_tender"))
    assert sorted(o == "ok" for o in outcomes) == [False, True], outcomes
    refused = next(o for o in outcomes if o != "ok")
    assert "already requested" in refused.message
    assert db.session.execute(db.select(db.func.count(Panel.id))).scalar() == 1


def test_two_draws_at_once_draw_once(app, monkeypatch, postgres_only):
    ctx = closed_tender()
    make_pool(ctx.world, 6)
    panel_id = services.request_panel(ctx.world.centre, ctx.tender.id, {"lot_id": ctx.lot.id}).id
    centre_id = ctx.world.centre.id

    def draw():
        from core.models import User

        services.draw_panel(db.session.get(User, centre_id), panel_id)

    outcomes = race(app, monkeypatch, [draw, draw], lock=(services, "lock_panel"))
    assert sorted(o == "ok" for o in outcomes) == [False, True], outcomes
    db.session.expire_all()
    assert len(db.session.get(Panel, panel_id).members) == 5


def test_an_expert_accepting_twice_at_once_counts_once(app, monkeypatch, postgres_only):
    ctx = closed_tender()
    make_pool(ctx.world, 5)
    panel = services.draw_panel(ctx.world.centre, services.request_panel(ctx.world.centre, ctx.tender.id,
                                                                         {"lot_id": ctx.lot.id}).id)
    user_id = expert_user(panel.members[0].expert).id

    def accept():
        from core.models import User

        services.accept(db.session.get(User, user_id), panel.id)

    outcomes = race(app, monkeypatch, [accept, accept], lock=(services, "lock_panel"))
    assert outcomes.count("ok") == 1, outcomes
    db.session.expire_all()
    assert [m.status for m in db.session.get(Panel, panel.id).members].count("accepted") == 1
