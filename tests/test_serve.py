"""`tally serve` as an operator runs it: worker processes, a graceful stop, behind a reverse proxy, the start-up GC
tuning."""

from __future__ import annotations

import gc
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from server.app import GC_THRESHOLD
from server.usecases.throttle import ENROLLMENT

TALLY = [sys.executable, "-m", "server.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


@contextmanager
def served(tmp_path: Path, *args: str) -> Iterator[tuple[subprocess.Popen, int]]:
    """`tally serve` on a fresh SQLite database and a free port, answering /health."""
    env = os.environ | {"DATABASE_URL": f"sqlite:///{tmp_path / 't.db'}"}
    subprocess.run(TALLY + ["db", "upgrade"], env=env, check=True, capture_output=True, timeout=120)
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(TALLY + ["serve", "--port", str(port), *args], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield proc, port
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()


def test_serve_with_two_workers_answers_and_stops_gracefully_on_sigterm(tmp_path: Path) -> None:
    with served(tmp_path, "--workers", "2") as (proc, _port):
        assert len(children(proc.pid)) >= 2  # two worker processes share the port
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    assert "Finished server process" in (tmp_path / "serve.log").read_text()  # each worker ran its shutdown


def test_enrollment_throttles_the_forwarded_address_only_from_a_trusted_proxy(tmp_path: Path) -> None:
    for trusted, last_answer in (("127.0.0.1", "enrollment_invalid"), ("", "too_many_attempts")):
        (tmp_path / trusted).mkdir(exist_ok=True)
        with served(tmp_path / trusted, "--forwarded-allow-ips", trusted) as (_proc, port):

            def enroll(address: str) -> str:
                answer = httpx.post(f"http://127.0.0.1:{port}/api/devices/enroll", json={"code": "WRONG-CODE1", "name": "TC52"},
                                    headers={"X-Forwarded-For": address}, timeout=10)  # fmt: skip
                return answer.json()["code"]

            assert {enroll("203.0.113.7") for _ in range(ENROLLMENT.failures)} == {"enrollment_invalid"}
            assert enroll("203.0.113.7") == "too_many_attempts"
            # Another device behind the proxy: its own address when the proxy is believed, the proxy's when not.
            assert enroll("198.51.100.2") == last_answer


SERVED_APP = """
import gc
from litestar.testing import TestClient
from server.app import app_from_env
with TestClient(app_from_env()) as client:  # runs the app's start-up as a server would
    assert client.get("/health").status_code == 200
    print(gc.get_threshold(), gc.get_freeze_count() > 0)
"""


def test_served_app_freezes_startup_objects_and_collects_the_young_generation_less_often(tmp_path: Path) -> None:
    # In a process of its own: freezing the collector here would change this test process.
    env = os.environ | {"DATABASE_URL": f"sqlite:///{tmp_path / 't.db'}"}
    subprocess.run(TALLY + ["db", "upgrade"], env=env, check=True, capture_output=True, timeout=120)
    tuned = subprocess.run([sys.executable, "-c", SERVED_APP], env=env, capture_output=True, text=True, timeout=120)
    assert tuned.returncode == 0, tuned.stderr
    assert tuned.stdout.split("\n")[-2] == f"{GC_THRESHOLD} True"
    untouched = subprocess.run([sys.executable, "-c", SERVED_APP], env=env | {"TALLY_GC_TUNING": "0"}, capture_output=True,
                               text=True, timeout=120)  # fmt: skip
    assert untouched.returncode == 0, untouched.stderr
    assert untouched.stdout.split("\n")[-2] == f"{gc.get_threshold()} False"  # Python's defaults, as in this process
