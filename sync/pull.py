"""Scoped pull (DESIGN principles 4-6): a snapshot of the device's scope first, then the change log.

A pull answers `reset` when the cursor is unknown, from another epoch, older than the compacted
log, or issued for another set of scopes; the device then drops its replica and reloads the
snapshot (keeping its outbox). The snapshot is keyset-paged over the current state and remembers
the log version it started from; once complete, the device continues in the log from there, so
a change made while the snapshot was paging is applied again rather than missed.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import lru_cache
from weakref import WeakKeyDictionary

import msgspec

from sync import bulk, changelog, cursor
from sync.database import Database
from sync.errors import UpgradeRequired
from sync.protocol import SUPPORTED_PROTOCOLS, Change, PullRequest, PullResponse
from sync.registry import Device, SnapshotPage, SyncApplication
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
            page = await _snapshot_page(db, conn, tables, app, device, scopes, state, current.position, request.limit)
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


class SnapshotPages:
    """Snapshot pages shared by the devices that see the same scopes.

    At shift start a whole fleet pulls its first snapshot at once, and every handheld of a
    warehouse reads the same catalog and bins; reading and shaping them once instead of two hundred
    times is what keeps that minute's pushes waiting milliseconds, not seconds. A page depends only
    on the device's role, its scopes and the state those scopes' changes describe (the contract of
    `SyncApplication.snapshot`), so it is reused for as long as no change has been recorded in any
    of those scopes since it was read: same newest version in them, same epoch, same compaction
    mark. It is read after that mark is taken, so a page is never older than its mark; a newer one
    is harmless, as the device replays the log from its snapshot's base version anyway. Devices
    asking for a page that another request is reading wait for that read instead of repeating it.
    """

    def __init__(self, max_changes: int = 50_000) -> None:
        self.max_changes = max_changes  # bounds memory: pages are dropped, least recently used first
        self._pages: OrderedDict[tuple, tuple[tuple, SnapshotPage]] = OrderedDict()
        self._held = 0
        self._reading: dict[tuple, asyncio.Future] = {}  # (key, mark) -> the page another request is reading
        self.hits = self.misses = 0

    async def page(self, key: tuple, mark: tuple, read: Callable[[], Awaitable[SnapshotPage]]) -> SnapshotPage:
        """The page for `key` as of `mark`: shared, awaited from another request's read, or `read()`."""
        found = self._pages.get(key)
        if found is not None and found[0] == mark:
            self._pages.move_to_end(key)
            self.hits += 1
            return found[1]
        reading = self._reading.get((key, mark))
        if reading is not None:
            try:
                page = await asyncio.shield(reading)
                self.hits += 1
                return page
            except asyncio.CancelledError:
                if not reading.cancelled():
                    raise  # this request itself was cancelled
            except Exception:  # noqa: BLE001, S110 — that read failed: this request reads for itself
                pass
        self.misses += 1
        future = self._reading[(key, mark)] = asyncio.get_running_loop().create_future()
        future.add_done_callback(lambda f: f.cancelled() or f.exception())  # waited for or not, never "unretrieved"
        try:
            page = await read()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as error:
            future.set_exception(error)
            raise
        finally:
            if self._reading.get((key, mark)) is future:
                del self._reading[(key, mark)]
        future.set_result(page)
        self.put(key, mark, page)
        return page

    def put(self, key: tuple, mark: tuple, page: SnapshotPage) -> None:
        if len(page.changes) > self.max_changes:
            return
        old = self._pages.pop(key, None)
        if old is not None:
            self._held -= len(old[1].changes)
        self._pages[key] = (mark, page)
        self._held += len(page.changes)
        while self._held > self.max_changes:
            _key, (_mark, dropped) = self._pages.popitem(last=False)
            self._held -= len(dropped.changes)


_snapshot_pages: WeakKeyDictionary[Database, SnapshotPages] = WeakKeyDictionary()


def snapshot_pages(db: Database) -> SnapshotPages:
    """The page cache of one database handle (tests open many databases in one process)."""
    pages = _snapshot_pages.get(db)
    if pages is None:
        pages = _snapshot_pages[db] = SnapshotPages()
    return pages


@lru_cache(maxsize=16)
def _newest_sql(table: str, n_scopes: int) -> str:
    # One index probe per scope on (scope, version), in one statement.
    return "SELECT " + ", ".join(f'(SELECT max(version) FROM "{table}" WHERE scope = ?)' for _ in range(n_scopes))


async def _snapshot_page(
    db: Database, conn, tables: SyncTables, app: SyncApplication, device: Device, scopes: list[str],  # noqa: ANN001
    state: changelog.ClockState, position: str | None, limit: int,
) -> SnapshotPage:
    """One snapshot page, from the shared pages while the device's scopes have not changed."""
    (newest,) = await bulk.fetch(conn, _newest_sql(tables.changes.name, len(scopes)), tuple(scopes))
    mark = (state.epoch, state.purged_through, max((v for v in newest if v is not None), default=0))
    key = (device.role, tuple(sorted(scopes)), position, limit)
    return await snapshot_pages(db).page(key, mark, lambda: app.snapshot(conn, device, position, limit))


# Pull bookkeeping is a write, and SQLite has one writer: note a device's pulls at most this often.
STATUS_EVERY_S = 5.0
_last_noted: dict[str, float] = {}


class PullNotes:
    """Pull bookkeeping written in groups: the pulls that arrive while one note waits for the
    write lock are written with it, in one statement, and all of them wait for that commit.

    When a fleet starts (two hundred first pulls in a second) this is a few writes instead of two
    hundred queued for SQLite's one writer ahead of the fleet's pushes."""

    COLUMNS = ("last_pull_at", "last_seen_at", "pulled_version", "pending", "app_version")

    def __init__(self) -> None:
        self._waiting: dict[str, tuple] = {}  # device id -> values in COLUMNS order
        self._next: asyncio.Task | None = None  # the write that will take what is waiting

    async def note(self, db: Database, tables: SyncTables, device_id: str, values: tuple) -> None:
        self._waiting[device_id] = values
        if self._next is None:
            self._next = asyncio.get_running_loop().create_task(self._write(db, tables))
            # Its waiters see a failure; should all of them have gone, it is still not "never retrieved".
            self._next.add_done_callback(lambda t: t.cancelled() or t.exception())
        # Shielded: a pull whose client went away must not cancel the others' write.
        await asyncio.shield(self._next)

    async def _write(self, db: Database, tables: SyncTables) -> None:
        try:
            async with db.write() as conn:
                notes, self._waiting, self._next = self._waiting, {}, None  # later notes start the next write
                # In key order, so that two processes' writes never wait on each other's rows.
                rows = [(*notes[device_id], device_id) for device_id in sorted(notes)]
                await bulk.run(conn, [bulk.update_many(conn.dialect.name, tables.devices, "id", self.COLUMNS, rows,
                                                       keep_if_none=("pending", "app_version"))])  # fmt: skip
        finally:
            if self._next is asyncio.current_task():  # it failed before taking the notes: the next note retries
                self._next = None


_pull_notes: WeakKeyDictionary[Database, PullNotes] = WeakKeyDictionary()


async def _record_pull(db: Database, tables: SyncTables, device_id: str, request: PullRequest, version: int, at: datetime) -> None:
    """Keep the device's status for supervisors: last pull, where it is in the log, what it holds.

    At most every few seconds per device (a polling device would otherwise queue a write behind
    every push); the status a supervisor sees is at most that much behind."""
    clock = time.monotonic()
    if clock - _last_noted.get(device_id, -STATUS_EVERY_S) < STATUS_EVERY_S:
        return
    _last_noted[device_id] = clock
    notes = _pull_notes.get(db)
    if notes is None:
        notes = _pull_notes[db] = PullNotes()
    await notes.note(db, tables, device_id, (at, at, version, request.pending, request.app_version or None))
