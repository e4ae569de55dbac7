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
