"""Wire structs for stock: levels, goods receipts and adjustments."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from server.wire.common import Id, Quantity, Sku


class ReceiptLine(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    sku: Sku
    quantity: Quantity
    location: Annotated[str, msgspec.Meta(min_length=1, max_length=64, description="Bin code or barcode")]


class GoodsReceipt(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    warehouse_id: Id
    lines: Annotated[list[ReceiptLine], msgspec.Meta(min_length=1, max_length=1000)]
    note: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class StockAdjustment(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Set a bin's counted quantity, or change it by a signed delta, with a reason."""

    warehouse_id: Id
    sku: Sku
    location: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    reason: Literal["count", "damage", "loss", "found", "expired", "other"]
    counted: Annotated[int, msgspec.Meta(ge=0, le=10**9)] | None = None
    delta: Annotated[int, msgspec.Meta(ge=-(10**9), le=10**9)] | None = None
    note: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class BinLevel(msgspec.Struct, frozen=True):
    location_id: int
    location: str
    quantity: int


class StockLevel(msgspec.Struct, frozen=True):
    warehouse_id: int
    product_id: int
    sku: str
    on_hand: int
    reserved: int
    available: int
    bins: list[BinLevel]


class StockLevelPage(msgspec.Struct, frozen=True):
    items: list[StockLevel]
    next: str | None


class MoveResult(msgspec.Struct, frozen=True):
    moves: int
