"""Read models for orders: one order with lines and timeline, and filtered keyset pages."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.db.tables import order_events, order_lines, orders
from server.domain.refusals import NotFound
from server.reads.paging import decode_cursor, encode_cursor
from server.wire.orders import DeliveryWindow, Event, Line, Order, OrderPage, OrderSummary, PaymentTerms


async def get_order(conn: AsyncConnection, order_id: int, warehouse_id: int | None = None) -> Order:
    """One order with its lines and its whole timeline; `warehouse_id` limits what is visible."""
    query = select(orders).where(orders.c.id == order_id)
    if warehouse_id is not None:
        query = query.where(orders.c.warehouse_id == warehouse_id)
    row = (await conn.execute(query)).first()
    if row is None:
        raise NotFound("order", order_id)
    lines = await conn.execute(select(order_lines).where(order_lines.c.order_id == order_id).order_by(order_lines.c.line_no))
    events = await conn.execute(select(order_events).where(order_events.c.order_id == order_id).order_by(order_events.c.id))
    delivery = DeliveryWindow(row.delivery_date, row.window_start, row.window_end) if row.delivery_date else None
    return Order(
        id=row.id,
        number=row.number,
        customer_id=row.customer_id,
        warehouse_id=row.warehouse_id,
        source=row.source,
        status=row.status,
        currency=row.currency,
        total=row.total,
        payment=PaymentTerms(row.payment_kind, row.payment_due_days),
        delivery_address=row.delivery_address,
        delivery=delivery,
        notes=row.notes,
        external_ref=row.external_ref,
        cancel_reason=row.cancel_reason,
        cancel_note=row.cancel_note,
        created_at=row.created_at,
        updated_at=row.updated_at,
        lines=[
            Line(li.line_no, li.product_id, li.sku, li.name, li.quantity, li.unit_price, li.quantity * li.unit_price)
            for li in lines
        ],
        timeline=[
            Event(e.id, e.type, e.data, e.actor_kind, e.actor_id, e.device_id, e.captured_at, e.recorded_at)
            for e in events
        ],
    )


async def list_orders(
    conn: AsyncConnection,
    *,
    after: str | None,
    limit: int,
    status: str | None = None,
    customer_id: int | None = None,
    source: str | None = None,
    warehouse_id: int | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    delivery_date: date | None = None,
) -> OrderPage:
    """Orders newest first, filtered, one keyset page at a time (cost independent of depth)."""
    query = (
        select(
            orders.c.id,
            orders.c.number,
            orders.c.customer_id,
            orders.c.warehouse_id,
            orders.c.source,
            orders.c.status,
            orders.c.currency,
            orders.c.total,
            orders.c.delivery_date,
            orders.c.created_at,
        )
        .order_by(orders.c.id.desc())
        .limit(limit + 1)
    )
    if after:
        (last_id,) = decode_cursor(after, (int,))
        query = query.where(orders.c.id < last_id)
    filters = {
        orders.c.status: status,
        orders.c.customer_id: customer_id,
        orders.c.source: source,
        orders.c.warehouse_id: warehouse_id,
        orders.c.delivery_date: delivery_date,
    }
    for column, value in filters.items():
        if value is not None:
            query = query.where(column == value)
    if created_from is not None:
        query = query.where(orders.c.created_at >= created_from)
    if created_to is not None:
        query = query.where(orders.c.created_at < created_to)
    rows = (await conn.execute(query)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [OrderSummary(*row) for row in rows]
    return OrderPage(items, encode_cursor(rows[-1].id) if more else None)
