"""HTTP handlers for packing and loading from the office: SSCC blocks for packing devices, an
order's parcels, and a supervisor's dispatch of a route with parcels missing."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from sqlalchemy import select

from server.api.auth import STAFF, allow
from server.db.tables import orders
from server.domain.refusals import NotFound
from server.syncapp.feeds import parcel_docs_by_order
from server.usecases import loading, packing
from server.usecases.tokens import Role
from sync.database import Database

MANAGERS = (Role.ADMIN, Role.SUPERVISOR)


class SsccBlockRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    count: Annotated[int, msgspec.Meta(ge=1, le=packing.MAX_BLOCK)] = packing.DEFAULT_BLOCK


class SsccBlock(msgspec.Struct, frozen=True):
    id: int
    device_id: str
    extension_digit: int
    company_prefix: str
    first_serial: int
    last_serial: int
    first_sscc: str
    last_sscc: str


class DispatchOverride(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    override_reason: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


class DispatchResult(msgspec.Struct, frozen=True):
    route_id: int
    status: str
    missing: dict[str, list[str]]  # order id -> SSCCs not aboard ([""] when the order has no parcel yet)
    out_for_delivery: list[int]
    left_behind: list[int]


class WarehouseOpsController(Controller):
    path = "/api"
    tags = ["warehouse"]

    @post("/devices/{device_id:str}/sscc-blocks", guards=[allow(*MANAGERS)], operation_id="allocateSsccBlock", status_code=201)
    async def allocate(self, db: Database, request: Request, device_id: str, data: SsccBlockRequest) -> SsccBlock:
        """Allocate SSCC serial references to a packing device; they reach it with its next pull."""
        block = await packing.allocate_sscc_block(db, device_id, data.count, bound_warehouse=request.user.warehouse_id,
                                                  numbering=packing.sscc_numbering(request.app.state.settings))  # fmt: skip
        first, last = block.sscc(block.first_serial), block.sscc(block.last_serial)
        return SsccBlock(block.id, device_id, block.extension_digit, block.company_prefix, block.first_serial, block.last_serial,
                         first, last)  # fmt: skip

    @get("/devices/{device_id:str}/sscc-blocks", guards=[allow(*MANAGERS)], operation_id="listSsccBlocks")
    async def blocks(self, db: Database, request: Request, device_id: str) -> list[dict[str, Any]]:
        """A device's SSCC blocks with the next unused serial of each."""
        return await packing.device_blocks(db, device_id, bound_warehouse=request.user.warehouse_id)

    @get("/orders/{order_id:int}/parcels", guards=[allow(*STAFF)], operation_id="listOrderParcels")
    async def parcels(self, db: Database, request: Request, order_id: int) -> list[dict[str, Any]]:
        """An order's parcels: SSCC, status, weight, pallet, route and contents."""
        async with db.read() as conn:
            warehouse = (await conn.execute(select(orders.c.warehouse_id).where(orders.c.id == order_id))).scalar_one_or_none()
            if warehouse is None or request.user.warehouse_id not in (None, warehouse):
                raise NotFound("order", order_id)
            return (await parcel_docs_by_order(conn, [order_id]))[order_id]

    @post("/routes/{route_id:int}/dispatch", guards=[allow(*STAFF)], operation_id="dispatchRouteWithOverride", status_code=200)
    async def dispatch(self, db: Database, request: Request, route_id: int, data: DispatchOverride) -> DispatchResult:
        """Dispatch a route with parcels missing; the reason is kept on the route and each order."""
        done = await loading.dispatch_with_override(db, request.user.actor, route_id, data.override_reason,
                                                    bound_warehouse=request.user.warehouse_id)  # fmt: skip
        return DispatchResult(route_id, "dispatched", {str(o): s for o, s in done.missing.items()}, list(done.leaving), list(done.left_behind))
