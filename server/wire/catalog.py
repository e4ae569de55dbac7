"""Wire structs for warehouses, bins and products (separate write and read shapes)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from server.wire.common import Currency, Id, MinorUnits, ShortText, Sku

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
BarcodeText = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class WarehouseCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    code: Code
    name: ShortText
    address: ShortText = ""


class Warehouse(msgspec.Struct, frozen=True):
    id: int
    code: str
    name: str
    address: str


class LocationCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    warehouse_id: Id
    code: Code
    barcode: BarcodeText
    pick_seq: Annotated[int, msgspec.Meta(ge=0, le=10**9)]
    zone: Annotated[str, msgspec.Meta(max_length=32)] = ""


class Location(msgspec.Struct, frozen=True):
    id: int
    warehouse_id: int
    code: str
    barcode: str
    zone: str
    pick_seq: int


class Barcode(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    code: BarcodeText
    multiplier: Annotated[int, msgspec.Meta(ge=1, le=100_000, description="Units one scan counts (a case of 12 = 12)")] = 1


class ProductWrite(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Create a product, or replace its data (the SKU must stay the same)."""

    sku: Sku
    name: ShortText
    price: MinorUnits
    currency: Currency
    unit: Annotated[str, msgspec.Meta(min_length=1, max_length=16)] = "pcs"
    weight_g: Annotated[int, msgspec.Meta(ge=0, le=10**8)] = 0
    marked: bool = False
    barcodes: Annotated[list[Barcode], msgspec.Meta(max_length=50)] = []


class Product(msgspec.Struct, frozen=True):
    id: int
    sku: str
    name: str
    unit: str
    price: int
    currency: str
    weight_g: int
    marked: bool
    barcodes: list[Barcode]
    updated_at: datetime


class ProductPage(msgspec.Struct, frozen=True):
    items: list[Product]
    next: str | None
