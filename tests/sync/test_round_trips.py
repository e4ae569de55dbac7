"""A push and a pull cost a constant number of database round trips, whatever their size.

On SQLite each round trip is a hand-off to aiosqlite's thread (counted here at the driver); the
design target is a fixed number per request, never one per op (DESIGN: constant round trips per batch).
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite
import msgspec
import pytest

from server.db.tables import SYNC
from server.syncapp.app import TallySync
from server.usecases.devices import authenticate_device
from sync.database import Database
from sync.protocol import PullRequest, PushRequest
from sync.pull import pull
from sync.push import push
from tests.sync.fixtures import a_device, push_body, scan_op

AT = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
_push_request = msgspec.json.Decoder(PushRequest)


@pytest.fixture
async def sqlite_db(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[Database]:
    shutil.copy(sqlite_template, tmp_path / "tally.db")
    db = Database(f"sqlite:///{tmp_path / 'tally.db'}")
    yield db
    await db.dispose()


@pytest.fixture
def hand_offs(monkeypatch: pytest.MonkeyPatch) -> Counter:
    counted: Counter = Counter()
    original = aiosqlite.Connection._execute

    async def counting(self, fn, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        counted["all"] += 1
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counting)
    return counted


def _request(device: str, first: int, n: int) -> PushRequest:
    return _push_request.decode(msgspec.json.encode(push_body(device, [scan_op(first + i, f"46000{i:08d}") for i in range(n)])))


async def test_a_push_costs_four_round_trips_at_any_batch_size(sqlite_db: Database, hand_offs: Counter) -> None:
    device, _token = await a_device(sqlite_db)
    app = TallySync()
    await push(sqlite_db, SYNC, app, device, _request(device, 1, 10), AT)  # warm: pool, statement caches
    per_size = {}
    seq = 11
    for n in (1, 100, 1000):
        hand_offs.clear()
        response = await push(sqlite_db, SYNC, app, device, _request(device, seq, n), AT)
        assert [r.status for r in response.results] == ["applied"] * n
        per_size[n] = hand_offs["all"]
        seq += n
    # BEGIN IMMEDIATE, the device row, the op log + scans + checkpoint, COMMIT.
    assert per_size == {1: 4, 100: 4, 1000: 4}


async def test_a_log_pull_and_a_token_check_cost_a_fixed_number_of_round_trips(sqlite_db: Database, hand_offs: Counter) -> None:
    device, token = await a_device(sqlite_db)
    app = TallySync()
    first = await pull(sqlite_db, SYNC, app, device, PullRequest(1, None, 1000), AT)
    cursor = first.cursor
    while True:  # through the snapshot into the log
        page = await pull(sqlite_db, SYNC, app, device, PullRequest(1, cursor, 1000), AT)
        cursor = page.cursor
        if not page.more:
            break
    hand_offs.clear()
    await pull(sqlite_db, SYNC, app, device, PullRequest(1, cursor, 1000), AT)
    # BEGIN, the device with the log's clock, the page, COMMIT (the status write happens at most every few seconds).
    assert hand_offs["all"] == 4
    hand_offs.clear()
    assert (await authenticate_device(sqlite_db, token)).device_id == device
    assert hand_offs["all"] == 1
