"""The change log: commit-ordered versions, scoped keyset reads, compaction.

Every writer that changes what devices see calls `record()` as the last step of its
transaction. `record()` bumps the single clock row by the number of changes and inserts them
with those versions. On PostgreSQL the UPDATE holds the clock row's lock until commit, so a
transaction that takes versions later also commits later: versions visible to a reader are
always a gap-free prefix, and a pull can never skip a change that commits late. SQLite has one
writer at a time, so the same in-transaction counter is trivially safe there.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime

import msgspec
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from sync import bulk
from sync.registry import ChangeRow
from sync.tables import SyncTables

NOTIFY_CHANNEL = "tally_sync"
_json = msgspec.json.Encoder()


@dataclass(frozen=True, slots=True)
class ClockState:
    version: int
    epoch: str
    purged_through: int


async def ensure_state(conn: AsyncConnection, tables: SyncTables) -> None:
    """Create the clock row if this database has none yet."""
    if (await conn.execute(select(tables.state.c.id))).first() is None:
        await conn.execute(insert(tables.state).values(id=1, version=0, epoch=new_epoch(), purged_through=0))


def new_epoch() -> str:
    """A fresh epoch: every cursor issued under another epoch is answered with a reset."""
    return secrets.token_hex(8)


async def read_state(conn: AsyncConnection, tables: SyncTables) -> ClockState:
    row = (await conn.execute(select(tables.state).where(tables.state.c.id == 1))).one()
    return ClockState(row.version, row.epoch, row.purged_through)


async def record(conn: AsyncConnection, tables: SyncTables, changes: Sequence[ChangeRow], at: datetime) -> int | None:
    """Append changes with the next versions; return the last version (None if nothing changed)."""
    if not changes:
        return None
    bumped = await conn.execute(
        update(tables.state)
        .where(tables.state.c.id == 1)
        .values(version=tables.state.c.version + len(changes))
        .returning(tables.state.c.version)
    )
    last = bumped.scalar_one()
    first = last - len(changes) + 1
    await conn.execute(
        insert(tables.changes),
        [
            {
                "version": first + i,
                "scope": c.scope,
                "kind": c.kind,
                "entity_id": c.entity_id,
                "op": c.op,
                "data": _json.encode(c.data).decode() if c.data is not None else None,
                "at": at,
            }
            for i, c in enumerate(changes)
        ],
    )
    scopes = sorted({c.scope for c in changes})
    conn.info.setdefault("sync_scopes", set()).update(scopes)
    if conn.dialect.name == "postgresql":
        # NOTIFY is transactional: other server processes hear it only if this commits.
        await conn.execute(text("SELECT pg_notify(:channel, :scopes)"), {"channel": NOTIFY_CHANNEL, "scopes": ",".join(scopes)})
    return last


@lru_cache(maxsize=16)
def _after_sql(table: str, n_scopes: int) -> str:
    part = f'SELECT version, kind, entity_id, op, data FROM "{table}" WHERE scope = ? AND version > ? ORDER BY version LIMIT ?'
    if n_scopes == 1:
        return part
    return " UNION ALL ".join(f"SELECT * FROM ({part}) AS p{i}" for i in range(n_scopes)) + " ORDER BY version LIMIT ?"


async def read_after(
    conn: AsyncConnection, tables: SyncTables, scopes: Sequence[str], after: int, limit: int
) -> list[tuple[int, str, str, str, str | None]]:
    """Changes in any of `scopes` with a version above `after`, in version order, at most `limit`,
    as tuples (version, kind, entity_id, op, data as JSON text).

    One keyset range per scope on the (scope, version) index, merged: the cost depends on the
    page size, not on how long the log is. Sent straight to the driver (the hot read of every pull;
    SQLAlchemy's row processing would be most of its cost).
    """
    params: list = []
    for scope in scopes:
        params += [scope, after, limit]
    if len(scopes) > 1:
        params.append(limit)
    return await bulk.fetch(conn, _after_sql(tables.changes.name, len(scopes)), tuple(params))


async def count_after(conn: AsyncConnection, tables: SyncTables, scopes: Sequence[str], after: int) -> int:
    """How many changes wait for a device whose cursor is at `after` (its cursor lag)."""
    c = tables.changes.c
    return (await conn.execute(select(func.count()).where(c.scope.in_(scopes), c.version > after))).scalar_one()


async def compact(conn: AsyncConnection, tables: SyncTables, older_than: datetime) -> int:
    """Purge changes recorded before `older_than`; cursors older than the purge get a reset."""
    c = tables.changes.c
    newest = (await conn.execute(select(func.max(c.version)).where(c.at < older_than))).scalar()
    if newest is None:
        return 0
    purged = (await conn.execute(delete(tables.changes).where(c.version <= newest))).rowcount
    state = await read_state(conn, tables)
    await conn.execute(
        update(tables.state).where(tables.state.c.id == 1).values(purged_through=max(state.purged_through, newest))
    )
    return purged


async def new_epoch_now(conn: AsyncConnection, tables: SyncTables) -> str:
    """Start a new epoch (after a restore): every device reloads a snapshot."""
    epoch = new_epoch()
    await conn.execute(update(tables.state).where(tables.state.c.id == 1).values(epoch=epoch))
    return epoch
