"""A cancelled tender's live evaluation panels are cancelled with it (tendering's `on_cancelled`
listener): seats released, the draw's seed published, the record on each contributing project."""

from __future__ import annotations

from sqlalchemy import select

from core.extensions import db
from procurement.evaluation import services
from procurement.evaluation.models import Panel
from procurement.records.models import ProjectRecord
from procurement.tendering import services as tender_svc
from tests.procurement.evaluation.helpers import closed_tender, make_pool


def test_cancelling_the_tender_cancels_its_panels():
    ctx = closed_tender()
    make_pool(ctx.world, 6)
    panel = services.request_panel(ctx.world.centre, ctx.tender.id, {"lot_id": ctx.lot.id})
    services.draw_panel(ctx.world.centre, panel.id)
    tender_svc.cancel(ctx.world.centre, ctx.tender.id, "budget_withdrawn", "The budget was withdrawn by the city.")
    db.session.expire_all()
    panel = db.session.get(Panel, panel.id)
    assert panel.status == "cancelled" and "budget" in panel.cancel_reason
    assert all(m.status == "released" for m in panel.members)
    for project in ctx.projects:
        kinds = list(db.session.execute(select(ProjectRecord.kind).where(ProjectRecord.project_id == project.id))
                     .scalars())
        assert "evaluation_panel_cancelled" in kinds
