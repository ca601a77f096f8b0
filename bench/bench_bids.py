"""The bid storm: 1,000 sealed bids from 200 suppliers in the last 10 seconds before a deadline,
over HTTP against the production server (gunicorn, `APP_ENV=production`) on PostgreSQL.

    .venv/bin/python bench/bench_bids.py --database-url postgresql://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/bench_bids.py --database-url ... --workers 2 --threads 4 --worker-class gthread

What it does:
- builds a fresh database (real migrations, demo seed), gives `--suppliers` verified firms one
  listed compliant product each and an API token, and publishes two tenders with opening keys
  (one for the storm, one for the calibration);
- starts gunicorn (`--workers` processes x `--threads` threads, `--worker-class`, `--keep-alive`,
  `--preload`) on the same database and waits for it;
- **calibration**: warms every worker, then sends `--calibrate` submissions one at a time (no
  queueing) to the second tender and measures the CPU each costs the server and PostgreSQL: the
  figure to compare code changes with, since it hardly depends on the machine's other load;
- **storm**: moves the first tender's deadline to `--window` seconds from now (+ a small lead-in)
  and fires `--bids` submissions **open-loop**, spread evenly over the window, from an asyncio
  client (aiohttp, one connection pool; a firm's bids are its first bid and then replacements
  naming the previous one, so a firm's requests are in order), resends some requests with the
  same `Idempotency-Key` (a client retry: must return the same bid) and sends `--late` extra bids
  in the 300 ms after the deadline (must all be refused);
- checks the database afterwards: every 201 answered is stored (0 lost), nothing stored was not
  answered, no bid was received at or after the deadline (0 accepted late), no request id made
  two bids (0 duplicated).

Prints the figures (latency percentiles per submission, throughput, refusals, errors; CPU per
request of gunicorn, of this database's PostgreSQL backends, of PostgreSQL's shared background
processes and of the client; the load average) and the share of a submission spent on
cryptography (sealing the contents to the tender's X25519 key and signing the Ed25519 receipt,
timed on the same payloads in this process). Figures are printed, never asserted. The load
generator, PostgreSQL and the server share this machine's cores.

The server runs without the search outbox dispatcher (`SEARCH_SYNC_MODE=off`): search is not
configured here, and its retries of the demo seed's outbox rows every 2 s in every worker would
be noise a production instance with its search engine up does not have. Bids write no outbox rows.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_bids_client import cpu_seconds, percentile, calibrate, storm  # noqa: E402
from bench_projects import _database  # noqa: E402  (the one way benches make a throw-away database)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url", help="PostgreSQL base URL (a throw-away database is made on it)")
    ap.add_argument("--bids", type=int, default=1000)
    ap.add_argument("--suppliers", type=int, default=200)
    ap.add_argument("--window", type=float, default=10.0, help="seconds before the deadline the bids spread over")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    ap.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (gthread)")
    ap.add_argument("--worker-class", default="gthread", choices=("gthread", "sync"),
                    help="gunicorn worker class (sync: one request at a time per worker, no keep-alive)")
    ap.add_argument("--keep-alive", type=int, default=5, help="gunicorn keep-alive seconds (gthread)")
    ap.add_argument("--preload", action="store_true", help="gunicorn --preload (load the app before forking)")
    ap.add_argument("--calibrate", type=int, default=200,
                    help="submissions sent one at a time before the storm to measure CPU per request (0: none)")
    ap.add_argument("--retries", type=int, default=50, help="requests resent with the same request id")
    ap.add_argument("--late", type=int, default=50, help="bids sent in the 300 ms after the deadline")
    args = ap.parse_args()
    if not (args.database_url or "").startswith("postgres"):
        sys.exit("bench_bids: pass --database-url postgresql://... (the storm is measured on PostgreSQL)")
    url, drop = _database(args.database_url)
    try:
        run(url, args)
    finally:
        if drop:
            drop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(url: str, n_suppliers: int, signing_key: str):
    """The database with the demo, the bidding firms (token, product each) and two published
    tenders (storm, calibration). Returns (app, [(tender id, lot id)] * 2, [(token, product id)],
    the storm tender's opening public key)."""
    from flask_migrate import upgrade

    from config import Config
    from platform_app import create_app

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = url
        TESTING = False
        MAIL_DELIVERY = "off"
        EMBEDDED_SERVICES = False
        AUDIT_SIGNING_KEY = signing_key

    app = create_app(BenchConfig, process="cli")
    with app.app_context():
        import datetime as dt

        from sqlalchemy import select

        from catalog.interface import find_category
        from catalog.models.products import Product, ProductIndicatorValue, ProductVerdict
        from core import roles as R
        from core.api import create_token
        from core.demo import seed_all
        from core.extensions import db
        from core.models import City, Organisation, User, UserRole
        from core.services import unit_of_work
        from core.timeutil import utcnow
        from procurement.bids import opening_keys
        from procurement.profiles.services import profile_for
        from procurement.tendering.models import Lot, Tender

        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        t = time.perf_counter()
        seed_all()
        print(f"demo seed: {time.perf_counter() - t:,.1f} s")
        city = db.session.execute(select(City).where(City.code == "nanjing")).scalar_one()
        centre = db.session.execute(select(Organisation).where(Organisation.kind == R.ORG_CENTRE,
                                                               Organisation.city_id == city.id)).scalars().first()
        concrete = find_category("ready_mixed_concrete")
        firms = []
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
            db.session.commit()
            _, token = create_token(user, "bid storm")
            firms.append((token, product.id))
        far = utcnow() + dt.timedelta(hours=2)
        places, keys = [], []
        for number in (1, 2):
            tender = Tender(reference=f"T-BENCH-000{number}", title="Bid storm", city_id=city.id,
                            centre_org_id=centre.id, method="public_tender", track="gpl", status="published",
                            profile_id=profile_for("public_tender", "gpl", city.id).id, bid_deadline_at=far,
                            clarification_cutoff_at=far - dt.timedelta(days=15), published_at=utcnow())
            tender.lots.append(Lot(number=1, title="Lot 1", category_id=concrete.id, specification="C30", unit="m3",
                                   quantity_milli=100_000, ceiling_fen=50_000_000, bond_fen=0, requirements=[]))
            db.session.add(tender)
            db.session.commit()
            with unit_of_work():
                keys.append(opening_keys.create_opening_key(tender).public_key)
            places.append((tender.id, tender.lots[0].id))
        return app, places, firms, keys[0]


def crypto_cost(app, public_key: str, n: int) -> float:
    """Seconds per bid spent sealing a bid's contents and signing its receipt (same shapes)."""
    from procurement.bids import commitments, sealing

    with app.app_context():
        start = time.perf_counter()
        for i in range(n):
            envelope = sealing.seal({"tender": "T-BENCH-0001", "lot": 1, "supplier_org": i, "product_id": i,
                                     "unit_price_fen": 40_000 - i, "total_fen": 4_000_000 - 100 * i,
                                     "documents": []}, public_key)
            commitments.sign({"action": "submitted", "bid": i, "tender": "T-BENCH-0001", "lot": 1, "sequence": 1,
                              "sha256": sealing.sha256_hex(envelope), "received_at": "2026-12-03T00:00:00.000Z"})
        return (time.perf_counter() - start) / n


def start_server(url: str, port: int, args, signing_key: str) -> subprocess.Popen:
    env = dict(os.environ, APP_ENV="production", DATABASE_URL=url, SECRET_KEY=secrets.token_hex(32),
               AUDIT_SIGNING_KEY=signing_key, EMBEDDED_SERVICES="0", JOBS_BACKEND="thread",
               MAIL_DELIVERY="off", SESSION_COOKIE_SECURE="0", CHRONOGRAPH_INTERVAL="0", SEARCH_SYNC_MODE="off")
    cmd = [str(ROOT / ".venv/bin/gunicorn"), "--workers", str(args.workers), "--worker-class", args.worker_class,
           "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--chdir", str(ROOT)]
    if args.worker_class == "gthread":
        cmd += ["--threads", str(args.threads), "--keep-alive", str(args.keep_alive)]
    if args.preload:
        cmd.append("--preload")
    server = subprocess.Popen(cmd + ["wsgi:app"], env=env, cwd=ROOT)
    import requests

    for _ in range(600):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code in (200, 503):
                return server
        except requests.RequestException:
            pass
        if server.poll() is not None:
            sys.exit("bench_bids: gunicorn exited")
        time.sleep(0.1)
    server.terminate()
    sys.exit("bench_bids: gunicorn did not answer /healthz within 60 s")


def _load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def run(url: str, args) -> None:
    import datetime as dt

    signing_key = base64.b64encode(secrets.token_bytes(32)).decode()
    database = url.rsplit("/", 1)[1].split("?")[0]
    app, places, firms, public_key = prepare(url, args.suppliers, signing_key)
    per_bid_crypto = crypto_cost(app, public_key, 300)
    port = _free_port()
    server = start_server(url, port, args, signing_key)
    base = f"http://127.0.0.1:{port}"
    endpoint = f"{base}/api/v1/tenders/{places[0][0]}/lots/{places[0][1]}/bids"
    try:
        load_before_calibration = _load()
        calibration = asyncio.run(calibrate(args, base, places[1], firms, database))
        with app.app_context():
            from core.extensions import db
            from core.timeutil import utcnow
            from procurement.tendering.models import Tender

            lead_in = 1.0
            deadline = utcnow() + dt.timedelta(seconds=args.window + lead_in)
            db.session.get(Tender, places[0][0]).bid_deadline_at = deadline
            db.session.commit()
        t_deadline = time.perf_counter() + args.window + lead_in
        t_start = t_deadline - args.window
        load_before = _load()
        cpu_before, client_before = cpu_seconds(database), sum(os.times()[:2])
        results, late_results, refusals = asyncio.run(storm(args, endpoint, firms, t_start, t_deadline))
        wall = time.perf_counter() - t_start
        cpu_after, client_after = cpu_seconds(database), sum(os.times()[:2])
        load_after = _load()
        cpu = {name: cpu_after[name] - cpu_before[name] for name in cpu_after}
        cpu["client"] = client_after - client_before

        with app.app_context():
            from sqlalchemy import func, select

            from core.extensions import db
            from procurement.bids.models import Bid

            tender_id = places[0][0]
            rows = db.session.execute(select(Bid.id, Bid.idempotency_key, Bid.received_at)
                                      .where(Bid.tender_id == tender_id)).all()
            dupes = db.session.execute(select(func.count()).select_from(
                select(Bid.supplier_org_id, Bid.idempotency_key).where(Bid.tender_id == tender_id)
                .group_by(Bid.supplier_org_id, Bid.idempotency_key).having(func.count() > 1).subquery())).scalar()
    finally:
        server.terminate()
        server.wait(timeout=30)
    report(args, firms, results, late_results, refusals, rows, dupes, deadline, wall, cpu, calibration,
           per_bid_crypto, (load_before_calibration, load_before, load_after))


def report(args, firms, results, late_results, refusals, rows, dupes, deadline, wall, cpu, calibration,
           per_bid_crypto, loads) -> None:
    first = [r for r in results if not r[0].endswith("/retry")]
    retries = [r for r in results if r[0].endswith("/retry")]
    accepted = {r[3] for r in first if r[1] == 201}
    stored = {row[0] for row in rows}
    stored_late = sum(1 for row in rows if row[2] >= deadline)
    latencies = [r[2] for r in first]
    statuses = collections.Counter(r[1] for r in first)
    retry_ok = sum(1 for r in retries if r[1] == 200 and r[3] in accepted)
    late_statuses = collections.Counter(late_results)
    median = statistics.median(latencies)
    shape = (f"{args.workers} workers x {args.threads} threads (gthread, keep-alive {args.keep_alive} s)"
             if args.worker_class == "gthread" else f"{args.workers} sync workers")
    print(f"server: gunicorn {shape}{', preload' if args.preload else ''}, PostgreSQL; client, server and "
          f"database share {os.cpu_count()} cores")
    print(f"machine load: before calibration {loads[0]}; before the storm {loads[1]}; after it {loads[2]}")
    if calibration:
        c = calibration["cpu"]
        print(f"calibration ({args.calibrate} submissions one at a time, no queueing): CPU per request gunicorn "
              f"{c['gunicorn'] * 1000:.1f} ms, postgres {c['postgres'] * 1000:.1f} ms (+ shared "
              f"{c['postgres shared'] * 1000:.1f} ms), client {c['client'] * 1000:.1f} ms; latency median "
              f"{calibration['median'] * 1000:.1f} ms, p99 {calibration['p99'] * 1000:.1f} ms")
    print(f"storm: {args.bids:,} bids from {len(firms)} firms over the last {args.window:g} s "
          f"(open loop, {args.bids / args.window:,.0f} bids/s offered); finished {wall - args.window:+.2f} s "
          f"after the deadline")
    print(f"answers: {dict(sorted(statuses.items(), key=str))}")
    for message, count in refusals.most_common(3):
        print(f"  refused {count} x: {message}")
    print(f"latency per submission: p50 {median * 1000:,.0f} ms, p95 {percentile(latencies, 95) * 1000:,.0f} ms, "
          f"p99 {percentile(latencies, 99) * 1000:,.0f} ms, max {max(latencies) * 1000:,.0f} ms")
    print(f"lost (answered 201, not stored): {len(accepted - stored)}; stored but never answered 201: "
          f"{len(stored - accepted)}; accepted at or after the deadline: {stored_late}; "
          f"request ids with two bids: {dupes}")
    print(f"client retries with the same request id: {len(retries)}, {retry_ok} answered 200 with the same bid")
    print(f"late bids (300 ms after the deadline): {dict(sorted(late_statuses.items(), key=str))}")
    sent = len(results) + len(late_results)
    print("CPU per request during the storm: " + ", ".join(
        f"{name} {seconds / sent * 1000:.1f} ms" for name, seconds in cpu.items())
        + f" (total {sum(cpu.values()):.1f} s of the {os.cpu_count()} cores' {wall * os.cpu_count():.1f} s)")
    server_cpu = calibration["cpu"]["gunicorn"] if calibration else cpu["gunicorn"] / sent
    print(f"cryptography per bid (seal X25519 + sign Ed25519): {per_bid_crypto * 1000:.2f} ms = "
          f"{per_bid_crypto / server_cpu:.1%} of the server's CPU per submission, "
          f"{per_bid_crypto / median:.2%} of the median storm latency")


if __name__ == "__main__":
    main()
