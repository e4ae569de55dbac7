"""HTTP handlers for orders: create (with Idempotency-Key), read with timeline, list, confirm, cancel."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import HeaderParameter, Parameter

from server.api.auth import ANY, ORDER_WRITERS, STAFF, allow, check_warehouse, visible_warehouse
from server.domain import orders as domain
from server.reads import orders as reads
from server.usecases import checking
from server.usecases import orders as usecases
from server.usecases.tokens import Principal, Role
from server.wire.common import Limit
from server.wire.orders import CancelRequest, Order, OrderCreate, OrderPage
from sync.database import Database

Status = Literal[
    "draft", "confirmed", "picking", "picked", "checked", "packed", "loaded", "out_for_delivery",
    "delivered", "partially_delivered", "failed", "returned", "closed", "cancelled",
]  # fmt: skip
IdempotencyHeader = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Same key and body: the same order. Same key, other body: 409.",
    ),
]


class OverrideRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


def _request(data: OrderCreate) -> domain.OrderRequest:
    delivery = domain.DeliveryWindow(data.delivery.date, data.delivery.start, data.delivery.end) if data.delivery else None
    return domain.OrderRequest(
        customer_id=data.customer_id,
        warehouse_id=data.warehouse_id or 0,
        source=domain.Source(data.source),
        lines=[domain.LineRequest(line.sku, line.quantity, line.unit_price) for line in data.lines],
        payment=domain.PaymentTerms(domain.PaymentKind(data.payment.kind), data.payment.due_days),
        currency=data.currency,
        delivery_address=data.delivery_address,
        delivery=delivery,
        notes=data.notes,
        external_ref=data.external_ref,
    )


async def _read(db: Database, order_id: int, principal: Principal) -> Order:
    async with db.read() as conn:
        return await reads.get_order(conn, order_id, visible_warehouse(principal))


class OrderController(Controller):
    path = "/api/orders"
    tags = ["orders"]

    @post("/", guards=[allow(*ORDER_WRITERS)], operation_id="createOrder", status_code=201)
    async def create(
        self, db: Database, request: Request, data: OrderCreate, idempotency_key: IdempotencyHeader = None
    ) -> Response[Order]:
        principal: Principal = request.user
        if data.warehouse_id is not None:
            check_warehouse(principal, data.warehouse_id)
        idempotency = None
        if idempotency_key is not None:
            digest = hashlib.sha256(msgspec.json.encode(data)).hexdigest()
            idempotency = usecases.IdempotencyKey(principal.token_id, idempotency_key, digest)
        created = await usecases.create_order(
            db, principal.actor, _request(data), delivery_address_id=data.delivery_address_id, idempotency=idempotency
        )
        order = await _read(db, created.order_id, principal)
        headers = {"Location": f"/api/orders/{order.id}"}
        if not created.created:
            headers["Idempotent-Replayed"] = "true"
        return Response(order, status_code=201 if created.created else 200, headers=headers)

    @get("/", guards=[allow(*ANY)], operation_id="listOrders")
    async def list(
        self,
        db: Database,
        request: Request,
        after: str | None = None,
        limit: Limit = 50,
        status: Status | None = None,
        customer_id: int | None = Parameter(default=None, ge=1),
        source: Literal["web", "phone", "api", "import", "internal"] | None = None,
        warehouse_id: int | None = Parameter(default=None, ge=1),
        created_from: datetime | None = None,
        created_to: datetime | None = None,
        delivery_date: date | None = None,
    ) -> OrderPage:
        principal: Principal = request.user
        if warehouse_id is not None:
            check_warehouse(principal, warehouse_id)
        async with db.read() as conn:
            return await reads.list_orders(
                conn,
                after=after,
                limit=limit,
                status=status,
                customer_id=customer_id,
                source=source,
                warehouse_id=warehouse_id or visible_warehouse(principal),
                created_from=created_from,
                created_to=created_to,
                delivery_date=delivery_date,
            )

    @get("/{order_id:int}", guards=[allow(*ANY)], operation_id="getOrder")
    async def read(self, db: Database, request: Request, order_id: int) -> Order:
        return await _read(db, order_id, request.user)

    @post("/{order_id:int}/confirm", guards=[allow(*STAFF)], operation_id="confirmOrder", status_code=200)
    async def confirm(self, db: Database, request: Request, order_id: int) -> Order:
        await _read(db, order_id, request.user)  # 404 for an order outside the caller's warehouse
        await usecases.confirm_order(db, request.user.actor, order_id)
        return await _read(db, order_id, request.user)

    @post("/{order_id:int}/check-override", guards=[allow(Role.ADMIN, Role.SUPERVISOR)], operation_id="overrideCheck", status_code=200)
    async def override_check(self, db: Database, request: Request, order_id: int, data: OverrideRequest) -> Order:
        """Accept a picked order as checked despite a discrepancy, with a reason (recorded)."""
        await _read(db, order_id, request.user)
        await checking.override_check(db, request.user.actor, order_id, data.reason)
        return await _read(db, order_id, request.user)

    @post("/{order_id:int}/cancel", guards=[allow(*STAFF)], operation_id="cancelOrder", status_code=200)
    async def cancel(self, db: Database, request: Request, order_id: int, data: CancelRequest) -> Order:
        await _read(db, order_id, request.user)
        await usecases.cancel_order(db, request.user.actor, order_id, data.reason, data.note)
        return await _read(db, order_id, request.user)
