"""Benchmark: server time of the supervisor dashboard and devices pages on a large SQLite database.

Builds a fresh SQLite file with 100,000 orders, 500 devices (and their couriers, open exceptions and
a change log the devices lag behind), bulk-inserted with SQLAlchemy Core; then signs in and asks
each page several times through the ASGI app in this process (no network, no browser: the time is
the server's). Prints median and p95 per page, for an admin (every warehouse) and a supervisor
bound to one warehouse, and the API's device list (GET /api/devices, the same lags) for an admin
token. Target: under 300 ms per page.

    .venv/bin/python scripts/bench_pages.py [--orders 100000] [--devices 500] [--requests 15] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path

import httpx
from sqlalchemy import create_engine, insert

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from server.app import attach_database, create_app  # noqa: E402
from server.db import tables as t  # noqa: E402
from server.db.migrate import upgrade  # noqa: E402
from server.domain.refusals import Refused  # noqa: E402
from server.settings import Settings  # noqa: E402
from server.usecases.tokens import create_token  # noqa: E402
from server.usecases.users import create_user  # noqa: E402
from sync.database import Database  # noqa: E402

TARGET_MS = 300.0
WAREHOUSES = 5
CHANGES = 50_000
# Status by the order's age, as a working warehouse has them: today's orders move through the
# stages, older ones are delivered and closed, and a few old ones hang in a stage (stuck).
BY_AGE = (
    (1, {"draft": 10, "confirmed": 25, "picking": 15, "picked": 10, "checked": 8, "packed": 8, "loaded": 7,
         "out_for_delivery": 10, "delivered": 5, "cancelled": 2}),
    (3, {"confirmed": 5, "picking": 3, "packed": 2, "loaded": 2, "out_for_delivery": 8, "delivered": 40,
         "partially_delivered": 2, "failed": 3, "cancelled": 5, "closed": 30}),
    (10**6, {"closed": 85, "cancelled": 7, "returned": 2, "delivered": 4, "partially_delivered": 0.5, "draft": 1,
             "confirmed": 0.1, "picking": 0.1, "packed": 0.05, "loaded": 0.05}),
)  # fmt: skip
# --uniform: statuses regardless of age, the worst case for the dashboard (a fifth of all orders stuck).
UNIFORM = {
    "draft": 4, "confirmed": 6, "picking": 3, "picked": 2, "checked": 2, "packed": 2, "loaded": 2, "out_for_delivery": 3,
    "delivered": 8, "partially_delivered": 1, "failed": 1, "returned": 1, "closed": 60, "cancelled": 5,
}  # fmt: skip
ROLES = ["picker"] * 5 + ["checker", "packer", "loader", "warehouse"]


def pick_status(rng: random.Random, age_days: float, uniform: bool) -> str:
    table = UNIFORM if uniform else next(weights for limit, weights in BY_AGE if age_days < limit)
    return rng.choices(list(table), list(table.values()))[0]


def build(path: Path, n_orders: int, n_devices: int, seed: int = 1, uniform: bool = False) -> None:
    """Bulk-insert the rows (the domain rules are not the subject here: the reads are)."""
    rng = random.Random(seed)
    upgrade(f"sqlite:///{path}")
    engine = create_engine(f"sqlite:///{path}")
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA synchronous=OFF")
        conn.execute(insert(t.warehouses), [{"id": w, "code": f"WH-{w}", "name": f"Склад {w}", "created_at": now} for w in range(1, WAREHOUSES + 1)])
        conn.execute(insert(t.customers), [
            {"id": c, "kind": "company", "name": f"ООО «Клиент-{c}»", "created_at": now, "updated_at": now} for c in range(1, 2001)
        ])  # fmt: skip
        batch = []
        for i in range(1, n_orders + 1):
            age = rng.uniform(0, 365)
            created = now - timedelta(days=age)
            status = pick_status(rng, age, uniform)
            updated = min(now, created + timedelta(hours=rng.uniform(0, 96)))
            batch.append({
                "id": i, "number": f"SO-{i:07d}", "customer_id": rng.randint(1, 2000), "warehouse_id": rng.randint(1, WAREHOUSES),
                "source": rng.choice(["web", "phone", "api", "import"]), "status": status, "currency": "RUB",
                "total": rng.randint(10_000, 5_000_000), "payment_kind": rng.choice(["prepaid", "cash_on_delivery", "invoice"]),
                "payment_due_days": 0, "delivery_date": (created + timedelta(days=rng.randint(1, 4))).date(),
                "window_start": clock(9), "window_end": clock(rng.choice([18, 21])), "notes": "", "created_at": created, "updated_at": updated,
            })  # fmt: skip
            if len(batch) == 5000:
                conn.execute(insert(t.orders), batch)
                batch = []
        if batch:
            conn.execute(insert(t.orders), batch)
        n_couriers = n_devices // 5
        conn.execute(insert(t.couriers), [
            {"id": c, "name": f"Курьер {c}", "warehouse_id": 1 + c % WAREHOUSES, "created_at": now} for c in range(1, n_couriers + 1)
        ])  # fmt: skip
        devices = []
        for d in range(n_devices):
            courier = d < n_couriers
            seen = now - timedelta(minutes=rng.choice([1, 5, 30, 90, 600, 3000]))
            devices.append({
                "id": uuid.UUID(int=rng.getrandbits(128)).hex, "name": f"{'Phone' if courier else 'TC52'}-{d:04d}",
                "role": "courier" if courier else rng.choice(ROLES),
                "scope": {"courier_id": d + 1} if courier else {"warehouse_id": 1 + d % WAREHOUSES},
                "token_hash": uuid.UUID(int=rng.getrandbits(128)).hex * 2, "created_at": now - timedelta(days=rng.randint(1, 300)),
                "revoked_at": now if rng.random() < 0.05 else None, "last_seq": rng.randint(0, 50_000), "last_seen_at": seen,
                "last_push_at": seen, "last_pull_at": seen, "pending": rng.randint(0, 20),
                # Most devices pull within minutes of a change (a live hint wakes them); some have been off for days.
                "pulled_version": CHANGES - rng.randint(0, 300) if rng.random() < 0.9 else rng.randint(0, CHANGES),
                "app_version": "1.4.2", "last_error": None if rng.random() < 0.9 else "wrong_bin",
            })  # fmt: skip
        conn.execute(insert(t.SYNC.devices), devices)
        scopes = ["catalog"] + [f"warehouse:{w}" for w in range(1, WAREHOUSES + 1)] + [f"courier:{c}" for c in range(1, n_couriers + 1)]
        for start in range(0, CHANGES, 5000):
            conn.execute(insert(t.SYNC.changes), [
                {"version": v, "scope": rng.choice(scopes), "kind": "product", "entity_id": str(v), "op": "put", "data": "{}", "at": now}
                for v in range(start + 1, min(start + 5000, CHANGES) + 1)
            ])  # fmt: skip
        conn.execute(t.SYNC.state.update().values(version=CHANGES))
        conn.execute(insert(t.exceptions), [
            {"kind": rng.choice(["over_pick", "short_pick", "clock_skew"]), "status": "open", "warehouse_id": rng.randint(1, WAREHOUSES),
             "order_id": rng.randint(1, n_orders), "device_id": devices[rng.randrange(n_devices)]["id"], "seq": 1, "detail": {},
             "opened_at": now} for _ in range(1000)
        ])  # fmt: skip
    engine.dispose()


async def _timed(client: httpx.AsyncClient, path: str, requests: int, headers: dict[str, str] | None = None) -> list[float]:
    """Milliseconds per request, after one request that warms the caches (templates, SQLite pages)."""
    await client.get(path, headers=headers)
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = await client.get(path, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
    return times


async def measure(path: Path, requests: int) -> list[tuple[str, list[float]]]:
    url = f"sqlite+aiosqlite:///{path}"
    db = Database(url)
    for username, role, bound in (("bench-admin", "admin", []), ("bench-supervisor", "supervisor", [1])):
        try:
            await create_user(db, username, "bench-password", role, bound)
        except Refused as refusal:  # a kept database (--keep) has them already
            if refusal.code != "username_taken":
                raise
    app = create_app(Settings(database_url=url), database=db)
    attach_database(app, db)
    results = []
    try:
        for username in ("bench-admin", "bench-supervisor"):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
                page = await client.get("/web/login")
                csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
                signed = await client.post("/web/login", data={"csrf": csrf, "username": username, "password": "bench-password"})
                assert signed.status_code == 303, signed.text
                for path_ in ("/web/dashboard", "/web/devices/"):
                    times = await _timed(client, path_, requests)
                    results.append((f"{path_:<16} as {username.removeprefix('bench-')}", times))
        token, _ = await create_token(db, "admin", "bench")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
            results.append(("/api/devices     as admin token", await _timed(client, "/api/devices", requests, {"Authorization": f"Bearer {token}"})))
        async with db.read() as conn:
            stuck = (await conn.exec_driver_sql(
                "SELECT count(*) FROM orders WHERE status IN ('confirmed','picking','picked','checked','packed','loaded',"
                "'out_for_delivery','failed')")).scalar_one()  # fmt: skip
        print(f"orders in progress (the dashboard's stuck/late candidates): {stuck:,}")
    finally:
        await db.dispose()
    return results


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--devices", type=int, default=500)
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--keep", type=Path, help="build the database at this path and keep it (reused if it exists)")
    parser.add_argument("--quick", action="store_true", help="10,000 orders, 100 devices, 5 requests")
    parser.add_argument("--uniform", action="store_true", help="statuses regardless of age: a fifth of all orders stuck (worst case)")
    args = parser.parse_args()
    if args.quick:
        args.orders, args.devices, args.requests = 10_000, 100, 5
    with tempfile.TemporaryDirectory() as folder:
        path = args.keep or Path(folder) / "bench.db"
        started = time.perf_counter()
        if not path.exists():
            build(path, args.orders, args.devices, uniform=args.uniform)
        print(f"built {args.orders:,} orders ({'uniform' if args.uniform else 'by age'} statuses), {args.devices} devices, "
              f"{CHANGES:,} changes, 1,000 open exceptions in {time.perf_counter() - started:.1f} s "
              f"({path.stat().st_size / 1e6:.0f} MB SQLite)")  # fmt: skip
        results = asyncio.run(measure(path, args.requests))
    print(f"\nserver time per page over {args.requests} requests (ms; target < {TARGET_MS:.0f})")
    print(f"{'page':<36} {'median':>8} {'p95':>8} {'max':>8}")
    worst = 0.0
    for name, times in results:
        worst = max(worst, statistics.median(times))
        print(f"{name:<36} {statistics.median(times):8.1f} {p95(times):8.1f} {max(times):8.1f}")
    print(f"\n{'within' if worst < TARGET_MS else 'OVER'} target: slowest median {worst:.1f} ms")


if __name__ == "__main__":
    main()
