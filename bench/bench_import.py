"""Benchmark the bulk product import: generate N rows, import them, print rows/s and peak RSS.

    .venv/bin/python bench/bench_import.py                      # SQLite (temporary file)
    .venv/bin/python bench/bench_import.py --database-url postgresql://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/bench_import.py --rows 20000 --format xlsx

The database is fresh (a temporary SQLite file, or a new PostgreSQL database that is dropped
afterwards), migrated with the real migrations and seeded with the cities and standards. The
import runs three times: first every SKU is new ("create"), then the same file again (every row
unchanged: skipped, "update"), then a file with the same SKUs and other values (every product
changed, "change"; `--skip-change` leaves it out). The database size is printed after each run.
Memory: peak RSS is sampled during the run and compared with the RSS after a small warm-up
import, so the figure shows whether memory grows with the file. CPU: of this process and, for a
PostgreSQL server on this machine, of the server processes of the scratch database; on a shared
machine these say more than the wall clock (the load average is printed with each figure).

Measured with 100,000 rows on a 2-CPU machine shared with other jobs (docs/import-format.md):

    SQLite (load 1.0-1.1):      create 3,113 rows/s, peak +41 MiB (+33 MiB at 10,000 rows);
                                update (unchanged) 29,719 rows/s; change 1,932 rows/s, +53 MiB
    PostgreSQL (load 1.0-1.3):  create 2,747 rows/s (CPU 24 s here, 27 s in the server), +61 MiB
                                (+48 MiB at 10,000 rows); update 21,384 rows/s; change 1,009 rows/s
    before (500-row chunks):    SQLite 2,059 / 14,784 / 303 rows/s, PostgreSQL 1,271 / 9,723 / 208
                                rows/s, peak +121 / +124 MiB for create
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import resource
import secrets
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Categories with realistic indicator columns (key, unit, generator).
PROFILES = [
    ("windows_doors", "m2", [("u_value", "W/(m2.K)", lambda r: round(r.uniform(1.8, 3.8), 2)),
                             ("air_tightness_grade", "", lambda r: r.randint(5, 8))]),
    ("wall_coatings", "kg", [("voc", "g/L", lambda r: r.randint(20, 95)), ("free_formaldehyde", "mg/kg", lambda r: r.randint(5, 60))]),
    ("ready_mixed_concrete", "m3", [("ira", "", lambda r: round(r.uniform(0.2, 1.1), 2)), ("igamma", "", lambda r: round(r.uniform(0.2, 1.1), 2))]),
    ("waterproof_membranes", "m2", [("tensile_strength", "N/50mm", lambda r: r.randint(450, 1000)),
                                    ("low_temperature_flexibility", "°C", lambda r: r.choice([-30, -25, -20, -15]))]),
    ("steel_members", "t", [("yield_strength", "MPa", lambda r: r.choice([235, 345, 390]))]),
]
IND_COLS = sorted({(k, u) for _c, _u, inds in PROFILES for k, u, _g in inds})


def rss_mb() -> float:
    """Current resident set size in MiB (Linux /proc)."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


class PeakSampler(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.peak = rss_mb()
        self.running = True

    def run(self):
        while self.running:
            self.peak = max(self.peak, rss_mb())
            time.sleep(0.05)


def generate_csv(path: str, n: int, seed: int = 7, prefix: str = "B") -> None:
    rng = random.Random(seed)
    today = dt.date.today()
    header = ["sku", "name_zh", "name_en", "category", "brand", "model", "unit", "list_price", "manufacturer", "plant",
              "certificate_number", "certification_body", "star_grade", "certificate_standard", "issued_on", "expires_on",
              "gwp_a1a3", "declared_unit", "carbon_valid_until"] + [f"ind:{k}[{u}]" if u else f"ind:{k}" for k, u in IND_COLS]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for i in range(n):
            cat, unit, inds = PROFILES[i % len(PROFILES)]
            issued = today - dt.timedelta(days=rng.randint(30, 1500))
            values = {k: g(rng) for k, _u, g in inds}
            w.writerow([f"{prefix}-{i:07d}", f"产品{i}", f"Product {i}", cat, f"品牌{i % 37}", f"M-{i % 1000}", unit,
                        f"{rng.randint(10, 99999)}.{rng.randint(0, 99):02d}", "示例建材有限公司", "一号工厂",
                        f"CGBM-{prefix}{i:08d}", "CTC", rng.randint(1, 3), "T/CECS 10026", issued.isoformat(),
                        (issued + dt.timedelta(days=1825)).isoformat(), round(rng.uniform(5, 900), 1), "1 t" if unit == "t" else unit,
                        (today + dt.timedelta(days=700)).isoformat()]
                       + [values.get(k, "") for k, _u in IND_COLS])


def to_xlsx(csv_path: str, xlsx_path: str) -> None:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("products")
    with open(csv_path, encoding="utf-8", newline="") as fh:
        for r in csv.reader(fh):
            ws.append(r)
    wb.save(xlsx_path)


def _pg_database(url: str):
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    base = make_url(url)
    name = f"gbm_bench_{secrets.token_hex(4)}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


def _server_cpu(db) -> float | None:
    """CPU seconds used so far by the PostgreSQL server processes serving this database (Linux,
    server on this machine; None otherwise): with the machine shared, this and the CPU of this
    process say more than the wall clock."""
    if db.engine.dialect.name != "postgresql":
        return None
    name = db.engine.url.database
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return None
    for pid in pids:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                cmd = fh.read().replace(b"\0", b" ").decode("utf-8", "replace")
            if not cmd.startswith("postgres: ") or f" {name} " not in f" {cmd} ":
                continue
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        except (OSError, IndexError, ValueError):
            continue
    return total


def _db_size(db) -> float:
    """Size of the database in MiB (SQLite: pages in use; PostgreSQL: pg_database_size)."""
    from sqlalchemy import text

    with db.engine.connect() as conn:
        if db.engine.dialect.name == "sqlite":
            count = conn.execute(text("PRAGMA page_count")).scalar() - conn.execute(text("PRAGMA freelist_count")).scalar()
            return count * conn.execute(text("PRAGMA page_size")).scalar() / 2**20
        return conn.execute(text("SELECT pg_database_size(current_database())")).scalar() / 2**20


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--database-url", default=None, help="PostgreSQL server URL (a scratch database is created)")
    ap.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    ap.add_argument("--partial", action="store_true", help="chunked commits (--partial mode)")
    ap.add_argument("--skip-second", action="store_true", help="do not re-import (updates)")
    ap.add_argument("--skip-change", action="store_true", help="do not import changed values for the same SKUs")
    ap.add_argument("--chunk-rows", type=int, default=None,
                    help="rows per chunk (and per commit with --partial); default: the importer's")
    args = ap.parse_args(argv)

    workdir = tempfile.mkdtemp(prefix="gbm-bench-")
    drop = None
    if args.database_url:
        db_url, drop = _pg_database(args.database_url)
        backend = "PostgreSQL"
    else:
        db_url = f"sqlite:///{workdir}/bench.db"
        backend = "SQLite"
    try:
        from flask_migrate import upgrade

        from config import Config
        from platform_app import create_app
        from core.extensions import db
        from tests.factories import make_city, make_org  # builders only; no pytest needed

        class BenchConfig(Config):
            SQLALCHEMY_DATABASE_URI = db_url
            EMBEDDED_SERVICES = False
            SEARCH_SYNC_MODE = "off"

        app = create_app(BenchConfig)
        with app.app_context():
            upgrade(revision="heads")
            from catalog.importing.runner import CHUNK_ROWS, run_import
            from catalog.standards_seed import seed_standards

            args.chunk_rows = args.chunk_rows or CHUNK_ROWS

            for code in ("nanjing", "hangzhou", "shaoxing", "huzhou", "qingdao", "foshan"):
                make_city(code)
            seed_standards()
            db.session.commit()
            supplier = make_org("supplier", name_en="Bench Supplier")

            t0 = time.perf_counter()
            src = os.path.join(workdir, "products.csv")
            generate_csv(src, args.rows)
            path = src
            if args.format == "xlsx":
                path = os.path.join(workdir, "products.xlsx")
                to_xlsx(src, path)
            gen_s = time.perf_counter() - t0
            size_mb = os.path.getsize(path) / 2**20

            warm = os.path.join(workdir, "warm.csv")
            generate_csv(warm, 1000, seed=1, prefix="W")
            run_import(warm, supplier, None, partial=args.partial)  # warm caches, imports, first allocations
            base_rss = rss_mb()

            print(f"backend: {backend}  rows: {args.rows:,}  format: {args.format}  file: {size_mb:.1f} MiB "
                  f"(generated in {gen_s:.1f} s)  mode: {'partial' if args.partial else 'all-or-nothing'}, "
                  f"{args.chunk_rows} rows per chunk; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
            runs = [("create", path)] + ([] if args.skip_second else [("update", path)])
            if not args.skip_second and not args.skip_change:
                changed = os.path.join(workdir, "changed.csv")
                generate_csv(changed, args.rows, seed=8)  # same SKUs, other prices and values
                if args.format == "xlsx":
                    to_xlsx(changed, changed + ".xlsx")
                    changed += ".xlsx"
                runs.append(("change", changed))
            for label, p in runs:
                sampler = PeakSampler()
                sampler.start()
                marks = {}

                def progress(done, total, phase, sampler=sampler, marks=marks):
                    if phase == "commit":  # peak while streaming rows, before the final commit
                        marks["before_commit"] = max(sampler.peak, rss_mb())

                t, cpu, server = time.perf_counter(), time.process_time(), _server_cpu(db)
                result = run_import(p, supplier, None, partial=args.partial, chunk_rows=args.chunk_rows,
                                    progress=progress)
                elapsed, cpu = time.perf_counter() - t, time.process_time() - cpu
                if server is not None:
                    server = _server_cpu(db) - server
                sampler.running = False
                sampler.join()
                if not result.ok:
                    print("import failed:", [str(i) for i in result.issues[:5]])
                    return 1
                print(f"{label:>6}: {result.rows:,} rows in {elapsed:.1f} s = {result.rows / elapsed:,.0f} rows/s "
                      f"(created {result.created:,}, updated {result.updated:,}, of which unchanged "
                      f"{result.unchanged:,}); peak RSS {sampler.peak:.0f} MiB "
                      f"(+{sampler.peak - base_rss:.0f} MiB over {base_rss:.0f} MiB after a 1,000-row warm-up; "
                      f"+{marks.get('before_commit', 0) - base_rss:.0f} MiB while streaming rows, before the final commit); "
                      f"CPU of this process {cpu:.1f} s"
                      + (f", of the PostgreSQL server {server:.1f} s" if server is not None else "")
                      + f" (the machine may be shared: load average {os.getloadavg()[0]:.1f})")
                tm = result.timings
                rest = tm["total"] - sum(tm[k] for k in ("scan", "check", "publish", "commit"))
                print(f"        time split: scan {tm['scan']:.1f} s, check (validate + build + verdicts, no write "
                      f"lock; of which loading existing products {tm['preload']:.1f} s"
                      + ("; new products are written meanwhile" if server is not None else "")
                      + f") {tm['check']:.1f} s, publish (database writes after the check) {tm['publish']:.1f} s, "
                      f"final audit + commit {tm['commit']:.1f} s, parsing and the rest {rest:.1f} s")
                print(f"        database size: {_db_size(db):.1f} MiB")
            print(f"max RSS of the process (getrusage): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
            db.session.remove()
            db.engine.dispose()
    finally:
        if drop:
            drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
