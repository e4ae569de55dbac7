"""Read model for device sync status (supervisors)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.db.tables import SYNC, couriers
from server.reads.supervision import cursor_lags
from server.wire.devices import DeviceStatus
from sync.registry import Device


async def list_devices(conn: AsyncConnection, sync_app, warehouse_id: int | None) -> list[DeviceStatus]:  # noqa: ANN001
    """Devices newest first with last activity and cursor lag (changes waiting in their scope)."""
    rows = (await conn.execute(select(SYNC.devices).order_by(SYNC.devices.c.created_at.desc()))).all()
    courier_wh = {r.id: r.warehouse_id for r in await conn.execute(select(couriers.c.id, couriers.c.warehouse_id))}
    picked = [
        r for r in rows
        if warehouse_id is None or (r.scope.get("warehouse_id") or courier_wh.get(r.scope.get("courier_id"))) == warehouse_id
    ]  # fmt: skip
    # Every lag in batched statements that count each distinct (scope, cursor) once, instead of one
    # count per device; a scope listed twice is counted once, as `scope IN (...)` did.
    wanted = {
        r.id: [(scope, r.pulled_version) for scope in dict.fromkeys(sync_app.scopes(Device(r.id, r.name, r.role, r.scope, r.last_seq)))]
        for r in picked
    }
    lags = await cursor_lags(conn, wanted)
    return [
        DeviceStatus(
            r.id, r.name, r.role, r.scope, r.created_at, r.revoked_at, r.last_seen_at, r.last_push_at,
            r.last_pull_at, r.last_seq, r.pending, lags[r.id], r.app_version, r.last_error, r.clock_skew_ms,
        )  # fmt: skip
        for r in picked
    ]
