"""Bulk inserts for the hot path, straight to the driver.

SQLAlchemy Core spends most of a 500-row executemany converting each value through its type's
bind processor (a datetime becomes text on SQLite, per row and column). For the op log and the
raw scan log — plain text, integers and UTC datetimes — this module hands the driver ready values
instead. Anything with JSON or other processed types goes through Core as usual.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection

# SQLAlchemy's own SQLite DATETIME storage format, so rows read back exactly as Core writes them.
_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime(_SQLITE_DATETIME)
    if isinstance(value, bool):
        return int(value)
    return value


async def insert_rows(conn: AsyncConnection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """INSERT many rows of plain values (text, integers, booleans, aware UTC datetimes)."""
    if not rows:
        return
    names = ", ".join(f'"{c}"' for c in columns)
    if conn.dialect.name == "sqlite":
        marks = ", ".join("?" for _ in columns)
        values = [tuple(_sqlite_value(v) for v in row) for row in rows]
    else:
        marks = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
        values = [tuple(row) for row in rows]
    await conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', values)
