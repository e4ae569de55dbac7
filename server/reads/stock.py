"""Read model for stock levels per warehouse and product, with the bins that hold them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.db.tables import bin_stock, locations, product_stock, products
from server.reads.paging import decode_cursor, encode_cursor
from server.wire.stock import BinLevel, StockLevel, StockLevelPage


async def stock_levels(
    conn: AsyncConnection, warehouse_id: int, *, sku: str | None, after: str | None, limit: int
) -> StockLevelPage:
    """Levels in product order, one keyset page at a time."""
    query = (
        select(product_stock.c.product_id, products.c.sku, product_stock.c.on_hand, product_stock.c.reserved)
        .join(products, products.c.id == product_stock.c.product_id)
        .where(product_stock.c.warehouse_id == warehouse_id)
        .order_by(product_stock.c.product_id)
        .limit(limit + 1)
    )
    if sku:
        query = query.where(products.c.sku == sku)
    if after:
        (last_id,) = decode_cursor(after, (int,))
        query = query.where(product_stock.c.product_id > last_id)
    rows = (await conn.execute(query)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    bins: dict[int, list[BinLevel]] = {row.product_id: [] for row in rows}
    if bins:
        found = await conn.execute(
            select(bin_stock.c.product_id, bin_stock.c.location_id, locations.c.code, bin_stock.c.quantity)
            .join(locations, locations.c.id == bin_stock.c.location_id)
            .where(locations.c.warehouse_id == warehouse_id, bin_stock.c.product_id.in_(list(bins)), bin_stock.c.quantity > 0)
            .order_by(bin_stock.c.product_id, locations.c.pick_seq)
        )
        for b in found:
            bins[b.product_id].append(BinLevel(b.location_id, b.code, b.quantity))
    items = [
        StockLevel(warehouse_id, r.product_id, r.sku, r.on_hand, r.reserved, r.on_hand - r.reserved, bins[r.product_id])
        for r in rows
    ]
    return StockLevelPage(items, encode_cursor(rows[-1].product_id) if more else None)
