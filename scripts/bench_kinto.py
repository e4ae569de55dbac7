"""Kinto, the peer the benchmarks measure against: installed into its own virtual environment, started, pushed to.

Kinto (PyPI `kinto`, a Python sync server) is never a project dependency: `ensure_kinto()` creates
`var/kinto-venv` with a pinned Kinto the first time and reuses it afterwards. `Kinto` starts one server
(`kinto init`, settings edited in the generated ini, `kinto migrate` for PostgreSQL, `kinto start`) on a free
127.0.0.1 port, creates an account (basic auth), a bucket and a collection, and pushes scan-shaped records with
`POST /v1/batch` (`kinto.batch_max_requests`, 25 by default, can be raised). `count()` reads how many records the
collection holds.

    .venv/bin/python scripts/bench_kinto.py --backend memory --records 2000 --batch 25
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bench_server import stop_process  # scripts/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parents[1]
KINTO_VENV = ROOT / "var" / "kinto-venv"
KINTO_REQUIREMENTS = ("kinto[postgresql]==26.5.0", "psycopg2-binary==2.9.13", "SQLAlchemy==2.1.9", "zope.sqlalchemy==4.1")
CODES = [f"46{random.Random(i).randrange(10**10, 10**11)}" for i in range(500)]
CONTEXTS = ["pick", "check", "pack", "load"]
PASSWORD = "bench-password"


def ensure_kinto() -> Path:
    """The `kinto` command of var/kinto-venv, installing it there first if needed (pip, from the package index)."""
    kinto = KINTO_VENV / "bin" / "kinto"
    if kinto.exists():
        return kinto
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(KINTO_VENV)], check=True)
    subprocess.run([str(KINTO_VENV / "bin" / "pip"), "install", "--quiet", *KINTO_REQUIREMENTS], check=True)
    return kinto


def scan_records(n: int, rng: random.Random) -> list[dict]:
    """`n` records shaped like Tally's RecordScan payloads (plus the device time), one per scan."""
    at = datetime.now(UTC) - timedelta(seconds=30)
    return [{"op_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "code": rng.choice(CODES),
             "location": f"A-{rng.randint(1, 8):02d}-{rng.randint(1, 5)}", "context": rng.choice(CONTEXTS),
             "captured_at": (at + timedelta(milliseconds=40 * i)).isoformat()} for i in range(n)]  # fmt: skip


def _set(ini: str, key: str, value: str) -> str:
    """Set `key = value` in a generated Kinto ini (replacing the line, commented or not, or adding it)."""
    pattern = re.compile(rf"^#?\s*{re.escape(key)}\s*=.*$", re.MULTILINE)
    if pattern.search(ini):
        return pattern.sub(f"{key} = {value}", ini, count=1)
    return ini.replace("[app:main]\n", f"[app:main]\n{key} = {value}\n", 1)


class Kinto:
    """One Kinto server: memory backend, or PostgreSQL at `pg_url` (a database of its own)."""

    def __init__(self, workdir: Path, backend: str, batch_max: int = 25, pg_url: str | None = None) -> None:
        kinto = ensure_kinto()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}/v1"
        self.batch_max = batch_max
        tag = f"{backend}-{batch_max}-{self.port}"
        ini_path = workdir / f"kinto-{tag}.ini"
        subprocess.run([str(kinto), "init", "--ini", str(ini_path), f"--backend={'memory' if backend == 'memory' else 'postgresql'}",
                        "--cache-backend=memory", "--host", "127.0.0.1"], check=True, capture_output=True)  # fmt: skip
        ini = _set(ini_path.read_text(), "kinto.batch_max_requests", str(batch_max))
        if backend != "memory":
            for key in ("kinto.storage_url", "kinto.permission_url"):
                ini = _set(ini, key, pg_url)
        ini_path.write_text(ini)
        if backend != "memory":
            subprocess.run([str(kinto), "migrate", "--ini", str(ini_path)], check=True, capture_output=True)
        self.log_path = workdir / f"kinto-{tag}.log"
        self.log_file = self.log_path.open("w")
        self.proc = subprocess.Popen([str(kinto), "start", "--ini", str(ini_path), "--port", str(self.port)],
                                     stdout=self.log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)  # fmt: skip
        self.auth = ("admin", PASSWORD)  # the generated ini lets account:admin create buckets
        self.refused = 0  # sub-requests of a batch answered other than 201 (not acknowledged)

    async def ready(self, bucket: str = "bench", timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(timeout=10) as client:
            while True:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"Kinto did not start:\n{self.log_path.read_text()[-3000:]}")
                try:
                    if (await client.get(self.base + "/")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.3)
            r = await client.put(f"{self.base}/accounts/admin", json={"data": {"password": PASSWORD}})
            if r.status_code not in (200, 201):
                raise RuntimeError(f"Kinto account: {r.status_code} {r.text[:300]}")
            r = await client.put(f"{self.base}/buckets/{bucket}", json={"data": {}}, auth=self.auth)
            if r.status_code not in (200, 201):
                raise RuntimeError(f"Kinto bucket: {r.status_code} {r.text[:300]}")

    async def new_collection(self, client: httpx.AsyncClient, name: str, bucket: str = "bench") -> str:
        r = await client.put(f"{self.base}/buckets/{bucket}/collections/{name}", json={"data": {}}, auth=self.auth)
        if r.status_code not in (200, 201):
            raise RuntimeError(f"Kinto collection: {r.status_code} {r.text[:300]}")
        return f"/buckets/{bucket}/collections/{name}/records"

    async def push_batch(self, client: httpx.AsyncClient, records_path: str, records: list[dict]) -> int:
        """One `POST /v1/batch` creating `records`; returns how many Kinto acknowledged (201)."""
        body = {"defaults": {"method": "POST", "path": records_path}, "requests": [{"body": {"data": r}} for r in records]}
        r = await client.post(self.base + "/batch", json=body, auth=self.auth)
        if r.status_code != 200:
            raise RuntimeError(f"Kinto batch: {r.status_code} {r.text[:300]}")
        statuses = [sub["status"] for sub in r.json()["responses"]]
        self.refused += len(statuses) - statuses.count(201)
        return statuses.count(201)

    async def count(self, client: httpx.AsyncClient, records_path: str) -> int:
        """Records the collection holds: its `Total-Objects`, checked against a full paginated listing."""
        r = await client.head(self.base + records_path, auth=self.auth)
        total = r.headers.get("Total-Objects") or r.headers.get("Total-Records")
        if r.status_code != 200 or total is None:
            raise RuntimeError(f"Kinto count: {r.status_code} {dict(r.headers)}")
        listed: set[str] = set()
        url: str | None = self.base + records_path + "?_limit=1000"
        while url:
            r = await client.get(url, auth=self.auth)
            listed.update(rec["op_id"] for rec in r.json()["data"])
            url = r.headers.get("Next-Page")
        if len(listed) != int(total):
            raise RuntimeError(f"Kinto lists {len(listed)} distinct records but counts {total}")
        return int(total)

    def stop(self) -> None:
        stop_process(self.proc)
        self.log_file.close()


async def push_records(kinto: Kinto, client: httpx.AsyncClient, records_path: str, records: list[dict]) -> float:
    """One client pushes `records` in batches of `kinto.batch_max`, one request at a time; returns records/s."""
    began = time.perf_counter()
    acked = 0
    for i in range(0, len(records), kinto.batch_max):
        acked += await kinto.push_batch(client, records_path, records[i : i + kinto.batch_max])
    elapsed = time.perf_counter() - began
    if acked != len(records):
        raise RuntimeError(f"Kinto acknowledged {acked} of {len(records)} records")
    return len(records) / elapsed


async def acked_minus_stored(kinto: Kinto, clients: int, per_client: int, batch: int, rng: random.Random) -> dict:
    """`clients` clients push `per_client` records each, concurrently, into one collection: acknowledged - stored."""
    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=clients + 1)) as client:
        path = await kinto.new_collection(client, f"concurrent{rng.randrange(10**6)}")

        async def one() -> int:
            records = scan_records(per_client, rng)
            acked = 0
            for i in range(0, per_client, batch):
                acked += await kinto.push_batch(client, path, records[i : i + batch])
            return acked

        began = time.perf_counter()
        acked = sum(await asyncio.gather(*(one() for _ in range(clients))))
        elapsed = time.perf_counter() - began
        stored = await kinto.count(client, path)
    return {"acked": acked, "stored": stored, "lost": acked - stored, "refused": kinto.refused, "records_per_s": acked / elapsed}


async def _main(args: argparse.Namespace) -> None:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="tally-bench-kinto-") as tmp:
        kinto = Kinto(Path(tmp), args.backend, args.batch, args.pg_url)
        try:
            await kinto.ready()
            async with httpx.AsyncClient(timeout=120) as client:
                path = await kinto.new_collection(client, "scans")
                rate = await push_records(kinto, client, path, scan_records(args.records, random.Random(1)))
                print(f"Kinto {args.backend}, /batch of {args.batch}: {rate:,.0f} records/s; stored {await kinto.count(client, path)}")
        finally:
            kinto.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["memory", "postgresql"], default="memory")
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=25)
    parser.add_argument("--pg-url", default=os.environ.get("KINTO_PG_URL"), help="a database of Kinto's own (postgresql only)")
    asyncio.run(_main(parser.parse_args()))
