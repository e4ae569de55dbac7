"""The crash loop's short form (scripts/crash_loop.py): a real server process SIGKILLed during pushes
and pulls, restarted, while real device outboxes keep retrying; nothing acknowledged is lost or doubled.

The long form (50 cycles and more) is run by hand; docs/reliability.md has its figures.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "crash_loop.py"


def crash_loop(tmp_path: Path, backend: str, cycles: int) -> tuple[subprocess.CompletedProcess, dict | None]:
    out = tmp_path / "crash.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quiet", "--backend", backend, "--cycles", str(cycles), "--devices", "3", "--json", str(out)],
        capture_output=True, text=True, timeout=600, cwd=SCRIPT.parents[1],
    )  # fmt: skip
    return done, json.loads(out.read_text()) if out.exists() else None


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_server_killed_mid_push_and_pull_loses_and_doubles_nothing(tmp_path: Path, backend: str) -> None:
    if backend == "postgres" and not os.environ.get("TALLY_TEST_POSTGRES_URL"):
        if os.environ.get("TALLY_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL is required but TALLY_TEST_POSTGRES_URL is not set")
        pytest.skip("no PostgreSQL here (TALLY_TEST_POSTGRES_URL unset)")
    done, summary = crash_loop(tmp_path, backend, cycles=4)
    assert done.returncode == 0, done.stdout + done.stderr
    assert summary is not None and summary["ok"]
    (r,) = summary["results"]
    assert r["cycles"] == 4 and r["server_starts"] == 5  # every cycle killed and restarted the server
    assert r["kills"].get("push in flight", 0) + r["kills"].get("pull in flight", 0) >= 2
    assert r["ops_acknowledged"] == r["ops_recorded"] > 0
    assert r["lost"] == 0 and r["doubled"] == 0 and r["undelivered"] == 0
    assert r["outbox_left"] == 0 and r["rejected"] == 0 and r["server_seq_behind"] == 0
    assert r["server_tracebacks"] == {}
    assert "RESULT: OK" in done.stdout
