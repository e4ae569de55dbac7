"""Cost growth on SQLite: push ops/s and server memory at 1, 10 and 100 devices; pull latency against log length.

1. Devices. A fresh database, one warehouse, 100 enrolled picker devices, one `tally serve`. Each round, for 1,
   10 and 100 devices (the order rotating from round to round), the devices push `RecordScan` ops at once in
   100-op batches, one request in flight per device, the same total of ops whatever the device count;
   figures: ops/s (median, min, max over rounds) and the server's resident memory after each step of the first
   round, which goes 1, 10, 100 (a process keeps what it has grown to, so later rounds would show the peak).
2. Log length. Change logs of 1,000, 10,000, 100,000 and 1,000,000 changes (`--quick`: 200,000 for the last)
   bulk-loaded as `scripts/bench_sync.py` does, one server per log, all running at once; the requests alternate
   one by one between the logs. A device whose cursor leaves a full page plus a few changes asks for 100-change
   pages on every log and 1,000-change pages on the logs of 10,000 and up; figures: HTTP latency p50/p95.
   `pull_flat_ratio` = p50(largest log) / p50(10,000), 1,000-change pages.
3. `chart()` draws both as a PNG with Pillow (no plotting library needed).

    .venv/bin/python scripts/bench_growth.py --quick --json growth.json     # also writes growth.png
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from PIL import Image, ImageDraw, ImageFont

from bench_server import Server
from bench_sync import (KEEPALIVE_S, DEFAULT_PG, Databases, DeviceStream, PullWorld, build_pull_world, close_pull_worlds,
                        enroll_devices, log, push_over_http, summary, tally, time_pull_http)  # fmt: skip
from server.usecases.catalog import create_warehouse
from sync.database import Database

DEVICE_STEPS = (1, 10, 100)


async def growth_devices(dbs: Databases, total_ops: int, rounds: int) -> dict:
    backend = await dbs.create("sqlite", "growth")
    tally(backend.url, "db", "upgrade")
    db = Database(backend.url)
    server: Server | None = None
    try:
        warehouse_id = await create_warehouse(db, "BENCH", "Bench warehouse")
        rng = random.Random(11)
        streams = [DeviceStream(d, t, rng) for d, t in await enroll_devices(db, warehouse_id, max(DEVICE_STEPS))]
        server = Server(backend.url, backend.workdir, "growth")
        await server.ready()
        rates: dict[int, list[float]] = {n: [] for n in DEVICE_STEPS}
        rss: dict[int, float] = {}
        rss_idle = server.rss_mb()
        limits = httpx.Limits(max_connections=max(DEVICE_STEPS), keepalive_expiry=KEEPALIVE_S)
        async with httpx.AsyncClient(base_url=server.base, limits=limits, timeout=120) as client:
            await push_over_http(client, [(s.token, [s.batch(100)]) for s in streams[:10]])  # warm-up
            for rnd in range(rounds):
                steps = DEVICE_STEPS[rnd % 3:] + DEVICE_STEPS[: rnd % 3]
                for n in steps:
                    per_device = max(1, total_ops // (100 * n))
                    work = [(s.token, [s.batch(100) for _ in range(per_device)]) for s in streams[:n]]
                    wall = await push_over_http(client, work)
                    rates[n].append(100 * per_device * n / wall)
                    if rnd == 0:  # the first round goes 1, 10, 100: memory as it grows with the devices served
                        rss[n] = server.rss_mb()
                log("growth round " + str(rnd + 1) + ": " + ", ".join(f"{n} devices {rates[n][-1]:,.0f} ops/s" for n in DEVICE_STEPS))
        return {"push_ops_per_s": {str(n): summary(v) for n, v in rates.items()}, "rss_mb": {str(n): v for n, v in rss.items()},
                "rss_idle_mb": rss_idle}  # fmt: skip
    finally:
        if server is not None:
            server.stop()
        await db.dispose()
        await dbs.drop(backend)


async def growth_log(dbs: Databases, sizes: tuple[int, ...], rounds: int, per_round: int) -> dict:
    worlds: list[PullWorld] = []
    samples: dict[str, list[float]] = {}
    try:
        for size in sizes:
            worlds.append(await build_pull_world(dbs, "sqlite", size, (100, 1000) if size >= 10_000 else (100,)))
        for w in worlds:
            w.server = Server(w.backend.url, w.backend.workdir, f"growth-pull-{w.size}")
        for w in worlds:
            await w.server.ready(timeout_s=300)  # start-up runs ANALYZE on a fresh 1M-change log: slow on a busy machine
        async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(keepalive_expiry=KEEPALIVE_S)) as client:
            for w in worlds:  # warm-up
                for limit in w.cursors:
                    await time_pull_http(client, w, limit, 3)
            for rnd in range(rounds):
                for i in range(per_round):
                    order = worlds if (rnd + i) % 2 == 0 else worlds[::-1]
                    for limit in (100, 1000):
                        for w in order:
                            if limit in w.cursors:
                                samples.setdefault(f"{w.size}_l{limit}", []).extend(await time_pull_http(client, w, limit, 1))
                log(f"growth pull round {rnd + 1}: " + ", ".join(f"{k} {statistics.median(v):.1f} ms" for k, v in samples.items()))
    finally:
        await close_pull_worlds(dbs, worlds)
    out = {"pull_ms": {k: summary(v) for k, v in samples.items()}, "sizes": list(sizes)}
    out["pull_flat_ratio"] = out["pull_ms"][f"{max(sizes)}_l1000"]["p50"] / out["pull_ms"]["10000_l1000"]["p50"]
    return out


def chart(result: dict, path: Path) -> None:
    """Three small panels: ops/s against devices, memory against devices, pull p50 against log length (log scale)."""
    w, h, pad = 1200, 420, 60
    img = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default()
    panels = [
        ("push ops/s (100-op batches)", [str(n) for n in DEVICE_STEPS], [result["devices"]["push_ops_per_s"][str(n)]["p50"] for n in DEVICE_STEPS], "devices"),
        ("server RSS, MB", [str(n) for n in DEVICE_STEPS], [result["devices"]["rss_mb"][str(n)] for n in DEVICE_STEPS], "devices"),
        ("pull p50 ms, 100-change page", [f"{s:,}" for s in result["log"]["sizes"]],
         [result["log"]["pull_ms"][f"{s}_l100"]["p50"] for s in result["log"]["sizes"]], "changes in the log"),
    ]  # fmt: skip
    pw = w // len(panels)
    for i, (title, labels, values, xlabel) in enumerate(panels):
        x0, x1, y0, y1 = i * pw + pad, (i + 1) * pw - 20, 50, h - pad
        draw.text((x0, 15), title, fill="black", font=font)
        draw.line([(x0, y0), (x0, y1), (x1, y1)], fill="black")
        top = max(values) * 1.15 or 1.0
        draw.text((x0 - 50, y0 - 6), f"{top:,.0f}", fill="gray", font=font)
        draw.text((x0 - 20, y1 - 6), "0", fill="gray", font=font)
        step = (x1 - x0) / len(values)
        points = []
        for j, (label, v) in enumerate(zip(labels, values, strict=True)):
            cx = x0 + step * (j + 0.5)
            cy = y1 - (y1 - y0) * v / top
            draw.rectangle([cx - step * 0.3, cy, cx + step * 0.3, y1], fill=(120, 160, 210))
            draw.text((cx - step * 0.3, cy - 14), f"{v:,.1f}" if v < 100 else f"{v:,.0f}", fill="black", font=font)
            draw.text((cx - step * 0.3, y1 + 6), label, fill="black", font=font)
            points.append((cx, cy))
        draw.text(((x0 + x1) // 2 - 40, y1 + 24), xlabel, fill="gray", font=font)
    img.save(path)


def table(result: dict) -> str:
    d, lg = result["devices"], result["log"]
    lines = ["devices  push ops/s median (min-max)   server RSS MB"]
    for n in DEVICE_STEPS:
        s = d["push_ops_per_s"][str(n)]
        lines.append(f"{n:>7}  {s['p50']:>10,.0f} ({s['min']:,.0f}-{s['max']:,.0f})      {d['rss_mb'][str(n)]:>8.0f}")
    lines.append(f"(server RSS idle before the steps: {d['rss_idle_mb']:.0f} MB)")
    lines.append("log length   pull p50 ms (p95), 100-change page   1,000-change page")
    for size in lg["sizes"]:
        a = lg["pull_ms"][f"{size}_l100"]
        b = lg["pull_ms"].get(f"{size}_l1000")
        lines.append(f"{size:>10,}   {a['p50']:>8.1f} ({a['p95']:.1f})" + (f"                 {b['p50']:>8.1f} ({b['p95']:.1f})" if b else ""))
    lines.append(f"pull_flat_ratio p50({max(lg['sizes']):,}) / p50(10,000), 1,000-change pages: {lg['pull_flat_ratio']:.2f}")
    return "\n".join(lines)


async def run(quick: bool, pg_url: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="tally-bench-growth-") as tmp:
        dbs = Databases(pg_url, Path(tmp))
        began = time.perf_counter()
        devices = await growth_devices(dbs, 1_000 if quick else 10_000, 2 if quick else 5)
        sizes = (1_000, 10_000, 100_000, 200_000 if quick else 1_000_000)
        log_part = await growth_log(dbs, sizes, 2 if quick else 8, 4 if quick else 15)
        return {"devices": devices, "log": log_part, "seconds": time.perf_counter() - began}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--json", type=Path, default=None, help="write the figures here, and the chart beside it (.png)")
    args = parser.parse_args()
    result = asyncio.run(run(args.quick, args.pg_url))
    print(table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
        chart(result, args.json.with_suffix(".png"))


if __name__ == "__main__":
    main()
