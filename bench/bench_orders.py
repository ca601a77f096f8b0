"""Concurrent call-off orders: 50 orders from 10 projects at the same moment on one agreement,
through the JSON API, on PostgreSQL.

    .venv/bin/python bench/bench_orders.py --database-url postgresql://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/bench_orders.py --database-url ... --orders 50 --projects 10 --rounds 3

What it does:
- builds a throw-away database (real migrations, demo seed), registers `--projects` projects of
  the demo purchaser (budget approved, one concrete bill line each) and a signed framework
  agreement of the demo's city whose quotas are 5 units per project and whose total is 80 % of
  their sum (a bench fixture written directly: the lot and award are the demo's, the agreement
  rows are inserted so the bench measures ordering, not the tender before it);
- fires `--orders` POST /api/v1/agreements/{id}/orders at once from as many threads (a barrier
  releases them together), each 1.5 units for one project, round-robin over the projects, with
  its own request id; a few requests are resent with the same request id (a client retry);
- checks the database afterwards: no quota and not the total exceeded, every 201 stored (0 lost),
  nothing stored that was not answered 201, every refusal a 409 with a message, no other status.

Prints throughput and latency percentiles (p50, p99) per round. Figures are printed, never
asserted; the load generator, the app (in-process, one thread per request) and PostgreSQL share
this machine's cores.
"""
from __future__ import annotations

import argparse
import collections
import datetime as dt
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_projects import _database  # noqa: E402  (the one way benches make a throw-away database)

UNIT_MILLI = 1500      # each order: 1.5 units
QUOTA_MILLI = 5000     # each project's quota: 5 units (3 orders fit, the 4th does not)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url", help="PostgreSQL base URL (a throw-away database is made on it)")
    ap.add_argument("--orders", type=int, default=50)
    ap.add_argument("--projects", type=int, default=10)
    ap.add_argument("--retries", type=int, default=5, help="requests resent with the same request id")
    ap.add_argument("--rounds", type=int, default=3, help="rounds, each on a fresh agreement")
    args = ap.parse_args()
    if not (args.database_url or "").startswith("postgres"):
        sys.exit("bench_orders: pass --database-url postgresql://... (row locks are measured on PostgreSQL)")
    url, drop = _database(args.database_url)
    try:
        run(url, args)
    finally:
        if drop:
            drop()


def _pct(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _projects(purchaser, finance, n):
    from catalog.interface import find_category
    from procurement.budget import services as budget_svc
    from procurement.design import services as design_svc
    from procurement.design.models import BomLine
    from procurement.machine.services import request_transition
    from procurement.projects.services import create_project
    from core.extensions import db

    unit = find_category("ready_mixed_concrete").default_unit
    out = []
    for i in range(n):
        p = create_project(purchaser, {"name": f"Bench project {i + 1}", "building_type": "school",
                                       "floor_area_m2": 10000 + i})
        total = 10 ** 10
        budget_svc.submit_budget(purchaser, p.id, {"total_fen": total, "green_share_bp": 5000, "funding_sources": [
            {"kind": "general_budget", "amount_fen": total}]})
        budget_svc.approve_budget(finance, p.id)
        request_transition(purchaser, p.id, to_stage="design", expected_stage="budget")
        design_svc.add_lines_bulk(purchaser, p.id, [{"_row": 2, "category": "ready_mixed_concrete",
                                                     "specification": "C30", "quantity": "100", "unit": unit,
                                                     "est_unit_price_fen": 45000}], source="bench")
        line = db.session.execute(db.select(BomLine).where(BomLine.project_id == p.id)).scalar_one()
        out.append((p.id, line.id))
    return out


def _demo_award():
    from core.extensions import db
    from procurement.awards.models import Award

    award = db.session.execute(db.select(Award).order_by(Award.id)).unique().scalars().first()
    if award is None:
        sys.exit("bench_orders: the demo seed made no award")
    return award


def _agreement(award, supplier_org_id, product_id, projects, serial):
    """A signed framework agreement on a demo lot (bench fixture rows, see above)."""
    from procurement.agreements.models import Agreement, AgreementQuota, AgreementSupplier
    from core.extensions import db
    from core.timeutil import today_cn, utcnow

    lot = award.lot
    city_id, centre_org_id = award.tender.city_id, award.tender.centre_org_id
    # The lot holds one live agreement: end the previous round's (or the demo's) in this
    # throw-away database.
    db.session.execute(db.update(Agreement).where(Agreement.lot_id == lot.id,
                                                  Agreement.status.in_(("draft", "signed", "published")))
                       .values(status="terminated", end_reason="bench"))
    today = today_cn()
    agreement = Agreement(reference=f"BENCH-{serial}", lot_id=lot.id, award_id=award.id, tender_id=award.tender_id,
                          kind="framework", city_id=city_id, centre_org_id=centre_org_id, category_id=lot.category_id,
                          title="Bench agreement", status="signed", valid_from=today,
                          valid_until=today + dt.timedelta(days=365),
                          total_quantity_milli=QUOTA_MILLI * len(projects) * 8 // 10, ordered_quantity_milli=0,
                          unit=lot.unit, retention_bp=300, signed_at=utcnow(), end_reason="")
    db.session.add(agreement)
    db.session.flush()
    db.session.add(AgreementSupplier(agreement_id=agreement.id, supplier_org_id=supplier_org_id,
                                     product_id=product_id, unit_price_fen=45000, rank=1))
    for project_id, line_id in projects:
        db.session.add(AgreementQuota(agreement_id=agreement.id, project_id=project_id, bom_line_id=line_id,
                                      quantity_milli=QUOTA_MILLI, ordered_milli=0))
    db.session.commit()
    return agreement.id


def run(url: str, args) -> None:
    from flask_migrate import upgrade

    from config import Config
    from platform_app import create_app

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = url
        SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "pool_size": args.orders + args.retries + 5,
                                     "max_overflow": 10}
        TESTING = False

    app = create_app(BenchConfig)
    with app.app_context():
        from catalog.models.products import Product
        from core.demo import seed_all
        from core.extensions import db
        from procurement.agreements.models import Agreement, AgreementQuota
        from procurement.orders.models import Order, OrderLine

        upgrade(revision="heads")
        t = time.perf_counter()
        ctx = seed_all()
        print(f"demo seed: {time.perf_counter() - t:.1f} s ({db.engine.dialect.name})")
        from procurement.demo_data import _actors

        award = _demo_award()
        city = next(code for code, c in ctx["cities"].items() if c.id == award.tender.city_id)
        purchaser, finance = _actors(ctx, city)
        db.session.commit()
        product = db.session.execute(db.select(Product).where(Product.category_id == award.lot.category_id)
                                     .order_by(Product.id)).scalars().first()
        projects = _projects(purchaser, finance, args.projects)
        token = _token(purchaser)
        live = db.session.execute(db.select(db.func.count()).select_from(Agreement)).scalar_one()
        print(f"demo agreements after the seed: {live}; bench lot {award.lot_id} in {city}")
        print(f"{args.projects} projects ready; {args.orders} orders of {UNIT_MILLI / 1000} units per round, "
              f"quota {QUOTA_MILLI / 1000} units per project, total {QUOTA_MILLI * args.projects * 8 // 10000} units")
        for serial in range(1, args.rounds + 1):
            agreement_id = _agreement(award, product.supplier_id, product.id, projects, serial)
            results = _storm(app, token, agreement_id, projects, args)
            db.session.expire_all()
            agreement = db.session.get(Agreement, agreement_id)
            quotas = list(db.session.execute(db.select(AgreementQuota).where(AgreementQuota.agreement_id == agreement_id))
                          .scalars())
            stored = list(db.session.execute(db.select(Order).where(Order.agreement_id == agreement_id)).unique()
                          .scalars())
            line_sums = collections.Counter()
            for order in stored:
                for line in db.session.execute(db.select(OrderLine).where(OrderLine.order_id == order.id)).scalars():
                    line_sums[line.bom_line_id] += line.quantity_milli
            over_quota = sum(1 for q in quotas if line_sums[q.bom_line_id] > q.quantity_milli
                             or q.ordered_milli != line_sums[q.bom_line_id])
            answered = {r["order_id"] for r in results if r["status"] == 201}
            lost = len(answered - {o.id for o in stored})
            unanswered = len({o.id for o in stored} - answered)
            codes = collections.Counter(r["status"] for r in results)
            unclear = sum(1 for r in results if r["status"] == 409 and not r["message"])
            others = sum(n for code, n in codes.items() if code not in (201, 409))
            lat = [r["seconds"] for r in results]
            span = max(r["end"] for r in results) - min(r["start"] for r in results)
            print(f"round {serial}: {len(results)} requests in {span:.2f} s = {len(results) / span:.1f} req/s; "
                  f"latency p50 {_pct(lat, 50) * 1000:.0f} ms, p99 {_pct(lat, 99) * 1000:.0f} ms, "
                  f"max {max(lat) * 1000:.0f} ms")
            print(f"  answers {dict(sorted(codes.items()))}; orders stored {len(stored)} (distinct 201s {len(answered)}); "
                  f"ordered {agreement.ordered_quantity_milli / 1000} of {agreement.total_quantity_milli / 1000} units; "
                  f"quotas exceeded {over_quota}; total exceeded {int(agreement.ordered_quantity_milli > agreement.total_quantity_milli)}; "
                  f"lost {lost}; stored unanswered {unanswered}; 409 without message {unclear}; other statuses {others}")
            refusals = collections.Counter(r["message"].split(":")[0] for r in results if r["status"] == 409)
            for message, n in refusals.most_common():
                print(f"    409 x{n}: {message}")
        db.session.remove()
        db.engine.dispose()


def _token(user) -> str:
    from core.api import create_token
    from core.extensions import db

    _row, secret = create_token(user, "bench")
    db.session.commit()
    return secret


def _storm(app, token, agreement_id, projects, args) -> list[dict]:
    n = args.orders + args.retries
    barrier = threading.Barrier(n, timeout=60)
    results: list = [None] * n
    bodies = []
    for i in range(args.orders):
        project_id, line_id = projects[i % len(projects)]
        bodies.append({"project_id": project_id, "request_id": f"bench-{agreement_id}-{i}",
                       "lines": [{"bom_line_id": line_id, "quantity_milli": UNIT_MILLI}]})
    bodies += [bodies[i] for i in range(args.retries)]  # a client retry: same request id

    def one(i):
        client = app.test_client()
        barrier.wait()
        start = time.perf_counter()
        resp = client.post(f"/api/v1/agreements/{agreement_id}/orders", json=bodies[i],
                           headers={"Authorization": f"Bearer {token}"})
        end = time.perf_counter()
        body = resp.get_json(silent=True) or {}
        results[i] = {"status": resp.status_code, "start": start, "end": end, "seconds": end - start,
                      "order_id": (body.get("order") or {}).get("id"),
                      "message": (body.get("error") or {}).get("message", "")}

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return [r for r in results if r is not None]


if __name__ == "__main__":
    main()
