"""Read models for the supervisor pages: dashboard, devices, exceptions, orders, routes and cash.

Every query takes a `Visibility`: the warehouses the signed-in person may see (None: all). A
warehouse a person may not see is answered exactly like one that does not exist (NotFound), so
direct URLs reveal nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from server.db.tables import (
    SYNC,
    cash_handovers,
    couriers,
    customers,
    deliveries,
    exceptions,
    invoices,
    locations,
    order_checks,
    order_events,
    order_lines,
    orders,
    parcel_items,
    parcels,
    payments,
    pick_lines,
    pick_list_orders,
    pick_lists,
    products,
    route_stops,
    routes,
    warehouses,
)
from server.domain.lifecycle import OrderStatus
from server.domain.refusals import NotFound
from server.reads.paging import decode_cursor, encode_cursor
from sync.registry import Device

S = OrderStatus
STAGES: tuple[OrderStatus, ...] = tuple(OrderStatus)
# Statuses in which an order is expected to move on by itself (the warehouse or a courier holds it).
IN_PROGRESS = (S.CONFIRMED, S.PICKING, S.PICKED, S.CHECKED, S.PACKED, S.LOADED, S.OUT_FOR_DELIVERY, S.FAILED)
DONE_DELIVERING = (S.DELIVERED, S.PARTIALLY_DELIVERED, S.CLOSED, S.RETURNED)
STALE_AFTER = timedelta(hours=1)
LIST_LIMIT = 20
LAG_BATCH = 200  # scalar subqueries per statement when counting cursor lags


@dataclass(frozen=True, slots=True)
class Visibility:
    """The warehouses a person may see; None means every warehouse."""

    warehouse_ids: frozenset[int] | None

    def allows(self, warehouse_id: int | None) -> bool:
        return self.warehouse_ids is None or warehouse_id in self.warehouse_ids

    def chosen(self, column, warehouse_id: int | None) -> list:  # noqa: ANN001
        """WHERE clauses for one chosen warehouse (refused when not visible) or every visible one."""
        if warehouse_id is not None:
            if not self.allows(warehouse_id):
                raise NotFound("warehouse", warehouse_id)
            return [column == warehouse_id]
        return [] if self.warehouse_ids is None else [column.in_(sorted(self.warehouse_ids))]


@dataclass(frozen=True, slots=True)
class WarehouseRow:
    id: int
    code: str
    name: str


async def visible_warehouses(conn: AsyncConnection, vis: Visibility) -> list[WarehouseRow]:
    query = select(warehouses.c.id, warehouses.c.code, warehouses.c.name).order_by(warehouses.c.code)
    query = query.where(*vis.chosen(warehouses.c.id, None))
    return [WarehouseRow(*r) for r in await conn.execute(query)]


# --- devices -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeviceRow:
    id: str
    name: str
    role: str
    scope: dict[str, Any]
    warehouse_id: int | None
    person: str | None  # the courier a courier phone belongs to
    created_at: datetime
    revoked_at: datetime | None
    last_seen_at: datetime | None
    last_push_at: datetime | None
    last_pull_at: datetime | None
    last_seq: int
    pending: int | None
    cursor_lag: int
    app_version: str | None
    last_error: str | None
    clock_skew_ms: int | None
    state: str  # ok | stale | never | revoked

    @property
    def last_sync_at(self) -> datetime | None:
        seen = [t for t in (self.last_push_at, self.last_pull_at) if t is not None]
        return max(seen) if seen else None


def device_state(revoked_at: datetime | None, last_push_at: datetime | None, last_pull_at: datetime | None, at: datetime) -> str:
    """revoked; never (enrolled, never synced); stale (no push or pull for an hour); ok."""
    if revoked_at is not None:
        return "revoked"
    synced = [t for t in (last_push_at, last_pull_at) if t is not None]
    if not synced:
        return "never"
    return "stale" if at - max(synced) > STALE_AFTER else "ok"


async def device_warehouses(conn: AsyncConnection) -> dict[str, int | None]:
    """Each device's warehouse: its scope's, or its courier's."""
    courier_wh = {r.id: r.warehouse_id for r in await conn.execute(select(couriers.c.id, couriers.c.warehouse_id))}
    d = SYNC.devices.c
    return {
        r.id: r.scope.get("warehouse_id") or courier_wh.get(r.scope.get("courier_id"))
        for r in await conn.execute(select(d.id, d.scope))
    }


async def cursor_lags(conn: AsyncConnection, wanted: dict[str, list[tuple[str, int]]]) -> dict[str, int]:
    """Changes waiting per device: {device: [(scope, pulled_version)]} -> {device: count}.

    Devices share scopes and often cursors, so each distinct (scope, version) is counted once,
    many counts to a statement (index range counts over changes(scope, version)). The statement
    is plain SQL text: building hundreds of expression objects cost far more than running them.
    """
    pairs = sorted({p for ps in wanted.values() for p in ps})
    counts: dict[tuple[str, int], int] = {}
    for start in range(0, len(pairs), LAG_BATCH):
        batch = pairs[start : start + LAG_BATCH]
        columns = ", ".join(f"(SELECT count(*) FROM {SYNC.changes.name} WHERE scope = :s{i} AND version > :v{i})" for i in range(len(batch)))
        params = {k: v for i, (scope, after) in enumerate(batch) for k, v in ((f"s{i}", scope), (f"v{i}", after))}
        row = (await conn.execute(text(f"SELECT {columns}"), params)).one()
        counts.update(zip(batch, row, strict=True))
    return {device: sum(counts[p] for p in ps) for device, ps in wanted.items()}


async def device_rows(
    conn: AsyncConnection,
    sync_app,  # noqa: ANN001
    vis: Visibility,
    at: datetime,
    *,
    role: str | None = None,
    warehouse_id: int | None = None,
    state: str | None = None,
    with_lag: bool = True,
) -> list[DeviceRow]:
    """Devices with their sync status and (unless `with_lag` is off) cursor lag, filtered, newest enrolment first."""
    if warehouse_id is not None and not vis.allows(warehouse_id):
        raise NotFound("warehouse", warehouse_id)
    d = SYNC.devices.c
    query = select(SYNC.devices).order_by(d.created_at.desc(), d.id)
    if role:
        query = query.where(d.role == role)
    courier_rows = {r.id: r for r in await conn.execute(select(couriers.c.id, couriers.c.warehouse_id, couriers.c.name))}
    picked = []
    for r in await conn.execute(query):
        courier = courier_rows.get(r.scope.get("courier_id"))
        wh = r.scope.get("warehouse_id") or (courier.warehouse_id if courier else None)
        if not vis.allows(wh) or (warehouse_id is not None and wh != warehouse_id):
            continue
        st = device_state(r.revoked_at, r.last_push_at, r.last_pull_at, at)
        if state and not (st == state or (state == "error" and r.last_error)):
            continue
        picked.append((r, wh, courier.name if courier else None, st))
    scopes = {
        r.id: [(s, r.pulled_version) for s in sync_app.scopes(Device(r.id, r.name, r.role, r.scope, r.last_seq))]
        for r, *_ in picked
        if r.revoked_at is None and with_lag
    }
    lags = await cursor_lags(conn, scopes)
    return [
        DeviceRow(
            r.id, r.name, r.role, r.scope, wh, person, r.created_at, r.revoked_at, r.last_seen_at, r.last_push_at,
            r.last_pull_at, r.last_seq, r.pending, lags.get(r.id, 0), r.app_version, r.last_error, r.clock_skew_ms, st,
        )  # fmt: skip
        for r, wh, person, st in picked
    ]


async def device_signature(conn: AsyncConnection) -> tuple:
    """A cheap fingerprint of every device's status and of the change log: it moves when the page would."""
    d = SYNC.devices.c
    row = (
        await conn.execute(
            select(func.count(), func.max(d.last_seen_at), func.max(d.last_push_at), func.max(d.last_pull_at),
                   func.count(d.revoked_at), func.sum(d.last_seq), func.sum(d.pulled_version), func.max(d.created_at))  # fmt: skip
        )
    ).one()
    version = (await conn.execute(select(SYNC.state.c.version))).scalar()
    return (*row, version)


# --- dashboard -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderBrief:
    id: int
    number: str
    warehouse_id: int
    status: str
    customer: str
    updated_at: datetime
    delivery_date: date | None
    window_end: time | None


@dataclass
class Dashboard:
    warehouses: list[WarehouseRow]
    stages: dict[int, dict[str, int]]  # warehouse -> status -> count
    stuck_count: int
    stuck: list[OrderBrief]
    late_count: int
    late: list[OrderBrief]
    open_exceptions: dict[int | None, int]  # warehouse (None: not tied to one) -> count
    stale_devices: list[DeviceRow] = field(default_factory=list)

    def stage_total(self, status: str) -> int:
        return sum(s.get(status, 0) for s in self.stages.values())


def _late_clause(at: datetime):  # noqa: ANN202
    """Still not delivered although the delivery window has closed (times are UTC, like the server's clock)."""
    today, clock = at.date(), at.time().replace(tzinfo=None)
    return and_(
        orders.c.status.in_(IN_PROGRESS),
        orders.c.delivery_date.is_not(None),
        or_(
            orders.c.delivery_date < today,
            and_(orders.c.delivery_date == today, orders.c.window_end.is_not(None), orders.c.window_end < clock),
        ),
    )


def _first_and_count_query(where: list, order: list):  # noqa: ANN202
    """The first LIST_LIMIT matching orders with their customer, each row carrying the count of all matches.

    The count is a window over the same scan that finds the first rows, and the customer is
    joined to those few rows only, not to every match.
    """
    o = orders.c
    first = (
        select(o.id, o.number, o.warehouse_id, o.status, o.customer_id, o.updated_at, o.delivery_date, o.window_end,
               func.count().over().label("total"))  # fmt: skip
        .where(*where)
        .order_by(*order)
        .limit(LIST_LIMIT)
        .subquery()
    )
    c = first.c
    return (
        select(c.id, c.number, c.warehouse_id, c.status, customers.c.name, c.updated_at, c.delivery_date, c.window_end, c.total)
        .join(customers, customers.c.id == c.customer_id)
        .order_by(*(getattr(c, col.name) for col in order))
    )


async def _first_and_count(conn: AsyncConnection, where: list, order: list) -> tuple[list[OrderBrief], int]:
    rows = (await conn.execute(_first_and_count_query(where, order))).all()
    return [OrderBrief(*r[:8]) for r in rows], rows[0].total if rows else 0


async def dashboard(
    conn: AsyncConnection, sync_app, vis: Visibility, at: datetime, *, stuck_hours: float, warehouse_id: int | None = None  # noqa: ANN001
) -> Dashboard:
    """Counts per stage per warehouse, stuck and late orders, open exceptions, devices not synced for an hour."""
    where = vis.chosen(orders.c.warehouse_id, warehouse_id)
    stages: dict[int, dict[str, int]] = defaultdict(dict)
    for r in await conn.execute(
        select(orders.c.warehouse_id, orders.c.status, func.count()).where(*where).group_by(orders.c.warehouse_id, orders.c.status)
    ):
        stages[r.warehouse_id][r.status] = r[2]
    stuck_where = [*where, orders.c.status.in_(IN_PROGRESS), orders.c.updated_at < at - timedelta(hours=stuck_hours)]
    stuck, stuck_count = await _first_and_count(conn, stuck_where, [orders.c.updated_at, orders.c.id])
    late, late_count = await _first_and_count(conn, [*where, _late_clause(at)], [orders.c.delivery_date, orders.c.window_end, orders.c.id])
    dev_wh = await device_warehouses(conn)
    open_counts: dict[int | None, int] = defaultdict(int)
    for r in await conn.execute(
        select(exceptions.c.warehouse_id, orders.c.warehouse_id.label("order_wh"), exceptions.c.device_id, func.count())
        .outerjoin(orders, orders.c.id == exceptions.c.order_id)
        .where(exceptions.c.status == "open")
        .group_by(exceptions.c.warehouse_id, orders.c.warehouse_id, exceptions.c.device_id)
    ):
        wh = r.warehouse_id or r.order_wh or dev_wh.get(r.device_id)
        if vis.allows(wh) and (warehouse_id is None or wh == warehouse_id):
            open_counts[wh] += r[3]
    devices = await device_rows(conn, sync_app, vis, at, warehouse_id=warehouse_id, with_lag=False)
    stale = sorted((d for d in devices if d.state in ("stale", "never")), key=lambda d: d.last_sync_at or d.created_at)
    return Dashboard(
        [w for w in await visible_warehouses(conn, vis) if warehouse_id in (None, w.id)],
        dict(stages), stuck_count, stuck, late_count, late, dict(open_counts), stale,
    )  # fmt: skip


# --- exceptions ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExceptionRow:
    id: int
    kind: str
    status: str
    warehouse_id: int | None
    order_id: int | None
    order_number: str | None
    device_id: str | None
    device_name: str | None
    seq: int | None
    detail: dict[str, Any]
    opened_at: datetime
    resolved_at: datetime | None
    resolution: str | None
    resolution_note: str | None
    resolved_by: str | None


@dataclass(frozen=True, slots=True)
class Page:
    items: list
    next_after: str | None


def _exception_scope(vis: Visibility, dev_wh: dict[str, int | None], warehouse_id: int | None) -> list:
    """Which exceptions a person may see: by their warehouse, their order's, or else their device's."""
    if warehouse_id is not None and not vis.allows(warehouse_id):
        raise NotFound("warehouse", warehouse_id)
    wanted = {warehouse_id} if warehouse_id is not None else vis.warehouse_ids
    if wanted is None:
        return []
    e = exceptions.c
    devices = sorted(dev for dev, wh in dev_wh.items() if wh in wanted)
    own = func.coalesce(e.warehouse_id, orders.c.warehouse_id)
    return [or_(own.in_(sorted(wanted)), and_(own.is_(None), e.device_id.in_(devices)))]


async def exception_page(
    conn: AsyncConnection,
    vis: Visibility,
    *,
    status: str | None = "open",
    kind: str | None = None,
    warehouse_id: int | None = None,
    device_id: str | None = None,
    after: str | None = None,
    limit: int = 50,
) -> Page:
    """Exceptions newest first, filtered, in keyset pages."""
    e, d = exceptions.c, SYNC.devices.c
    dev_wh = await device_warehouses(conn)
    query = (
        select(e.id, e.kind, e.status, func.coalesce(e.warehouse_id, orders.c.warehouse_id), e.order_id, orders.c.number,
               e.device_id, d.name, e.seq, e.detail, e.opened_at, e.resolved_at, e.resolution, e.resolution_note, e.resolved_by)  # fmt: skip
        .outerjoin(orders, orders.c.id == e.order_id)
        .outerjoin(SYNC.devices, d.id == e.device_id)
        .where(*_exception_scope(vis, dev_wh, warehouse_id))
        .order_by(e.id.desc())
        .limit(limit + 1)
    )
    for column, value in ((e.status, status), (e.kind, kind), (e.device_id, device_id)):
        if value:
            query = query.where(column == value)
    if after:
        (last,) = decode_cursor(after, (int,))
        query = query.where(e.id < last)
    rows = (await conn.execute(query)).all()
    items = [ExceptionRow(*r[:3], r[3] or dev_wh.get(r.device_id), *r[4:]) for r in rows[:limit]]
    return Page(items, encode_cursor(rows[limit - 1].id) if len(rows) > limit else None)


async def exception_kinds(conn: AsyncConnection) -> list[str]:
    return sorted((await conn.execute(select(exceptions.c.kind).distinct())).scalars())


async def visible_exception(conn: AsyncConnection, vis: Visibility, exception_id: int) -> ExceptionRow:
    """One exception, or NotFound when it is not the person's to see."""
    page = await exception_page(conn, vis, status=None, after=encode_cursor(exception_id + 1), limit=1)
    if not page.items or page.items[0].id != exception_id:
        raise NotFound("exception", exception_id)
    return page.items[0]


# --- orders --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderRow:
    id: int
    number: str
    warehouse_id: int
    customer: str
    source: str
    status: str
    currency: str
    total: int
    payment_kind: str
    delivery_date: date | None
    created_at: datetime
    updated_at: datetime


async def order_page(
    conn: AsyncConnection,
    vis: Visibility,
    *,
    warehouse_id: int | None = None,
    status: str | None = None,
    source: str | None = None,
    q: str | None = None,
    created_from: date | None = None,
    created_to: date | None = None,
    after: str | None = None,
    limit: int = 50,
) -> Page:
    """Orders newest first with their customer, filtered, in keyset pages (cost independent of depth)."""
    o = orders.c
    query = (
        select(o.id, o.number, o.warehouse_id, customers.c.name, o.source, o.status, o.currency, o.total, o.payment_kind,
               o.delivery_date, o.created_at, o.updated_at)  # fmt: skip
        .join(customers, customers.c.id == o.customer_id)
        .where(*vis.chosen(o.warehouse_id, warehouse_id))
        .order_by(o.id.desc())
        .limit(limit + 1)
    )
    for column, value in ((o.status, status), (o.source, source)):
        if value:
            query = query.where(column == value)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(o.number.ilike(pattern, escape="\\"), customers.c.name.ilike(pattern, escape="\\")))
    if created_from:
        query = query.where(o.created_at >= datetime.combine(created_from, time(), tzinfo=UTC))
    if created_to:
        query = query.where(o.created_at < datetime.combine(created_to + timedelta(days=1), time(), tzinfo=UTC))
    if after:
        (last,) = decode_cursor(after, (int,))
        query = query.where(o.id < last)
    rows = (await conn.execute(query)).all()
    return Page([OrderRow(*r) for r in rows[:limit]], encode_cursor(rows[limit - 1].id) if len(rows) > limit else None)


@dataclass
class OrderDetail:
    order: Any  # the orders row
    customer: Any  # the customers row
    warehouse: WarehouseRow
    lines: list
    timeline: list  # rows with device_name
    pick_lines: list
    checks: list
    parcels: list  # (parcel row, [items])
    exceptions: list[ExceptionRow]
    routes: list  # (route id, day, stop_no, courier, status)
    delivery_events: list  # delivery facts on the timeline
    deliveries: list  # proof of delivery as the courier's phone recorded it (with courier and device names)
    payments: list
    invoice: Any | None


DELIVERY_EVENTS = ("order_delivered", "order_partially_delivered", "delivery_failed")


async def order_detail(conn: AsyncConnection, vis: Visibility, order_id: int) -> OrderDetail:
    """One order with everything recorded about it; NotFound if it is not the person's to see."""
    row = (await conn.execute(select(orders).where(orders.c.id == order_id))).first()
    if row is None or not vis.allows(row.warehouse_id):
        raise NotFound("order", order_id)
    customer = (await conn.execute(select(customers).where(customers.c.id == row.customer_id))).one()
    warehouse = WarehouseRow(*(await conn.execute(select(warehouses.c.id, warehouses.c.code, warehouses.c.name).where(warehouses.c.id == row.warehouse_id))).one())
    lines = (await conn.execute(select(order_lines).where(order_lines.c.order_id == order_id).order_by(order_lines.c.line_no))).all()
    timeline = (
        await conn.execute(
            select(order_events, SYNC.devices.c.name.label("device_name"))
            .outerjoin(SYNC.devices, SYNC.devices.c.id == order_events.c.device_id)
            .where(order_events.c.order_id == order_id)
            .order_by(order_events.c.id)
        )
    ).all()
    picks = (
        await conn.execute(
            select(pick_lines, products.c.sku, locations.c.code.label("bin"), pick_lists.c.status.label("list_status"),
                   pick_lists.c.claimed_by, pick_list_orders.c.tote, SYNC.devices.c.name.label("device_name"))  # fmt: skip
            .join(products, products.c.id == pick_lines.c.product_id)
            .join(locations, locations.c.id == pick_lines.c.location_id)
            .join(pick_lists, pick_lists.c.id == pick_lines.c.pick_list_id)
            .outerjoin(pick_list_orders, and_(pick_list_orders.c.pick_list_id == pick_lines.c.pick_list_id,
                                              pick_list_orders.c.order_id == pick_lines.c.order_id))  # fmt: skip
            .outerjoin(SYNC.devices, SYNC.devices.c.id == pick_lists.c.claimed_by)
            .where(pick_lines.c.order_id == order_id)
            .order_by(pick_lines.c.pick_list_id, pick_lines.c.pick_seq, pick_lines.c.id)
        )
    ).all()
    checks = (
        await conn.execute(
            select(order_checks, SYNC.devices.c.name.label("device_name"))
            .outerjoin(SYNC.devices, SYNC.devices.c.id == order_checks.c.device_id)
            .where(order_checks.c.order_id == order_id)
            .order_by(order_checks.c.id)
        )
    ).all()
    parcel_rows = (await conn.execute(select(parcels).where(parcels.c.order_id == order_id).order_by(parcels.c.opened_at))).all()
    items: dict[str, list] = defaultdict(list)
    if parcel_rows:
        for it in await conn.execute(
            select(parcel_items, products.c.sku, products.c.name)
            .join(products, products.c.id == parcel_items.c.product_id)
            .where(parcel_items.c.parcel_id.in_([p.id for p in parcel_rows]))
        ):
            items[it.parcel_id].append(it)
    order_exceptions = await _order_exceptions(conn, order_id)
    on_routes = (
        await conn.execute(
            select(routes.c.id, routes.c.day, route_stops.c.stop_no, couriers.c.name, routes.c.status)
            .join(route_stops, route_stops.c.route_id == routes.c.id)
            .join(couriers, couriers.c.id == routes.c.courier_id)
            .where(route_stops.c.order_id == order_id)
            .order_by(routes.c.day)
        )
    ).all()
    pods = (
        await conn.execute(
            select(deliveries, couriers.c.name.label("courier"), SYNC.devices.c.name.label("device_name"))
            .join(couriers, couriers.c.id == deliveries.c.courier_id)
            .outerjoin(SYNC.devices, SYNC.devices.c.id == deliveries.c.device_id)
            .where(deliveries.c.order_id == order_id)
            .order_by(deliveries.c.recorded_at)
        )
    ).all()
    paid = (
        await conn.execute(
            select(payments, couriers.c.name.label("courier"))
            .outerjoin(couriers, couriers.c.id == payments.c.courier_id)
            .where(payments.c.order_id == order_id)
            .order_by(payments.c.captured_at)
        )
    ).all()
    invoice = (await conn.execute(select(invoices).where(invoices.c.order_id == order_id))).first()
    return OrderDetail(
        row, customer, warehouse, lines, timeline, picks, checks, [(p, items[p.id]) for p in parcel_rows],
        order_exceptions, on_routes, [e for e in timeline if e.type in DELIVERY_EVENTS], pods, paid, invoice,
    )  # fmt: skip


async def _order_exceptions(conn: AsyncConnection, order_id: int) -> list[ExceptionRow]:
    e, d = exceptions.c, SYNC.devices.c
    rows = await conn.execute(
        select(e.id, e.kind, e.status, e.warehouse_id, e.order_id, orders.c.number, e.device_id, d.name, e.seq, e.detail,
               e.opened_at, e.resolved_at, e.resolution, e.resolution_note, e.resolved_by)  # fmt: skip
        .join(orders, orders.c.id == e.order_id)
        .outerjoin(SYNC.devices, d.id == e.device_id)
        .where(e.order_id == order_id)
        .order_by(e.id)
    )
    return [ExceptionRow(*r) for r in rows]


# --- routes and cash -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RouteProgress:
    id: int
    warehouse_id: int
    day: date
    courier_id: int
    courier: str
    vehicle: str
    status: str
    stops: int
    delivered: int
    failed: int
    cancelled: int
    parcels: int
    parcels_loaded: int
    cod_expected: dict[str, int]  # currency -> minor units due in cash at the door
    card_expected: dict[str, int]

    @property
    def remaining(self) -> int:
        return self.stops - self.delivered - self.failed - self.cancelled

    @property
    def percent_done(self) -> int:
        return round(100 * (self.delivered + self.failed + self.cancelled) / self.stops) if self.stops else 0


@dataclass(frozen=True, slots=True)
class CashRow:
    """Per courier and shift (route day) and currency: cash due at the doors, recorded, handed over.

    `collected` is the cash payments the courier's phone recorded that day; `handed_over` what the
    cashier counted at the end of the shift (None: not handed over yet); `difference` the counted
    minus the recorded cash at the handover; `on_hand` the courier's cash not handed over yet, any day.
    """

    courier_id: int
    courier: str
    day: date
    currency: str
    expected: int
    collected: int = 0
    handed_over: int | None = None
    difference: int | None = None
    handover_status: str | None = None  # open | closed (a supervisor closed the difference)
    on_hand: int = 0


async def route_board(conn: AsyncConnection, vis: Visibility, *, day: date, warehouse_id: int | None = None) -> list[RouteProgress]:
    """Routes of a day with stop and parcel progress and the money due at the doors."""
    r = routes.c
    route_rows = (
        await conn.execute(
            select(r.id, r.warehouse_id, r.day, r.courier_id, couriers.c.name, r.vehicle, r.status)
            .join(couriers, couriers.c.id == r.courier_id)
            .where(r.day == day, *vis.chosen(r.warehouse_id, warehouse_id))
            .order_by(r.warehouse_id, r.id)
        )
    ).all()
    return await _progress(conn, route_rows)


async def _progress(conn: AsyncConnection, route_rows: Sequence) -> list[RouteProgress]:
    ids = [row.id for row in route_rows]
    stops: dict[int, list] = defaultdict(list)
    parcel_counts: dict[int, tuple[int, int]] = {}
    if ids:
        for s in await conn.execute(
            select(route_stops.c.route_id, orders.c.status, orders.c.payment_kind, orders.c.total, orders.c.currency)
            .join(orders, orders.c.id == route_stops.c.order_id)
            .where(route_stops.c.route_id.in_(ids))
        ):
            stops[s.route_id].append(s)
        for p in await conn.execute(
            select(route_stops.c.route_id, func.count(parcels.c.id), func.count(parcels.c.loaded_at))
            .join(parcels, parcels.c.order_id == route_stops.c.order_id)
            .where(route_stops.c.route_id.in_(ids))
            .group_by(route_stops.c.route_id)
        ):
            parcel_counts[p.route_id] = (p[1], p[2])
    result = []
    for row in route_rows:
        mine = stops[row.id]
        cod: dict[str, int] = defaultdict(int)
        card: dict[str, int] = defaultdict(int)
        for s in mine:
            if s.status != S.CANCELLED and s.payment_kind == "cash_on_delivery":
                cod[s.currency] += s.total
            if s.status != S.CANCELLED and s.payment_kind == "card_on_delivery":
                card[s.currency] += s.total
        total, loaded = parcel_counts.get(row.id, (0, 0))
        result.append(
            RouteProgress(
                row.id, row.warehouse_id, row.day, row.courier_id, row[4], row.vehicle, row.status, len(mine),
                sum(s.status in DONE_DELIVERING for s in mine), sum(s.status == S.FAILED for s in mine),
                sum(s.status == S.CANCELLED for s in mine), total, loaded, dict(cod), dict(card),
            )  # fmt: skip
        )
    return result


async def cash_rows(conn: AsyncConnection, board: Iterable[RouteProgress], day: date) -> list[CashRow]:
    """COD due per courier and shift, beside the cash recorded at the doors and the handover counts."""
    board = list(board)
    ids = sorted({r.courier_id for r in board})
    names = {r.courier_id: r.courier for r in board}
    due: dict[tuple[int, str], int] = defaultdict(int)
    for route in board:
        for currency, amount in route.cod_expected.items():
            due[(route.courier_id, currency)] += amount
    collected: dict[tuple[int, str], int] = defaultdict(int)
    on_hand: dict[tuple[int, str], int] = defaultdict(int)
    handed: dict[tuple[int, str], list] = defaultdict(list)
    if ids:
        lo = datetime.combine(day, time(), tzinfo=UTC)
        p = payments.c
        cash = [p.courier_id.in_(ids), p.method == "cash"]
        for r in await conn.execute(
            select(p.courier_id, p.currency, func.sum(p.amount))
            .where(*cash, p.captured_at >= lo, p.captured_at < lo + timedelta(days=1))
            .group_by(p.courier_id, p.currency)
        ):
            collected[(r[0], r[1])] = int(r[2])
        for r in await conn.execute(
            select(p.courier_id, p.currency, func.sum(p.amount)).where(*cash, p.handover_id.is_(None)).group_by(p.courier_id, p.currency)
        ):
            on_hand[(r[0], r[1])] = int(r[2])
        h = cash_handovers.c
        for r in await conn.execute(select(h.courier_id, h.currency, h.counted, h.difference, h.status).where(h.courier_id.in_(ids), h.shift_day == day)):
            handed[(r.courier_id, r.currency)].append(r)
    keys = set(due) | set(collected) | set(handed) | {(c, "RUB") for c in ids if not any(k[0] == c for k in due)}
    rows = []
    for courier_id, currency in sorted(keys, key=lambda k: (names.get(k[0], ""), k[1])):
        counts = handed.get((courier_id, currency), [])
        rows.append(CashRow(
            courier_id, names.get(courier_id, f"#{courier_id}"), day, currency, due.get((courier_id, currency), 0),
            collected.get((courier_id, currency), 0), sum(c.counted for c in counts) if counts else None,
            sum(c.difference for c in counts) if counts else None,
            ("open" if any(c.status == "open" for c in counts) else "closed") if counts else None,
            on_hand.get((courier_id, currency), 0),
        ))  # fmt: skip
    return rows


@dataclass
class RouteDetail:
    progress: RouteProgress
    stops: list  # rows: stop_no, order id, number, status, customer, address, window, payment, total, currency
    outcomes: dict[int, Any]  # order -> its latest delivery record (outcome, recipient, failure reason, times)
    paid: dict[int, dict[str, int]]  # order -> currency -> amount paid


async def route_detail(conn: AsyncConnection, vis: Visibility, route_id: int) -> RouteDetail:
    """One route with its stops; NotFound if it is not the person's to see."""
    r = routes.c
    row = (
        await conn.execute(
            select(r.id, r.warehouse_id, r.day, r.courier_id, couriers.c.name, r.vehicle, r.status)
            .join(couriers, couriers.c.id == r.courier_id)
            .where(r.id == route_id)
        )
    ).first()
    if row is None or not vis.allows(row.warehouse_id):
        raise NotFound("route", route_id)
    (progress,) = await _progress(conn, [row])
    o = orders.c
    stop_rows = (
        await conn.execute(
            select(route_stops.c.stop_no, o.id, o.number, o.status, customers.c.name, o.delivery_address, o.delivery_date,
                   o.window_start, o.window_end, o.payment_kind, o.total, o.currency)  # fmt: skip
            .join(orders, o.id == route_stops.c.order_id)
            .join(customers, customers.c.id == o.customer_id)
            .where(route_stops.c.route_id == route_id)
            .order_by(route_stops.c.stop_no)
        )
    ).all()
    order_ids = [r.id for r in stop_rows]
    outcomes = {
        r.order_id: r
        for r in await conn.execute(
            select(deliveries.c.order_id, deliveries.c.outcome, deliveries.c.recipient_name, deliveries.c.failure_reason,
                   deliveries.c.captured_at)  # fmt: skip
            .where(deliveries.c.order_id.in_(order_ids))
            .order_by(deliveries.c.recorded_at)
        )
    }
    paid: dict[int, dict[str, int]] = defaultdict(dict)
    for r in await conn.execute(
        select(payments.c.order_id, payments.c.currency, func.sum(payments.c.amount))
        .where(payments.c.order_id.in_(order_ids))
        .group_by(payments.c.order_id, payments.c.currency)
    ):
        paid[r[0]][r[1]] = int(r[2])
    return RouteDetail(progress, stop_rows, outcomes, dict(paid))
