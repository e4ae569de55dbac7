"""Benchmark label rendering: labels per second per output format (median, min, max over runs).

Usage: python scripts/bench_labels.py [--quick] [--runs N] [--only FORMAT…] [--json FILE] [--profile FORMAT]

Each run builds the 100×150 mm shipping label from a fresh record (unique SSCC and parcel id, so no
cache helps) and renders it, so the figure is template + encode + render, what a print request costs.
Beside labels per second (wall clock) it reports CPU microseconds per label (process time, median):
on a shared machine the wall figure drops when other work runs, the CPU figure much less.
Targets on the 2-core reference machine: SVG ≥ 200 labels/s, ZPL ≥ 5,000 labels/s.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labels.gs1 import build_sscc  # noqa: E402
from labels.label_data import Money, ParcelLabelData, Party  # noqa: E402
from labels.label_pdf import render_labels_pdf  # noqa: E402
from labels.label_png import render_label_png  # noqa: E402
from labels.label_svg import render_label_svg  # noqa: E402
from labels.label_zpl import render_label_zpl  # noqa: E402
from labels.templates import parcel_label_100x150  # noqa: E402

TARGETS = {"svg": 200.0, "zpl": 5000.0}


def a_parcel(i: int) -> ParcelLabelData:
    return ParcelLabelData(
        sscc=build_sscc(0, "4607012345", f"{i % 1_000_000:06d}"),
        parcel_id=f"PCL-2026-{i:08d}",
        sender=Party("ООО «Тэлли Склад»", "Москва, ул. Складская, д. 1, стр. 2", "+7 495 000-00-00"),
        recipient=Party(f"Иванова Мария Петровна {i}", "Санкт-Петербург, Невский пр., д. 28, кв. 14", "+7 921 123-45-67"),
        window_from=dt.datetime(2026, 3, 12, 10),
        window_to=dt.datetime(2026, 3, 12, 14),
        parcel_number=1 + i % 3,
        parcel_count=3,
        weight_g=1250 + i,
        order_number=f"ORD-2026-{i:06d}",
        route="R-12",
        stop=1 + i % 40,
        cod=Money(123450 + i, "RUB"),
        company_prefix_length=10,
    )


def _one_by_one(render: Callable) -> Callable[[list[ParcelLabelData]], None]:
    def run(parcels: list[ParcelLabelData]) -> None:
        for parcel in parcels:
            render(parcel_label_100x150(parcel))

    return run


def _pdf_sheet(parcels: list[ParcelLabelData]) -> None:
    render_labels_pdf([parcel_label_100x150(p) for p in parcels])


FORMATS: dict[str, tuple[Callable[[list[ParcelLabelData]], None], int]] = {
    # format: (runner, labels per run at full size)
    "svg": (_one_by_one(render_label_svg), 1000),
    "png203": (_one_by_one(lambda label: render_label_png(label, 203)), 100),
    "zpl": (_one_by_one(render_label_zpl), 5000),
    "pdf": (_pdf_sheet, 200),  # one A4 document of N labels
}


def measure(name: str, runs: int, scale: float, offset: int) -> tuple[list[float], list[float]]:
    """Return labels per second (wall clock) and CPU microseconds per label, one of each per run."""
    runner, count = FORMATS[name]
    count = max(10, int(count * scale))
    rates, cpu_us = [], []
    for r in range(runs):
        parcels = [a_parcel(offset + r * count + i) for i in range(count)]
        start, cpu_start = time.perf_counter(), time.process_time()
        runner(parcels)
        cpu_us.append((time.process_time() - cpu_start) / count * 1e6)
        rates.append(count / (time.perf_counter() - start))
    return rates, cpu_us


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 short runs per format (for CI smoke)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--only", nargs="+", choices=sorted(FORMATS), help="measure only these formats")
    parser.add_argument("--json", type=Path, help="write the figures to this JSON file")
    parser.add_argument("--profile", choices=sorted(FORMATS), help="print a cProfile of one format and exit")
    args = parser.parse_args(argv)
    runs, scale = (3, 0.2) if args.quick else (args.runs, 1.0)

    measure("svg", 1, 0.05, 0)  # warm-up: font tables, encoders, caches
    if args.profile:
        cProfile.runctx("measure(args.profile, 1, scale, 0)", globals(), {"args": args, "scale": scale}, "/tmp/bench_labels.prof")
        pstats.Stats("/tmp/bench_labels.prof").sort_stats("tottime").print_stats(20)
        return 0

    results = {}
    print(f"{'format':<8} {'median/s':>10} {'min/s':>10} {'max/s':>10} {'cpu µs/label':>13}  target")
    for i, name in enumerate(FORMATS):
        if args.only and name not in args.only:
            continue
        rates, cpu_us = measure(name, runs, scale, 1_000_000 * (i + 1))
        median, cpu = statistics.median(rates), statistics.median(cpu_us)
        results[name] = {"median": median, "min": min(rates), "max": max(rates), "cpu_us_per_label": cpu, "runs": runs}
        target = TARGETS.get(name)
        verdict = "" if target is None else (f"≥ {target:,.0f} ok" if median >= target else f"≥ {target:,.0f} MISSED")
        print(f"{name:<8} {median:>10,.0f} {min(rates):>10,.0f} {max(rates):>10,.0f} {cpu:>13,.1f}  {verdict}")

    if args.json:
        figures = {f"labels_{name}_per_s": round(r["median"], 1) for name, r in results.items()}
        figures["detail"] = results
        figures["quick"] = args.quick
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    missed = [n for n, t in TARGETS.items() if n in results and results[n]["median"] < t]
    return 1 if missed and not args.quick else 0


if __name__ == "__main__":
    sys.exit(main())
