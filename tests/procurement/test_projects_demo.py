"""`flask demo seed` projects: every city, varied stages it can really reach, the two failure
stories, idempotent."""

from collections import Counter

from core.extensions import db
from procurement.budget.models import Budget
from procurement.projects.models import Project
from procurement.records.models import ProjectRecord
from procurement.records.services import verify_project


def test_demo_projects(app):
    res = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert res.exit_code == 0, res.output
    projects = db.session.execute(db.select(Project)).scalars().all()
    assert {p.city.code for p in projects} == {"nanjing", "hangzhou", "shaoxing", "huzhou", "qingdao", "foshan"}
    stages = Counter(p.stage for p in projects)
    assert {"budget", "design", "procurement"} <= set(stages)
    # a stage is left only through its gates: every pilot city's closed-loop project was closed by
    # five advances (budget -> design -> procurement -> construction -> acceptance -> closed), each
    # with all of its checks passed and recorded
    closed = [p for p in projects if p.stage == "closed"]
    assert {p.city.code for p in closed} == {"nanjing", "hangzhou", "shaoxing", "huzhou", "qingdao", "foshan"}
    for project in closed:
        advances = db.session.execute(db.select(ProjectRecord).where(ProjectRecord.project_id == project.id,
                                                                     ProjectRecord.kind == "stage_advanced")
                                      .order_by(ProjectRecord.seq)).scalars().all()
        assert len(advances) == 5, project.name
        assert all(rec.payload["checks"] and all(c["passed"] for c in rec.payload["checks"]) for rec in advances)
    # one design refused by the optional-share rule, and only by it
    refusals = db.session.execute(db.select(ProjectRecord).where(ProjectRecord.kind == "transition_refused")).scalars().all()
    share_refusals = [r for r in refusals
                      if [c["name"] for c in r.payload["checks"] if not c["passed"]] == ["optional_share"]]
    assert len(share_refusals) == 1
    assert db.session.get(Project, share_refusals[0].project_id).stage == "design"
    # one budget returned by a finance office
    returned = db.session.execute(db.select(Budget).where(Budget.status == "returned")).scalars().all()
    assert len(returned) == 1 and returned[0].project.city.code == "hangzhou" and returned[0].review_comment
    # one project under the older edition
    assert {p.standard_edition.code for p in projects} == {"2022", "2025"}
    assert all(verify_project(p).ok for p in projects)
    counts = (len(projects), db.session.execute(db.select(db.func.count(ProjectRecord.id))).scalar())
    res = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert res.exit_code == 0, res.output
    db.session.expire_all()
    assert (db.session.execute(db.select(db.func.count(Project.id))).scalar(),
            db.session.execute(db.select(db.func.count(ProjectRecord.id))).scalar()) == counts
    assert app.test_cli_runner().invoke(args=["records", "verify"]).exit_code == 0
