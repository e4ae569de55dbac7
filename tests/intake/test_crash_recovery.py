"""The intake queue survives a crash between receipt and processing: a real `tally serve`, really killed.

With TALLY_TEST_CRASH_AFTER_RECEIPT=1 the server process exits (os._exit(137), no cleanup, no
response) right after the payload's own transaction commits and before processing starts. After
that, the payload must be in the queue as `received`, no order may exist, and either the
`tally intake process` command or the shop's own retry must make exactly one order.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from server.db.tables import intake_payloads, orders
from tests.conftest import auth
from tests.intake.world import a_shop_order, an_intake_world

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`tally serve` on a free port of 127.0.0.1, against the test's database."""

    def __init__(self, database_url: str, log: Path, crash: bool) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = os.environ | {"DATABASE_URL": database_url}
        env.pop("TALLY_TEST_CRASH_AFTER_RECEIPT", None)
        if crash:
            env["TALLY_TEST_CRASH_AFTER_RECEIPT"] = "1"
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--port", str(self.port)],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, log.read_text(errors="replace")
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError("the server did not start:\n" + log.read_text(errors="replace"))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.log.close()


async def _state(db) -> tuple[list[tuple[str, str]], list[str]]:  # noqa: ANN001
    async with db.read() as conn:
        payloads = (await conn.execute(select(intake_payloads.c.external_id, intake_payloads.c.status).order_by(intake_payloads.c.id))).all()
        refs = (await conn.execute(select(orders.c.external_ref).order_by(orders.c.id))).scalars().all()
    return [tuple(p) for p in payloads], list(refs)


async def test_a_payload_received_before_a_crash_becomes_exactly_one_order(database_url, db, tokens, tmp_path) -> None:  # noqa: ANN001
    await an_intake_world(db)
    headers = auth(tokens["integration"]) | {"X-Source": "shop"}
    log = tmp_path / "server.log"

    crashing = Server(database_url, log, crash=True)
    with pytest.raises(httpx.TransportError):  # the process dies before it answers
        httpx.post(f"{crashing.url}/api/intake/orders", json=a_shop_order("web-A"), headers=headers, timeout=30)
    assert crashing.process.wait(timeout=20) == 137
    crashing.stop()
    assert await _state(db) == ([("web-A", "received")], [])  # stored and committed; nothing else happened

    # The office's command picks up what a crash left behind.
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "intake", "process"], cwd=ROOT, env=os.environ | {"DATABASE_URL": database_url},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "intake 1: done" in done.stdout and "processed 1 intake(s)" in done.stdout
    assert await _state(db) == ([("web-A", "done")], ["web-A"])

    crashing = Server(database_url, log, crash=True)
    with pytest.raises(httpx.TransportError):
        httpx.post(f"{crashing.url}/api/intake/orders", json=a_shop_order("web-B"), headers=headers, timeout=30)
    assert crashing.process.wait(timeout=20) == 137
    crashing.stop()

    # Restarted: the shop's own retry of the unanswered order processes it; a late duplicate of the
    # first one answers the order it already made.
    server = Server(database_url, log, crash=False)
    try:
        retry_b = httpx.post(f"{server.url}/api/intake/orders", json=a_shop_order("web-B"), headers=headers, timeout=30)
        retry_a = httpx.post(f"{server.url}/api/intake/orders", json=a_shop_order("web-A"), headers=headers, timeout=30)
    finally:
        server.stop()
    assert (retry_b.status_code, retry_b.json()["status"], retry_b.headers["idempotent-replayed"]) == (200, "done", "true")
    assert retry_a.status_code == 200 and retry_a.json()["order_id"] is not None
    assert await _state(db) == ([("web-A", "done"), ("web-B", "done")], ["web-A", "web-B"])
