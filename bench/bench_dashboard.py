"""The oversight dashboard over 1,000,000 generated records (orders, deliveries, inspections across
50 cities and 5 years) on PostgreSQL: how long the chronograph's refresh of the monthly fact table
takes, then the dashboard's query path, p50/p95.

    .venv/bin/python bench/bench_dashboard.py --database-url postgresql://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/bench_dashboard.py --database-url ... --orders 400000 --deliveries 300000 \
        --inspections 300000 --repeat 50

What it does:
- makes a throw-away database (real migrations), then bulk-inserts with `INSERT ... SELECT FROM
  generate_series` (no Python loop per row): 50 cities with their offices, 2,500 projects with
  bill lines, one tender, lot, award and agreement per city, `--orders` orders (placed over 5
  years), `--deliveries` order lines and deliveries, one inspection campaign per city,
  `--inspections` inspections and a rectification for every sixth one;
- runs `procurement.oversight.refresh.refresh()` (what the `oversight.refresh` chronograph handler
  runs) and prints its time and the fact rows written;
- times the dashboard query path `--repeat` times each: all cities over one year, one city over
  one year, one city over 5 years (with the lagging verdicts and all five charts' data), and the
  SVG rendering of one chart; prints p50/p95 in milliseconds.

Figures are printed, never asserted. PostgreSQL shares this machine's cores with everything else
running on it.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_projects import _database  # noqa: E402  (the one way benches make a throw-away database)

CITIES = 50
PROJECTS_PER_CITY = 50
YEARS = 5
START = "2022-01-01"   # five years: 2022-2026


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url", help="PostgreSQL base URL (a throw-away database is made on it)")
    ap.add_argument("--orders", type=int, default=400_000)
    ap.add_argument("--deliveries", type=int, default=300_000)
    ap.add_argument("--inspections", type=int, default=300_000)
    ap.add_argument("--repeat", type=int, default=50)
    args = ap.parse_args()
    if not (args.database_url or "").startswith("postgres"):
        sys.exit("bench_dashboard: pass --database-url postgresql://... (measured on PostgreSQL)")
    url, drop = _database(args.database_url)
    try:
        run(url, args)
    finally:
        if drop:
            drop()


def _pct(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _fill(conn, table: str, n: int, values: dict[str, str]) -> float:
    """INSERT INTO `table` `n` rows from generate_series (g = 1..n); `values` are SQL expressions
    of g. NOT NULL columns not given get a neutral value of their type. Returns seconds."""
    from sqlalchemy import text

    from core.extensions import db

    t = db.metadata.tables[table]
    exprs = dict(values)
    for column in t.columns:
        if column.name in exprs or column.nullable or (column.primary_key and column.autoincrement is not False
                                                       and column.name == "id"):
            continue
        kind = column.type.__class__.__name__.lower()
        exprs[column.name] = ("now()" if "datetime" in kind or "utcdatetime" in kind else
                              "current_date" if kind == "date" else "false" if kind == "boolean" else
                              "'[]'" if kind == "json" else "0" if "int" in kind else "''")
    cols = ", ".join(f'"{c}"' for c in exprs)
    started = time.perf_counter()
    conn.execute(text(f'INSERT INTO "{table}" ({cols}) SELECT {", ".join(exprs.values())} '
                      f"FROM generate_series(1, {int(n)}) AS g"))
    return time.perf_counter() - started


def generate(conn, args) -> None:
    """The records (see the module docstring)."""
    c, p = CITIES, CITIES * PROJECTS_PER_CITY
    day = f"(DATE '{START}' + ((g::bigint * 7919) % ({YEARS} * 365))::int)"            # a date in the five years
    moment = f"(TIMESTAMPTZ '{START} 02:00+00' + ((g::bigint * 7919) % ({YEARS} * 365))::int * interval '1 day')"
    project_of = f"(1 + g % {p})"                                        # project k is in city 1 + k % 50
    _fill(conn, "cities", c, {"code": "'c' || g", "name_en": "'City ' || g", "name_zh": "'城市' || g",
                              "climate_zone": "'hscw'"})
    for offset, kind in enumerate(("purchaser", "procurement_centre", "inspection_authority", "supplier")):
        _fill(conn, "organisations", c, {"kind": f"'{kind}'", "name_en": f"'{kind} ' || g",
                                         "name_zh": f"'{kind} ' || g", "status": "'verified'",
                                         "city_id": "g" if kind != "supplier" else "NULL"})
    # organisation ids: purchaser g, centre 50 + g, authority 100 + g, supplier 150 + g
    _fill(conn, "category_groups", 1, {"code": "'g1'", "name_en": "'Group'", "name_zh": "'组'", "position": "1"})
    _fill(conn, "categories", 2, {"code": "(ARRAY['ready_mixed_concrete','precast_concrete_components'])[g]",
                                  "group_id": "1", "name_en": "'Category ' || g", "name_zh": "'类别' || g",
                                  "default_unit": "'m3'", "position": "g"})
    _fill(conn, "standard_editions", 1, {"code": "'2022'", "title": "'Edition'", "effective_from": "DATE '2022-01-01'"})
    _fill(conn, "standard_versions", 1, {"edition_id": "1", "number": "1", "effective_from": "DATE '2022-01-01'",
                                         "status": "'in_force'"})
    _fill(conn, "projects", p, {"code": "'P' || g", "name": "'Project ' || g", "purchaser_org_id": "(1 + g % 50)",
                                "city_id": "(1 + g % 50)", "building_type": "'school'", "floor_area_m2": "10000",
                                "registered_on": day, "standard_edition_id": "1", "standard_version_id": "1",
                                "stage": "'procurement'", "record_head_hash": "repeat('0', 64)"})
    _fill(conn, "bom_lines", 2 * p, {"project_id": f"(1 + g % {p})", "line_no": "g", "category_id": "1 + g % 2",
                                     "specification": "'C30'", "quantity_milli": "1000000", "unit": "'m3'",
                                     "est_unit_price_fen": "40000 + g % 1000", "green_required": "g % 3 <> 0"})
    _fill(conn, "tenders", c, {"reference": "'T' || g", "title": "'Tender ' || g", "city_id": "g",
                               "centre_org_id": f"{c} + g", "method": "'public_tender'", "track": "'gpl'",
                               "status": "'closed'", "pooling_round_id": "NULL",
                               "published_at": f"TIMESTAMPTZ '{START} 02:00+00'",
                               "bid_deadline_at": f"TIMESTAMPTZ '{START} 02:00+00' + interval '30 days'"})
    _fill(conn, "lots", c, {"tender_id": "g", "number": "1", "title": "'Lot'", "category_id": "1 + g % 2",
                            "specification": "'C30'", "unit": "'m3'", "quantity_milli": "100000000",
                            "ceiling_fen": "5000000000", "bond_fen": "0", "requirements": "'[]'", "status": "'active'"})
    _fill(conn, "awards", c, {"tender_id": "g", "lot_id": "g", "status": "'notified'", "candidates": "'[]'",
                              "winner_org_id": f"{3 * c} + g", "total_fen": "4500000000 + g",
                              "submitted_at": "now()", "notice_number": "1",
                              "notice_at": f"TIMESTAMPTZ '{START} 02:00+00' + g * interval '30 days'"})
    _fill(conn, "agreements", c, {"reference": "'C' || g", "lot_id": "g", "award_id": "g", "tender_id": "g",
                                  "kind": "'contract'", "city_id": "g", "centre_org_id": f"{c} + g",
                                  "category_id": "1 + g % 2", "title": "'Contract ' || g", "status": "'published'",
                                  "valid_from": "DATE '2022-01-01'", "valid_until": "DATE '2027-12-31'",
                                  "total_quantity_milli": "1000000000000", "unit": "'m3'", "retention_bp": "300"})
    timings = {}
    # order k: project 1 + k % 2500 (city 1 + k % 50 = the agreement's city)
    timings["orders"] = _fill(conn, "orders", args.orders, {
        "reference": "'O' || g", "agreement_id": f"(1 + (1 + g % {p}) % {c})", "project_id": project_of,
        "supplier_org_id": f"{3 * c + 1}", "status": "(ARRAY['placed','confirmed','delivered','accepted','cancelled'])[1 + g % 5]",
        "selection_method": "'direct'", "request_id": "'r' || g", "total_fen": "100000 + (g * 37) % 900000",
        "placed_at": moment})
    n = min(args.deliveries, args.orders)
    timings["order_lines"] = _fill(conn, "order_lines", n, {
        "order_id": "g", "bom_line_id": f"(1 + g % {2 * p})", "product_id": "1", "quantity_milli": "1000",
        "unit": "'m3'", "unit_price_fen": "100000", "amount_fen": "100000"})
    _fill(conn, "documents", 1, {"sha256": "repeat('a', 64)", "content_type": "'application/pdf'", "size": "1",
                                 "stored_path": "'bench'"})
    timings["deliveries"] = _fill(conn, "deliveries", n, {
        "reference": "'D' || g", "project_id": project_of, "order_id": "g", "order_line_id": "g",
        "supplier_org_id": f"{3 * c + 1}", "product_id": "1", "quantity_milli": "1000", "unit": "'m3'",
        "batch_number": "'B' || g", "delivered_on": day, "delivery_note_id": "1", "evidence_kind": "'certificate'",
        "evidence_number": "'E' || g", "checks": "'[]'",
        "status": "(ARRAY['recorded','accepted','accepted','rejected'])[1 + g % 4]"})
    _fill(conn, "draws", c, {"purpose": "'inspection_targets'", "subject": "'bench'", "status": "'revealed'",
                             "commitment": "repeat('0', 64)", "seed": "repeat('1', 64)", "algorithm": "'bench'"})
    _fill(conn, "inspection_campaigns", c, {
        "reference": "'IC' || g", "city_id": "g", "authority_org_id": f"{2 * c} + g", "title": "'Campaign'",
        "items": "'[]'", "team_size": "2", "recent_exclusion_days": "365", "max_general_share_bp": "3000",
        "min_team_size": "2", "publication_working_days": "20", "status": "'active'", "target_draw_id": "g",
        "starts_on": "DATE '2022-01-01'", "ends_on": "DATE '2026-12-31'"})
    timings["inspections"] = _fill(conn, "inspections", args.inspections, {
        "campaign_id": "(1 + g % 50)", "city_id": "(1 + g % 50)", "target_kind": "'project'",
        "target_id": project_of, "target_ref": "'project:' || g", "target_name": "'Project ' || g",
        "org_id": "(1 + g % 50)", "item_codes": "'[]'", "status": "(ARRAY['recorded','published'])[1 + g % 2]",
        "team_draw_id": "(1 + g % 50)", "items_checked": "'[]'", "samples": "'[]'", "compliant": "g % 7 <> 0",
        "ended_on": day, "publish_due_on": f"{day} + 28", "recorded_at": moment,
        "published_at": f"CASE WHEN g % 2 = 1 THEN {moment} + interval '10 days' END"})
    timings["rectifications"] = _fill(conn, "rectifications", args.inspections // 6, {
        "reference": "'R' || g", "inspection_id": "6 * g", "city_id": "(1 + (6 * g) % 50)", "org_id": "(1 + g % 50)",
        "status": "(ARRAY['open','responded','closed','closed'])[1 + g % 4]", "required_actions": "'Fix'",
        "deadline": f"{day} + 30", "issued_at": moment})
    _fill(conn, "oversight_targets", c, {"city_id": "g", "year": "2026", "green_amount_fen": "2000000000::bigint + g * 40000000::bigint",
                                         "coverage_bp": "8000", "green_share_bp": "6000", "batch_share_bp": "1000",
                                         "prefab_share_bp": "3000", "note": "'bench'"})
    for name, seconds in timings.items():
        print(f"  insert {name}: {seconds:.1f} s")


def run(url: str, args) -> None:
    from flask_migrate import upgrade

    from config import Config
    from platform_app import create_app

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = url
        TESTING = False

    app = create_app(BenchConfig, process="cli")
    with app.app_context(), app.test_request_context("/oversight/"):
        from sqlalchemy import text

        from core.extensions import db
        from procurement.oversight import charts, dashboard, figures, refresh
        from procurement.oversight.models import MonthlyFact
        from procurement.oversight.period import Period
        from procurement.oversight.sources import SOURCES

        upgrade(revision="heads")
        started = time.perf_counter()
        with db.engine.begin() as conn:
            generate(conn, args)
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        total = args.orders + min(args.deliveries, args.orders) + args.inspections
        print(f"generated {total:,} records (orders {args.orders:,}, deliveries {min(args.deliveries, args.orders):,}, "
              f"inspections {args.inspections:,}; plus order lines and {args.inspections // 6:,} rectifications) "
              f"over {CITIES} cities and {YEARS} years in {time.perf_counter() - started:.1f} s")

        started = time.perf_counter()
        written = refresh.refresh()
        db.session.commit()
        print(f"refresh (the chronograph's job): {time.perf_counter() - started:.2f} s, "
              f"{db.session.query(MonthlyFact).count():,} fact rows ({written})")
        started = time.perf_counter()
        refresh.refresh()
        db.session.commit()
        print(f"refresh again (idempotent rewrite): {time.perf_counter() - started:.2f} s")
        parts = []
        for source in SOURCES:
            t = time.perf_counter()
            rows = source.func()
            parts.append(f"{source.name} {time.perf_counter() - t:.2f} s ({len(rows):,} rows)")
        print("  of which the sources' GROUP BY queries: " + ", ".join(parts))

        year = Period(__import__("datetime").date(2026, 1, 1), __import__("datetime").date(2026, 12, 1))
        five = Period(__import__("datetime").date(2022, 1, 1), __import__("datetime").date(2026, 12, 1))
        cases = {"all cities, 1 year": (None, year), "one city, 1 year": ([7], year),
                 "one city, 5 years": ([7], five), "all cities, 5 years": (None, five)}
        for name, (ids, period) in cases.items():
            times = []
            for _ in range(args.repeat):
                db.session.expire_all()
                t = time.perf_counter()
                board = dashboard.build(ids, period)
                data = figures.all_charts(board)
                times.append((time.perf_counter() - t) * 1000)
            lagging = sum(1 for s in board.standings if s.lagging)
            print(f"dashboard query path, {name}: p50 {statistics.median(times):.1f} ms, "
                  f"p95 {_pct(times, 95):.1f} ms ({len(data)} charts, {len(board.standings)} cities, {lagging} lagging)")
        times = []
        for _ in range(min(args.repeat, 20)):
            t = time.perf_counter()
            charts.svg(figures.progress(dashboard.build(None, year)))
            times.append((time.perf_counter() - t) * 1000)
        print(f"one chart as SVG (query + pygal): p50 {statistics.median(times):.1f} ms, p95 {_pct(times, 95):.1f} ms")


if __name__ == "__main__":
    main()
