"""Receivables: what customers owe on open invoices, aged by days past due (0–30, 31–60, 61–90, 90+),
and invoices with the payments posted to them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.db.tables import customers, invoices, orders, payments
from server.domain.invoicing import AGING_BUCKETS, aging_bucket
from server.domain.refusals import NotFound

BUCKETS = tuple(label for _low, _high, label in AGING_BUCKETS)


@dataclass
class CustomerReceivable:
    customer_id: int
    customer: str
    currency: str
    open_invoices: int = 0
    balance: int = 0
    buckets: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0))
    oldest_due_on: date | None = None


async def receivables(conn: AsyncConnection, as_of: date, *, customer_id: int | None = None,
                      warehouse_id: int | None = None) -> list[CustomerReceivable]:  # fmt: skip
    """Open balances per customer and currency, each invoice's balance in its aging bucket as of a day."""
    i = invoices.c
    query = (
        select(i.customer_id, customers.c.name, i.currency, i.total, i.paid, i.due_on)
        .join(customers, customers.c.id == i.customer_id)
        .join(orders, orders.c.id == i.order_id)
        .where(i.status == "open")
    )
    if customer_id is not None:
        query = query.where(i.customer_id == customer_id)
    if warehouse_id is not None:
        query = query.where(orders.c.warehouse_id == warehouse_id)
    found: dict[tuple[int, str], CustomerReceivable] = {}
    for r in await conn.execute(query):
        balance = r.total - r.paid
        if balance <= 0:
            continue
        row = found.setdefault((r.customer_id, r.currency), CustomerReceivable(r.customer_id, r.name, r.currency))
        row.open_invoices += 1
        row.balance += balance
        row.buckets[aging_bucket(r.due_on, as_of)] += balance
        row.oldest_due_on = min(filter(None, (row.oldest_due_on, r.due_on)))
    return sorted(found.values(), key=lambda r: (-r.balance, r.customer_id, r.currency))


@dataclass(frozen=True, slots=True)
class PaymentLine:
    id: str
    source: str
    method: str
    amount: int
    bank_ref: str | None
    captured_at: datetime


@dataclass(frozen=True, slots=True)
class InvoiceRead:
    id: int
    number: str
    order_id: int
    order_number: str
    customer_id: int
    issued_on: date
    due_on: date
    currency: str
    total: int
    paid: int
    balance: int
    status: str
    payments: list[PaymentLine]


async def invoices_of(conn: AsyncConnection, *, order_id: int | None = None, number: str | None = None, customer_id: int | None = None,
                      status: str | None = None, warehouse_id: int | None = None, limit: int = 200) -> list[InvoiceRead]:  # fmt: skip
    """Invoices (newest first) with their payments."""
    i = invoices.c
    query = select(invoices, orders.c.number.label("order_number")).join(orders, orders.c.id == i.order_id).order_by(i.id.desc()).limit(limit)
    for wanted, column in ((order_id, i.order_id), (number, i.number), (customer_id, i.customer_id), (status, i.status),
                           (warehouse_id, orders.c.warehouse_id)):  # fmt: skip
        if wanted is not None:
            query = query.where(column == wanted)
    rows = (await conn.execute(query)).all()
    paid: dict[int, list[PaymentLine]] = {r.id: [] for r in rows}
    if paid:
        p = payments.c
        for r in await conn.execute(select(p.invoice_id, p.id, p.source, p.method, p.amount, p.bank_ref, p.captured_at)
                                    .where(p.invoice_id.in_(list(paid))).order_by(p.captured_at, p.id)):  # fmt: skip
            paid[r.invoice_id].append(PaymentLine(r.id, r.source, r.method, r.amount, r.bank_ref, r.captured_at))
    return [
        InvoiceRead(r.id, r.number, r.order_id, r.order_number, r.customer_id, r.issued_on, r.due_on, r.currency, r.total, r.paid,
                    0 if r.status == "void" else max(r.total - r.paid, 0), r.status, paid[r.id])  # fmt: skip
        for r in rows
    ]


async def invoice_of_order(conn: AsyncConnection, order_id: int, warehouse_id: int | None = None) -> InvoiceRead:
    found = await invoices_of(conn, order_id=order_id, warehouse_id=warehouse_id, limit=1)
    if not found:
        raise NotFound("invoice", f"order {order_id}")
    return found[0]
