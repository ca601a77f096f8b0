"""The asyncio client of the bid storm (bench/bench_bids.py): one aiohttp connection pool instead
of a thread per firm, so the load generator costs well under a millisecond of CPU per request and
is not what limits the storm. `calibrate` measures CPU per request one submission at a time;
`storm` fires the open-loop storm and the late bids; `cpu_seconds` reads the processes' CPU."""
from __future__ import annotations

import asyncio
import collections
import os
import statistics
import time


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def cpu_seconds(database: str) -> dict[str, float]:
    """CPU seconds (user + system) used so far (Linux /proc; ticks of 1/100 s) by gunicorn, by the
    PostgreSQL backends connected to `database` and by PostgreSQL's shared background processes
    (WAL writer, checkpointer...). Other databases' backends (other work on the machine) are left out."""
    ticks = os.sysconf("SC_CLK_TCK")
    totals = {"gunicorn": 0.0, "postgres": 0.0, "postgres shared": 0.0}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        seconds = (int(fields[11]) + int(fields[12])) / ticks
        if name.startswith("gunicorn"):
            totals["gunicorn"] += seconds
        elif name.startswith("postgres"):
            if f" {database} " in cmdline:
                totals["postgres"] += seconds
            elif "(" not in cmdline and "[local]" not in cmdline:   # not a client backend
                totals["postgres shared"] += seconds
    return totals


async def _post(http, url: str, body: dict, headers: dict):
    """(status or "error <kind>", JSON answer or {})."""
    import aiohttp

    try:
        async with http.post(url, json=body, headers=headers) as r:
            data = await r.json() if r.content_type == "application/json" else {}
            return r.status, data
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        return f"error {type(exc).__name__}", {}


def _session(args):
    import aiohttp

    # One pool, no connection limit (open loop); the sync worker closes every connection anyway.
    # Idle connections are dropped before the server's keep-alive ends (aiohttp keeps them 15 s by
    # default), so a request never goes out on a connection the server is closing at that moment.
    connector = aiohttp.TCPConnector(limit=0, force_close=args.worker_class == "sync",
                                     keepalive_timeout=max(0.5, args.keep_alive - 1.5))
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60))


async def calibrate(args, base: str, place, firms, database: str) -> dict:
    """Warm every worker, then `args.calibrate` submissions one at a time: CPU per request
    (server, this database's PostgreSQL backends) and the unqueued latency."""
    url = f"{base}/api/v1/tenders/{place[0]}/lots/{place[1]}/bids"
    current: dict[int, int] = {}
    counter = iter(range(10**9))

    async def one(http, f: int) -> float:
        token, product_id = firms[f % len(firms)]
        t0 = time.perf_counter()
        status, data = await _post(http, url, {"product_id": product_id, "unit_price_fen": 39_500,
                                               "replaces": current.get(f)},
                                   {"Authorization": f"Bearer {token}", "Idempotency-Key": f"cal-{next(counter):07d}"})
        if status != 201:
            raise SystemExit(f"bench_bids: calibration submission answered {status}: {data}")
        current[f] = data["bid"]["id"]
        return time.perf_counter() - t0

    streams = 2 * args.workers * (args.threads if args.worker_class == "gthread" else 1)
    async with _session(args) as http:
        for _ in range(5):   # warm-up: every worker and thread serves a few first
            await asyncio.gather(*(one(http, f) for f in range(streams)))
        if args.calibrate <= 0:
            return {}
        # The same firms again: replacements by tokens in use, as most of the storm's requests are.
        before, client_before = cpu_seconds(database), sum(os.times()[:2])
        latencies = [await one(http, n % streams) for n in range(args.calibrate)]
        after, client_after = cpu_seconds(database), sum(os.times()[:2])
    cpu = {name: (after[name] - before[name]) / args.calibrate for name in after}
    cpu["client"] = (client_after - client_before) / args.calibrate
    return {"cpu": cpu, "median": statistics.median(latencies), "p99": percentile(latencies, 99)}


async def storm(args, endpoint: str, firms, t_start: float, t_deadline: float):
    """The open-loop storm and the late bids; returns (results, late statuses, refusal counts)."""
    n_firms = len(firms)
    # Bid n goes at t_start + n * window / bids; firm n % firms, its (n // firms)-th bid.
    plan: dict[int, list[tuple[float, str]]] = {f: [] for f in range(n_firms)}
    for n in range(args.bids):
        plan[n % n_firms].append((t_start + n * args.window / args.bids, f"storm-{n:06d}"))
    retry_ids = {f"storm-{n:06d}" for n in range(0, args.bids, max(1, args.bids // max(1, args.retries)))}
    results, late_results, refusals = [], [], collections.Counter()

    async def firm(http, f: int) -> None:
        token, product_id = firms[f]
        auth = {"Authorization": f"Bearer {token}"}
        current = None
        for at, request_id in plan[f]:
            await asyncio.sleep(max(0.0, at - time.perf_counter()))
            body = {"product_id": product_id, "unit_price_fen": 39_000 + f, "replaces": current}
            t0 = time.perf_counter()
            status, data = await _post(http, endpoint, body, {**auth, "Idempotency-Key": request_id})
            elapsed = time.perf_counter() - t0
            bid_id = (data.get("bid") or {}).get("id")
            results.append((request_id, status, elapsed, bid_id, t0 < t_deadline))
            if status != 201:
                refusals[(data.get("error") or {}).get("message", str(status))[:90]] += 1
            else:
                current = bid_id
            if request_id in retry_ids and status == 201:   # a client retry of the same request
                status2, data2 = await _post(http, endpoint, body, {**auth, "Idempotency-Key": request_id})
                results.append((request_id + "/retry", status2, 0.0, (data2.get("bid") or {}).get("id"), True))

    async def late(http, i: int) -> None:   # new request ids, sent just after the deadline
        token, product_id = firms[i % n_firms]
        await asyncio.sleep(max(0.0, t_deadline + (i / max(1, args.late)) * 0.3 - time.perf_counter()))
        status, _ = await _post(http, endpoint, {"product_id": product_id, "unit_price_fen": 1},
                                {"Authorization": f"Bearer {token}", "Idempotency-Key": f"late-{i:06d}"})
        late_results.append(status)

    async with _session(args) as http:
        await asyncio.gather(*(firm(http, f) for f in range(n_firms)), *(late(http, i) for i in range(args.late)))
    return results, late_results, refusals
