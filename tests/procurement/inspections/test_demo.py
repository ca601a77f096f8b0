"""The demo campaign: Jinzhou's proportions in Qingdao (9 targets drawn at random, 11 batches
sampled, 8 rectification notices), every draw verifiable, one publication overdue; idempotent."""

from __future__ import annotations

from core import draws
from core.extensions import db
from procurement.inspections import results
from procurement.inspections.demo import TITLE
from procurement.inspections.models import Campaign, Rectification


def test_demo_campaign(app, client):
    runner = app.test_cli_runner()
    out = runner.invoke(args=["demo", "seed"])
    assert out.exit_code == 0, out.output
    campaign = db.session.execute(db.select(Campaign).where(Campaign.title == TITLE)).scalar_one()
    inspections = campaign.inspections
    main = [i for i in inspections if i.target_kind != "firm"]
    assert len(main) == 9 and len(inspections) > 9       # and the firms of the general item
    assert sum(len(i.samples) for i in inspections) == 11
    notices = db.session.execute(db.select(Rectification)).scalars().all()
    assert len(notices) == 8
    assert sorted({r.status for r in notices}) == ["closed", "escalated", "open", "responded"]
    states = sorted(results.publication_state(i) for i in main)
    assert states == ["due", "overdue"] + ["published"] * 7
    for draw_id in [campaign.target_draw_id] + [i.team_draw_id for i in inspections]:
        assert draws.verify(db.session.get(draws.Draw, draw_id)).ok
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    assert db.session.execute(db.select(db.func.count(Campaign.id))).scalar() == 1
    assert client.get("/public/inspections?city=qingdao").status_code == 200
    assert runner.invoke(args=["records", "verify"]).exit_code == 0
