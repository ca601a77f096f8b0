"""Search benchmark: facet query shapes old vs new, API latency against the targets, freshness, reindex.

Usage:
    .venv/bin/python bench/bench_search.py [--products 12000] [--requests 60] [--rounds 40] [--changes 60]
                                            [--database-url postgresql://...]

What it does and prints:

1. builds a fresh database (temporary SQLite, or a new PostgreSQL database next to URL, dropped
   afterwards) and fills it with generated products (certificates, carbon, fire class, verdicts in
   the six pilot cities) using plain INSERTs;
2. starts the embedded engine (osmem-server) and runs the real reindex (`catalog.search.indexer`):
   prints documents/s and the index size;
3. query shapes, in-process on the same index: each request is run with the former facet shape
   (every facet wrapped in its own filter, no browse cache) and the current one (shared wrappers,
   none without a selection, one `facet_tokens` aggregation, cached browse facets), interleaved in
   random order; prints p50/p95 per kind of search and the new/old ratio of the medians;
4. freshness in the embedded default (outbox + in-process dispatcher thread): commits product
   changes through the ORM and times commit -> searchable; prints p50/p95 (target p95 < 1 s);
5. serves the app with gunicorn on loopback and fires searches at `GET /api/v1/products/search`
   with concurrency 1 and 8, per kind: prints API p50/p95 next to the engine's own `took`, and the
   targets at the national catalogue's size (12,000 products): text search with facets p50 <= 60 ms,
   browse p50 <= 80 ms.

Kinds of search: `text` (text, facets, sometimes a selection), `browse` (no text, no selection:
the search page as first opened, any sort or page), `filtered` (no text, one or more selections).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS_EN = ["concrete", "membrane", "waterproof", "gypsum", "board", "window", "glass", "brick", "tile", "pipe",
            "coating", "sealant", "insulation", "panel", "steel", "timber", "mortar", "LED", "pump", "valve"]
WORDS_ZH = ["混凝土", "防水卷材", "石膏板", "节能玻璃", "砌块", "涂料", "密封胶", "保温", "管材", "阀门"]
FIRE = ["A", "B1", "B2", "B3"]


def pct(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def generate(app, n: int, seed: int = 42) -> None:
    """Insert n products with evidence using Core INSERTs in batches (no ORM events: the bench
    then builds the index with the real reindex)."""
    from catalog.models import (CarbonDeclaration, Category, CategoryGroup, Certificate, Product,
                                ProductIndicatorValue, ProductVerdict)
    from catalog.standards_seed import load_json
    from core import roles as R
    from core import uscc
    from core.demo import PILOT_CITIES
    from core.extensions import db
    from core.models import City, Organisation
    from core.timeutil import utcnow

    rng = random.Random(seed)
    data = load_json("categories.json")
    with db.engine.begin() as conn:
        conn.execute(City.__table__.insert(), [
            {"code": c, "name_en": en, "name_zh": zh, "province_en": prov, "climate_zone": zone}
            for c, en, zh, prov, zone, _r in PILOT_CITIES])
        conn.execute(CategoryGroup.__table__.insert(), [
            {"code": g["code"], "name_en": g["name_en"], "name_zh": g["name_zh"], "position": g["position"]}
            for g in data["groups"]])
        group_ids = dict(conn.execute(db.select(CategoryGroup.code, CategoryGroup.id)).all())
        now = utcnow()
        conn.execute(Category.__table__.insert(), [
            {"code": c["code"], "group_id": group_ids[c["group"]], "name_en": c["name_en"], "name_zh": c["name_zh"],
             "default_unit": c.get("default_unit", ""), "position": c["position"], "updated_at": now}
            for c in data["categories"]])
        cats = conn.execute(db.select(Category.id, Category.name_en, Category.name_zh, Category.default_unit)).all()
        conn.execute(Organisation.__table__.insert(), [
            {"kind": R.ORG_SUPPLIER, "name_en": f"Supplier {i}", "name_zh": f"供应商{i}", "status": "verified",
             "credit_code": uscc.generate(random.Random(f"bench-{i}"))} for i in range(200)])
        suppliers = conn.execute(db.select(Organisation.id)).scalars().all()
        cities = conn.execute(db.select(City.id)).scalars().all()
    today = dt.date.today()
    batch = 5000
    start = time.perf_counter()
    for first in range(1, n + 1, batch):
        last = min(n, first + batch - 1)
        products, certs, carbon, fire, verdicts = [], [], [], [], []
        now = utcnow()
        for i in range(first, last + 1):
            cid, cen, czh, unit = rng.choice(cats)
            products.append({
                "id": i, "supplier_id": rng.choice(suppliers), "sku": f"B-{i:07d}",
                "name_zh": f"{czh} {rng.choice(WORDS_ZH)} {i}", "name_en": f"{cen} {rng.choice(WORDS_EN)} {i}",
                "category_id": cid, "brand": rng.choice(["Haiwan", "Dongfang", "Keshun", "Beixin", "Oriental"]),
                "model_spec": f"M-{i % 997}", "unit": unit or "pc", "list_price_fen": rng.randint(100, 50_000_000),
                "manufacturer": f"Factory {i % 311}", "plant": "", "description": f"{cen} for public buildings",
                "status": rng.choice(["listed"] * 8 + ["draft", "suspended"]), "created_at": now, "updated_at": now})
            expires = today + dt.timedelta(days=rng.choice([rng.randint(10, 89), rng.randint(100, 1800)]))
            certs.append({"product_id": i, "number": f"CGBM{i:08d}", "body": "CTC", "star_grade": rng.randint(1, 3),
                          "standard": "", "issued_on": expires - dt.timedelta(days=1800), "expires_on": expires,
                          "status": rng.choice(["valid"] * 9 + ["revoked"])})
            if rng.random() < 0.7:
                carbon.append({"product_id": i, "declared_unit": "m3", "gwp_a1a3": round(rng.uniform(0.1, 2000), 2),
                               "program_operator": "", "created_at": now})
            if rng.random() < 0.5:
                fire.append({"product_id": i, "key": "fire_class", "value_text": rng.choice(FIRE), "unit": ""})
            for city in cities:
                verdicts.append({"product_id": i, "city_id": city, "verdict": rng.choice(["pass", "pass", "fail", "incomplete"]),
                                 "details": {}, "evaluated_at": now})
        with db.engine.begin() as conn:
            conn.execute(Product.__table__.insert(), products)
            conn.execute(Certificate.__table__.insert(), certs)
            if carbon:
                conn.execute(CarbonDeclaration.__table__.insert(), carbon)
            if fire:
                conn.execute(ProductIndicatorValue.__table__.insert(), fire)
            conn.execute(ProductVerdict.__table__.insert(), verdicts)
        print(f"\r  generated {last:,} / {n:,} products", end="", flush=True)
    print(f"\n  generation took {time.perf_counter() - start:.1f} s")


KINDS = ("text", "browse", "filtered")


def _selections(rng: random.Random, q: dict, at_least_one: bool) -> dict:
    while True:
        if rng.random() < 0.4:
            q["city"] = rng.choice(["nanjing", "hangzhou", "qingdao", "foshan"])
        if rng.random() < 0.3:
            q["stars"] = str(rng.randint(1, 3))
        if rng.random() < 0.2:
            q["price_max"] = str(rng.choice([100_000, 1_000_000, 10_000_000]))
        if rng.random() < 0.15:
            q["fire_class"] = rng.choice(FIRE)
        if rng.random() < 0.1:
            q["expiring"] = "1"
        if not at_least_one or set(q) & {"city", "stars", "price_max", "fire_class", "expiring"}:
            return q


def random_query(rng: random.Random, kind: str) -> dict:
    """Query-string arguments of one search of the given kind."""
    q: dict = {}
    if kind == "text":
        q["q"] = rng.choice(WORDS_EN) if rng.random() < 0.6 else rng.choice(WORDS_ZH)
        _selections(rng, q, at_least_one=False)
        q["sort"] = rng.choice(["relevance"] * 4 + ["price_asc", "stars", "gwp", "newest"])
    elif kind == "browse":
        q["sort"] = rng.choice(["relevance", "newest", "price_asc", "stars", "gwp"])
        if rng.random() < 0.3:
            q["page"] = str(rng.randint(2, 5))
    else:
        _selections(rng, q, at_least_one=True)
        q["sort"] = rng.choice(["relevance", "newest", "price_asc", "stars", "gwp"])
    return q


def engine_cpu_ms() -> float:
    """CPU time the embedded engine process has used so far (user + system, all threads): what a
    search costs the engine, much less disturbed by other jobs on a shared machine than wall time."""
    from core import embedded

    server = embedded._started.get("search")
    if server is None:
        return float("nan")
    with open(f"/proc/{server.pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def shapes(app, rounds: int, seed: int, cpu_rounds: int = 15) -> dict:
    """In-process, same index: the former and the current query shape on the same requests.

    Wall time: old and new interleaved in random order (so both see the same load). Engine CPU:
    the first `cpu_rounds` requests again, all old then all new, a pause before each block (the
    engine's garbage collector works on after answering; in one block it bills the same shape).
    Returns {kind: (old ms list, new ms list, old CPU ms per search, new CPU ms per search)} and
    checks that both shapes give the same totals."""
    from catalog.search import service
    from catalog.search.params import parse_search_args

    rng = random.Random(seed)
    out: dict = {}
    for kind in KINDS:
        old, new = [], []
        requests = [parse_search_args(random_query(rng, kind)) for _ in range(rounds)]
        service.browse_facets().forget()
        for req in requests:
            order = [True, False]
            rng.shuffle(order)
            totals = {}
            for legacy in order:
                t0 = time.perf_counter()
                result = service.search(req, legacy=legacy)
                (old if legacy else new).append((time.perf_counter() - t0) * 1000)
                totals[legacy] = result.total
            if totals[True] != totals[False]:
                raise AssertionError(f"old and new shape disagree on {req}: {totals}")
        cpu = {True: float("nan"), False: float("nan")}
        service.browse_facets().forget()
        for legacy in ((True, False) if cpu_rounds else ()):
            time.sleep(2)
            c0 = engine_cpu_ms()
            for req in requests[:cpu_rounds]:
                service.search(req, legacy=legacy)
            cpu[legacy] = (engine_cpu_ms() - c0) / min(cpu_rounds, len(requests))
        out[kind] = (old, new, cpu[True], cpu[False])
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def latency(base: str, concurrency: int, requests: int, seed: int, kind: str) -> tuple[list[float], list[float], int]:
    """Fire `requests` searches of one kind from `concurrency` threads; returns (api ms, took ms, errors)."""
    rng = random.Random(seed)
    queries = [random_query(rng, kind) for _ in range(requests)]
    api, took, errors = [], [], [0]
    lock = threading.Lock()
    it = iter(queries)

    def worker():
        while True:
            with lock:
                q = next(it, None)
            if q is None:
                return
            url = f"{base}/api/v1/products/search?{urllib.parse.urlencode(q)}"
            t0 = time.perf_counter()
            try:
                with urllib.request.urlopen(url, timeout=30) as resp:
                    body = json.loads(resp.read())
            except Exception:
                with lock:
                    errors[0] += 1
                continue
            ms = (time.perf_counter() - t0) * 1000
            with lock:
                api.append(ms)
                took.append(float(body["took"]))

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return api, took, errors[0]


def freshness(app, changes: int, seed: int) -> tuple[list[float], int]:
    """Seconds from a committed change (ORM + outbox + dispatcher thread) to it being searchable.

    "Searchable" is the moment the delivery's bulk call with refresh=wait_for returned (the
    engine guarantees visibility then); each change is then confirmed by a real search. Timing
    by polling alone would mostly measure how long one search takes on this engine.
    Returns (seconds per change, how many were confirmed by search)."""
    from catalog.models import Product
    from catalog.search import sync
    from catalog.search.engine import search_engine
    from core.extensions import db

    rng = random.Random(seed)
    delivered: dict[int, float] = {}
    done = threading.Event()
    watching = {"pid": None}

    def listener(ids):
        if watching["pid"] in ids:
            delivered[watching["pid"]] = time.perf_counter()
            done.set()

    sync.DELIVERY_LISTENERS.append(listener)
    out, confirmed = [], 0
    try:
        for _ in range(changes):
            pid = rng.randint(1, 1000)
            token = f"fresh{secrets.token_hex(4)}"
            p = db.session.get(Product, pid)
            p.name_en = f"{token} {p.name_en}"
            done.clear()
            watching["pid"] = pid
            db.session.commit()
            t0 = time.perf_counter()
            if not done.wait(30):
                out.append(float("inf"))
                continue
            out.append(delivered[pid] - t0)
            hits = search_engine.search({"query": {"bool": {"filter": [{"term": {"product_id": pid}}],
                                                            "must": [{"match": {"name_en": token}}]}},
                                         "size": 1, "_source": False})["hits"]["hits"]
            confirmed += bool(hits)
            db.session.remove()
    finally:
        sync.DELIVERY_LISTENERS.remove(listener)
    return out, confirmed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=12_000)
    parser.add_argument("--requests", type=int, default=60, help="API searches per kind and concurrency level")
    parser.add_argument("--rounds", type=int, default=30, help="requests per kind in the old/new shape comparison")
    parser.add_argument("--changes", type=int, default=60, help="changes timed for freshness")
    parser.add_argument("--database-url", default=None, help="PostgreSQL server URL; default: temporary SQLite")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (threads: 4 each)")
    args = parser.parse_args()

    admin = db_name = None
    if args.database_url:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        base = make_url(args.database_url.replace("postgresql://", "postgresql+psycopg://", 1))
        db_name = f"bench_search_{secrets.token_hex(4)}"
        admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{db_name}"'))
        url = base.set(database=db_name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='bench-search-')}/bench.db"

    # Embedded search engine, no payments; no start-up build (the bench times reindex itself).
    os.environ.pop("ELASTICSEARCH_URL", None)
    os.environ["STRIPE_SECRET_KEY"] = os.environ.get("STRIPE_SECRET_KEY", "sk_test_bench_unused")
    os.environ["SEARCH_REINDEX_ON_START"] = "0"
    os.environ["SEARCH_SYNC_MODE"] = "thread"
    os.environ.setdefault("SECRET_KEY", secrets.token_hex(16))

    from flask_migrate import upgrade

    from config import Config
    from platform_app import create_app

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = url
        STRIPE_SECRET_KEY = "sk_test_bench_unused"
        ELASTICSEARCH_TIMEOUT = 120.0  # the former query shape takes seconds at 100k products
        # the bench's engine is its own: never replace the record of a running `make run`
        EMBEDDED_STATE_FILE = str(Path(tempfile.mkdtemp(prefix="bench-search-state-")) / "embedded.json")

    app = create_app(BenchConfig)
    server = None
    try:
        with app.app_context():
            upgrade(revision="heads")
            print(f"Database: {app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}")
            print(f"Search engine (embedded osmem-server): {app.config['ELASTICSEARCH_URL']}")
            generate(app, args.products)

            from catalog.search.indexer import reindex

            result = reindex(app)
            print(f"\nReindex: {result.documents:,} documents in {result.seconds:.1f} s = "
                  f"{result.docs_per_second:,.0f} docs/s")
            from catalog.search.engine import search_engine

            stats = search_engine.call(lambda c: c.count(index=search_engine.alias).body)
            visible = search_engine.search({"query": {"range": {"public_until": {"gt": "now"}}}, "size": 0,
                                            "track_total_hits": True})["hits"]["total"]["value"]
            print(f"Index: {stats['count']:,} documents, {visible:,} visible to the public")

            print(f"\nQuery shapes (in-process, same index, {args.rounds} requests per kind, old and new "
                  f"interleaved; wall ms, and the engine's CPU ms per search over the first 15; load "
                  f"average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs):")
            print(f"  {'kind':>9} | {'old p50':>8} {'old p95':>8} | {'new p50':>8} {'new p95':>8} | new/old p50 | "
                  f"{'CPU old':>8} {'CPU new':>8} new/old")
            shapes(app, 3, seed=1, cpu_rounds=0)  # warm-up
            for kind, (old, new, cpu_old, cpu_new) in shapes(app, args.rounds, seed=7).items():
                print(f"  {kind:>9} | {pct(old, 50):8.1f} {pct(old, 95):8.1f} | {pct(new, 50):8.1f} "
                      f"{pct(new, 95):8.1f} | {pct(new, 50) / pct(old, 50):9.2f}x | {cpu_old:8.1f} {cpu_new:8.1f} "
                      f"{cpu_new / cpu_old:5.2f}x", flush=True)

            fresh, confirmed = freshness(app, args.changes, seed=5)
            print(f"\nFreshness (commit -> searchable, embedded default: outbox + dispatcher thread), "
                  f"{len(fresh)} changes ({confirmed} confirmed by a search): p50 {pct(fresh, 50) * 1000:.0f} ms, "
                  f"p95 {pct(fresh, 95) * 1000:.0f} ms, max {max(fresh) * 1000:.0f} ms "
                  f"(target p95 < 1000 ms: {'met' if pct(fresh, 95) < 1 else 'NOT met'})", flush=True)

            port = _free_port()
            env = dict(os.environ, DATABASE_URL=url, ELASTICSEARCH_URL=app.config["ELASTICSEARCH_URL"],
                       EMBEDDED_SERVICES="0", APP_ENV="development", SEARCH_SYNC_MODE="off",
                       ELASTICSEARCH_TIMEOUT=os.environ.get("ELASTICSEARCH_TIMEOUT", "120"),
                       SEARCH_INDEX_ALIAS=app.config["SEARCH_INDEX_ALIAS"])
            server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-w", str(args.workers),
                                       "--threads", "4", "--timeout", "600", "-b", f"127.0.0.1:{port}", "--log-level", "warning",
                                       "wsgi:app"], cwd=str(ROOT), env=env)
            base = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    urllib.request.urlopen(base + "/static/css/app.css", timeout=5).read()
                    break
                except Exception:
                    time.sleep(0.1)
            for kind in KINDS:
                latency(base, 2, 6, seed=99, kind=kind)  # warm-up (and each worker's browse cache)
            targets = {"text": 60.0, "browse": 80.0}
            print(f"\nSearch API latency (gunicorn {args.workers} workers x 4 threads, {os.cpu_count()} CPUs, load "
                  f"average {os.getloadavg()[0]:.1f}), {args.requests} searches per kind and level; targets at "
                  f"12,000 products: text p50 <= 60 ms, browse p50 <= 80 ms:")
            print(f"  {'kind':>9} {'conc.':>5} | {'API p50':>8} {'API p95':>8} | {'took p50':>8} {'took p95':>8} | target")
            for conc in (1, 8):
                for kind in KINDS:
                    api, took, errors = latency(base, conc, args.requests, seed=conc, kind=kind)
                    a50, a95, t50, t95 = pct(api, 50), pct(api, 95), pct(took, 50), pct(took, 95)
                    target = targets.get(kind) if conc == 1 and args.products <= 12_000 else None
                    verdict = "" if target is None else f"p50 <= {target:.0f} ms: {'met' if a50 <= target else 'NOT met'}"
                    print(f"  {kind:>9} {conc:>5} | {a50:7.1f}ms {a95:7.1f}ms | {t50:7.1f}ms {t95:7.1f}ms | {verdict}"
                          f"{f' ({errors} errors)' if errors else ''}", flush=True)

    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
        if admin is not None:
            from sqlalchemy import text

            from core.extensions import db

            with app.app_context():
                db.engine.dispose()
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}"'))
            admin.dispose()


if __name__ == "__main__":
    main()
