"""Projects: cost of the design stage and of the record chain at realistic sizes.

    .venv/bin/python bench/bench_projects.py                        # SQLite (temporary file)
    .venv/bin/python bench/bench_projects.py --lines 1000 --records 2000
    .venv/bin/python bench/bench_projects.py --database-url postgresql://postgres@127.0.0.1:5432/postgres

Builds a fresh database with the real migrations and the full demo seed (cities, standards,
~330 catalogue products, demo projects), then for one new project measures and prints:
* importing a bill of N lines in one transaction (lines/s),
* running the design -> procurement gates over it (ms),
* the design page's per-line product offers (ms),
* the SQL statements and time of the design page, `GET /bom`, the project list and the project page
  (the statement counts do not grow with the number of lines),
* appending M records one use case (transaction) at a time (records/s),
* `records verify` of that project's chain (records/s).
"""
from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("EMBEDDED_SERVICES", "0")


def _database(url: str | None):
    if not url:
        return f"sqlite:///{tempfile.mkdtemp(prefix='bench-projects-')}/bench.db", None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"bench_projects_{secrets.token_hex(4)}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return base.set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=500)
    ap.add_argument("--records", type=int, default=1000)
    ap.add_argument("--database-url")
    args = ap.parse_args()
    url, drop = _database(args.database_url)
    try:
        run(url, args.lines, args.records)
    finally:
        if drop:
            drop()


def run(url: str, n_lines: int, n_records: int) -> None:
    from flask_migrate import upgrade

    from config import Config
    from platform_app import create_app

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = url
        TESTING = False
        WTF_CSRF_ENABLED = False  # the bench signs in through the login form

    app = create_app(BenchConfig)
    with app.app_context():
        from core import roles as R
        from catalog.interface import find_category
        from core.demo import DEMO_PASSWORD, seed_all
        from core.extensions import db
        from procurement.budget import services as budget_svc
        from procurement.design import services as design_svc
        from procurement.design.models import BomLine
        from procurement.design.requirements import line_offers
        from procurement.machine.services import preview_gates, request_transition
        from procurement.projects.services import create_project, update_project
        from procurement.records.services import verify_project

        upgrade(revision="heads")
        t = time.perf_counter()
        ctx = seed_all()
        print(f"demo seed: {time.perf_counter() - t:.1f} s ({db.engine.dialect.name})")
        purchaser, finance = ctx["users"][R.PURCHASER], ctx["users"][R.FINANCE_REVIEWER]
        p = create_project(purchaser, {"name": "Bench project", "building_type": "complex", "floor_area_m2": 150000})
        total = 10 ** 12
        budget_svc.submit_budget(purchaser, p.id, {"total_fen": total, "green_share_bp": 5000, "funding_sources": [
            {"kind": "general_budget", "amount_fen": total}]})
        budget_svc.approve_budget(finance, p.id)
        request_transition(purchaser, p.id, to_stage="design", expected_stage="budget")
        cats = ["ready_mixed_concrete", "waterproof_membranes", "paper_faced_gypsum_board", "wall_coatings",
                "masonry", "led_lighting", "windows_doors", "energy_saving_glass", "taps", "plastic_pipes"]
        units = {code: find_category(code).default_unit for code in cats}  # each category's price unit
        rows = [{"_row": i + 2, "category": cats[i % len(cats)], "specification": f"Spec {i}",
                 "quantity": f"{10 + i % 97}.5", "unit": units[cats[i % len(cats)]], "est_unit_price_fen": 1000 + i}
                for i in range(n_lines)]
        t = time.perf_counter()
        design_svc.add_lines_bulk(purchaser, p.id, rows, source="bench")
        dt_import = time.perf_counter() - t
        print(f"bill import: {n_lines} lines in {dt_import:.2f} s = {n_lines / dt_import:,.0f} lines/s")

        db.session.expire_all()
        t = time.perf_counter()
        checks = preview_gates(purchaser, db.session.get(type(p), p.id))
        print(f"design gates over {n_lines} lines: {(time.perf_counter() - t) * 1000:.0f} ms "
              f"({', '.join(c.name + ('=ok' if c.passed else '=FAIL') for c in checks)})")
        lines = list(db.session.execute(db.select(BomLine).where(BomLine.project_id == p.id)).scalars())
        t = time.perf_counter()
        offers = line_offers(db.session.get(type(p), p.id), lines)
        print(f"design page product offers for {len(lines)} lines: {(time.perf_counter() - t) * 1000:.0f} ms "
              f"({sum(1 for o in offers.values() if o['count'])} lines with products)")

        pages(app, purchaser.email, DEMO_PASSWORD, p.id, n_lines)

        t = time.perf_counter()
        for i in range(n_records):
            update_project(purchaser, p.id, {"floor_area_m2": 150000 + i + 1})
        dt_rec = time.perf_counter() - t
        print(f"record appends: {n_records} use cases in {dt_rec:.2f} s = {n_records / dt_rec:,.0f} records/s")
        db.session.expire_all()
        project = db.session.get(type(p), p.id)
        t = time.perf_counter()
        result = verify_project(project)
        dt_ver = time.perf_counter() - t
        print(f"records verify: {result.count} records in {dt_ver * 1000:.0f} ms = {result.count / dt_ver:,.0f} records/s "
              f"({'intact' if result.ok else result.problem})")
        db.session.remove()
        db.engine.dispose()


def pages(app, email: str, password: str, project_id: int, n_lines: int) -> None:
    """SQL statements and time of the pages that show the bill (second request of each: warm)."""
    from sqlalchemy import event

    from core.extensions import db

    client = app.test_client()
    client.post("/login", data={"email": email, "password": password})
    statements = []
    me = threading.get_ident()

    def count(*_args):  # this thread's requests only (the search outbox dispatcher runs beside them)
        if threading.get_ident() == me:
            statements.append(1)

    for url in (f"/projects/{project_id}/design", f"/api/v1/projects/{project_id}/bom", "/projects",
                f"/projects/{project_id}"):
        client.get(url)
        db.session.remove()
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        t = time.perf_counter()
        status = client.get(url).status_code
        elapsed = time.perf_counter() - t
        event.remove(db.engine, "before_cursor_execute", count)
        print(f"{url} with {n_lines} lines: {len(statements)} SQL statements, {elapsed * 1000:.0f} ms (HTTP {status})")


if __name__ == "__main__":
    main()
