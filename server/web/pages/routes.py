"""Routes and cash: progress per route of a day, and the cash-on-delivery reconciliation per courier and shift."""

from __future__ import annotations

from litestar import Controller, Request, Response, get

from server.clock import now
from server.reads import supervision as reads
from server.usecases.users import SessionUser
from server.web.params import opt_date, opt_int
from server.web.rendering import Pages
from server.web.security import PREFIX
from server.web.session import signed_in
from sync.database import Database


class RoutePages(Controller):
    path = f"{PREFIX}/routes"
    guards = [signed_in]
    include_in_schema = False

    @get("/", name="web-routes")
    async def board(self, request: Request, db: Database, pages: Pages, me: SessionUser, vis: reads.Visibility) -> Response:
        day = opt_date(request.query_params.get("day")) or now().date()
        warehouse_id = opt_int(request.query_params.get("warehouse"))
        async with db.read() as conn:
            board = await reads.route_board(conn, vis, day=day, warehouse_id=warehouse_id)
            cash = await reads.cash_rows(conn, board, day)
            choices = await reads.visible_warehouses(conn, vis)
        return pages.page(
            request, "routes.html", me, board=board, cash=cash, day=day, warehouse_id=warehouse_id,
            warehouses=choices, names={w.id: w for w in choices}, nav="routes",
        )  # fmt: skip

    @get("/{route_id:int}", name="web-route")
    async def route(self, request: Request, db: Database, pages: Pages, me: SessionUser, vis: reads.Visibility, route_id: int) -> Response:
        async with db.read() as conn:
            detail = await reads.route_detail(conn, vis, route_id)
            choices = await reads.visible_warehouses(conn, vis)
        return pages.page(
            request, "route.html", me, r=detail.progress, stops=detail.stops, outcomes=detail.outcomes, paid=detail.paid,
            names={w.id: w for w in choices}, nav="routes",
        )  # fmt: skip
