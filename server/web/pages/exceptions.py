"""The exceptions queue: what the field reported that contradicts the record, and the decisions taken."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from server.domain.events import Actor
from server.reads import supervision as reads
from server.usecases.users import SessionUser
from server.web.params import opt_choice, opt_int, opt_text
from server.web.rendering import Pages
from server.web.resolutions import Action, resolve_exception
from server.web.security import PREFIX, safe_next
from server.web.session import may_act, signed_in
from sync.database import Database

STATUSES = ("open", "resolved", "all")


class ExceptionPages(Controller):
    path = f"{PREFIX}/exceptions"
    guards = [signed_in]
    include_in_schema = False

    @get("/", name="web-exceptions")
    async def queue(self, request: Request, db: Database, pages: Pages, me: SessionUser, vis: reads.Visibility) -> Response:
        q = request.query_params
        status = opt_choice(q.get("status"), STATUSES) or "open"
        filters = {
            "status": None if status == "all" else status,
            "kind": opt_text(q.get("kind"), 32),
            "warehouse_id": opt_int(q.get("warehouse")),
            "device_id": opt_text(q.get("device"), 64),
        }
        async with db.read() as conn:
            page = await reads.exception_page(conn, vis, after=opt_text(q.get("after"), 200), **filters)
            kinds = await reads.exception_kinds(conn)
            choices = await reads.visible_warehouses(conn, vis)
        done = q.get("done")
        return pages.page(
            request, "exceptions.html", me, page=page, kinds=kinds, warehouses=choices, names={w.id: w for w in choices},
            status_filter=status, statuses=STATUSES, filters=filters, actions=[a.value for a in Action],
            flash="flash.resolved" if done == "resolved" else None, nav="exceptions",
        )  # fmt: skip

    @post("/{exception_id:int}/resolve", name="web-exception-resolve", status_code=303, guards=[may_act])
    async def resolve(self, request: Request, db: Database, exception_id: int, me: SessionUser, vis: reads.Visibility) -> Redirect:
        form = await request.form()
        action = str(form.get("action", ""))
        await resolve_exception(db, Actor("user", me.actor_id), vis, exception_id, action, str(form.get("note", "")))
        back = safe_next(str(form.get("back", "")), f"{PREFIX}/exceptions")
        back = back.split("#", 1)[0]
        return Redirect(back + ("&" if "?" in back else "?") + "done=resolved", status_code=303)
