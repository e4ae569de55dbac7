"""HTTP handlers for couriers and routes (planning; loading and delivery come as device ops)."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from sqlalchemy import select

from server.api.auth import ANY, STAFF, allow, check_warehouse
from server.db.tables import couriers, route_stops, routes
from server.domain.refusals import NotFound
from server.usecases import routes as usecases
from server.wire.devices import Courier, CourierCreate, Route, RouteAssign, RouteCreate
from sync.database import Database


async def _route(db: Database, route_id: int) -> Route:
    async with db.read() as conn:
        row = (await conn.execute(select(routes).where(routes.c.id == route_id))).first()
        if row is None:
            raise NotFound("route", route_id)
        stops = (await conn.execute(select(route_stops.c.order_id).where(route_stops.c.route_id == route_id).order_by(route_stops.c.stop_no))).scalars().all()
    return Route(row.id, row.warehouse_id, row.day, row.courier_id, row.vehicle, row.status, list(stops))


async def _visible_route(db: Database, request: Request, route_id: int) -> Route:
    """A route, or 404 when it belongs to a warehouse the caller is not bound to."""
    route = await _route(db, route_id)
    if request.user.warehouse_id not in (None, route.warehouse_id):
        raise NotFound("route", route_id)
    return route


class CourierController(Controller):
    path = "/api/couriers"
    tags = ["routes"]

    @post("/", guards=[allow(*STAFF)], operation_id="createCourier", status_code=201)
    async def create(self, db: Database, request: Request, data: CourierCreate) -> Courier:
        check_warehouse(request.user, data.warehouse_id)
        courier_id = await usecases.create_courier(db, data.name, data.phone, data.warehouse_id)
        return Courier(courier_id, data.name, data.phone, data.warehouse_id)

    @get("/", guards=[allow(*ANY)], operation_id="listCouriers")
    async def list(self, db: Database, request: Request) -> list[Courier]:
        query = select(couriers).order_by(couriers.c.id)
        if request.user.warehouse_id is not None:
            query = query.where(couriers.c.warehouse_id == request.user.warehouse_id)
        async with db.read() as conn:
            return [Courier(r.id, r.name, r.phone, r.warehouse_id) for r in await conn.execute(query)]


class RouteController(Controller):
    path = "/api/routes"
    tags = ["routes"]

    @post("/", guards=[allow(*STAFF)], operation_id="createRoute", status_code=201)
    async def create(self, db: Database, request: Request, data: RouteCreate) -> Route:
        check_warehouse(request.user, data.warehouse_id)
        route_id = await usecases.create_route(db, data.warehouse_id, data.day, data.courier_id, data.vehicle, data.order_ids)
        return await _route(db, route_id)

    @get("/{route_id:int}", guards=[allow(*ANY)], operation_id="getRoute")
    async def read(self, db: Database, request: Request, route_id: int) -> Route:
        return await _visible_route(db, request, route_id)

    @post("/{route_id:int}/assign", guards=[allow(*STAFF)], operation_id="assignRoute", status_code=200)
    async def assign(self, db: Database, request: Request, route_id: int, data: RouteAssign) -> Route:
        """Give the route to another courier; the first courier's phone gets a removal."""
        route = await _visible_route(db, request, route_id)
        await usecases.reassign_route(db, route.id, data.courier_id)
        return await _route(db, route_id)
