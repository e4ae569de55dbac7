"""Load: N simulated devices (the reference sync client) cycling push and pull against one or two server processes.

Two set-ups, each on a fresh database with demo data (`tally db upgrade`, `tally demo --orders 50 --products 500`)
and an admin token:
- SQLite: one `tally serve`; one `scripts/simulate.py --url` process drives all N devices;
- PostgreSQL: two `tally serve` processes on the same database; two simulator processes drive N/2 devices each,
  one per server (the live-hint fan-out between them goes through LISTEN/NOTIFY).
The simulator enrolls the devices through the API (one in ten a courier phone, half of them MessagePack), and
every device pulls its snapshot, all at once. Then, for `--seconds`, every device records scans (about one a second)
and syncs, push then pull, on a jittered 2-second timer (the first within the first second: a shift coming back
at once), with no offline periods and no lost responses; then it drains the outboxes and checks every op is stored
exactly once. An "office" edits product prices (30 a minute) meanwhile, so pulls carry changes.

Figures: p50/p99 per endpoint as the devices saw them during the run (push; pull after a cursor), the snapshot pulls
before it apart, errors (failed requests, failed checks), the servers' resident memory (sampled every second; the
peak, all server processes added up), and the CPU the servers and the simulators used (cores busy on average: a
simulator is one Python process, so near 1.0 it, not the server, sets the latency). A simulator process sums its
latencies only over its own devices: with two, the figures are the worse of the two. Every request (when it began,
endpoint, device, milliseconds) is written to `load-<backend>-timeline-<n>.csv` next to `--json`.

    .venv/bin/python scripts/bench_load.py --devices 200 --seconds 60 --backend both
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from bench_server import Server
from bench_sync import DEFAULT_PG, Databases, log, tally

SIMULATE = Path(__file__).resolve().parent / "simulate.py"


def admin_token(url: str) -> str:
    return tally(url, "token", "create", "--role", "admin", "--name", "bench").strip().splitlines()[-1].strip()


async def sample_rss(servers: list[Server], stop: asyncio.Event, peaks: list[float]) -> None:
    while not stop.is_set():
        peaks.append(sum(s.rss_mb() for s in servers))
        try:
            await asyncio.wait_for(stop.wait(), 1.0)
        except TimeoutError:
            pass


async def simulate(base: str, token: str, devices: int, seconds: float, out: Path, seed: int, timeline: Path) -> dict:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(SIMULATE), "--url", base, "--admin-token", token, "--devices", str(devices),
        "--seconds", str(seconds), "--offline-fraction", "0", "--drop-fraction", "0", "--seed", str(seed), "--office-edits-per-minute", "30",
        "--json", str(out), "--timeline", str(timeline), "--quiet", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    printed, _ = await proc.communicate()
    if not out.exists():
        raise RuntimeError(f"the simulator wrote no summary (exit {proc.returncode}):\n{printed.decode()[-3000:]}")
    summary = json.loads(out.read_text())
    summary["exit_code"] = proc.returncode
    return summary


async def load(kind: str, devices: int, seconds: float, pg_url: str, workdir: Path, timelines: Path | None = None) -> dict:
    """One set-up: the database, its servers, the simulators; returns the figures. The request timelines go
    to `timelines` (a folder; default `workdir`)."""
    timelines = timelines or workdir
    dbs = Databases(pg_url, workdir)
    backend = await dbs.create(kind, "load")
    servers: list[Server] = []
    try:
        tally(backend.url, "db", "upgrade")
        tally(backend.url, "demo", "--orders", "50", "--products", "500")
        token = admin_token(backend.url)
        processes = 1 if kind == "sqlite" else 2
        servers = [Server(backend.url, workdir, f"load-{kind}-{i}") for i in range(processes)]
        for s in servers:
            await s.ready()
        rss_idle = sum(s.rss_mb() for s in servers)
        cpu_before = [s.cpu_s() for s in servers]
        stop, peaks = asyncio.Event(), []
        sampler = asyncio.create_task(sample_rss(servers, stop, peaks))
        shares = [devices // processes + (i < devices % processes) for i in range(processes)]
        began = time.perf_counter()
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)  # the simulators, once they have exited
        summaries = await asyncio.gather(*(simulate(s.base, token, n, seconds, workdir / f"sim-{kind}-{i}.json", 100 + i,
                                                    timelines / f"load-{kind}-timeline-{i}.csv")
                                           for i, (s, n) in enumerate(zip(servers, shares, strict=True))))  # fmt: skip
        elapsed = time.perf_counter() - began
        # CPU seconds a second of each server process (1.0: one core all the time, all a Python process can use).
        cpu_share = [(s.cpu_s() - c) / elapsed for s, c in zip(servers, cpu_before, strict=True)]
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        client_cpu = (children.ru_utime + children.ru_stime - children_before.ru_utime - children_before.ru_stime) / elapsed
        stop.set()
        await sampler
    finally:
        for s in servers:
            s.stop()
        await dbs.drop_all()
        if backend.sqlite_path is not None:
            await dbs.drop(backend)
    out: dict = {"devices": devices, "seconds": seconds, "server_processes": processes, "wall_s": elapsed,
                 "rss_idle_mb": rss_idle, "rss_peak_mb": max(peaks, default=rss_idle),
                 "server_cpu_share": [round(c, 2) for c in cpu_share], "client_cpu_share": round(client_cpu, 2),
                 "loadavg_1min": os.getloadavg()[0]}  # fmt: skip
    # "pull" is the steady state (pages after a log cursor). Before the run every device pulls its first snapshot,
    # all 200 at once: reported apart as "snapshot".
    for name, label in (("push", "push"), ("pull", "pull log"), ("snapshot", "pull snapshot")):
        for stat in ("p50_ms", "p99_ms"):
            values = [s["latency"][label][stat] for s in summaries if s["latency"].get(label, {}).get(stat) is not None]
            out[f"{name}_{stat}"] = max(values) if values else None
        out[f"{name}_requests"] = sum(s["latency"].get(label, {}).get("n", 0) for s in summaries)
    out["bootstrap_s"] = max(s["timings"].get("bootstrap", 0) for s in summaries)
    out["client_loop_lag_p99_ms"] = max(s["latency"]["client event-loop lag"]["p99_ms"] or 0 for s in summaries)
    totals = [s["totals"] for s in summaries]
    out["ops_acknowledged"] = sum(t["ops_acknowledged"] for t in totals)
    out["ops_lost"] = sum(t["lost"] for t in totals)
    out["ops_doubled"] = sum(t["doubled"] for t in totals)
    # Errors: requests that failed (the simulator's error and sync-failure counts) and checks that failed.
    out["request_errors"] = sum(t["errors"] + t["sync_failures"] for t in totals)
    out["failed_checks"] = [f for s in summaries for f in s["failures"]]
    out["errors"] = out["request_errors"] + len(out["failed_checks"]) + sum(s["exit_code"] != 0 for s in summaries)
    out["error_kinds"] = {k: v for s in summaries for k, v in s["errors"].items()}
    log(f"load {kind}: {devices} devices, {processes} server process(es): push p50 {out['push_p50_ms']} p99 {out['push_p99_ms']} ms, "
        f"pull p50 {out['pull_p50_ms']} p99 {out['pull_p99_ms']} ms; before the run, {devices} snapshots at once in {out['bootstrap_s']:.1f} s: "
        f"p50 {out['snapshot_p50_ms']} p99 {out['snapshot_p99_ms']} ms; errors {out['errors']}, RSS peak {out['rss_peak_mb']:.0f} MB")  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="tally-bench-load-") as tmp:
        for kind in (["sqlite", "postgres"] if args.backend == "both" else [args.backend]):
            # Every request (when it began, endpoint, device, milliseconds) goes to a CSV next to the JSON.
            timelines = args.json.parent if args.json else Path(tmp)
            results[kind] = asyncio.run(load(kind, args.devices, args.seconds, args.pg_url, Path(tmp), timelines))
    results["loadavg_1min_end"] = os.getloadavg()[0]
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
