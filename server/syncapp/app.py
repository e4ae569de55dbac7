"""Tally's side of the sync engine: op types, device scopes, and the bootstrap snapshot."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.db.tables import locations, orders, pick_lists, products, routes, sscc_blocks
from server.syncapp import checking, feeds, loading, packing, picking
from server.syncapp import delivery
from server.syncapp.scans import record_scan
from server.syncapp.workspace import TallyWorkspace
from server.settings import Settings
from server.usecases.devices import WAREHOUSE_ROLES, DeviceRole
from sync.protocol import Change
from sync.registry import Device, OpType, SnapshotPage


class _Position(msgspec.Struct, array_like=True, frozen=True):
    part: int  # index into the device's snapshot parts
    after: int  # last id sent in that part


_position = msgspec.json.Decoder(_Position)


class TallySync:
    """Implements `sync.registry.SyncApplication` for the central order record."""

    def __init__(self, settings: Settings | None = None) -> None:
        # The server's settings (SSCC numbering for the packing top-up); the environment's when not given.
        self.settings = settings or Settings.from_env()
        self.ops: dict[str, OpType[Any]] = {op.name: op for op in (record_scan, *picking.OPS, *checking.OPS, *packing.OPS, *loading.OPS, *delivery.OPS)}

    def scopes(self, device: Device) -> list[str]:
        if device.role in WAREHOUSE_ROLES:
            return [feeds.CATALOG, feeds.warehouse_scope(device.scope["warehouse_id"]), *packing.device_scopes(device)]
        if device.role == DeviceRole.COURIER:
            return [feeds.courier_scope(device.scope["courier_id"])]
        return []

    def workspace(self, conn: AsyncConnection, device: Device, at: datetime) -> TallyWorkspace:
        return TallyWorkspace(conn, device, at, self.settings)

    def _parts(self, device: Device) -> list[str]:
        if device.role in WAREHOUSE_ROLES:
            return ["product", "location", "pick_list", "check_task", "pack_order", "load_route", *(["sscc_block"] if packing.device_scopes(device) else [])]
        if device.role == DeviceRole.COURIER:
            return ["route"]
        return []

    async def snapshot(self, conn: AsyncConnection, device: Device, position: str | None, limit: int) -> SnapshotPage:
        """Keyset pages over each part of the device's scope in turn."""
        parts = self._parts(device)
        pos = _position.decode(position) if position else _Position(0, 0)
        changes: list[Change] = []
        part, after = pos.part, pos.after
        while part < len(parts) and len(changes) < limit:
            room = limit - len(changes)
            docs = await self._page(conn, device, parts[part], after, room)
            changes += [Change(parts[part], str(doc["id"]), "put", doc) for doc in docs]
            if len(docs) < room:  # this part is exhausted: continue with the next one
                part, after = part + 1, 0
            else:
                after = docs[-1]["id"]
        done = part >= len(parts)
        return SnapshotPage(changes, None if done else msgspec.json.encode(_Position(part, after)).decode())

    async def _page(self, conn: AsyncConnection, device: Device, kind: str, after: int, limit: int) -> list[dict]:
        if kind == "product":
            query = select(*feeds.PRODUCT_COLUMNS).where(products.c.id > after).order_by(products.c.id).limit(limit)
            rows = (await conn.execute(query)).all()
            return await feeds.product_docs(conn, rows)
        if kind == "location":
            rows = await conn.execute(
                select(locations)
                .where(locations.c.warehouse_id == device.scope["warehouse_id"], locations.c.id > after)
                .order_by(locations.c.id)
                .limit(limit)
            )
            return [feeds.location_doc(r) for r in rows]
        if kind == "pick_list":
            rows = (
                await conn.execute(
                    select(pick_lists)
                    .where(pick_lists.c.warehouse_id == device.scope["warehouse_id"], pick_lists.c.status == "open",
                           pick_lists.c.id > after)  # fmt: skip
                    .order_by(pick_lists.c.id)
                    .limit(limit)
                )
            ).all()
            return await feeds.pick_list_docs(conn, rows)
        if kind == "check_task":
            ids = (
                await conn.execute(
                    select(orders.c.id)
                    .where(orders.c.warehouse_id == device.scope["warehouse_id"], orders.c.status == "picked", orders.c.id > after)
                    .order_by(orders.c.id)
                    .limit(limit)
                )
            ).scalars().all()
            return [change.data for change in await feeds.check_task_changes(conn, ids)]
        if kind == "route":
            rows = (
                await conn.execute(
                    select(routes)
                    .where(routes.c.courier_id == device.scope["courier_id"], routes.c.status != "completed", routes.c.id > after)
                    .order_by(routes.c.id)
                    .limit(limit)
                )
            ).all()
            return await feeds.route_docs(conn, rows)
        if kind == "pack_order":
            rows = (
                await conn.execute(
                    select(orders.c.id, orders.c.number, orders.c.status)
                    .where(orders.c.warehouse_id == device.scope["warehouse_id"], orders.c.status.in_(feeds.PACKABLE_ORDERS),
                           orders.c.id > after)  # fmt: skip
                    .order_by(orders.c.id)
                    .limit(limit)
                )
            ).all()
            return await feeds.pack_order_docs(conn, rows)
        if kind == "load_route":
            rows = (
                await conn.execute(
                    select(routes)
                    .where(routes.c.warehouse_id == device.scope["warehouse_id"], routes.c.status.in_(feeds.LOADABLE_ROUTES),
                           routes.c.id > after)  # fmt: skip
                    .order_by(routes.c.id)
                    .limit(limit)
                )
            ).all()
            return await feeds.load_route_docs(conn, rows)
        if kind == "sscc_block":
            rows = (
                await conn.execute(
                    select(sscc_blocks).where(sscc_blocks.c.device_id == device.id, sscc_blocks.c.id > after)
                    .order_by(sscc_blocks.c.id).limit(limit)
                )
            ).all()  # fmt: skip
            return await feeds.sscc_block_docs(conn, rows)
        raise ValueError(kind)
