"""Courier ops from the phone (deliveries, payments, the cash handover) and the warehouse's scan of
a parcel that came back.

Deliveries and payments are facts: a malformed one is rejected with its rule's code (a bad outcome,
a parcel of another stop, a payment that does not add up, a stop of another courier's route), but
one that contradicts the office is recorded and opens an exception — delivered or paid after the
office cancelled, paid twice, a proof of delivery short of the policy, cash over the courier's
limit. A courier device acts on its own routes only (`outside_scope`) and hands over its own cash
(`handover_other_courier`). Signatures and photos are blobs the server must hold first: the
payload's `blobs` makes the engine answer `retry`/`blob_missing` until they are uploaded.

The batch's state (what these handlers read and change) is the `Courier` part in `courier.py`.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated

import msgspec

from server.domain import cash as cash_rules
from server.domain import delivery as rules
from server.domain import invoicing as invoice_rules
from server.domain.lifecycle import OrderStatus
from server.domain.loading import scanned_sscc
from server.domain.orders import PaymentKind
from server.domain.refusals import Refused
from server.syncapp.device_time import fact_time
from server.syncapp.effects import Effects
from server.usecases import returns
from server.usecases.devices import DeviceRole
from sync.registry import Op, Rejected, op_type
from server.wire.common import Id

if TYPE_CHECKING:
    from server.syncapp.courier import Courier

COURIERS = [DeviceRole.COURIER]
RECEIVERS = sorted({DeviceRole.LOADER, DeviceRole.WAREHOUSE})  # who scans returned parcels in at the dock

Sha256 = Annotated[str, msgspec.Meta(pattern="^[0-9a-fA-F]{64}$")]
SsccText = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Money = Annotated[int, msgspec.Meta(ge=0, le=10**13)]
Currency = Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$")]


class RefusedUnits(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    product_id: Id
    quantity: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class RecordDelivery(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    delivery_id: uuid.UUID  # made on the phone: the delivery exists offline
    order_id: Id
    route_id: Id
    outcome: Annotated[str, msgspec.Meta(max_length=16)]  # delivered | partial | failed (checked by the rule)
    parcels: Annotated[list[SsccText], msgspec.Meta(max_length=500)] = []  # SSCCs scanned at the door
    recipient_name: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    signature_png: Sha256 | None = None
    signature_strokes: Sha256 | None = None
    photos: Annotated[list[Sha256], msgspec.Meta(max_length=10)] = []
    lat_e6: Annotated[int, msgspec.Meta(ge=-90_000_000, le=90_000_000)] | None = None  # microdegrees
    lon_e6: Annotated[int, msgspec.Meta(ge=-180_000_000, le=180_000_000)] | None = None
    accuracy_m: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] | None = None
    refused: Annotated[list[RefusedUnits], msgspec.Meta(max_length=500)] = []
    failure_reason: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    pod_code: Annotated[str, msgspec.Meta(max_length=64)] | None = None  # the code the customer received
    note: Annotated[str, msgspec.Meta(max_length=2000)] = ""

    @property
    def blobs(self) -> list[str]:
        """Signature and photo blobs the server must hold before this op applies."""
        return [h.lower() for h in (self.signature_png, self.signature_strokes, *self.photos) if h]


class TakePayment(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    payment_id: uuid.UUID
    order_id: Id
    method: Annotated[str, msgspec.Meta(max_length=16)]  # cash | card
    amount: Annotated[int, msgspec.Meta(gt=0, le=10**13)]  # minor units: an integer, never a float
    currency: Currency
    tendered: Money | None = None  # cash the customer handed over
    change_given: Money | None = None
    terminal_ref: Annotated[str, msgspec.Meta(max_length=64)] | None = None  # the card terminal's reference
    receipt_no: Annotated[str, msgspec.Meta(max_length=64)] | None = None


class HandOverCash(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    handover_id: uuid.UUID
    courier_id: Id
    counted: Money  # what the cashier counted
    currency: Currency
    cashier: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class ReturnParcel(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    sscc: Annotated[str, msgspec.Meta(min_length=1, max_length=400)]  # the parcel's label as scanned


def _part(workspace) -> Courier:  # noqa: ANN001
    return workspace.courier


def _sha(text: str) -> str:
    return hashlib.sha256(text.strip().encode()).hexdigest()


@op_type("RecordDelivery", RecordDelivery, fact=True, roles=COURIERS)
def record_delivery(workspace, op: Op[RecordDelivery]) -> None:  # noqa: ANN001
    part = _part(workspace)
    effects: Effects = workspace.effects
    p = op.payload
    delivery_id = str(p.delivery_id)
    if delivery_id in part.seen_deliveries:
        if part.seen_deliveries[delivery_id] == p.order_id:
            return  # the same delivery again (a reinstalled phone resent it): it is recorded once
        raise Rejected("delivery_id_reused", "this delivery id was used for another order")
    route = part.stop(p.route_id, p.order_id)
    order = effects.orders[p.order_id]
    stop_parcels = [x.sscc for x in part.parcels_of(order.id)]
    refusals = [rules.Refusal(r.product_id, r.quantity, r.reason) for r in p.refused]
    try:
        rules.check_outcome(p.outcome, order.quantities(), refusals, p.failure_reason, part.reasons)
        for sscc in p.parcels:
            rules.check_door_scan(stop_parcels, sscc)
    except Refused as refusal:
        raise Rejected(refusal.code, refusal.message) from refusal
    part.check_blobs(p)
    # --- the delivery happened: record it, whatever the office did meanwhile
    aboard = [x.sscc for x in part.parcels_of(order.id) if x.status == rules.PARCEL_LOADED and x.route_id == route.id]
    for sscc, status in rules.parcel_outcomes(p.outcome, aboard, p.parcels).items():
        part.set_parcel(part.by_sscc[sscc], status)
    missing: list[str] = []
    if p.outcome != rules.Outcome.FAILED:
        policy, code_hash = part.policy[order.id]
        code_ok = None if p.pod_code is None else code_hash is not None and _sha(p.pod_code) == code_hash
        missing = rules.missing_proof(policy, rules.Proof(p.recipient_name, bool(p.signature_png), len(p.photos), code_ok))
        if rules.unscanned(p.outcome, aboard, p.parcels):
            missing.append("parcels")
        if missing:
            part.exception("pod_incomplete", {"delivery_id": delivery_id, "missing": missing}, order.id, op)
    conflict = rules.delivery_conflict(order.status)
    if conflict:
        part.exception(conflict, {"delivery_id": delivery_id, "outcome": p.outcome, "order_status": str(order.status)}, order.id, op)
    else:
        effects.advance(order.id, rules.OUTCOME_STATUS[rules.Outcome(p.outcome)], op, {"delivery_id": delivery_id, "route_id": route.id})
        if p.outcome == rules.Outcome.FAILED and stop_parcels and all(x.status == rules.PARCEL_RETURNED for x in part.parcels_of(order.id)):
            part.returned(order.id, op, {"delivery_id": delivery_id})  # the dock scanned them in before this reached us
        if p.outcome == rules.Outcome.PARTIAL:
            refused = {r.product_id: 0 for r in refusals}
            for r in refusals:
                refused[r.product_id] += r.quantity
            returns.merge_units(part.outstanding.setdefault(order.id, {}), refused)
            row = part.invoices.get(order.id)
            if row is not None and not row.void:
                lines = [(li.product_id, li.quantity, li.unit_price) for li in order.lines]
                row.invoice = invoice_rules.credit_invoice(row.invoice, invoice_rules.refused_value(lines, refused))
                part.dirty_invoices.add(row.id)
                if row.invoice.paid > row.invoice.total:
                    part.exception("refund_due", {"paid": row.invoice.paid, "total": row.invoice.total}, order.id, op)
    part.new_deliveries.append(
        {"id": delivery_id, "order_id": order.id, "route_id": route.id, "courier_id": route.courier_id, "device_id": workspace.device.id,
         "seq": op.seq, "outcome": p.outcome, "recipient_name": p.recipient_name,
         "signature_png": p.signature_png.lower() if p.signature_png else None,
         "signature_strokes": p.signature_strokes.lower() if p.signature_strokes else None, "photos": [h.lower() for h in p.photos],
         "lat_e6": p.lat_e6, "lon_e6": p.lon_e6, "accuracy_m": p.accuracy_m, "failure_reason": p.failure_reason,
         "refused": [msgspec.structs.asdict(r) for r in p.refused], "parcels": list(p.parcels), "note": p.note,
         "captured_at": fact_time(workspace.device, op.captured_at), "recorded_at": workspace.at}  # fmt: skip
    )
    part.seen_deliveries[delivery_id] = order.id
    effects.record(order.id, "delivery_recorded", op, {"delivery_id": delivery_id, "outcome": p.outcome, "route_id": route.id,
                                                       "parcels": list(p.parcels), "recipient_name": p.recipient_name,
                                                       "failure_reason": p.failure_reason, "missing_proof": missing,
                                                       "refused": [msgspec.structs.asdict(r) for r in p.refused]})  # fmt: skip
    part.delivered[route.id].add(order.id)
    part.touched_routes.add(route.id)
    part.try_close(order.id, op)
    if route.status == "dispatched" and all(o in part.delivered[route.id] or effects.orders[o].status == OrderStatus.CANCELLED
                                            for o in route.stops):  # fmt: skip
        route.status = "completed"
        part.completed.add(route.id)


@op_type("TakePayment", TakePayment, fact=True, roles=COURIERS)
def take_payment(workspace, op: Op[TakePayment]) -> None:  # noqa: ANN001
    part = _part(workspace)
    effects: Effects = workspace.effects
    p = op.payload
    payment_id = str(p.payment_id)
    if payment_id in part.seen_payments:
        if part.seen_payments[payment_id] == (p.order_id, p.amount):
            return  # the same payment again: recorded once
        raise Rejected("payment_id_reused", "this payment id was used for another payment")
    route_ids = part.courier_order(p.order_id)
    order = effects.orders[p.order_id]
    fact = cash_rules.PaymentFact(p.method, p.amount, p.currency, p.tendered, p.change_given, p.terminal_ref)
    try:
        cash_rules.check_courier_payment(fact, order.currency)
    except Refused as refusal:
        raise Rejected(refusal.code, refusal.message) from refusal
    # --- the money was taken: record it, and report what contradicts the record
    row = part.invoices.get(order.id)
    due = row.invoice.total if row is not None else order.total
    before = cash_rules.paid_before(order.payment.kind == PaymentKind.PREPAID, order.total, part.paid[order.id])
    if row is not None and row.void:
        before = due = 0  # the goods came back: nothing is owed
    conflict = cash_rules.payment_conflict(order.status, before, due) or ("refund_due" if row is not None and row.void else None)
    if conflict:
        part.exception(conflict, {"payment_id": payment_id, "amount": p.amount, "paid_before": before, "due": due}, order.id, op)
    if row is not None:
        row.invoice = replace(row.invoice, paid=row.invoice.paid + p.amount)
        part.dirty_invoices.add(row.id)
        over = row.invoice.paid - row.invoice.total
        if over > 0 and not conflict and not row.void:
            part.exception("overpayment", {"payment_id": payment_id, "over": over}, order.id, op)
    part.paid[order.id] += p.amount
    part.seen_payments[payment_id] = (order.id, p.amount)
    part.new_payments.append(
        {"id": payment_id, "order_id": order.id, "invoice_id": row.id if row else None, "source": "cod", "method": p.method,
         "amount": p.amount, "currency": p.currency, "tendered": p.tendered, "change_given": p.change_given,
         "terminal_ref": p.terminal_ref, "receipt_no": p.receipt_no, "courier_id": workspace.device.scope["courier_id"],
         "device_id": workspace.device.id, "seq": op.seq, "bank_ref": None, "handover_id": None, "captured_at": fact_time(workspace.device, op.captured_at),
         "recorded_at": workspace.at}  # fmt: skip
    )
    if p.method == cash_rules.Method.CASH:
        cash = part.cash
        cash.unclaimed[payment_id] = (p.amount, p.currency)
        on_hand = cash_rules.cash_on_hand(a for a, c in cash.unclaimed.values() if c == p.currency)
        if cash_rules.over_limit(on_hand, cash.limit) and not cash.alerted:
            part.exception("cash_limit_exceeded", {"courier_id": cash.courier_id, "on_hand": on_hand, "limit": cash.limit,
                                                   "currency": p.currency}, order.id, op)  # fmt: skip
            cash.alerted = True
    effects.record(order.id, "payment_taken", op, {"payment_id": payment_id, "method": p.method, "amount": p.amount,
                                                   "currency": p.currency, "receipt_no": p.receipt_no, "conflict": conflict})  # fmt: skip
    part.touched_routes |= route_ids
    part.try_close(order.id, op)


@op_type("HandOverCash", HandOverCash, fact=True, roles=COURIERS)
def hand_over_cash(workspace, op: Op[HandOverCash]) -> None:  # noqa: ANN001
    part = _part(workspace)
    p = op.payload
    try:
        cash_rules.check_handover_courier(workspace.device.scope.get("courier_id"), p.courier_id)
    except Refused as refusal:
        raise Rejected(refusal.code, refusal.message) from refusal
    handover_id = str(p.handover_id)
    if handover_id in part.seen_handovers:
        if part.seen_handovers[handover_id] == (p.courier_id, p.counted):
            return
        raise Rejected("handover_id_reused", "this handover id was used for another handover")
    cash = part.cash
    claimed = sorted(pid for pid, (_a, currency) in cash.unclaimed.items() if currency == p.currency)
    reconciliation = cash_rules.reconcile(sum(cash.unclaimed[pid][0] for pid in claimed), p.counted)
    new = {row["id"]: row for row in part.new_payments}
    for pid in claimed:
        if pid in new:
            new[pid]["handover_id"] = handover_id
        else:
            part.claims[pid] = handover_id
        del cash.unclaimed[pid]
    part.seen_handovers[handover_id] = (p.courier_id, p.counted)
    part.new_handovers.append(
        {"id": handover_id, "courier_id": p.courier_id, "shift_day": fact_time(workspace.device, op.captured_at).date(), "currency": p.currency,
         "expected": reconciliation.expected, "counted": p.counted, "difference": reconciliation.difference,
         "device_id": workspace.device.id, "seq": op.seq, "counted_by": p.cashier, "status": "open", "closed_by": None,
         "close_note": None, "captured_at": fact_time(workspace.device, op.captured_at), "recorded_at": workspace.at}  # fmt: skip
    )
    if cash.alerted and not cash_rules.over_limit(cash_rules.cash_on_hand(a for a, _c in cash.unclaimed.values()), cash.limit):
        part.resolved_alerts += cash.alerts
        cash.alerts, cash.alerted = [], False


@op_type("ReturnParcel", ReturnParcel, fact=True, roles=RECEIVERS)
def return_parcel(workspace, op: Op[ReturnParcel]) -> None:  # noqa: ANN001
    part = _part(workspace)
    effects: Effects = workspace.effects
    try:
        sscc = scanned_sscc(op.payload.sscc)
    except Refused as refusal:
        raise Rejected(refusal.code, refusal.message) from refusal
    parcel = part.by_sscc.get(sscc)
    if parcel is None or parcel.warehouse_id != workspace.device.scope.get("warehouse_id"):
        raise Rejected("parcel_unknown", f"no parcel {sscc} in this warehouse")
    order = effects.orders[parcel.order_id]
    out = {rules.PARCEL_LOADED, rules.PARCEL_REFUSED} if order.status == OrderStatus.FAILED else {rules.PARCEL_REFUSED}
    others = sum(1 for x in part.parcels_of(order.id) if x.id != parcel.id and x.status in out)
    try:
        plan = rules.plan_return(order.status, parcel.status, parcel.items, part.outstanding.get(order.id, {}), others)
    except Refused as refusal:
        raise Rejected(refusal.code, refusal.message) from refusal
    part.set_parcel(parcel, plan.parcel_status)
    note = f"parcel {sscc}: {workspace.device.name} seq {op.seq}"
    part.restock += [returns.Restock(parcel.warehouse_id, order.id, pid, qty, note) for pid, qty in sorted(plan.units.items())]
    if order.id in part.outstanding:
        returns.merge_units(part.outstanding[order.id], plan.units, -1)
        part.outstanding[order.id] = {k: v for k, v in part.outstanding[order.id].items() if v > 0}
    if plan.conflict:
        part.exception(plan.conflict, {"sscc": sscc, "order_status": str(order.status)}, order.id, op)
    if plan.order_returned:
        if order.status == OrderStatus.FAILED:
            part.returned(order.id, op, {"sscc": sscc})
        else:
            effects.advance(order.id, OrderStatus.RETURNED, op, {"sscc": sscc})
    effects.record(order.id, "parcel_returned", op, {"sscc": sscc, "units": [[pid, qty] for pid, qty in sorted(plan.units.items())]})
    part.try_close(order.id, op)


OPS = (record_delivery, take_payment, hand_over_cash, return_parcel)
