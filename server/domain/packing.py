"""Packing rules (упаковка): SSCC blocks, parcels, what may go into them, pallets.

A packing device holds blocks of SSCC serial references the server allocated to it in advance,
so it labels parcels offline. The device checks each step with these functions before recording
it (the PWA mirrors them); the server checks again with what it knows. Packing moves no stock:
picking already took the units out of their bins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field, replace
from enum import StrEnum

from labels.errors import GS1Error
from labels.gs1 import build_sscc, validate_key
from server.domain.lifecycle import OrderStatus
from server.domain.refusals import Refused
from server.domain.scanning import ScannedItem


class ParcelStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    LOADED = "loaded"
    DELIVERED = "delivered"
    REFUSED = "refused"
    RETURNED = "returned"


# Parcels still on their way out of the warehouse: every one of them must be on the vehicle.
IN_WAREHOUSE = frozenset({ParcelStatus.OPEN, ParcelStatus.CLOSED, ParcelStatus.LOADED})
BEFORE_CHECK = frozenset({OrderStatus.DRAFT, OrderStatus.CONFIRMED, OrderStatus.PICKING, OrderStatus.PICKED})


@dataclass(frozen=True, slots=True)
class SsccBlock:
    """Serial references first..last (inclusive) under one extension digit and company prefix."""

    id: int
    extension_digit: int
    company_prefix: str
    first_serial: int
    last_serial: int

    @property
    def size(self) -> int:
        return self.last_serial - self.first_serial + 1

    def sscc(self, serial: int) -> str:
        """The SSCC of one serial reference of this block."""
        width = 16 - len(self.company_prefix)  # GenSpecs 2.2.1: 1 + prefix + serial = 17 digits
        return build_sscc(self.extension_digit, self.company_prefix, str(serial).rjust(width, "0"))

    def bounds(self) -> tuple[str, str]:
        """The lowest and highest 18-digit strings this block's SSCCs lie between (range queries)."""
        width = 16 - len(self.company_prefix)
        head = str(self.extension_digit) + self.company_prefix
        return head + str(self.first_serial).rjust(width, "0") + "0", head + str(self.last_serial).rjust(width, "0") + "9"

    def serial_of(self, sscc: str) -> int | None:
        """The serial reference of an SSCC if it lies in this block, else None."""
        head = str(self.extension_digit) + self.company_prefix
        if len(sscc) != 18 or not sscc.startswith(head):
            return None
        serial = int(sscc[len(head) : 17])
        return serial if self.first_serial <= serial <= self.last_serial else None


@dataclass(frozen=True, slots=True)
class Parcel:
    """One грузовое место: an SSCC, the order it belongs to, and what it holds per product."""

    id: str
    sscc: str
    order_id: int
    status: str = ParcelStatus.OPEN
    items: Mapping[int, int] = field(default_factory=dict)  # product id -> units
    weight_g: int | None = None
    pallet_sscc: str | None = None
    route_id: int | None = None

    def units(self, product_id: int) -> int:
        return self.items.get(product_id, 0)


@dataclass(frozen=True, slots=True)
class MarkingCode:
    """A marked unit as picking recorded it: whose order it went to, and its parcel once packed."""

    order_id: int | None
    parcel_id: str | None = None


@dataclass(frozen=True, slots=True)
class OrderPack:
    """What an order has to pack: the units picked for it per product, and its parcels so far."""

    order_id: int
    status: str
    picked: Mapping[int, int]  # product id -> picked units the order ships (over-picks go back)
    parcels: Sequence[Parcel] = ()
    marked: Set[int] = frozenset()  # products whose units carry marking codes

    def packed(self, product_id: int) -> int:
        return sum(p.units(product_id) for p in self.parcels)


# --- SSCCs ----------------------------------------------------------------------------------------
def check_sscc(sscc: str) -> str:
    """An SSCC is 18 digits with a valid GS1 check digit (GenSpecs 7.9), or `sscc_invalid`."""
    try:
        return validate_key(sscc, "sscc")
    except GS1Error as error:
        raise Refused("sscc_invalid", f"not a valid SSCC: {error}", sscc=sscc) from error


def check_new_sscc(sscc: str, blocks: Sequence[SsccBlock], used: Set[str]) -> SsccBlock:
    """A label this device may print: valid, in one of its own blocks, never used before."""
    check_sscc(sscc)
    block = next((b for b in blocks if b.serial_of(sscc) is not None), None)
    if block is None:
        raise Refused("sscc_not_allocated", f"SSCC {sscc} is not in a block allocated to this device", sscc=sscc)
    if sscc in used:
        raise Refused("sscc_used", f"SSCC {sscc} is already on another parcel or pallet", sscc=sscc)
    return block


def next_sscc(blocks: Sequence[SsccBlock], used: Set[str], *, after: Mapping[int, int] | None = None) -> str:
    """The device's next label: the lowest unused serial, oldest block first.

    `after` (block id -> next serial the server saw free) lets a device that lost its local
    state skip what it had used before (the block's `next_serial` in its scope).
    """
    for block in sorted(blocks, key=lambda b: b.id):
        start = max(block.first_serial, (after or {}).get(block.id, block.first_serial))
        for serial in range(start, block.last_serial + 1):
            sscc = block.sscc(serial)
            if sscc not in used:
                return sscc
    raise Refused("sscc_exhausted", "this device has no unused SSCC left: ask for a new block")


# --- parcels --------------------------------------------------------------------------------------
def check_packable(status: str) -> None:
    """Packing starts only once the order passed its check (and before it is packed)."""
    if status in BEFORE_CHECK:
        raise Refused("order_not_checked", f"the order is {status}: packing waits until its check passes", order_status=status)
    if status == OrderStatus.CANCELLED:
        raise Refused("order_cancelled", "the order was cancelled", order_status=status)
    if status != OrderStatus.CHECKED:
        raise Refused("order_already_packed", f"the order is {status}: its parcels are closed", order_status=status)


def open_parcel(order: OrderPack, parcel_id: str, sscc: str, blocks: Sequence[SsccBlock], used: Set[str]) -> Parcel:
    """Open a parcel for a checked order under a new SSCC from the device's blocks."""
    check_packable(order.status)
    if any(p.id == parcel_id for p in order.parcels):
        raise Refused("parcel_exists", f"parcel {parcel_id} is already open", parcel_id=parcel_id)
    check_new_sscc(sscc, blocks, used)
    return Parcel(parcel_id, sscc, order.order_id)


def check_pack(order: OrderPack, parcel: Parcel, item: ScannedItem, quantity: int,
               codes: Mapping[str, MarkingCode] | None = None) -> int:  # fmt: skip
    """The check of one scan into a parcel; returns the units it adds. Raises on a wrong scan.

    `codes` are the marking codes picked for the order (the server passes those it has seen).
    """
    if parcel.order_id != order.order_id:
        raise Refused("parcel_other_order", "this parcel belongs to another order")
    if parcel.status != ParcelStatus.OPEN:
        raise Refused("parcel_not_open", f"parcel {parcel.sscc} is {parcel.status}", sscc=parcel.sscc)
    if quantity < 1:
        raise Refused("quantity_not_positive", "a scan packs at least one unit")
    picked = order.picked.get(item.product_id, 0)
    if picked == 0:
        raise Refused("item_not_in_order", "this item was not picked for the order", scanned=item.product_id)
    if item.product_id in order.marked:
        if item.marking_code is None:
            raise Refused("marking_code_required", "this product carries a marking code: scan the unit's DataMatrix")
        if quantity != 1:
            raise Refused("marking_code_per_unit", "marked goods are packed one unit at a time")
        code = (codes or {}).get(item.marking_code)
        if code is None or code.order_id != order.order_id:
            raise Refused("marking_code_not_picked", "this unit was not picked for the order", marking_code=item.marking_code)
        if code.parcel_id is not None:
            raise Refused("marking_code_packed", "this unit is already in a parcel", marking_code=item.marking_code, parcel_id=code.parcel_id)
    units = item.units * quantity
    left = picked - order.packed(item.product_id)
    if units > left:
        raise Refused("over_pack", f"only {left} of this item left to pack for the order", left=left, scanned=units)
    return units


def pack(parcel: Parcel, product_id: int, units: int) -> Parcel:
    """Put checked units into a parcel."""
    return replace(parcel, items={**parcel.items, product_id: parcel.units(product_id) + units})


def close_parcel(parcel: Parcel, weight_g: int) -> Parcel:
    """Close a parcel with its weighed weight; an empty parcel is not closed."""
    if parcel.status != ParcelStatus.OPEN:
        raise Refused("parcel_not_open", f"parcel {parcel.sscc} is {parcel.status}", sscc=parcel.sscc)
    if not any(parcel.items.values()):
        raise Refused("parcel_empty", f"parcel {parcel.sscc} holds nothing")
    if weight_g < 1:
        raise Refused("weight_invalid", "a closed parcel has a positive weight in grams")
    return replace(parcel, status=ParcelStatus.CLOSED, weight_g=weight_g)


def fully_packed(order: OrderPack) -> bool:
    """Every unit picked for the order is in a closed parcel (then the order is packed)."""
    if not any(order.picked.values()):
        return False
    closed = [p for p in order.parcels if p.status != ParcelStatus.OPEN]
    return all(sum(p.units(pid) for p in closed) >= units for pid, units in order.picked.items())


def palletize(pallet_sscc: str, parcels: Sequence[Parcel]) -> list[Parcel]:
    """Put closed parcels on a pallet (aggregation: pallet -> parcels -> marking codes)."""
    check_sscc(pallet_sscc)
    if not parcels:
        raise Refused("pallet_empty", "name at least one parcel")
    out = []
    for parcel in parcels:
        if parcel.sscc == pallet_sscc:
            raise Refused("sscc_used", "a pallet cannot carry its own parcel's SSCC", sscc=pallet_sscc)
        if parcel.status == ParcelStatus.OPEN:
            raise Refused("parcel_not_closed", f"parcel {parcel.sscc} is still open", sscc=parcel.sscc)
        if parcel.pallet_sscc not in (None, pallet_sscc):
            raise Refused("parcel_on_pallet", f"parcel {parcel.sscc} is on pallet {parcel.pallet_sscc}", sscc=parcel.sscc)
        out.append(replace(parcel, pallet_sscc=pallet_sscc))
    return out
