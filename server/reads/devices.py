"""Read model for device sync status (supervisors)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.db.tables import SYNC, couriers
from server.wire.devices import DeviceStatus
from sync import changelog
from sync.registry import Device


async def list_devices(conn: AsyncConnection, sync_app, warehouse_id: int | None) -> list[DeviceStatus]:  # noqa: ANN001
    """Devices newest first with last activity and cursor lag (changes waiting in their scope)."""
    rows = (await conn.execute(select(SYNC.devices).order_by(SYNC.devices.c.created_at.desc()))).all()
    courier_wh = {r.id: r.warehouse_id for r in await conn.execute(select(couriers.c.id, couriers.c.warehouse_id))}
    result = []
    for r in rows:
        wh = r.scope.get("warehouse_id") or courier_wh.get(r.scope.get("courier_id"))
        if warehouse_id is not None and wh != warehouse_id:
            continue
        scopes = sync_app.scopes(Device(r.id, r.name, r.role, r.scope, r.last_seq))
        lag = await changelog.count_after(conn, SYNC, scopes, r.pulled_version) if scopes else 0
        result.append(
            DeviceStatus(
                r.id, r.name, r.role, r.scope, r.created_at, r.revoked_at, r.last_seen_at, r.last_push_at,
                r.last_pull_at, r.last_seq, r.pending, lag, r.app_version, r.last_error, r.clock_skew_ms,
            )  # fmt: skip
        )
    return result
