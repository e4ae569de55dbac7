"""A small warehouse for execution tests: bins, products with barcodes and stock, confirmed orders."""

from __future__ import annotations

from dataclasses import dataclass, field

from labels.gs1 import append_check_digit
from server.usecases import catalog, orders, stock
from server.usecases.customers import create_customer
from server.wire.customers import CustomerWrite
from sync.database import Database
from tests.builders import OFFICE, order_request


@dataclass
class World:
    warehouse: int
    customer: int
    bins: dict[str, tuple[int, str]] = field(default_factory=dict)  # code -> (id, barcode)
    products: dict[str, tuple[int, str]] = field(default_factory=dict)  # sku -> (id, unit EAN)
    cases: dict[str, str] = field(default_factory=dict)  # sku -> case GTIN-14 (12 units)


def ean(n: int) -> str:
    return append_check_digit(f"4601{n:08d}")


async def a_warehouse(db: Database, stock_by_sku: dict[str, tuple[str, int]], *, marked: set[str] = frozenset()) -> World:
    """stock_by_sku: sku -> (bin code, quantity). Bins A-01 (seq 10), B-01 (seq 20), C-01 (seq 30) exist."""
    warehouse = await catalog.create_warehouse(db, "MSK", "Москва")
    customer = await create_customer(db, CustomerWrite(kind="company", name="ООО «Метиз»", inn="7707083893"))
    world = World(warehouse, customer)
    for seq, code in enumerate(["A-01", "B-01", "C-01"], start=1):
        barcode = f"L{code.replace('-', '')}"
        world.bins[code] = (await catalog.create_location(db, warehouse, code, barcode, code[0], seq * 10), barcode)
    for n, (sku, (bin_code, qty)) in enumerate(stock_by_sku.items(), start=1):
        unit = ean(n)
        case = append_check_digit("1" + unit[:-1])
        product = await catalog.create_product(db, catalog.ProductSpec(
            sku, f"Болт {sku}", 1000 + n, "RUB", marked=sku in marked,
            barcodes=[catalog.BarcodeSpec(unit, 1), catalog.BarcodeSpec(case, 12)],
        ))  # fmt: skip
        world.products[sku] = (product, unit)
        world.cases[sku] = case
        if qty:
            await stock.receive_goods(db, OFFICE, warehouse, [stock.ReceiptItem(sku, qty, bin_code)], "initial")
    return world


async def a_confirmed_order(db: Database, world: World, lines: list[tuple[str, int]]) -> int:
    order_id = (await orders.create_order(db, OFFICE, order_request(world.customer, world.warehouse, lines))).order_id
    await orders.confirm_order(db, OFFICE, order_id)
    return order_id
