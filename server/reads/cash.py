"""Cash reads for the office and supervisors: per courier and shift day what cash on delivery was due,
what was collected (cash and card) and handed over; handovers and their differences; and the
proof of delivery of an order as a printable record.

A shift day is the UTC date: routes by their `day`, payments by the device's `captured_at`,
handovers by their `shift_day` (the record has no warehouse time zone yet).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from labels.documents.data import GeoPoint, ProofOfDeliveryData
from server.db.tables import SYNC, cash_handovers, couriers, customers, deliveries, invoices, orders, payments, route_stops, routes
from server.domain.refusals import NotFound

COD = ("cash_on_delivery", "card_on_delivery")
HANDED_OVER = ("delivered", "partially_delivered", "closed", "returned")  # stops where money could change hands


@dataclass
class CourierDay:
    courier_id: int
    courier: str
    warehouse_id: int
    day: date
    currency: str
    cod_planned: int = 0  # cash and card on delivery on the day's routes (cancelled stops left out)
    cod_expected: int = 0  # of that, the stops delivered in full or in part (after refused goods came off)
    collected_cash: int = 0
    collected_card: int = 0
    handed_over: int = 0  # what cashiers counted from the day's handovers
    handover_expected: int = 0  # what the payments they claimed said
    handover_difference: int = 0  # counted - expected
    cash_on_hand: int = 0  # cash collected that day not handed over yet

    @property
    def collected(self) -> int:
        return self.collected_cash + self.collected_card


def _bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return start, start + timedelta(days=1)


async def courier_days(conn: AsyncConnection, day: date, warehouse_id: int | None = None) -> list[CourierDay]:
    """Each courier with a route, a payment or a handover that day, per currency."""
    people = {r.id: r for r in await conn.execute(
        select(couriers.c.id, couriers.c.name, couriers.c.warehouse_id)
        .where(*([couriers.c.warehouse_id == warehouse_id] if warehouse_id is not None else []))
    )}  # fmt: skip
    rows: dict[tuple[int, str], CourierDay] = {}

    def row(courier_id: int, currency: str) -> CourierDay:
        person = people[courier_id]
        return rows.setdefault((courier_id, currency), CourierDay(courier_id, person.name, person.warehouse_id, day, currency))

    if not people:
        return []
    ids = sorted(people)
    o = orders.c
    for s in await conn.execute(
        select(routes.c.courier_id, o.status, o.payment_kind, o.total, o.currency, invoices.c.total.label("invoiced"), invoices.c.status.label("inv"))
        .join(route_stops, route_stops.c.route_id == routes.c.id)
        .join(orders, o.id == route_stops.c.order_id)
        .outerjoin(invoices, invoices.c.order_id == o.id)
        .where(routes.c.day == day, routes.c.courier_id.in_(ids), o.payment_kind.in_(COD), o.status != "cancelled")
    ):  # fmt: skip
        due = 0 if s.inv == "void" else (s.invoiced if s.invoiced is not None else s.total)
        r = row(s.courier_id, s.currency)
        r.cod_planned += s.total
        if s.status in HANDED_OVER:
            r.cod_expected += due
    start, end = _bounds(day)
    p = payments.c
    for s in await conn.execute(
        select(p.courier_id, p.method, p.currency, func.sum(p.amount), func.sum(case((p.handover_id.is_(None), p.amount), else_=0)))
        .where(p.courier_id.in_(ids), p.source == "cod", p.captured_at >= start, p.captured_at < end)
        .group_by(p.courier_id, p.method, p.currency)
    ):  # fmt: skip
        r = row(s.courier_id, s.currency)
        if s.method == "cash":
            r.collected_cash += int(s[3])
            r.cash_on_hand += int(s[4] or 0)
        else:
            r.collected_card += int(s[3])
    h = cash_handovers.c
    for s in await conn.execute(
        select(h.courier_id, h.currency, func.sum(h.counted), func.sum(h.expected), func.sum(h.difference))
        .where(h.courier_id.in_(ids), h.shift_day == day).group_by(h.courier_id, h.currency)
    ):  # fmt: skip
        r = row(s.courier_id, s.currency)
        r.handed_over, r.handover_expected, r.handover_difference = int(s[2]), int(s[3]), int(s[4])
    return sorted(rows.values(), key=lambda r: (r.courier, r.courier_id, r.currency))


async def cash_on_hand(conn: AsyncConnection, courier_id: int) -> dict[str, int]:
    """Cash a courier holds now, per currency: cash payments no handover accounted for."""
    p = payments.c
    return {r.currency: int(r[1]) for r in await conn.execute(
        select(p.currency, func.sum(p.amount)).where(p.courier_id == courier_id, p.method == "cash", p.handover_id.is_(None))
        .group_by(p.currency))}  # fmt: skip


@dataclass(frozen=True, slots=True)
class HandoverRow:
    id: str
    courier_id: int
    courier: str
    shift_day: date
    currency: str
    expected: int
    counted: int
    difference: int
    payments: int
    counted_by: str
    status: str
    closed_by: str | None
    close_note: str | None
    recorded_at: datetime
    device_id: str | None


async def handovers(conn: AsyncConnection, *, courier_id: int | None = None, status: str | None = None, day: date | None = None,
                    warehouse_id: int | None = None, warehouse_ids: Collection[int] | None = None,
                    limit: int = 200) -> list[HandoverRow]:  # fmt: skip
    """Handovers newest first, with how many payments each accounted for (``warehouse_ids``: only these)."""
    h = cash_handovers.c
    claimed = select(payments.c.handover_id, func.count().label("n")).where(payments.c.handover_id.is_not(None)).group_by(payments.c.handover_id).subquery()
    query = (
        select(h.id, h.courier_id, couriers.c.name, h.shift_day, h.currency, h.expected, h.counted, h.difference,
               func.coalesce(claimed.c.n, 0), h.counted_by, h.status, h.closed_by, h.close_note, h.recorded_at, h.device_id)
        .join(couriers, couriers.c.id == h.courier_id)
        .outerjoin(claimed, claimed.c.handover_id == h.id)
        .order_by(h.recorded_at.desc(), h.id)
        .limit(limit)
    )  # fmt: skip
    for wanted, column in ((courier_id, h.courier_id), (status, h.status), (day, h.shift_day), (warehouse_id, couriers.c.warehouse_id)):
        if wanted is not None:
            query = query.where(column == wanted)
    if warehouse_ids is not None:
        query = query.where(couriers.c.warehouse_id.in_(sorted(warehouse_ids)))
    return [HandoverRow(*r) for r in await conn.execute(query)]


async def proof_of_delivery(conn: AsyncConnection, order_id: int, warehouse_id: int | None = None) -> ProofOfDeliveryData:
    """The latest delivery of an order that handed goods over, as the printable record needs it."""
    o = orders.c
    head = (await conn.execute(
        select(o.number, o.warehouse_id, o.delivery_address, customers.c.name).join(customers, customers.c.id == o.customer_id).where(o.id == order_id)
    )).first()  # fmt: skip
    if head is None or warehouse_id not in (None, head.warehouse_id):
        raise NotFound("order", order_id)
    d = (await conn.execute(
        select(deliveries, couriers.c.name.label("courier")).join(couriers, couriers.c.id == deliveries.c.courier_id)
        .where(deliveries.c.order_id == order_id, deliveries.c.outcome.in_(("delivered", "partial")))
        .order_by(deliveries.c.recorded_at.desc()).limit(1)
    )).first()  # fmt: skip
    if d is None:
        raise NotFound("proof_of_delivery", order_id)
    signature = None
    if d.signature_png:
        signature = (await conn.execute(select(SYNC.blobs.c.data).where(SYNC.blobs.c.sha256 == d.signature_png))).scalar_one_or_none()
    geo = GeoPoint(d.lat_e6 / 1_000_000, d.lon_e6 / 1_000_000, d.accuracy_m) if d.lat_e6 is not None and d.lon_e6 is not None else None
    notes = d.note
    if d.outcome == "partial":
        refused = ", ".join(f"#{r['product_id']} × {r['quantity']} ({r['reason']})" for r in d.refused)
        notes = (notes + "; " if notes else "") + f"partial: refused {refused}"
    return ProofOfDeliveryData(
        order_number=head.number, delivered_at=d.captured_at, recipient_name=d.recipient_name or "", parcels=tuple(d.parcels),
        signature_png=bytes(signature) if signature else None, geo=geo, customer=head.name, address=head.delivery_address or "",
        courier=d.courier, notes=notes,
    )  # fmt: skip
