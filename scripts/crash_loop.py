#!/usr/bin/env python3
"""Crash loop: SIGKILL the server during pushes and pulls while devices keep retrying.

    .venv/bin/python scripts/crash_loop.py                          # 50 cycles on SQLite, then PostgreSQL
    .venv/bin/python scripts/crash_loop.py --cycles 5 --backend sqlite --json out.json

For each backend it builds a fresh database (a SQLite file in a temporary folder; on PostgreSQL its
own database, created and dropped on the server named by TALLY_TEST_POSTGRES_URL, default
postgresql://127.0.0.1:5432/test), loads small demo data, starts `tally serve` on a free
127.0.0.1 port and enrolls `--devices` pickers, each with its own `sync.client.SyncClient` outbox
file. The devices record `RecordScan` ops and sync (push, then pull, with retries) all the time.

A cycle waits until a push (even cycles) or a pull (odd cycles) is in flight, waits a random few
milliseconds more, SIGKILLs the server, leaves it down a random moment (devices see refused
connections and keep recording), and starts it again on the same database and port.

Afterwards every device syncs until its outbox is empty and the database is compared with what the
devices recorded and what the server acknowledged to them (a `last_seq` in a push or pull answer):
- lost: an acknowledged op missing from `op_log` (or stored under another op id), or an applied op
  without its effect (its `scans` row);
- doubled: an op id stored twice, an op-log row for a seq the device never recorded, or an effect
  row without an applied op;
- undelivered: an op neither on the server nor acknowledged, still waiting in an outbox.
It prints cycles run, ops acknowledged, lost and doubled per backend; `--json FILE` writes them.

Exit codes: 0 all checks passed; 1 an op was lost or doubled; 3 another check failed (an outbox not
drained, an op undelivered or rejected); 4 the run itself failed; 2 bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from server.db.tables import SYNC, scans  # noqa: E402
from sync.client import HttpTransport, ProtocolError, SyncClient, TransientError, TransportWrapper  # noqa: E402
from sync.database import Database  # noqa: E402

from bench_server import stop_process  # noqa: E402  (scripts/ is on sys.path when run as a script)

PG_ENV = "TALLY_TEST_POSTGRES_URL"
PG_DEFAULT = "postgresql://127.0.0.1:5432/test"
EXIT_OK, EXIT_LOST, EXIT_USAGE, EXIT_CHECK, EXIT_RUN = 0, 1, 2, 3, 4


class RunFailed(Exception):
    """The run could not be set up or carried out (not a verification failure)."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`tally serve` on one database and one port, killed and restarted at will."""

    def __init__(self, url: str, workdir: Path) -> None:
        self.url, self.workdir = url, workdir
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = os.environ | {"DATABASE_URL": url, "TALLY_PUBLIC_URL": self.base}
        self.log_path = workdir / "server.log"
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def tally(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "server.cli", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=300)  # fmt: skip
        if done.returncode != 0:
            raise RunFailed(f"`tally {' '.join(args)}` failed: {done.stderr.strip()[-2000:]}")
        return done.stdout

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            log.write(f"--- start {self.starts + 1}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )  # fmt: skip
        self.starts += 1

    async def ready(self, http: httpx.AsyncClient, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RunFailed(f"the server exited:\n{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get("/health", timeout=2)).status_code == 200:
                    return
            await asyncio.sleep(0.05)
        raise RunFailed(f"the server did not answer /health within {timeout:.0f} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no rollback, no flush; the kernel closes its sockets."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        self.process = None

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
        self.process = None

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def log_problems(self) -> Counter:
        """Tracebacks and ERROR lines in the server's output, by their last line."""
        found: Counter = Counter()
        with contextlib.suppress(OSError):
            lines = self.log_path.read_text(errors="replace").splitlines()
            for i, line in enumerate(lines):
                if line.startswith("Traceback"):
                    tail = next((lines[j] for j in range(i + 1, len(lines)) if lines[j] and not lines[j].startswith((" ", "Traceback"))), "")
                    found[tail[:160]] += 1
        return found


class WatchedTransport(TransportWrapper):
    """HttpTransport that counts requests in flight (for the killer) and notes acknowledgements."""

    def __init__(self, inner: HttpTransport, device: Device, flights: Counter) -> None:
        super().__init__(inner)
        self.device, self.flights = device, flights

    async def _call(self, kind: str, send, body: dict):  # noqa: ANN001, ANN202
        self.flights[kind] += 1
        try:
            response = await send(body)
        finally:
            self.flights[kind] -= 1
        # The server committed everything up to last_seq before it answered.
        self.device.acknowledged = max(self.device.acknowledged, response.last_seq)
        if kind == "push":
            self.device.rejected += sum(1 for r in response.results if r.status == "rejected")
            # A duplicate answer means an earlier push committed but its answer never arrived.
            self.device.duplicates += sum(1 for r in response.results if r.status == "duplicate")
        return response


@dataclass
class Device:
    device_id: str
    token: str
    outbox: Path
    rng: random.Random
    client: SyncClient | None = None
    recorded: dict[int, str] = field(default_factory=dict)  # seq -> op_id
    acknowledged: int = 0
    rejected: int = 0
    duplicates: int = 0
    failures: Counter = field(default_factory=Counter)

    def record(self) -> None:
        payload = {"code": f"{self.rng.randrange(10**12, 10**13)}", "context": "pick", "location": f"L1-{self.rng.randrange(40):02d}"}
        seq = self.client.record("RecordScan", payload)
        self.recorded[seq] = self.client.db.execute("SELECT op_id FROM outbox WHERE seq = ?", (seq,)).fetchone()[0]

    async def sync(self, attempts: int) -> bool:
        try:
            await self.client.sync(attempts=attempts, base_delay=0.02)
            return True
        except TransientError:
            self.failures["transient"] += 1
        except ProtocolError as error:
            self.failures[f"{error.status} {error.code}"] += 1
        return False


async def _enroll(http: httpx.AsyncClient, admin: str, workdir: Path, n: int, seed: int, flights: Counter) -> list[Device]:
    devices = []
    auth = {"Authorization": f"Bearer {admin}"}
    for i in range(n):
        code = (await http.post("/api/devices/enrollments", json={"role": "picker", "warehouse_id": 1}, headers=auth)).json()["code"]
        enrolled = (await http.post("/api/devices/enroll", json={"code": code, "name": f"crash-{i}", "app_version": "crash-loop"})).json()
        device = Device(enrolled["device_id"], enrolled["token"], workdir / f"device-{i}.sqlite", random.Random(seed * 1009 + i))
        device.client = SyncClient(device.outbox, device.device_id, WatchedTransport(HttpTransport(http, device.token), device, flights))
        devices.append(device)
    return devices


async def _work(device: Device, stop: asyncio.Event) -> None:
    """Record a few ops, sync, pause; over and over, whether the server is up or not."""
    while not stop.is_set():
        for _ in range(device.rng.randint(1, 4)):
            device.record()
        await device.sync(attempts=2)
        await asyncio.sleep(device.rng.uniform(0.02, 0.1))


async def _wait_for_flight(flights: Counter, kind: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if flights[kind] > 0:
            return True
        await asyncio.sleep(0.001)
    return False


async def _verify(url: str, devices: list[Device]) -> dict[str, Any]:
    """Compare the database with what devices recorded and what the server acknowledged."""
    db = Database(url)
    log, sc = SYNC.op_log.c, scans.c
    try:
        async with db.read() as conn:
            ids = [d.device_id for d in devices]
            rows = (await conn.execute(select(log.device_id, log.seq, log.op_id, log.status).where(log.device_id.in_(ids)))).all()
            repeated = {r.op_id for r in (await conn.execute(
                select(log.op_id).where(log.device_id.in_(ids)).group_by(log.op_id).having(func.count() > 1))).all()}  # fmt: skip
            effects = Counter((r.device_id, r.seq) for r in (await conn.execute(select(sc.device_id, sc.seq).where(sc.device_id.in_(ids)))).all())
            server_seq = dict((await conn.execute(select(SYNC.devices.c.id, SYNC.devices.c.last_seq).where(SYNC.devices.c.id.in_(ids)))).all())
    finally:
        await db.dispose()
    stored: dict[tuple[str, int], Any] = {(r.device_id, r.seq): r for r in rows}
    out = Counter()
    for d in devices:
        pending = {seq for (seq,) in d.client.db.execute("SELECT seq FROM outbox")}
        out["outbox_left"] += len(pending)
        out["ops_recorded"] += len(d.recorded)
        out["ops_acknowledged"] += sum(1 for seq in d.recorded if seq <= d.acknowledged)
        out["rejected"] += d.rejected
        for seq, op_id in d.recorded.items():
            row = stored.get((d.device_id, seq))
            if row is None or row.op_id.replace("-", "") != op_id.replace("-", ""):
                out["lost" if seq <= d.acknowledged or seq not in pending else "undelivered"] += 1
            elif row.status == "applied" and effects[(d.device_id, seq)] != 1:
                out["lost" if effects[(d.device_id, seq)] == 0 else "doubled"] += 1
        out["doubled"] += sum(1 for (dev, seq) in stored if dev == d.device_id and seq not in d.recorded)
        out["doubled"] += sum(1 for (dev, seq) in effects if dev == d.device_id and getattr(stored.get((dev, seq)), "status", None) != "applied")
        out["server_seq_behind"] += int(server_seq.get(d.device_id, 0) != max(d.recorded, default=0))
    out["doubled"] += len(repeated)
    return {k: out[k] for k in ("ops_recorded", "ops_acknowledged", "lost", "doubled", "undelivered", "outbox_left", "rejected", "server_seq_behind")}


async def _pg_execute(admin_url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def run_backend(backend: str, cycles: int, n_devices: int, seed: int, quiet: bool) -> dict[str, Any]:
    """One full crash loop on one database; returns its figures."""
    rng = random.Random(seed)
    workdir = Path(tempfile.mkdtemp(prefix=f"tally-crash-{backend}-"))
    pg_admin = pg_name = None
    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'tally.db'}"
    else:
        pg_admin = os.environ.get(PG_ENV) or PG_DEFAULT
        pg_name = f"tally_crash_{uuid.uuid4().hex[:10]}"
        try:
            await _pg_execute(pg_admin, f'CREATE DATABASE "{pg_name}"')
        except Exception as error:  # noqa: BLE001
            raise RunFailed(f"PostgreSQL at {pg_admin} did not answer: {error}") from error
        url = pg_admin.rsplit("/", 1)[0] + "/" + pg_name
    server = Server(url, workdir)
    devices: list[Device] = []
    started = time.monotonic()
    try:
        server.tally("db", "upgrade")
        server.tally("demo", "--orders", "10", "--products", "50")
        admin = server.tally("token", "create", "--role", "admin", "--name", "crash-loop").strip().splitlines()[-1]
        flights: Counter = Counter()
        kills = Counter()
        async with httpx.AsyncClient(base_url=server.base, timeout=10, trust_env=False) as http:
            server.start()
            await server.ready(http)
            devices = await _enroll(http, admin, workdir, n_devices, seed, flights)
            stop = asyncio.Event()
            workers = [asyncio.create_task(_work(d, stop)) for d in devices]
            try:
                for cycle in range(cycles):
                    kind = "push" if cycle % 2 == 0 else "pull"
                    # Somewhere inside a request: a few ms after it left, and if it was answered meanwhile (a
                    # pull of a shared snapshot page takes a few ms), inside the next one.
                    for _ in range(20):
                        await _wait_for_flight(flights, kind, timeout=5)
                        await asyncio.sleep(rng.uniform(0, 0.005))
                        if flights[kind] > 0:
                            break
                    kills[f"{kind} in flight" if flights[kind] > 0 else f"{kind} not in flight"] += 1
                    server.kill()
                    await asyncio.sleep(rng.uniform(0, 0.3))  # down: devices keep recording and retrying
                    server.start()
                    await server.ready(http)
                    await asyncio.sleep(rng.uniform(0.05, 0.4))  # some traffic before the next kill
                    if not quiet:
                        print(f"[{backend}] cycle {cycle + 1}/{cycles}: killed with a {kind} in flight", file=sys.stderr)
            finally:
                stop.set()
                await asyncio.gather(*workers)
            for d in devices:  # drain: no more kills, sync until every outbox is empty
                for _ in range(20):
                    if await d.sync(attempts=8) and d.client.pending_count() == 0:
                        break
            server.stop()
        figures = await _verify(url, devices)
        problems = server.log_problems()
        return {"backend": backend, "cycles": cycles, "devices": n_devices, "kills": dict(kills), **figures,
                "duplicates_answered": sum(d.duplicates for d in devices),
                "sync_failures_retried": sum(sum(d.failures.values()) for d in devices),
                "failure_kinds": dict(sum((d.failures for d in devices), Counter())),
                "server_starts": server.starts, "server_tracebacks": dict(problems),
                "seconds": round(time.monotonic() - started, 1)}  # fmt: skip
    finally:
        server.kill()
        for d in devices:
            d.client.close()
        if pg_name is not None:
            with contextlib.suppress(Exception):
                await _pg_execute(pg_admin, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        shutil.rmtree(workdir, ignore_errors=True)


def verdict(result: dict[str, Any]) -> int:
    if result["lost"] or result["doubled"]:
        return EXIT_LOST
    if result["outbox_left"] or result["undelivered"] or result["rejected"] or result["server_seq_behind"]:
        return EXIT_CHECK
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=50, help="kill-and-restart cycles per backend (default 50)")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--devices", type=int, default=4, help="simulated devices (default 4)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None, help="write the figures to this file")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if not 1 <= args.cycles <= 10_000 or not 1 <= args.devices <= 50:
        parser.error("--cycles 1..10000, --devices 1..50")
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    results = []
    try:
        for backend in backends:
            results.append(asyncio.run(run_backend(backend, args.cycles, args.devices, args.seed, args.quiet)))
    except RunFailed as error:
        print(f"crash loop failed to run: {error}", file=sys.stderr)
        return EXIT_RUN
    code = max(verdict(r) for r in results)
    for r in results:
        print(f"{r['backend']:8} cycles run {r['cycles']}, kills {r['kills']}, ops recorded {r['ops_recorded']}, "
              f"acknowledged {r['ops_acknowledged']}, lost {r['lost']}, doubled {r['doubled']}, undelivered {r['undelivered']}, "
              f"outboxes left {r['outbox_left']}, duplicates answered {r['duplicates_answered']}, rejected {r['rejected']}, server tracebacks {sum(r['server_tracebacks'].values())} "
              f"({r['seconds']} s)")  # fmt: skip
    print("RESULT: " + ("OK" if code == EXIT_OK else "FAILED"))
    if args.json is not None:
        args.json.write_text(json.dumps({"ok": code == EXIT_OK, "results": results}, indent=2))
    return code


if __name__ == "__main__":
    sys.exit(main())
