"""One database handle: the engine, its pragmas, and the write-transaction discipline.

SQLite allows one writer at a time. Rather than letting concurrent writers spin in SQLite's
busy handler, write transactions in this process queue on an asyncio lock and then take the
write lock up front (`BEGIN IMMEDIATE`), so a read-then-write transaction can never fail with
"database is locked" halfway. PostgreSQL needs neither: writers run concurrently and take row
locks where a use case needs them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.util import await_only as await_

from sync.bulk import in_driver_thread

SQLITE_BUSY_TIMEOUT_MS = 10_000


def normalize_url(url: str) -> str:
    """Map plain `sqlite:///` and `postgresql://` URLs onto their async drivers."""
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    return url


def _install_sqlite_pragmas(engine: AsyncEngine, synchronous: str) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:  # noqa: ANN001
        # Take transaction control away from the driver so BEGIN is ours to issue.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # First, so that nothing below fails with "database is locked" while another
        # connection (another process) holds the write lock.
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # WAL is kept in the file: switch only when it is not WAL yet (switching takes a lock).
        cursor.execute("PRAGMA journal_mode")
        if cursor.fetchone()[0].lower() != "wal":
            cursor.execute("PRAGMA journal_mode=WAL")
        # FULL fsyncs the WAL at every commit: an acknowledged commit survives a process
        # crash and a power cut. At batch sizes of hundreds of rows it costs about NORMAL.
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(conn) -> None:  # noqa: ANN001
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        # Straight to the driver: one hand-off to aiosqlite's thread instead of the adapter's
        # three (cursor, execute, close); see sync/bulk.py.
        sql = f"BEGIN {mode}"
        await_(in_driver_thread(conn.connection.driver_connection, lambda raw: raw.execute(sql).close(), sql))


class Database:
    """An async engine plus `write()` and `read()` transactions with the right locking."""

    def __init__(self, url: str, *, sqlite_synchronous: str = "FULL", echo: bool = False) -> None:
        self.url = normalize_url(url)
        self.dialect = make_url(self.url).get_backend_name()
        kwargs: dict = {"echo": echo}
        if self.dialect == "postgresql":
            kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=False)
        else:
            # Every transaction here ends in an explicit COMMIT or ROLLBACK (write()/read(), or
            # Connection.close() rolling back an open one), so the pool's extra rollback on
            # return would only cost a hand-off to aiosqlite's thread per transaction.
            kwargs.update(pool_reset_on_return=None)
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        # Called after a write transaction commits with the change-log scopes it touched.
        self.after_commit: list[Callable[[set[str]], None]] = []
        if self.is_sqlite:
            _install_sqlite_pragmas(self.engine, sqlite_synchronous)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """One write transaction: committed on normal exit, rolled back on an exception."""
        if self._write_lock is None:
            async with self.engine.begin() as conn:
                conn.info.pop("sync_scopes", None)
                yield conn
                scopes = conn.info.pop("sync_scopes", None)
        else:
            async with self._write_lock:
                async with self.engine.connect() as conn:
                    conn = await conn.execution_options(sqlite_begin="IMMEDIATE")
                    conn.info.pop("sync_scopes", None)
                    async with conn.begin():
                        yield conn
                    scopes = conn.info.pop("sync_scopes", None)
        if scopes:
            for hook in self.after_commit:
                hook(scopes)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read-only transaction (on PostgreSQL, READ COMMITTED: each statement sees the latest commits)."""
        async with self.engine.connect() as conn:
            async with conn.begin():
                yield conn

    async def dispose(self) -> None:
        await self.engine.dispose()
