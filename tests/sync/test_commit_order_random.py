"""The change log's versions follow commit order under random interleaving (DESIGN principle 4).

Several writers, each with its own `Database` (its own engine and connection pool, as separate
server processes would have), commit transactions that each `record()` a random number of
changes, sleeping at random inside the open transaction both before and after `record()` so that
commits interleave every possible way; a few transactions roll back after `record()`. Meanwhile
a puller keeps reading `read_after(cursor)` and moving its cursor to the last version it saw,
exactly as a device's pull does.

The puller must see every committed change exactly once, in strictly increasing version order,
never a rolled-back one; every page must continue its cursor without a hole (what a reader can
see is always a gap-free prefix of the log); and the versions must end up as exactly
1..N for the N committed changes, matching the stored log. A plain sequence or a timestamp
instead of the commit-ordered clock fails this on PostgreSQL: a transaction that took a lower
version but commits later lands behind a cursor that already moved past it.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from server.db.tables import SYNC
from sync import changelog
from sync.database import Database
from sync.registry import ChangeRow

SCOPE = "rnd"


class _RollBack(Exception):
    """Raised inside a write transaction to roll it back on purpose."""


@dataclass
class _Run:
    total: int  # changes to commit in all
    remaining: int
    committed: dict[str, int] = field(default_factory=dict)  # entity id -> writer
    rolled_back: set[str] = field(default_factory=set)
    transactions: int = 0
    done: asyncio.Event = field(default_factory=asyncio.Event)


async def _sleep(rng: random.Random, chance: float, most: float) -> None:
    """Sometimes a short random sleep, otherwise just a yield to the other tasks."""
    await asyncio.sleep(rng.uniform(0, most) if rng.random() < chance else 0)


async def _writer(url: str, writer: int, run: _Run, rng: random.Random, rollback_rate: float) -> None:
    db = Database(url)
    n = 0
    try:
        while run.remaining > 0:
            take = min(rng.randint(1, 50), run.remaining)
            run.remaining -= take  # reserved before any await, so the total is exact
            ids = [f"w{writer}-{n + i}" for i in range(take)]
            n += take
            rows = [ChangeRow(SCOPE, "rnd", entity, "put", {"w": writer}) for entity in ids]
            roll_back = rng.random() < rollback_rate
            try:
                async with db.write() as conn:
                    await _sleep(rng, 0.5, 0.004)
                    await changelog.record(conn, SYNC, rows, datetime.now(UTC))
                    await _sleep(rng, 0.3, 0.002)
                    if roll_back:
                        raise _RollBack
            except _RollBack:
                run.rolled_back.update(ids)
                run.remaining += take  # a rolled-back batch does not count towards the total
                continue
            run.transactions += 1
            for entity in ids:
                run.committed[entity] = writer
    finally:
        await db.dispose()


@dataclass
class _Seen:
    versions: list[int] = field(default_factory=list)
    entities: list[str] = field(default_factory=list)
    holes: list[tuple[int, int]] = field(default_factory=list)  # (cursor, first version of the page)
    pages: int = 0


async def _puller(url: str, run: _Run, page: int) -> _Seen:
    db = Database(url)
    seen = _Seen()
    cursor = 0
    try:
        while True:
            finished = run.done.is_set()  # read before the query: a later empty page is final
            async with db.read() as conn:
                rows = await changelog.read_after(conn, SYNC, [SCOPE], cursor, page)
            if rows:
                seen.pages += 1
                if rows[0][0] != cursor + 1 or [r[0] for r in rows] != list(range(cursor + 1, cursor + 1 + len(rows))):
                    seen.holes.append((cursor, rows[0][0]))
                seen.versions += [r[0] for r in rows]
                seen.entities += [r[2] for r in rows]
                cursor = rows[-1][0]
            elif finished:
                return seen
            else:
                await asyncio.sleep(0.001)
    finally:
        await db.dispose()


async def _race(url: str, *, writers: int, total: int, page: int, seed: int, rollback_rate: float) -> None:
    rng = random.Random(seed)
    run = _Run(total, total)
    puller = asyncio.create_task(_puller(url, run, page))
    try:
        await asyncio.gather(
            *(_writer(url, w, run, random.Random(rng.random()), rollback_rate) for w in range(writers))
        )
    finally:
        run.done.set()
    seen = await puller

    assert len(run.committed) == total and run.remaining == 0
    duplicates = len(seen.entities) - len(set(seen.entities))
    skipped = set(run.committed) - set(seen.entities)
    phantom = set(seen.entities) - set(run.committed)
    assert duplicates == 0, f"the puller saw {duplicates} changes twice"
    assert not skipped, f"the puller skipped {len(skipped)} committed changes, e.g. {sorted(skipped)[:5]}"
    assert not phantom, f"the puller saw {len(phantom)} changes that never committed, e.g. {sorted(phantom)[:5]}"
    assert all(a < b for a, b in zip(seen.versions, seen.versions[1:], strict=False)), "versions went backwards"
    assert not seen.holes, f"{len(seen.holes)} pages did not continue their cursor (cursor, first version): {seen.holes[:5]}"
    assert seen.versions == list(range(1, total + 1)), "versions are not the gap-free range 1..N"

    db = Database(url)
    try:
        async with db.read() as conn:
            c = SYNC.changes.c
            query = select(c.version, c.entity_id).where(c.scope == SCOPE).order_by(c.version)
            stored = [(r.version, r.entity_id) for r in await conn.execute(query)]
            state = await changelog.read_state(conn, SYNC)
    finally:
        await db.dispose()
    assert stored == list(zip(seen.versions, seen.entities, strict=True)), "the puller's view differs from the stored log"
    assert state.version == total, "the clock does not equal the number of committed changes"
    # The interleaving really happened: every writer committed, and the puller read many pages.
    assert {w for w in run.committed.values()} == set(range(writers))
    assert seen.pages > 1


@pytest.mark.postgres_only
async def test_random_interleaved_commits_are_pulled_exactly_once_in_order_on_postgres(database_url: str) -> None:
    """Eight writers, 100,000 changes, a few deliberate rollbacks (runs in the PostgreSQL half only)."""
    await _race(database_url, writers=8, total=100_000, page=1000, seed=20240601, rollback_rate=0.02)


@pytest.mark.parametrize("seed", [1, 2])
async def test_random_interleaved_commits_are_pulled_exactly_once_in_order(database_url: str, seed: int) -> None:
    """Four writers, 5,000 changes, on SQLite and on PostgreSQL."""
    await _race(database_url, writers=4, total=5_000, page=97, seed=seed, rollback_rate=0.03)
