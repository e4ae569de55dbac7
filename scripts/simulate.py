#!/usr/bin/env python3
"""Device simulator: many handhelds and courier phones syncing against one Tally server.

    .venv/bin/python scripts/simulate.py --spawn --devices 50 --seconds 30
    .venv/bin/python scripts/simulate.py --url http://127.0.0.1:8000 --admin-token tly_... --devices 20

What it does:
1. With `--spawn`: builds a fresh SQLite database in a temporary folder (`tally db upgrade`,
   `tally demo --orders 50 --products 500`), creates an admin token, and starts `tally serve` on
   a free port of 127.0.0.1 (stopped at the end). Otherwise it drives the server at `--url`
   (127.0.0.1 or localhost only) with `--admin-token` (or `TALLY_ADMIN_TOKEN`).
2. Enrolls N devices through the API: pickers on `--warehouse-id` (default 1) and, from two
   devices up, about one in ten as courier phones (an existing courier of that warehouse, or
   one created through POST /api/couriers; with `--spawn` it also plans a route for it so the
   phone has something to bootstrap). Every device has its own `sync.client.SyncClient` outbox
   file under the state folder; `--msgpack-fraction` of them (default half)
   talk MessagePack, the others JSON.
3. Bootstraps every device at once (its first sync: the snapshot of its scope), then runs all
   devices concurrently for `--seconds`, each syncing again within the run's first second. A
   picker records `RecordScan` ops (a bin scan, then item scans in that bin) at its own random
   rate around `--ops-per-minute`; couriers only pull today. Every device syncs (push, then pull) on a jittered timer. Each device goes
   offline for random periods, about `--offline-fraction` of the time: offline it keeps
   recording but sends nothing; a request in flight when the device drops loses its response
   (so the server sees the retry as a duplicate). `--drop-fraction` of the other responses are
   lost too. An "office" edits product prices meanwhile (with `--spawn`, or when asked), so
   pulls carry changes.
4. Then every device comes online and syncs until its outbox is empty, and the simulator checks:
   every op each device recorded is in the server's op log exactly once (with `--spawn`:
   read-only SQL on the SQLite file, `op_log` and `scans`; with `--url`: each device's `last_seq`
   from GET /api/devices plus the per-op answers seen on the wire), every outbox is empty, and
   every replica was bootstrapped (pickers hold the catalog and their warehouse's bins; with
   `--spawn`, exactly the server's current products and prices). An op missing from the server
   is "undelivered" while it still waits in its device's outbox (e.g. the server keeps failing
   the push), and "lost" when it is gone from both.

It prints a summary (ops recorded / acknowledged, duplicates answered, rejected, retries, offline
periods, push and pull latency p50/p99 per endpoint and encoding, errors); `--json FILE` writes it.

Exit codes: 0 all checks passed; 1 an op was lost or doubled; 3 another check failed (ops
undelivered, outbox not empty, replica not bootstrapped or stale, an op rejected, a scan row
missing or different); 4 the run itself
failed (server did not start, enrollment refused); 2 bad arguments.

Traffic goes only to 127.0.0.1 / localhost; the run is bounded in devices, ops and time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import math
import os
import random
import re
import shutil
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from sync.client import HttpTransport, ProtocolError, SyncClient, TransientError, TransportWrapper  # noqa: E402

from bench_server import stop_process  # noqa: E402  (scripts/ is on sys.path when run as a script)

APP_VERSION = "simulator/1"
ALLOWED_HOSTS = frozenset({"127.0.0.1", "localhost"})
MAX_DEVICES = 500
MAX_SECONDS = 900
MAX_OPS_PER_MINUTE = 1200
MAX_OFFLINE_FRACTION = 0.9
HTTP_TIMEOUT = 30.0

EXIT_OK, EXIT_LOST, EXIT_USAGE, EXIT_CHECK, EXIT_RUN = 0, 1, 2, 3, 4


class RunFailed(Exception):
    """The run could not be set up or carried out (not a verification failure)."""


# ------------------------------------------------------------------------------------------------
# configuration


@dataclass(frozen=True)
class Config:
    devices: int
    seconds: float
    url: str | None
    spawn: bool
    admin_token: str | None
    offline_fraction: float
    ops_per_minute: float
    state_dir: Path | None
    seed: int
    json_path: Path | None
    timeline_path: Path | None
    sync_interval: float
    drop_fraction: float
    office_edits_per_minute: float
    warehouse_id: int
    workers: int
    msgpack_fraction: float
    drain_seconds: float
    keep: bool
    quiet: bool


def _positive(kind: type, low: float, high: float):  # noqa: ANN202
    def parse(text: str):  # noqa: ANN202
        value = kind(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="simulate.py", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--devices", type=_positive(int, 1, MAX_DEVICES), required=True, help=f"devices to enroll (1..{MAX_DEVICES})")
    p.add_argument("--seconds", type=_positive(float, 1, MAX_SECONDS), default=30.0, help="length of the busy phase (default 30)")
    target = p.add_mutually_exclusive_group()
    target.add_argument("--url", default=None, help="a running server on 127.0.0.1/localhost (default http://127.0.0.1:8000)")
    target.add_argument("--spawn", action="store_true", help="build a fresh SQLite database and start a server for this run")
    p.add_argument("--admin-token", default=os.environ.get("TALLY_ADMIN_TOKEN"), help="admin token for --url (or TALLY_ADMIN_TOKEN)")
    p.add_argument("--offline-fraction", type=_positive(float, 0, MAX_OFFLINE_FRACTION), default=0.3,
                   help="share of the time each device spends offline (default 0.3)")  # fmt: skip
    p.add_argument("--ops-per-minute", type=_positive(float, 0, MAX_OPS_PER_MINUTE), default=60.0,
                   help="mean scans per minute per picker device (default 60)")  # fmt: skip
    p.add_argument("--state-dir", type=Path, default=None, help="folder for device outboxes (default: a temporary folder)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: random, printed)")
    p.add_argument("--json", dest="json_path", type=Path, default=None, help="write the summary as JSON here")
    p.add_argument("--timeline", dest="timeline_path", type=Path, default=None,
                   help="write every request as CSV here: when it began (s), endpoint, device, milliseconds")
    p.add_argument("--sync-interval", type=_positive(float, 0.1, 120), default=2.0, help="mean seconds between syncs (default 2)")
    p.add_argument("--drop-fraction", type=_positive(float, 0, 0.5), default=0.02,
                   help="share of responses lost on the way back to an online device (default 0.02)")  # fmt: skip
    p.add_argument("--office-edits-per-minute", type=_positive(float, 0, 600), default=None,
                   help="price edits of products 1-500 while devices run (default 30 with --spawn; 0 with --url, "
                        "whose catalog is not ours to change unless asked)")  # fmt: skip
    p.add_argument("--warehouse-id", type=_positive(int, 1, 2**31), default=1, help="warehouse of the picker devices (default 1)")
    p.add_argument("--msgpack-fraction", type=_positive(float, 0, 1), default=0.5,
                   help="share of devices that sync with MessagePack, the rest JSON (default 0.5)")  # fmt: skip
    p.add_argument("--drain-seconds", type=_positive(float, 1, 600), default=60.0,
                   help="at most this long for the final all-online sync (default 60)")  # fmt: skip
    p.add_argument("--workers", type=_positive(int, 0, 32), default=0, help="client threads (default: automatic)")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (database, server log, outboxes)")
    p.add_argument("--quiet", action="store_true", help="print only the summary")
    return p


def parse_config(argv: list[str] | None) -> Config:
    parser = build_parser()
    a = parser.parse_args(argv)
    url = None
    if not a.spawn:
        url = (a.url or "http://127.0.0.1:8000").rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            parser.error(f"--url must look like http://127.0.0.1:8000, not {url!r}")
        if parts.hostname.lower() not in ALLOWED_HOSTS:
            parser.error(f"refusing to send traffic to {parts.hostname!r}: only 127.0.0.1 and localhost are allowed")
        if parts.username or parts.password or parts.query or parts.fragment or parts.path not in ("", "/"):
            parser.error("--url takes only scheme, host and port")
        if not a.admin_token:
            parser.error("--url needs --admin-token (or TALLY_ADMIN_TOKEN); `tally token create --role admin` makes one")
    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(1, 10**6)
    workers = a.workers or max(1, min(8, os.cpu_count() or 1, math.ceil(a.devices / 4)))
    return Config(
        devices=a.devices, seconds=a.seconds, url=url, spawn=a.spawn, admin_token=a.admin_token,
        offline_fraction=a.offline_fraction, ops_per_minute=a.ops_per_minute, state_dir=a.state_dir, seed=seed,
        json_path=a.json_path, timeline_path=a.timeline_path, sync_interval=a.sync_interval, drop_fraction=a.drop_fraction,
        office_edits_per_minute=a.office_edits_per_minute if a.office_edits_per_minute is not None else 30.0 if a.spawn else 0.0, warehouse_id=a.warehouse_id,
        workers=min(workers, a.devices), msgpack_fraction=a.msgpack_fraction, drain_seconds=a.drain_seconds, keep=a.keep, quiet=a.quiet,
    )  # fmt: skip


def log(cfg: Config, message: str) -> None:
    if not cfg.quiet:
        print(f"[sim {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------------
# the spawned server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SpawnedServer:
    """A fresh SQLite database with demo data and `tally serve` on a free 127.0.0.1 port."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.db_path = workdir / "tally.db"
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "server.log"
        self.env = os.environ | {"DATABASE_URL": f"sqlite:///{self.db_path}", "TALLY_PUBLIC_URL": self.url}
        self.process: subprocess.Popen | None = None
        self._log_file = None

    def _tally(self, *args: str, timeout: float = 180) -> str:
        done = subprocess.run([sys.executable, "-m", "server.cli", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=timeout)  # fmt: skip
        if done.returncode != 0:
            raise RunFailed(f"`tally {' '.join(args)}` failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
        return done.stdout

    def prepare(self) -> None:
        """Build the database and load the demo data."""
        self._tally("db", "upgrade")
        self._tally("demo", "--orders", "50", "--products", "500")

    def admin_token(self) -> str:
        out = self._tally("token", "create", "--role", "admin", "--name", "simulator")
        return out.strip().splitlines()[-1].strip()

    def start(self) -> None:
        self._log_file = open(self.log_path, "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT, env=self.env, stdout=self._log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip

    async def wait_ready(self, http: httpx.AsyncClient, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RunFailed(f"the server exited with {self.process.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get("/health", timeout=2)).status_code == 200:
                    return
            await asyncio.sleep(0.1)
        raise RunFailed(f"the server did not answer /health within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> int | None:
        """Stop the server (SIGTERM, then SIGKILL) and return its exit code."""
        process, self.process = self.process, None
        if process is None:
            return None
        code = stop_process(process)
        if self._log_file is not None:
            self._log_file.close()
        return code

    def cpu_seconds(self) -> float | None:
        """CPU time the server process has used so far (Linux /proc; None elsewhere)."""
        if self.process is None:
            return None
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return None

    def runqueue_wait_seconds(self) -> float | None:
        """Time the server's threads spent runnable but waiting for a CPU (Linux schedstat; None elsewhere)."""
        if self.process is None:
            return None
        try:
            total = 0
            for task in Path(f"/proc/{self.process.pid}/task").iterdir():
                with contextlib.suppress(OSError):
                    total += int((task / "schedstat").read_text().split()[1])
            return total / 1e9
        except (OSError, ValueError, IndexError):
            return None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def connect_readonly(self) -> sqlite3.Connection:
        """Read-only SQL against the server's database file (the server keeps running)."""
        conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=30)
        conn.execute("PRAGMA query_only = ON")
        return conn


# ------------------------------------------------------------------------------------------------
# devices


@dataclass(frozen=True)
class DeviceSpec:
    index: int
    device_id: str
    token: str
    name: str
    role: str  # picker | courier
    scope: dict
    msgpack: bool
    outbox: Path
    rate_per_second: float  # this device's own mean scan rate
    courier_has_route: bool = False

    @property
    def encoding(self) -> str:
        return "msgpack" if self.msgpack else "json"


LATENCY_LABELS = ("push", "pull snapshot", "pull log", "final sync")


@dataclass
class DeviceStats:
    recorded: dict[int, tuple[str, str, str | None]] = field(default_factory=dict)  # seq -> (op_id, code, location)
    results: Counter = field(default_factory=Counter)  # push answers by status, as seen on the wire
    applied_per_seq: Counter = field(default_factory=Counter)
    rejected: list[dict] = field(default_factory=list)
    retries: Counter = field(default_factory=Counter)  # transient failures by reason
    errors: Counter = field(default_factory=Counter)  # protocol errors and anything unexpected
    latency: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in LATENCY_LABELS})
    began: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in LATENCY_LABELS})  # when each began
    offline_periods: int = 0
    offline_seconds: float = 0.0
    syncs: int = 0
    sync_failures: int = 0
    pulls: int = 0
    resets: int = 0
    changes_pulled: int = 0
    pushes: int = 0


class SimTransport(TransportWrapper):
    """Wraps HttpTransport: measures each call, refuses to talk while offline, loses responses."""

    def __init__(self, inner: HttpTransport, device: SimDevice) -> None:
        super().__init__(inner)
        self.device = device

    async def _call(self, endpoint: str, send, body: dict):  # noqa: ANN001, ANN202
        dev, stats = self.device, self.device.stats
        if not dev.online:
            stats.retries["offline"] += 1
            raise TransientError("offline")
        went_offline = dev.offline_epoch
        began, started = time.monotonic(), time.perf_counter()
        try:
            response = await send(body)
        except TransientError as error:
            reason = str(error)
            if error.__cause__ is not None:
                reason = f"{reason.rstrip(': ')} ({type(error.__cause__).__name__})"
            stats.retries["server_5xx" if reason.startswith("server") else "network"] += 1
            stats.errors[f"{endpoint}: {reason[:120]}"] += 1
            raise
        except ProtocolError as error:
            stats.errors[f"{endpoint}: {error.status} {error.code}"] += 1
            raise
        elapsed = time.perf_counter() - started
        if endpoint == "push":
            label = "push"
            stats.pushes += 1
            for result in response.results:
                stats.results[result.status] += 1
                if result.status in ("applied", "rejected") and result.seq in stats.recorded:
                    stats.applied_per_seq[result.seq] += 1
                if result.status == "rejected":
                    stats.rejected.append({"seq": result.seq, "code": result.code, "message": result.message})
        else:
            # A snapshot page: a pull without a cursor, one the server answered with a reset, and
            # the pages after them until one says there is no more.
            snapshot = dev.in_snapshot or body.get("cursor") is None or response.reset
            label = "pull snapshot" if snapshot else "pull log"
            if snapshot:
                dev.in_snapshot = response.more
            stats.pulls += 1
            stats.changes_pulled += len(response.changes)
            stats.resets += int(response.reset)
        # The final syncs (every device at once, to check the outcome) are not the load: apart.
        label = "final sync" if dev.final else label
        stats.latency[label].append(elapsed)
        stats.began[label].append(began)
        # The answer was computed (and committed) by the server; now it may not arrive.
        if dev.offline_epoch != went_offline:
            stats.retries["response_lost_offline"] += 1
            raise TransientError("response lost: the device went offline")
        if not dev.final and dev.rng.random() < dev.cfg.drop_fraction:
            stats.retries["response_lost"] += 1
            raise TransientError("response lost")
        return response


class SimDevice:
    """One simulated device: its SyncClient (created in the thread that drives it) and behaviour."""

    def __init__(self, spec: DeviceSpec, http: httpx.AsyncClient, cfg: Config) -> None:
        self.spec, self.cfg = spec, cfg
        self.rng = random.Random(cfg.seed * 1_000_003 + spec.index)
        self.stats = DeviceStats()
        self.online = True
        self.offline_epoch = 0
        self.final = False
        self.in_snapshot = True
        transport = SimTransport(HttpTransport(http, spec.token, msgpack=spec.msgpack), self)
        # Hundreds of devices share this machine's one disk: their outboxes skip the fsync a real
        # phone makes on its own storage (they still survive a crash of this process).
        self.client = SyncClient(spec.outbox, spec.device_id, transport, app_version=APP_VERSION, synchronous="NORMAL")
        self.bins: list[str] = []
        self.items: list[str] = []

    # --- behaviour -----------------------------------------------------------------------------
    async def bootstrap(self) -> None:
        """The first sync, as a device does when it is enrolled: its snapshot, before the run."""
        await self.sync_once(attempts=8)

    async def run(self, end_at: float) -> None:
        tasks = [self._connectivity(end_at), self._syncer(end_at)]
        if self.spec.role != "courier" and self.spec.rate_per_second > 0:
            tasks.append(self._recorder(end_at))
        await asyncio.gather(*tasks)

    async def _sleep_until(self, moment: float) -> None:
        await asyncio.sleep(max(0.0, moment - time.monotonic()))

    async def _connectivity(self, end_at: float) -> None:
        """Alternate online and offline periods; offline takes `offline_fraction` of the time."""
        f = self.cfg.offline_fraction
        if f <= 0:
            return
        mean_off = min(30.0, max(0.5, self.cfg.seconds / 6))
        mean_on = mean_off * (1 - f) / f
        self.online = self.rng.random() >= f
        if not self.online:
            self._go_offline()
        since = time.monotonic()
        while True:
            period = max(0.2, self.rng.expovariate(1 / (mean_on if self.online else mean_off)))
            await self._sleep_until(min(end_at, time.monotonic() + period))
            now = time.monotonic()
            if not self.online:
                self.stats.offline_seconds += now - since
            if now >= end_at:
                break
            since = now
            if self.online:
                self._go_offline()
            else:
                self.online = True
        self.online = True

    def _go_offline(self) -> None:
        self.online = False
        self.offline_epoch += 1
        self.stats.offline_periods += 1

    async def _recorder(self, end_at: float) -> None:
        """Scan a bin, then a few items in it; keep scanning whether online or not."""
        rate = self.spec.rate_per_second
        bin_code: str | None = None
        items_left = 0
        while True:
            moment = time.monotonic() + self.rng.expovariate(rate)
            if moment >= end_at:
                return await self._sleep_until(end_at)
            await self._sleep_until(moment)
            if items_left <= 0:
                bin_code = self.rng.choice(self.bins) if self.bins else f"L1X{self.rng.randrange(100):02d}{self.rng.randrange(4)}"
                code, location, items_left = bin_code, None, self.rng.randint(1, 6)
            else:
                code = self.rng.choice(self.items) if self.items else f"{self.rng.randrange(10**12, 10**13)}"
                location, items_left = bin_code, items_left - 1
            payload = {"code": code, "context": "pick"}
            if location is not None:
                payload["location"] = location
            try:
                seq = self.client.record("RecordScan", payload)
                op_id = self.client.db.execute("SELECT op_id FROM outbox WHERE seq = ?", (seq,)).fetchone()[0]
            except sqlite3.Error as error:
                self.stats.errors[f"record: {error}"] += 1
                continue
            self.stats.recorded[seq] = (op_id, code, location)

    async def _syncer(self, end_at: float) -> None:
        interval = self.cfg.sync_interval
        await self._sleep_until(min(end_at, time.monotonic() + self.rng.uniform(0, min(interval, 1.0))))  # syncs soon
        while time.monotonic() < end_at:
            if self.online:
                await self.sync_once(attempts=4)
            await self._sleep_until(min(end_at, time.monotonic() + interval * self.rng.uniform(0.5, 1.5)))

    async def sync_once(self, attempts: int) -> bool:
        try:
            await self.client.sync(attempts=attempts, base_delay=0.05)
        except TransientError:
            self.stats.sync_failures += 1
            return False
        except ProtocolError:
            self.stats.sync_failures += 1  # already counted in errors by the transport
            return False
        except Exception as error:  # noqa: BLE001  (a client bug must not stop the other devices)
            self.stats.sync_failures += 1
            self.stats.errors[f"sync: {type(error).__name__}: {error}"[:160]] += 1
            return False
        self.stats.syncs += 1
        self._refresh_codes()
        return True

    def _refresh_codes(self) -> None:
        """Scan what the replica knows: bins of the warehouse, barcodes of the catalog."""
        if self.spec.role == "courier":
            return
        db = self.client.db
        self.bins = [json.loads(d)["barcode"] for (d,) in db.execute("SELECT data FROM replica WHERE kind = 'location' ORDER BY random() LIMIT 20")]
        self.items = [
            b[0]
            for (d,) in db.execute("SELECT data FROM replica WHERE kind = 'product' ORDER BY random() LIMIT 30")
            for b in json.loads(d).get("barcodes", [])[:1]
        ]

    async def drain(self, deadline: float) -> None:
        """Everyone online, no more losses: sync until the outbox is empty and the pull caught up."""
        self.online, self.final = True, True
        for _ in range(30):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                # Cancelling is safe: the client's local transactions never span an await.
                if await asyncio.wait_for(self.sync_once(attempts=8), remaining) and self.client.pending_count() == 0:
                    return
            except TimeoutError:
                break
            await asyncio.sleep(0.2)
        self.stats.errors["drain: deadline passed before a complete sync"] += 1

    # --- the end state -------------------------------------------------------------------------
    def report(self) -> dict[str, Any]:
        db = self.client.db
        replica_counts = dict(db.execute("SELECT kind, count(*) FROM replica GROUP BY kind").fetchall())
        products = {
            int(i): [doc.get("sku"), doc.get("name"), doc.get("price")]
            for i, d in db.execute("SELECT id, data FROM replica WHERE kind = 'product'")
            for doc in [json.loads(d)]
        }
        routes = [int(i) for (i,) in db.execute("SELECT id FROM replica WHERE kind = 'route'")]
        acked_through = self.client.last_seq
        s = self.stats
        return {
            "spec": self.spec,
            "stats": s,
            "pending": self.client.pending_count(),
            "pending_seqs": {seq for (seq,) in db.execute("SELECT seq FROM outbox")},
            "client_last_seq": acked_through,
            "acknowledged": sum(1 for seq in s.recorded if seq <= acked_through),
            "cursor": self.client.cursor is not None,
            "replica_counts": replica_counts,
            "products": products,
            "routes": routes,
            "client_rejected": len(self.client.rejected()),
        }

    def close(self) -> None:
        self.client.close()


def run_group(specs: list[DeviceSpec], cfg: Config, base_url: str, start: threading.Barrier, office_done: threading.Event) -> list[dict]:
    """One client thread: its own event loop and HTTP connection pool for a share of the devices.

    Threads keep one device's SQLite fsyncs (the outbox is written with synchronous=FULL) from
    stalling every other device's timers and latency measurements.
    """
    return asyncio.run(_group_main(specs, cfg, base_url, start, office_done))


async def _group_main(specs: list[DeviceSpec], cfg: Config, base_url: str, start: threading.Barrier, office_done: threading.Event) -> list[dict]:
    # Each device has its own HTTP connection, as each phone does. One pool shared by a hundred
    # devices would make the simulator, not the server, the bottleneck: httpcore checks every
    # connection of its pool on every request.
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    tls = ssl.create_default_context()  # one for all: each client would load the CA certificates again (25 ms)
    async with contextlib.AsyncExitStack() as stack:
        devices = []
        for spec in specs:
            http = await stack.enter_async_context(
                httpx.AsyncClient(base_url=base_url, timeout=HTTP_TIMEOUT, limits=limits, trust_env=False, follow_redirects=False,
                                  verify=tls)  # fmt: skip
            )
            devices.append(SimDevice(spec, http, cfg))
        lag: list[float] = []
        try:
            # Every device bootstraps (all of them at once: their snapshot latencies are reported
            # apart); then, all groups together, the run: every device comes back at once and cycles.
            try:
                await asyncio.gather(*(d.bootstrap() for d in devices))
            except BaseException:
                start.abort()
                raise
            await asyncio.to_thread(start.wait)
            end_at = time.monotonic() + cfg.seconds
            await asyncio.gather(_loop_lag(end_at, lag), *(d.run(end_at) for d in devices))
            # The office's last edit must have committed before the final pulls.
            await asyncio.to_thread(office_done.wait, 60)
            deadline = time.monotonic() + cfg.drain_seconds
            await asyncio.gather(*(d.drain(deadline) for d in devices))
            reports = [d.report() for d in devices]
            if reports:
                reports[0]["loop_lag"] = lag
            return reports
        finally:
            for d in devices:
                d.close()


async def _loop_lag(end_at: float, lag: list[float], tick: float = 0.05) -> None:
    """How late this thread's event loop wakes up: large values mean the client, not the server, is slow."""
    while time.monotonic() < end_at:
        started = time.perf_counter()
        await asyncio.sleep(tick)
        lag.append(max(0.0, time.perf_counter() - started - tick))


# ------------------------------------------------------------------------------------------------
# setup through the API


async def _api(http: httpx.AsyncClient, method: str, path: str, token: str | None, body: Any = None, ok=(200, 201)) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.request(method, path, json=body, headers=headers)
    if response.status_code not in ok:
        raise RunFailed(f"{method} {path} answered {response.status_code}: {response.text[:500]}")
    return response.json() if response.content else None


async def prepare_couriers(http: httpx.AsyncClient, cfg: Config, admin: str, wanted: int) -> list[int]:
    """Courier ids of the pickers' warehouse: existing ones, or one created for this run."""
    if wanted == 0:
        return []
    found = [c["id"] for c in await _api(http, "GET", "/api/couriers/", admin) if c["warehouse_id"] == cfg.warehouse_id]
    if not found:
        created = await _api(http, "POST", "/api/couriers/", admin,
                             {"name": f"Simulated courier {cfg.seed}", "warehouse_id": cfg.warehouse_id, "phone": "+70000000000"})  # fmt: skip
        found = [created["id"]]
    return found[:wanted]


async def plan_routes(http: httpx.AsyncClient, server: SpawnedServer, cfg: Config, admin: str, courier_ids: list[int]) -> set[int]:
    """With --spawn only (a throwaway database): give each courier a route of three orders."""
    conn = server.connect_readonly()
    try:
        order_ids = [r[0] for r in conn.execute("SELECT id FROM orders WHERE warehouse_id = ? ORDER BY id", (cfg.warehouse_id,))]
    finally:
        conn.close()
    planned = set()
    for i, courier_id in enumerate(courier_ids):
        stops = order_ids[i * 3 : i * 3 + 3]
        if not stops:
            break
        await _api(http, "POST", "/api/routes/", admin, {"warehouse_id": cfg.warehouse_id, "day": date.today().isoformat(),
                                                         "courier_id": courier_id, "order_ids": stops, "vehicle": f"SIM-{i + 1}"})  # fmt: skip
        planned.add(courier_id)
    return planned


async def enroll_devices(http: httpx.AsyncClient, cfg: Config, admin: str, state_dir: Path, courier_ids: list[int],
                         routed: set[int], latencies: list[float]) -> list[DeviceSpec]:  # fmt: skip
    rng = random.Random(cfg.seed)
    n_couriers = len(courier_ids) and (max(1, round(cfg.devices * 0.1)) if cfg.devices >= 2 else 0)
    roles = ["courier"] * n_couriers + ["picker"] * (cfg.devices - n_couriers)
    gate = asyncio.Semaphore(8)

    async def one(index: int, role: str) -> DeviceSpec:
        async with gate:
            started = time.perf_counter()
            if role == "courier":
                courier_id = courier_ids[index % len(courier_ids)]
                code = await _api(http, "POST", "/api/devices/enrollments", admin, {"role": "courier", "courier_id": courier_id})
            else:
                code = await _api(http, "POST", "/api/devices/enrollments", admin, {"role": "picker", "warehouse_id": cfg.warehouse_id})
            name = f"sim-{cfg.seed}-{index:03d}-{role}"
            enrolled = await _api(http, "POST", "/api/devices/enroll", None, {"code": code["code"], "name": name, "app_version": APP_VERSION})
            latencies.append(time.perf_counter() - started)
        rate = cfg.ops_per_minute / 60 * rng.uniform(0.5, 1.5) if role == "picker" else 0.0
        return DeviceSpec(
            index=index, device_id=enrolled["device_id"], token=enrolled["token"], name=name, role=role,
            scope=enrolled["scope"], msgpack=_uses_msgpack(index, cfg.msgpack_fraction), outbox=state_dir / f"{enrolled['device_id']}.sqlite",
            rate_per_second=rate, courier_has_route=role == "courier" and enrolled["scope"].get("courier_id") in routed,
        )  # fmt: skip

    rates = [one(i, role) for i, role in enumerate(roles)]
    return list(await asyncio.gather(*rates))


def _uses_msgpack(index: int, fraction: float) -> bool:
    """Spread MessagePack devices evenly over the indices (0.5: every second device)."""
    return math.floor((index + 1) * fraction) > math.floor(index * fraction)


async def office(http: httpx.AsyncClient, cfg: Config, admin: str, end_at: float, rng: random.Random, stats: dict) -> None:
    """Office staff editing product prices while devices work: the change log pickers pull."""
    if cfg.office_edits_per_minute <= 0:
        return
    rate = cfg.office_edits_per_minute / 60
    product_ids = list(range(1, 501))
    while True:
        moment = time.monotonic() + rng.expovariate(rate)
        if moment >= end_at:
            await asyncio.sleep(max(0.0, end_at - time.monotonic()))
            return
        await asyncio.sleep(moment - time.monotonic())
        product_id = rng.choice(product_ids)
        started = time.perf_counter()
        try:
            p = await _api(http, "GET", f"/api/products/{product_id}", admin)
            body = {k: p[k] for k in ("sku", "name", "price", "currency", "unit", "weight_g", "marked", "barcodes")}
            body["price"] = max(1, p["price"] + rng.choice([-100, -10, 10, 100]))
            await _api(http, "PUT", f"/api/products/{product_id}", admin, body)
            stats["edits"] += 1
            stats["latency"].append(time.perf_counter() - started)
        except (RunFailed, httpx.HTTPError) as error:
            stats["errors"][f"office: {str(error)[:160]}"] += 1


# ------------------------------------------------------------------------------------------------
# verification


def verify_spawned(server: SpawnedServer, reports: list[dict], cfg: Config) -> dict[str, Any]:
    """Read-only SQL: every recorded op in `op_log` exactly once, its scan row, fresh replicas."""
    conn = server.connect_readonly()
    try:
        ids = [r["spec"].device_id for r in reports]
        marks = ",".join("?" * len(ids))
        log_rows: dict[str, dict[int, tuple]] = {i: {} for i in ids}
        for device_id, seq, op_id, op_type, status in conn.execute(
            f"SELECT device_id, seq, op_id, type, status FROM op_log WHERE device_id IN ({marks})", ids
        ):
            log_rows[device_id][seq] = (op_id, op_type, status)
        scans: dict[str, dict[int, tuple]] = {i: {} for i in ids}
        for device_id, seq, code, location in conn.execute(f"SELECT device_id, seq, code, location FROM scans WHERE device_id IN ({marks})", ids):
            scans[device_id][seq] = (code, location)
        repeated_op_ids = dict(conn.execute("SELECT op_id, count(*) FROM op_log GROUP BY op_id HAVING count(*) > 1").fetchall())
        server_products = {r[0]: [r[1], r[2], r[3]] for r in conn.execute("SELECT id, sku, name, price FROM products")}
        n_locations = conn.execute("SELECT count(*) FROM locations WHERE warehouse_id = ?", (cfg.warehouse_id,)).fetchone()[0]
    finally:
        conn.close()

    out = _empty_verification()
    for r in reports:
        spec, s = r["spec"], r["stats"]
        rows = log_rows[spec.device_id]
        d = r["verify"] = {"lost": 0, "undelivered": 0, "doubled": 0, "scans_missing": 0, "scans_mismatched": 0}
        for seq, (op_id, code, location) in s.recorded.items():
            row = rows.get(seq)
            if row is None:
                d["undelivered" if seq in r["pending_seqs"] else "lost"] += 1
                continue
            if row[0].replace("-", "").lower() != op_id.replace("-", "").lower():
                d["lost"] += 1  # another op holds this seq on the server
                continue
            if repeated_op_ids.get(row[0], 1) > 1:
                d["doubled"] += 1
            if row[2] == "applied":
                scan = scans[spec.device_id].get(seq)
                if scan is None:
                    d["scans_missing"] += 1
                elif scan != (code, location):
                    d["scans_mismatched"] += 1
        d["doubled"] += sum(1 for seq in rows if seq not in s.recorded)  # in the log, never recorded here
        d["doubled"] += sum(1 for n in s.applied_per_seq.values() if n > 1)  # applied twice on the wire
        d["in_op_log"] = len(rows)
        _check_device_state(r, d, cfg, server_products=server_products, n_locations=n_locations)
        _add(out, d)
    out["method"] = "sqlite op_log + scans (read-only)"
    return out


async def verify_remote(http: httpx.AsyncClient, admin: str, reports: list[dict], cfg: Config, latencies: list[float]) -> dict[str, Any]:
    """Through the API: each device's server-side last_seq against what it recorded."""
    started = time.perf_counter()
    listed = await _api(http, "GET", "/api/devices/", admin)
    latencies.append(time.perf_counter() - started)
    by_id = {d["id"]: d for d in listed}
    out = _empty_verification()
    for r in reports:
        spec, s = r["spec"], r["stats"]
        d = r["verify"] = {"lost": 0, "undelivered": 0, "doubled": 0, "scans_missing": 0, "scans_mismatched": 0}
        status = by_id.get(spec.device_id)
        top = max(s.recorded, default=0)
        if status is None:
            d["lost"] += len(s.recorded)
            r["errors_extra"] = "device not listed by GET /api/devices"
        else:
            server_last = int(status["last_seq"])
            missing = [seq for seq in s.recorded if seq > server_last]
            d["undelivered"] += sum(1 for seq in missing if seq in r["pending_seqs"])
            d["lost"] += sum(1 for seq in missing if seq not in r["pending_seqs"])
            d["doubled"] += max(0, server_last - top)  # the server holds seqs this device never recorded
            d["cursor_lag"] = status.get("cursor_lag")
        d["doubled"] += sum(1 for n in s.applied_per_seq.values() if n > 1)
        _check_device_state(r, d, cfg, server_products=None, n_locations=None)
        _add(out, d)
    out["method"] = "GET /api/devices last_seq + per-op answers on the wire"
    return out


def _check_device_state(r: dict, d: dict, cfg: Config, *, server_products: dict | None, n_locations: int | None) -> None:
    spec = r["spec"]
    d["pending_left"] = r["pending"]
    d["unacknowledged"] = len(r["stats"].recorded) - r["acknowledged"]
    problems = []
    if not r["cursor"]:
        problems.append("never completed a pull")
    if spec.role == "picker":
        n_products = r["replica_counts"].get("product", 0)
        if n_products == 0:
            problems.append("no products in the replica")
        if r["replica_counts"].get("location", 0) == 0:
            problems.append("no bins in the replica")
        if server_products is not None:
            if n_products != len(server_products):
                problems.append(f"{n_products} products in the replica, {len(server_products)} on the server")
            stale = sum(1 for pid, doc in r["products"].items() if server_products.get(pid) != doc)
            d["stale_products"] = stale
            if stale:
                problems.append(f"{stale} products differ from the server")
        if n_locations is not None and r["replica_counts"].get("location", 0) != n_locations:
            problems.append(f"{r['replica_counts'].get('location', 0)} bins in the replica, {n_locations} on the server")
    elif spec.role == "courier" and spec.courier_has_route and not r["routes"]:
        problems.append("the courier's route is missing from the replica")
    d["replica_problems"] = problems
    d["bootstrapped"] = not any(p.startswith(("never", "no ")) for p in problems)


def _empty_verification() -> dict[str, Any]:
    return {"lost": 0, "undelivered": 0, "doubled": 0, "scans_missing": 0, "scans_mismatched": 0, "pending_left": 0, "unacknowledged": 0,
            "devices_not_bootstrapped": 0, "devices_with_replica_problems": 0}  # fmt: skip


def _add(out: dict, d: dict) -> None:
    for key in ("lost", "undelivered", "doubled", "scans_missing", "scans_mismatched", "pending_left", "unacknowledged"):
        out[key] += d[key]
    out["devices_not_bootstrapped"] += int(not d["bootstrapped"])
    out["devices_with_replica_problems"] += int(bool(d["replica_problems"]))


# ------------------------------------------------------------------------------------------------
# summary


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def _latency(values: list[float]) -> dict[str, Any]:
    ms = lambda v: None if v is None else round(v * 1000, 1)  # noqa: E731
    return {"n": len(values), "p50_ms": ms(_pct(values, 0.5)), "p90_ms": ms(_pct(values, 0.9)),
            "p99_ms": ms(_pct(values, 0.99)), "max_ms": ms(max(values) if values else None)}  # fmt: skip


def _write_timeline(path: Path, reports: list[dict]) -> None:
    rows = [(b, label, r["spec"].index, v) for r in reports for label, values in r["stats"].latency.items()
            for v, b in zip(values, r["stats"].began[label], strict=True)]  # fmt: skip
    start = min((row[0] for row in rows), default=0.0)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as out:
        out.write("began_s,endpoint,device,ms\n")
        for began, label, device, value in sorted(rows):
            out.write(f"{began - start:.3f},{label},{device},{value * 1000:.1f}\n")


def summarize(cfg: Config, reports: list[dict], verification: dict, extras: dict) -> dict[str, Any]:
    groups: dict[str, dict] = {}
    latency: dict[str, list[float]] = {}
    errors: Counter = Counter()
    retries: Counter = Counter()
    devices = []
    for r in reports:
        spec, s = r["spec"], r["stats"]
        g = groups.setdefault(f"{spec.role}/{spec.encoding}", Counter())
        g["devices"] += 1
        row = {
            "ops_recorded": len(s.recorded), "ops_acknowledged": r["acknowledged"], "applied": s.results["applied"],
            "duplicates_answered": s.results["duplicate"], "rejected": s.results["rejected"],
            "retries": sum(s.retries.values()), "offline_periods": s.offline_periods, "syncs": s.syncs,
            "sync_failures": s.sync_failures, "pushes": s.pushes, "pulls": s.pulls, "changes_pulled": s.changes_pulled,
            "resets": s.resets, "errors": sum(s.errors.values()),
        }  # fmt: skip
        g.update(row)
        for label, values in s.latency.items():
            if label == "final sync":
                latency.setdefault(label, []).extend(values)
                continue
            endpoint = label.split()[0]
            latency.setdefault(endpoint, []).extend(values)
            latency.setdefault(f"{endpoint} ({spec.encoding})", []).extend(values)
            if label != endpoint:
                latency.setdefault(label, []).extend(values)
        errors.update(s.errors)
        retries.update(s.retries)
        devices.append({
            "device_id": spec.device_id, "name": spec.name, "role": spec.role, "encoding": spec.encoding, **row,
            "offline_seconds": round(s.offline_seconds, 2), "retry_reasons": dict(s.retries), "error_kinds": dict(s.errors),
            "rejected_ops": s.rejected[:10], "verify": r.get("verify", {}),
        })  # fmt: skip
    for name, values in extras.get("latency", {}).items():
        latency[name] = values
    latency["client event-loop lag"] = [x for r in reports for x in r.get("loop_lag", [])]
    if cfg.timeline_path is not None:
        _write_timeline(cfg.timeline_path, reports)
    errors.update(extras.get("errors", {}))
    totals: Counter = Counter()
    for g in groups.values():
        totals.update(g)
    offline_total = sum(r["stats"].offline_seconds for r in reports)
    lost_or_doubled = verification["lost"] > 0 or verification["doubled"] > 0
    other_failures = [
        name for name, bad in (
            ("ops never delivered (still in outboxes)", verification["undelivered"] > 0),
            ("outboxes not empty", verification["pending_left"] > 0),
            ("ops not acknowledged", verification["unacknowledged"] > 0),
            ("scan rows missing or different", verification["scans_missing"] + verification["scans_mismatched"] > 0),
            ("replicas not bootstrapped", verification["devices_not_bootstrapped"] > 0),
            ("replicas differ from the server", verification["devices_with_replica_problems"] > 0),
            ("ops rejected", totals["rejected"] > 0),
        ) if bad
    ]  # fmt: skip
    return {
        "ok": not lost_or_doubled and not other_failures,
        "failures": (["ops lost or doubled"] if lost_or_doubled else []) + other_failures,
        "config": {
            "devices": cfg.devices, "seconds": cfg.seconds, "target": "spawn" if cfg.spawn else cfg.url,
            "offline_fraction": cfg.offline_fraction, "ops_per_minute": cfg.ops_per_minute, "seed": cfg.seed,
            "sync_interval": cfg.sync_interval, "drop_fraction": cfg.drop_fraction,
            "office_edits_per_minute": cfg.office_edits_per_minute, "warehouse_id": cfg.warehouse_id, "workers": cfg.workers,
            "msgpack_fraction": cfg.msgpack_fraction, "drain_seconds": cfg.drain_seconds,
        },  # fmt: skip
        "totals": dict(totals) | {
            "lost": verification["lost"], "undelivered": verification["undelivered"], "doubled": verification["doubled"],
            "offline_share_measured": round(offline_total / (cfg.seconds * max(1, len(reports))), 3),
        },  # fmt: skip
        "groups": {k: dict(v) for k, v in sorted(groups.items())},
        "latency": {k: _latency(v) for k, v in sorted(latency.items())},
        "retry_reasons": dict(retries),
        "errors": dict(errors.most_common()),
        "verification": verification,
        "timings": extras.get("timings", {}),
        "machine": {"cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()]},
        "server": extras.get("server", {}),
        "office": extras.get("office", {}),
        "devices": devices,
    }


def render(summary: dict) -> str:
    cols = ["devices", "ops_recorded", "ops_acknowledged", "duplicates_answered", "rejected", "retries",
            "offline_periods", "syncs", "sync_failures", "changes_pulled", "errors"]  # fmt: skip
    heads = ["group", "devices", "recorded", "acked", "dup", "rejected", "retries", "offline", "syncs", "sync_fail", "pulled", "errors"]
    rows = [[name, *(g.get(c, 0) for c in cols)] for name, g in summary["groups"].items()]
    rows.append(["TOTAL", *(summary["totals"].get(c, 0) for c in cols)])
    lines = [_table(heads, rows), ""]
    lat_rows = [[k, v["n"], v["p50_ms"], v["p90_ms"], v["p99_ms"], v["max_ms"]] for k, v in summary["latency"].items()]
    lines += [_table(["endpoint", "n", "p50 ms", "p90 ms", "p99 ms", "max ms"], lat_rows), ""]
    t, v = summary["totals"], summary["verification"]
    lines.append(f"offline share measured {t['offline_share_measured']:.0%}; retries by reason: "
                 + (", ".join(f"{k} {n}" for k, n in sorted(summary["retry_reasons"].items())) or "none"))  # fmt: skip
    if summary["office"]:
        lines.append(f"office edits during the run: {summary['office'].get('edits', 0)}")
    lines.append(f"verification ({v['method']}): lost {v['lost']}, doubled {v['doubled']}, "
                 f"undelivered (still in outboxes) {v['undelivered']}, outbox ops left {v['pending_left']}, "
                 f"unacknowledged {v['unacknowledged']}, scan rows missing {v['scans_missing']} / different {v['scans_mismatched']}, "
                 f"replicas not bootstrapped {v['devices_not_bootstrapped']}, with problems {v['devices_with_replica_problems']}")  # fmt: skip
    if summary["errors"]:
        lines.append("errors:")
        lines += [f"  {n:>5} x {k}" for k, n in list(summary["errors"].items())[:15]]
    server = summary.get("server") or {}
    if server.get("cpu_seconds") is not None:
        waited = server.get("runqueue_wait_seconds")
        lines.append(f"server process CPU during run + drain: {server['cpu_seconds']} s ({server['busy_share']:.0%} of one core)"
                     + (f", {waited} s runnable but waiting for a CPU" if waited is not None else ""))  # fmt: skip
    if server.get("log_problems"):
        lines.append(f"server log: {server['log_problems']} error/traceback lines (first: {server['log_samples'][:1]})")
    m = summary["machine"]
    lines.append(f"machine: {m['cpus']} CPUs, load average {m['load_average'][0]} at the end "
                 "(latencies include client-side waiting; see the event-loop lag row)")  # fmt: skip
    timings = summary.get("timings") or {}
    if timings:
        lines.append("timings: " + ", ".join(f"{k} {val:.1f} s" for k, val in timings.items()))
    lines.append("RESULT: " + ("OK" if summary["ok"] else "FAILED: " + "; ".join(summary["failures"])))
    return "\n".join(lines)


def _table(heads: list[str], rows: list[list]) -> str:
    cells = [[("-" if c is None else str(c)) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(heads)]
    fmt = lambda row: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))  # noqa: E731
    return "\n".join([fmt(heads), fmt(["-" * w for w in widths]), *(fmt(r) for r in cells)])


def _log_problems(text: str) -> tuple[int, list[str]]:
    bad = [line for line in text.splitlines() if re.search(r"\b(ERROR|CRITICAL|Traceback|Exception)\b", line)]
    return len(bad), bad[:10]


# ------------------------------------------------------------------------------------------------
# the run


async def run(cfg: Config) -> dict[str, Any]:
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="tally-sim-"))
    server: SpawnedServer | None = None
    extras: dict[str, Any] = {"latency": {}, "errors": Counter(), "timings": timings}
    try:
        state_dir = cfg.state_dir or (workdir / "devices")
        if cfg.state_dir is not None:
            state_dir = cfg.state_dir / f"run-{time.strftime('%Y%m%d-%H%M%S')}-{cfg.seed}"
        state_dir.mkdir(parents=True, exist_ok=True)
        if cfg.spawn:
            server = SpawnedServer(workdir)
            log(cfg, f"building a fresh database in {workdir}")
            server.prepare()
            server.start()
            admin = await asyncio.to_thread(server.admin_token)  # while the server boots
            base_url = server.url
        else:
            admin, base_url = cfg.admin_token, cfg.url
        async with httpx.AsyncClient(base_url=base_url, timeout=HTTP_TIMEOUT, trust_env=False, follow_redirects=False) as http:
            if server is not None:
                await server.wait_ready(http)
                log(cfg, f"server up at {base_url}")
            else:
                await _api(http, "GET", "/health", None)
            timings["setup"] = time.monotonic() - t0

            t1 = time.monotonic()
            wanted_couriers = max(1, round(cfg.devices * 0.1)) if cfg.devices >= 2 else 0
            courier_ids = await prepare_couriers(http, cfg, admin, wanted_couriers)
            routed = await plan_routes(http, server, cfg, admin, courier_ids) if server is not None else set()
            enroll_latency: list[float] = []
            specs = await enroll_devices(http, cfg, admin, state_dir, courier_ids, routed, enroll_latency)
            extras["latency"]["enroll (code + enroll)"] = enroll_latency
            timings["enroll"] = time.monotonic() - t1
            log(cfg, f"enrolled {len(specs)} devices ({sum(s.role == 'courier' for s in specs)} couriers); "
                     f"running {cfg.seconds:g} s, seed {cfg.seed}, outboxes in {state_dir}")  # fmt: skip

            office_done = threading.Event()
            office_stats = {"edits": 0, "latency": [], "errors": Counter()}
            groups = [g for g in (specs[i :: cfg.workers] for i in range(cfg.workers)) if g]
            start = threading.Barrier(len(groups) + 1)  # the groups, once their devices bootstrapped, and this thread
            loop = asyncio.get_running_loop()
            # The simulator's own collector pauses must not pass for server latency: what is alive now
            # (modules, clients, outboxes) leaves the collector's sight, as in the server (server.app.tune_gc).
            gc.collect()
            gc.freeze()
            gc.set_threshold(50_000, 20, 10)
            t_boot = time.monotonic()
            with ThreadPoolExecutor(max_workers=cfg.workers, thread_name_prefix="sim-devices") as pool:
                futures = [loop.run_in_executor(pool, run_group, g, cfg, base_url, start, office_done) for g in groups]
                try:
                    await asyncio.to_thread(start.wait)
                except threading.BrokenBarrierError:
                    office_done.set()
                    await asyncio.gather(*futures)  # raises what broke it
                    raise
                timings["bootstrap"] = time.monotonic() - t_boot
                log(cfg, f"every device has its snapshot ({timings['bootstrap']:.1f} s); running")
                t2 = time.monotonic()
                cpu_before = server.cpu_seconds() if server is not None else None
                wait_before = server.runqueue_wait_seconds() if server is not None else None
                end_at = t2 + cfg.seconds
                try:
                    await office(http, cfg, admin, end_at, random.Random(cfg.seed + 17), office_stats)
                finally:
                    office_done.set()
                results = await asyncio.gather(*futures)
            reports = [r for group in results for r in group]
            timings["run + drain"] = time.monotonic() - t2
            cpu_after = server.cpu_seconds() if server is not None else None
            wait_after = server.runqueue_wait_seconds() if server is not None else None
            if cpu_before is not None and cpu_after is not None:
                extras["server_cpu"] = {"cpu_seconds": round(cpu_after - cpu_before, 1),
                                        "busy_share": round((cpu_after - cpu_before) / timings["run + drain"], 2)}  # fmt: skip
                if wait_before is not None and wait_after is not None:
                    extras["server_cpu"]["runqueue_wait_seconds"] = round(wait_after - wait_before, 1)
            if office_stats["edits"]:
                extras["latency"]["office GET+PUT product"] = office_stats["latency"]
            extras["errors"].update(office_stats["errors"])
            extras["office"] = {"edits": office_stats["edits"]} if cfg.spawn else {}

            t3 = time.monotonic()
            verify_latency: list[float] = []
            if server is not None:
                verification = verify_spawned(server, reports, cfg)
                # Also exercise the supervisors' view and time it (it is what --url mode relies on).
                started = time.perf_counter()
                await _api(http, "GET", "/api/devices/", admin)
                verify_latency.append(time.perf_counter() - started)
            else:
                verification = await verify_remote(http, admin, reports, cfg, verify_latency)
            extras["latency"]["GET /api/devices"] = verify_latency
            timings["verify"] = time.monotonic() - t3
        if server is not None:
            code = server.stop()
            count, samples = _log_problems(server.log_text())
            extras["server"] = {"exit_code": code, "log_problems": count, "log_samples": samples, "url": server.url,
                                **extras.get("server_cpu", {})}  # fmt: skip
        timings["total"] = time.monotonic() - t0
        return summarize(cfg, reports, verification, extras)
    finally:
        if server is not None:
            server.stop()
        if cfg.keep:
            print(f"[sim] kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    cfg = parse_config(argv)
    try:
        summary = asyncio.run(run(cfg))
    except RunFailed as error:
        print(f"simulate: {error}", file=sys.stderr)
        return EXIT_RUN
    except KeyboardInterrupt:
        print("simulate: interrupted", file=sys.stderr)
        return EXIT_RUN
    print(render(summary))
    if cfg.json_path is not None:
        cfg.json_path.parent.mkdir(parents=True, exist_ok=True)
        cfg.json_path.write_text(json.dumps(summary, indent=2, default=str))
    if summary["verification"]["lost"] or summary["verification"]["doubled"]:
        return EXIT_LOST
    return EXIT_OK if summary["ok"] else EXIT_CHECK


if __name__ == "__main__":
    sys.exit(main())
