"""Report queries: orders and revenue per day, cycle times, picker productivity, deliveries, aging.

Aggregation happens in SQL where both databases can spell it (day buckets differ: SQLite keeps
UTC timestamps as ISO text, PostgreSQL as timestamptz); percentiles are computed here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from statistics import median

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.db.tables import SYNC, couriers, invoices, order_events, orders, payments, route_stops, routes
from server.reads.supervision import Visibility, device_warehouses

PICK_OPS = ("PickItem", "ShortPick")
# Cycle-time stages: from the first event of one type to the first of the next (server clock).
STAGE_PAIRS = (
    ("confirm_to_pick", "order_confirmed", "picking_started"),
    ("picking", "picking_started", "order_picked"),
    ("checking", "order_picked", "order_checked"),
    ("packing", "order_checked", "order_packed"),
    ("loading", "order_packed", "order_loaded"),
    ("dispatch", "order_loaded", "order_dispatched"),
    ("delivery", "order_dispatched", "order_delivered"),
    ("total", "order_confirmed", "order_delivered"),
)
DELIVERED = ("order_delivered", "order_partially_delivered")
AGING_BUCKETS = ((0, "not_due"), (1, "1–30"), (31, "31–60"), (61, "61–90"), (91, "> 90"))


def day_of(conn: AsyncConnection, column):  # noqa: ANN001, ANN201
    """A timestamp's UTC day as 'YYYY-MM-DD' text on either database."""
    if conn.dialect.name == "sqlite":
        return func.substr(column, 1, 10)
    return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")


def hour_of(conn: AsyncConnection, column):  # noqa: ANN001, ANN201
    if conn.dialect.name == "sqlite":
        return func.substr(column, 1, 13)
    return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24")


def _span(start: date, end: date) -> tuple[datetime, datetime]:
    return datetime.combine(start, time(), tzinfo=UTC), datetime.combine(end + timedelta(days=1), time(), tzinfo=UTC)


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..1)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-int(q * 1000) * len(ordered) // 1000))  # ceil(q * n) without float surprises
    return ordered[min(rank, len(ordered)) - 1]


@dataclass(frozen=True, slots=True)
class DailyOrders:
    day: date
    by_source: dict[str, int]
    booked: dict[str, int]  # currency -> total of orders created that day, cancelled ones excluded

    @property
    def count(self) -> int:
        return sum(self.by_source.values())


async def daily_orders(conn: AsyncConnection, vis: Visibility, warehouse_id: int | None, start: date, end: date) -> list[DailyOrders]:
    """Orders created per day by source, and their booked value."""
    o = orders.c
    lo, hi = _span(start, end)
    bucket = day_of(conn, o.created_at).label("day")
    by_source: dict[str, dict[str, int]] = defaultdict(dict)
    booked: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    query = (
        select(bucket, o.source, o.currency, func.count(), func.sum(o.total).filter(o.status != "cancelled"))
        .where(o.created_at >= lo, o.created_at < hi, *vis.chosen(o.warehouse_id, warehouse_id))
        .group_by(bucket, o.source, o.currency)
    )
    for day, source, currency, n, total in await conn.execute(query):
        by_source[day][source] = by_source[day].get(source, 0) + n
        booked[day][currency] += int(total or 0)
    return [DailyOrders(d, by_source.get(d.isoformat(), {}), dict(booked.get(d.isoformat(), {}))) for d in days(start, end)]


async def delivered_revenue(conn: AsyncConnection, vis: Visibility, warehouse_id: int | None, start: date, end: date) -> dict[date, dict[str, int]]:
    """Order totals by the day of their (first) delivery event."""
    o, e = orders.c, order_events.c
    lo, hi = _span(start, end)
    first = (
        select(e.order_id, func.min(e.recorded_at).label("at"))
        .where(e.type.in_(DELIVERED), e.recorded_at >= lo, e.recorded_at < hi)
        .group_by(e.order_id)
        .subquery()
    )
    bucket = day_of(conn, first.c.at).label("day")
    query = (
        select(bucket, o.currency, func.sum(o.total))
        .join(orders, o.id == first.c.order_id)
        .where(*vis.chosen(o.warehouse_id, warehouse_id))
        .group_by(bucket, o.currency)
    )
    result: dict[date, dict[str, int]] = defaultdict(dict)
    for day, currency, total in await conn.execute(query):
        result[date.fromisoformat(day)][currency] = int(total or 0)
    return dict(result)


async def cod_collected(conn: AsyncConnection, vis: Visibility, warehouse_id: int | None, start: date, end: date) -> dict[date, dict[str, int]]:
    """Cash and card taken at the door (payments from couriers), by the day the phone recorded them."""
    p = payments.c
    lo, hi = _span(start, end)
    bucket = day_of(conn, p.captured_at).label("day")
    query = (
        select(bucket, p.currency, func.sum(p.amount))
        .join(orders, orders.c.id == p.order_id)
        .where(p.source == "cod", p.captured_at >= lo, p.captured_at < hi, *vis.chosen(orders.c.warehouse_id, warehouse_id))
        .group_by(bucket, p.currency)
    )
    result: dict[date, dict[str, int]] = defaultdict(dict)
    for day, currency, total in await conn.execute(query):
        result[date.fromisoformat(day)][currency] = int(total or 0)
    return dict(result)


@dataclass(frozen=True, slots=True)
class StageTime:
    stage: str
    samples: int
    median_s: float | None
    p90_s: float | None


async def cycle_times(conn: AsyncConnection, vis: Visibility, warehouse_id: int | None, start: date, end: date) -> list[StageTime]:
    """Median and p90 of each stage's duration, over orders created in the period."""
    o, e = orders.c, order_events.c
    lo, hi = _span(start, end)
    wanted = sorted({t for _, a, b in STAGE_PAIRS for t in (a, b)})
    query = (
        select(e.order_id, e.type, func.min(e.recorded_at))
        .join(orders, o.id == e.order_id)
        .where(o.created_at >= lo, o.created_at < hi, e.type.in_(wanted), *vis.chosen(o.warehouse_id, warehouse_id))
        .group_by(e.order_id, e.type)
    )
    firsts: dict[int, dict[str, datetime]] = defaultdict(dict)
    for order_id, kind, at in await conn.execute(query):
        if isinstance(at, str):  # SQLite's min() of a timestamp comes back as text
            at = datetime.fromisoformat(at).replace(tzinfo=UTC)
        firsts[order_id][kind] = at
    result = []
    for stage, a, b in STAGE_PAIRS:
        spans = [(f[b] - f[a]).total_seconds() for f in firsts.values() if a in f and b in f and f[b] >= f[a]]
        result.append(StageTime(stage, len(spans), median(spans) if spans else None, percentile(spans, 0.9)))
    return result


@dataclass(frozen=True, slots=True)
class PickerRow:
    device_id: str
    name: str
    role: str
    lines: int
    active_hours: int
    ops: int
    rejected: int

    @property
    def per_hour(self) -> float | None:
        return self.lines / self.active_hours if self.active_hours else None

    @property
    def error_rate(self) -> float | None:
        return self.rejected / self.ops if self.ops else None


async def picker_productivity(conn: AsyncConnection, vis: Visibility, warehouse_id: int | None, start: date, end: date) -> list[PickerRow]:
    """Per device: pick lines, active hours, lines per hour, rejected ops over all ops (from the op log)."""
    op, d = SYNC.op_log.c, SYNC.devices.c
    lo, hi = _span(start, end)
    span = [op.received_at >= lo, op.received_at < hi]
    is_pick = and_(op.type.in_(PICK_OPS), op.status == "applied")
    totals = {
        r.device_id: r
        for r in await conn.execute(
            select(op.device_id, func.count().label("ops"), func.count().filter(op.status == "rejected").label("rejected"),
                   func.count().filter(is_pick).label("lines"))  # fmt: skip
            .where(*span)
            .group_by(op.device_id)
        )
    }
    hour = hour_of(conn, op.received_at)
    hours = {
        r.device_id: r.hours
        for r in await conn.execute(
            select(op.device_id, func.count(func.distinct(hour)).label("hours")).where(*span, is_pick).group_by(op.device_id)
        )
    }
    dev_wh = await device_warehouses(conn)
    names = {r.id: (r.name, r.role) for r in await conn.execute(select(d.id, d.name, d.role).where(d.id.in_(list(totals))))}
    rows = []
    for device_id, t in totals.items():
        wh = dev_wh.get(device_id)
        if not vis.allows(wh) or (warehouse_id is not None and wh != warehouse_id) or not t.lines and not t.rejected:
            continue
        name, role = names.get(device_id, (device_id, ""))
        rows.append(PickerRow(device_id, name, role, t.lines, hours.get(device_id, 0), t.ops, t.rejected))
    return sorted(rows, key=lambda r: (-(r.per_hour or 0), r.name))


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    courier: str | None  # None: orders delivered without a route on record
    delivered: int
    failed: int
    on_time: int
    with_window: int

    @property
    def success_rate(self) -> float | None:
        done = self.delivered + self.failed
        return self.delivered / done if done else None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.with_window if self.with_window else None


async def deliveries(conn: AsyncConnection, vis: Visibility, warehouse_id: int | None, start: date, end: date) -> list[DeliveryRow]:
    """Success (delivered over delivered + failed) and on-time (delivered by the window's end) per courier."""
    o, e = orders.c, order_events.c
    lo, hi = _span(start, end)
    query = (
        select(e.order_id, e.type, func.min(e.recorded_at), o.delivery_date, o.window_end)
        .join(orders, o.id == e.order_id)
        .where(e.type.in_((*DELIVERED, "delivery_failed")), e.recorded_at >= lo, e.recorded_at < hi,
               *vis.chosen(o.warehouse_id, warehouse_id))  # fmt: skip
        .group_by(e.order_id, e.type, o.delivery_date, o.window_end)
    )
    facts = (await conn.execute(query)).all()
    courier_of: dict[int, str] = {}
    if facts:
        for r in await conn.execute(
            select(route_stops.c.order_id, couriers.c.name)
            .join(routes, routes.c.id == route_stops.c.route_id)
            .join(couriers, couriers.c.id == routes.c.courier_id)
            .where(route_stops.c.order_id.in_(sorted({f.order_id for f in facts})))
            .order_by(routes.c.day)
        ):
            courier_of[r.order_id] = r.name  # the latest route wins
    acc: dict[str | None, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for order_id, kind, at, day, window_end in facts:
        if isinstance(at, str):
            at = datetime.fromisoformat(at).replace(tzinfo=UTC)
        row = acc[courier_of.get(order_id)]
        if kind == "delivery_failed":
            row[1] += 1
            continue
        row[0] += 1
        if day is not None:
            row[3] += 1
            deadline = datetime.combine(day, window_end or time(23, 59, 59), tzinfo=UTC)
            row[2] += at <= deadline
    return [DeliveryRow(c, *v) for c, v in sorted(acc.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))]


@dataclass(frozen=True, slots=True)
class AgingRow:
    bucket: str
    orders: int
    amounts: dict[str, int]


def _bucket(overdue: int) -> str:
    return next(lbl for low, lbl in reversed(AGING_BUCKETS) if overdue >= low) if overdue >= 1 else "not_due"


async def receivables_aging(conn: AsyncConnection, vis: Visibility, warehouse_id: int | None, today: date) -> tuple[list[AgingRow], str]:
    """What customers owe by days past due: from open invoices, or (no invoice issued yet) estimated from
    invoice-terms orders delivered and not closed. The second value says which: `invoices` | `orders`."""
    rows = {label: [0, defaultdict(int)] for _, label in AGING_BUCKETS}
    i = invoices.c
    scope = vis.chosen(orders.c.warehouse_id, warehouse_id)
    issued = (await conn.execute(select(func.count()).select_from(invoices).join(orders, orders.c.id == i.order_id).where(*scope))).scalar_one()
    if issued:
        query = select(i.total - i.paid, i.currency, i.due_on).join(orders, orders.c.id == i.order_id).where(i.status == "open", i.total > i.paid, *scope)
        for owed, currency, due_on in await conn.execute(query):
            label = _bucket((today - due_on).days)
            rows[label][0] += 1
            rows[label][1][currency] += owed
        return [AgingRow(label, n, dict(amounts)) for label, (n, amounts) in rows.items()], "invoices"
    o, e = orders.c, order_events.c
    first = select(e.order_id, func.min(e.recorded_at).label("at")).where(e.type.in_(DELIVERED)).group_by(e.order_id).subquery()
    query = (
        select(o.total, o.currency, o.payment_due_days, first.c.at)
        .join(first, first.c.order_id == o.id)
        .where(o.payment_kind == "invoice", o.status.in_(("delivered", "partially_delivered")), *scope)
    )
    for total, currency, due_days, at in await conn.execute(query):
        if isinstance(at, str):
            at = datetime.fromisoformat(at).replace(tzinfo=UTC)
        label = _bucket((today - (at.date() + timedelta(days=due_days))).days)
        rows[label][0] += 1
        rows[label][1][currency] += total
    return [AgingRow(label, n, dict(amounts)) for label, (n, amounts) in rows.items()], "orders"
