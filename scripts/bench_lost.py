"""Acknowledged minus stored: 4 clients pushing concurrently into one scope on PostgreSQL, Tally and Kinto.

A sync server must never acknowledge a write it then does not keep. Each side gets a fresh PostgreSQL database:
- Tally: `tally db upgrade`, one warehouse, 4 picker devices (one scope, the warehouse), two `tally serve`
  processes (clients 1 and 3 on one, 2 and 4 on the other), each client pushing its `RecordScan` ops in 100-op
  batches, one request in flight. Acknowledged = results answered `applied`; stored = rows in `scans` of those
  devices (read after the servers stopped).
- Kinto: one collection, the same number of records per client in `/batch` requests of 25 (its default limit);
  acknowledged = sub-responses 201; stored = the collection's `Total-Objects`.

    .venv/bin/python scripts/bench_lost.py --per-client 2000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
from pathlib import Path

import httpx
from sqlalchemy import func, select

from bench_kinto import Kinto, acked_minus_stored
from bench_server import Server
from bench_sync import DEFAULT_PG, KEEPALIVE_S, Databases, DeviceStream, enroll_devices, tally
from server.db.tables import scans
from server.usecases.catalog import create_warehouse
from sync.database import Database

CLIENTS = 4


async def tally_acked_minus_stored(dbs: Databases, per_client: int, batch: int = 100) -> dict:
    backend = await dbs.create("postgres", "lost")
    tally(backend.url, "db", "upgrade")
    db = Database(backend.url)
    servers: list[Server] = []
    try:
        warehouse_id = await create_warehouse(db, "BENCH", "Bench warehouse")
        rng = random.Random(3)
        streams = [DeviceStream(d, t, rng) for d, t in await enroll_devices(db, warehouse_id, CLIENTS)]
        servers = [Server(backend.url, backend.workdir, f"lost-{i}") for i in range(2)]
        for s in servers:
            await s.ready()
        acked = 0
        limits = httpx.Limits(max_connections=CLIENTS, keepalive_expiry=KEEPALIVE_S)
        async with httpx.AsyncClient(timeout=120, limits=limits) as client:

            async def one(i: int, stream: DeviceStream) -> int:
                nonlocal acked
                headers = {"Authorization": f"Bearer {stream.token}", "Content-Type": "application/json"}
                base = servers[i % len(servers)].base
                for _ in range(per_client // batch):
                    r = await client.post(base + "/api/sync/push", content=stream.batch(batch).body, headers=headers)
                    if r.status_code == 200:
                        acked += sum(1 for res in r.json()["results"] if res["status"] == "applied")
                return 0

            await asyncio.gather(*(one(i, s) for i, s in enumerate(streams)))
        for s in servers:
            s.stop()
        async with db.read() as conn:
            stored = (await conn.execute(select(func.count()).select_from(scans)
                                         .where(scans.c.device_id.in_([s.device_id for s in streams])))).scalar_one()  # fmt: skip
        return {"acked": acked, "stored": stored, "lost": acked - stored}
    finally:
        for s in servers:
            s.stop()
        await db.dispose()
        await dbs.drop(backend)


async def kinto_acked_minus_stored(dbs: Databases, per_client: int, batch: int = 25) -> dict:
    backend = await dbs.create("postgres", "kinto_lost")
    kinto = Kinto(backend.workdir, "postgresql", batch, "postgresql://" + backend.url.split("://", 1)[1])
    try:
        await kinto.ready()
        return await acked_minus_stored(kinto, CLIENTS, per_client, batch, random.Random(4))
    finally:
        kinto.stop()
        await dbs.drop(backend)


async def run(per_client_tally: int, per_client_kinto: int, pg_url: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="tally-bench-lost-") as tmp:
        dbs = Databases(pg_url, Path(tmp))
        try:
            return {"tally": await tally_acked_minus_stored(dbs, per_client_tally),
                    "kinto": await kinto_acked_minus_stored(dbs, per_client_kinto)}  # fmt: skip
        finally:
            await dbs.drop_all()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-client", type=int, default=2000, help="ops (Tally) a client")
    parser.add_argument("--per-client-kinto", type=int, default=250, help="records (Kinto) a client")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.per_client, args.per_client_kinto, args.pg_url)), indent=2))
