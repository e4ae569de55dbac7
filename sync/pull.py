"""Scoped pull (DESIGN principles 4-6): a snapshot of the device's scope first, then the change log.

A pull answers `reset` when the cursor is unknown, from another epoch, older than the compacted
log, or issued for another set of scopes; the device then drops its replica and reloads the
snapshot (keeping its outbox). The snapshot is keyset-paged over the current state and remembers
the log version it started from; once complete, the device continues in the log from there, so
a change made while the snapshot was paging is applied again rather than missed.
"""

from __future__ import annotations

import time
from datetime import datetime

import msgspec
from sqlalchemy import update

from sync import bulk, changelog, cursor
from sync.database import Database
from sync.errors import UpgradeRequired
from sync.protocol import SUPPORTED_PROTOCOLS, Change, PullRequest, PullResponse
from sync.registry import Device, SyncApplication
from sync.tables import SyncTables

_decode_data = msgspec.json.Decoder(dict)


def _dedupe(rows: list, raw_data: bool) -> list[Change]:
    """Within one page keep only the last change of each entity (every change is a whole state).

    With `raw_data` the stored JSON goes out as it is (a JSON answer embeds it without decoding and
    encoding every entity again)."""
    last: dict[tuple[str, str], int] = {(kind, entity): i for i, (_v, kind, entity, _op, _d) in enumerate(rows)}
    decode = (lambda text: msgspec.Raw(text.encode())) if raw_data else _decode_data.decode
    return [
        Change(kind, entity, op, decode(data) if data is not None else None)
        for i, (_v, kind, entity, op, data) in enumerate(rows)
        if last[(kind, entity)] == i
    ]


_DEVICE_SQL = 'SELECT name, role, scope, last_seq FROM "{devices}" WHERE id = ?'
_DEVICE_AND_CLOCK_SQL = (
    'SELECT d.name, d.role, d.scope, d.last_seq, s.version, s.epoch, s.purged_through FROM "{devices}" d, "{state}" s '
    "WHERE d.id = ? AND s.id = 1"
)


async def load_device(conn, tables: SyncTables, device_id: str) -> Device:  # noqa: ANN001
    ((name, role, scope, last_seq),) = await bulk.fetch(conn, _DEVICE_SQL.format(devices=tables.devices.name), (device_id,))
    return Device(device_id, name, role, bulk.json_value(scope), last_seq)


async def _device_and_clock(conn, tables: SyncTables, device_id: str) -> tuple[Device, changelog.ClockState]:  # noqa: ANN001
    """The device and the log's clock in one query (one hand-off to aiosqlite's thread)."""
    sql = _DEVICE_AND_CLOCK_SQL.format(devices=tables.devices.name, state=tables.state.name)
    ((name, role, scope, last_seq, version, epoch, purged),) = await bulk.fetch(conn, sql, (device_id,))
    return Device(device_id, name, role, bulk.json_value(scope), last_seq), changelog.ClockState(version, epoch, purged)


async def pull(
    db: Database,
    tables: SyncTables,
    app: SyncApplication,
    device_id: str,
    request: PullRequest,
    at: datetime,
    *,
    raw_data: bool = False,
) -> PullResponse:
    """One page of what changed in the device's scope since its cursor.

    `raw_data`: log changes carry their stored JSON as `msgspec.Raw` (for a JSON answer only)."""
    if request.protocol not in SUPPORTED_PROTOCOLS:
        raise UpgradeRequired(f"protocol {request.protocol} is not supported", supported=sorted(SUPPORTED_PROTOCOLS))
    async with db.read() as conn:
        device, state = await _device_and_clock(conn, tables, device_id)
        scopes = app.scopes(device)
        digest = cursor.scopes_digest(scopes)
        current = cursor.decode(request.cursor) if request.cursor else None
        reset = (
            current is None
            or current.epoch != state.epoch
            or current.scopes != digest
            or (isinstance(current, cursor.LogCursor) and current.version < state.purged_through)
        )
        if reset:
            current = cursor.SnapshotCursor(state.epoch, digest, state.version, None)

        if isinstance(current, cursor.SnapshotCursor):
            page = await app.snapshot(conn, device, current.position, request.limit)
            if page.next_position is not None:
                following: cursor.Cursor = cursor.SnapshotCursor(state.epoch, digest, current.base, page.next_position)
                more = True
            else:
                following = cursor.LogCursor(state.epoch, digest, current.base)
                # Done with the snapshot: more only if the log moved on while it was paging.
                more = bool(await changelog.read_after(conn, tables, scopes, current.base, 1))
            response = PullResponse(page.changes, cursor.encode(following), more, reset, device.last_seq)
            pulled_version = current.base
        else:
            rows = await changelog.read_after(conn, tables, scopes, current.version, request.limit + 1)
            more = len(rows) > request.limit
            rows = rows[: request.limit]
            version = rows[-1][0] if rows else current.version
            following = cursor.LogCursor(state.epoch, digest, version)
            response = PullResponse(_dedupe(rows, raw_data), cursor.encode(following), more, False, device.last_seq)
            pulled_version = version
    await _record_pull(db, tables, device_id, request, pulled_version, at)
    return response


# Pull bookkeeping is a write, and SQLite has one writer: note a device's pulls at most this often.
STATUS_EVERY_S = 5.0
_last_noted: dict[str, float] = {}


async def _record_pull(db: Database, tables: SyncTables, device_id: str, request: PullRequest, version: int, at: datetime) -> None:
    """Keep the device's status for supervisors: last pull, where it is in the log, what it holds.

    At most every few seconds per device (a polling device would otherwise queue a write behind
    every push); the status a supervisor sees is at most that much behind."""
    clock = time.monotonic()
    if clock - _last_noted.get(device_id, -STATUS_EVERY_S) < STATUS_EVERY_S:
        return
    _last_noted[device_id] = clock
    d = tables.devices.c
    values = {"last_pull_at": at, "last_seen_at": at, "pulled_version": version}
    if request.pending is not None:
        values["pending"] = request.pending
    if request.app_version:
        values["app_version"] = request.app_version
    async with db.write() as conn:
        await conn.execute(update(tables.devices).where(d.id == device_id).values(**values))
