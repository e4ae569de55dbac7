"""Orders: creation, confirmation with reservation, cancellation and the later stage moves.

Every function takes the current state and the time (`at`), and returns the new state plus
the events it records; a broken rule raises `Refused`. Nothing here touches a clock or a database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from enum import StrEnum

from server.domain.events import OrderEvent
from server.domain.lifecycle import ENTERED_EVENT, OrderStatus, check_transition
from server.domain.refusals import Refused


class Source(StrEnum):
    WEB = "web"
    PHONE = "phone"
    API = "api"
    IMPORT = "import"
    INTERNAL = "internal"


class PaymentKind(StrEnum):
    PREPAID = "prepaid"
    CASH_ON_DELIVERY = "cash_on_delivery"
    CARD_ON_DELIVERY = "card_on_delivery"
    INVOICE = "invoice"


class CancelReason(StrEnum):
    CUSTOMER_REQUEST = "customer_request"
    OUT_OF_STOCK = "out_of_stock"
    DUPLICATE = "duplicate"
    PAYMENT_FAILED = "payment_failed"
    ADDRESS_PROBLEM = "address_problem"
    FRAUD = "fraud"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class PaymentTerms:
    kind: PaymentKind
    due_days: int = 0  # only for invoice terms: days from shipment to the due date


@dataclass(frozen=True, slots=True)
class DeliveryWindow:
    day: date
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class ProductRef:
    """What an order needs to know about a product when a line is written."""

    id: int
    sku: str
    name: str
    price: int
    currency: str


@dataclass(frozen=True, slots=True)
class LineRequest:
    sku: str
    quantity: int
    unit_price: int | None = None  # None: the catalog price


@dataclass(frozen=True, slots=True)
class OrderLine:
    line_no: int
    product_id: int
    sku: str
    name: str
    quantity: int
    unit_price: int

    @property
    def amount(self) -> int:
        return self.quantity * self.unit_price


@dataclass(frozen=True, slots=True)
class OrderRequest:
    customer_id: int
    warehouse_id: int
    source: Source
    lines: Sequence[LineRequest]
    payment: PaymentTerms
    currency: str | None = None  # None: the currency of the catalog prices
    delivery_address: str | None = None
    delivery: DeliveryWindow | None = None
    notes: str = ""
    external_ref: str | None = None


@dataclass(frozen=True, slots=True)
class Order:
    id: int | None
    number: str
    customer_id: int
    warehouse_id: int
    source: Source
    status: OrderStatus
    currency: str
    lines: tuple[OrderLine, ...]
    payment: PaymentTerms
    delivery_address: str | None
    delivery: DeliveryWindow | None
    notes: str
    external_ref: str | None
    created_at: datetime
    updated_at: datetime
    cancel_reason: str | None = None
    cancel_note: str | None = None

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)

    def quantities(self) -> dict[int, int]:
        """Units ordered per product id (a product may appear on several lines)."""
        wanted: dict[int, int] = {}
        for line in self.lines:
            wanted[line.product_id] = wanted.get(line.product_id, 0) + line.quantity
        return wanted


@dataclass(frozen=True, slots=True)
class Reservation:
    product_id: int
    quantity: int


@dataclass(frozen=True, slots=True)
class ShortLine:
    sku: str
    ordered: int
    available: int


MAX_LINES = 500


def create_order(
    request: OrderRequest, products: Mapping[str, ProductRef], number: str, at: datetime
) -> tuple[Order, list[OrderEvent]]:
    """Write a draft order from a request, pricing lines from the catalog where no price is given."""
    if not request.lines:
        raise Refused("order_has_no_lines", "an order needs at least one line")
    if len(request.lines) > MAX_LINES:
        raise Refused("too_many_lines", f"an order may have at most {MAX_LINES} lines")
    unknown = sorted({line.sku for line in request.lines if line.sku not in products})
    if unknown:
        raise Refused("unknown_sku", f"unknown SKU: {', '.join(unknown)}", skus=unknown)
    for line in request.lines:
        if line.quantity <= 0:
            raise Refused("quantity_not_positive", f"quantity of {line.sku} must be positive")
        if line.unit_price is not None and line.unit_price < 0:
            raise Refused("price_negative", f"price of {line.sku} must not be negative")
    currencies = {products[line.sku].currency for line in request.lines}
    currency = request.currency or next(iter(sorted(currencies)))
    if currencies != {currency}:
        raise Refused(
            "currency_mismatch",
            f"order currency {currency} differs from the catalog prices ({', '.join(sorted(currencies))})",
        )
    if request.delivery is not None and request.delivery.start >= request.delivery.end:
        raise Refused("invalid_delivery_window", "a delivery window must end after it starts")
    if request.payment.due_days < 0 or (
        request.payment.kind != PaymentKind.INVOICE and request.payment.due_days
    ):
        raise Refused("invalid_payment_terms", "due days apply only to invoice terms and are not negative")

    lines = tuple(
        OrderLine(
            line_no=i,
            product_id=products[req.sku].id,
            sku=req.sku,
            name=products[req.sku].name,
            quantity=req.quantity,
            unit_price=products[req.sku].price if req.unit_price is None else req.unit_price,
        )
        for i, req in enumerate(request.lines, start=1)
    )
    order = Order(
        id=None,
        number=number,
        customer_id=request.customer_id,
        warehouse_id=request.warehouse_id,
        source=request.source,
        status=OrderStatus.DRAFT,
        currency=currency,
        lines=lines,
        payment=request.payment,
        delivery_address=request.delivery_address,
        delivery=request.delivery,
        notes=request.notes,
        external_ref=request.external_ref,
        created_at=at,
        updated_at=at,
    )
    event = OrderEvent(
        "order_created",
        at,
        {"number": number, "source": str(request.source), "lines": len(lines), "total": order.total},
    )
    return order, [event]


def confirm_order(
    order: Order, available: Mapping[int, int], at: datetime
) -> tuple[Order, list[Reservation], list[OrderEvent]]:
    """Confirm a draft, reserving every unit; refuse with the short lines if stock is missing."""
    check_transition(order.status, OrderStatus.CONFIRMED)
    wanted = order.quantities()
    short_products = {pid for pid, qty in wanted.items() if available.get(pid, 0) < qty}
    if short_products:
        skus = {line.product_id: line.sku for line in order.lines}
        short = [
            ShortLine(skus[pid], wanted[pid], max(available.get(pid, 0), 0)) for pid in sorted(short_products)
        ]
        raise Refused(
            "insufficient_stock",
            "not enough stock for: " + ", ".join(f"{s.sku} ({s.available} of {s.ordered})" for s in short),
            short_lines=[{"sku": s.sku, "ordered": s.ordered, "available": s.available} for s in short],
        )
    reservations = [Reservation(pid, qty) for pid, qty in sorted(wanted.items())]
    confirmed = replace(order, status=OrderStatus.CONFIRMED, updated_at=at)
    event = OrderEvent(
        ENTERED_EVENT[OrderStatus.CONFIRMED],
        at,
        {"reserved": [{"product_id": r.product_id, "quantity": r.quantity} for r in reservations]},
    )
    return confirmed, reservations, [event]


def cancel_order(order: Order, reason: str, note: str, at: datetime) -> tuple[Order, list[OrderEvent]]:
    """Cancel before loading; a reason code and a note are both mandatory."""
    if reason not in CancelReason.__members__.values():
        raise Refused(
            "cancel_reason_invalid",
            f"cancel reason must be one of: {', '.join(r.value for r in CancelReason)}",
        )
    if not note.strip():
        raise Refused("cancel_note_required", "a cancellation needs a note saying why")
    check_transition(order.status, OrderStatus.CANCELLED)
    cancelled = replace(
        order, status=OrderStatus.CANCELLED, updated_at=at, cancel_reason=reason, cancel_note=note.strip()
    )
    event = OrderEvent(
        ENTERED_EVENT[OrderStatus.CANCELLED],
        at,
        {"reason": reason, "note": note.strip(), "from_status": str(order.status)},
    )
    return cancelled, [event]


def advance_order(
    order: Order, target: OrderStatus, at: datetime, data: Mapping[str, object] | None = None
) -> tuple[Order, list[OrderEvent]]:
    """Move an order to a later stage the lifecycle allows (the warehouse and courier flows call this)."""
    if target == OrderStatus.CANCELLED:
        raise Refused("use_cancel", "cancellation needs a reason: use cancel_order")
    if target == OrderStatus.CONFIRMED:
        raise Refused("use_confirm", "confirmation reserves stock: use confirm_order")
    check_transition(order.status, target)
    moved = replace(order, status=target, updated_at=at)
    return moved, [OrderEvent(ENTERED_EVENT[target], at, dict(data or {}) | {"from_status": str(order.status)})]
