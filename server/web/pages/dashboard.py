"""The dashboard: the pipeline per warehouse, stuck and late orders, open exceptions, silent devices."""

from __future__ import annotations

from litestar import Controller, Request, Response, get

from server.clock import now
from server.reads import supervision as reads
from server.usecases.users import SessionUser
from server.web.params import bounded_float, opt_int
from server.web.rendering import Pages
from server.web.security import PREFIX
from server.web.session import signed_in
from sync.database import Database

DEFAULT_STUCK_HOURS = 8.0


class DashboardPage(Controller):
    path = PREFIX
    guards = [signed_in]
    include_in_schema = False

    @get("/dashboard", name="web-dashboard")
    async def dashboard(self, request: Request, db: Database, pages: Pages, me: SessionUser, vis: reads.Visibility) -> Response:
        hours = bounded_float(request.query_params.get("hours"), DEFAULT_STUCK_HOURS, 0.25, 24 * 90)
        warehouse_id = opt_int(request.query_params.get("warehouse"))
        async with db.read() as conn:
            board = await reads.dashboard(conn, request.app.state.sync, vis, now(), stuck_hours=hours, warehouse_id=warehouse_id)
            choices = await reads.visible_warehouses(conn, vis)
        names = {w.id: w for w in choices}
        return pages.page(
            request, "dashboard.html", me, board=board, hours=hours, warehouse_id=warehouse_id, warehouses=choices,
            names=names, stages=reads.STAGES, nav="dashboard",
        )  # fmt: skip
