"""The device simulator (scripts/simulate.py) end to end: a spawned server, real devices, real outboxes.

Each run builds its own SQLite database and server on a free 127.0.0.1 port, so these tests need no
fixtures; they take a few seconds each.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "simulate.py"


def simulate(tmp_path: Path, *args: str, timeout: float = 120) -> tuple[subprocess.CompletedProcess, dict | None]:
    out = tmp_path / "summary.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quiet", "--json", str(out), *args],
        capture_output=True, text=True, timeout=timeout, cwd=SCRIPT.parents[1],
    )  # fmt: skip
    return done, json.loads(out.read_text()) if out.exists() else None


def test_devices_going_offline_lose_and_double_nothing(tmp_path: Path) -> None:
    # JSON devices only: MessagePack pushes fail on the server today (see the test below).
    done, summary = simulate(
        tmp_path, "--spawn", "--devices", "4", "--seconds", "5", "--seed", "7",
        "--ops-per-minute", "240", "--offline-fraction", "0.3", "--msgpack-fraction", "0",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert summary is not None and summary["ok"], summary and summary["failures"]
    v, totals = summary["verification"], summary["totals"]
    assert v["lost"] == 0 and v["doubled"] == 0 and v["undelivered"] == 0
    assert v["pending_left"] == 0 and v["devices_not_bootstrapped"] == 0 and v["devices_with_replica_problems"] == 0
    assert totals["ops_acknowledged"] == totals["ops_recorded"] > 0
    assert totals["rejected"] == 0
    assert {"picker/json", "courier/json"} <= set(summary["groups"])  # both kinds of device took part
    assert summary["latency"]["push"]["n"] > 0 and summary["latency"]["pull"]["n"] > 0
    assert "RESULT: OK" in done.stdout


def test_messagepack_devices_lose_and_double_nothing(tmp_path: Path) -> None:
    done, summary = simulate(
        tmp_path, "--spawn", "--devices", "2", "--seconds", "2", "--seed", "7", "--ops-per-minute", "240",
        "--offline-fraction", "0", "--msgpack-fraction", "1", "--drain-seconds", "2",
    )  # fmt: skip
    assert summary is not None, done.stderr
    v = summary["verification"]
    assert summary["totals"]["ops_acknowledged"] == summary["totals"]["ops_recorded"] > 0
    assert v["lost"] == 0 and v["doubled"] == 0 and v["undelivered"] == 0
    assert done.returncode == 0


def test_only_local_servers_are_targeted(tmp_path: Path) -> None:
    done, summary = simulate(tmp_path, "--devices", "1", "--url", "http://example.com:8000", "--admin-token", "x", timeout=30)
    assert done.returncode == 2 and summary is None
    assert "only 127.0.0.1 and localhost" in done.stderr
