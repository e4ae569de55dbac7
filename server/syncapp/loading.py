"""Loading ops from handhelds: scan parcels (or pallets) onto a route's vehicle, dispatch the route.

A load is a fact: a parcel of another route is refused on the device, but one that still reaches
the server is on that vehicle, so it is recorded and a `loaded_on_wrong_route` exception opened.
Dispatch is an intent: refused with the missing SSCCs unless every parcel of every stop is aboard
(a supervisor may override through the office API). Loading moves no stock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Any

import msgspec
from sqlalchemy import bindparam, or_, select, update

from server.db.tables import parcels, route_stops, routes
from server.domain import loading as rules
from server.domain.lifecycle import OrderStatus
from server.domain.refusals import Refused
from server.syncapp import feeds
from server.syncapp.effects import Effects
from server.syncapp.packing import Packing
from server.usecases.devices import DeviceRole
from sync.registry import ChangeRow, Op, Rejected, op_type
from server.wire.common import Id

LOADERS = sorted({DeviceRole.LOADER, DeviceRole.WAREHOUSE})


class LoadParcel(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    route_id: Id
    sscc: Annotated[str, msgspec.Meta(min_length=1, max_length=400)]  # a parcel's or a pallet's label, as scanned


class DispatchRoute(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    route_id: Id


@dataclass
class RouteRow:
    route: rules.Route
    warehouse_id: int
    dispatched_at: datetime | None = None


class Loading:
    """The routes a batch loads or dispatches; parcels come from packing's shared registry."""

    def __init__(self, effects: Effects, packing: Packing) -> None:
        self.effects = effects
        self.packing = packing
        self.routes: dict[int, RouteRow] = {}
        self.dirty: set[int] = set()

    async def load(self, ops: Sequence[Op[Any]]) -> None:
        payloads = [op.payload for op in ops if isinstance(op.payload, (LoadParcel, DispatchRoute))]
        if not payloads:
            return
        conn = self.effects.conn
        route_ids = sorted({p.route_id for p in payloads})
        for r in await conn.execute(select(routes).where(routes.c.id.in_(route_ids)).order_by(routes.c.id).with_for_update()):
            self.routes[r.id] = RouteRow(rules.Route(r.id, r.status, ()), r.warehouse_id, r.dispatched_at)
        stops: dict[int, list[int]] = {}
        for s in await conn.execute(select(route_stops).where(route_stops.c.route_id.in_(route_ids)).order_by(route_stops.c.stop_no)):
            stops.setdefault(s.route_id, []).append(s.order_id)
        for route_id, row in self.routes.items():
            row.route = replace(row.route, stops=tuple(stops.get(route_id, ())))
        ssccs = []
        for p in payloads:
            if isinstance(p, LoadParcel):
                try:
                    ssccs.append(rules.scanned_sscc(p.sscc))
                except Refused:
                    continue
        orders = {o for row in self.routes.values() for o in row.route.stops}
        if ssccs:
            orders |= set(await self.packing.orders_of(or_(parcels.c.sscc.in_(ssccs), parcels.c.pallet_sscc.in_(ssccs))))
        await self.packing.load_orders(orders)

    def route(self, route_id: int) -> RouteRow:
        row = self.routes.get(route_id)
        if row is None or row.warehouse_id != self.effects.device.scope.get("warehouse_id"):
            raise Rejected("route_unknown", f"no route {route_id} in this device's warehouse")
        return row

    def set_route(self, row: RouteRow, route: rules.Route) -> None:
        if route != row.route:
            row.route = route
            self.dirty.add(route.id)

    def send_off(self, row: RouteRow, order_id: int, op: Op[Any]) -> None:
        """An order whose parcels are all aboard is loaded; on a route already gone, it is out for delivery."""
        route = row.route
        if order_id in route.stops and rules.aboard(route, self.packing.parcels_of(order_id)):
            self.effects.advance(order_id, OrderStatus.LOADED, op, {"route_id": route.id, "parcels": len(self.packing.parcels_of(order_id))})
            if route.status == rules.RouteStatus.DISPATCHED:
                self.effects.advance(order_id, OrderStatus.OUT_FOR_DELIVERY, op, {"route_id": route.id})

    async def flush(self) -> None:
        if self.dirty:
            await self.effects.conn.execute(
                update(routes).where(routes.c.id == bindparam("rid"))
                .values(status=bindparam("st"), dispatched_at=bindparam("dat"), updated_at=bindparam("at")),
                [{"rid": i, "st": str(self.routes[i].route.status), "dat": self.routes[i].dispatched_at, "at": self.effects.at}
                 for i in sorted(self.dirty)],
            )  # fmt: skip

    async def changes(self) -> list[ChangeRow]:
        """Loaders see routes to load change (and dispatched ones go); couriers see their route's status."""
        conn = self.effects.conn
        to_load = set(await feeds.routes_to_load(conn, sorted(self.packing.touched_orders))) | self.dirty
        rows = await feeds.load_route_changes(conn, sorted(to_load)) if to_load else []
        return rows + (await feeds.route_changes(conn, sorted(self.dirty)) if self.dirty else [])


def _loading(workspace) -> Loading:  # noqa: ANN001
    return workspace.loading


@op_type("LoadParcel", LoadParcel, fact=True, roles=LOADERS)
def load_parcel(workspace, op: Op[LoadParcel]) -> None:  # noqa: ANN001
    loading = _loading(workspace)
    packing: Packing = workspace.packing
    effects: Effects = workspace.effects
    row = loading.route(op.payload.route_id)
    try:
        sscc = rules.scanned_sscc(op.payload.sscc)
    except Refused as refusal:
        raise Rejected(refusal.code, refusal.message) from refusal
    scanned = packing.by_sscc(sscc)
    if not scanned:
        raise Rejected("parcel_unknown", f"no parcel or pallet {sscc} in this warehouse")
    gone = [p.sscc for p in scanned if p.status not in rules.IN_WAREHOUSE]
    if gone:
        raise Rejected("parcel_not_in_warehouse", f"already delivered or returned: {', '.join(gone)}")
    route = row.route
    if all(p.status == rules.ParcelStatus.LOADED and p.route_id == route.id for p in scanned):
        return  # scanned again: already aboard, nothing changes
    if route.status not in rules.OPEN_ROUTE:
        effects.open_exception("loaded_after_dispatch", {"route_id": route.id, "sscc": sscc}, seq=op.seq)
    for parcel in scanned:
        loaded, wrong = rules.load_parcel(route, parcel)
        packing.set_parcel(loaded, loaded_at=workspace.at)
        if parcel.status == rules.ParcelStatus.OPEN:
            effects.open_exception("loaded_unclosed", {"route_id": route.id, "sscc": parcel.sscc}, order_id=parcel.order_id, seq=op.seq)
        if wrong:
            effects.open_exception("loaded_on_wrong_route", {"route_id": route.id, "sscc": parcel.sscc, "parcel_id": parcel.id},
                                   order_id=parcel.order_id, seq=op.seq)  # fmt: skip
        effects.record(parcel.order_id, "parcel_loaded", op, {"route_id": route.id, "sscc": parcel.sscc, "parcel_id": parcel.id,
                                                              "pallet_sscc": parcel.pallet_sscc, "wrong_route": wrong})  # fmt: skip
    loading.set_route(row, rules.start_loading(route))
    for order_id in sorted({p.order_id for p in scanned}):
        loading.send_off(row, order_id, op)


@op_type("DispatchRoute", DispatchRoute, fact=False, roles=LOADERS)
def dispatch_route(workspace, op: Op[DispatchRoute]) -> None:  # noqa: ANN001
    loading = _loading(workspace)
    packing: Packing = workspace.packing
    effects: Effects = workspace.effects
    row = loading.route(op.payload.route_id)
    stops = row.route.stops
    try:
        plan = rules.dispatch(row.route, {o: packing.parcels_of(o) for o in stops}, {o: str(effects.orders[o].status) for o in stops})
    except Refused as refusal:
        raise Rejected(refusal.code, refusal.message) from refusal
    loading.set_route(row, plan.route)
    row.dispatched_at = workspace.at
    for order_id in plan.leaving:
        effects.advance(order_id, OrderStatus.LOADED, op, {"route_id": row.route.id})
        effects.advance(order_id, OrderStatus.OUT_FOR_DELIVERY, op, {"route_id": row.route.id})


OPS = (load_parcel, dispatch_route)
