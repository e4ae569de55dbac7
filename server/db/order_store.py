"""Reading and writing orders, their lines, reservations and timeline (no commits here)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.db.dialect import upsert
from server.db.tables import counters, order_events, order_lines, orders
from server.domain.events import Actor, OrderEvent
from server.domain.lifecycle import OrderStatus
from server.domain.orders import DeliveryWindow, Order, OrderLine, PaymentKind, PaymentTerms, Source
from server.domain.refusals import NotFound


async def next_counter(conn: AsyncConnection, name: str) -> int:
    """Increment a named counter inside the caller's transaction and return the new value.

    An upsert, so the first use creates the row. On PostgreSQL it locks the row until commit,
    so numbers are unique and gap-free among committed transactions; SQLite's single writer
    does the same.
    """
    statement = upsert(conn, counters).values(name=name, value=1)
    statement = statement.on_conflict_do_update(
        index_elements=[counters.c.name], set_={"value": counters.c.value + 1}
    ).returning(counters.c.value)
    return (await conn.execute(statement)).scalar_one()


def _order_from(row, lines: Sequence) -> Order:  # noqa: ANN001
    delivery = None
    if row.delivery_date is not None:
        delivery = DeliveryWindow(row.delivery_date, row.window_start, row.window_end)
    return Order(
        id=row.id,
        number=row.number,
        customer_id=row.customer_id,
        warehouse_id=row.warehouse_id,
        source=Source(row.source),
        status=OrderStatus(row.status),
        currency=row.currency,
        lines=tuple(
            OrderLine(line.line_no, line.product_id, line.sku, line.name, line.quantity, line.unit_price)
            for line in lines
        ),
        payment=PaymentTerms(PaymentKind(row.payment_kind), row.payment_due_days),
        delivery_address=row.delivery_address,
        delivery=delivery,
        notes=row.notes,
        external_ref=row.external_ref,
        created_at=row.created_at,
        updated_at=row.updated_at,
        cancel_reason=row.cancel_reason,
        cancel_note=row.cancel_note,
    )


async def load_order(conn: AsyncConnection, order_id: int, *, for_update: bool = False) -> Order:
    """Load one order with its lines; `for_update` locks its row on PostgreSQL."""
    query = select(orders).where(orders.c.id == order_id)
    if for_update:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    if row is None:
        raise NotFound("order", order_id)
    lines = (
        await conn.execute(select(order_lines).where(order_lines.c.order_id == order_id).order_by(order_lines.c.line_no))
    ).all()
    return _order_from(row, lines)


async def load_orders_many(conn: AsyncConnection, order_ids: Sequence[int]) -> dict[int, Order]:
    """Load several orders with their lines in two queries."""
    rows = (await conn.execute(select(orders).where(orders.c.id.in_(list(order_ids))))).all()
    lines: dict[int, list] = {row.id: [] for row in rows}
    if lines:
        for line in await conn.execute(
            select(order_lines).where(order_lines.c.order_id.in_(list(lines))).order_by(order_lines.c.order_id, order_lines.c.line_no)
        ):
            lines[line.order_id].append(line)
    return {row.id: _order_from(row, lines[row.id]) for row in rows}


async def insert_order(conn: AsyncConnection, order: Order) -> int:
    """Insert a new order and its lines; return its id."""
    delivery = order.delivery
    result = await conn.execute(
        insert(orders)
        .values(
            number=order.number,
            customer_id=order.customer_id,
            warehouse_id=order.warehouse_id,
            source=str(order.source),
            status=str(order.status),
            currency=order.currency,
            total=order.total,
            payment_kind=str(order.payment.kind),
            payment_due_days=order.payment.due_days,
            delivery_address=order.delivery_address,
            delivery_date=delivery.day if delivery else None,
            window_start=delivery.start if delivery else None,
            window_end=delivery.end if delivery else None,
            notes=order.notes,
            external_ref=order.external_ref,
            created_at=order.created_at,
            updated_at=order.updated_at,
        )
        .returning(orders.c.id)
    )
    order_id = result.scalar_one()
    await conn.execute(
        insert(order_lines),
        [
            {
                "order_id": order_id,
                "line_no": line.line_no,
                "product_id": line.product_id,
                "sku": line.sku,
                "name": line.name,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
            }
            for line in order.lines
        ],
    )
    return order_id


async def save_status(conn: AsyncConnection, order: Order) -> None:
    """Write an order's status (and cancellation data) after a lifecycle step."""
    await conn.execute(
        update(orders)
        .where(orders.c.id == order.id)
        .values(
            status=str(order.status),
            updated_at=order.updated_at,
            cancel_reason=order.cancel_reason,
            cancel_note=order.cancel_note,
        )
    )


async def append_events(conn: AsyncConnection, order_id: int, actor: Actor, events: Sequence[OrderEvent]) -> None:
    """Append events to an order's timeline."""
    if not events:
        return
    await conn.execute(
        insert(order_events),
        [
            {
                "order_id": order_id,
                "type": event.type,
                "data": event.data,
                "actor_kind": actor.kind,
                "actor_id": actor.id,
                "device_id": actor.device_id,
                "captured_at": event.captured_at,
                "recorded_at": event.at,
            }
            for event in events
        ],
    )
