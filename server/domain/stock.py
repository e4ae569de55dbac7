"""Stock rules: receipts, counted adjustments, and what a reservation may take.

Stock is kept per bin (physical units) and per warehouse and product (on hand and reserved).
Available = on hand - reserved, and no rule here ever lets it go below zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from server.domain.refusals import Refused


class AdjustReason(StrEnum):
    COUNT = "count"  # a stock count found a different quantity
    DAMAGE = "damage"
    LOSS = "loss"
    FOUND = "found"
    EXPIRED = "expired"
    OTHER = "other"


class MoveCause(StrEnum):
    RECEIPT = "receipt"
    ADJUSTMENT = "adjustment"
    PICK = "pick"
    PUT_BACK = "put_back"
    RETURN = "return"


@dataclass(frozen=True, slots=True)
class Level:
    """A product's stock in one warehouse."""

    on_hand: int
    reserved: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


@dataclass(frozen=True, slots=True)
class Adjustment:
    bin_qty: int  # the bin's new quantity
    delta: int  # signed change applied to the bin and to on hand


def receive(quantity: int) -> int:
    """Validate a received quantity (goods receipt only adds)."""
    if quantity <= 0:
        raise Refused("quantity_not_positive", "a receipt adds a positive quantity")
    return quantity


def adjust(bin_qty: int, level: Level, *, delta: int | None, counted: int | None, reason: str, note: str) -> Adjustment:
    """Apply a counted quantity or a signed delta to a bin, with a reason."""
    if reason not in AdjustReason.__members__.values():
        raise Refused("adjust_reason_invalid", f"reason must be one of: {', '.join(r.value for r in AdjustReason)}")
    if reason == AdjustReason.OTHER and not note.strip():
        raise Refused("adjust_note_required", "reason 'other' needs a note")
    if (delta is None) == (counted is None):
        raise Refused("adjust_needs_delta_or_count", "give either a delta or a counted quantity")
    if counted is not None:
        if counted < 0:
            raise Refused("quantity_negative", "a counted quantity cannot be negative")
        delta = counted - bin_qty
    assert delta is not None
    if delta == 0:
        raise Refused("adjust_no_change", "the adjustment changes nothing")
    new_bin = bin_qty + delta
    if new_bin < 0:
        raise Refused("stock_negative", f"the bin holds {bin_qty}; it cannot lose {-delta}", bin_qty=bin_qty)
    if level.on_hand + delta < level.reserved:
        # Taking away units already promised to confirmed orders would make available negative;
        # the office must first cancel or short those orders.
        raise Refused(
            "stock_reserved",
            f"{level.reserved} units are reserved; on hand cannot drop to {level.on_hand + delta}",
            reserved=level.reserved,
        )
    return Adjustment(new_bin, delta)
