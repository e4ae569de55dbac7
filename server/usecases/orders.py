"""Order use cases: create (idempotent), confirm with reservation, cancel. One transaction each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import bindparam, delete, insert, select, update

from server.clock import now
from server.db.dialect import upsert
from server.db.order_store import append_events, insert_order, load_order, next_counter, save_status
from server.db.tables import (
    SYNC,
    customer_addresses,
    customers,
    idempotency_keys,
    product_stock,
    products,
    reservations,
    warehouses,
)
from server.domain import orders as domain
from server.domain.events import Actor
from server.domain.refusals import NotFound, Refused
from server.syncapp import feeds
from sync import changelog
from sync.database import Database


@dataclass(frozen=True, slots=True)
class Created:
    order_id: int
    created: bool  # False when an Idempotency-Key replay returned the earlier order


@dataclass(frozen=True, slots=True)
class IdempotencyKey:
    token_id: int
    key: str
    request_hash: str


def order_number(n: int) -> str:
    """The human order number for the n-th order."""
    return f"SO-{n:07d}"


async def _claim_key(conn, key: IdempotencyKey) -> int | None:  # noqa: ANN001
    """Claim an idempotency key, or return the order an earlier identical request created.

    The claim is an INSERT ... ON CONFLICT DO NOTHING: on PostgreSQL a concurrent twin blocks on
    the unique key until the first transaction commits, then finds its row; on SQLite writers
    are serialized anyway. Either way exactly one transaction creates the order.
    """
    inserted = await conn.execute(
        upsert(conn, idempotency_keys)
        .values(token_id=key.token_id, key=key.key, request_hash=key.request_hash, created_at=now())
        .on_conflict_do_nothing(index_elements=["token_id", "key"])
        .returning(idempotency_keys.c.key)
    )
    if inserted.first() is not None:
        return None
    row = (
        await conn.execute(
            select(idempotency_keys.c.request_hash, idempotency_keys.c.order_id).where(
                idempotency_keys.c.token_id == key.token_id, idempotency_keys.c.key == key.key
            )
        )
    ).one()
    if row.request_hash != key.request_hash:
        raise Refused(
            "idempotency_key_reused", "this Idempotency-Key was used with a different request body", key=key.key
        )
    return row.order_id


async def _resolve_address(conn, customer_id: int, address_id: int | None, text: str | None) -> str | None:  # noqa: ANN001
    if address_id is None:
        return text
    row = (
        await conn.execute(
            select(customer_addresses.c.text).where(
                customer_addresses.c.id == address_id, customer_addresses.c.customer_id == customer_id
            )
        )
    ).first()
    if row is None:
        raise NotFound("delivery_address", address_id)
    return row.text


async def create_order(
    db: Database,
    actor: Actor,
    request: domain.OrderRequest,
    *,
    delivery_address_id: int | None = None,
    idempotency: IdempotencyKey | None = None,
) -> Created:
    """Create a draft order; with an idempotency key, a replay returns the first order."""
    at = now()
    async with db.write() as conn:
        if idempotency is not None:
            earlier = await _claim_key(conn, idempotency)
            if earlier is not None:
                return Created(earlier, created=False)
        if (await conn.execute(select(customers.c.id).where(customers.c.id == request.customer_id))).first() is None:
            raise NotFound("customer", request.customer_id)
        warehouse_id = request.warehouse_id
        if warehouse_id:
            found = (await conn.execute(select(warehouses.c.id).where(warehouses.c.id == warehouse_id))).first()
        else:
            found = (await conn.execute(select(warehouses.c.id).order_by(warehouses.c.id).limit(1))).first()
        if found is None:
            raise NotFound("warehouse", warehouse_id or "default")
        address = await _resolve_address(conn, request.customer_id, delivery_address_id, request.delivery_address)
        skus = sorted({line.sku for line in request.lines})
        rows = await conn.execute(
            select(products.c.id, products.c.sku, products.c.name, products.c.price, products.c.currency).where(
                products.c.sku.in_(skus)
            )
        )
        catalog = {row.sku: domain.ProductRef(row.id, row.sku, row.name, row.price, row.currency) for row in rows}
        request = replace(request, warehouse_id=found.id, delivery_address=address)
        number = order_number(await next_counter(conn, "order_number"))
        order, events = domain.create_order(request, catalog, number, at)
        order_id = await insert_order(conn, order)
        await append_events(conn, order_id, actor, events)
        if idempotency is not None:
            await conn.execute(
                update(idempotency_keys)
                .where(idempotency_keys.c.token_id == idempotency.token_id, idempotency_keys.c.key == idempotency.key)
                .values(order_id=order_id)
            )
        return Created(order_id, created=True)


async def _levels_for_update(conn, warehouse_id: int, product_ids: Sequence[int]) -> dict[int, int]:  # noqa: ANN001
    """Available units per product, locking the stock rows (in product order, so no deadlocks)."""
    query = (
        select(product_stock.c.product_id, product_stock.c.on_hand, product_stock.c.reserved)
        .where(product_stock.c.warehouse_id == warehouse_id, product_stock.c.product_id.in_(product_ids))
        .order_by(product_stock.c.product_id)
        .with_for_update()
    )
    return {row.product_id: row.on_hand - row.reserved for row in await conn.execute(query)}


async def _shift_reserved(conn, warehouse_id: int, deltas: list[tuple[int, int]]) -> None:  # noqa: ANN001
    """Add signed quantities to products' reserved stock: one statement for all of an order's products."""
    if deltas:
        await conn.execute(
            update(product_stock)
            .where(product_stock.c.warehouse_id == warehouse_id, product_stock.c.product_id == bindparam("pid"))
            .values(reserved=product_stock.c.reserved + bindparam("delta")),
            [{"pid": pid, "delta": delta} for pid, delta in deltas],
        )


async def confirm_order(db: Database, actor: Actor, order_id: int) -> None:
    """Confirm a draft and reserve its stock, or refuse with the short lines."""
    at = now()
    async with db.write() as conn:
        order = await load_order(conn, order_id, for_update=True)
        wanted = order.quantities()
        available = await _levels_for_update(conn, order.warehouse_id, sorted(wanted))
        confirmed, reserved, events = domain.confirm_order(order, available, at)
        await _shift_reserved(conn, order.warehouse_id, [(item.product_id, item.quantity) for item in reserved])
        await conn.execute(
            insert(reservations),
            [
                {
                    "order_id": order_id,
                    "product_id": item.product_id,
                    "warehouse_id": order.warehouse_id,
                    "quantity": item.quantity,
                    "created_at": at,
                }
                for item in reserved
            ],
        )
        await save_status(conn, confirmed)
        await append_events(conn, order_id, actor, events)


async def cancel_order(db: Database, actor: Actor, order_id: int, reason: str, note: str) -> None:
    """Cancel an order before loading; what it still holds reserved becomes available again."""
    at = now()
    async with db.write() as conn:
        order = await load_order(conn, order_id, for_update=True)
        cancelled, events = domain.cancel_order(order, reason, note, at)
        held = (
            await conn.execute(
                select(reservations.c.product_id, reservations.c.quantity)
                .where(reservations.c.order_id == order_id)
                .order_by(reservations.c.product_id)
            )
        ).all()
        await _shift_reserved(conn, order.warehouse_id, [(row.product_id, -row.quantity) for row in held])
        await conn.execute(delete(reservations).where(reservations.c.order_id == order_id))
        released = [{"product_id": row.product_id, "quantity": row.quantity} for row in held]
        events = [replace(event, data=event.data | {"released": released}) for event in events]
        await save_status(conn, cancelled)
        await append_events(conn, order_id, actor, events)
        # Whatever task the order was waiting in leaves the warehouse's devices.
        changes = await feeds.check_task_changes(conn, [order_id]) + await feeds.pack_order_changes(conn, [order_id])
        changes += await feeds.load_route_changes(conn, await feeds.routes_to_load(conn, [order_id]))
        await changelog.record(conn, SYNC, changes, at)
