"""Benchmark: the ASGI server under `tally serve` (granian against uvicorn), and the start-up GC tuning, side by side.

Four servers run at once, each on its own fresh SQLite database (`tally db upgrade`, one warehouse, four picker
devices): uvicorn and granian, each with Python's default garbage collector and with `server.app.tune_gc`
(`gc.freeze()` after start-up and a 50,000-allocation young generation; `TALLY_GC_TUNING=0` turns it off).
Each round pushes the same shape of work to every server in turn, the order rotating from round to round so the
machine's drift hits them alike: `RecordScan` ops in 10-op batches (the server's own overhead dominates) and in
100-op batches, from 4 devices at once, one request in flight per device. Figures: ops/s and the per-request
latency p50/p99 over all rounds, and each server's CPU ms per op.

    .venv/bin/python scripts/bench_asgi.py --quick
    .venv/bin/python scripts/bench_asgi.py --json bench-asgi.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench_server import Server
from bench_sync import KEEPALIVE_S, Databases, DeviceStream, enroll_devices, log, tally
from server.usecases.catalog import create_warehouse
from sync.database import Database

VARIANTS = {  # name -> (tally serve arguments, environment)
    "uvicorn": (("--server", "uvicorn"), {"TALLY_GC_TUNING": "0"}),
    "uvicorn+gc": (("--server", "uvicorn"), {"TALLY_GC_TUNING": "1"}),
    "granian": (("--server", "granian"), {"TALLY_GC_TUNING": "0"}),
    "granian+gc": (("--server", "granian"), {"TALLY_GC_TUNING": "1"}),
}
SHAPES = (10, 100)  # ops a batch
DEVICES = 4


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def push_round(client: httpx.AsyncClient, base: str, streams: list[DeviceStream], size: int, batches: int) -> tuple[float, list[float]]:
    """Each device pushes `batches` batches of `size` ops; returns (wall seconds, per-request latencies in ms)."""
    latencies: list[float] = []

    async def device(stream: DeviceStream) -> None:
        headers = {"Authorization": f"Bearer {stream.token}", "Content-Type": "application/json"}
        bodies = [stream.batch(size).body for _ in range(batches)]
        for body in bodies:
            began = time.perf_counter()
            response = await client.post(base + "/api/sync/push", content=body, headers=headers)
            latencies.append((time.perf_counter() - began) * 1000)
            if response.status_code != 200 or response.json()["results"][-1]["status"] != "applied":
                raise RuntimeError(f"push answered {response.status_code}: {response.text[:300]}")

    began = time.perf_counter()
    await asyncio.gather(*(device(s) for s in streams))
    return time.perf_counter() - began, latencies


async def run(rounds: int, ops_per_round: int, pg_url: str) -> dict:
    out: dict = {}
    with tempfile.TemporaryDirectory(prefix="tally-bench-asgi-") as tmp:
        dbs = Databases(pg_url, Path(tmp))
        servers: dict[str, Server] = {}
        streams: dict[str, list[DeviceStream]] = {}
        try:
            for name, (args, env) in VARIANTS.items():
                backend = await dbs.create("sqlite", name.replace("+", "_"))
                tally(backend.url, "db", "upgrade")
                db = Database(backend.url)
                try:
                    warehouse_id = await create_warehouse(db, "BENCH", "Bench warehouse")
                    devices = await enroll_devices(db, warehouse_id, DEVICES)
                finally:
                    await db.dispose()
                rng = random.Random(len(servers))
                streams[name] = [DeviceStream(d, t, rng) for d, t in devices]
                saved = {k: os.environ.get(k) for k in env}
                os.environ.update(env)  # the Server helper passes this process's environment on
                try:
                    servers[name] = Server(backend.url, Path(tmp), name.replace("+", "_"), args)
                finally:
                    for k, v in saved.items():
                        os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
            for s in servers.values():
                await s.ready()
            samples = {f"{n}_b{size}": {"ops_per_s": [], "latency_ms": [], "cpu_ms_per_op": []} for n in VARIANTS for size in SHAPES}
            limits = httpx.Limits(max_connections=DEVICES * len(VARIANTS), keepalive_expiry=KEEPALIVE_S)
            async with httpx.AsyncClient(timeout=60, limits=limits) as client:
                for name, server in servers.items():  # warm-up
                    for size in SHAPES:
                        await push_round(client, server.base, streams[name], size, 3)
                names = list(VARIANTS)
                for rnd in range(rounds):
                    order = names[rnd % len(names):] + names[: rnd % len(names)]
                    for size in SHAPES:
                        batches = max(2, ops_per_round // (size * DEVICES))
                        for name in order:
                            cpu = servers[name].cpu_s()
                            wall, lat = await push_round(client, servers[name].base, streams[name], size, batches)
                            s = samples[f"{name}_b{size}"]
                            s["ops_per_s"].append(size * batches * DEVICES / wall)
                            s["latency_ms"].extend(lat)
                            s["cpu_ms_per_op"].append((servers[name].cpu_s() - cpu) * 1000 / (size * batches * DEVICES))
                    log(f"asgi round {rnd + 1}/{rounds}: " + ", ".join(
                        f"{k} {v['ops_per_s'][-1]:,.0f}" for k, v in samples.items()))  # fmt: skip
            for key, s in samples.items():
                out[key] = {"ops_per_s": statistics.median(s["ops_per_s"]), "ops_per_s_min": min(s["ops_per_s"]),
                            "ops_per_s_max": max(s["ops_per_s"]), "p50_ms": pct(s["latency_ms"], 0.5),
                            "p99_ms": pct(s["latency_ms"], 0.99), "cpu_ms_per_op": statistics.median(s["cpu_ms_per_op"]),
                            "rounds": len(s["ops_per_s"])}  # fmt: skip
            for name, server in servers.items():
                out[f"{name}_rss_mb"] = server.rss_mb()
        finally:
            for s in servers.values():
                s.stop()
            await dbs.drop_all()
    return out


def table(out: dict) -> str:
    lines = [f"{'server':<12} {'batch':>5} {'ops/s median (min-max)':>26} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms/op':>10}"]
    for name in VARIANTS:
        for size in SHAPES:
            r = out[f"{name}_b{size}"]
            rng = f"{r['ops_per_s']:,.0f} ({r['ops_per_s_min']:,.0f}-{r['ops_per_s_max']:,.0f})"
            lines.append(f"{name:<12} {size:>5} {rng:>26} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['cpu_ms_per_op']:>10.3f}")
    for size in SHAPES:
        ratio = out[f"granian_b{size}"]["ops_per_s"] / out[f"uvicorn_b{size}"]["ops_per_s"]
        lines.append(f"granian / uvicorn ops/s, {size}-op batches: {ratio:.2f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds of 2,000 ops instead of 7 of 8,000")
    parser.add_argument("--pg-url", default="postgresql://127.0.0.1:5432/test")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    rounds, ops = (3, 2_000) if args.quick else (7, 8_000)
    out = asyncio.run(run(rounds, ops, args.pg_url))
    print(table(out))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    sys.exit(main())
