"""Backup and restore drill: ops pushed after the backup survive a restore because devices send them
again; every op ends on the server exactly once, and every device reloads (a new epoch)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from sqlalchemy import func, select

from server.app import attach_database, create_app
from server.backup import backup, restore
from server.db.tables import SYNC, scans
from server.settings import Settings
from server.usecases.catalog import create_location, create_warehouse
from sync import changelog
from sync.client import HttpTransport, SyncClient
from sync.database import Database
from tests.sync.fixtures import a_device


@asynccontextmanager
async def serving(url: str) -> AsyncIterator[tuple[Database, httpx.AsyncClient]]:
    """One life of the server process: its own engine and app on the database at `url`."""
    db = Database(url)
    app = create_app(Settings(database_url=url), database=db)
    attach_database(app, db)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
            yield db, http
    finally:
        await db.dispose()


def scan(device: SyncClient, n: int) -> None:
    for _ in range(n):
        device.record("RecordScan", {"code": "4600000000017", "context": "pick"})


async def server_holds(db: Database, device_id: str) -> tuple[list[tuple[int, str]], int, int]:
    """The device's op log (seq, op id), its number of scan rows, and its last seq on the server."""
    log = SYNC.op_log.c
    async with db.read() as conn:
        ops = [tuple(r) for r in await conn.execute(select(log.seq, log.op_id).where(log.device_id == device_id).order_by(log.seq))]
        n_scans = (await conn.execute(select(func.count()).select_from(scans).where(scans.c.device_id == device_id))).scalar_one()
        last = (await conn.execute(select(SYNC.devices.c.last_seq).where(SYNC.devices.c.id == device_id))).scalar_one()
    return ops, n_scans, last


def journal(device: SyncClient) -> list[tuple[int, str]]:
    """Every op the device ever recorded, sent or not: (seq, op id)."""
    rows = device.db.execute("SELECT seq, op_id FROM sent UNION SELECT seq, op_id FROM outbox ORDER BY seq").fetchall()
    return [tuple(r) for r in rows]


async def test_after_a_restore_devices_reload_and_resend_so_every_op_is_stored_once(database_url: str, tmp_path: Path) -> None:
    backup_file = tmp_path / "tally.backup"
    async with serving(database_url) as (db, http):
        warehouse = await create_warehouse(db, "W-RESTORE", "Склад")
        await create_location(db, warehouse, "A-01", "LA01R", "A", 10)
        (idle_id, idle_token), (busy_id, busy_token) = [await a_device(db, "picker", {"warehouse_id": warehouse}, n) for n in ("idle", "busy")]
        idle = SyncClient(tmp_path / "idle.db", idle_id, HttpTransport(http, idle_token))
        busy = SyncClient(tmp_path / "busy.db", busy_id, HttpTransport(http, busy_token))
        scan(idle, 3), scan(busy, 2)
        await idle.sync(), await busy.sync()
        old_epoch = await _epoch(db)

        await asyncio.to_thread(backup, database_url, backup_file)  # while the server serves

        scan(idle, 4), scan(busy, 2)
        await idle.sync(), await busy.sync()  # acknowledged: they leave both outboxes
        scan(busy, 1)  # still pending when the server goes down
        assert idle.pending_count() == 0 and busy.pending_count() == 1
        assert (await server_holds(db, idle_id))[2] == 7 and (await server_holds(db, busy_id))[2] == 4

    new_epoch = await asyncio.to_thread(restore, database_url, backup_file)  # the server is stopped
    assert new_epoch != old_epoch

    async with serving(database_url) as (db, http):
        assert await _epoch(db) == new_epoch
        ops, _, last = await server_holds(db, idle_id)
        assert last == 3 and [seq for seq, _ in ops] == [1, 2, 3]  # the backup's moment
        idle.transport, busy.transport = HttpTransport(http, idle_token), HttpTransport(http, busy_token)

        # The idle device has nothing to push; its pull is answered `reset` with the restored
        # checkpoint (3), below what it had acknowledged (7): its ops 4-7 go back to the outbox.
        answer = await idle.pull_once()
        assert answer.reset and answer.last_seq == 3
        assert [seq for seq, *_ in idle.pending()] == [4, 5, 6, 7]
        # The busy device pushes seq 5, the server expects 3: `seq_gap`; it resends 3-5.
        await busy.sync()
        await idle.sync()

        for device, device_id, n in ((idle, idle_id, 7), (busy, busy_id, 5)):
            ops, n_scans, last = await server_holds(db, device_id)
            assert ops == journal(device) and len(ops) == n  # every op once, under its original op id
            assert n_scans == n and last == n  # and its effect once
            assert device.pending_count() == 0 and device.rejected() == []
            assert {kind for kind, _ in device.replica()} >= {"location"}  # reloaded after the reset
        # Later work carries on from there.
        scan(idle, 1)
        await idle.sync()
        assert (await server_holds(db, idle_id))[2] == 8
    idle.close(), busy.close()


async def _epoch(db: Database) -> str:
    async with db.read() as conn:
        return (await changelog.read_state(conn, SYNC)).epoch


def tally(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "server.cli", *args], env=os.environ | {"DATABASE_URL": url},
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_the_commands_back_up_a_sqlite_file_and_refuse_a_damaged_backup(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tally.db'}"
    assert tally(url, "db", "upgrade").returncode == 0
    done = tally(url, "backup", str(tmp_path / "copy.db"))
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(tmp_path / "copy.db") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT count(*) FROM sync_state").fetchone()[0] == 1
    assert not (tmp_path / "copy.db-wal").exists()  # one self-contained file
    restored = tally(url, "restore", str(tmp_path / "copy.db"))
    assert restored.returncode == 0 and "new sync epoch" in restored.stdout, restored.stderr

    damaged = tmp_path / "damaged.db"
    data = bytearray((tmp_path / "copy.db").read_bytes())
    data[4096 * 2 : 4096 * 2 + 512] = b"\xff" * 512  # garble a page inside a table
    damaged.write_bytes(bytes(data))
    refused = tally(url, "restore", str(damaged))
    assert refused.returncode != 0 and "restore failed" in refused.stderr
    with sqlite3.connect(tmp_path / "tally.db") as live:  # left as it was
        assert live.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
