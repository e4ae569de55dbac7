"""A supervisor's way past a missing parcel: dispatch the route anyway, with a reason.

Orders with at least one parcel aboard go out for delivery (the courier sees what is missing);
orders with nothing aboard stay behind at their stage. Every stop's order gets an event carrying
the reason and its missing SSCCs, and the route keeps the reason in `dispatch_override`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from server.clock import now
from server.db.order_store import append_events, load_orders_many, save_status
from server.db.tables import SYNC, parcel_items, parcels, route_stops, routes
from server.db.tables import orders as orders_table
from server.domain import loading as rules
from server.domain.events import Actor, OrderEvent
from server.domain.lifecycle import TRANSITIONS, OrderStatus
from server.domain.orders import advance_order
from server.domain.packing import Parcel
from server.domain.refusals import NotFound, Refused
from server.syncapp import feeds
from server.usecases.invoicing import issue_invoices
from sync import changelog
from sync.database import Database


@dataclass(frozen=True, slots=True)
class Dispatched:
    route_id: int
    missing: dict[int, list[str]]  # order id -> SSCCs left behind ("" for an order with no parcel)
    leaving: tuple[int, ...]
    left_behind: tuple[int, ...]


async def dispatch_with_override(db: Database, actor: Actor, route_id: int, reason: str, *,
                                 bound_warehouse: int | None = None) -> Dispatched:  # fmt: skip
    """Dispatch a route now, whatever is missing; the reason is recorded on the route and each order."""
    reason = reason.strip()
    if not reason:
        raise Refused("override_reason_required", "an override needs a reason")
    at = now()
    async with db.write() as conn:
        row = (await conn.execute(select(routes).where(routes.c.id == route_id).with_for_update())).first()
        if row is None or bound_warehouse not in (None, row.warehouse_id):
            raise NotFound("route", route_id)
        stops = tuple((await conn.execute(select(route_stops.c.order_id).where(route_stops.c.route_id == route_id)
                                          .order_by(route_stops.c.stop_no))).scalars())  # fmt: skip
        # Lock the stops' orders (as a loading push does) so no parcel changes while this reads them.
        await conn.execute(select(orders_table.c.id).where(orders_table.c.id.in_(stops)).order_by(orders_table.c.id).with_for_update())
        orders = await load_orders_many(conn, stops)
        found = (await conn.execute(select(parcels).where(parcels.c.order_id.in_(stops)))).all()
        items: dict[str, dict[int, int]] = {p.id: {} for p in found}
        if items:
            for i in await conn.execute(select(parcel_items).where(parcel_items.c.parcel_id.in_(list(items)))):
                items[i.parcel_id][i.product_id] = i.quantity
        by_order: dict[int, list[Parcel]] = {}
        for p in found:
            by_order.setdefault(p.order_id, []).append(Parcel(p.id, p.sscc, p.order_id, p.status, items[p.id], p.weight_g, p.pallet_sscc, p.route_id))
        route = rules.Route(row.id, row.status, stops)
        plan = rules.dispatch(route, by_order, {o: str(orders[o].status) for o in stops}, override_reason=reason)
        overridden = reason if plan.missing else None
        await conn.execute(update(routes).where(routes.c.id == route_id)
                           .values(status=str(plan.route.status), dispatched_at=at, dispatch_override=overridden, updated_at=at))  # fmt: skip
        shipped = []
        for order_id in stops:
            order, events = orders[order_id], []
            if overridden and order.status != OrderStatus.CANCELLED:
                events.append(OrderEvent("dispatch_overridden", at, {"route_id": route_id, "reason": reason,
                                                                     "missing": [s for s in plan.missing.get(order_id, []) if s],
                                                                     "left_behind": order_id in plan.left_behind}))  # fmt: skip
            if order_id in plan.leaving:
                for target in (OrderStatus.LOADED, OrderStatus.OUT_FOR_DELIVERY):
                    if target in TRANSITIONS[order.status]:  # a loaded order skips the first step
                        order, moved = advance_order(order, target, at, {"route_id": route_id, "override": bool(overridden)})
                        events += moved
                if order is not orders[order_id]:
                    await save_status(conn, order)
                if order.status == OrderStatus.OUT_FOR_DELIVERY:
                    shipped.append(order)
            if events:
                await append_events(conn, order_id, actor, events)
        if shipped:  # an order leaving the warehouse gets its invoice in the same transaction
            await issue_invoices(conn, shipped, at, actor)
        changes = await feeds.load_route_changes(conn, [route_id]) + await feeds.route_changes(conn, [route_id])
        changes += await feeds.pack_order_changes(conn, list(plan.leaving))
        await changelog.record(conn, SYNC, changes, at)
    return Dispatched(route_id, plan.missing, plan.leaving, plan.left_behind)
