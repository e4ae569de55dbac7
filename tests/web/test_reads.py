"""The supervision read models against the world: stuck and late orders, stale devices, cursor lags."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from server.clock import now
from server.db.tables import SYNC, orders
from server.reads import supervision as reads
from server.reads.devices import list_devices
from server.syncapp.app import TallySync
from server.syncapp.feeds import warehouse_scope
from sync import changelog
from sync.database import Database
from sync.registry import ChangeRow, Device
from tests.web.world import WebWorld

EVERYONE = reads.Visibility(None)


async def test_stage_counts_add_up_to_every_visible_order(db: Database, world: WebWorld) -> None:
    async with db.read() as conn:
        board = await reads.dashboard(conn, TallySync(), EVERYONE, now(), stuck_hours=8)
        total = (await conn.execute(select(func.count()).select_from(orders))).scalar_one()
        only_a = await reads.dashboard(conn, TallySync(), reads.Visibility(frozenset({world.wh_a})), now(), stuck_hours=8)
    assert sum(board.stage_total(s) for s in reads.STAGES) == total
    assert set(only_a.stages) == {world.wh_a}


async def test_an_order_without_progress_for_n_hours_is_stuck(db: Database, world: WebWorld) -> None:
    at = now()
    async with db.write() as conn:
        await conn.execute(update(orders).where(orders.c.id == world.xss_order).values(status="picking", updated_at=at - timedelta(hours=5)))
    async with db.read() as conn:
        four = await reads.dashboard(conn, TallySync(), EVERYONE, at, stuck_hours=4)
        six = await reads.dashboard(conn, TallySync(), EVERYONE, at, stuck_hours=6)
    assert world.xss_order in [o.id for o in four.stuck] or four.stuck_count > len(four.stuck)
    assert world.xss_order not in [o.id for o in six.stuck]
    assert four.stuck_count >= six.stuck_count + 1


async def test_a_delivery_is_late_once_its_window_has_closed(db: Database, world: WebWorld) -> None:
    at = now()
    async with db.write() as conn:
        await conn.execute(update(orders).where(orders.c.id == world.xss_order).values(
            status="out_for_delivery", delivery_date=at.date() - timedelta(days=1)))  # fmt: skip
    async with db.read() as conn:
        board = await reads.dashboard(conn, TallySync(), EVERYONE, at, stuck_hours=8)
        late_ids = (await conn.execute(select(orders.c.id).where(reads._late_clause(at)))).scalars().all()
    assert world.xss_order in late_ids and board.late_count == len(late_ids)
    async with db.write() as conn:
        await conn.execute(update(orders).where(orders.c.id == world.xss_order).values(status="delivered"))
    async with db.read() as conn:
        assert world.xss_order not in (await conn.execute(select(orders.c.id).where(reads._late_clause(at)))).scalars().all()


async def test_a_device_silent_for_an_hour_is_stale(db: Database, world: WebWorld) -> None:
    async with db.read() as conn:
        board = await reads.dashboard(conn, TallySync(), EVERYONE, now(), stuck_hours=8)
    states = {d.name: d.state for d in board.stale_devices}
    assert states == {"TC52-SPB": "stale", "Phone-SPB": "never"}


async def test_cursor_lags_match_the_change_logs_own_count(db: Database, world: WebWorld) -> None:
    async with db.write() as conn:
        await changelog.record(conn, SYNC, [ChangeRow(warehouse_scope(world.wh_a), "pick_list", str(i), "put", {"id": i}) for i in range(7)], now())
        await conn.execute(update(SYNC.devices).where(SYNC.devices.c.id == world.device_b).values(pulled_version=2))
    sync_app = TallySync()
    async with db.read() as conn:
        expected = {d.id: d.cursor_lag for d in await list_devices(conn, sync_app, None)}
        rows = await reads.device_rows(conn, sync_app, EVERYONE, now())
    assert {r.id: r.cursor_lag for r in rows} == expected
    assert next(r for r in rows if r.id == world.device_a).cursor_lag >= 7


async def test_cursor_lags_are_counted_in_batches_for_many_devices(db: Database, world: WebWorld) -> None:
    wanted = {f"d{i}": [("catalog", i % 3), (warehouse_scope(world.wh_a), 0)] for i in range(reads.LAG_BATCH + 5)}
    async with db.read() as conn:
        lags = await reads.cursor_lags(conn, wanted)
        for device in ("d0", "d1", f"d{reads.LAG_BATCH + 4}"):
            (_, first), (_, second) = wanted[device]
            own = await changelog.count_after(conn, SYNC, ["catalog"], first) + await changelog.count_after(conn, SYNC, [warehouse_scope(world.wh_a)], second)
            assert lags[device] == own


async def test_the_device_list_counts_each_devices_lag_like_the_change_log(db: Database, world: WebWorld) -> None:
    # Every device (revoked ones too) against count_after over its own scopes and cursor: the list
    # counts all of them in batched statements, not one query per device.
    async with db.write() as conn:
        await changelog.record(conn, SYNC, [ChangeRow(warehouse_scope(world.wh_b), "pick_list", str(i), "put", {"id": i}) for i in range(5)], now())
        await conn.execute(update(SYNC.devices).where(SYNC.devices.c.id == world.device_b).values(pulled_version=3, revoked_at=now()))
    sync_app = TallySync()
    async with db.read() as conn:
        listed = await list_devices(conn, sync_app, None)
        devices = (await conn.execute(select(SYNC.devices))).all()
        own = {}
        for r in devices:
            scopes = sync_app.scopes(Device(r.id, r.name, r.role, r.scope, r.last_seq))
            own[r.id] = await changelog.count_after(conn, SYNC, scopes, r.pulled_version) if scopes else 0
    assert {d.id: d.cursor_lag for d in listed} == own
    assert own[world.device_b] >= 5 and len(listed) == len(devices)
