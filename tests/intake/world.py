"""A small fasteners catalog, a company customer, and the bodies shops and files send."""

from __future__ import annotations

from labels.gs1 import gs1_check_digit
from server.usecases import catalog
from server.usecases.customers import create_customer
from server.wire.customers import CustomerWrite
from sync.database import Database

COMPANY_INN = "7707083893"


def ean(n: int) -> str:
    stem = f"460{n:09d}"
    return stem + str(gs1_check_digit(stem))


def case_gtin(unit_ean: str) -> str:
    stem = "1" + unit_ean[:-1]
    return stem + str(gs1_check_digit(stem))


CATALOG = [
    ("BOLT-8-40-ZN", "Болт DIN 933 М8х40 оцинк.", 1250),
    ("BOLT-8-40-A2", "Болт DIN 933 М8х40 нерж. A2", 4100),
    ("BOLT-10-50-ZN", "Болт DIN 933 М10х50 оцинк.", 2300),
    ("NUT-8-ZN", "Гайка DIN 934 М8 оцинк.", 300),
    ("WASHER-8-ZN", "Шайба DIN 125 М8 оцинк.", 120),
    ("SCREW-42-75", "Саморез по дереву 4,2х75 желт.", 90),
    ("FOAM-750", "Монтажная пена 750 мл", 45000),
    ("DRILL-18", "Дрель-шуруповёрт аккумуляторная 18 В", 890000),
]


async def an_intake_world(db: Database) -> dict[str, int]:
    """A warehouse, a company customer and the catalog above (each with an EAN-13; bolts with a case of 12)."""
    ids = {"warehouse": await catalog.create_warehouse(db, "W1", "Warehouse 1")}
    ids["customer"] = await create_customer(
        db, CustomerWrite(kind="company", name="ООО «Крепёж-Сервис»", inn=COMPANY_INN, kpp="770701001",
                          phone="+7 (495) 123-45-67", email="orders@krepezh.example")  # fmt: skip
    )
    for n, (sku, name, price) in enumerate(CATALOG, start=1):
        barcodes = [catalog.BarcodeSpec(ean(n))]
        if sku.startswith("BOLT"):
            barcodes.append(catalog.BarcodeSpec(case_gtin(ean(n)), 12))
        ids[sku] = await catalog.create_product(
            db, catalog.ProductSpec(sku=sku, name=name, price=price, currency="RUB", barcodes=barcodes)
        )
    return ids


def a_shop_order(external_id: str = "web-1001", lines: list[dict] | None = None, customer: dict | None = None, **extra) -> dict:
    """A shop's order body in the documented shape."""
    return {
        "external_id": external_id,
        "customer": customer if customer is not None else {"name": "Анна Смирнова", "phone": "+7 915 000-11-22", "email": "anna@example.com"},
        "lines": lines if lines is not None else [{"sku": "BOLT-8-40-ZN", "quantity": 10, "price": 1200},
                                                  {"text": "Гайки М8 оцинкованные", "quantity": 10}],  # fmt: skip
        "delivery": {"address": "Москва, ул. Ленина, 1", "date": "2026-11-05", "start": "10:00", "end": "14:00"},
        "payment": {"kind": "prepaid"},
        "notes": "позвонить за час",
    } | extra
