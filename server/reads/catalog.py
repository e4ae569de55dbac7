"""Read models for warehouses, bins and products (direct queries, wire structs out)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.db.tables import locations, product_barcodes, products, warehouses
from server.domain.refusals import NotFound
from server.reads.paging import decode_cursor, encode_cursor
from server.wire.catalog import Barcode, Location, Product, ProductPage, Warehouse


async def list_warehouses(conn: AsyncConnection) -> list[Warehouse]:
    rows = await conn.execute(select(warehouses).order_by(warehouses.c.id))
    return [Warehouse(r.id, r.code, r.name, r.address) for r in rows]


async def list_locations(conn: AsyncConnection, warehouse_id: int) -> list[Location]:
    rows = await conn.execute(
        select(locations).where(locations.c.warehouse_id == warehouse_id).order_by(locations.c.pick_seq, locations.c.id)
    )
    return [Location(r.id, r.warehouse_id, r.code, r.barcode, r.zone, r.pick_seq) for r in rows]


async def _with_barcodes(conn: AsyncConnection, rows: list) -> list[Product]:
    codes: dict[int, list[Barcode]] = {row.id: [] for row in rows}
    if codes:
        found = await conn.execute(
            select(product_barcodes)
            .where(product_barcodes.c.product_id.in_(list(codes)))
            .order_by(product_barcodes.c.product_id, product_barcodes.c.code)
        )
        for b in found:
            codes[b.product_id].append(Barcode(b.code, b.multiplier))
    return [
        Product(r.id, r.sku, r.name, r.unit, r.price, r.currency, r.weight_g, r.marked, codes[r.id], r.updated_at)
        for r in rows
    ]


async def get_product(conn: AsyncConnection, product_id: int) -> Product:
    rows = (await conn.execute(select(products).where(products.c.id == product_id))).all()
    if not rows:
        raise NotFound("product", product_id)
    return (await _with_barcodes(conn, rows))[0]


async def list_products(conn: AsyncConnection, *, after: str | None, limit: int, sku_prefix: str | None) -> ProductPage:
    """Products in id order, one keyset page at a time."""
    query = select(products).order_by(products.c.id).limit(limit + 1)
    if after:
        (last_id,) = decode_cursor(after, (int,))
        query = query.where(products.c.id > last_id)
    if sku_prefix:
        query = query.where(products.c.sku.startswith(sku_prefix, autoescape=True))
    rows = (await conn.execute(query)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return ProductPage(await _with_barcodes(conn, rows), encode_cursor(rows[-1].id) if more else None)
