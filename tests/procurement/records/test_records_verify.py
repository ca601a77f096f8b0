"""`flask records verify`: tampering with a project's records is found and named."""

import pytest
from sqlalchemy import text

from core.extensions import db
from procurement.projects.models import Project
from procurement.records.models import ProjectRecord
from procurement.records.services import verify_project
from tests.procurement.helpers import World, make_standard, project_in_design


@pytest.fixture
def project(app):
    make_standard()
    w = World()
    p = project_in_design(w)  # records: registered, budget submitted, approved, stage advanced
    other = project_in_design(w, name="Untouched")
    return p, other


def run_verify(app, *args):
    return app.test_cli_runner().invoke(args=["records", "verify", *args])


def test_intact_chains_pass(app, project):
    p, other = project
    res = run_verify(app)
    assert res.exit_code == 0, res.output
    assert f"{p.code}: intact (4 records)" in res.output
    res = run_verify(app, p.code)
    assert res.exit_code == 0 and "1 project record chain(s) intact" in res.output
    assert run_verify(app, str(p.id)).exit_code == 0


def test_unknown_project(app, project):
    res = run_verify(app, "NOPE-1")
    assert res.exit_code != 0 and "no project" in res.output


def _sql(stmt, **params):
    with db.engine.begin() as conn:
        conn.execute(text(stmt), params)
    db.session.expire_all()


def test_altered_payload_detected(app, project):
    p, other = project
    rec = db.session.execute(db.select(ProjectRecord).where(ProjectRecord.project_id == p.id,
                                                            ProjectRecord.seq == 2)).scalar_one()
    payload = dict(rec.payload)
    payload["budget"] = dict(payload["budget"], total_fen=1)
    import json
    _sql("UPDATE project_records SET payload = :p WHERE id = :id", p=json.dumps(payload), id=rec.id)
    res = run_verify(app, p.code)
    assert res.exit_code == 1
    assert "record #2" in res.output and "altered" in res.output
    res = run_verify(app)  # all projects: the other one is still intact, exit code still 1
    assert res.exit_code == 1 and f"{other.code}: intact" in res.output


def test_removed_record_detected(app, project):
    p, _ = project
    _sql("DELETE FROM project_records WHERE project_id = :p AND seq = 2", p=p.id)
    res = run_verify(app, p.code)
    assert res.exit_code == 1 and "record #2" in res.output and "missing" in res.output


def test_removed_last_record_detected(app, project):
    p, _ = project
    _sql("DELETE FROM project_records WHERE project_id = :p AND seq = 4", p=p.id)
    res = run_verify(app, p.code)
    assert res.exit_code == 1 and "head" in res.output


def test_reordered_records_detected(app, project):
    p, _ = project
    _sql("UPDATE project_records SET seq = seq + 100 WHERE project_id = :p AND seq IN (2, 3)", p=p.id)
    _sql("UPDATE project_records SET seq = 3 WHERE project_id = :p AND seq = 102", p=p.id)
    _sql("UPDATE project_records SET seq = 2 WHERE project_id = :p AND seq = 103", p=p.id)
    res = run_verify(app, p.code)
    assert res.exit_code == 1 and "record #2" in res.output


def test_relinked_audit_event_detected(app, project):
    p, other = project
    foreign = db.session.execute(db.select(ProjectRecord).where(ProjectRecord.project_id == other.id)).scalars().first()
    _sql("UPDATE project_records SET audit_event_id = :e WHERE project_id = :p AND seq = 1",
         e=foreign.audit_event_id, p=p.id)
    res = run_verify(app, p.code)
    assert res.exit_code == 1 and "audit event" in res.output


def test_records_are_append_only_through_the_orm(app, project):
    p, _ = project
    rec = db.session.execute(db.select(ProjectRecord).where(ProjectRecord.project_id == p.id)).scalars().first()
    rec.kind = "forged"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(ProjectRecord, rec.id))
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    assert verify_project(db.session.get(Project, p.id)).ok


def test_each_record_has_its_audit_event(app, project):
    from core.models import AuditEvent

    p, _ = project
    recs = db.session.execute(db.select(ProjectRecord).where(ProjectRecord.project_id == p.id)
                              .order_by(ProjectRecord.seq)).scalars().all()
    for r in recs:
        ev = db.session.get(AuditEvent, r.audit_event_id)
        assert ev.after["project_record"] == {"project_id": p.id, "seq": r.seq, "hash": r.hash, "kind": r.kind}
    from core import audit
    assert audit.verify_chain()[0]
