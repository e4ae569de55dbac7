"""Benchmark: orders created per second, and order-list page latency with 100k orders, on SQLite and PostgreSQL.

For each backend, in one run, side by side:

1. A fresh database (`tally db upgrade`), a small world (`tally demo --orders 0`: 2 warehouses, 2,000 stocked
   products, 300 customers) and an office token (`tally token create`).
2. 100,000 orders bulk-loaded directly (SQLAlchemy Core, multi-row inserts into `orders`, `order_lines` and one
   `order_created` event each): ids ascending with time over a year; the last two weeks spread over the whole
   lifecycle as in the demo, older ones closed, cancelled, returned...; five sources, 300 customers, 80/20 over
   the two warehouses, 1-6 lines priced from the catalog.
3. The real server (`tally serve`, uvicorn, default settings, so SQLite runs with synchronous=FULL) as a
   subprocess on 127.0.0.1, then:
   - order-list page latency on exactly the loaded orders: GET /api/orders?limit=50 at the first page, at 90%
     depth (a cursor reached by following `next` at limit=500, itself reported as "walk500"), and filtered by
     status=confirmed, by customer, by customer and status=closed, and by the smaller warehouse (what every
     warehouse-bound token gets). Median, min, max and p95 over sequential requests; beside each, the
     server-side-only time of `server.reads.orders.list_orders` called in this process with a
     `sync.database.Database` (HTTP time also includes token authentication, one query a request), and the
     server process's CPU time per request (from /proc).
   - orders created per second: POST /api/orders from 1 and from 8 concurrent httpx workers, a fixed count per
     run (bounded in time), several runs interleaved; median, min and max, and the server's CPU ms per order.
     Beside it, the same kind of orders through `usecases.create_order` in this process (no HTTP), one at a time.
4. The server is stopped and the database removed (the temp dir, or the `tally_bench_orders_*` PostgreSQL database).

The load generator shares the 2-core machine with the server (and PostgreSQL), so it is kept light; absolute
figures drift 20-35% within an hour here, so compare figures taken in one run. Nothing here asserts on time.

Run (needs the test extra for httpx, and PostgreSQL at --pg-url for the postgres half):

    .venv/bin/python scripts/bench_orders.py --quick                 # 10k orders, fewer runs, < 2 min
    .venv/bin/python scripts/bench_orders.py --json bench.json       # 100k orders, both backends, < ~10 min
    .venv/bin/python scripts/bench_orders.py --backend sqlite --orders 50000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy import func, insert, select, text

from server.db import tables as t
from server.db.dialect import upsert
from server.domain import orders as domain
from server.domain.events import Actor
from server.reads.orders import list_orders
from server.usecases.orders import create_order, order_number
from sync.database import Database

from bench_server import TALLY, Server  # noqa: E402  (scripts/ is on sys.path when run as a script)
DEFAULT_PG = os.environ.get("TALLY_TEST_POSTGRES_URL", "postgresql://127.0.0.1:5432/test")
# Orders younger than two weeks are spread over the whole lifecycle as in the demo (server/demo.py); older ones
# have reached an end, as in a real archive.
RECENT_DAYS = 14
STATUS_WEIGHTS = {"draft": 10, "confirmed": 14, "picking": 5, "picked": 4, "checked": 4, "packed": 5, "loaded": 4,
                  "out_for_delivery": 6, "delivered": 10, "partially_delivered": 3, "failed": 3, "returned": 2,
                  "closed": 20, "cancelled": 10}  # fmt: skip
ARCHIVE_WEIGHTS = {"closed": 70, "delivered": 4, "partially_delivered": 2, "failed": 1, "returned": 3, "cancelled": 20}
SOURCES = ["web", "phone", "api", "import", "internal"]
PAYMENTS = [("prepaid", 0), ("cash_on_delivery", 0), ("card_on_delivery", 0), ("invoice", 14)]


@dataclass(frozen=True)
class Profile:
    orders: int  # bulk-loaded before measuring
    create_count: int  # orders per creation run
    create_runs: int
    create_cap_s: float  # a creation run stops here even if short of its count
    workers: tuple[int, ...]
    list_requests: int  # per list scenario


FULL = Profile(orders=100_000, create_count=400, create_runs=5, create_cap_s=30, workers=(1, 8), list_requests=50)
QUICK = Profile(orders=10_000, create_count=100, create_runs=3, create_cap_s=10, workers=(1, 8), list_requests=20)


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": statistics.median(ordered), "min": ordered[0], "max": ordered[-1], "p95": p95, "n": len(ordered)}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def tally(url: str, *args: str) -> str:
    done = subprocess.run([TALLY, *args], env={**os.environ, "DATABASE_URL": url}, capture_output=True, text=True,
                          timeout=300, check=False)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"tally {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


# --- the world -----------------------------------------------------------------------------------------------


async def bulk_load(db: Database, n_orders: int, seed: int = 7) -> None:
    """Insert `n_orders` realistic orders with explicit ids, then move the id sequence and the number counter on."""
    rng = random.Random(seed)
    mixes = {recent: (list(w), list(w.values())) for recent, w in ((True, STATUS_WEIGHTS), (False, ARCHIVE_WEIGHTS))}
    async with db.read() as conn:
        products = (await conn.execute(select(t.products.c.id, t.products.c.sku, t.products.c.name, t.products.c.price))).all()
        customers = (await conn.execute(select(t.customer_addresses.c.customer_id, t.customer_addresses.c.text))).all()
        warehouse_ids = (await conn.execute(select(t.warehouses.c.id).order_by(t.warehouses.c.id))).scalars().all()
        first_id = ((await conn.execute(select(func.max(t.orders.c.id)))).scalar() or 0) + 1
    addresses = dict(customers)
    customer_ids = sorted(addresses)
    start = datetime.now(UTC) - timedelta(days=365)
    step = timedelta(days=365) / n_orders
    chunk = 5000
    for base in range(0, n_orders, chunk):
        order_rows, line_rows, event_rows = [], [], []
        for i in range(base, min(base + chunk, n_orders)):
            order_id = first_id + i
            created = start + step * i
            status = rng.choices(*mixes[step * (n_orders - i) < timedelta(days=RECENT_DAYS)])[0]
            kind, due = rng.choice(PAYMENTS)
            customer_id = rng.choice(customer_ids)
            lines = [(p, rng.choice([1, 1, 2, 3, 5, 10])) for p in rng.sample(products, rng.randint(1, 6))]
            total = sum(p.price * qty for p, qty in lines)
            source = rng.choice(SOURCES)
            order_rows.append({
                "id": order_id, "number": order_number(order_id), "customer_id": customer_id,
                "warehouse_id": warehouse_ids[0] if rng.random() < 0.8 else warehouse_ids[-1], "source": source,
                "status": status, "currency": "RUB", "total": total, "payment_kind": kind, "payment_due_days": due,
                "delivery_address": addresses[customer_id], "delivery_date": (created + timedelta(days=rng.randint(1, 4))).date(),
                "window_start": clock_time(rng.choice([9, 12, 15])), "window_end": clock_time(rng.choice([18, 21])),
                "notes": "", "external_ref": f"EXT-{order_id}" if source in ("api", "import") else None,
                "cancel_reason": "customer_request" if status == "cancelled" else None,
                "cancel_note": "customer changed mind" if status == "cancelled" else None,
                "created_at": created, "updated_at": created + timedelta(minutes=rng.randint(0, 5000)),
            })  # fmt: skip
            line_rows += [{"order_id": order_id, "line_no": n, "product_id": p.id, "sku": p.sku, "name": p.name,
                           "quantity": qty, "unit_price": p.price} for n, (p, qty) in enumerate(lines, start=1)]  # fmt: skip
            event_rows.append({"order_id": order_id, "type": "order_created", "actor_kind": "user", "actor_id": "bench",
                               "data": {"number": order_number(order_id), "source": source, "lines": len(lines), "total": total},
                               "recorded_at": created})  # fmt: skip
        async with db.write() as conn:
            await conn.execute(insert(t.orders), order_rows)
            await conn.execute(insert(t.order_lines), line_rows)
            await conn.execute(insert(t.order_events), event_rows)
        if (base // chunk) % 5 == 4:
            log(f"  loaded {base + len(order_rows):,}/{n_orders:,} orders")
    last = first_id + n_orders - 1
    async with db.write() as conn:
        counter = upsert(conn, t.counters).values(name="order_number", value=last)
        await conn.execute(counter.on_conflict_do_update(index_elements=[t.counters.c.name], set_={"value": last}))
        if not db.is_sqlite:  # explicit ids do not move a BIGSERIAL's sequence
            await conn.execute(text("SELECT setval(pg_get_serial_sequence('orders', 'id'), :v)"), {"v": last})
        if not db.is_sqlite:  # what autovacuum would do soon after a bulk load; SQLite runs without statistics
            await conn.execute(text("ANALYZE"))


# --- measurements --------------------------------------------------------------------------------------------


def order_bodies(rng: random.Random, n: int, skus: list[str], customer_ids: list[int]) -> list[dict]:
    bodies = []
    for _ in range(n):
        kind, due = rng.choice(PAYMENTS)
        bodies.append({"customer_id": rng.choice(customer_ids), "source": rng.choice(SOURCES),
                       "lines": [{"sku": s, "quantity": rng.choice([1, 2, 5])} for s in rng.sample(skus, rng.randint(1, 6))],
                       "payment": {"kind": kind, "due_days": due}})  # fmt: skip
    return bodies


async def create_over_http(client: httpx.AsyncClient, bodies: list[dict], workers: int, cap_s: float) -> tuple[int, float]:
    """POST the bodies from `workers` concurrent tasks; (orders created, seconds). Stops early at `cap_s`."""
    queue = iter(bodies)
    done = 0
    started = time.perf_counter()
    deadline = started + cap_s

    async def worker() -> None:
        nonlocal done
        for body in queue:
            response = await client.post("/api/orders", json=body)
            if response.status_code != 201:
                raise RuntimeError(f"POST /api/orders answered {response.status_code}: {response.text[:500]}")
            done += 1
            if time.perf_counter() > deadline:
                return

    await asyncio.gather(*(worker() for _ in range(workers)))
    return done, time.perf_counter() - started


async def create_in_process(db: Database, bodies: list[dict], cap_s: float) -> float:
    """The same orders through the use case, one at a time, without HTTP."""
    actor = Actor("user", "bench")
    started = time.perf_counter()
    done = 0
    for body in bodies:
        request = domain.OrderRequest(
            customer_id=body["customer_id"], warehouse_id=0, source=domain.Source(body["source"]),
            lines=[domain.LineRequest(line["sku"], line["quantity"]) for line in body["lines"]],
            payment=domain.PaymentTerms(domain.PaymentKind(body["payment"]["kind"]), body["payment"]["due_days"]),
        )  # fmt: skip
        await create_order(db, actor, request)
        done += 1
        if time.perf_counter() - started > cap_s:
            break
    return done / (time.perf_counter() - started)


async def time_http(client: httpx.AsyncClient, params: dict, n: int) -> list[float]:
    samples = []
    for i in range(n + 3):  # three warm-up requests, not counted
        began = time.perf_counter()
        response = await client.get("/api/orders", params=params)
        response.raise_for_status()
        if i >= 3:
            samples.append((time.perf_counter() - began) * 1000)
    return samples


async def time_in_process(db: Database, params: dict, n: int) -> list[float]:
    samples = []
    for i in range(n + 3):
        began = time.perf_counter()
        async with db.read() as conn:
            await list_orders(conn, limit=params.get("limit", 50), after=params.get("after"),
                              **{k: v for k, v in params.items() if k not in ("limit", "after")})  # fmt: skip
        if i >= 3:
            samples.append((time.perf_counter() - began) * 1000)
    return samples


async def measure_lists(client: httpx.AsyncClient, db: Database, server: Server, profile: Profile, kind: str) -> dict:
    """List-page latency over HTTP and in-process, per scenario."""
    out: dict = {}
    async with db.read() as conn:
        total = (await conn.execute(select(func.count()).select_from(t.orders))).scalar_one()
        customer_x = (await conn.execute(select(t.orders.c.customer_id).group_by(t.orders.c.customer_id)
                      .order_by(func.count().desc(), t.orders.c.customer_id).limit(1))).scalar_one()  # fmt: skip
        small_warehouse = (await conn.execute(select(func.max(t.warehouses.c.id)))).scalar_one()
    out["orders_in_db"] = total
    # Follow `next` at limit=500 down to 90% of the list: the deep cursor, and the walk's page times.
    walk, cursor, seen = [], None, 0
    cpu_before = server.cpu_s()
    while seen < 0.9 * total:
        began = time.perf_counter()
        response = await client.get("/api/orders", params={"limit": 500} | ({"after": cursor} if cursor else {}))
        response.raise_for_status()
        walk.append((time.perf_counter() - began) * 1000)
        page = response.json()
        seen += len(page["items"])
        cursor = page["next"]
    out["list_walk500"] = {"http": summary(walk) | {"server_cpu_ms": (server.cpu_s() - cpu_before) * 1000 / len(walk)}}
    scenarios = {
        "first": {},
        "deep90": {"after": cursor},
        "status": {"status": "confirmed"},  # the office's queue: recent orders only
        "customer": {"customer_id": customer_x},
        "status_customer": {"status": "closed", "customer_id": customer_x},  # one customer's archive
        "warehouse": {"warehouse_id": small_warehouse},  # what every warehouse-bound token gets
    }
    for name, params in scenarios.items():
        params = {"limit": 50} | params
        cpu_before = server.cpu_s()
        http = await time_http(client, params, profile.list_requests)
        server_cpu_ms = (server.cpu_s() - cpu_before) * 1000 / (profile.list_requests + 3)
        inproc = await time_in_process(db, params, profile.list_requests)
        out[f"list_{name}"] = {"http": summary(http) | {"server_cpu_ms": server_cpu_ms}, "inproc": summary(inproc)}
        log(f"{kind}: list {name}: http p50 {statistics.median(http):.1f} ms, in-process p50 {statistics.median(inproc):.1f} ms")
    return out


async def measure_creation(client: httpx.AsyncClient, db: Database, server: Server, profile: Profile, kind: str) -> dict:
    """Orders/s through POST /api/orders per worker count, and through the use case in-process."""
    async with db.read() as conn:
        skus = (await conn.execute(select(t.products.c.sku))).scalars().all()
        customer_ids = (await conn.execute(select(t.customers.c.id))).scalars().all()
    rng = random.Random(11)
    await create_over_http(client, order_bodies(rng, 20, skus, customer_ids), 2, 30)  # warm-up
    rates: dict[str, list[float]] = {f"w{w}": [] for w in profile.workers} | {"inproc": []}
    cpu: dict[str, list[float]] = {f"w{w}": [] for w in profile.workers}
    for run in range(profile.create_runs):  # interleaved, so drift hits every variant alike
        for w in profile.workers:
            bodies = order_bodies(rng, profile.create_count, skus, customer_ids)
            cpu_before = server.cpu_s()
            done, seconds = await create_over_http(client, bodies, w, profile.create_cap_s)
            rates[f"w{w}"].append(done / seconds)
            cpu[f"w{w}"].append((server.cpu_s() - cpu_before) * 1000 / done)
        bodies = order_bodies(rng, profile.create_count, skus, customer_ids)
        rates["inproc"].append(await create_in_process(db, bodies, profile.create_cap_s))
        log(f"{kind}: creation run {run + 1}/{profile.create_runs}: " + ", ".join(f"{k} {v[-1]:.0f}/s" for k, v in rates.items()))
    out = {f"create_{key}": summary(values) for key, values in rates.items()}
    for key, values in cpu.items():
        out[f"create_{key}"]["server_cpu_ms"] = statistics.median(values)
    return out


async def bench_backend(kind: str, url: str, profile: Profile, workdir: Path) -> dict:
    """Everything for one backend on its fresh database; returns {metric: value}."""
    out: dict = {}
    started = time.perf_counter()
    tally(url, "db", "upgrade")
    tally(url, "demo", "--orders", "0", "--products", "2000")
    token = tally(url, "token", "create", "--role", "office", "--name", "bench").strip().splitlines()[-1]
    db = Database(url)
    try:
        began = time.perf_counter()
        await bulk_load(db, profile.orders)
        out["bulk_load_orders_per_s"] = profile.orders / (time.perf_counter() - began)
        log(f"{kind}: {profile.orders:,} orders loaded at {out['bulk_load_orders_per_s']:,.0f}/s")
        if not db.is_sqlite:
            async with db.read() as conn:
                out["pg_synchronous_commit"] = (await conn.execute(text("SHOW synchronous_commit"))).scalar()
        server = Server(url, workdir)
        try:
            await server.ready()
            headers = {"Authorization": f"Bearer {token}"}
            limits = httpx.Limits(max_connections=max(profile.workers))
            async with httpx.AsyncClient(base_url=server.base, headers=headers, limits=limits, timeout=30) as client:
                out |= await measure_lists(client, db, server, profile, kind)  # first, on exactly the loaded orders
                out |= await measure_creation(client, db, server, profile, kind)
        finally:
            server.stop()
    finally:
        await db.dispose()
    out["seconds"] = time.perf_counter() - started
    return out


# --- backends and the report ---------------------------------------------------------------------------------


async def run_sqlite(profile: Profile) -> dict:
    with tempfile.TemporaryDirectory(prefix="tally-bench-") as tmp:
        return await bench_backend("sqlite", f"sqlite+aiosqlite:///{tmp}/bench.db", profile, Path(tmp))


async def run_postgres(profile: Profile, admin_url: str) -> dict:
    name = f"tally_bench_orders_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(admin_url, timeout=10)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            url = "postgresql+asyncpg://" + admin_url.split("://", 1)[1].rsplit("/", 1)[0] + "/" + name
            with tempfile.TemporaryDirectory(prefix="tally-bench-") as tmp:
                return await bench_backend("postgres", url, profile, Path(tmp))
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def rate(s: dict) -> str:
    return f"{s['p50']:.0f} ({s['min']:.0f}-{s['max']:.0f})"


def latency(s: dict) -> str:
    return f"{s['p50']:.1f} ({s['min']:.1f}-{s['max']:.1f}) p95 {s['p95']:.1f}"


def report(results: dict[str, dict], profile: Profile) -> tuple[str, dict]:
    backends = list(results)
    rows: list[tuple[str, list[str]]] = []
    flat: dict = {"profile_orders": profile.orders, "list_requests": profile.list_requests,
                  "create_runs": profile.create_runs, "create_count": profile.create_count,
                  "python": platform.python_version(), "cpus": os.cpu_count(),
                  "when": datetime.now(UTC).isoformat(timespec="seconds")}  # fmt: skip
    first = results[backends[0]]
    rows.append(("orders in the database at list time", [f"{results[b]['orders_in_db']:,}" for b in backends]))
    rows.append(("bulk load, orders/s (setup, not Tally)", [f"{results[b]['bulk_load_orders_per_s']:,.0f}" for b in backends]))
    for key in [k for k in first if k.startswith("create_")]:
        label = f"POST /api/orders, {key[8:]} worker{'s' if key != 'create_w1' else ''}"
        if key == "create_inproc":
            label = "in-process create_order, 1 at a time"
        rows.append((f"{label}: orders/s median (min-max)", [rate(results[b][key]) for b in backends]))
        if "server_cpu_ms" in first[key]:
            rows.append(("  server CPU ms per order, median", [f"{results[b][key]['server_cpu_ms']:.1f}" for b in backends]))
        for b in backends:
            s = results[b][key]
            suffix = "inproc" if key == "create_inproc" else key[7:]
            if "server_cpu_ms" in s:
                flat[f"server_cpu_ms_per_order_{b}_{suffix}"] = s["server_cpu_ms"]
            flat[f"orders_created_per_s_{b}_{suffix}"] = s["p50"]
            flat[f"orders_created_per_s_{b}_{suffix}_min"] = s["min"]
            flat[f"orders_created_per_s_{b}_{suffix}_max"] = s["max"]
    for key in [k for k in first if k.startswith("list_")]:
        scenario = key[5:]
        for where in ("http", "inproc"):
            if where not in first[key]:
                continue
            label = f"GET list {scenario} ({'HTTP' if where == 'http' else 'list_orders in-process'}), ms"
            rows.append((label, [latency(results[b][key][where]) for b in backends]))
            if "server_cpu_ms" in first[key][where]:
                rows.append(("  server CPU ms per request", [f"{results[b][key][where]['server_cpu_ms']:.1f}" for b in backends]))
            for b in backends:
                s = results[b][key][where]
                if "server_cpu_ms" in s:
                    flat[f"order_list_server_cpu_ms_{b}_{scenario}"] = s["server_cpu_ms"]
                prefix = "order_list" if where == "http" else "order_list_inproc"
                for stat in ("p50", "min", "max", "p95"):
                    flat[f"{prefix}_{stat}_ms_{b}_{scenario}"] = s[stat]
    for b in backends:
        flat[f"orders_in_db_{b}"] = results[b]["orders_in_db"]
        flat[f"bench_seconds_{b}"] = results[b]["seconds"]
        if "pg_synchronous_commit" in results[b]:
            flat["pg_synchronous_commit"] = results[b]["pg_synchronous_commit"]
    width = max(len(label) for label, _ in rows)
    col = max(len(v) for _, values in rows for v in values)
    lines = [f"{'':<{width}}  " + "  ".join(f"{b:<{col}}" for b in backends)]
    lines += [f"{label:<{width}}  " + "  ".join(f"{v:<{col}}" for v in values) for label, values in rows]
    return "\n".join(lines), flat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k orders and fewer runs (under 2 minutes)")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--orders", type=int, default=None, help="bulk-loaded orders (default 100000, quick 10000)")
    parser.add_argument("--pg-url", default=DEFAULT_PG, help="a PostgreSQL database to connect to for CREATE DATABASE")
    parser.add_argument("--json", type=Path, default=None, help="write the figures to this file")
    args = parser.parse_args()
    profile = QUICK if args.quick else FULL
    if args.orders is not None:
        profile = Profile(**{**profile.__dict__, "orders": args.orders})
    results: dict[str, dict] = {}
    if args.backend in ("sqlite", "both"):
        results["sqlite"] = asyncio.run(run_sqlite(profile))
    if args.backend in ("postgres", "both"):
        results["postgres"] = asyncio.run(run_postgres(profile, args.pg_url))
    table, flat = report(results, profile)
    print(f"\nTally orders benchmark: {profile.orders:,} bulk-loaded orders, {profile.create_runs} creation runs of "
          f"{profile.create_count}, {profile.list_requests} list requests a scenario; {os.cpu_count()} CPUs shared by "
          f"client, server{' and PostgreSQL' if 'postgres' in results else ''}. SQLite synchronous=FULL"
          + (f"; PostgreSQL synchronous_commit={flat['pg_synchronous_commit']}" if "pg_synchronous_commit" in flat else "")
          + ".\nRates: median (min-max) over runs. Latencies: p50 (min-max) p95 in ms.\n")  # fmt: skip
    print(table)
    if args.json:
        rounded = {k: round(v, 3) if isinstance(v, float) else v for k, v in flat.items()}
        args.json.write_text(json.dumps(rounded, indent=2, sort_keys=True) + "\n")
        print(f"\nfigures written to {args.json}")


if __name__ == "__main__":
    main()
