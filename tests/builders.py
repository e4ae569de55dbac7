"""Small builders that make tests read like the rule they check."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from server.domain import orders as domain
from server.db.tables import metadata
from server.domain.events import Actor
from server.usecases import catalog, stock
from server.usecases.customers import create_customer
from server.wire.customers import CustomerWrite
from sync.database import Database

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
OFFICE = Actor("user", "test-office")


def at(minutes: int = 0) -> datetime:
    return T0 + timedelta(minutes=minutes)


def products(*skus: str, price: int = 1000, currency: str = "RUB") -> dict[str, domain.ProductRef]:
    return {sku: domain.ProductRef(i, sku, f"Product {sku}", price, currency) for i, sku in enumerate(skus, start=1)}


def an_order(lines: list[tuple[str, int]] = [("SKU-1", 2)], catalog: dict | None = None, **overrides) -> domain.Order:  # noqa: B006
    """A draft order for the given (sku, quantity) lines."""
    catalog = catalog or products(*{sku for sku, _ in lines})
    request = domain.OrderRequest(
        customer_id=1,
        warehouse_id=1,
        source=domain.Source.API,
        lines=[domain.LineRequest(sku, qty) for sku, qty in lines],
        **({"payment": domain.PaymentTerms(domain.PaymentKind.PREPAID)} | overrides),
    )
    order, _ = domain.create_order(request, catalog, "SO-0000001", at())
    return order


async def a_world(db: Database, stock_by_sku: dict[str, int]) -> dict[str, int]:
    """A warehouse with one bin, a company customer, and products with the given stock."""
    warehouse_id = await catalog.create_warehouse(db, "W1", "Warehouse 1")
    await catalog.create_location(db, warehouse_id, "A-01", "LA01", "A", 10)
    customer_id = await create_customer(
        db, CustomerWrite(kind="company", name="ООО «Тест»", inn="7707083893", kpp="770701001")
    )
    ids = {"warehouse": warehouse_id, "customer": customer_id}
    for sku, qty in stock_by_sku.items():
        ids[sku] = await catalog.create_product(db, catalog.ProductSpec(sku=sku, name=f"Болт {sku}", price=1250, currency="RUB"))
        if qty:
            await stock.receive_goods(db, OFFICE, warehouse_id, [stock.ReceiptItem(sku, qty, "A-01")], "initial")
    return ids


def order_request(customer_id: int, warehouse_id: int, lines: list[tuple[str, int]]) -> domain.OrderRequest:
    return domain.OrderRequest(
        customer_id=customer_id,
        warehouse_id=warehouse_id,
        source=domain.Source.API,
        lines=[domain.LineRequest(sku, qty) for sku, qty in lines],
        payment=domain.PaymentTerms(domain.PaymentKind.CASH_ON_DELIVERY),
    )


def postgres_reset_sql() -> list[str]:
    """The statements that empty the shared PostgreSQL test database between tests: everything a test
    writes goes, the reference data that migrations write (the change-log clock's row, the delivery
    failure reasons) stays, and a new epoch starts."""
    kept = {"sync_state", "failure_reasons"}
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables if t.name not in kept)
    return [f"TRUNCATE {tables} RESTART IDENTITY CASCADE",
            f"UPDATE sync_state SET version = 0, purged_through = 0, epoch = '{uuid.uuid4().hex[:16]}'"]  # fmt: skip
