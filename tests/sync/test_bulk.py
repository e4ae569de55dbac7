"""Driver-level bulk inserts read back exactly as SQLAlchemy Core's own inserts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, String, Table, insert, select, text

from sync import bulk
from sync.database import Database
from sync.types import UtcDateTime

probe_md = MetaData()
probe = Table(
    "bulk_probe",
    probe_md,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True)),
    Column("flag", Boolean),
    Column("note", String(20)),
    Column("utc", UtcDateTime),
)
COLUMNS = ("id", "at", "flag", "note", "utc")


@pytest.fixture
async def db(db: Database) -> AsyncIterator[Database]:
    """The test database with the probe table, dropped afterwards (PostgreSQL's database is shared by the run)."""
    async with db.write() as conn:
        await conn.run_sync(probe_md.create_all)
    yield db
    async with db.write() as conn:
        await conn.run_sync(probe_md.drop_all)


async def test_bulk_rows_equal_core_rows_for_datetimes_booleans_and_nulls(db: Database) -> None:
    values = [
        (datetime(2026, 11, 27, 10, 0, 0, 0, tzinfo=UTC), True, "whole second", datetime(2026, 1, 2, tzinfo=UTC)),
        (datetime(2026, 11, 27, 10, 5, 6, 123456, tzinfo=UTC), False, "microseconds", datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)),
        (None, None, None, None),
    ]
    async with db.write() as conn:
        await bulk.run(conn, [bulk.insert(conn.dialect.name, probe, COLUMNS, [(i, *v) for i, v in enumerate(values)])])
        await conn.execute(insert(probe), [dict(zip(COLUMNS, (100 + i, *v), strict=True)) for i, v in enumerate(values)])
    async with db.read() as conn:
        rows = {r.id: r[1:] for r in await conn.execute(select(probe).order_by(probe.c.id))}
    for i in range(len(values)):
        assert rows[i] == rows[100 + i], (i, rows[i], rows[100 + i])
    assert rows[0][1] is True and rows[1][1] is False
    assert rows[1][3] == datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    async with db.read() as conn:  # stored as Core stores it, so text comparisons and indexes agree
        stored = {r[0]: r[1:] for r in await conn.execute(text("SELECT id, CAST(at AS TEXT), CAST(utc AS TEXT) FROM bulk_probe"))}
    for i in range(len(values)):  # a whole second too: Core writes its ".000000"
        assert stored[i] == stored[100 + i], (i, stored[i], stored[100 + i])


async def test_bulk_stores_an_aware_datetime_of_another_zone_as_its_utc_instant(db: Database) -> None:
    moscow = timezone(timedelta(hours=3))
    async with db.write() as conn:
        rows = [(1, datetime(2026, 11, 27, 13, 5, 6, 7, tzinfo=moscow), None, None, None)]
        await bulk.run(conn, [bulk.insert(conn.dialect.name, probe, COLUMNS, rows)])
    async with db.read() as conn:
        at = (await conn.execute(select(probe.c.at))).scalar_one()
    assert at.replace(tzinfo=at.tzinfo or UTC) == datetime(2026, 11, 27, 10, 5, 6, 7, tzinfo=UTC)
