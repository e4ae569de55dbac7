"""Bulk writes for the hot path, straight to the driver, in as few hand-offs as possible.

SQLAlchemy Core spends most of a 500-row executemany converting each value through its type's
bind processor (a datetime becomes text on SQLite, per row and column). For the op log and the
raw scan log — plain text, integers and UTC datetimes — this module hands the driver ready values
instead, converting only the columns whose type needs it. Anything with JSON or other processed
types goes through Core as usual.

On SQLite every aiosqlite call is a hand-off to the connection's thread and back (≈0.2 ms on an
idle loop, more on a busy one: the thread waits for the GIL), and SQLAlchemy's adapter spends
three or four of them a statement (cursor, execute, fetch, close). `run` sends a list of
statements as ONE hand-off. On PostgreSQL asyncpg is natively async: one round trip a statement.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import msgspec
from sqlalchemy import Boolean, DateTime, Table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import TypeDecorator

# One statement: SQL in the driver's parameter style, and its rows of parameters.
Statement = tuple[str, list[tuple]]


_times_out = msgspec.json.Encoder()
_times_in = msgspec.json.Decoder(list[str | None])


def _sqlite_datetimes(values: list[datetime | None]) -> list[str | None]:
    """Datetimes as SQLAlchemy's own SQLite DATETIME text ("YYYY-MM-DD HH:MM:SS.ffffff", UTC), so rows
    read back exactly as Core writes them.

    A column at a time, formatted by msgspec in C: RFC 3339 text whose "T" and "Z" are then dropped
    from the whole list at once. Per value in Python, `isoformat` of an aware datetime cost a 500-op
    push more than its inserts' binding."""
    utc = [v if v is None or v.tzinfo is UTC else v.astimezone(UTC) for v in values]
    texts = _times_in.decode(_times_out.encode(utc).replace(b"T", b" ").replace(b"Z", b""))
    # msgspec leaves out a fraction of zero microseconds; SQLAlchemy writes ".000000".
    return [t if t is None or len(t) == 26 else t + ".000000" for t in texts]


@lru_cache(maxsize=64)
def _sqlite_converter(table: Table, columns: tuple[str, ...]) -> Callable[[Sequence[Sequence[Any]]], list[tuple]] | None:
    """A function turning rows into the driver's rows for SQLite, or None when no column needs it.

    Written out once per table and columns (like namedtuple does): datetime columns are converted
    a column at a time, booleans inline, the rest passed through. A generic loop over the columns of
    each row cost a push about as much as the inserts' binding."""
    env: dict[str, Any] = {"times": _sqlite_datetimes}
    prepare, values, datetime_columns = [], [], []  # statements before the rows, each row's values
    for i, name in enumerate(columns):
        kind = table.c[name].type
        if isinstance(kind, TypeDecorator):  # e.g. UtcDateTime: convert as its underlying type
            kind = kind.impl_instance
        if isinstance(kind, DateTime):
            prepare.append(f"t{i} = times([r[{i}] for r in rows])")
            values.append(f"v{i}")
            datetime_columns.append(i)
        elif isinstance(kind, Boolean):
            values.append(f"(None if r[{i}] is None else int(r[{i}]))")
        else:
            values.append(f"r[{i}]")
    if all(v.startswith("r[") for v in values):
        return None
    each, lists = ", ".join(f"v{i}" for i in datetime_columns), ", ".join(f"t{i}" for i in datetime_columns)
    loop = f"for r, {each} in zip(rows, {lists})" if datetime_columns else "for r in rows"
    source = "\n".join([
        "def convert(rows):",
        *(f"    {line}" for line in prepare),
        f"    return [({', '.join(values)},) {loop}]",
    ])  # fmt: skip
    exec(source, env)  # noqa: S102 — our own column list
    return env["convert"]


def _driver_rows(dialect: str, table: Table, columns: tuple[str, ...], rows: Sequence[Sequence[Any]]) -> list[tuple]:
    convert = _sqlite_converter(table, columns) if dialect == "sqlite" else None
    if convert is None:
        return [tuple(row) for row in rows]
    return convert(rows)


def _marks(dialect: str, n: int, start: int = 1) -> list[str]:
    return ["?"] * n if dialect == "sqlite" else [f"${i}" for i in range(start, start + n)]


def insert(dialect: str, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Statement:
    """INSERT many rows of plain values (text, integers, booleans, aware UTC datetimes)."""
    columns = tuple(columns)
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join(_marks(dialect, len(columns)))
    return f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', _driver_rows(dialect, table, columns, rows)


def update(dialect: str, table: Table, key: tuple[str, Any], values: Mapping[str, Any], *, keep_if_none: Sequence[str] = ()) -> Statement:
    """UPDATE one row by key; a column in `keep_if_none` keeps its value when the new one is None."""
    return update_many(dialect, table, key[0], tuple(values), [(*values.values(), key[1])], keep_if_none=keep_if_none)


def update_many(dialect: str, table: Table, key: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], *,
                keep_if_none: Sequence[str] = ()) -> Statement:  # fmt: skip
    """UPDATE rows by key, each row its `columns` values then its key; a column in `keep_if_none`
    keeps its value where the new one is None."""
    columns = tuple(columns)
    marks = _marks(dialect, len(columns) + 1)
    sets = ", ".join(
        f'"{c}" = COALESCE({m}, "{c}")' if c in keep_if_none else f'"{c}" = {m}' for c, m in zip(columns, marks, strict=False)
    )
    sql = f'UPDATE "{table.name}" SET {sets} WHERE "{key}" = {marks[-1]}'
    return sql, _driver_rows(dialect, table, (*columns, key), rows)


async def run(conn: AsyncConnection, statements: Sequence[Statement]) -> None:
    """Run statements in order inside the connection's transaction (one hand-off on SQLite)."""
    statements = [s for s in statements if s[1]]
    if not statements:
        return
    if conn.dialect.name != "sqlite":
        for sql, rows in statements:
            await conn.exec_driver_sql(sql, rows)
        return

    def execute_all(raw) -> None:  # noqa: ANN001 — runs in aiosqlite's thread, on the sqlite3 connection
        for sql, rows in statements:
            raw.executemany(sql, rows).close()

    await _in_thread(conn, execute_all, statements[0][0])


@lru_cache(maxsize=256)
def driver_sql(dialect: str, sql: str) -> str:
    """SQL written with `?` marks, in the driver's parameter style (`$1`, `$2`… for asyncpg)."""
    if dialect == "sqlite":
        return sql
    parts = sql.split("?")
    return parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], start=1))


async def fetch(conn: AsyncConnection, sql: str, params: tuple) -> list[tuple]:
    """Rows of one query written with `?` marks (one hand-off on SQLite), values as the driver
    returns them: no type processing (JSON and datetimes come back as the driver gives them)."""
    sql = driver_sql(conn.dialect.name, sql)
    if conn.dialect.name != "sqlite":
        return [tuple(row) for row in await conn.exec_driver_sql(sql, params)]
    return await _in_thread(conn, lambda raw: _fetch_all(raw, sql, params), sql)


async def _in_thread(conn: AsyncConnection, work: Callable[[sqlite3.Connection], Any], sql: str) -> Any:
    return await in_driver_thread((await conn.get_raw_connection()).driver_connection, work, sql)


async def in_driver_thread(driver: Any, work: Callable[[sqlite3.Connection], Any], sql: str) -> Any:
    """Run `work` on the sqlite3 connection in the aiosqlite connection `driver`'s thread: one
    hand-off. Driver errors come back as SQLAlchemy's (IntegrityError, OperationalError…), as if Core
    had run `sql`, so busy and locked stay retryable."""
    try:
        # aiosqlite has no public call for "run this function in the connection's thread";
        # `_execute` is what its own methods use (aiosqlite is pinned; a test counts the hand-offs).
        return await driver._execute(work, driver._conn)
    except sqlite3.Error as error:
        raise DBAPIError.instance(sql, None, error, sqlite3.Error) from error


def json_value(value: Any) -> Any:
    """A JSON column's value as `fetch` returned it (text from either driver) decoded."""
    return msgspec.json.decode(value) if isinstance(value, str | bytes) else value


def _fetch_all(raw, sql: str, params: tuple) -> list[tuple]:  # noqa: ANN001 — in aiosqlite's thread
    cursor = raw.execute(sql, params)
    try:
        return cursor.fetchall()
    finally:
        cursor.close()
