"""Every benchmark in one command: a table of the headline figures, and with --json the keys issue 10 lists.

Sections, in this order (each one's own script says what it measures and how; run them alone to dig in):
1. sync push and bootstrap, SQLite and PostgreSQL (`bench_sync.py`: Tally over HTTP beside stdlib `sqlite3` /
   asyncpg `executemany` of the same rows in the same transactions; `--quick`: bootstrap on SQLite only);
2. Kinto (`bench_kinto.py`, installed into var/kinto-venv on first use), right after Tally's push so the two see
   the same machine: memory backend with `/batch` of 25 (its default) and of 500 (limit raised), PostgreSQL with
   25, one client pushing the same scan records one request at a time, runs alternating;
3. acknowledged minus stored with 4 concurrent clients in one scope on PostgreSQL, Tally and Kinto (`bench_lost.py`);
4. cost growth: ops/s and memory at 1, 10, 100 devices, pull latency at 1k..1M changes (`bench_growth.py`; it gives
   `pull_flat_ratio`), with the chart `<json>-growth.png`;
5. load: 200 simulated devices cycling push and pull, one server on SQLite, two on PostgreSQL (`bench_load.py`);
6. labels per second, SVG and ZPL (`bench_labels.py`);
7. the ASGI server, granian against uvicorn, and the start-up GC tuning (`bench_asgi.py`).

Headline keys (--json FILE writes exactly these; FILE with `.details.json` gets everything measured):
`push_ops_per_s_{sqlite,postgres}` and `push_raw_ratio_sqlite`: 500-op batches from one device;
`push_vs_kinto_memory`: Tally SQLite ops/s / Kinto memory records/s at the better of its two batch sizes (both
ratios are in the details); `push_vs_kinto_postgres`: Tally PostgreSQL / Kinto PostgreSQL (batch 25);
`*_acked_lost`: acknowledged - stored; `pull_flat_ratio`: p50 over HTTP of a 1,000-change page with 1M (quick:
200k) vs 10k changes; `bootstrap_20k_*`: JSON with gzip seconds, uncompressed body bytes; `devices_200_p50_ms` and
`_p99_ms`: the SQLite run, the worse of push and pull; `devices_200_errors`: both runs; `server_rss_mb`: the
SQLite server's peak under that load; `labels_*_per_s`: median.

`--quick` makes each section smaller: push runs of 2,000 ops and one bootstrap (SQLite), Kinto runs of 300
records (PostgreSQL 60), 300 ops a client for acknowledged-minus-stored, growth up to 200,000 changes, 50 devices
for 10 s (the `devices_200_*` keys then hold those), short label runs, one ASGI round.

Medians, minima and maxima are over the runs each section makes. The machine has 2 cores shared by the load
generator, the servers and PostgreSQL (and, on a shared machine, other work: the load average is recorded), so
absolute figures are pessimistic: compare ratios taken in one run.

    .venv/bin/python scripts/bench.py --quick                     # a smaller version of each, under 5 minutes
    .venv/bin/python scripts/bench.py --json var/bench.json       # the full run, about 30 minutes on a busy machine
    .venv/bin/python scripts/bench.py --only kinto --only lost    # some sections
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

import bench_asgi
import bench_growth
import bench_labels
import bench_load
import bench_lost
import bench_sync
from bench_kinto import Kinto, push_records, scan_records
from bench_sync import DEFAULT_PG, Databases, log

SECTIONS = ("sync", "kinto", "lost", "growth", "load", "labels", "asgi")
HEADLINE_KEYS = (
    "push_ops_per_s_sqlite", "push_raw_ratio_sqlite", "push_vs_kinto_memory", "push_ops_per_s_postgres",
    "push_vs_kinto_postgres", "kinto_postgres_acked_lost", "tally_postgres_acked_lost", "pull_flat_ratio",
    "bootstrap_20k_s", "bootstrap_20k_bytes_json", "bootstrap_20k_bytes_msgpack", "devices_200_p50_ms",
    "devices_200_p99_ms", "devices_200_errors", "server_rss_mb", "labels_svg_per_s", "labels_zpl_per_s",
)  # fmt: skip
TARGETS = {  # issue 10, "Targets on this machine"
    "push_ops_per_s_sqlite": ">= 20,000", "push_vs_kinto_memory": ">= 40", "push_vs_kinto_postgres": ">= 100",
    "push_raw_ratio_sqlite": "<= 2.5", "pull_flat_ratio": "<= 1.2", "bootstrap_20k_s": "< 2",
    "devices_200_p99_ms": "< 250", "devices_200_errors": "0", "server_rss_mb": "< 300", "tally_postgres_acked_lost": "0",
    "labels_svg_per_s": ">= 200", "labels_zpl_per_s": ">= 5,000",
}  # fmt: skip


@dataclass(frozen=True)
class Plan:
    kinto_records: int  # records a Kinto memory run
    kinto_pg_records: int
    kinto_runs: int
    lost_per_client: int  # Tally ops a client
    lost_per_client_kinto: int
    load_devices: int
    load_seconds: float
    label_runs: int
    label_scale: float
    asgi_rounds: int
    asgi_ops: int


FULL = Plan(kinto_records=2_000, kinto_pg_records=300, kinto_runs=5, lost_per_client=2_000, lost_per_client_kinto=250,
            load_devices=200, load_seconds=60, label_runs=7, label_scale=1.0, asgi_rounds=5, asgi_ops=4_000)  # fmt: skip
QUICK = Plan(kinto_records=300, kinto_pg_records=60, kinto_runs=3, lost_per_client=300, lost_per_client_kinto=30,
             load_devices=50, load_seconds=10, label_runs=3, label_scale=0.2, asgi_rounds=1, asgi_ops=1_000)  # fmt: skip
# Quick sync: one bootstrap run (building the 20,000-product database is most of that section's time).
SYNC_QUICK = dataclasses.replace(bench_sync.QUICK, bootstrap_runs=1)


def stats(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


async def kinto_push(plan: Plan, pg_url: str, workdir: Path) -> dict:
    """Kinto records/s: memory at /batch 25 and 500, PostgreSQL at 25; runs alternate between the servers."""
    dbs = Databases(pg_url, workdir)
    pg = await dbs.create("postgres", "kinto")
    servers = {"memory_b25": Kinto(workdir, "memory", 25), "memory_b500": Kinto(workdir, "memory", 500),
               "postgres_b25": Kinto(workdir, "postgresql", 25, "postgresql://" + pg.url.split("://", 1)[1])}  # fmt: skip
    rates: dict[str, list[float]] = {name: [] for name in servers}
    rng = random.Random(7)
    try:
        for k in servers.values():
            await k.ready()
        async with httpx.AsyncClient(timeout=300) as client:
            paths = {name: await k.new_collection(client, "scans") for name, k in servers.items()}
            for name, k in servers.items():  # warm-up
                await push_records(k, client, paths[name], scan_records(k.batch_max, rng))
            for run in range(plan.kinto_runs):
                for name, k in servers.items():
                    n = plan.kinto_pg_records if name.startswith("postgres") else plan.kinto_records
                    rates[name].append(await push_records(k, client, paths[name], scan_records(n, rng)))
                log(f"kinto run {run + 1}/{plan.kinto_runs}: " + ", ".join(f"{n} {v[-1]:,.0f} records/s" for n, v in rates.items()))
    finally:
        for k in servers.values():
            k.stop()
        await dbs.drop_all()
    return {name: stats(v) for name, v in rates.items()}


def labels(plan: Plan) -> dict:
    bench_labels.measure("svg", 1, 0.05, 0)  # warm-up: font tables, caches
    # measure() gives (labels/s per run, CPU µs per label per run); the headline is the rate.
    return {name: stats(bench_labels.measure(name, plan.label_runs, plan.label_scale, 1_000_000 * (i + 1))[0])
            for i, name in enumerate(("svg", "zpl"))}  # fmt: skip


def run_all(sections: set[str], quick: bool, pg_url: str, workdir: Path, chart_path: Path | None) -> dict:
    plan = QUICK if quick else FULL
    d: dict = {"quick": quick, "loadavg_1min_start": os.getloadavg()[0], "cpus": os.cpu_count()}
    timings: dict[str, float] = {}

    def timed(name: str, fn):  # noqa: ANN001, ANN202
        """Run one section; a section that fails is recorded and the others still run."""
        began = time.perf_counter()
        log(f"== {name}")
        try:
            return fn()
        except Exception as error:  # noqa: BLE001
            log(f"!! {name} failed: {error!r}")
            d.setdefault("failed", {})[name] = repr(error)[:2000]
            return None
        finally:
            timings[name] = round(time.perf_counter() - began, 1)

    if "sync" in sections:
        profile = SYNC_QUICK if quick else bench_sync.FULL
        results = {"sqlite": timed("sync sqlite", lambda: asyncio.run(bench_sync.run("sqlite", profile, {"push", "bootstrap"}, pg_url))),
                   "postgres": timed("sync postgres", lambda: asyncio.run(bench_sync.run(
                       "postgres", profile, {"push"} if quick else {"push", "bootstrap"}, pg_url)))}  # fmt: skip
        results = {k: v for k, v in results.items() if v is not None}
        if results:
            d["sync_table"], d["sync"] = bench_sync.report(results, profile)
    if "kinto" in sections:
        d["kinto"] = timed("kinto", lambda: asyncio.run(kinto_push(plan, pg_url, workdir)))
    if "lost" in sections:
        d["lost"] = timed("acked minus stored", lambda: asyncio.run(bench_lost.run(plan.lost_per_client, plan.lost_per_client_kinto, pg_url)))
    if "growth" in sections:
        d["growth"] = timed("growth", lambda: asyncio.run(bench_growth.run(quick, pg_url)))
        if chart_path is not None and d["growth"] is not None:
            bench_growth.chart(d["growth"], chart_path)
    if "load" in sections:
        d["load"] = {kind: timed(f"load {kind}", lambda kind=kind: asyncio.run(
            bench_load.load(kind, plan.load_devices, plan.load_seconds, pg_url, workdir, chart_path.parent if chart_path else None)))
            for kind in ("sqlite", "postgres")}  # fmt: skip
    if "labels" in sections:
        d["labels"] = timed("labels", lambda: labels(plan))
    if "asgi" in sections:
        d["asgi"] = timed("asgi", lambda: asyncio.run(bench_asgi.run(plan.asgi_rounds, plan.asgi_ops, pg_url)))
    d = {k: v for k, v in d.items() if v is not None}
    if "load" in d:
        d["load"] = {k: v for k, v in d["load"].items() if v is not None}
    d["seconds"] = timings
    d["loadavg_1min_end"] = os.getloadavg()[0]
    return d


def headline(d: dict) -> dict[str, dict]:
    """key -> {value, min?, max?}: the figures the issue names, from the sections' details."""
    h: dict[str, dict] = {}
    s = d.get("sync", {})
    for key in ("push_ops_per_s_sqlite", "push_raw_ratio_sqlite", "push_ops_per_s_postgres"):
        backend = key.rsplit("_", 1)[1]
        base = key.removesuffix(f"_{backend}") + f"_{backend}_b500_d1"
        if base in s:
            h[key] = {"value": s[base], "min": s[f"{base}_min"], "max": s[f"{base}_max"]}
    if "bootstrap_20k_s" in s:
        h["bootstrap_20k_s"] = {"value": s["bootstrap_20k_s"], "min": s["bootstrap_20k_s_json_gzip_min"], "max": s["bootstrap_20k_s_json_gzip_max"]}
        h["bootstrap_20k_bytes_json"] = {"value": s["bootstrap_20k_bytes_json"]}
        h["bootstrap_20k_bytes_msgpack"] = {"value": s["bootstrap_20k_bytes_msgpack"]}
    k = d.get("kinto")
    if k and "push_ops_per_s_sqlite" in h:
        tally_sqlite = h["push_ops_per_s_sqlite"]["value"]
        better = max(k["memory_b25"]["median"], k["memory_b500"]["median"])
        h["push_vs_kinto_memory"] = {"value": tally_sqlite / better}
    if k and "push_ops_per_s_postgres" in h:
        h["push_vs_kinto_postgres"] = {"value": h["push_ops_per_s_postgres"]["value"] / k["postgres_b25"]["median"]}
    if "lost" in d:
        h["kinto_postgres_acked_lost"] = {"value": d["lost"]["kinto"]["lost"]}
        h["tally_postgres_acked_lost"] = {"value": d["lost"]["tally"]["lost"]}
    if "growth" in d:
        pulls = d["growth"]["log"]["pull_ms"]
        big = max(d["growth"]["log"]["sizes"])
        h["pull_flat_ratio"] = {"value": d["growth"]["log"]["pull_flat_ratio"], "note": f"{pulls[f'{big}_l1000']['p50']:.1f} / "
                                f"{pulls['10000_l1000']['p50']:.1f} ms"}  # fmt: skip
    if "sqlite" in d.get("load", {}):
        lo = d["load"]["sqlite"]
        h["devices_200_p50_ms"] = {"value": max(lo["push_p50_ms"], lo["pull_p50_ms"])}
        h["devices_200_p99_ms"] = {"value": max(lo["push_p99_ms"], lo["pull_p99_ms"])}
        h["devices_200_errors"] = {"value": sum(x["errors"] for x in d["load"].values())}
        h["server_rss_mb"] = {"value": lo["rss_peak_mb"]}
    if "labels" in d:
        for name in ("svg", "zpl"):
            r = d["labels"][name]
            h[f"labels_{name}_per_s"] = {"value": r["median"], "min": r["min"], "max": r["max"]}
    return h


def fmt(v: float) -> str:
    if isinstance(v, int) or abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.2f}"


def render(d: dict, h: dict[str, dict]) -> str:
    lines = [f"{'figure':<28} {'median':>12} {'min':>10} {'max':>10}   target"]
    for key in HEADLINE_KEYS:
        if key in h:
            r = h[key]
            lines.append(f"{key:<28} {fmt(r['value']):>12} {fmt(r['min']) if 'min' in r else '':>10} "
                         f"{fmt(r['max']) if 'max' in r else '':>10}   {TARGETS.get(key, '')}")  # fmt: skip
    if "kinto" in d:
        k = d["kinto"]
        lines.append("\nKinto records/s, median (min-max): " + "; ".join(
            f"{name} {fmt(r['median'])} ({fmt(r['min'])}-{fmt(r['max'])})" for name, r in k.items()))  # fmt: skip
        if "push_ops_per_s_sqlite" in h:
            t = h["push_ops_per_s_sqlite"]["value"]
            lines.append(f"Tally SQLite / Kinto memory: x{t / k['memory_b25']['median']:.1f} at /batch 25, "
                         f"x{t / k['memory_b500']['median']:.1f} at /batch 500")  # fmt: skip
    if "lost" in d:
        lines.append("acknowledged / stored, 4 concurrent clients on PostgreSQL: " + "; ".join(
            f"{name} {r['acked']} / {r['stored']}" + (f" ({r['refused']} refused)" if "refused" in r else "")
            for name, r in d["lost"].items()))  # fmt: skip
    if "load" in d:
        lines.append("\nload (devices, server processes): push, pull and first (snapshot) pull p50/p99 ms, errors, server RSS peak MB")
        for kind, lo in d["load"].items():
            lines.append(f"  {kind:<9} {lo['devices']} dev, {lo['server_processes']} proc: push {lo['push_p50_ms']}/{lo['push_p99_ms']}, "
                         f"pull {lo['pull_p50_ms']}/{lo['pull_p99_ms']}, snapshot {lo['snapshot_p50_ms']}/{lo['snapshot_p99_ms']}, "
                         f"errors {lo['errors']}, RSS {lo['rss_peak_mb']:.0f}, server CPU share {lo.get('server_cpu_share')}, simulators {lo.get('client_cpu_share')} "
                         f"(client loop lag p99 {lo['client_loop_lag_p99_ms']} ms)")  # fmt: skip
    if "growth" in d:
        lines += ["", bench_growth.table(d["growth"])]
    if "asgi" in d:
        lines += ["", bench_asgi.table(d["asgi"])]
    if "sync_table" in d:
        lines += ["", d["sync_table"]]
    for name, error in d.get("failed", {}).items():
        lines.append(f"\nSECTION FAILED: {name}: {error[:300]}")
    lines.append(f"\nload average (1 min): {d['loadavg_1min_start']:.1f} at start, {d['loadavg_1min_end']:.1f} at end, "
                 f"{d['cpus']} CPUs; seconds per section: {d['seconds']}")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller version of each benchmark (under 5 minutes)")
    parser.add_argument("--only", choices=SECTIONS, action="append", help="run only these sections")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--json", type=Path, default=None,
                        help="write the headline keys here; the details to FILE.details.json, the chart to FILE-growth.png")  # fmt: skip
    parser.add_argument("--update", action="store_true",
                        help="keep the sections of an earlier run in FILE.details.json that this run does not redo")  # fmt: skip
    args = parser.parse_args()
    chart = None if args.json is None else args.json.with_name(args.json.stem + "-growth.png")
    with tempfile.TemporaryDirectory(prefix="tally-bench-") as tmp:
        d = run_all(set(args.only or SECTIONS), args.quick, args.pg_url, Path(tmp), chart)
    details = None if args.json is None else args.json.with_name(args.json.stem + ".details.json")
    if args.update and details is not None and details.exists():
        earlier = json.loads(details.read_text())
        earlier.pop("headline", None)
        # A section redone now replaces the earlier one, and so does its failure (or its success).
        failed = {k: v for k, v in earlier.get("failed", {}).items() if k not in d["seconds"]} | d.get("failed", {})
        d = earlier | d | {"seconds": earlier.get("seconds", {}) | d["seconds"], "failed": failed,
                           "loadavg_1min_start": earlier["loadavg_1min_start"]}  # fmt: skip
        if not failed:
            del d["failed"]
    h = headline(d)
    print(render(d, h))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({k: h[k]["value"] for k in HEADLINE_KEYS if k in h}, indent=2) + "\n")
        details.write_text(json.dumps(d | {"headline": h}, indent=2, default=str) + "\n")
        print(f"\nfigures written to {args.json} (details beside it)" + (f", chart {chart}" if chart and chart.exists() else ""))


if __name__ == "__main__":
    sys.exit(main())
