"""Throughput of `catalog.services.product_upsert.upsert_product` (the bulk import's inner loop).

Usage:
    .venv/bin/python bench/bench_products.py [--rows 5000] [--database-url URL]

Builds a fresh database (a temporary SQLite file, or a new PostgreSQL database created next to
URL and dropped afterwards), seeds the standards and one supplier, then upserts generated rows
in batches of 1,000 per commit: first as new products, then again with changed prices (the
re-import path). Prints rows/s for both, including verdict refresh for the six pilot cities.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _row(i: int, price: int) -> dict:
    today = dt.date.today()
    return {
        "sku": f"BENCH-{i:07d}", "name_zh": f"节能窗 {i}", "name_en": f"Window {i}", "category": "windows_doors",
        "brand": "Bench", "model_spec": f"M{i % 50}", "unit": "m2", "list_price_fen": str(price),
        "manufacturer": "Bench Co.", "plant": "Plant 1",
        "indicators": {"u_value": {"value": str(2.5 + (i % 10) / 10), "unit": "W/(m2.K)"},
                       "air_tightness_grade": "7", "water_tightness_grade": "4", "shgc": "0.35"},
        "certificate": {"number": f"CB{i:09d}", "body": "CTC", "star_grade": str(1 + i % 3), "standard": "GB/T",
                        "issued_on": (today - dt.timedelta(days=100)).isoformat(),
                        "expires_on": (today + dt.timedelta(days=1500)).isoformat()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--database-url", default=None, help="PostgreSQL server URL; default: temporary SQLite")
    args = parser.parse_args()

    admin = None
    db_name = None
    if args.database_url:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        base = make_url(args.database_url.replace("postgresql://", "postgresql+psycopg://", 1))
        db_name = f"bench_products_{secrets.token_hex(4)}"
        admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{db_name}"'))
        url = base.set(database=db_name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='bench-products-')}/bench.db"
    os.environ["EMBEDDED_SERVICES"] = "0"
    os.environ["SEARCH_SYNC_MODE"] = "off"

    from flask_migrate import upgrade

    from config import TestConfig
    from platform_app import create_app

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        EMBEDDED_SERVICES = False

    app = create_app(Config)
    try:
        with app.app_context():
            upgrade(revision="heads")
            _run(args.rows, app)
    finally:
        if admin is not None:
            from sqlalchemy import text

            from core.extensions import db

            with app.app_context():
                db.engine.dispose()
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}"'))
            admin.dispose()


def _run(rows: int, app) -> None:
    from catalog.services.product_bulk import make_upsert_context
    from catalog.services.product_upsert import upsert_product
    from catalog.standards_seed import seed_standards
    from core import roles as R
    from core import uscc
    from core.demo import PILOT_CITIES
    from core.extensions import db
    from core.models import City, Organisation

    for code, name_en, name_zh, province, zone, _region in PILOT_CITIES:
        db.session.add(City(code=code, name_en=name_en, name_zh=name_zh, province_en=province, climate_zone=zone))
    supplier = Organisation(kind=R.ORG_SUPPLIER, name_en="Bench supplier", name_zh="基准供应商",
                            credit_code=uscc.generate(random.Random(1)), status="verified")
    db.session.add(supplier)
    seed_standards()
    db.session.commit()

    backend = db.engine.dialect.name
    supplier_id = supplier.id
    chunk = 1000
    rules_cache: dict = {}  # pure rules and version ids: safe to keep across sessions
    for label, price in (("create", 10000), ("re-import (update)", 12000)):
        start = time.perf_counter()
        for first in range(0, rows, chunk):
            batch = [_row(i, price) for i in range(first, min(rows, first + chunk))]
            ctx = make_upsert_context(supplier, preload_products=False)
            ctx.rules_cache = rules_cache
            ctx.preload(r["sku"] for r in batch)
            for row in batch:
                upsert_product(supplier, row, None, audit=False, context=ctx)
            db.session.commit()
            # Bounded memory: forget the chunk's rows.
            db.session.expunge_all()
            supplier = db.session.get(Organisation, supplier_id)
        elapsed = time.perf_counter() - start
        print(f"{backend}: upsert_product {label}: {rows} rows in {elapsed:.2f} s = {rows / elapsed:,.0f} rows/s "
              f"(validation + 6 city verdicts + database)")
        db.session.expunge_all()
        supplier = db.session.get(Organisation, supplier_id)


if __name__ == "__main__":
    main()
