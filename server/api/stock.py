"""HTTP handlers for stock levels, goods receipts and adjustments."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import Parameter

from server.api.auth import ANY, STAFF, allow, check_warehouse
from server.reads.stock import stock_levels
from server.usecases import stock as usecases
from server.wire.common import Limit
from server.wire.stock import GoodsReceipt, MoveResult, StockAdjustment, StockLevelPage
from sync.database import Database


class StockController(Controller):
    path = "/api/stock"
    tags = ["stock"]

    @get("/", guards=[allow(*ANY)], operation_id="listStockLevels")
    async def levels(
        self,
        db: Database,
        request: Request,
        warehouse_id: int = Parameter(ge=1),
        sku: str | None = None,
        after: str | None = None,
        limit: Limit = 100,
    ) -> StockLevelPage:
        check_warehouse(request.user, warehouse_id)
        async with db.read() as conn:
            return await stock_levels(conn, warehouse_id, sku=sku, after=after, limit=limit)

    @post("/receipts", guards=[allow(*STAFF)], operation_id="receiveGoods", status_code=201)
    async def receive(self, db: Database, request: Request, data: GoodsReceipt) -> MoveResult:
        check_warehouse(request.user, data.warehouse_id)
        items = [usecases.ReceiptItem(line.sku, line.quantity, line.location) for line in data.lines]
        moves = await usecases.receive_goods(db, request.user.actor, data.warehouse_id, items, data.note)
        return MoveResult(moves)

    @post("/adjustments", guards=[allow(*STAFF)], operation_id="adjustStock", status_code=201)
    async def adjust(self, db: Database, request: Request, data: StockAdjustment) -> MoveResult:
        check_warehouse(request.user, data.warehouse_id)
        await usecases.adjust_stock(
            db,
            request.user.actor,
            data.warehouse_id,
            data.sku,
            data.location,
            reason=data.reason,
            counted=data.counted,
            delta=data.delta,
            note=data.note,
        )
        return MoveResult(1)
