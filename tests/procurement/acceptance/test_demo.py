"""The closed-loop demo: after the whole demo seed, every pilot city has a project closed through
the loop, whose report shows an intact record chain covered by a signed checkpoint; running the
step again changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from core.demo import seed_all
from core.extensions import db
from core.models import AuditEvent
from procurement.acceptance.demo import PROJECT_NAME, seed_closed_loop
from procurement.acceptance.report import closure_report
from procurement.projects.models import Project


def test_one_project_per_pilot_city_closed_through_the_whole_loop():
    ctx = seed_all()
    for code, city in ctx["cities"].items():
        project = db.session.execute(select(Project).where(Project.name == PROJECT_NAME.format(city=city.name_zh))
                                     ).scalar_one()
        assert project.stage == "closed", code
        report = closure_report(project)
        assert report["green"]["mandatory_ok"] and report["checklist"]["status"] == "signed"
        assert report["money"]["settled_fen"] == report["money"]["due_fen"] > 0
        assert 0 < report["money"]["saving_vs_ceiling_fen"] < report["money"]["ceiling_fen"]
        assert report["chain"]["ok"] and report["chain"]["checkpoint"]["covers"]["record_seq"] == project.record_count
    events = db.session.execute(select(func.count(AuditEvent.id))).scalar_one()
    assert set(seed_closed_loop(ctx).values()) == {"closed"}
    db.session.commit()
    assert db.session.execute(select(func.count(AuditEvent.id))).scalar_one() == events
