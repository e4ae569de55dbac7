"""Stock use cases: goods receipt and adjustments, each move recorded with its cause."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import insert, or_, select, update

from server.clock import now
from server.db.dialect import upsert
from server.db.tables import bin_stock, locations, product_stock, products, stock_moves, warehouses
from server.domain import stock as domain
from server.domain.events import Actor
from server.domain.refusals import NotFound, Refused
from sync.database import Database


@dataclass(frozen=True, slots=True)
class ReceiptItem:
    sku: str
    quantity: int
    location: str  # bin code or barcode


async def _location_ids(conn, warehouse_id: int, refs: Sequence[str]) -> dict[str, int]:  # noqa: ANN001
    rows = await conn.execute(
        select(locations.c.id, locations.c.code, locations.c.barcode).where(
            locations.c.warehouse_id == warehouse_id, or_(locations.c.code.in_(refs), locations.c.barcode.in_(refs))
        )
    )
    found: dict[str, int] = {}
    for row in rows:
        found[row.code] = row.id
        found[row.barcode] = row.id
    missing = sorted(set(refs) - found.keys())
    if missing:
        raise Refused("location_unknown", f"no such bin in this warehouse: {', '.join(missing)}", locations=missing)
    return found


async def _product_ids(conn, skus: Sequence[str]) -> dict[str, int]:  # noqa: ANN001
    found = {row.sku: row.id for row in await conn.execute(select(products.c.id, products.c.sku).where(products.c.sku.in_(skus)))}
    missing = sorted(set(skus) - found.keys())
    if missing:
        raise Refused("unknown_sku", f"unknown SKU: {', '.join(missing)}", skus=missing)
    return found


async def _add(conn, warehouse_id: int, location_id: int, product_id: int, delta: int) -> None:  # noqa: ANN001
    """Add a signed quantity to a bin and to the warehouse total (upserts, constant statements)."""
    if delta < 0:
        # Taking away: both rows exist (the domain refused a bin going below zero). Not an upsert: SQLite
        # checks the CHECK constraints on the row an upsert proposes (quantity -1) before ON CONFLICT
        # turns it into an update, so every lowering adjustment failed with a 500 there.
        await conn.execute(update(bin_stock).where(bin_stock.c.location_id == location_id, bin_stock.c.product_id == product_id)
                           .values(quantity=bin_stock.c.quantity + delta))  # fmt: skip
        await conn.execute(update(product_stock).where(product_stock.c.warehouse_id == warehouse_id, product_stock.c.product_id == product_id)
                           .values(on_hand=product_stock.c.on_hand + delta))  # fmt: skip
        return
    await conn.execute(
        upsert(conn, bin_stock)
        .values(location_id=location_id, product_id=product_id, quantity=delta)
        .on_conflict_do_update(
            index_elements=["location_id", "product_id"], set_={"quantity": bin_stock.c.quantity + delta}
        )
    )
    await conn.execute(
        upsert(conn, product_stock)
        .values(warehouse_id=warehouse_id, product_id=product_id, on_hand=delta, reserved=0)
        .on_conflict_do_update(
            index_elements=["warehouse_id", "product_id"], set_={"on_hand": product_stock.c.on_hand + delta}
        )
    )


async def receive_goods(db: Database, actor: Actor, warehouse_id: int, items: Sequence[ReceiptItem], note: str) -> int:
    """Put received units into bins; return the number of moves recorded."""
    for item in items:
        domain.receive(item.quantity)
    at = now()
    async with db.write() as conn:
        if (await conn.execute(select(warehouses.c.id).where(warehouses.c.id == warehouse_id))).first() is None:
            raise NotFound("warehouse", warehouse_id)
        bins = await _location_ids(conn, warehouse_id, sorted({i.location for i in items}))
        skus = await _product_ids(conn, sorted({i.sku for i in items}))
        for item in items:
            await _add(conn, warehouse_id, bins[item.location], skus[item.sku], item.quantity)
        await conn.execute(
            insert(stock_moves),
            [
                {
                    "warehouse_id": warehouse_id,
                    "product_id": skus[i.sku],
                    "to_location_id": bins[i.location],
                    "quantity": i.quantity,
                    "cause": domain.MoveCause.RECEIPT,
                    "note": note,
                    "actor": actor.id,
                    "at": at,
                }
                for i in items
            ],
        )
    return len(items)


async def adjust_stock(
    db: Database,
    actor: Actor,
    warehouse_id: int,
    sku: str,
    location: str,
    *,
    reason: str,
    counted: int | None,
    delta: int | None,
    note: str,
) -> int:
    """Correct a bin's quantity with a reason; return the signed change applied."""
    at = now()
    async with db.write() as conn:
        bin_id = (await _location_ids(conn, warehouse_id, [location]))[location]
        product_id = (await _product_ids(conn, [sku]))[sku]
        bin_row = (
            await conn.execute(
                select(bin_stock.c.quantity)
                .where(bin_stock.c.location_id == bin_id, bin_stock.c.product_id == product_id)
                .with_for_update()
            )
        ).first()
        level_row = (
            await conn.execute(
                select(product_stock.c.on_hand, product_stock.c.reserved)
                .where(product_stock.c.warehouse_id == warehouse_id, product_stock.c.product_id == product_id)
                .with_for_update()
            )
        ).first()
        level = domain.Level(level_row.on_hand, level_row.reserved) if level_row else domain.Level(0, 0)
        change = domain.adjust(
            bin_row.quantity if bin_row else 0, level, delta=delta, counted=counted, reason=reason, note=note
        )
        await _add(conn, warehouse_id, bin_id, product_id, change.delta)
        await conn.execute(
            insert(stock_moves).values(
                warehouse_id=warehouse_id,
                product_id=product_id,
                from_location_id=bin_id if change.delta < 0 else None,
                to_location_id=bin_id if change.delta > 0 else None,
                quantity=abs(change.delta),
                cause=domain.MoveCause.ADJUSTMENT,
                reason=reason,
                note=note,
                actor=actor.id,
                at=at,
            )
        )
        return change.delta
