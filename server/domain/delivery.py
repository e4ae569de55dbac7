"""At the door: which parcels belong to the stop, what a proof of delivery must hold, and what
each outcome does to the order. Deliveries are facts: the server records them whatever the office
did meanwhile and reports contradictions; the device enforces the policy before it lets a
courier finish."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from server.domain.lifecycle import OrderStatus
from server.domain.refusals import Refused


class Outcome(StrEnum):
    DELIVERED = "delivered"
    PARTIAL = "partial"
    FAILED = "failed"


OUTCOME_STATUS = {
    Outcome.DELIVERED: OrderStatus.DELIVERED,
    Outcome.PARTIAL: OrderStatus.PARTIALLY_DELIVERED,
    Outcome.FAILED: OrderStatus.FAILED,
}


@dataclass(frozen=True, slots=True)
class PodPolicy:
    """What a proof of delivery must hold."""

    signature: bool = True
    photo: bool = False
    code: bool = False

    @classmethod
    def merge(cls, customer: Mapping | None, order: Mapping | None) -> PodPolicy:
        """The order's policy overrides the customer's, field by field; the default asks for a signature."""
        fields = {"signature": True, "photo": False, "code": False}
        for source in (customer or {}, order or {}):
            fields |= {k: bool(v) for k, v in source.items() if k in fields}
        return cls(**fields)


@dataclass(frozen=True, slots=True)
class Proof:
    recipient_name: str | None
    signature: bool  # a signature image (and strokes) was captured
    photos: int
    code_ok: bool | None  # None: no code entered


@dataclass(frozen=True, slots=True)
class Refusal:
    product_id: int
    quantity: int
    reason: str


def check_door_scan(stop_parcels: Sequence[str], scanned: str) -> None:
    """At the door only this stop's parcels may be scanned (a parcel of another stop is refused)."""
    if scanned not in stop_parcels:
        raise Refused("parcel_of_other_stop", "this parcel does not belong to this stop", scanned=scanned)


def missing_proof(policy: PodPolicy, proof: Proof) -> list[str]:
    """What the policy asks for and the proof lacks (empty when complete)."""
    missing = []
    if not (proof.recipient_name or "").strip():
        missing.append("recipient_name")
    if policy.signature and not proof.signature:
        missing.append("signature")
    if policy.photo and proof.photos == 0:
        missing.append("photo")
    if policy.code and not proof.code_ok:
        missing.append("code")
    return missing


def check_outcome(
    outcome: str, ordered: Mapping[int, int], refused: Sequence[Refusal], failure_reason: str | None, reasons: Sequence[str]
) -> None:
    """The shape of a reported outcome: a failed delivery names a known reason; a partial one names
    what was refused, never more than was ordered; a full delivery refuses nothing."""
    if outcome not in Outcome.__members__.values():
        raise Refused("outcome_invalid", "outcome is delivered, partial or failed")
    if outcome == Outcome.FAILED:
        if failure_reason not in reasons:
            raise Refused("failure_reason_invalid", f"reason must be one of: {', '.join(reasons)}")
        return
    if outcome == Outcome.DELIVERED and refused:
        raise Refused("refused_on_full_delivery", "a full delivery refuses nothing; report it as partial")
    if outcome == Outcome.PARTIAL:
        if not refused:
            raise Refused("partial_without_refusal", "a partial delivery names what was refused")
        totals: dict[int, int] = {}
        for r in refused:
            if r.quantity < 1 or not r.reason.strip():
                raise Refused("refusal_invalid", "each refused line has a positive quantity and a reason")
            totals[r.product_id] = totals.get(r.product_id, 0) + r.quantity
        for pid, qty in totals.items():
            if qty > ordered.get(pid, 0):
                raise Refused("refused_more_than_ordered", f"product {pid}: refused {qty}, ordered {ordered.get(pid, 0)}")
        if all(totals.get(pid, 0) >= qty for pid, qty in ordered.items()):
            raise Refused("partial_refuses_everything", "everything was refused: report a failed delivery")


def delivery_conflict(status: OrderStatus) -> str | None:
    """The exception a delivery fact opens when the order was not out for delivery, if any."""
    if status == OrderStatus.CANCELLED:
        return "delivered_after_cancel"
    if status != OrderStatus.OUT_FOR_DELIVERY:
        return "delivery_unexpected"
    return None


# --- What happens to the stop's parcels, and what comes back to the warehouse -----------------

# Parcel statuses as the courier flow sets them (the same words as server.domain.packing.ParcelStatus).
PARCEL_DELIVERED, PARCEL_REFUSED, PARCEL_LOADED, PARCEL_RETURNED = "delivered", "refused", "loaded", "returned"


def parcel_outcomes(outcome: str, aboard: Sequence[str], scanned: Sequence[str]) -> dict[str, str]:
    """The new status of each of the stop's parcels: handed over, or coming back.

    A failed delivery changes nothing: the parcels stay on the vehicle (status loaded) until they
    are loaded onto another route (re-delivery) or scanned back in at the warehouse (return).
    A full delivery hands over every parcel aboard; a partial one hands over what was scanned at
    the door and brings the rest back (refused).
    """
    if outcome == Outcome.FAILED:
        return {}
    fates = {sscc: PARCEL_DELIVERED for sscc in scanned}
    for sscc in aboard:
        if sscc not in fates:
            fates[sscc] = PARCEL_DELIVERED if outcome == Outcome.DELIVERED else PARCEL_REFUSED
    return fates


def unscanned(outcome: str, aboard: Sequence[str], scanned: Sequence[str]) -> list[str]:
    """Parcels a full delivery handed over without a door scan (the proof then lacks them)."""
    if outcome != Outcome.DELIVERED:
        return []
    return [sscc for sscc in aboard if sscc not in scanned]


@dataclass(frozen=True, slots=True)
class ReturnPlan:
    """What scanning one parcel back in at the warehouse does."""

    units: dict[int, int]  # product id -> units restored into the returns bin
    parcel_status: str  # the parcel's status afterwards
    order_returned: bool  # the order moves to `returned` (nothing of it is still on its way back)
    conflict: str | None  # an exception to open: the record did not expect this parcel back


def plan_return(order_status: OrderStatus, parcel_status: str, contents: Mapping[int, int],
                outstanding: Mapping[int, int], others_out: int) -> ReturnPlan:  # fmt: skip
    """A parcel scanned back in: restore what came back, and say whether the order is returned.

    - failed order: the parcel's contents come back; the order is returned with its last parcel;
    - partially delivered order: the refused units (`outstanding`, not yet restored) come back
      with the first scan of any of its labels — a refused parcel, or the label of a delivered one
      when the courier carried the refused units loose; the order is returned when no refused
      parcel is still out;
    - a parcel handed over to the customer is theirs: nothing comes back (`nothing_to_return`);
    - cancelled order (packed, never shipped): the contents go back to stock, the order stays;
    - any other stage: the parcel is physically here, so it is restored and reported.
    """
    if parcel_status == PARCEL_RETURNED:
        raise Refused("parcel_already_returned", "this parcel was scanned back in before")
    if order_status == OrderStatus.FAILED:
        return ReturnPlan(dict(contents), PARCEL_RETURNED, others_out == 0, None)
    if order_status == OrderStatus.PARTIALLY_DELIVERED:
        units = {pid: qty for pid, qty in outstanding.items() if qty > 0}
        if parcel_status != PARCEL_REFUSED and not units:
            raise Refused("nothing_to_return", "this parcel was handed over and nothing of its order is due back")
        status = PARCEL_RETURNED if parcel_status == PARCEL_REFUSED else parcel_status
        return ReturnPlan(units, status, others_out == 0, None)
    if parcel_status == PARCEL_DELIVERED:
        raise Refused("nothing_to_return", "this parcel was handed over and nothing of its order is due back")
    if order_status == OrderStatus.CANCELLED:
        return ReturnPlan(dict(contents), PARCEL_RETURNED, False, None)
    return ReturnPlan(dict(contents), PARCEL_RETURNED, False, "return_unexpected")
