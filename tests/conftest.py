"""Fixtures: a real SQLite file per test, and a real PostgreSQL database per run when one is given.

`TALLY_TEST_POSTGRES_URL` (e.g. postgresql://127.0.0.1:5432/test) names a server and a database
to connect to for creating this run's own database. With `TALLY_REQUIRE_POSTGRES=1` (CI) a
server that does not answer fails the run instead of skipping the PostgreSQL half.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from server.app import attach_database, create_app
from server.db.migrate import upgrade
from server.settings import Settings
from server.usecases.tokens import create_token
from sync.database import Database
from tests.builders import postgres_reset_sql

PG_ENV = "TALLY_TEST_POSTGRES_URL"


def _pg_admin_url() -> str | None:
    return os.environ.get(PG_ENV) or None


async def _pg_execute(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"), timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """This run's own PostgreSQL database, migrated to head; dropped at the end."""
    admin = _pg_admin_url()
    if admin is None:
        if os.environ.get("TALLY_REQUIRE_POSTGRES") == "1":
            pytest.exit(f"PostgreSQL is required but {PG_ENV} is not set", returncode=1)
        yield None
        return
    name = f"tally_test_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(_pg_execute(admin, f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001
        if os.environ.get("TALLY_REQUIRE_POSTGRES") == "1":
            pytest.exit(f"PostgreSQL is required but did not answer: {error}", returncode=1)
        yield None
        return
    url = admin.rsplit("/", 1)[0] + "/" + name
    upgrade(url)
    yield url
    asyncio.run(_pg_execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "tally.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> str:
    """The URL of an empty, migrated database: each test runs once per backend."""
    if request.param == "sqlite":
        path = tmp_path / "tally.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite+aiosqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    if url is None:
        pytest.skip(f"PostgreSQL not configured ({PG_ENV})")
    asyncio.run(_pg_execute(url, "; ".join(postgres_reset_sql())))
    return "postgresql+asyncpg://" + url.split("://", 1)[1]


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
def settings(database_url: str, request: pytest.FixtureRequest) -> Settings:
    """The server's settings, with the changes a test asks for by `parametrize("settings", [{...}], indirect=True)`."""
    return Settings(database_url=database_url, max_body_bytes=256 * 1024, **getattr(request, "param", {}))


@pytest.fixture
async def client(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client calling the app in the test's own event loop (asyncpg connections are
    bound to the loop that opened them, so the app must not run on a portal thread)."""
    app = create_app(settings, database=db)
    # The lifespan's anyio task group cannot span pytest-asyncio's separate setup and teardown
    # tasks, so the database is attached directly (hints then stay within this process).
    attach_database(app, db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
async def tokens(db: Database) -> dict[str, str]:
    """One live token per role."""
    return {role: (await create_token(db, role, f"test-{role}"))[0] for role in ("admin", "office", "integration", "supervisor")}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def count_rows(db: Database, *tables: str) -> dict[str, int]:
    """Row counts, to prove a refused request wrote nothing."""
    async with db.read() as conn:
        return {t: (await conn.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one() for t in tables}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A PostgreSQL-only test has no SQLite half: drop that variant instead of skipping it."""
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_sqlite = callspec is not None and callspec.params.get("database_url") == "sqlite"
        (drop if on_sqlite and item.get_closest_marker("postgres_only") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
