"""Scan-to-pick throughput: a wave of 1,000 pick lines picked by PickItem ops pushed in 500-op batches.

Measures the server's side of picking — decoding, the batch's loads, the pure rules per op, stock,
order stages, timeline events, the op log and the change log, one transaction per batch — by
calling the sync engine's push in process against a real database (a fresh SQLite file, and a fresh
PostgreSQL database when one answers). HTTP costs are measured by scripts/bench_sync.py.

    .venv/bin/python scripts/bench_picking.py [--lines 1000] [--batch 500] [--runs 5] [--backend both]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from labels.gs1 import append_check_digit  # noqa: E402
from server.db.migrate import upgrade  # noqa: E402
from server.db.tables import SYNC  # noqa: E402
from server.syncapp.app import TallySync  # noqa: E402
from server.usecases import catalog, orders, stock  # noqa: E402
from server.usecases.customers import create_customer  # noqa: E402
from server.usecases.devices import create_enrollment, enroll  # noqa: E402
from server.usecases.picking import create_pick_list  # noqa: E402
from server.wire.customers import CustomerWrite  # noqa: E402
from sync import push as pushing  # noqa: E402
from sync.database import Database  # noqa: E402
from sync.protocol import OpEnvelope, PushRequest  # noqa: E402
from tests.builders import OFFICE, order_request  # noqa: E402

PG_ADMIN = "postgresql://127.0.0.1:5432/test"


async def build_wave(db: Database, n_lines: int) -> tuple[str, list[dict]]:
    """A warehouse, n_lines products each in its own bin, orders of 10 lines, one wave; a picker."""
    warehouse = await catalog.create_warehouse(db, "BENCH", "Bench")
    customer = await create_customer(db, CustomerWrite(kind="internal", name="Магазин №1", department="S1"))
    bins = []
    for i in range(n_lines):
        bins.append(await catalog.create_location(db, warehouse, f"Z-{i:04d}", f"LZ{i:04d}", "Z", i))
    skus = []
    for i in range(n_lines):
        sku = f"B-{i:05d}"
        ean = append_check_digit(f"4602{i:08d}")
        await catalog.create_product(db, catalog.ProductSpec(sku, f"Болт {i}", 100, "RUB", barcodes=[catalog.BarcodeSpec(ean, 1)]))
        await stock.receive_goods(db, OFFICE, warehouse, [stock.ReceiptItem(sku, 10, f"Z-{i:04d}")], "bench")
        skus.append((sku, ean))
    order_ids = []
    for start in range(0, n_lines, 10):
        lines = [(sku, 2) for sku, _ in skus[start : start + 10]]
        order_id = (await orders.create_order(db, OFFICE, order_request(customer, warehouse, lines))).order_id
        await orders.confirm_order(db, OFFICE, order_id)
        order_ids.append(order_id)
    list_id = await create_pick_list(db, warehouse, order_ids)
    code = await create_enrollment(db, "bench", "picker", {"warehouse_id": warehouse})
    device = (await enroll(db, code.code, "bench-picker", "bench")).device_id
    from sqlalchemy import select

    from server.db.tables import locations, pick_lines

    async with db.read() as conn:
        rows = (await conn.execute(select(pick_lines.c.id, pick_lines.c.product_id, pick_lines.c.quantity, locations.c.barcode)
                                   .join(locations, locations.c.id == pick_lines.c.location_id)
                                   .where(pick_lines.c.pick_list_id == list_id).order_by(pick_lines.c.pick_seq))).all()  # fmt: skip
    ean_by_product = {i + 1: ean for i, (_sku, ean) in enumerate(skus)}
    picks = [{"pick_line_id": r.id, "bin": r.barcode, "code": ean_by_product[r.product_id], "quantity": r.quantity} for r in rows]
    return device, picks


async def run_once(url: str, n_lines: int, batch: int) -> tuple[float, int]:
    db = Database(url)
    try:
        device, picks = await build_wave(db, n_lines)
        app = TallySync()
        at = datetime.now(UTC)
        envelopes = [
            OpEnvelope(str(uuid.uuid4()), seq, "PickItem", at, msgspec.Raw(msgspec.json.encode(p)))
            for seq, p in enumerate(picks, start=1)
        ]
        started = time.perf_counter()
        applied = 0
        for start in range(0, len(envelopes), batch):
            response = await pushing.push(db, SYNC, app, device, PushRequest(1, device, envelopes[start : start + batch]), at)
            applied += sum(r.status == "applied" for r in response.results)
        return time.perf_counter() - started, applied
    finally:
        await db.dispose()


async def pg_database() -> tuple[str, str] | None:
    import asyncpg

    try:
        conn = await asyncpg.connect(PG_ADMIN, timeout=5)
    except Exception:  # noqa: BLE001
        return None
    name = f"tally_bench_pick_{uuid.uuid4().hex[:8]}"
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return name, PG_ADMIN.rsplit("/", 1)[0] + "/" + name


async def drop_pg(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    results: dict[str, list[float]] = {}
    for backend in ["sqlite", "postgres"] if args.backend == "both" else [args.backend]:
        for _ in range(args.runs):
            if backend == "sqlite":
                tmp = tempfile.mkdtemp()
                url = f"sqlite:///{tmp}/bench.db"
                upgrade(url)
                seconds, applied = asyncio.run(run_once(url, args.lines, args.batch))
            else:
                made = asyncio.run(pg_database())
                if made is None:
                    print("PostgreSQL did not answer; skipped", file=sys.stderr)
                    break
                name, url = made
                try:
                    upgrade(url)
                    seconds, applied = asyncio.run(run_once(url, args.lines, args.batch))
                finally:
                    asyncio.run(drop_pg(name))
            assert applied == args.lines, f"{applied} of {args.lines} picks applied"
            results.setdefault(backend, []).append(applied / seconds)
    print(f"\nPickItem ops applied per second: wave of {args.lines} lines, {args.batch}-op batches, {args.runs} runs (in process)")
    print(f"{'backend':<10} {'median':>10} {'min':>10} {'max':>10}")
    for backend, rates in results.items():
        print(f"{backend:<10} {statistics.median(rates):>10,.0f} {min(rates):>10,.0f} {max(rates):>10,.0f}")


if __name__ == "__main__":
    main()
