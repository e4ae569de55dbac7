"""Pull cursors follow commit order: a change that commits late is never skipped (principle 4)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from server.db.tables import SYNC
from sync import changelog
from sync.database import Database
from sync.registry import ChangeRow

AT = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def change(entity: str) -> ChangeRow:
    return ChangeRow("catalog", "product", entity, "put", {"name": entity})


async def _pull(db: Database, after: int) -> list[tuple[int, str]]:
    async with db.read() as conn:
        rows = await changelog.read_after(conn, SYNC, ["catalog"], after, 100)
    return [(r[0], r[2]) for r in rows]  # (version, kind, entity_id, op, data)


async def test_a_writer_that_commits_late_is_pulled_after_the_one_that_committed_first(db: Database) -> None:
    """A writes in an open transaction; B writes and commits; a pull runs; A commits; the next pull has A."""
    a_wrote, a_may_commit = asyncio.Event(), asyncio.Event()

    async def writer_a() -> None:
        async with db.write() as conn:
            await conn.execute(SYNC.blobs.insert().values(sha256="a" * 64, content_type="application/json", size=2,
                                                           data=b"{}", created_at=AT))  # fmt: skip
            a_wrote.set()
            await a_may_commit.wait()
            await changelog.record(conn, SYNC, [change("A")], AT)

    task_a = asyncio.create_task(writer_a())
    await a_wrote.wait()
    if db.is_sqlite:
        # One writer at a time: B queues behind A, so B cannot commit first. Let A go once B waits.
        task_b = asyncio.create_task(_write(db, "B"))
        await asyncio.sleep(0.05)
        assert not task_b.done()
        first = await _pull(db, 0)
        assert first == []
        a_may_commit.set()
        await asyncio.gather(task_a, task_b)
        assert await _pull(db, 0) == [(1, "A"), (2, "B")]
        return
    await _write(db, "B")  # PostgreSQL: B commits while A is still open
    first = await _pull(db, 0)
    assert first == [(1, "B")]
    a_may_commit.set()
    await task_a
    assert await _pull(db, first[-1][0]) == [(2, "A")]


async def _write(db: Database, entity: str) -> None:
    async with db.write() as conn:
        await changelog.record(conn, SYNC, [change(entity)], AT)


async def test_a_writer_holding_versions_makes_later_writers_commit_after_it(db: Database) -> None:
    """The adversarial case for plain sequences: A takes its version first, B takes a later one and
    tries to commit first. With a sequence B's version would be visible while A's is not, and a
    pull in between would move the cursor past A for ever. The clock row makes B wait for A."""
    a_recorded, a_may_commit = asyncio.Event(), asyncio.Event()

    async def writer_a() -> None:
        async with db.write() as conn:
            await changelog.record(conn, SYNC, [change("A")], AT)
            a_recorded.set()
            await a_may_commit.wait()

    task_a = asyncio.create_task(writer_a())
    await a_recorded.wait()
    task_b = asyncio.create_task(_write(db, "B"))
    await asyncio.sleep(0.2)
    assert not task_b.done(), "B committed while A held earlier versions open"
    seen = await _pull(db, 0)
    assert seen == []
    a_may_commit.set()
    await asyncio.gather(task_a, task_b)
    assert await _pull(db, 0) == [(1, "A"), (2, "B")]


async def test_a_rolled_back_writer_leaves_no_gap_and_no_phantom(db: Database) -> None:
    try:
        async with db.write() as conn:
            await changelog.record(conn, SYNC, [change("ghost")], AT)
            raise RuntimeError("the use case failed after recording")
    except RuntimeError:
        pass
    await _write(db, "real")
    assert await _pull(db, 0) == [(1, "real")]
