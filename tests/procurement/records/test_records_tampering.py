"""The record chain is the source of truth: live rows changed behind the services' back, a rewound
head and a deleted project are all found by `flask records verify` (and shown on the pages)."""

import io
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import text

from core.extensions import db
from procurement.budget.services import approve_budget, return_budget, submit_budget
from procurement.design import services as design_svc
from procurement.documents.services import attach_document
from procurement.machine.services import GateRefused, request_transition
from procurement.projects.models import Project
from procurement.projects.services import update_project
from procurement.records.models import ProjectRecord
from procurement.records.replay import PROCUREMENT_KINDS, RULES
from procurement.records.services import verify_all, verify_project
from tests.factories import login
from tests.procurement.helpers import BUDGET, World, line, make_standard, new_project, project_in_design

ROOT = Path(__file__).resolve().parents[3]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def world(app):
    make_standard()
    return World()


@pytest.fixture
def designed(world):
    """A project in design with two bill lines (6 records), and an untouched neighbour."""
    p = project_in_design(world)
    design_svc.add_line(world.purchaser, p.id, line("ready_mixed_concrete", quantity="100"))
    design_svc.add_line(world.purchaser, p.id, line("wall_coatings", quantity="20.5"))
    other = project_in_design(world, name="Untouched")
    return p, other


def run_verify(app, *args):
    return app.test_cli_runner().invoke(args=["records", "verify", *args])


def _sql(stmt, **params):
    with db.engine.begin() as conn:
        conn.execute(text(stmt), params)
    db.session.expire_all()


def _sql_without_foreign_keys(*statements, **params):
    """What a database owner can do: switch the foreign keys off for one connection."""
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # outside a transaction, or it is ignored
            conn.commit()
        else:
            conn.execute(text("SET session_replication_role = replica"))
        for stmt in statements:
            conn.execute(text(stmt), params)
        conn.commit()
        if db.engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        else:
            conn.execute(text("SET session_replication_role = origin"))
        conn.commit()
    db.session.expire_all()


def test_full_life_replays_to_the_live_rows(world):
    """Every record kind, in one project, replays to exactly its rows."""
    p = new_project(world)
    update_project(world.purchaser, p.id, {"name": "Renamed school", "floor_area_m2": 13000,
                                           "people": [{"role": "designer", "name": "Li Na", "phone": "1"}]})
    submit_budget(world.purchaser, p.id, BUDGET)
    return_budget(world.finance, p.id, "Too high, please revise")
    submit_budget(world.purchaser, p.id, dict(BUDGET, total_fen=400_000_000))
    approve_budget(world.finance, p.id, "ok")
    request_transition(world.purchaser, p.id, to_stage="design", expected_stage="budget")
    for code in ("ready_mixed_concrete", "wall_coatings", "led_lighting"):
        design_svc.add_line(world.purchaser, p.id, line(code))
    design_svc.update_line(world.purchaser, p.id, 2, {"quantity": "250.5", "est_unit_price_fen": 777})
    design_svc.update_line(world.purchaser, p.id, 1, {"category": "windows_doors", "unit": "m2", "specification": "Triple glazed"})
    design_svc.delete_line(world.purchaser, p.id, 3)
    design_svc.add_lines_bulk(world.purchaser, p.id, [dict(line("valves", quantity="3"), _row=2)], replace=True)
    design_svc.add_lines_bulk(world.purchaser, p.id, [dict(line("ceiling_systems", quantity="0.125"), _row=2)])
    attach_document(world.purchaser, p.id, io.BytesIO(PDF), "drawings.pdf", kind="design_drawings", title="Drawings")
    request_transition(world.finance, p.id, to_stage="budget", expected_stage="design", kind="return",
                       reason="Budget must be redone")
    with pytest.raises(GateRefused):  # the reopened budget is no longer approved
        request_transition(world.purchaser, p.id, to_stage="design", expected_stage="budget")
    kinds = set(db.session.execute(db.select(ProjectRecord.kind).where(ProjectRecord.project_id == p.id)).scalars())
    # every kind of the project's own life; the procurement kinds (pooling, tenders) change no
    # project row and are replayed in tests/procurement/tendering (pooled and tendered projects)
    assert kinds == set(RULES) - set(PROCUREMENT_KINDS)
    result = verify_project(db.session.get(Project, p.id))
    assert result.ok, result.problem
    assert result.count == 18


def test_every_record_kind_the_code_writes_has_a_replay_rule():
    written = set()
    for path in (ROOT / "procurement").rglob("*.py"):
        written |= set(re.findall(r'append_record\(\s*project,\s*"(\w+)"', path.read_text(encoding="utf-8")))
    written |= {"budget_approved", "budget_returned", "stage_advanced", "stage_returned"}  # chosen at run time
    assert written - set(RULES) == set()
    documented = re.search(r"Record kinds: `([^.]*)`\.", (ROOT / "docs" / "projects.md").read_text(encoding="utf-8"),
                           re.S).group(1)
    assert {k.strip(" `\n") for k in documented.split(",")} == set(RULES)


def _line_id(p, no):
    return db.session.execute(text("SELECT id FROM bom_lines WHERE project_id = :p AND line_no = :n"),
                              {"p": p.id, "n": no}).scalar_one()


TAMPERING = {
    "stage set to closed": ("UPDATE projects SET stage = 'closed' WHERE id = :p", "closed stage"),
    "project renamed": ("UPDATE projects SET name = 'Forged' WHERE id = :p", "project field name"),
    "budget x100": ("UPDATE project_budgets SET total_fen = total_fen * 100 WHERE project_id = :p",
                    "budget field total_fen"),
    "funding x100": ("UPDATE project_funding_sources SET amount_fen = amount_fen * 100 WHERE budget_id IN "
                     "(SELECT id FROM project_budgets WHERE project_id = :p)", "budget field funding_sources"),
    "budget un-approved": ("UPDATE project_budgets SET status = 'submitted' WHERE project_id = :p",
                           "budget field status"),
    "budget deleted": ("DELETE FROM project_budgets WHERE project_id = :p", "budget is missing"),
    "quantity x1000": ("UPDATE bom_lines SET quantity_milli = quantity_milli * 1000 WHERE project_id = :p "
                       "AND line_no = 1", "bill line 1: quantity_milli"),
    "unit price changed": ("UPDATE bom_lines SET est_unit_price_fen = 1 WHERE project_id = :p AND line_no = 2",
                           "bill line 2: est_unit_price_fen"),
    "line deleted": ("DELETE FROM bom_lines WHERE project_id = :p AND line_no = 2", "bill line 2 is missing"),
    "line added": ("INSERT INTO bom_lines (project_id, line_no, category_id, specification, quantity_milli, unit, "
                   "est_unit_price_fen, green_required, tightenings, created_at, updated_at) "
                   "SELECT project_id, 9, category_id, specification, quantity_milli, unit, est_unit_price_fen, "
                   "green_required, tightenings, created_at, updated_at FROM bom_lines WHERE project_id = :p "
                   "AND line_no = 1", "bill line 9 is not in the records"),
    "line category swapped": ("UPDATE bom_lines SET category_id = (SELECT category_id FROM bom_lines WHERE "
                              "project_id = :p AND line_no = 2) WHERE project_id = :p AND line_no = 1",
                              "bill line 1: category"),
}


@pytest.mark.parametrize("case", list(TAMPERING))
def test_changed_live_rows_are_found(app, designed, case):
    p, other = designed
    assert run_verify(app).exit_code == 0
    stmt, expected = TAMPERING[case]
    _sql(stmt, p=p.id)
    res = run_verify(app)
    assert res.exit_code == 1
    broken = [ln for ln in res.output.splitlines() if "BROKEN" in ln]
    assert broken == [ln for ln in broken if ln.startswith(f"{p.code}: BROKEN at live data:")] and len(broken) == 1
    assert expected in broken[0], broken[0]
    assert f"{other.code}: intact" in res.output


def test_forged_stage_is_found_after_later_records_too(app, world, designed):
    """A use case run after the stage was forged writes the forged stage into its record; the
    replay still knows the stage can only change by a recorded move."""
    p, _ = designed
    _sql("UPDATE projects SET stage = 'acceptance' WHERE id = :p", p=p.id)
    attach_document(world.purchaser, p.id, io.BytesIO(PDF), "x.pdf", kind="other", title="After the forgery")
    res = run_verify(app, p.code)
    assert res.exit_code == 1
    assert "record #7" in res.output and "written in the acceptance stage" in res.output, res.output


def test_rewound_head_is_found_through_the_audit_trail(app, designed):
    """Remove the newest records and point the head at the last one kept: the chain alone is
    consistent again, but the audit trail still holds the removed records."""
    p, _ = designed
    second = db.session.execute(db.select(ProjectRecord).where(ProjectRecord.project_id == p.id,
                                                               ProjectRecord.seq == 4)).scalar_one()
    _sql("DELETE FROM project_records WHERE project_id = :p AND seq > 4", p=p.id)
    _sql("DELETE FROM bom_lines WHERE project_id = :p", p=p.id)  # the rows match the shortened records
    _sql("UPDATE projects SET record_count = 4, record_head_hash = :h WHERE id = :p", h=second.hash, p=p.id)
    res = run_verify(app, p.code)
    assert res.exit_code == 1
    assert "record #5" in res.output and "audit trail holds this record" in res.output, res.output


def test_deleted_project_is_found(app, designed):
    p, other = designed
    p = type("Gone", (), {"id": p.id, "code": p.code})
    assert run_verify(app).exit_code == 0
    for table in ("project_records", "project_documents", "bom_lines", "project_budgets", "project_people"):
        _sql(f"DELETE FROM {table} WHERE project_id = :p", p=p.id)
    _sql("DELETE FROM projects WHERE id = :p", p=p.id)
    res = run_verify(app)
    assert res.exit_code == 1
    assert f"{p.code}: BROKEN at project row: project id {p.id} is gone, but the audit trail holds 6 of its " \
           f"records and 0 remain" in res.output, res.output
    assert f"{other.code}: intact" in res.output
    by_code = run_verify(app, p.code)  # asked for by name, it is reported rather than "no project"
    assert by_code.exit_code == 1 and "is gone" in by_code.output
    assert any(not r.ok and r.project_id == p.id for r in verify_all())


def test_deleted_project_row_with_orphaned_records_is_found(app, designed):
    p, _ = designed
    p = type("Gone", (), {"id": p.id, "code": p.code})
    _sql_without_foreign_keys("DELETE FROM bom_lines WHERE project_id = :p",
                              "DELETE FROM project_funding_sources WHERE budget_id IN "
                              "(SELECT id FROM project_budgets WHERE project_id = :p)",
                              "DELETE FROM project_budgets WHERE project_id = :p",
                              "DELETE FROM project_people WHERE project_id = :p",
                              "DELETE FROM projects WHERE id = :p", p=p.id)
    res = run_verify(app)
    assert res.exit_code == 1 and f"project id {p.id} is gone" in res.output and "6 remain" in res.output


def test_pages_show_the_broken_chain_and_the_signed_checkpoint(app, client, world, designed):
    p, _ = designed
    login(client, world.purchaser)
    page = client.get(f"/projects/{p.id}/records/print").get_data(as_text=True)
    assert "No signed checkpoint has been written yet." in page
    assert app.test_cli_runner().invoke(args=["audit", "checkpoint"]).exit_code == 0
    page = client.get(f"/projects/{p.id}/records/print").get_data(as_text=True)
    from core.checkpoints import latest

    cp = latest()
    last = db.session.execute(db.select(ProjectRecord).where(ProjectRecord.project_id == p.id)
                              .order_by(ProjectRecord.seq.desc())).scalars().first()
    assert cp.head_hash in page and cp.signature in page and cp.public_key in page
    assert f"record #{last.seq}" in page and last.hash in page
    assert "/integrity/checkpoints/latest.json" in page
    body = json.loads(client.get(f"/projects/{p.id}/records.json").data)
    assert body["checkpoint"]["document"] == cp.document()
    assert body["checkpoint"]["covers"]["record_hash"] == last.hash
    _sql("UPDATE projects SET stage = 'closed' WHERE id = :p", p=p.id)
    page = client.get(f"/projects/{p.id}/records").get_data(as_text=True)
    assert "Record chain BROKEN" in page and "closed" in page


def test_emptied_audit_trail_is_found_by_the_records(app, designed):
    """With no checkpoint yet, an emptied audit trail (head row too) looks like a fresh one to
    `audit verify`; every project record still names its audit event, so `records verify` says."""
    p, _ = designed
    _sql_without_foreign_keys("DELETE FROM audit_events", "DELETE FROM audit_chain_head")
    assert app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0
    res = run_verify(app)
    assert res.exit_code == 1 and f"{p.code}: BROKEN at record #1" in res.output and "audit event is missing" in res.output


def test_deleted_audit_tail_with_project_events_is_found_by_the_records(app, designed):
    p, _ = designed
    last = db.session.execute(db.select(ProjectRecord).where(ProjectRecord.project_id == p.id)
                              .order_by(ProjectRecord.seq.desc())).scalars().first()
    _sql_without_foreign_keys("DELETE FROM audit_events WHERE id >= :e", "DELETE FROM audit_chain_head", e=last.audit_event_id)
    res = run_verify(app, p.code)
    assert res.exit_code == 1 and f"record #{last.seq}" in res.output and "audit event is missing" in res.output
