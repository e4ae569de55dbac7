"""Benchmark: sync push throughput, incremental pull latency and snapshot bootstrap, on SQLite and PostgreSQL.

In one run, side by side (each section interleaves its variants, so the machine's drift hits them alike):

1. Push. A fresh database (`tally db upgrade`), one warehouse and five picker devices enrolled in this process
   (`server.usecases.devices.create_enrollment` + `enroll`), the real server (`tally serve`, uvicorn, default
   settings: SQLite runs WAL with synchronous=FULL) as a subprocess on 127.0.0.1. Each run pushes a fixed number
   of `RecordScan` ops, pre-encoded as JSON, in 100-op and in 500-op batches, from 1 and from 4 devices at once
   (httpx, one request in flight per device, answers decoded by msgspec into `PushResponse`: as the reference
   client does). A section stops starting new runs after a time cap (100 s; --quick 20 s) once it has 3, so a
   busy machine cannot stretch the run without bound; the repetitions done are printed and saved. Interleaved
   with each HTTP run, round by round (all devices' next batches over HTTP, then the same rows raw):
   - raw SQLite: stdlib `sqlite3` `executemany` of the same rows (the `op_log` and `scans` columns and keys, the
     same values as Tally stores them), one transaction per batch, WAL, synchronous=FULL, into a fresh file that
     receives exactly the rows the Tally database receives (ratio = Tally wall time / raw wall time);
   - raw PostgreSQL: asyncpg `executemany` of the same rows into twin tables, one transaction per batch;
   - HTTP floor: the same requests from the same client to `scripts/http_floor.py`, an ASGI app under uvicorn
     that reads each body and answers a push answer of the same size at once: the share of "Tally over HTTP"
     that is the client, uvicorn and the loopback;
   - in-process: `sync.push.push` called directly (body decoded with the server's typed decoder), one device,
     no HTTP, no Litestar, no authentication.
2. Pull. Two databases with a change log of 10,000 and of 1,000,000 changes (--quick: 200,000), bulk-inserted
   directly (stdlib sqlite3 / asyncpg COPY): versions ascending, scopes `catalog` 40%, `warehouse:W` 30% (the
   device's), `warehouse:W+1` 20%, `courier:1` 10%, product-, bin- and route-shaped JSON documents;
   `sync_state.version` at the max. One picker device whose log cursor
   (`sync.cursor.encode(LogCursor(epoch, scopes_digest(scopes), v))`) leaves a full page plus a few changes.
   Both servers run at once and the requests alternate one by one between the logs. Per page size (100, 1,000):
   POST /api/sync/pull latency (`Accept-Encoding: identity`; gzip beside it for 1,000), and in this process
   `sync.pull.pull` + the handler's JSON encoding ("server time"; like the server, this process records a
   device's pull status with a write transaction at most every few seconds) and `changelog.read_after` alone.
3. Bootstrap. `tally demo --products 20000 --orders 0` (20,000 products with their barcodes, 160 bins in the
   first warehouse); for each run a fresh picker device pulls its snapshot to completion (until `more` is false)
   with limit 5,000, as JSON and as MessagePack, with `Accept-Encoding: gzip` and with `identity`. Bytes are the
   response bodies as the server sent them (compressed when it compressed), headers excluded; seconds include
   the client's typed decoding of each page.
4. Servers stopped, temporary directories and `tally_bench_sync_*` PostgreSQL databases dropped.

Headline keys in --json: `push_ops_per_s_<backend>` and `push_raw_ratio_<backend>` are the 500-op batches from one
device (one request at a time, directly comparable with the sequential raw writer; every variant has its own
key); `pull_flat_ratio` is p50(1M) / p50(10k) over HTTP for 1,000-change pages on SQLite and
`pull_1000_server_ms_sqlite` the in-process server time of that page on the 1M log; `bootstrap_20k_s` is JSON with
gzip (what the reference client gets through httpx), `bootstrap_20k_bytes_{json,msgpack}[_gzip]` the body bytes.

The load generator shares the 2-core machine with the server (and PostgreSQL), so absolute figures are
pessimistic and drift 20-35% within an hour: compare only figures from one run. The 1-minute load average at the
start and end is printed and saved: above the CPU count, other work competed with the run. Nothing here asserts
on time.

`--profile-push` profiles the push path instead (500-op batches by default): `sync.push.push` in-process with
each statement split into SQLAlchemy and driver time from SQLAlchemy's execution events, a cProfile grouped by
package, then the real server under HTTP pushes sampled by py-spy (`pip install py-spy` into this environment;
it is not a project dependency) with its main-thread and SQLite-thread samples sorted into categories.

Run (needs the test extra for httpx, and PostgreSQL at --pg-url for the postgres half):

    .venv/bin/python scripts/bench_sync.py --quick                     # smaller, under ~3 minutes
    .venv/bin/python scripts/bench_sync.py --json bench-sync.json      # the full run, under ~15 minutes
    .venv/bin/python scripts/bench_sync.py --backend sqlite --only push
    .venv/bin/python scripts/bench_sync.py --profile-push --backend sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import msgspec
from sqlalchemy import select, text

from server.clock import now
from server.db.tables import SYNC, warehouses
from server.syncapp.app import TallySync
from server.usecases.catalog import create_warehouse
from server.usecases.devices import create_enrollment, enroll
from sync import changelog
from sync import cursor as cursors
from sync.database import Database
from sync.protocol import PullRequest, PullResponse, PushRequest, PushResponse
from sync.pull import pull as sync_pull
from sync.push import push as sync_push
from sync.registry import Device

from bench_server import TALLY, Server  # noqa: E402  (scripts/ is on sys.path when run as a script)
DEFAULT_PG = os.environ.get("TALLY_TEST_POSTGRES_URL", "postgresql://127.0.0.1:5432/test")
MSGPACK = "application/msgpack"
# uvicorn closes a keep-alive connection idle for 5 s; a client reusing it at that moment gets a ReadError.
KEEPALIVE_S = 2.0
_push_decoder = msgspec.json.Decoder(PushRequest, strict=True)  # the same decoder the push endpoint uses
_json = msgspec.json.Encoder()


@dataclass(frozen=True)
class Profile:
    push_ops: int  # ops per push run (split over the devices of the run)
    push_runs: int
    batches: tuple[int, ...]
    devices: tuple[int, ...]
    pull_sizes: tuple[int, ...]  # change-log lengths
    pull_limits: tuple[int, ...]
    pull_rounds: int  # alternations between the logs
    pull_per_round: int  # requests per (log, limit) in one round
    bootstrap_products: int
    bootstrap_runs: int
    cap_s: float  # per section and backend: no new run/round starts after this (at least 3 runs, 2 pull rounds)


FULL = Profile(push_ops=10_000, push_runs=5, batches=(100, 500), devices=(1, 4), pull_sizes=(10_000, 1_000_000),
               pull_limits=(100, 1000), pull_rounds=10, pull_per_round=20, bootstrap_products=20_000,
               bootstrap_runs=5, cap_s=100)  # fmt: skip
QUICK = Profile(push_ops=2_000, push_runs=3, batches=(100, 500), devices=(1, 4), pull_sizes=(10_000, 200_000),
                pull_limits=(100, 1000), pull_rounds=3, pull_per_round=10, bootstrap_products=20_000,
                bootstrap_runs=3, cap_s=20)  # fmt: skip


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": statistics.median(ordered), "min": ordered[0], "max": ordered[-1], "p95": p95, "n": len(ordered)}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def tally(url: str, *args: str) -> str:
    done = subprocess.run([TALLY, *args], env={**os.environ, "DATABASE_URL": url}, capture_output=True, text=True,
                          timeout=600, check=False)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"tally {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def sqlite_text(value: datetime) -> str:
    """A UTC datetime as SQLAlchemy's SQLite DateTime stores it (naive, microseconds)."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


@dataclass
class Backend:
    """One fresh database: its kind, URL, work directory and (SQLite) file."""

    kind: str
    url: str
    workdir: Path
    sqlite_path: Path | None = None


class Databases:
    """Creates fresh databases (SQLite files in a temp dir, PostgreSQL `tally_bench_sync_*`) and drops them all."""

    def __init__(self, pg_url: str, workdir: Path) -> None:
        self.pg_url = pg_url
        self.workdir = workdir
        self.pg_names: list[str] = []

    async def create(self, kind: str, name: str) -> Backend:
        if kind == "sqlite":
            path = self.workdir / f"{name}.db"
            return Backend(kind, f"sqlite+aiosqlite:///{path}", self.workdir, sqlite_path=path)
        db_name = f"tally_bench_sync_{name}_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(self.pg_url, timeout=10)
        try:
            await admin.execute(f'CREATE DATABASE "{db_name}"')
        finally:
            await admin.close()
        self.pg_names.append(db_name)
        return Backend(kind, "postgresql+asyncpg://" + self.pg_url.split("://", 1)[1].rsplit("/", 1)[0] + "/" + db_name, self.workdir)

    async def drop(self, backend: Backend) -> None:
        """Drop a section's database as soon as it is done (PostgreSQL checkpoints on each DROP: seconds)."""
        if backend.sqlite_path is not None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{backend.sqlite_path}{suffix}").unlink(missing_ok=True)
            return
        name = backend.url.rsplit("/", 1)[1]
        await self._drop([name])

    async def drop_all(self) -> None:
        await self._drop(list(self.pg_names))

    async def _drop(self, names: list[str]) -> None:
        if not names:
            return
        admin = await asyncpg.connect(self.pg_url, timeout=10)
        try:
            for name in names:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                self.pg_names.remove(name)
        finally:
            await admin.close()


def asyncpg_dsn(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


async def enroll_devices(db: Database, warehouse_id: int, n: int, role: str = "picker") -> list[tuple[str, str]]:
    devices = []
    for i in range(n):
        code = await create_enrollment(db, "bench", role, {"warehouse_id": warehouse_id})
        enrolled = await enroll(db, code.code, f"BENCH-{i:02d}", "bench")
        devices.append((enrolled.device_id, enrolled.token))
    return devices


# --- 1. push ------------------------------------------------------------------------------------------------


CODES = [f"46{random.Random(i).randrange(10**10, 10**11)}" for i in range(500)]
CONTEXTS = ["pick", "check", "pack", "load"]


@dataclass
class Batch:
    device_id: str
    body: bytes  # the request as the device sends it (JSON)
    op_log: list[tuple]  # the rows Tally will store, as raw SQLite stores them
    scans: list[tuple]
    pg_op_log: list[tuple]  # the same rows with typed values, for asyncpg
    pg_scans: list[tuple]


class DeviceStream:
    """A device's ops: consecutive seqs, captured a little before they are pushed."""

    def __init__(self, device_id: str, token: str, rng: random.Random) -> None:
        self.device_id, self.token, self.rng = device_id, token, rng
        self.next_seq = 1

    def batch(self, n: int) -> Batch:
        captured = datetime.now(UTC) - timedelta(seconds=30)
        received = datetime.now(UTC)  # the raw writes store a server time too; its exact value does not matter
        ops, op_log, scans, pg_op_log, pg_scans = [], [], [], [], []
        for i in range(n):
            seq = self.next_seq + i
            at = captured + timedelta(milliseconds=40 * i)
            payload = {"code": self.rng.choice(CODES), "location": f"A-{self.rng.randint(1, 8):02d}-{self.rng.randint(1, 5)}",
                       "context": self.rng.choice(CONTEXTS)}  # fmt: skip
            op_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
            ops.append({"op_id": op_id, "seq": seq, "type": "RecordScan", "captured_at": at.isoformat(), "payload": payload})
            raw_payload = _json.encode(payload).decode()
            op_log.append((self.device_id, seq, op_id, "RecordScan", sqlite_text(at), sqlite_text(received), "applied", None, None, raw_payload))
            scans.append((self.device_id, seq, payload["code"], payload["location"], payload["context"], sqlite_text(at), sqlite_text(received)))
            pg_op_log.append((self.device_id, seq, op_id, "RecordScan", at, received, "applied", None, None, raw_payload))
            pg_scans.append((self.device_id, seq, payload["code"], payload["location"], payload["context"], at, received))
        self.next_seq += n
        body = _json.encode({"protocol": 1, "device_id": self.device_id, "ops": ops, "pending": 0, "app_version": "bench"})
        return Batch(self.device_id, body, op_log, scans, pg_op_log, pg_scans)


RAW_SQLITE_SCHEMA = """
CREATE TABLE op_log (device_id VARCHAR(64) NOT NULL, seq BIGINT NOT NULL, op_id VARCHAR(36) NOT NULL,
    type VARCHAR(64) NOT NULL, captured_at DATETIME NOT NULL, received_at DATETIME NOT NULL, status VARCHAR(16) NOT NULL,
    code VARCHAR(64), message TEXT, payload TEXT NOT NULL, PRIMARY KEY (device_id, seq));
CREATE TABLE scans (device_id VARCHAR(64) NOT NULL, seq BIGINT NOT NULL, code VARCHAR(200) NOT NULL, location VARCHAR(64),
    context VARCHAR(64) DEFAULT '' NOT NULL, captured_at DATETIME NOT NULL, recorded_at DATETIME NOT NULL,
    PRIMARY KEY (device_id, seq));
"""
RAW_PG_SCHEMA = """
CREATE TABLE raw_op_log (device_id VARCHAR(64) NOT NULL, seq BIGINT NOT NULL, op_id VARCHAR(36) NOT NULL,
    type VARCHAR(64) NOT NULL, captured_at TIMESTAMPTZ NOT NULL, received_at TIMESTAMPTZ NOT NULL,
    status VARCHAR(16) NOT NULL, code VARCHAR(64), message TEXT, payload TEXT NOT NULL, PRIMARY KEY (device_id, seq));
CREATE TABLE raw_scans (device_id VARCHAR(64) NOT NULL, seq BIGINT NOT NULL, code VARCHAR(200) NOT NULL,
    location VARCHAR(64), context VARCHAR(64) DEFAULT '' NOT NULL, captured_at TIMESTAMPTZ NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (device_id, seq));
"""


class RawSqlite:
    """The same rows through stdlib sqlite3: executemany, one transaction per batch, WAL, synchronous=FULL."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.executescript(RAW_SQLITE_SCHEMA)

    def write(self, batches: list[Batch]) -> float:
        began = time.perf_counter()
        for b in batches:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.executemany("INSERT INTO op_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", b.op_log)
            self.conn.executemany("INSERT INTO scans VALUES (?, ?, ?, ?, ?, ?, ?)", b.scans)
            self.conn.execute("COMMIT")
        return time.perf_counter() - began

    def close(self) -> None:
        self.conn.close()


class RawPostgres:
    """The same rows through asyncpg: executemany into twin tables, one transaction per batch."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    @classmethod
    async def open(cls, url: str) -> RawPostgres:
        conn = await asyncpg.connect(asyncpg_dsn(url))
        await conn.execute(RAW_PG_SCHEMA)
        return cls(conn)

    async def write(self, batches: list[Batch]) -> float:
        began = time.perf_counter()
        for b in batches:
            async with self.conn.transaction():
                await self.conn.executemany("INSERT INTO raw_op_log VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)", b.pg_op_log)
                await self.conn.executemany("INSERT INTO raw_scans VALUES ($1, $2, $3, $4, $5, $6, $7)", b.pg_scans)
        return time.perf_counter() - began

    async def close(self) -> None:
        await self.conn.close()


async def push_over_http(client: httpx.AsyncClient, per_device: list[tuple[str, list[Batch]]]) -> float:
    """Each device pushes its batches one request at a time; devices run concurrently. Returns wall seconds."""

    async def device(token: str, batches: list[Batch]) -> None:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        for b in batches:
            headers["x-ops"] = str(len(b.op_log))  # read only by the HTTP floor (scripts/http_floor.py)
            response = await client.post("/api/sync/push", content=b.body, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"push answered {response.status_code}: {response.text[:500]}")
            answer = msgspec.json.decode(response.content, type=PushResponse)  # as the reference client decodes it
            if answer.results[-1].status != "applied":
                raise RuntimeError(f"push not applied: {str(answer)[:500]}")

    began = time.perf_counter()
    await asyncio.gather(*(device(token, batches) for token, batches in per_device))
    return time.perf_counter() - began


async def push_in_process(db: Database, batches: list[Batch]) -> float:
    app = TallySync()
    began = time.perf_counter()
    for b in batches:
        response = await sync_push(db, SYNC, app, b.device_id, _push_decoder.decode(b.body), now())
        if response.results[-1].status != "applied":
            raise RuntimeError(f"in-process push not applied: {response.results[-1]}")
    return time.perf_counter() - began


async def bench_push(dbs: Databases, kind: str, profile: Profile) -> dict:
    backend = await dbs.create(kind, "push")
    tally(backend.url, "db", "upgrade")
    db = Database(backend.url)
    out: dict = {}
    raw_sqlite: RawSqlite | None = None
    raw_pg: RawPostgres | None = None
    server: Server | None = None
    floor: Server | None = None
    try:
        warehouse_id = await create_warehouse(db, "BENCH", "Bench warehouse")
        devices = await enroll_devices(db, warehouse_id, max(profile.devices) + 1)
        rng = random.Random(5)
        streams = [DeviceStream(d, t, rng) for d, t in devices]
        http_streams, inproc_stream = streams[:-1], streams[-1]
        if kind == "sqlite":
            raw_sqlite = RawSqlite(backend.workdir / "raw-push.db")
        else:
            raw_pg = await RawPostgres.open(backend.url)
            async with db.read() as conn:
                out["pg_synchronous_commit"] = (await conn.execute(text("SHOW synchronous_commit"))).scalar()
        server = Server(backend.url, backend.workdir, f"push-{kind}")
        floor = Server(backend.url, backend.workdir, "http-floor", app="http_floor:app")
        await server.ready()
        await floor.ready()
        limits = httpx.Limits(max_connections=max(profile.devices), keepalive_expiry=KEEPALIVE_S)
        async with (httpx.AsyncClient(base_url=server.base, limits=limits, timeout=60) as client,
                    httpx.AsyncClient(base_url=floor.base, limits=limits, timeout=60) as floor_client):  # fmt: skip

            async def raw_write(batches: list[Batch]) -> float:
                if raw_sqlite is not None:
                    return raw_sqlite.write(batches)
                return await raw_pg.write(batches)

            # Warm-up: every device, both batch sizes, every path (not counted).
            for size in profile.batches:
                warm = [(s.token, [s.batch(size)]) for s in http_streams]
                await push_over_http(client, warm)
                await push_over_http(floor_client, warm)
                await raw_write([b for _, bs in warm for b in bs])
                await push_in_process(db, [inproc_stream.batch(size)])

            samples: dict[str, dict[str, list[float]]] = {}
            began = time.perf_counter()
            for run in range(profile.push_runs):
                if run >= 3 and time.perf_counter() - began > profile.cap_s:
                    log(f"{kind}: push: time cap of {profile.cap_s:.0f} s reached after {run} runs (a busy machine)")
                    break
                for size in profile.batches if run % 2 == 0 else profile.batches[::-1]:
                    for n_dev in profile.devices if run % 2 == 0 else profile.devices[::-1]:
                        key = f"b{size}_d{n_dev}"
                        s = samples.setdefault(key, {"http": [], "raw": [], "ratio": [], "floor": [], "cpu_ms_per_op": []})
                        per_dev_batches = max(1, profile.push_ops // (size * n_dev))
                        per_device = [(st.token, [st.batch(size) for _ in range(per_dev_batches)]) for st in http_streams[:n_dev]]
                        ops = size * per_dev_batches * n_dev
                        http_s = raw_s = floor_s = cpu_s = 0.0
                        for i in range(per_dev_batches):
                            # Round by round, so that the machine's drift (which moves figures by a third within
                            # seconds here) hits all alike: every device pushes its next batch at once, then the
                            # raw writer writes the same rows in the same transactions, round-robin over the devices,
                            # then the same requests go to the HTTP floor.
                            cpu_before = server.cpu_s()
                            http_s += await push_over_http(client, [(token, [bs[i]]) for token, bs in per_device])
                            cpu_s += server.cpu_s() - cpu_before
                            raw_s += await raw_write([bs[i] for _, bs in per_device])
                            floor_s += await push_over_http(floor_client, [(token, [bs[i]]) for token, bs in per_device])
                        cpu_ms = cpu_s * 1000 / ops
                        s["http"].append(ops / http_s)
                        s["raw"].append(ops / raw_s)
                        s["ratio"].append(http_s / raw_s)
                        s["floor"].append(ops / floor_s)
                        s["cpu_ms_per_op"].append(cpu_ms)
                    key = f"b{size}_inproc"
                    s = samples.setdefault(key, {"inproc": []})
                    n_batches = max(1, profile.push_ops // size)
                    batches = [inproc_stream.batch(size) for _ in range(n_batches)]
                    s["inproc"].append(size * n_batches / await push_in_process(db, batches))
                log(f"{kind}: push run {run + 1}/{profile.push_runs}: "
                    + ", ".join(f"{k} {v['http'][-1]:,.0f} ops/s (raw x{v['ratio'][-1]:.1f})"
                                for k, v in samples.items() if "http" in v))  # fmt: skip
            for key, s in samples.items():
                out[f"push_{key}"] = {name: summary(values) for name, values in s.items()}
            out["push_ops_per_run"] = profile.push_ops
            out["push_runs_done"] = len(samples[f"b{profile.batches[0]}_d{profile.devices[0]}"]["http"])
        # Every op pushed is stored once, in both tables; the raw writer received the same rows.
        expected = sum(st.next_seq - 1 for st in streams)
        async with db.read() as conn:
            stored = [(await conn.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one() for t in ("op_log", "scans")]
        raw_rows = (raw_sqlite.conn.execute("SELECT count(*) FROM op_log").fetchone()[0] if raw_sqlite is not None
                    else await raw_pg.conn.fetchval("SELECT count(*) FROM raw_op_log"))  # fmt: skip
        if stored != [expected, expected] or raw_rows != sum(st.next_seq - 1 for st in http_streams):
            raise RuntimeError(f"row counts differ: tally {stored}, expected {expected}, raw {raw_rows}")
    finally:
        if server is not None:
            server.stop()
        if floor is not None:
            floor.stop()
        if raw_sqlite is not None:
            raw_sqlite.close()
        if raw_pg is not None:
            await raw_pg.close()
        await db.dispose()
        await dbs.drop(backend)
    return out


# --- 2. pull ------------------------------------------------------------------------------------------------


def change_rows(n: int, first_version: int, warehouse_id: int, rng: random.Random, at: datetime) -> list[tuple]:
    """`n` changes: (version, scope, kind, entity_id, op, data)."""
    scopes = ["catalog"] * 4 + [f"warehouse:{warehouse_id}"] * 3 + [f"warehouse:{warehouse_id + 1}"] * 2 + ["courier:1"]
    rows = []
    for i in range(n):
        version = first_version + i
        scope = scopes[rng.randrange(10)]
        if scope == "catalog":
            pid = rng.randrange(1, 20_001)
            data = {"id": pid, "sku": f"SKU-{pid:06d}", "name": f"Product {pid} 500 g", "unit": "pcs", "price": rng.randrange(100, 100_000),
                    "currency": "RUB", "marked": pid % 7 == 0, "barcodes": [[f"46{pid:011d}", 1], [f"47{pid:011d}", 12]]}  # fmt: skip
            rows.append((version, scope, "product", str(pid), "put", _json.encode(data).decode()))
        elif scope.startswith("warehouse"):
            lid = rng.randrange(1, 2001)
            op = "del" if rng.random() < 0.02 else "put"
            data = None if op == "del" else {"id": lid, "code": f"A-{lid % 8:02d}-{lid % 5}", "barcode": f"L1A{lid:04d}", "zone": "A",
                                             "pick_seq": lid * 10}  # fmt: skip
            rows.append((version, scope, "location", str(lid), op, None if data is None else _json.encode(data).decode()))
        else:
            rid = rng.randrange(1, 5000)
            data = {"id": rid, "day": "2025-01-01", "vehicle": "A123BC", "status": "planned", "stops": []}
            rows.append((version, scope, "route", str(rid), "put", _json.encode(data).decode()))
    return rows


async def fill_change_log(backend: Backend, n: int, warehouse_id: int) -> None:
    rng = random.Random(n)
    at = datetime.now(UTC) - timedelta(days=1)
    chunk = 100_000
    if backend.sqlite_path is not None:
        conn = sqlite3.connect(backend.sqlite_path, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=OFF")  # a bulk load, not what is measured
            at_text = sqlite_text(at)
            for base in range(0, n, chunk):
                rows = [(*r, at_text) for r in change_rows(min(chunk, n - base), base + 1, warehouse_id, rng, at)]
                conn.execute("BEGIN")
                conn.executemany("INSERT INTO changes (version, scope, kind, entity_id, op, data, at) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
                conn.execute("UPDATE sync_state SET version = ? WHERE id = 1", (base + len(rows),))
                conn.execute("COMMIT")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        return
    conn = await asyncpg.connect(asyncpg_dsn(backend.url))
    try:
        for base in range(0, n, chunk):
            rows = [(*r, at) for r in change_rows(min(chunk, n - base), base + 1, warehouse_id, rng, at)]
            await conn.copy_records_to_table("changes", records=rows, columns=["version", "scope", "kind", "entity_id", "op", "data", "at"])
        await conn.execute("UPDATE sync_state SET version = $1 WHERE id = 1", n)
        await conn.execute("VACUUM ANALYZE changes")  # what autovacuum would do soon after a bulk load
    finally:
        await conn.close()


@dataclass
class PullWorld:
    size: int
    backend: Backend
    db: Database
    device_id: str
    token: str
    scopes: list[str]
    cursors: dict[int, str]  # limit -> a log cursor leaving a full page plus a few changes
    server: Server | None = None


async def close_pull_worlds(dbs: Databases, worlds: list[PullWorld]) -> None:
    """Stop each world's server, close its database handle and drop its database."""
    for w in worlds:
        if w.server is not None:
            w.server.stop()
        await w.db.dispose()
        await dbs.drop(w.backend)


async def build_pull_world(dbs: Databases, kind: str, size: int, limits: tuple[int, ...]) -> PullWorld:
    backend = await dbs.create(kind, f"pull{size}")
    tally(backend.url, "db", "upgrade")
    db = Database(backend.url)
    warehouse_id = await create_warehouse(db, "BENCH", "Bench warehouse")
    await create_warehouse(db, "OTHER", "Another warehouse")
    ((device_id, token),) = await enroll_devices(db, warehouse_id, 1)
    began = time.perf_counter()
    await fill_change_log(backend, size, warehouse_id)
    log(f"{kind}: change log of {size:,} loaded in {time.perf_counter() - began:.1f} s")
    app = TallySync()
    async with db.read() as conn:
        device = Device(device_id, "BENCH-00", "picker", {"warehouse_id": warehouse_id})
        scopes = app.scopes(device)
        state = await changelog.read_state(conn, SYNC)
        c = SYNC.changes.c
        found: dict[int, str] = {}
        for limit in limits:
            # The version just below the (limit + 10)-th newest change the device can see.
            v = (await conn.execute(select(c.version).where(c.scope.in_(scopes)).order_by(c.version.desc())
                                    .offset(limit + 9).limit(1))).scalar_one()  # fmt: skip
            found[limit] = cursors.encode(cursors.LogCursor(state.epoch, cursors.scopes_digest(scopes), v - 1))
    return PullWorld(size, backend, db, device_id, token, scopes, found)


async def time_pull_http(client: httpx.AsyncClient, world: PullWorld, limit: int, n: int, encoding: str = "identity") -> list[float]:
    body = _json.encode({"protocol": 1, "cursor": world.cursors[limit], "limit": limit})
    headers = {"Authorization": f"Bearer {world.token}", "Content-Type": "application/json", "Accept-Encoding": encoding}
    samples = []
    for _ in range(n):
        began = time.perf_counter()
        response = await client.post(world.server.base + "/api/sync/pull", content=body, headers=headers)
        elapsed = time.perf_counter() - began
        if response.status_code != 200:
            raise RuntimeError(f"pull answered {response.status_code}: {response.text[:500]}")
        page = response.json()
        if not page["more"] or len(page["changes"]) < limit // 2:  # a page is deduplicated by entity, so a bit short
            raise RuntimeError(f"pull page too short: {len(page['changes'])} changes, more={page['more']}")
        samples.append(elapsed * 1000)
    return samples


async def time_pull_in_process(world: PullWorld, limit: int, n: int) -> tuple[list[float], list[float]]:
    """(pull() + JSON encoding of the answer, changelog.read_after alone) in ms."""
    app = TallySync()
    request = PullRequest(protocol=1, cursor=world.cursors[limit], limit=limit)
    current = cursors.decode(world.cursors[limit])
    full, read = [], []
    for _ in range(n):
        began = time.perf_counter()
        response = await sync_pull(world.db, SYNC, app, world.device_id, request, now())
        _json.encode(response)
        full.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        async with world.db.read() as conn:
            rows = await changelog.read_after(conn, SYNC, world.scopes, current.version, limit + 1)
        read.append((time.perf_counter() - began) * 1000)
        if len(rows) != limit + 1:
            raise RuntimeError(f"read_after gave {len(rows)} rows")
    return full, read


async def bench_pull(dbs: Databases, kind: str, profile: Profile) -> dict:
    worlds: list[PullWorld] = []
    out: dict = {}
    try:
        for size in profile.pull_sizes:
            worlds.append(await build_pull_world(dbs, kind, size, profile.pull_limits))
        for w in worlds:
            w.server = Server(w.backend.url, w.backend.workdir, f"pull-{kind}-{w.size}")
        for w in worlds:
            await w.server.ready()
        samples: dict[str, list[float]] = {}
        async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(keepalive_expiry=KEEPALIVE_S)) as client:
            for w in worlds:  # warm-up: caches, connections, statement caches
                for limit in profile.pull_limits:
                    await time_pull_http(client, w, limit, 5)
                    await time_pull_in_process(w, limit, 5)
            # Alternate request by request between the logs, so a burst of load on this shared machine hits both.
            top = max(profile.pull_limits)
            began = time.perf_counter()
            for rnd in range(profile.pull_rounds):
                if rnd >= 2 and time.perf_counter() - began > profile.cap_s:
                    log(f"{kind}: pull: time cap of {profile.cap_s:.0f} s reached after {rnd} rounds (a busy machine)")
                    break
                out["pull_rounds_done"] = rnd + 1
                for limit in profile.pull_limits:
                    for i in range(profile.pull_per_round):
                        order = worlds if (rnd + i) % 2 == 0 else worlds[::-1]
                        for w in order:
                            samples.setdefault(f"{w.size}_l{limit}_http", []).extend(await time_pull_http(client, w, limit, 1))
                        for w in order:
                            full, read = await time_pull_in_process(w, limit, 1)
                            samples.setdefault(f"{w.size}_l{limit}_inproc", []).extend(full)
                            samples.setdefault(f"{w.size}_l{limit}_read", []).extend(read)
                for i in range(max(2, profile.pull_per_round // 4)):  # what a device asking for gzip waits
                    for w in worlds if i % 2 == 0 else worlds[::-1]:
                        samples.setdefault(f"{w.size}_l{top}_http_gzip", []).extend(await time_pull_http(client, w, top, 1, "gzip"))
            log(f"{kind}: pull: " + ", ".join(f"{k} {statistics.median(v):.1f} ms" for k, v in samples.items() if "_http" in k))
        for key, values in samples.items():
            out[f"pull_{key}"] = summary(values)
        out["pull_sizes"] = list(profile.pull_sizes)
    finally:
        await close_pull_worlds(dbs, worlds)
    return out


# --- 3. bootstrap -------------------------------------------------------------------------------------------


async def bootstrap_once(client: httpx.AsyncClient, token: str, msgpack: bool, encoding: str, limit: int) -> dict:
    kind = MSGPACK if msgpack else "application/json"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": kind, "Accept": kind, "Accept-Encoding": encoding}
    cursor, requests, wire, plain, changes, gzipped = None, 0, 0, 0, 0, 0
    began = time.perf_counter()
    while True:
        body = {"protocol": 1, "limit": limit} | ({"cursor": cursor} if cursor else {})
        content = msgspec.msgpack.encode(body) if msgpack else _json.encode(body)
        async with client.stream("POST", "/api/sync/pull", content=content, headers=headers) as response:
            raw = b"".join([chunk async for chunk in response.aiter_raw()])
            if response.status_code != 200:
                raise RuntimeError(f"pull answered {response.status_code}: {raw[:500]!r}")
            compressed = response.headers.get("content-encoding", "")
        data = gzip.decompress(raw) if compressed == "gzip" else raw
        if compressed not in ("", "gzip", "identity"):
            raise RuntimeError(f"unexpected content-encoding {compressed}")
        page = msgspec.msgpack.decode(data, type=PullResponse) if msgpack else msgspec.json.decode(data, type=PullResponse)
        requests += 1
        gzipped += compressed == "gzip"
        wire += len(raw)
        plain += len(data)
        changes += len(page.changes)
        cursor = page.cursor
        if not page.more:
            break
    return {"s": time.perf_counter() - began, "requests": requests, "bytes": wire, "plain_bytes": plain, "changes": changes,
            "gzipped_pages": gzipped}  # fmt: skip


async def bench_bootstrap(dbs: Databases, kind: str, profile: Profile) -> dict:
    backend = await dbs.create(kind, "boot")
    tally(backend.url, "db", "upgrade")
    tally(backend.url, "demo", "--orders", "0", "--products", str(profile.bootstrap_products))
    db = Database(backend.url)
    server: Server | None = None
    variants = [(fmt, enc) for fmt in ("json", "msgpack") for enc in ("gzip", "identity")]
    out: dict = {}
    try:
        async with db.read() as conn:
            warehouse_id = (await conn.execute(select(warehouses.c.id).order_by(warehouses.c.id).limit(1))).scalar_one()
        devices = await enroll_devices(db, warehouse_id, len(variants) * (profile.bootstrap_runs + 1))
        server = Server(backend.url, backend.workdir, f"boot-{kind}")
        await server.ready()
        results: dict[str, list[dict]] = {f"{f}_{e}": [] for f, e in variants}
        async with httpx.AsyncClient(base_url=server.base, timeout=120, limits=httpx.Limits(keepalive_expiry=KEEPALIVE_S)) as client:
            tokens = iter(t for _, t in devices)
            for fmt, enc in (("json", "gzip"), ("msgpack", "identity")):  # warm-up: both encoders, the compressor
                await bootstrap_once(client, next(tokens), fmt == "msgpack", enc, 5000)
            began = time.perf_counter()
            for run in range(profile.bootstrap_runs):
                if run >= 3 and time.perf_counter() - began > profile.cap_s:
                    log(f"{kind}: bootstrap: time cap of {profile.cap_s:.0f} s reached after {run} runs (a busy machine)")
                    break
                out["bootstrap_runs_done"] = run + 1
                for fmt, enc in variants if run % 2 == 0 else reversed(variants):
                    results[f"{fmt}_{enc}"].append(await bootstrap_once(client, next(tokens), fmt == "msgpack", enc, 5000))
                log(f"{kind}: bootstrap run {run + 1}/{profile.bootstrap_runs}: "
                    + ", ".join(f"{k} {v[-1]['s']:.2f} s" for k, v in results.items()))  # fmt: skip
        for key, runs in results.items():
            last = runs[-1]
            out[f"boot_{key}"] = {"s": summary([r["s"] for r in runs]), "requests": last["requests"], "bytes": last["bytes"],
                                  "plain_bytes": last["plain_bytes"], "changes": last["changes"], "gzipped_pages": last["gzipped_pages"]}  # fmt: skip
        out["boot_products"] = profile.bootstrap_products
    finally:
        if server is not None:
            server.stop()
        await db.dispose()
        await dbs.drop(backend)
    return out


# --- profiling the push path (--profile-push) ---------------------------------------------------------------


def _statement_kind(statement: object) -> str:
    words = str(statement).split()
    if not words:
        return "?"
    head = words[0].upper()
    if head == "INSERT":
        return f"INSERT {words[2]}"
    if head == "UPDATE":
        return f"UPDATE {words[1]}"
    if head == "SELECT" and "FROM" in words:
        return f"SELECT {words[words.index('FROM') + 1]}"
    return head


async def profile_push_in_process(db: Database, stream: DeviceStream, size: int, n: int) -> None:
    """Phases of `sync.push.push` from SQLAlchemy's execution events, then cProfile grouped by package."""
    import cProfile
    import pstats

    from sqlalchemy import event

    app = TallySync()
    for _ in range(10):  # warm-up: statement caches, pool
        await sync_push(db, SYNC, app, stream.device_id, _push_decoder.decode(stream.batch(size).body), now())
    acc: dict[str, float] = {}
    started: dict[str, float] = {}

    def add(key: str, seconds: float) -> None:
        acc[key] = acc.get(key, 0.0) + seconds

    def before_execute(*_args) -> None:  # noqa: ANN002
        started["execute"] = time.perf_counter()

    def after_execute(_conn, _clause, _multiparams, _params, _options, result) -> None:  # noqa: ANN001
        elapsed = time.perf_counter() - started.pop("execute")  # first: naming the statement must not count
        add(f"statement {_statement_kind(result.context.statement)}", elapsed)

    def before_cursor(*_args) -> None:  # noqa: ANN002
        started["cursor"] = time.perf_counter()

    def after_cursor(_conn, _cursor, statement, *_rest) -> None:  # noqa: ANN001, ANN002
        elapsed = time.perf_counter() - started.pop("cursor")
        add(f"driver {_statement_kind(statement)}", elapsed)

    # COMMIT goes to the driver without execution events: time the adapted connection's commit().
    engine = db.engine.sync_engine
    async with db.engine.connect() as probe:
        adapter = type((await probe.get_raw_connection()).dbapi_connection)
    original_commit = adapter.commit

    def timed_commit(self) -> None:  # noqa: ANN001
        began = time.perf_counter()
        original_commit(self)
        add("driver COMMIT", time.perf_counter() - began)

    listeners = [("before_execute", before_execute), ("after_execute", after_execute),
                 ("before_cursor_execute", before_cursor), ("after_cursor_execute", after_cursor)]  # fmt: skip
    for name, fn in listeners:
        event.listen(engine, name, fn)
    adapter.commit = timed_commit
    batches = [stream.batch(size) for _ in range(n)]
    try:
        began_all = time.perf_counter()
        for b in batches:
            began = time.perf_counter()
            request = _push_decoder.decode(b.body)
            add("body decode (msgspec, as the endpoint does)", time.perf_counter() - began)
            began = time.perf_counter()
            response = await sync_push(db, SYNC, app, stream.device_id, request, now())
            add("push() total", time.perf_counter() - began)
            began = time.perf_counter()
            _json.encode(response)
            add("response encode", time.perf_counter() - began)
        total = time.perf_counter() - began_all
    finally:
        for name, fn in listeners:
            event.remove(engine, name, fn)
        adapter.commit = original_commit
    ms = {k: v * 1000 / n for k, v in acc.items()}
    statements = sum(v for k, v in ms.items() if k.startswith("statement "))
    driver = sum(v for k, v in ms.items() if k.startswith("driver ") and k != "driver COMMIT" and k != "driver BEGIN")
    print(f"\nIn-process push, {n} batches of {size} RecordScan ops on {db.dialect}: {n * size / total:,.0f} ops/s, "
          f"{total * 1000 / n:.2f} ms a batch (wall)")  # fmt: skip
    commit, begin = ms.get("driver COMMIT", 0.0), ms.get("driver BEGIN", 0.0)
    rest = ms["push() total"] - statements - commit - begin
    print(f"  {'body decode (msgspec PushRequest, as the endpoint does)':<60} {ms['body decode (msgspec, as the endpoint does)']:7.2f} ms")
    print(f"  {'push() total':<60} {ms['push() total']:7.2f} ms")
    print(f"    {'SQL statements = SQLAlchemy + driver':<58} {statements:7.2f} ms = {statements - driver:.2f} + {driver:.2f}")
    for key in sorted(k for k in ms if k.startswith("statement ")):
        kind = key.removeprefix("statement ")
        d = ms.get(f"driver {kind}", 0.0)
        print(f"      {kind:<56} {ms[key]:7.2f} ms = {ms[key] - d:.2f} + {d:.2f}")
    print(f"    {'BEGIN' + (' IMMEDIATE' if db.is_sqlite else '') + ' (driver)':<58} {begin:7.2f} ms")
    print(f"    {'COMMIT (driver: log write + fsync)':<58} {commit:7.2f} ms")
    print(f"    {'the rest: payload decode, handlers, op-log rows, pool, txn':<58} {rest:7.2f} ms")
    print(f"  {'response encode':<60} {ms['response encode']:7.2f} ms")

    profiler = cProfile.Profile()
    batches = [stream.batch(size) for _ in range(n)]
    profiler.enable()
    for b in batches:
        _json.encode(await sync_push(db, SYNC, app, stream.device_id, _push_decoder.decode(b.body), now()))
    profiler.disable()
    stats = pstats.Stats(profiler)
    groups: dict[str, float] = {}
    rows = []
    for (filename, line, name), (_cc, ncalls, tottime, _cum, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if "select.epoll" in name or name == "<method 'poll' of 'select.epoll' objects>" or name.endswith("'select' objects>"):
            group = "event loop waiting (the driver's thread or socket: SQL execution, fsync)"
        elif "sqlalchemy" in filename:
            group = "sqlalchemy"
        elif "aiosqlite" in filename or "SimpleQueue" in name:
            group = "aiosqlite (thread hand-off)"
        elif "asyncpg" in filename or "asyncpg" in name:
            group = "asyncpg"
        elif "msgspec" in name:
            group = "msgspec"
        elif "/sync/" in filename or "/server/" in filename:
            group = "tally (sync/, server/)"
        elif "datetime" in name:
            group = "datetime methods (called from the bind processors)"
        elif "asyncio" in filename or "greenlet" in name:
            group = "asyncio / greenlet"
        else:
            group = "other"
        groups[group] = groups.get(group, 0.0) + tottime
        rows.append((tottime, ncalls, f"{filename.split('site-packages/')[-1].split('/work/main/')[-1]}:{line}({name})"))
    whole = sum(groups.values())
    print(f"\ncProfile of the same, main thread only (profiler overhead inflates per-row calls), {whole * 1000 / n:.1f} ms a batch:")
    for group, seconds in sorted(groups.items(), key=lambda kv: -kv[1]):
        print(f"  {seconds * 1000 / n:7.2f} ms {seconds / whole:6.1%}  {group}")
    print("  top functions by own time (ms a batch, calls a batch):")
    for tottime, ncalls, where in sorted(rows, reverse=True)[:15]:
        print(f"  {tottime * 1000 / n:7.2f} ms {ncalls / n:8.0f}  {where}")


SPY_RULES = [  # first match wins, checked against every frame of a main-thread stack
    ("SQLAlchemy: datetime bind processing (UtcDateTime + SQLite DATETIME)",
     ("process_bind_param", "bind_processor.<locals>", "dialects/sqlite/base.py")),
    ("SQLAlchemy: construct_params, once per row", ("construct_params",)),
    ("driver hand-off (aiosqlite queue put, thread wake-up)", ("aiosqlite/core.py",)),
    ("SQLAlchemy: compile / cache key", ("_compile_w_cache", "_generate_cache_key", "compiler.py", "crud.py")),
    ("SQLAlchemy: other per-row parameter setup (_init_compiled)", ("_init_compiled",)),
    ("asyncpg (protocol, executemany, waits)", ("asyncpg/",)),
    ("SQLAlchemy: results, cursors, pool, begin", ("sqlalchemy/",)),
    ("push: op payload decode", ("_decode (sync/push.py",)),
    ("push: handler (record_scan)", ("record_scan",)),
    ("push: other (ordering, op-log rows)", ("sync/push.py",)),
    ("endpoint: body decode (msgspec)", ("_decode (server/api/sync.py",)),
    ("endpoint: response encode", ("_respond",)),
    ("authentication (outside SQL)", ("authenticate_device", "authenticate_request")),
    ("uvicorn / httptools: HTTP", ("httptools_impl", "uvicorn/")),
    ("Litestar: routing, middleware, DI, responses", ("litestar/",)),
]


def classify_spy(raw_path: Path, batches: int, rate: int) -> list[tuple[str, float]]:
    """py-spy raw stacks -> [(category, ms a batch)] for the server's main thread and the SQLite worker thread."""
    main: dict[str, int] = {}
    worker: dict[str, int] = {}
    for line in raw_path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        n = int(count)
        if "MainThread" in frames[0]:
            body = frames[1:]
            if body and body[-1].startswith("Runner.run"):
                cat = "(idle: the event loop waits)"
            else:
                cat = next((name for name, keys in SPY_RULES if any(k in f for f in body for k in keys)), "other")
            main[cat] = main.get(cat, 0) + n
        elif "_connection_worker_thread" in frames[0]:
            leaf = frames[-1]
            cat = ("(idle)" if "core.py:59" in leaf else "sqlite3 C calls: execute, executemany, COMMIT (fsync)"
                   if "core.py:63" in leaf else "aiosqlite Python")  # fmt: skip
            worker[cat] = worker.get(cat, 0) + n
    out = [(f"main thread: {k}", v * 1000 / rate / batches) for k, v in sorted(main.items(), key=lambda kv: -kv[1])]
    out += [(f"SQLite worker thread: {k}", v * 1000 / rate / batches) for k, v in sorted(worker.items(), key=lambda kv: -kv[1])]
    return out


async def profile_push(dbs: Databases, kind: str, size: int, seconds: int) -> None:
    backend = await dbs.create(kind, "profile")
    tally(backend.url, "db", "upgrade")
    db = Database(backend.url)
    server: Server | None = None
    try:
        warehouse_id = await create_warehouse(db, "BENCH", "Bench warehouse")
        (http_dev, inproc_dev) = await enroll_devices(db, warehouse_id, 2)
        rng = random.Random(9)
        await profile_push_in_process(db, DeviceStream(*inproc_dev, rng), size, 60 if size >= 500 else 200)

        spy = Path(sys.executable).parent / "py-spy"
        if not spy.exists():
            print(f"\n(py-spy not found at {spy}: `{Path(sys.executable).parent}/pip install py-spy` for the HTTP profile)")
            return
        stream = DeviceStream(*http_dev, rng)
        server = Server(backend.url, backend.workdir, f"profile-{kind}")
        await server.ready()
        raw_path = backend.workdir / "push.pyspy.txt"
        async with httpx.AsyncClient(base_url=server.base, timeout=60) as client:
            await push_over_http(client, [(stream.token, [stream.batch(size) for _ in range(5)])])
            batches = [stream.batch(size) for _ in range(seconds * 100)]
            rate = 250
            recorder = subprocess.Popen([str(spy), "record", "--pid", str(server.proc.pid), "--threads", "--idle", "--nonblocking",
                                         "-r", str(rate), "-f", "raw", "-o", str(raw_path), "-d", str(seconds)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
            await asyncio.sleep(1.0)  # py-spy attaches
            headers = {"Authorization": f"Bearer {stream.token}", "Content-Type": "application/json"}
            began, done, cpu_before = time.perf_counter(), 0, server.cpu_s()
            while recorder.poll() is None and done < len(batches):
                response = await client.post("/api/sync/push", content=batches[done].body, headers=headers)
                if response.status_code != 200:
                    raise RuntimeError(f"push answered {response.status_code}: {response.text[:300]}")
                done += 1
            elapsed = time.perf_counter() - began
            cpu_ms = (server.cpu_s() - cpu_before) * 1000 / done
            recorder.wait(30)
        if not raw_path.exists():
            print(f"\npy-spy wrote nothing: {recorder.stderr.read().decode()[-500:]}")
            return
        # py-spy samples while the pushes run, plus the second before the first one: per-batch figures use `done`.
        print(f"\nServer under HTTP push of {size}-op batches from one device, sampled by py-spy at {rate} Hz "
              f"(--threads --idle --nonblocking): {done} batches, {elapsed * 1000 / done:.1f} ms a batch, "
              f"{done * size / elapsed:,.0f} ops/s, server CPU {cpu_ms:.1f} ms a batch. ms a batch (wall, incl. off-CPU):")  # fmt: skip
        for name, value in classify_spy(raw_path, done, rate):
            print(f"  {value:7.2f}  {name}")
    finally:
        if server is not None:
            server.stop()
        await db.dispose()
        await dbs.drop(backend)


# --- the report ---------------------------------------------------------------------------------------------


def fmt_rate(s: dict) -> str:
    return f"{s['p50']:,.0f} ({s['min']:,.0f}-{s['max']:,.0f})"


def fmt_ms(s: dict) -> str:
    return f"{s['p50']:.2f} ({s['min']:.2f}-{s['max']:.2f}) p95 {s['p95']:.2f}"


def fmt_x(s: dict) -> str:
    return f"{s['p50']:.2f} ({s['min']:.2f}-{s['max']:.2f})"


def report(results: dict[str, dict], profile: Profile) -> tuple[str, dict]:
    backends = list(results)
    rows: list[tuple[str, list[str]]] = []
    flat: dict = {"push_ops_per_run": profile.push_ops, "pull_sizes": list(profile.pull_sizes),
                  "pull_requests_per_case_per_round": profile.pull_per_round,
                  "bootstrap_products": profile.bootstrap_products, "python": platform.python_version(), "cpus": os.cpu_count(),
                  "sqlite_version": sqlite3.sqlite_version, "when": datetime.now(UTC).isoformat(timespec="seconds")}  # fmt: skip

    def get(b: str, key: str) -> dict | None:
        return results[b].get(key)

    def row(label: str, key: str, sub: str | None, render: Callable[[dict], str]) -> None:
        values = []
        for b in backends:
            v = get(b, key)
            if v is not None and sub is not None:
                v = v.get(sub)
            values.append(render(v) if v is not None else "-")
        if any(v != "-" for v in values):
            rows.append((label, values))

    flat["push_headline"] = f"push_ops_per_s_<backend> and push_raw_ratio_<backend>: {max(profile.batches)}-op batches from 1 device"
    flat["pull_headline"] = (f"pull_flat_ratio: p50 over HTTP, {max(profile.pull_limits)}-change pages, {max(profile.pull_sizes)} / "
                             f"{min(profile.pull_sizes)} changes; pull_{max(profile.pull_limits)}_server_ms_<backend>: in-process "
                             f"sync.pull.pull + JSON encode p50 on the {max(profile.pull_sizes)}-change log")  # fmt: skip
    flat["bootstrap_headline"] = ("bootstrap_20k_s: JSON with Accept-Encoding gzip (the reference client's default over httpx); "
                                  "bytes keys without _gzip are uncompressed bodies")  # fmt: skip
    if any("push_ops_per_run" in results[b] for b in backends):
        rows.append(("PUSH (RecordScan ops, JSON, HTTP) ops/s: median (min-max)", [""] * len(backends)))
    for size in profile.batches:
        for n_dev in profile.devices:
            key = f"push_b{size}_d{n_dev}"
            row(f"  {size}-op batches, {n_dev} device{'s' if n_dev > 1 else ''}: Tally over HTTP", key, "http", fmt_rate)
            row("    raw executemany, same rows & transactions", key, "raw", fmt_rate)
            row("    ratio Tally time / raw time", key, "ratio", fmt_x)
            row("    HTTP floor: same client and requests, an app that answers at once", key, "floor", fmt_rate)
            row("    server CPU ms per op", key, "cpu_ms_per_op", lambda s: f"{s['p50']:.3f}")
            for b in backends:
                s = get(b, key)
                if s is None:
                    continue
                tag = f"{b}_b{size}_d{n_dev}"
                for stat in ("p50", "min", "max"):
                    suffix = "" if stat == "p50" else f"_{stat}"
                    flat[f"push_ops_per_s_{tag}{suffix}"] = s["http"][stat]
                    flat[f"push_raw_ops_per_s_{tag}{suffix}"] = s["raw"][stat]
                    flat[f"push_raw_ratio_{tag}{suffix}"] = s["ratio"][stat]
                    flat[f"push_floor_ops_per_s_{tag}{suffix}"] = s["floor"][stat]
                flat[f"push_server_cpu_ms_per_op_{tag}"] = s["cpu_ms_per_op"]["p50"]
        key = f"push_b{size}_inproc"
        row(f"  {size}-op batches, sync.push.push in-process (no HTTP)", key, "inproc", fmt_rate)
        for b in backends:
            s = get(b, key)
            if s is not None:
                flat[f"push_inproc_ops_per_s_{b}_b{size}"] = s["inproc"]["p50"]
    # Headlines: 500-op batches from one device (one request at a time, directly comparable with the raw writer).
    headline = f"b{max(profile.batches)}_d1"
    for b in backends:
        if f"push_ops_per_s_{b}_{headline}" in flat:
            flat[f"push_ops_per_s_{b}"] = flat[f"push_ops_per_s_{b}_{headline}"]
            flat[f"push_raw_ratio_{b}"] = flat[f"push_raw_ratio_{b}_{headline}"]

    if any("pull_sizes" in results[b] for b in backends):
        small, large = min(profile.pull_sizes), max(profile.pull_sizes)
        rows.append(("PULL (log cursor near the end) ms: p50 (min-max) p95", [""] * len(backends)))
        for limit in profile.pull_limits:
            for size in profile.pull_sizes:
                row(f"  {limit}-change page, {size:,}-change log: HTTP", f"pull_{size}_l{limit}_http", None, fmt_ms)
                row("    in-process sync.pull.pull + JSON encode", f"pull_{size}_l{limit}_inproc", None, fmt_ms)
                row("    in-process changelog.read_after only", f"pull_{size}_l{limit}_read", None, fmt_ms)
                row("    HTTP with gzip", f"pull_{size}_l{limit}_http_gzip", None, fmt_ms)
            for b in backends:
                if f"pull_{large}_l{limit}_http" not in results[b]:
                    continue
                for where in ("http", "inproc", "read"):
                    for size in profile.pull_sizes:
                        s = results[b][f"pull_{size}_l{limit}_{where}"]
                        flat[f"pull_p50_ms_{b}_{size}_l{limit}_{where}"] = s["p50"]
                        flat[f"pull_p95_ms_{b}_{size}_l{limit}_{where}"] = s["p95"]
                    flat[f"pull_flat_ratio_{b}_l{limit}_{where}"] = (
                        results[b][f"pull_{large}_l{limit}_{where}"]["p50"] / results[b][f"pull_{small}_l{limit}_{where}"]["p50"])
            rows.append((f"  flat ratio p50({large:,}) / p50({small:,}), {limit}-change page: HTTP | in-process",
                         [f"{flat[f'pull_flat_ratio_{b}_l{limit}_http']:.2f} | {flat[f'pull_flat_ratio_{b}_l{limit}_inproc']:.2f}"
                          if f"pull_flat_ratio_{b}_l{limit}_http" in flat else "-" for b in backends]))  # fmt: skip
        top = max(profile.pull_limits)
        for b in backends:
            if f"pull_flat_ratio_{b}_l{top}_http" in flat:
                flat[f"pull_flat_ratio_{b}"] = flat[f"pull_flat_ratio_{b}_l{top}_http"]
                flat[f"pull_{top}_server_ms_{b}"] = flat[f"pull_p50_ms_{b}_{large}_l{top}_inproc"]
        if "pull_flat_ratio_sqlite" in flat:
            flat["pull_flat_ratio"] = flat["pull_flat_ratio_sqlite"]

    if any("boot_products" in results[b] for b in backends):
        rows.append((f"BOOTSTRAP {profile.bootstrap_products:,} products, limit 5000: s median (min-max); requests; body bytes",
                     [""] * len(backends)))  # fmt: skip
        for fmt in ("json", "msgpack"):
            for enc in ("gzip", "identity"):
                key = f"boot_{fmt}_{enc}"
                row(f"  {fmt}, Accept-Encoding {enc}", key, None,
                    lambda v: f"{v['s']['p50']:.2f} ({v['s']['min']:.2f}-{v['s']['max']:.2f}); {v['requests']}; {v['bytes']:,}"
                              + (f" ({v['gzipped_pages']} gzipped)" if v["gzipped_pages"] else ""))  # fmt: skip
                for b in backends:
                    v = get(b, key)
                    if v is None:
                        continue
                    suffix = "" if b == "sqlite" else f"_{b}"
                    tag = fmt if enc == "identity" else f"{fmt}_gzip"
                    flat[f"bootstrap_20k_bytes_{tag}{suffix}"] = v["bytes"]
                    flat[f"bootstrap_20k_s_{tag}{suffix}"] = v["s"]["p50"]
                    flat[f"bootstrap_20k_s_{tag}_min{suffix}"] = v["s"]["min"]
                    flat[f"bootstrap_20k_s_{tag}_max{suffix}"] = v["s"]["max"]
                    flat[f"bootstrap_20k_requests{suffix}"] = v["requests"]
                    flat[f"bootstrap_20k_changes{suffix}"] = v["changes"]
        for b in backends:
            suffix = "" if b == "sqlite" else f"_{b}"
            if f"bootstrap_20k_s_json_gzip{suffix}" in flat:
                # The reference client's default: JSON, and httpx asks for gzip.
                flat[f"bootstrap_20k_s{suffix}"] = flat[f"bootstrap_20k_s_json_gzip{suffix}"]

    for b in backends:
        for key in ("push_runs_done", "pull_rounds_done", "bootstrap_runs_done"):
            if key in results[b]:
                flat[f"{key}_{b}"] = results[b][key]
        flat[f"bench_seconds_{b}"] = results[b].get("seconds")
        if "pg_synchronous_commit" in results[b]:
            flat["pg_synchronous_commit"] = results[b]["pg_synchronous_commit"]
    width = max(len(label) for label, _ in rows)
    col = max(len(v) for _, values in rows for v in values)
    lines = [f"{'':<{width}}  " + "  ".join(f"{b:<{col}}" for b in backends)]
    lines += [f"{label:<{width}}  " + "  ".join(f"{v:<{col}}" for v in values) for label, values in rows]
    return "\n".join(lines), flat


async def run(kind: str, profile: Profile, sections: set[str], pg_url: str) -> dict:
    started = time.perf_counter()
    out: dict = {}
    with tempfile.TemporaryDirectory(prefix="tally-bench-sync-") as tmp:
        dbs = Databases(pg_url, Path(tmp))
        try:
            if "push" in sections:
                out |= await bench_push(dbs, kind, profile)
            if "pull" in sections:
                out |= await bench_pull(dbs, kind, profile)
            if "bootstrap" in sections:
                out |= await bench_bootstrap(dbs, kind, profile)
        except BaseException:
            for server_log in sorted(Path(tmp).glob("serve-*.log")):
                log(f"{server_log.name} (last lines):\n" + "\n".join(server_log.read_text().splitlines()[-15:]))
            raise
        finally:
            await dbs.drop_all()
    out["seconds"] = time.perf_counter() - started
    log(f"{kind}: done in {out['seconds']:.0f} s")
    return out


async def profile_backend(kind: str, size: int, seconds: int, pg_url: str) -> None:
    with tempfile.TemporaryDirectory(prefix="tally-bench-sync-") as tmp:
        dbs = Databases(pg_url, Path(tmp))
        try:
            await profile_push(dbs, kind, size, seconds)
        finally:
            await dbs.drop_all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer ops and runs (under ~3 minutes)")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--only", choices=["push", "pull", "bootstrap"], action="append", help="run only these sections")
    parser.add_argument("--pg-url", default=DEFAULT_PG, help="a PostgreSQL database to connect to for CREATE DATABASE")
    parser.add_argument("--json", type=Path, default=None, help="write the figures to this file")
    parser.add_argument("--profile-push", action="store_true",
                        help="instead of benchmarking, profile the push path: in-process phases and cProfile, then the "
                             "server under HTTP load with py-spy if it is installed in this environment")
    parser.add_argument("--profile-batch", type=int, default=500, help="ops a batch for --profile-push")
    parser.add_argument("--profile-seconds", type=int, default=15, help="py-spy sampling time for --profile-push")
    args = parser.parse_args()
    if args.profile_push:
        kinds = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
        for kind in kinds:
            asyncio.run(profile_backend(kind, args.profile_batch, args.profile_seconds, args.pg_url))
        return
    profile = QUICK if args.quick else FULL
    sections = set(args.only or ["push", "pull", "bootstrap"])
    results: dict[str, dict] = {}
    load_before = os.getloadavg()[0]
    if args.backend in ("sqlite", "both"):
        results["sqlite"] = asyncio.run(run("sqlite", profile, sections, args.pg_url))
    if args.backend in ("postgres", "both"):
        results["postgres"] = asyncio.run(run("postgres", profile, sections, args.pg_url))
    table, flat = report(results, profile)
    flat["loadavg_1min_start"], flat["loadavg_1min_end"] = load_before, os.getloadavg()[0]
    done = "; ".join(
        f"{b}: " + ", ".join(f"{label} {results[b][key]}" for key, label in
                             (("push_runs_done", "push runs"), ("pull_rounds_done", "pull rounds"), ("bootstrap_runs_done", "bootstrap runs"))
                             if key in results[b])
        for b in results
    )  # fmt: skip
    print(f"\nTally sync benchmark{' (quick)' if args.quick else ''}: push runs of {profile.push_ops:,} ops; pull logs of "
          f"{', '.join(f'{n:,}' for n in profile.pull_sizes)} changes, {profile.pull_per_round} requests a case a round; "
          f"bootstrap of {profile.bootstrap_products:,} products. Repetitions done ({done}). "
          f"{os.cpu_count()} CPUs shared by client, server{' and PostgreSQL' if 'postgres' in results else ''}. "
          f"SQLite synchronous=FULL" + (f"; PostgreSQL synchronous_commit={flat['pg_synchronous_commit']}" if "pg_synchronous_commit" in flat else "")
          + f".\nLoad average (1 min) at start {load_before:.1f}, at end {flat['loadavg_1min_end']:.1f}: above {os.cpu_count()} "
          "means other work competed for the CPUs during the run.\n")  # fmt: skip
    print(table)
    if args.json:
        args.json.write_text(json.dumps(flat, indent=2, sort_keys=True) + "\n")
        print(f"\nfigures written to {args.json}")


if __name__ == "__main__":
    main()
