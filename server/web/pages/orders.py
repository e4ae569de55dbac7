"""Orders: a filtered list in keyset pages, and one order with everything recorded about it."""

from __future__ import annotations

from datetime import timedelta

from litestar import Controller, Request, Response, get
from sqlalchemy import select

from server.db.tables import SYNC
from server.domain.lifecycle import OrderStatus
from server.domain.orders import Source
from server.domain.refusals import NotFound
from server.reads import supervision as reads
from server.usecases.users import SessionUser
from server.web.params import opt_choice, opt_date, opt_int, opt_text
from server.web.rendering import Pages
from server.web.security import PREFIX
from server.web.session import signed_in
from sync.database import Database

STATUSES = tuple(s.value for s in OrderStatus)
SOURCES = tuple(s.value for s in Source)
POD_TYPES = ("image/png", "image/jpeg", "image/webp")  # never SVG: it can carry script


def _blob_refs(value: object) -> set[str]:
    """Every 64-hex string in an event's data: the blobs (signature, photo) it references."""
    if isinstance(value, str):
        return {value} if len(value) == 64 and all(c in "0123456789abcdef" for c in value) else set()
    if isinstance(value, dict):
        return set().union(*map(_blob_refs, value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*map(_blob_refs, value)) if value else set()
    return set()


def _pod_blobs(delivery) -> list[str]:  # noqa: ANN001
    """The images a delivery record references: the signature first, then the photos."""
    return [sha for sha in [delivery.signature_png, *(delivery.photos or [])] if isinstance(sha, str) and _blob_refs(sha)]


class OrderPages(Controller):
    path = f"{PREFIX}/orders"
    guards = [signed_in]
    include_in_schema = False

    @get("/", name="web-orders")
    async def orders(self, request: Request, db: Database, pages: Pages, me: SessionUser, vis: reads.Visibility) -> Response:
        q = request.query_params
        filters = {
            "warehouse_id": opt_int(q.get("warehouse")),
            "status": opt_choice(q.get("status"), STATUSES),
            "source": opt_choice(q.get("source"), SOURCES),
            "q": opt_text(q.get("q"), 100),
            "created_from": opt_date(q.get("from")),
            "created_to": opt_date(q.get("to")),
        }
        async with db.read() as conn:
            page = await reads.order_page(conn, vis, after=opt_text(q.get("after"), 200), **filters)
            choices = await reads.visible_warehouses(conn, vis)
        return pages.page(
            request, "orders.html", me, page=page, filters=filters, warehouses=choices, names={w.id: w for w in choices},
            statuses=STATUSES, sources=SOURCES, nav="orders",
        )  # fmt: skip

    @get("/{order_id:int}", name="web-order")
    async def order(self, request: Request, db: Database, pages: Pages, me: SessionUser, vis: reads.Visibility, order_id: int) -> Response:
        async with db.read() as conn:
            detail = await reads.order_detail(conn, vis, order_id)
        blobs = {e.id: sorted(_blob_refs(e.data)) for e in detail.delivery_events}
        pod_blobs = {p.id: _pod_blobs(p) for p in detail.deliveries}
        o = detail.order
        delivered = [e.recorded_at for e in detail.delivery_events if e.type != "delivery_failed"]
        invoice_due = delivered[0].date() + timedelta(days=o.payment_due_days) if o.payment_kind == "invoice" and delivered else None
        return pages.page(request, "order.html", me, d=detail, o=o, blobs=blobs, invoice_due=invoice_due, pod_blobs=pod_blobs,
                          nav="orders")

    @get("/{order_id:int}/blobs/{sha:str}", name="web-order-blob")
    async def blob(self, db: Database, vis: reads.Visibility, order_id: int, sha: str) -> Response:
        """A signature or photo of this order's delivery, only to someone who may see the order."""
        async with db.read() as conn:
            detail = await reads.order_detail(conn, vis, order_id)
            allowed = set().union(set(), *(_blob_refs(e.data) for e in detail.delivery_events), *(_pod_blobs(p) for p in detail.deliveries))
            if sha not in allowed:
                raise NotFound("blob", sha)
            row = (await conn.execute(select(SYNC.blobs.c.content_type, SYNC.blobs.c.data).where(SYNC.blobs.c.sha256 == sha))).first()
        if row is None or row.content_type not in POD_TYPES:
            raise NotFound("blob", sha)
        return Response(row.data, media_type=row.content_type, headers={"cache-control": "private, max-age=3600"})
