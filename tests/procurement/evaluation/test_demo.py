"""The demo: a pool of 21 experts per pilot city and Nanjing's panel, through the real services;
idempotent; the documented expert login signs in."""

from __future__ import annotations

from core import draws
from core.demo import DEMO_PASSWORD
from core.extensions import db
from core.models import City
from procurement.evaluation.models import Expert, Panel
from procurement.tendering.models import Tender


def test_demo_pools_and_panel(app, client):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    counts = dict(db.session.execute(db.select(Expert.city_id, db.func.count(Expert.id)).group_by(Expert.city_id)).all())
    assert len(counts) == 6 and set(counts.values()) == {21}
    # Nanjing's closed demo tender's panel (the awards and closed-loop demos draw panels of their own)
    mine = db.select(Panel).join(Tender, Tender.id == Panel.tender_id).join(City, City.id == Tender.city_id).where(
        City.code == "nanjing", Tender.title.like("%（已截标）"))
    panel = db.session.execute(mine).scalar_one()
    assert panel.status == "inviting" and panel.pending_draw_id is not None
    assert sorted(m.status for m in panel.members) == ["accepted", "declined", "invited", "invited", "invited"]
    first = db.session.get(draws.Draw, panel.draw_id)
    assert draws.verify(first).ok and first.excluded_count >= 3  # three experts of other fields at least
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    assert db.session.execute(db.select(db.func.count(Expert.id))).scalar() == 126
    assert len(db.session.execute(mine).scalars().all()) == 1
    assert client.post("/login", data={"email": "expert@demo.gbm.cn", "password": DEMO_PASSWORD}).status_code == 302
    assert runner.invoke(args=["records", "verify"]).exit_code == 0
