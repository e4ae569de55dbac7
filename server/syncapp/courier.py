"""The courier part of a push batch: the routes, orders, parcels, invoices, payments and cash that
courier ops (and the dock's return scans) read, loaded with a constant number of queries, and
what they change, written with one statement per kind. The handlers are in `delivery.py`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update

from server.db.tables import (
    SYNC,
    cash_handovers,
    couriers,
    customers,
    deliveries,
    failure_reasons,
    invoices,
    orders,
    parcel_items,
    parcels,
    payments,
    route_stops,
    routes,
)
from server.domain import cash as cash_rules
from server.domain import delivery as rules
from server.domain import invoicing as invoice_rules
from server.domain.events import Actor
from server.domain.lifecycle import OrderStatus
from server.domain.loading import scanned_sscc
from server.domain.refusals import Refused
from server.syncapp import feeds
from server.syncapp.delivery import HandOverCash, RecordDelivery, ReturnParcel, TakePayment
from server.syncapp.effects import Effects
from server.usecases import returns
from server.usecases.cash import open_cash_alerts, resolve_cash_alerts
from server.usecases.invoicing import issue_invoices
from sync.registry import ChangeRow, Op, Rejected

SIGNATURE_TYPES = {"signature_png": ("image/png",), "signature_strokes": ("application/json",)}
PHOTO_TYPES = ("image/jpeg", "image/png")

@dataclass
class RouteRow:
    id: int
    courier_id: int
    warehouse_id: int
    status: str
    stops: list[int] = field(default_factory=list)


@dataclass
class ParcelRow:
    id: str
    sscc: str
    order_id: int
    warehouse_id: int
    status: str
    route_id: int | None
    items: dict[int, int]


@dataclass
class InvoiceRow:
    id: int
    invoice: invoice_rules.Invoice
    void: bool

    @property
    def status(self) -> str:
        return invoice_rules.InvoiceStatus.VOID if self.void else invoice_rules.invoice_status(self.invoice)


@dataclass
class CashState:
    courier_id: int | None = None
    limit: int | None = None
    unclaimed: dict[str, tuple[int, str]] = field(default_factory=dict)  # cash payment id -> (amount, currency)
    alerts: list[int] = field(default_factory=list)  # open cash_limit_exceeded exceptions
    alerted: bool = False


class Courier:
    """What a batch of courier ops (and return scans) reads and writes."""

    def __init__(self, effects: Effects) -> None:
        self.effects = effects
        self.routes: dict[int, RouteRow] = {}
        self.courier_stops: dict[int, set[int]] = defaultdict(set)  # order -> this courier's routes it is a stop of
        self.policy: dict[int, tuple[rules.PodPolicy, str | None]] = {}
        self.parcels: dict[str, ParcelRow] = {}
        self.by_sscc: dict[str, ParcelRow] = {}
        self.invoices: dict[int, InvoiceRow] = {}  # by order
        self.paid: dict[int, int] = defaultdict(int)  # payments recorded per order
        self.seen_payments: dict[str, tuple[int, int]] = {}  # id -> (order, amount)
        self.seen_deliveries: dict[str, int] = {}  # id -> order
        self.seen_handovers: dict[str, tuple[int, int]] = {}  # id -> (courier, counted)
        self.delivered: dict[int, set[int]] = defaultdict(set)  # route -> orders with a delivery on it
        self.outstanding: dict[int, dict[int, int]] = {}  # order -> refused units not yet back
        self.reasons: list[str] = []
        self.blob_types: dict[str, str] = {}
        self.cash = CashState()
        # --- what flush writes
        self.new_deliveries: list[dict[str, Any]] = []
        self.new_payments: list[dict[str, Any]] = []
        self.claims: dict[str, str] = {}  # existing payment id -> handover id
        self.new_handovers: list[dict[str, Any]] = []
        self.dirty_invoices: set[int] = set()
        self.dirty_parcels: set[str] = set()
        self.restock: list[returns.Restock] = []
        self.resolved_alerts: list[int] = []
        self.completed: set[int] = set()
        self.touched_routes: set[int] = set()
        self.new_bins: list[int] = []

    # --- loading: a constant number of queries per batch ------------------------------------------
    async def load(self, ops: Sequence[Op[Any]]) -> None:
        kinds = (RecordDelivery, TakePayment, HandOverCash, ReturnParcel)
        mine = [op.payload for op in ops if isinstance(op.payload, kinds)]
        if not mine:
            return
        conn = self.effects.conn
        drops = [p for p in mine if isinstance(p, RecordDelivery)]
        pays = [p for p in mine if isinstance(p, TakePayment)]
        handovers = [p for p in mine if isinstance(p, HandOverCash)]
        backs = [p for p in mine if isinstance(p, ReturnParcel)]
        courier_id = self.effects.device.scope.get("courier_id")
        order_ids = {p.order_id for p in drops} | {p.order_id for p in pays}
        if backs:
            ssccs = []
            for p in backs:
                try:
                    ssccs.append(scanned_sscc(p.sscc))
                except Refused:
                    continue
            if ssccs:
                order_ids |= set((await conn.execute(select(parcels.c.order_id).where(parcels.c.sscc.in_(ssccs)))).scalars())
        route_ids = sorted({p.route_id for p in drops})
        if route_ids:
            for r in await conn.execute(select(routes).where(routes.c.id.in_(route_ids)).order_by(routes.c.id).with_for_update()):
                self.routes[r.id] = RouteRow(r.id, r.courier_id, r.warehouse_id, r.status)
            for s in await conn.execute(select(route_stops).where(route_stops.c.route_id.in_(route_ids)).order_by(route_stops.c.stop_no)):
                self.routes[s.route_id].stops.append(s.order_id)
            for d in await conn.execute(select(deliveries.c.route_id, deliveries.c.order_id).where(deliveries.c.route_id.in_(route_ids))):
                self.delivered[d.route_id].add(d.order_id)
        if order_ids and courier_id is not None:
            for s in await conn.execute(
                select(route_stops.c.route_id, route_stops.c.order_id).join(routes, routes.c.id == route_stops.c.route_id)
                .where(route_stops.c.order_id.in_(sorted(order_ids)), routes.c.courier_id == courier_id)
            ):  # fmt: skip
                self.courier_stops[s.order_id].add(s.route_id)
        if order_ids:
            # Orders before invoices, in id order: the office's payment use cases lock in the same order.
            await conn.execute(select(orders.c.id).where(orders.c.id.in_(sorted(order_ids))).order_by(orders.c.id).with_for_update())
        await self.effects.load_orders(order_ids | {o for r in self.routes.values() for o in r.stops})
        if not order_ids:
            await self._load_cash(courier_id, pays, handovers)
            return
        ids = sorted(order_ids)
        for r in await conn.execute(select(orders.c.id, orders.c.pod_policy, orders.c.pod_code_hash, customers.c.pod_policy.label("customer_policy"))
                                    .join(customers, customers.c.id == orders.c.customer_id).where(orders.c.id.in_(ids))):  # fmt: skip
            self.policy[r.id] = (rules.PodPolicy.merge(r.customer_policy, r.pod_policy), r.pod_code_hash)
        rows = (await conn.execute(select(parcels).where(parcels.c.order_id.in_(ids)).order_by(parcels.c.sscc).with_for_update())).all()
        items: dict[str, dict[int, int]] = {r.id: {} for r in rows}
        if items:
            for i in await conn.execute(select(parcel_items).where(parcel_items.c.parcel_id.in_(sorted(items)))):
                items[i.parcel_id][i.product_id] = i.quantity
        for r in rows:
            row = ParcelRow(r.id, r.sscc, r.order_id, r.warehouse_id, r.status, r.route_id, items[r.id])
            self.parcels[r.id] = self.by_sscc[r.sscc] = row
        for r in await conn.execute(select(invoices).where(invoices.c.order_id.in_(ids)).order_by(invoices.c.id).with_for_update()):
            invoice = invoice_rules.Invoice(r.number, r.issued_on, r.due_on, r.currency, r.total, r.paid)
            self.invoices[r.order_id] = InvoiceRow(r.id, invoice, r.status == invoice_rules.InvoiceStatus.VOID)
        for r in await conn.execute(select(payments.c.order_id, func.sum(payments.c.amount)).where(payments.c.order_id.in_(ids))
                                    .group_by(payments.c.order_id)):  # fmt: skip
            self.paid[r.order_id] = int(r[1])
        self.outstanding = await returns.outstanding_returns(conn, ids)
        if drops:
            self.reasons = list((await conn.execute(select(failure_reasons.c.code).where(failure_reasons.c.active))).scalars())
            wanted = sorted({str(p.delivery_id) for p in drops})
            for d in await conn.execute(select(deliveries.c.id, deliveries.c.order_id).where(deliveries.c.id.in_(wanted))):
                self.seen_deliveries[d.id] = d.order_id
            hashes = sorted({h for p in drops for h in p.blobs})
            if hashes:
                b = SYNC.blobs.c
                self.blob_types = {r.sha256: r.content_type for r in await conn.execute(select(b.sha256, b.content_type).where(b.sha256.in_(hashes)))}
        await self._load_cash(courier_id, pays, handovers)

    async def _load_cash(self, courier_id: int | None, pays: Sequence[TakePayment], handovers: Sequence[HandOverCash]) -> None:
        conn = self.effects.conn
        if pays:
            wanted = sorted({str(p.payment_id) for p in pays})
            for r in await conn.execute(select(payments.c.id, payments.c.order_id, payments.c.amount).where(payments.c.id.in_(wanted))):
                self.seen_payments[r.id] = (r.order_id, r.amount)
        if handovers:
            wanted = sorted({str(p.handover_id) for p in handovers})
            for r in await conn.execute(select(cash_handovers.c.id, cash_handovers.c.courier_id, cash_handovers.c.counted)
                                        .where(cash_handovers.c.id.in_(wanted))):  # fmt: skip
                self.seen_handovers[r.id] = (r.courier_id, r.counted)
        if courier_id is None or not (pays or handovers):
            return
        self.cash.courier_id = courier_id
        self.cash.limit = (await conn.execute(select(couriers.c.cash_limit).where(couriers.c.id == courier_id))).scalar_one_or_none()
        p = payments.c
        for r in await conn.execute(select(p.id, p.amount, p.currency)
                                    .where(p.courier_id == courier_id, p.method == cash_rules.Method.CASH, p.handover_id.is_(None))
                                    .order_by(p.id).with_for_update()):  # fmt: skip
            self.cash.unclaimed[r.id] = (r.amount, r.currency)
        self.cash.alerts = (await open_cash_alerts(conn, [courier_id])).get(courier_id, [])
        self.cash.alerted = bool(self.cash.alerts)

    # --- what handlers ask -----------------------------------------------------------------------
    def stop(self, route_id: int, order_id: int) -> RouteRow:
        """The route, when it is this courier's and the order is one of its stops."""
        route = self.routes.get(route_id)
        if route is None or route.courier_id != self.effects.device.scope.get("courier_id") or order_id not in route.stops:
            raise Rejected("outside_scope", f"order {order_id} is not a stop of a route of this courier")
        return route

    def courier_order(self, order_id: int) -> set[int]:
        """This courier's routes the order is a stop of (at least one, or the op is out of scope)."""
        found = self.courier_stops.get(order_id)
        if not found:
            raise Rejected("outside_scope", f"order {order_id} is not on a route of this courier")
        return found

    def parcels_of(self, order_id: int) -> list[ParcelRow]:
        return [p for p in self.parcels.values() if p.order_id == order_id]

    def set_parcel(self, parcel: ParcelRow, status: str) -> None:
        if parcel.status != status:
            parcel.status = status
            self.dirty_parcels.add(parcel.id)

    def check_blobs(self, payload: RecordDelivery) -> None:
        """A signature is a PNG (and its strokes JSON), a photo an image: as uploaded, by type."""
        for name, allowed in SIGNATURE_TYPES.items():
            sha = getattr(payload, name)
            if sha and self.blob_types.get(sha.lower()) not in allowed:
                raise Rejected(f"{name}_wrong_type", f"{name} must be a {' or '.join(allowed)} blob")
        for sha in payload.photos:
            if self.blob_types.get(sha.lower()) not in PHOTO_TYPES:
                raise Rejected("photo_wrong_type", "photos are JPEG or PNG blobs")

    def settled(self, order_id: int) -> bool:
        row = self.invoices.get(order_id)
        return row is not None and (row.void or row.invoice.settled)

    def try_close(self, order_id: int, op: Op[Any]) -> None:
        """Close a delivered (or returned) order that is settled and whose refused goods are back."""
        order = self.effects.orders[order_id]
        waiting = bool(self.outstanding.get(order_id)) or any(p.status == rules.PARCEL_REFUSED for p in self.parcels_of(order_id))
        if invoice_rules.ready_to_close(order.status, self.settled(order_id), waiting):
            self.effects.advance(order_id, OrderStatus.CLOSED, op, {"settled": True})

    def returned(self, order_id: int, op: Op[Any], data: dict[str, Any]) -> None:
        """A failed order whose goods are all back: returned, and its invoice void (nothing was delivered)."""
        if not self.effects.advance(order_id, OrderStatus.RETURNED, op, data):
            return
        row = self.invoices.get(order_id)
        if row is not None and not row.void:
            row.void = True
            self.dirty_invoices.add(row.id)
            if row.invoice.paid > 0:
                self.exception("refund_due", {"paid": row.invoice.paid, "currency": row.invoice.currency}, order_id, op)

    def exception(self, kind: str, detail: dict[str, Any], order_id: int, op: Op[Any]) -> None:
        warehouse = self.effects.orders[order_id].warehouse_id if order_id in self.effects.orders else None
        self.effects.open_exception(kind, detail, order_id=order_id, seq=op.seq, warehouse_id=warehouse)

    # --- writing: one statement per kind ---------------------------------------------------------
    async def flush(self) -> None:
        """Runs after the shared effects are written (stock here is added relatively, on top of them)."""
        conn, at = self.effects.conn, self.effects.at
        device = self.effects.device
        shipped = [self.effects.orders[o] for o in self.effects.changed_orders if self.effects.orders[o].status == OrderStatus.OUT_FOR_DELIVERY]
        if shipped:  # a dispatch in this batch: each order leaving gets its invoice
            await issue_invoices(conn, shipped, at, Actor("device", device.name, device.id))
        if self.new_deliveries:
            await conn.execute(insert(deliveries), self.new_deliveries)
        if self.new_payments:
            await conn.execute(insert(payments), self.new_payments)
        if self.claims:
            await conn.execute(update(payments).where(payments.c.id == bindparam("pid")).values(handover_id=bindparam("hid")),
                               [{"pid": p, "hid": h} for p, h in sorted(self.claims.items())])  # fmt: skip
        if self.new_handovers:
            await conn.execute(insert(cash_handovers), self.new_handovers)
        if self.dirty_invoices:
            rows = [r for r in self.invoices.values() if r.id in self.dirty_invoices]
            await conn.execute(
                update(invoices).where(invoices.c.id == bindparam("iid")).values(total=bindparam("t"), paid=bindparam("p"), status=bindparam("s")),
                [{"iid": r.id, "t": r.invoice.total, "p": r.invoice.paid, "s": r.status} for r in sorted(rows, key=lambda r: r.id)],
            )
        if self.dirty_parcels:
            await conn.execute(update(parcels).where(parcels.c.id == bindparam("pid")).values(status=bindparam("st")),
                               [{"pid": i, "st": self.parcels[i].status} for i in sorted(self.dirty_parcels)])  # fmt: skip
        if self.restock:
            self.new_bins = await returns.restock(conn, self.restock, device.id, at)
        if self.resolved_alerts:
            await resolve_cash_alerts(conn, self.resolved_alerts, at, device.name)
        if self.completed:
            await conn.execute(update(routes).where(routes.c.id.in_(sorted(self.completed))).values(status="completed", updated_at=at))

    async def changes(self) -> list[ChangeRow]:
        """The courier's route docs (stop outcome, amount still due); a new returns bin for the dock."""
        conn = self.effects.conn
        found = await feeds.route_changes(conn, sorted(self.touched_routes)) if self.touched_routes else []
        if self.new_bins:
            found += await feeds.location_changes(conn, self.new_bins)
        return found
