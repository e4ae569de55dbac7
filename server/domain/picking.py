"""Picking rules (комплектация): pick lists, scan-to-pick, short picks, and what a pick does to stock.

Two sides share these rules. The device checks a scan before recording it (wrong bin, wrong item,
over-pick, a missing marking code are refused on the spot, offline); the server checks again, and
where the device could not know better — two devices picking the same line, a reassignment while
offline — it accepts the fact and reports the contradiction instead of losing it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from server.domain.refusals import Refused
from server.domain.scanning import ScannedItem


class ShortReason(StrEnum):
    BIN_EMPTY = "bin_empty"
    DAMAGED = "damaged"
    NOT_FOUND = "not_found"


@dataclass(frozen=True, slots=True)
class PickLine:
    id: int
    pick_list_id: int
    order_id: int
    line_no: int
    product_id: int
    location_id: int
    location_barcode: str
    pick_seq: int
    quantity: int
    picked: int = 0
    shorted: int = 0
    short_reason: str | None = None
    marked: bool = False  # the product carries marking codes: one scan per unit, code recorded

    @property
    def remaining(self) -> int:
        return max(self.quantity - self.picked - self.shorted, 0)

    @property
    def done(self) -> bool:
        return self.picked + self.shorted >= self.quantity


@dataclass(frozen=True, slots=True)
class PickOutcome:
    line: PickLine
    units: int  # units recorded as picked
    within: int  # of those, units the order asked for (they consume the reservation)
    over: int  # units beyond the line's quantity: a fact to report and put back


@dataclass(frozen=True, slots=True)
class BinRequest:
    """Stock a pick line may draw from: a bin, its walking order, and what it holds."""

    location_id: int
    pick_seq: int
    quantity: int


def plan_pick_lines(
    order_id: int, line_no: int, product_id: int, quantity: int, bins: list[BinRequest]
) -> list[tuple[int, int, int]]:
    """Split one order line over bins in walking order: [(location_id, pick_seq, quantity)].

    Bins are used in pick sequence until the quantity is covered; if the record shows too little
    (it should not: reservations never exceed stock), the rest goes to the first bin, where the
    picker will short it and a recount will follow.
    """
    if not bins:
        raise Refused("no_bin_for_product", f"order {order_id} line {line_no}: the product has no bin in this warehouse")
    plan, left = [], quantity
    for b in sorted(bins, key=lambda b: (b.pick_seq, b.location_id)):
        if left == 0:
            break
        take = min(b.quantity, left)
        if take > 0:
            plan.append((b.location_id, b.pick_seq, take))
            left -= take
    if left:
        first = min(bins, key=lambda b: (b.pick_seq, b.location_id))
        merged = {loc: (seq, q) for loc, seq, q in plan}
        seq, q = merged.get(first.location_id, (first.pick_seq, 0))
        merged[first.location_id] = (seq, q + left)
        plan = [(loc, seq, q) for loc, (seq, q) in sorted(merged.items(), key=lambda kv: kv[1][0])]
    return plan


def check_scan(line: PickLine, bin_barcode: str, item: ScannedItem, quantity: int) -> int:
    """The device's check of one pick scan; returns the units it records. Raises on a wrong scan."""
    if bin_barcode != line.location_barcode:
        raise Refused("wrong_bin", "this is not the bin of the line", expected=line.location_barcode, scanned=bin_barcode)
    if item.product_id != line.product_id:
        raise Refused("wrong_item", "this item is not the line's product", expected=line.product_id, scanned=item.product_id)
    if quantity < 1:
        raise Refused("quantity_not_positive", "a pick counts at least one scan")
    if line.marked and item.marking_code is None:
        raise Refused("marking_code_required", "this product carries a marking code: scan the unit's DataMatrix")
    if line.marked and quantity != 1:
        raise Refused("marking_code_per_unit", "marked goods are scanned one unit at a time")
    units = item.units * quantity
    if units > line.remaining:
        raise Refused("over_pick", f"only {line.remaining} left to pick on this line", remaining=line.remaining, scanned=units)
    return units


def apply_pick(line: PickLine, units: int) -> PickOutcome:
    """Record picked units on the server. An over-pick is a fact: recorded, and reported as `over`."""
    if units < 1:
        raise Refused("quantity_not_positive", "a pick records at least one unit")
    within = min(units, line.remaining)
    return PickOutcome(replace(line, picked=line.picked + units), units, within, units - within)


def short_pick(line: PickLine, quantity: int, reason: str) -> PickLine:
    """Short a line: the units are not there. A reason is required; the bin gets a recount."""
    if reason not in ShortReason.__members__.values():
        raise Refused("short_reason_invalid", f"reason must be one of: {', '.join(r.value for r in ShortReason)}")
    if quantity < 1:
        raise Refused("quantity_not_positive", "a short pick names at least one unit")
    if quantity > line.remaining:
        raise Refused("short_exceeds_remaining", f"only {line.remaining} left on this line", remaining=line.remaining)
    return replace(line, shorted=line.shorted + quantity, short_reason=reason)


def claim(claimed_by: str | None, assigned_to: str | None, device_id: str, status: str) -> None:
    """A pick list is claimed by one device at a time (an intent: refused, not queued)."""
    if status != "open":
        raise Refused("pick_list_closed", f"the pick list is {status}")
    if assigned_to is not None and assigned_to != device_id:
        raise Refused("pick_list_assigned_elsewhere", "the pick list is assigned to another device")
    if claimed_by is not None and claimed_by != device_id:
        raise Refused("pick_list_claimed", "another device holds this pick list")


def release(claimed_by: str | None, device_id: str) -> None:
    """Only the holder releases a pick list."""
    if claimed_by != device_id:
        raise Refused("pick_list_not_held", "this device does not hold the pick list")
