"""Fixtures for the supervisor pages: the demo-like world, and clients signed in as its people.

Building the world (the demo company, devices, routes, four accounts with Argon2 hashes) takes
seconds, so it is built once per backend and per run, and every test gets its own copy: a file
copy on SQLite, a restore from a snapshot on PostgreSQL. `database_url` is overridden here
for that; every test still runs once per backend.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Integer, insert, select, text, update

from server.app import attach_database, create_app
from server.clock import now
from server.db.tables import SYNC, metadata
from server.settings import Settings
from sync.database import Database
from tests.conftest import PG_ENV, _pg_execute
from tests.web.world import PASSWORDS, WebWorld, a_web_world, sign_in


async def _build(url: str) -> WebWorld:
    db = Database(url)
    try:
        return await a_web_world(db, url)
    finally:
        await db.dispose()


@pytest.fixture(scope="session")
def sqlite_world(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> tuple[Path, WebWorld]:
    path = tmp_path_factory.mktemp("web-world") / "world.db"
    shutil.copy(sqlite_template, path)
    return path, asyncio.run(_build(f"sqlite+aiosqlite:///{path}"))


async def _snapshot(url: str) -> dict[str, list[dict]]:
    db = Database(url)
    try:
        async with db.read() as conn:
            return {t.name: [dict(r._mapping) for r in await conn.execute(select(t))] for t in metadata.sorted_tables}
    finally:
        await db.dispose()


async def _restore(url: str, snapshot: dict[str, list[dict]]) -> None:
    """Put the world back: empty every table, insert the snapshot, move the id sequences past it."""
    db = Database(url)
    try:
        async with db.write() as conn:
            names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            for table in metadata.sorted_tables:
                if snapshot[table.name]:
                    await conn.execute(insert(table), snapshot[table.name])
            for table in metadata.sorted_tables:
                if "id" in table.c and isinstance(table.c.id.type, Integer) and snapshot[table.name]:
                    await conn.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), (SELECT max(id) FROM \"{table.name}\"))"
                    ))  # fmt: skip
    finally:
        await db.dispose()


@pytest.fixture(scope="session")
def postgres_world(postgres_url: str | None) -> tuple[str, WebWorld, dict] | None:
    """The world built once in this run's PostgreSQL database, and a snapshot of every table to restore it from.

    (A database per test from a template would be simpler, but CREATE and DROP DATABASE each
    force a checkpoint: seconds apiece on a busy machine. Restoring a few thousand rows is not.)
    """
    if postgres_url is None:
        return None
    url = "postgresql+asyncpg://" + postgres_url.split("://", 1)[1]
    asyncio.run(_restore(url, {t.name: [] for t in metadata.sorted_tables}))
    asyncio.run(_pg_execute(postgres_url, "INSERT INTO sync_state (id, version, epoch, purged_through) VALUES (1, 0, 'web', 0)"))
    world = asyncio.run(_build(url))
    return url, world, asyncio.run(_snapshot(url))


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A private copy of the world's database, per test and backend."""
    if request.param == "sqlite":
        source, _ = request.getfixturevalue("sqlite_world")
        path = tmp_path / "tally.db"
        shutil.copy(source, path)
        return f"sqlite+aiosqlite:///{path}"
    built = request.getfixturevalue("postgres_world")
    if built is None:
        pytest.skip(f"PostgreSQL not configured ({PG_ENV})")
    url, _, snapshot = built
    asyncio.run(_restore(url, snapshot))
    return url


@pytest.fixture
async def world(request: pytest.FixtureRequest, db: Database, database_url: str) -> WebWorld:
    """The world in this test's database; A's devices have just synced (the copy may be minutes old)."""
    built = request.getfixturevalue("sqlite_world" if db.is_sqlite else "postgres_world")[1]
    at = now() - timedelta(minutes=2)
    async with db.write() as conn:
        await conn.execute(
            update(SYNC.devices)
            .where(SYNC.devices.c.id.in_([built.device_a, built.courier_device_a]))
            .values(last_seen_at=at, last_push_at=at, last_pull_at=at)
        )
    return built


@pytest.fixture
async def browser_for(settings: Settings, db: Database) -> AsyncIterator[Callable]:
    """`await browser_for("supervisor")`: a client with its own cookie jar, signed in as that user."""
    clients: list[httpx.AsyncClient] = []

    async def open_as(username: str | None, password: str | None = None, *, base_url: str = "http://testserver") -> httpx.AsyncClient:
        app = create_app(settings, database=db)
        attach_database(app, db)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)
        clients.append(client)
        if username is not None:
            response = await sign_in(client, username, password or PASSWORDS[username])
            assert response.status_code == 303, response.text
        return client

    yield open_as
    for client in clients:
        await client.aclose()
