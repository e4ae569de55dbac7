"""HTTP handlers for pick lists: create for an order or a wave, assign to a device, read."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import Parameter
from sqlalchemy import select

from server.api.auth import STAFF, allow, check_warehouse
from server.db.tables import pick_lists
from server.domain.refusals import NotFound
from server.syncapp.feeds import pick_list_docs
from server.usecases import picking as usecases
from server.wire.common import Id
from sync.database import Database


class PickListCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    warehouse_id: Id
    order_ids: Annotated[list[Id], msgspec.Meta(min_length=1, max_length=200)]
    totes: Annotated[list[Annotated[str, msgspec.Meta(min_length=1, max_length=64)]], msgspec.Meta(max_length=200)] | None = None


class PickListAssign(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    device_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None


async def _read(db: Database, request: Request, list_id: int) -> dict[str, Any]:
    async with db.read() as conn:
        row = (await conn.execute(select(pick_lists).where(pick_lists.c.id == list_id))).first()
        if row is None or request.user.warehouse_id not in (None, row.warehouse_id):
            raise NotFound("pick_list", list_id)
        (doc,) = await pick_list_docs(conn, [row])
    return doc | {"warehouse_id": row.warehouse_id}


class PickListController(Controller):
    path = "/api/pick-lists"
    tags = ["warehouse"]

    @post("/", guards=[allow(*STAFF)], operation_id="createPickList", status_code=201)
    async def create(self, db: Database, request: Request, data: PickListCreate) -> dict[str, Any]:
        """A pick list for one confirmed order, or a wave of several picked into totes."""
        check_warehouse(request.user, data.warehouse_id)
        list_id = await usecases.create_pick_list(db, data.warehouse_id, data.order_ids, data.totes)
        return await _read(db, request, list_id)

    @get("/", guards=[allow(*STAFF)], operation_id="listPickLists")
    async def list(
        self, db: Database, request: Request, warehouse_id: int = Parameter(ge=1), status: Literal["open", "done", "cancelled"] = "open"
    ) -> list[dict[str, Any]]:
        check_warehouse(request.user, warehouse_id)
        async with db.read() as conn:
            rows = (await conn.execute(select(pick_lists).where(pick_lists.c.warehouse_id == warehouse_id, pick_lists.c.status == status)
                                       .order_by(pick_lists.c.id))).all()  # fmt: skip
            return await pick_list_docs(conn, rows)

    @get("/{list_id:int}", guards=[allow(*STAFF)], operation_id="getPickList")
    async def read(self, db: Database, request: Request, list_id: int) -> dict[str, Any]:
        return await _read(db, request, list_id)

    @post("/{list_id:int}/assign", guards=[allow(*STAFF)], operation_id="assignPickList", status_code=200)
    async def assign(self, db: Database, request: Request, list_id: int, data: PickListAssign) -> dict[str, Any]:
        """Assign the list to one device (null clears it); another device's claim is dropped."""
        await usecases.assign_pick_list(db, list_id, data.device_id, bound_warehouse=request.user.warehouse_id)
        return await _read(db, request, list_id)
