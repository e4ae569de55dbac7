"""Office and supervisor use cases for pick lists: create one for an order or a wave, assign it."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, select, update

from server.clock import now
from server.db.tables import SYNC, bin_stock, locations, order_lines, orders, pick_lines, pick_list_orders, pick_lists
from server.domain import picking as rules
from server.domain.lifecycle import OrderStatus
from server.domain.refusals import NotFound, Refused
from server.syncapp import feeds
from sync import changelog
from sync.database import Database


async def create_pick_list(db: Database, warehouse_id: int, order_ids: Sequence[int], totes: Sequence[str] | None = None) -> int:
    """A pick list for confirmed orders of one warehouse: one order, or a wave picked into totes."""
    if not order_ids or len(set(order_ids)) != len(order_ids):
        raise Refused("pick_list_orders_invalid", "name each order once, at least one")
    if totes is not None and (len(totes) != len(order_ids) or len(set(totes)) != len(totes)):
        raise Refused("totes_invalid", "give one distinct tote barcode per order")
    at = now()
    async with db.write() as conn:
        found = {r.id: r for r in await conn.execute(select(orders.c.id, orders.c.status, orders.c.warehouse_id).where(orders.c.id.in_(list(order_ids))).with_for_update())}
        for order_id in order_ids:
            row = found.get(order_id)
            if row is None:
                raise NotFound("order", order_id)
            if row.warehouse_id != warehouse_id:
                raise Refused("order_other_warehouse", f"order {order_id} ships from another warehouse")
            if row.status != OrderStatus.CONFIRMED:
                raise Refused("order_not_confirmed", f"order {order_id} is {row.status}; only confirmed orders are picked")
        busy = (await conn.execute(
            select(pick_list_orders.c.order_id).join(pick_lists, pick_lists.c.id == pick_list_orders.c.pick_list_id)
            .where(pick_list_orders.c.order_id.in_(list(order_ids)), pick_lists.c.status == "open")
        )).scalars().all()  # fmt: skip
        if busy:
            raise Refused("order_on_open_pick_list", f"already on an open pick list: {sorted(busy)}", orders=sorted(busy))
        list_id = (await conn.execute(
            insert(pick_lists).values(warehouse_id=warehouse_id, kind="order" if len(order_ids) == 1 else "wave",
                                      status="open", created_at=at, updated_at=at).returning(pick_lists.c.id)
        )).scalar_one()  # fmt: skip
        await conn.execute(insert(pick_list_orders), [
            {"pick_list_id": list_id, "order_id": o, "tote": totes[i] if totes else f"T{list_id}-{i + 1}"}
            for i, o in enumerate(order_ids)
        ])  # fmt: skip
        wanted = (await conn.execute(select(order_lines).where(order_lines.c.order_id.in_(list(order_ids))))).all()
        stocked: dict[int, list[rules.BinRequest]] = {}
        for b in await conn.execute(
            select(bin_stock.c.product_id, bin_stock.c.location_id, bin_stock.c.quantity, locations.c.pick_seq)
            .join(locations, locations.c.id == bin_stock.c.location_id)
            .where(locations.c.warehouse_id == warehouse_id, bin_stock.c.product_id.in_({w.product_id for w in wanted}))
        ):
            stocked.setdefault(b.product_id, []).append(rules.BinRequest(b.location_id, b.pick_seq, b.quantity))
        rows = []
        for w in sorted(wanted, key=lambda w: (w.order_id, w.line_no)):
            for location_id, pick_seq, quantity in rules.plan_pick_lines(w.order_id, w.line_no, w.product_id, w.quantity, stocked.get(w.product_id, [])):
                rows.append({"pick_list_id": list_id, "order_id": w.order_id, "line_no": w.line_no, "product_id": w.product_id,
                             "location_id": location_id, "pick_seq": pick_seq, "quantity": quantity, "picked": 0, "shorted": 0})  # fmt: skip
        await conn.execute(insert(pick_lines), rows)
        await changelog.record(conn, SYNC, await feeds.pick_list_changes(conn, [list_id]), at)
        return list_id


async def assign_pick_list(db: Database, list_id: int, device_id: str | None, *, bound_warehouse: int | None = None) -> None:
    """Assign an open pick list to one device (or clear the assignment); a claim by another is dropped."""
    at = now()
    async with db.write() as conn:
        row = (await conn.execute(select(pick_lists).where(pick_lists.c.id == list_id).with_for_update())).first()
        if row is None or (bound_warehouse is not None and row.warehouse_id != bound_warehouse):
            raise NotFound("pick_list", list_id)
        if row.status != "open":
            raise Refused("pick_list_closed", f"the pick list is {row.status}")
        if device_id is not None:
            device = (await conn.execute(select(SYNC.devices.c.scope).where(SYNC.devices.c.id == device_id))).first()
            if device is None or device.scope.get("warehouse_id") != row.warehouse_id:
                raise Refused("device_other_warehouse", "the device does not work in this pick list's warehouse")
        claimed_by = row.claimed_by if row.claimed_by in (None, device_id) else None
        await conn.execute(update(pick_lists).where(pick_lists.c.id == list_id)
                           .values(assigned_to=device_id, claimed_by=claimed_by, updated_at=at))  # fmt: skip
        await changelog.record(conn, SYNC, await feeds.pick_list_changes(conn, [list_id]), at)
