"""Devices: sync status with live refresh, revocation, and enrolment with the QR code on screen.

Live refresh uses server-sent events: the browser holds one stream; the server compares a cheap
fingerprint of the devices table every few seconds and says "devices" only when it moved, and
the page then fetches just the table body again. No polling of the whole page, filters and
scroll position stay, and nothing is sent while nothing changes. (The issue asks for SSE; a
browser without it, or a proxy that cuts the stream, still has the reload button.)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.enums import MediaType
from litestar.response import Redirect, ServerSentEvent
from markupsafe import Markup
from sqlalchemy import select

from labels.svg_render import render_symbol_svg
from labels.symbols import encode_symbol
from server.clock import now
from server.db.tables import couriers
from server.domain.refusals import NotFound, Refused
from server.reads import supervision as reads
from server.usecases import devices as usecases
from server.usecases.devices import DeviceRole
from server.usecases.users import SessionUser, session_user
from server.web.i18n import Translator
from server.web.params import opt_choice, opt_int
from server.web.rendering import Fmt, Pages
from server.web.security import PREFIX, SESSION_COOKIE
from server.web.session import may_act, signed_in
from sync.database import Database

STATES = ("ok", "stale", "never", "revoked", "error")
ROLES = tuple(r.value for r in DeviceRole)
POLL_SECONDS = 3.0
KEEPALIVE_SECONDS = 20.0
STREAM_SECONDS = 300.0  # then the browser reconnects by itself: no stream lives forever
LAG_WARN = 100  # changes behind: worth a look
SESSION_RECHECK_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class DeviceView:
    """One table row as text, prepared in Python: 500 rows of template function calls cost ten times more."""

    id: str
    short_id: str
    name: str
    role: str
    person: str
    scope: str
    state: str
    state_label: str
    seen: str
    seen_at: str
    push: str
    push_at: str
    pull: str
    pull_at: str
    pending: str
    lag: str
    lag_warn: bool
    version: str
    skew: str
    error: str
    revoked_at: str | None
    confirm: str


def device_views(rows: list[reads.DeviceRow], t: Translator, fmt: Fmt, names: dict) -> list[DeviceView]:
    def code(warehouse_id: int | None) -> str:
        return names[warehouse_id].code if warehouse_id in names else f"#{warehouse_id}" if warehouse_id else "—"

    views = []
    for d in rows:
        if "courier_id" in d.scope:
            scope = f"{t('dev.scope_courier', id=d.scope['courier_id'])} · {code(d.warehouse_id)}"
        else:
            scope = t("dev.scope_warehouse", code=code(d.scope.get("warehouse_id")))
        views.append(DeviceView(
            d.id, d.id[:8], d.name, t.label("role", d.role), d.person or "—", scope, d.state, t.label("state", d.state),
            fmt.ago(d.last_seen_at), fmt.when(d.last_seen_at), fmt.ago(d.last_push_at), fmt.when(d.last_push_at),
            fmt.ago(d.last_pull_at), fmt.when(d.last_pull_at), fmt.num(d.pending),
            "—" if d.revoked_at else fmt.num(d.cursor_lag), d.cursor_lag > LAG_WARN, d.app_version or "—",
            fmt.dur(d.clock_skew_ms / 1000) if d.clock_skew_ms is not None else "—", d.last_error or "",
            fmt.when_short(d.revoked_at) if d.revoked_at else None, t("dev.revoke_confirm", name=d.name),
        ))  # fmt: skip
    return views


def _filters(request: Request) -> dict:
    q = request.query_params
    return {
        "role": opt_choice(q.get("role"), ROLES),
        "warehouse_id": opt_int(q.get("warehouse")),
        "state": opt_choice(q.get("state"), STATES),
    }


async def _visible_couriers(db: Database, vis: reads.Visibility) -> list:
    async with db.read() as conn:
        query = select(couriers.c.id, couriers.c.name, couriers.c.warehouse_id).order_by(couriers.c.name)
        return (await conn.execute(query.where(*vis.chosen(couriers.c.warehouse_id, None)))).all()


class DevicePages(Controller):
    path = f"{PREFIX}/devices"
    guards = [signed_in]
    include_in_schema = False

    async def _rows(self, request: Request, db: Database, pages: Pages, me: SessionUser, vis: reads.Visibility) -> tuple[list, list]:
        async with db.read() as conn:
            rows = await reads.device_rows(conn, request.app.state.sync, vis, now(), **_filters(request))
            choices = await reads.visible_warehouses(conn, vis)
        locale = pages.locale_for(request, me)
        return device_views(rows, Translator(locale), Fmt(locale, now()), {w.id: w for w in choices}), choices

    @get("/", name="web-devices")
    async def devices(self, request: Request, db: Database, pages: Pages, me: SessionUser, vis: reads.Visibility) -> Response:
        rows, choices = await self._rows(request, db, pages, me, vis)
        done = request.query_params.get("done")
        return pages.page(
            request, "devices.html", me, rows=rows, warehouses=choices, names={w.id: w for w in choices}, filters=_filters(request),
            roles=ROLES, states=STATES, flash=f"flash.{done}" if done in ("revoked",) else None, nav="devices",
        )  # fmt: skip

    @get("/rows", name="web-device-rows")
    async def device_rows(self, request: Request, db: Database, pages: Pages, me: SessionUser, vis: reads.Visibility) -> Response:
        """The table body alone, for the live refresh."""
        rows, _ = await self._rows(request, db, pages, me, vis)
        html = pages.text(request, "_device_rows.html", me, rows=rows)
        return Response(html, media_type=MediaType.HTML)

    @get("/stream", name="web-device-stream")
    async def stream(self, request: Request, db: Database) -> ServerSentEvent:
        """Says `devices` whenever any device's sync status or the change log moved."""

        cookie = request.cookies.get(SESSION_COOKIE, "")

        async def events() -> AsyncIterator[dict]:
            started = quiet = checked = time.monotonic()
            last = None
            yield {"event": "hello", "data": "live", "retry": 5000}
            while time.monotonic() - started < STREAM_SECONDS:
                if time.monotonic() - checked > SESSION_RECHECK_SECONDS:
                    checked = time.monotonic()
                    if await session_user(db, cookie) is None:  # signed out elsewhere: the stream ends too
                        return
                async with db.read() as conn:
                    signature = await reads.device_signature(conn)
                if last is not None and signature != last:
                    quiet = time.monotonic()
                    yield {"event": "devices", "data": "changed"}
                elif time.monotonic() - quiet > KEEPALIVE_SECONDS:
                    quiet = time.monotonic()
                    yield {"comment": "keep-alive"}
                last = signature
                await asyncio.sleep(POLL_SECONDS)

        return ServerSentEvent(events())

    @post("/{device_id:str}/revoke", name="web-device-revoke", status_code=303, guards=[may_act])
    async def revoke(self, request: Request, db: Database, device_id: str, vis: reads.Visibility) -> Redirect:
        async with db.read() as conn:
            warehouse_id = (await reads.device_warehouses(conn)).get(device_id)
        if not vis.allows(warehouse_id):  # someone else's device answers like a missing one
            raise NotFound("device", device_id)
        await usecases.revoke_device(db, device_id, bound_warehouse=warehouse_id if vis.warehouse_ids is not None else None)
        return Redirect(f"{PREFIX}/devices?done=revoked", status_code=303)

    @get("/enroll", name="web-device-enroll")
    async def enroll_form(self, request: Request, db: Database, pages: Pages, me: SessionUser, vis: reads.Visibility) -> Response:
        return await self._enroll_page(request, db, pages, me, vis)

    async def _enroll_page(self, request: Request, db: Database, pages: Pages, me: SessionUser, vis: reads.Visibility, *,
                           status: int = 200, **extra: object) -> Response:  # fmt: skip
        async with db.read() as conn:
            choices = await reads.visible_warehouses(conn, vis)
        return pages.page(
            request, "enroll.html", me, status=status, warehouses=choices, couriers=await _visible_couriers(db, vis), roles=ROLES,
            nav="devices", **({"enrollment": None, "qr": None, "qr_text": None, "error": None, "chosen": {"role": None, "warehouse": None, "courier": None}} | extra),
        )  # fmt: skip

    @post("/enroll", name="web-device-enroll-post", status_code=200, guards=[may_act])
    async def enroll(self, request: Request, db: Database, pages: Pages, me: SessionUser, vis: reads.Visibility) -> Response:
        form = await request.form()
        role = opt_choice(form.get("role"), ROLES)
        chosen = {"role": role, "warehouse": opt_int(form.get("warehouse")), "courier": opt_int(form.get("courier"))}
        try:
            if role is None:
                raise Refused("device_role_invalid", "choose a role")
            if role == DeviceRole.COURIER:
                scope = {"courier_id": chosen["courier"]}
                found = {c.id: c.warehouse_id for c in await _visible_couriers(db, vis)}
                if chosen["courier"] not in found:
                    raise NotFound("courier", chosen["courier"])
                warehouse_id = found[chosen["courier"]]
            else:
                scope = {"warehouse_id": chosen["warehouse"]}
                warehouse_id = chosen["warehouse"]
                if warehouse_id is None or not vis.allows(warehouse_id):
                    raise NotFound("warehouse", warehouse_id)
            enrollment = await usecases.create_enrollment(db, me.actor_id, role, scope, bound_warehouse=warehouse_id)
        except Refused as refusal:
            return await self._enroll_page(request, db, pages, me, vis, status=422, error=refusal.message, chosen=chosen)
        qr_text = f"{request.app.state.settings.public_url}/#enroll={quote(enrollment.code)}"
        # The SVG is built by our own renderer from path data only (no text from the request in it).
        qr = Markup(render_symbol_svg(encode_symbol("qr", qr_text), module_mm=1.0).decode())  # noqa: S704
        return await self._enroll_page(request, db, pages, me, vis, enrollment=enrollment, qr=qr, qr_text=qr_text, chosen=chosen)
