"""Routes and cash: progress per route of a day, and the cash-on-delivery reconciliation per courier and shift."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from server.clock import now
from server.domain.events import Actor
from server.reads import cash as cash_reads
from server.reads import supervision as reads
from server.usecases.cash import close_handover
from server.usecases.users import SessionUser
from server.web.params import opt_date, opt_int
from server.web.rendering import Pages
from server.web.security import PREFIX, safe_next
from server.web.session import may_act, signed_in
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
            # route_board refused a warehouse the person may not see, so the choice is safe here.
            shown = vis.warehouse_ids if warehouse_id is None else frozenset({warehouse_id})
            handovers = await cash_reads.handovers(conn, day=day, warehouse_ids=shown)
            choices = await reads.visible_warehouses(conn, vis)
        return pages.page(
            request, "routes.html", me, board=board, cash=cash, handovers=handovers, day=day, warehouse_id=warehouse_id,
            warehouses=choices, names={w.id: w for w in choices}, nav="routes",
            flash="flash.handover_closed" if request.query_params.get("done") == "closed" else None,
        )  # fmt: skip

    @post("/handovers/{handover_id:str}/close", name="web-handover-close", status_code=303, guards=[may_act])
    async def close_cash_handover(self, request: Request, db: Database, handover_id: str, me: SessionUser, vis: reads.Visibility) -> Redirect:
        """Close a cash handover with a note; another warehouse's handover is not found."""
        form = await request.form()
        await close_handover(db, Actor("user", me.actor_id), handover_id, str(form.get("note", "")), vis.warehouse_ids)
        back = safe_next(str(form.get("back", "")), f"{PREFIX}/routes/").split("#", 1)[0]
        return Redirect(back + ("&" if "?" in back else "?") + f"done=closed#handover-{handover_id}", status_code=303)

    @get("/{route_id:int}", name="web-route")
    async def route(self, request: Request, db: Database, pages: Pages, me: SessionUser, vis: reads.Visibility, route_id: int) -> Response:
        async with db.read() as conn:
            detail = await reads.route_detail(conn, vis, route_id)
            choices = await reads.visible_warehouses(conn, vis)
        return pages.page(
            request, "route.html", me, r=detail.progress, stops=detail.stops, outcomes=detail.outcomes, paid=detail.paid,
            names={w.id: w for w in choices}, nav="routes",
        )  # fmt: skip
