"""The bid storm: many suppliers bidding in the last seconds before a deadline, through the real
submission use case (product check, sealing, receipt signing, one transaction each).

    .venv/bin/python bench/bench_bids.py                                   # SQLite (temporary file)
    .venv/bin/python bench/bench_bids.py --database-url postgresql://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/bench_bids.py --bids 1000 --suppliers 200 --threads 16

Builds a fresh database (real migrations, demo seed), gives `--suppliers` verified firms one
listed compliant concrete product each, publishes a tender directly with its opening key, then
`--threads` workers submit `--bids` bids (each firm's first bid, then replacements) as fast as they
can. Prints the wall time (the storm is meant to fit in the last 10 s), throughput, p50/p95/p99
latency per submission, and the share of the time spent sealing and signing. Figures are printed,
never asserted.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("EMBEDDED_SERVICES", "0")

from bench_projects import _database


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bids", type=int, default=1000)
    ap.add_argument("--suppliers", type=int, default=200)
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--database-url")
    args = ap.parse_args()
    url, drop = _database(args.database_url)
    try:
        run(url, args.bids, args.suppliers, args.threads)
    finally:
        if drop:
            drop()


def _pct(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(url: str, n_bids: int, n_suppliers: int, n_threads: int) -> None:
    import base64
    import datetime as dt
    import secrets

    from flask_migrate import upgrade

    from config import Config
    from platform_app import create_app

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = url
        SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": n_threads + 2, "max_overflow": 4} if url.startswith("postgresql") \
            else {}
        TESTING = False
        MAIL_DELIVERY = "off"
        AUDIT_SIGNING_KEY = base64.b64encode(secrets.token_bytes(32)).decode()

    app = create_app(BenchConfig, process="cli")
    with app.app_context():
        from sqlalchemy import func, select

        from catalog.interface import find_category
        from catalog.models.products import (
            Product,
            ProductIndicatorValue,
            ProductVerdict,
        )
        from core import roles as R
        from core.demo import seed_all
        from core.extensions import db
        from core.models import City, Organisation, User, UserRole
        from core.services import unit_of_work
        from core.timeutil import utcnow
        from procurement.bids import commitments, sealing, services
        from procurement.bids.models import Bid
        from procurement.profiles.services import profile_for
        from procurement.tendering.models import Lot, Tender

        upgrade(directory=str(ROOT / "migrations"))
        t = time.perf_counter()
        seed_all()
        print(f"demo seed: {time.perf_counter() - t:,.1f} s")
        city = db.session.execute(select(City).where(City.code == "nanjing")).scalar_one()
        centre = db.session.execute(select(Organisation).where(Organisation.kind == R.ORG_CENTRE,
                                                               Organisation.city_id == city.id)).scalars().first()
        concrete = find_category("ready_mixed_concrete")
        users, products = [], []
        for i in range(n_suppliers):
            org = Organisation(kind=R.ORG_SUPPLIER, name_en=f"Bench supplier {i}", name_zh=f"压测供应商{i}",
                               status="verified")
            db.session.add(org)
            db.session.flush()
            user = User(email=f"bench-bidder-{i}@example.test", name=f"Bidder {i}", password_hash="x",
                        organisation_id=org.id, roles=[UserRole(role=R.SUPPLIER)])
            product = Product(supplier_id=org.id, sku=f"BENCH-{i}", name_en=f"Concrete {i}", name_zh=f"混凝土{i}",
                              category_id=concrete.id, unit="m3", list_price_fen=40_000, status="listed")
            product.indicator_values.append(ProductIndicatorValue(key="radionuclide_ira", value_num=0.6, unit=""))
            db.session.add_all([user, product])
            db.session.flush()
            db.session.add(ProductVerdict(product_id=product.id, city_id=city.id, verdict="pass", details={}))
            users.append(user.id)
            products.append(product.id)
        deadline = utcnow() + dt.timedelta(minutes=30)
        tender = Tender(reference="T-BENCH-0001", title="Bid storm", city_id=city.id, centre_org_id=centre.id,
                        method="public_tender", track="gpl", status="published",
                        profile_id=profile_for("public_tender", "gpl", city.id).id, bid_deadline_at=deadline,
                        clarification_cutoff_at=deadline - dt.timedelta(days=15), published_at=utcnow())
        tender.lots.append(Lot(number=1, title="Lot 1", category_id=concrete.id, specification="C30", unit="m3",
                               quantity_milli=100_000, ceiling_fen=50_000_000, bond_fen=0, requirements=[]))
        db.session.add(tender)
        db.session.commit()
        with unit_of_work():
            services.create_opening_key(tender)
        tender_id, lot_id = tender.id, tender.lots[0].id

    timings: list[float] = []
    sealing_time = [0.0]
    signing_time = [0.0]
    lock = threading.Lock()
    real_seal, real_sign = sealing.seal, commitments.sign

    def timed_seal(*a, **kw):
        t0 = time.perf_counter()
        try:
            return real_seal(*a, **kw)
        finally:
            with lock:
                sealing_time[0] += time.perf_counter() - t0

    def timed_sign(*a, **kw):
        t0 = time.perf_counter()
        try:
            return real_sign(*a, **kw)
        finally:
            with lock:
                signing_time[0] += time.perf_counter() - t0

    sealing.seal, commitments.sign = timed_seal, timed_sign
    current = {}
    errors: list[str] = []
    per_firm = max(1, n_bids // n_suppliers)
    # Each worker takes whole firms in turn so one firm's replacements stay in order.
    plan = [(i % n_suppliers) for i in range(n_bids)]
    queues = [[] for _ in range(n_threads)]
    for n, firm in enumerate(plan):
        queues[firm % n_threads].append((n, firm))

    def worker(queue):
        with app.app_context():
            for n, firm in queue:
                user = db.session.get(User, users[firm])
                t0 = time.perf_counter()
                try:
                    result = services.submit(user, tender_id, lot_id,
                                             {"product_id": products[firm], "unit_price_fen": 40_000 - n},
                                             idempotency_key=f"bench-{n:08d}", replaces=current.get(firm))
                    current[firm] = result.bid.id
                except Exception as exc:  # noqa: BLE001  (counted and shown)
                    errors.append(repr(exc)[:200])
                finally:
                    db.session.remove()
                with lock:
                    timings.append(time.perf_counter() - t0)

    start = time.perf_counter()
    with ThreadPoolExecutor(n_threads) as pool:
        list(pool.map(worker, queues))
    wall = time.perf_counter() - start
    with app.app_context():
        stored = db.session.execute(select(func.count(Bid.id))).scalar()
    busy = sum(timings)
    print(f"database: {url.split('://')[0]}; {n_bids:,} bids from {n_suppliers} firms ({per_firm} each), "
          f"{n_threads} threads")
    print(f"wall: {wall:,.2f} s ({'fits' if wall <= 10 else 'does NOT fit'} in the last 10 s) = "
          f"{n_bids / wall:,.0f} bids/s; stored {stored:,} bid rows; errors {len(errors)}")
    print(f"latency per submission: p50 {statistics.median(timings) * 1000:,.1f} ms, "
          f"p95 {_pct(timings, 95) * 1000:,.1f} ms, p99 {_pct(timings, 99) * 1000:,.1f} ms, "
          f"max {max(timings) * 1000:,.1f} ms")
    print(f"sealing (X25519 sealed box): {sealing_time[0] * 1000:,.0f} ms = {sealing_time[0] / busy:.1%} of the "
          f"submission time; signing receipts (Ed25519): {signing_time[0] * 1000:,.0f} ms = "
          f"{signing_time[0] / busy:.1%}")
    for line in sorted(set(errors))[:5]:
        print("  error:", line)


if __name__ == "__main__":
    main()
