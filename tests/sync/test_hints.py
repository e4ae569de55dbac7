"""Live hints: a committed change wakes the devices whose scope it touches — and only those."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from server.db.tables import SYNC
from sync import changelog
from sync.database import Database
from sync.hints import HintHub, PostgresListener
from sync.registry import ChangeRow

AT = datetime(2026, 11, 27, tzinfo=UTC)


async def _write(db: Database, scope: str) -> None:
    async with db.write() as conn:
        await changelog.record(conn, SYNC, [ChangeRow(scope, "product", "1", "put", {})], AT)


async def test_a_commit_wakes_subscribers_of_its_scope_only(db: Database) -> None:
    hub = HintHub()
    db.after_commit.append(hub.publish)
    picker = hub.subscribe(["catalog", "warehouse:1"])
    courier = hub.subscribe(["courier:7"])
    await _write(db, "warehouse:1")
    assert picker.get_nowait() == "pull"
    assert courier.empty()


async def test_a_rolled_back_write_wakes_nobody(db: Database) -> None:
    hub = HintHub()
    db.after_commit.append(hub.publish)
    queue = hub.subscribe(["catalog"])
    with pytest.raises(RuntimeError):
        async with db.write() as conn:
            await changelog.record(conn, SYNC, [ChangeRow("catalog", "product", "1", "put", {})], AT)
            raise RuntimeError("abort")
    assert queue.empty()


@pytest.mark.postgres_only
async def test_another_server_process_hears_the_change_through_listen_notify(db: Database, database_url: str) -> None:
    other_hub = HintHub()  # the hub of a second server process
    dsn = "postgresql://" + database_url.split("://", 1)[1]
    listener = PostgresListener(dsn, other_hub)
    await listener.start()
    try:
        queue = other_hub.subscribe(["courier:3"])
        await _write(db, "courier:3")
        assert await asyncio.wait_for(queue.get(), timeout=5) == "pull"
    finally:
        await listener.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_the_event_stream_says_pull_when_the_catalog_changes(tmp_path: Path, sqlite_template: Path) -> None:
    """End to end through a real server process and a real HTTP stream. (On SQLite the serving
    process hears its own commits; across processes, PostgreSQL's LISTEN/NOTIFY carries them.)"""
    import shutil

    from server.usecases.tokens import create_token
    from tests.sync.fixtures import a_device

    path = tmp_path / "live.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    db = Database(url)
    _device, token = await a_device(db)
    office, _ = await create_token(db, "office")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(port)],
        env=os.environ | {"DATABASE_URL": url}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            for _ in range(100):
                try:
                    if (await http.get("/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            async with http.stream("GET", "/api/sync/events", headers={"Authorization": f"Bearer {token}"}) as stream:
                events = stream.aiter_lines()
                seen = []
                async for line in events:
                    seen.append(line)
                    if line.startswith("data:"):
                        break  # the hello on connect
                # The office adds a product through the same server process.
                created = await http.post("/api/products", json={"sku": "LIVE-1", "name": "Дюбель", "price": 10, "currency": "RUB"},
                                          headers={"Authorization": f"Bearer {office}"})  # fmt: skip
                assert created.status_code == 201
                async with asyncio.timeout(5):
                    async for line in events:
                        seen.append(line)
                        if line == "event: pull":
                            break
                assert "event: pull" in seen
    finally:
        server.terminate()
        server.wait(timeout=10)
        await db.dispose()
