"""The benchmark driver's bookkeeping: the issue's headline keys, the ratios, the peer's settings (no timing here)."""

from __future__ import annotations

import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))

import bench  # noqa: E402
from bench_kinto import _set  # noqa: E402

ISSUE_KEYS = """push_ops_per_s_sqlite push_raw_ratio_sqlite push_vs_kinto_memory push_ops_per_s_postgres push_vs_kinto_postgres
kinto_postgres_acked_lost tally_postgres_acked_lost pull_flat_ratio bootstrap_20k_s bootstrap_20k_bytes_json
bootstrap_20k_bytes_msgpack devices_200_p50_ms devices_200_p99_ms devices_200_errors server_rss_mb labels_svg_per_s
labels_zpl_per_s""".split()


def a_run() -> dict:
    """Section details shaped as the benchmark scripts return them, with round numbers."""
    sync = {}
    for backend, rate in (("sqlite", 10_000.0), ("postgres", 5_000.0)):
        for suffix, factor in (("", 1.0), ("_min", 0.5), ("_max", 2.0)):
            sync[f"push_ops_per_s_{backend}_b500_d1{suffix}"] = rate * factor
            sync[f"push_raw_ratio_{backend}_b500_d1{suffix}"] = 2.0 * factor
    sync |= {"bootstrap_20k_s": 1.5, "bootstrap_20k_s_json_gzip_min": 1.0, "bootstrap_20k_s_json_gzip_max": 2.0,
             "bootstrap_20k_bytes_json": 4_000_000, "bootstrap_20k_bytes_msgpack": 3_000_000}  # fmt: skip
    load = {"push_p50_ms": 40.0, "pull_p50_ms": 30.0, "push_p99_ms": 150.0, "pull_p99_ms": 200.0, "errors": 1, "rss_peak_mb": 220.0}
    return {
        "sync": sync,
        "kinto": {"memory_b25": {"median": 100.0}, "memory_b500": {"median": 250.0}, "postgres_b25": {"median": 25.0}},
        "lost": {"tally": {"lost": 0}, "kinto": {"lost": 7}},
        "growth": {"log": {"sizes": [10_000, 1_000_000], "pull_flat_ratio": 1.1,
                           "pull_ms": {"10000_l1000": {"p50": 10.0}, "1000000_l1000": {"p50": 11.0}}}},  # fmt: skip
        "load": {"sqlite": load, "postgres": load | {"errors": 2}},
        "labels": {"svg": {"median": 300.0, "min": 200.0, "max": 400.0}, "zpl": {"median": 3000.0, "min": 2000.0, "max": 4000.0}},
    }


def test_the_json_holds_exactly_the_keys_the_issue_lists() -> None:
    assert list(bench.HEADLINE_KEYS) == ISSUE_KEYS
    assert sorted(bench.headline(a_run())) == sorted(ISSUE_KEYS)


def test_kinto_ratios_divide_by_kintos_better_batch_size_and_errors_add_up_over_both_databases() -> None:
    h = bench.headline(a_run())
    assert h["push_vs_kinto_memory"]["value"] == 10_000 / 250  # /batch 500 was Kinto's better figure
    assert h["push_vs_kinto_postgres"]["value"] == 5_000 / 25
    assert h["devices_200_p99_ms"]["value"] == 200.0  # the worse endpoint
    assert h["devices_200_errors"]["value"] == 3
    assert (h["kinto_postgres_acked_lost"]["value"], h["tally_postgres_acked_lost"]["value"]) == (7, 0)
    assert (h["push_ops_per_s_sqlite"]["min"], h["push_ops_per_s_sqlite"]["max"]) == (5_000, 20_000)


def test_a_missing_section_leaves_its_keys_out_instead_of_inventing_them() -> None:
    run = a_run()
    del run["kinto"], run["load"]
    h = bench.headline(run)
    assert "push_vs_kinto_memory" not in h and "devices_200_p99_ms" not in h
    assert "push_ops_per_s_sqlite" in h


def test_kinto_settings_replace_a_commented_default_or_are_added() -> None:
    ini = "[app:main]\nuse = egg:kinto\n# kinto.batch_max_requests = 25\n"
    assert "kinto.batch_max_requests = 500\n" in _set(ini, "kinto.batch_max_requests", "500")
    assert "# kinto.batch_max_requests" not in _set(ini, "kinto.batch_max_requests", "500")
    added = _set(ini, "kinto.storage_url", "postgresql://127.0.0.1/k")
    assert added.startswith("[app:main]\nkinto.storage_url = postgresql://127.0.0.1/k\n")
