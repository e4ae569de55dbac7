"""The order lifecycle as data: which status may follow which, and the event each step records."""

from __future__ import annotations

from enum import StrEnum

from server.domain.refusals import Refused


class OrderStatus(StrEnum):
    DRAFT = "draft"
    CONFIRMED = "confirmed"
    PICKING = "picking"
    PICKED = "picked"
    CHECKED = "checked"
    PACKED = "packed"
    LOADED = "loaded"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    PARTIALLY_DELIVERED = "partially_delivered"
    FAILED = "failed"
    RETURNED = "returned"
    CLOSED = "closed"
    CANCELLED = "cancelled"


S = OrderStatus

# Cancellation is allowed "from any stage before loading": once parcels are on a vehicle the
# order can only end through delivery, failure or return.
CANCELLABLE: frozenset[OrderStatus] = frozenset(
    {S.DRAFT, S.CONFIRMED, S.PICKING, S.PICKED, S.CHECKED, S.PACKED}
)

TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.DRAFT: frozenset({S.CONFIRMED}),
    S.CONFIRMED: frozenset({S.PICKING}),
    S.PICKING: frozenset({S.PICKED}),
    S.PICKED: frozenset({S.CHECKED}),
    S.CHECKED: frozenset({S.PACKED}),
    S.PACKED: frozenset({S.LOADED}),
    S.LOADED: frozenset({S.OUT_FOR_DELIVERY}),
    S.OUT_FOR_DELIVERY: frozenset({S.DELIVERED, S.PARTIALLY_DELIVERED, S.FAILED}),
    S.DELIVERED: frozenset({S.CLOSED}),
    # What the customer refused comes back to the warehouse before the order can close.
    S.PARTIALLY_DELIVERED: frozenset({S.RETURNED, S.CLOSED}),
    # A failed delivery is either loaded again for re-delivery or brought back.
    S.FAILED: frozenset({S.LOADED, S.RETURNED}),
    S.RETURNED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}
for _status in CANCELLABLE:
    TRANSITIONS[_status] = TRANSITIONS[_status] | {S.CANCELLED}

# The timeline event recorded when an order enters a status (past tense: it happened).
ENTERED_EVENT: dict[OrderStatus, str] = {
    S.CONFIRMED: "order_confirmed",
    S.PICKING: "picking_started",
    S.PICKED: "order_picked",
    S.CHECKED: "order_checked",
    S.PACKED: "order_packed",
    S.LOADED: "order_loaded",
    S.OUT_FOR_DELIVERY: "order_dispatched",
    S.DELIVERED: "order_delivered",
    S.PARTIALLY_DELIVERED: "order_partially_delivered",
    S.FAILED: "delivery_failed",
    S.RETURNED: "order_returned",
    S.CLOSED: "order_closed",
    S.CANCELLED: "order_cancelled",
}


def all_edges() -> list[tuple[OrderStatus, OrderStatus]]:
    """Every allowed (from, to) pair."""
    return [(a, b) for a, targets in TRANSITIONS.items() for b in sorted(targets)]


def check_transition(current: OrderStatus, target: OrderStatus) -> None:
    """Refuse a move the table does not allow."""
    if target not in TRANSITIONS[current]:
        raise Refused(
            "transition_not_allowed",
            f"an order cannot go from {current} to {target}",
            order_status=str(current),
            target=str(target),
        )
