"""Couriers and routes: who drives which stops on which day. A route lives in its courier's scope,
so reassigning it removes it from the old courier's phone (DESIGN principle 6)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import insert, select, update

from server.clock import now
from server.db.tables import SYNC, couriers, orders, route_stops, routes, warehouses
from server.domain.refusals import NotFound, Refused
from server.syncapp import feeds
from sync import changelog
from sync.database import Database
from sync.registry import ChangeRow


async def create_courier(db: Database, name: str, phone: str | None, warehouse_id: int) -> int:
    """Register a courier working out of a warehouse."""
    if not name.strip():
        raise Refused("courier_name_required", "a courier needs a name")
    async with db.write() as conn:
        if (await conn.execute(select(warehouses.c.id).where(warehouses.c.id == warehouse_id))).first() is None:
            raise NotFound("warehouse", warehouse_id)
        result = await conn.execute(
            insert(couriers).values(name=name, phone=phone, warehouse_id=warehouse_id, created_at=now()).returning(couriers.c.id)
        )
        return result.scalar_one()


async def _courier_warehouse(conn, courier_id: int) -> int:  # noqa: ANN001
    row = (await conn.execute(select(couriers.c.warehouse_id).where(couriers.c.id == courier_id))).first()
    if row is None:
        raise NotFound("courier", courier_id)
    return row.warehouse_id


async def create_route(
    db: Database, warehouse_id: int, day: date, courier_id: int, vehicle: str, order_ids: Sequence[int]
) -> int:
    """Plan a route: its stops are the orders in the given order."""
    if len(set(order_ids)) != len(order_ids):
        raise Refused("route_stop_duplicate", "an order appears twice on the route")
    at = now()
    async with db.write() as conn:
        if await _courier_warehouse(conn, courier_id) != warehouse_id:
            raise Refused("courier_other_warehouse", "the courier works out of another warehouse")
        found = {
            r.id: r.warehouse_id
            for r in await conn.execute(select(orders.c.id, orders.c.warehouse_id).where(orders.c.id.in_(list(order_ids))))
        }
        missing = [i for i in order_ids if i not in found]
        if missing:
            raise Refused("order_unknown", f"unknown orders: {missing}", orders=missing)
        if any(w != warehouse_id for w in found.values()):
            raise Refused("order_other_warehouse", "every order on a route ships from the route's warehouse")
        route_id = (
            await conn.execute(
                insert(routes)
                .values(warehouse_id=warehouse_id, day=day, courier_id=courier_id, vehicle=vehicle, status="planned",
                        created_at=at, updated_at=at)  # fmt: skip
                .returning(routes.c.id)
            )
        ).scalar_one()
        if order_ids:
            await conn.execute(
                insert(route_stops), [{"route_id": route_id, "stop_no": i, "order_id": o} for i, o in enumerate(order_ids, 1)]
            )
        changes = await feeds.route_changes(conn, [route_id]) + await feeds.load_route_changes(conn, [route_id])
        await changelog.record(conn, SYNC, changes, at)
        return route_id


async def reassign_route(db: Database, route_id: int, courier_id: int) -> None:
    """Give a route to another courier: the old courier's device gets a removal, the new one the route."""
    at = now()
    async with db.write() as conn:
        row = (await conn.execute(select(routes.c.courier_id, routes.c.warehouse_id).where(routes.c.id == route_id).with_for_update())).first()
        if row is None:
            raise NotFound("route", route_id)
        if await _courier_warehouse(conn, courier_id) != row.warehouse_id:
            raise Refused("courier_other_warehouse", "the courier works out of another warehouse")
        if row.courier_id == courier_id:
            return
        await conn.execute(update(routes).where(routes.c.id == route_id).values(courier_id=courier_id, updated_at=at))
        removal = ChangeRow(feeds.courier_scope(row.courier_id), "route", str(route_id), "del")
        changes = [removal, *await feeds.route_changes(conn, [route_id]), *await feeds.load_route_changes(conn, [route_id])]
        await changelog.record(conn, SYNC, changes, at)
