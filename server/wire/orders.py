"""Wire structs for orders: the create request, the read shape with its timeline, list pages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec

from server.wire.common import Currency, Id, LongText, MinorUnits, Quantity, ShortText, Sku


class LineWrite(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    sku: Sku
    quantity: Quantity
    unit_price: MinorUnits | None = None  # null: the catalog price


class DeliveryWindow(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    date: dt.date
    start: dt.time
    end: dt.time


class PaymentTerms(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    kind: Literal["prepaid", "cash_on_delivery", "card_on_delivery", "invoice"]
    due_days: Annotated[int, msgspec.Meta(ge=0, le=365)] = 0


class OrderCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    customer_id: Id
    lines: Annotated[list[LineWrite], msgspec.Meta(min_length=1, max_length=500)]
    payment: PaymentTerms
    source: Literal["web", "phone", "api", "import", "internal"] = "api"
    warehouse_id: Id | None = None  # null: the customer's usual (the first) warehouse
    currency: Currency | None = None
    delivery_address_id: Id | None = None
    delivery_address: Annotated[str, msgspec.Meta(max_length=1000)] | None = None
    delivery: DeliveryWindow | None = None
    notes: LongText = ""
    external_ref: ShortText | None = None


class CancelRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    reason: Literal[
        "customer_request", "out_of_stock", "duplicate", "payment_failed", "address_problem", "fraud", "other"
    ]
    note: Annotated[str, msgspec.Meta(max_length=2000)]


class Line(msgspec.Struct, frozen=True):
    line_no: int
    product_id: int
    sku: str
    name: str
    quantity: int
    unit_price: int
    amount: int


class Event(msgspec.Struct, frozen=True):
    id: int
    type: str
    data: dict[str, Any]
    actor_kind: str
    actor_id: str
    device_id: str | None
    captured_at: dt.datetime | None  # the device's clock
    recorded_at: dt.datetime  # the server's clock


class Order(msgspec.Struct, frozen=True):
    id: int
    number: str
    customer_id: int
    warehouse_id: int
    source: str
    status: str
    currency: str
    total: int
    payment: PaymentTerms
    delivery_address: str | None
    delivery: DeliveryWindow | None
    notes: str
    external_ref: str | None
    cancel_reason: str | None
    cancel_note: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    lines: list[Line] = []
    timeline: list[Event] = []


class OrderSummary(msgspec.Struct, frozen=True):
    id: int
    number: str
    customer_id: int
    warehouse_id: int
    source: str
    status: str
    currency: str
    total: int
    delivery_date: dt.date | None
    created_at: dt.datetime


class OrderPage(msgspec.Struct, frozen=True):
    items: list[OrderSummary]
    next: str | None
