"""Integrity verifiers at a generated project set: `flask audit verify` (events/s, with signed
checkpoints), `flask records verify` over every project (records/s: chain, audit links both ways,
replay against the live rows), one project's verify (the record pages) and writing a checkpoint.

    .venv/bin/python bench/bench_integrity.py                     # SQLite (temporary file)
    .venv/bin/python bench/bench_integrity.py --projects 1000 --lines 50
    .venv/bin/python bench/bench_integrity.py --database-url postgresql://postgres@127.0.0.1:5432/postgres

Builds a fresh database with the real migrations and the demo seed, then runs every project
through the real use cases: register, submit and approve the budget, move to design, import a
bill of N lines, change M fields (so each project has 5 + M records). Figures are printed, never
asserted.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("EMBEDDED_SERVICES", "0")

from bench_projects import _database  # noqa: E402  (same throw-away database helper)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--projects", type=int, default=300)
    ap.add_argument("--lines", type=int, default=20)
    ap.add_argument("--changes", type=int, default=5)
    ap.add_argument("--database-url")
    args = ap.parse_args()
    url, drop = _database(args.database_url)
    try:
        run(url, args.projects, args.lines, args.changes)
    finally:
        if drop:
            drop()


def _timed(label, func, unit_count, unit):
    t = time.perf_counter()
    result = func()
    dt = time.perf_counter() - t
    print(f"{label}: {unit_count:,} {unit} in {dt * 1000:,.0f} ms = {unit_count / dt:,.0f} {unit}/s")
    return result


def run(url: str, n_projects: int, n_lines: int, n_changes: int) -> None:
    import base64
    import secrets

    from flask_migrate import upgrade

    from config import Config
    from platform_app import create_app

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = url
        TESTING = False
        AUDIT_SIGNING_KEY = base64.b64encode(secrets.token_bytes(32)).decode()

    app = create_app(BenchConfig, process="cli")
    with app.app_context():
        from catalog.interface import find_category
        from core import checkpoints
        from core import roles as R
        from core.demo import seed_all
        from core.extensions import db
        from core.models import AuditEvent
        from procurement.budget import services as budget_svc
        from procurement.design import services as design_svc
        from procurement.machine.services import request_transition
        from procurement.projects.models import Project
        from procurement.projects.services import create_project, update_project
        from procurement.records.models import ProjectRecord
        from procurement.records.services import verify_all, verify_project

        upgrade(revision="heads")
        ctx = seed_all()
        purchaser, finance = ctx["users"][R.PURCHASER], ctx["users"][R.FINANCE_REVIEWER]
        cats = ["ready_mixed_concrete", "wall_coatings", "masonry", "waterproof_membranes"]
        units = {c: find_category(c).default_unit for c in cats}  # a unit each category converts from
        t = time.perf_counter()
        for i in range(n_projects):
            p = create_project(purchaser, {"name": f"Bench {i}", "building_type": "school", "floor_area_m2": 10000})
            budget_svc.submit_budget(purchaser, p.id, {"total_fen": 10 ** 12, "green_share_bp": 5000,
                                                       "funding_sources": [{"kind": "general_budget",
                                                                            "amount_fen": 10 ** 12}]})
            budget_svc.approve_budget(finance, p.id)
            request_transition(purchaser, p.id, to_stage="design", expected_stage="budget")
            rows = [{"_row": j + 2, "category": cats[j % len(cats)], "specification": f"Spec {j}",
                     "quantity": f"{10 + j}.5", "unit": units[cats[j % len(cats)]],
                     "est_unit_price_fen": 1000 + j} for j in range(n_lines)]
            design_svc.add_lines_bulk(purchaser, p.id, rows, source="bench")
            for k in range(n_changes):
                update_project(purchaser, p.id, {"floor_area_m2": 10000 + k + 1})
        build = time.perf_counter() - t
        n_records = db.session.execute(db.select(db.func.count(ProjectRecord.id))).scalar()
        n_events = db.session.execute(db.select(db.func.count(AuditEvent.id))).scalar()
        print(f"{db.engine.dialect.name}: {n_projects} projects, {n_records:,} records, {n_events:,} audit events "
              f"(built in {build:.0f} s)")
        db.session.remove()
        verify_project(db.session.get(Project, 1))  # warm up: the first JSON fetch of a connection is slow
        db.session.remove()

        _timed("audit checkpoint (full chain check, then sign)", checkpoints.write_checkpoint, n_events, "events")
        report = _timed("audit verify (chain, head, checkpoints)", checkpoints.verify, n_events, "events")
        assert report.ok, report.message
        db.session.remove()
        results = _timed("records verify, all projects", verify_all, n_records, "records")
        assert all(r.ok for r in results), [r for r in results if not r.ok][:3]
        db.session.remove()
        ids = list(db.session.execute(db.select(Project.id).order_by(Project.id).limit(50)).scalars())
        t = time.perf_counter()
        for pid in ids:
            verify_project(db.session.get(Project, pid))
        print(f"records verify, one project (the record pages): {(time.perf_counter() - t) * 1000 / len(ids):.1f} ms "
              f"per project of {n_records // n_projects} records")
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
