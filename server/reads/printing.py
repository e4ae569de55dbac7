"""Read what a label or a document needs from the central record and map it onto the labels/ records.

Each function takes `bound_warehouse`, the warehouse the caller is bound to (None: company-wide), and
answers NotFound for anything outside it, as the orders API does, so a bound supervisor cannot tell
another warehouse's bins, orders and routes from missing ones.

Dates: the record keeps UTC timestamps and has no warehouse time zone yet, so a pro forma invoice
(an order with no issued invoice) is dated by the UTC day its order was created.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from sqlalchemy import Row, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from labels.documents.data import (
    DocumentLine,
    InvoiceData,
    Organization,
    PackingListData,
    Parcel,
    ParcelItem,
    PickLine,
    PickListData,
    RouteSheetData,
    RouteStop,
    WaybillData,
)
from labels.label_data import BinLabelData, EnrollmentCardData, Money, ParcelLabelData, Party, ProductLabelData
from server.clock import now
from server.db.tables import (
    SYNC,
    bin_stock,
    couriers,
    customers,
    invoices,
    locations,
    marking_codes,
    order_lines,
    orders,
    parcel_items,
    parcels,
    payments,
    pick_lines,
    pick_list_orders,
    pick_lists,
    product_barcodes,
    products,
    route_stops,
    routes,
    sscc_blocks,
    warehouses,
)
from server.domain import picking
from server.domain.catalog import barcode_is_gtin
from server.domain.packing import SsccBlock
from server.domain.customers import inn_is_valid, kpp_is_valid
from server.domain.refusals import NotFound, Refused
from server.settings import Settings
from server.usecases.devices import digest, normalize_code

# Payment kinds collected at the door; the same rule the courier's replica uses (syncapp.feeds).
COLLECTED_AT_THE_DOOR = frozenset({"cash_on_delivery", "card_on_delivery"})
# GTINs an EAN-13 symbol carries (GenSpecs 5.2.1): GTIN-13, and GTIN-12 (UPC-A) with a leading zero.
# A GTIN-8 belongs in an EAN-8, which the product label does not print.
EAN_LENGTHS = (13, 12)


def _visible(bound_warehouse: int | None, owner: int) -> bool:
    return bound_warehouse is None or bound_warehouse == owner


# ---- labels


def _bin_label(row) -> BinLabelData:  # noqa: ANN001
    # The scanner reads `barcode` (unique across warehouses), so that is what the label encodes and
    # prints large; BinLabelData carries one location string, so the people's code goes on the zone line.
    zone = " · ".join(part for part in (row.zone, row.code if row.code != row.barcode else "") if part)
    return BinLabelData(location=row.barcode, warehouse=row.warehouse_name, zone=zone)


_BIN_COLUMNS = (locations.c.id, locations.c.warehouse_id, locations.c.code, locations.c.barcode, locations.c.zone,
                warehouses.c.name.label("warehouse_name"))  # fmt: skip


async def bin_label(conn: AsyncConnection, location_id: int, bound_warehouse: int | None) -> BinLabelData:
    """The label record of one bin."""
    row = (
        await conn.execute(
            select(*_BIN_COLUMNS)
            .join(warehouses, warehouses.c.id == locations.c.warehouse_id)
            .where(locations.c.id == location_id)
        )
    ).first()
    if row is None or not _visible(bound_warehouse, row.warehouse_id):
        raise NotFound("location", location_id)
    return _bin_label(row)


async def warehouse_bin_labels(
    conn: AsyncConnection, warehouse_id: int, bound_warehouse: int | None
) -> list[BinLabelData]:
    """The label records of every bin of a warehouse, in walking order (as a picker meets them)."""
    exists = (await conn.execute(select(warehouses.c.id).where(warehouses.c.id == warehouse_id))).first()
    if exists is None or not _visible(bound_warehouse, warehouse_id):
        raise NotFound("warehouse", warehouse_id)
    rows = await conn.execute(
        select(*_BIN_COLUMNS)
        .join(warehouses, warehouses.c.id == locations.c.warehouse_id)
        .where(locations.c.warehouse_id == warehouse_id)
        .order_by(locations.c.pick_seq, locations.c.id)
    )
    labels = [_bin_label(row) for row in rows]
    if not labels:
        raise Refused("warehouse_has_no_bins", f"warehouse {warehouse_id} has no bins to label")
    return labels


def ean_candidate(codes: Sequence[tuple[str, int]]) -> str | None:
    """The barcode a product label prints: a unit (multiplier 1) GTIN-13, else a GTIN-12."""
    usable = [code for code, multiplier in codes if multiplier == 1 and barcode_is_gtin(code) and len(code) in EAN_LENGTHS]
    return min(usable, key=lambda code: (EAN_LENGTHS.index(len(code)), code), default=None)


async def product_label(conn: AsyncConnection, product_id: int) -> ProductLabelData:
    """The label record of a product: its unit EAN, name and catalog price."""
    row = (await conn.execute(select(products).where(products.c.id == product_id))).first()
    if row is None:
        raise NotFound("product", product_id)
    codes = await conn.execute(
        select(product_barcodes.c.code, product_barcodes.c.multiplier).where(product_barcodes.c.product_id == product_id)
    )
    gtin = ean_candidate([(c.code, c.multiplier) for c in codes])
    if gtin is None:
        raise Refused("product_without_gtin", f"product {row.sku} has no unit EAN-13 or UPC-A barcode to print")
    return ProductLabelData(gtin=gtin, name=row.name, price=Money(row.price, row.currency))


# ---- documents of an order


@dataclass(frozen=True, slots=True)
class _OrderHead:
    row: Row  # orders
    customer: Row  # customers
    warehouse: Row  # warehouses


async def _order_head(conn: AsyncConnection, order_id: int, bound_warehouse: int | None) -> _OrderHead:
    order = (await conn.execute(select(orders).where(orders.c.id == order_id))).first()
    if order is None or not _visible(bound_warehouse, order.warehouse_id):
        raise NotFound("order", order_id)
    customer = (await conn.execute(select(customers).where(customers.c.id == order.customer_id))).one()
    warehouse = (await conn.execute(select(warehouses).where(warehouses.c.id == order.warehouse_id))).one()
    return _OrderHead(order, customer, warehouse)


async def _lines(conn: AsyncConnection, order_id: int) -> list:
    return list(
        await conn.execute(
            select(order_lines, products.c.unit)
            .join(products, products.c.id == order_lines.c.product_id)
            .where(order_lines.c.order_id == order_id)
            .order_by(order_lines.c.line_no)
        )
    )


@dataclass(frozen=True, slots=True)
class _Pick:
    line_no: int
    product_id: int
    quantity: int
    location_id: int | None  # None: no bin of the warehouse holds the product


async def _planned_picks(conn: AsyncConnection, order_id: int) -> list[_Pick] | None:
    """The bins the order's latest pick list planned (what the picker's handheld shows), or None."""
    list_id = (
        await conn.execute(
            select(func.max(pick_list_orders.c.pick_list_id))
            .join(pick_lists, pick_lists.c.id == pick_list_orders.c.pick_list_id)
            .where(pick_list_orders.c.order_id == order_id, pick_lists.c.status != "cancelled")
        )
    ).scalar()
    if list_id is None:
        return None
    rows = await conn.execute(
        select(pick_lines.c.line_no, pick_lines.c.product_id, pick_lines.c.quantity, pick_lines.c.location_id)
        .where(pick_lines.c.pick_list_id == list_id, pick_lines.c.order_id == order_id)
        .order_by(pick_lines.c.pick_seq, pick_lines.c.id)
    )
    return [_Pick(r.line_no, r.product_id, r.quantity, r.location_id) for r in rows]


async def _suggested_picks(conn: AsyncConnection, warehouse_id: int, lines: list) -> list[_Pick]:
    """Before a pick list exists: split the lines over bins by the same rule pick lists are made with."""
    stocked: dict[int, list[picking.BinRequest]] = {}
    if lines:
        for b in await conn.execute(
            select(bin_stock.c.product_id, bin_stock.c.location_id, bin_stock.c.quantity, locations.c.pick_seq)
            .join(locations, locations.c.id == bin_stock.c.location_id)
            .where(locations.c.warehouse_id == warehouse_id, bin_stock.c.product_id.in_(sorted({li.product_id for li in lines})))
        ):
            stocked.setdefault(b.product_id, []).append(picking.BinRequest(b.location_id, b.pick_seq, b.quantity))
    picks = []
    for li in lines:
        bins = stocked.get(li.product_id)
        if not bins:  # the rule refuses to plan this line; the printed list says "not in any bin"
            picks.append(_Pick(li.line_no, li.product_id, li.quantity, None))
            continue
        plan = picking.plan_pick_lines(li.order_id, li.line_no, li.product_id, li.quantity, bins)
        picks.extend(_Pick(li.line_no, li.product_id, quantity, location_id) for location_id, _seq, quantity in plan)
    return picks


async def pick_list(conn: AsyncConnection, order_id: int, bound_warehouse: int | None) -> PickListData:
    """The pick list of an order: its pick list's bins when it has one, else the bins the rule would plan."""
    head = await _order_head(conn, order_id, bound_warehouse)
    lines = {li.line_no: li for li in await _lines(conn, order_id)}
    picks = await _planned_picks(conn, order_id)
    if picks is None:
        picks = await _suggested_picks(conn, head.row.warehouse_id, list(lines.values()))
    location_ids = sorted({p.location_id for p in picks if p.location_id is not None})
    product_ids = sorted({p.product_id for p in picks})
    bins = {}
    if location_ids:
        bins = {b.id: b for b in await conn.execute(select(locations).where(locations.c.id.in_(location_ids)))}
    unit_codes: dict[int, list[str]] = {pid: [] for pid in product_ids}
    if product_ids:
        for c in await conn.execute(
            select(product_barcodes.c.product_id, product_barcodes.c.code)
            .where(product_barcodes.c.product_id.in_(product_ids), product_barcodes.c.multiplier == 1)
        ):
            unit_codes[c.product_id].append(c.code)
    printed = []
    for pick in picks:
        line = lines[pick.line_no]
        # The item's own unit barcode, a GTIN first; a case code would count its multiplier when scanned.
        units = sorted(unit_codes[pick.product_id], key=lambda code: (not barcode_is_gtin(code), code))
        held = bins.get(pick.location_id)
        printed.append(
            PickLine(line.sku, line.name, pick.quantity, line.unit, units[0] if units else "",
                     held.code if held else None, held.barcode if held else None, held.pick_seq if held else None)  # fmt: skip
        )
    return PickListData(
        order_number=head.row.number,
        warehouse=head.warehouse.name,
        customer=head.customer.name,
        lines=tuple(printed),
        delivery_date=head.row.delivery_date,
        notes=head.row.notes,
    )


def _seller(warehouse, settings: Settings) -> Organization:  # noqa: ANN001
    """The seller's requisites from the settings; the shipping warehouse's name and address where none are set."""
    inn, kpp = settings.seller_inn, settings.seller_kpp
    if inn and not inn_is_valid(inn):
        raise Refused("seller_inn_invalid", f"TALLY_SELLER_INN is not a valid INN: {inn!r}")
    if kpp and not kpp_is_valid(kpp):
        raise Refused("seller_kpp_invalid", f"TALLY_SELLER_KPP must be 9 characters (NNNNPPNNN): {kpp!r}")
    if settings.vat_rate is not None and not 0 <= settings.vat_rate <= 100:
        raise Refused("vat_rate_invalid", f"TALLY_VAT_RATE must be a percentage: {settings.vat_rate}")
    return Organization(name=settings.seller_name or warehouse.name, inn=inn, kpp=kpp,
                        address=settings.seller_address or warehouse.address)  # fmt: skip


def _buyer(customer, address: str | None = None) -> Organization:  # noqa: ANN001
    return Organization(
        name=customer.name,
        inn=customer.inn or "",
        kpp=customer.kpp or "",
        address=address or customer.legal_address or "",
        phone=customer.phone or "",
    )


def _document_lines(lines: list) -> tuple[DocumentLine, ...]:
    return tuple(DocumentLine(li.sku, li.name, li.quantity, li.unit_price, li.unit) for li in lines)


def _due_date(order):  # noqa: ANN001, ANN202
    """When the money is due by the order's terms: on invoice after its days, at the door on delivery."""
    issued = order.created_at.date()
    if order.payment_kind == "invoice":
        return issued + timedelta(days=order.payment_due_days)
    if order.payment_kind in COLLECTED_AT_THE_DOOR:
        return order.delivery_date
    return issued  # prepaid: before shipment


async def invoice(conn: AsyncConnection, order_id: int, bound_warehouse: int | None, settings: Settings) -> InvoiceData:
    """The order's issued invoice (its number, date and due date); before one is issued, a pro forma
    numbered and dated by the order, due by its payment terms."""
    head = await _order_head(conn, order_id, bound_warehouse)
    order = head.row
    issued = (await conn.execute(select(invoices).where(invoices.c.order_id == order_id))).first()
    return InvoiceData(
        number=issued.number if issued else order.number,
        date=issued.issued_on if issued else order.created_at.date(),
        seller=_seller(head.warehouse, settings),
        vat_rate=settings.vat_rate,
        buyer=_buyer(head.customer),
        currency=order.currency,
        lines=_document_lines(await _lines(conn, order_id)),
        due_date=issued.due_on if issued else _due_date(order),
        order_number=order.number,
        payment=order.payment_kind,
    )


async def waybill(conn: AsyncConnection, order_id: int, bound_warehouse: int | None, settings: Settings) -> WaybillData:
    """The consignment note for an order, dated by its delivery day (the planned shipment) when it has one."""
    head = await _order_head(conn, order_id, bound_warehouse)
    order = head.row
    return WaybillData(
        number=order.number,
        date=order.delivery_date or order.created_at.date(),
        supplier=_seller(head.warehouse, settings),
        vat_rate=settings.vat_rate,
        consignee=_buyer(head.customer, order.delivery_address),
        payer=_buyer(head.customer),
        currency=order.currency,
        lines=_document_lines(await _lines(conn, order_id)),
        order_number=order.number,
        parcel_count=(await conn.execute(select(func.count()).where(parcels.c.order_id == order_id))).scalar_one() or None,
    )


# ---- documents of a route


async def route_sheet(conn: AsyncConnection, route_id: int, bound_warehouse: int | None) -> RouteSheetData:
    """The route sheet: the route, its courier, and its stops in order with their orders' parcels."""
    route = (
        await conn.execute(
            select(routes, couriers.c.name.label("courier_name"), couriers.c.phone.label("courier_phone"),
                   warehouses.c.name.label("warehouse_name"))  # fmt: skip
            .join(couriers, couriers.c.id == routes.c.courier_id)
            .join(warehouses, warehouses.c.id == routes.c.warehouse_id)
            .where(routes.c.id == route_id)
        )
    ).first()
    if route is None or not _visible(bound_warehouse, route.warehouse_id):
        raise NotFound("route", route_id)
    stops = (
        await conn.execute(
            select(route_stops.c.stop_no, orders, customers.c.name.label("customer_name"),
                   customers.c.phone.label("customer_phone"))  # fmt: skip
            .join(orders, orders.c.id == route_stops.c.order_id)
            .join(customers, customers.c.id == orders.c.customer_id)
            .where(route_stops.c.route_id == route_id)
            .order_by(route_stops.c.stop_no)
        )
    ).all()
    # The parcels packed for each stop's order (none before packing); the SSCCs the courier scans at the door.
    ssccs: dict[int, list[str]] = {s.id: [] for s in stops}
    if ssccs:
        for p in await conn.execute(
            select(parcels.c.order_id, parcels.c.sscc).where(parcels.c.order_id.in_(list(ssccs))).order_by(parcels.c.sscc)
        ):
            ssccs[p.order_id].append(p.sscc)
    return RouteSheetData(
        route=str(route.id),
        day=route.day,
        warehouse=route.warehouse_name,
        courier=route.courier_name,
        courier_phone=route.courier_phone or "",
        vehicle=route.vehicle,
        stops=tuple(
            RouteStop(
                number=s.stop_no,
                order_number=s.number,
                recipient=s.customer_name,
                address=s.delivery_address or "",
                phone=s.customer_phone or "",
                window_start=s.window_start,
                window_end=s.window_end,
                parcels=tuple(ssccs[s.id]),
                payment=s.payment_kind,
                amount_due=Money(s.total, s.currency) if s.payment_kind in COLLECTED_AT_THE_DOOR else None,
                notes=s.notes,
            )
            for s in stops
        ),
    )


# ---- parcel labels


@dataclass(frozen=True, slots=True)
class ParcelLabel:
    """A parcel's label record and the fields the record does not know yet ("route", "window",
    "weight"), which the label prints as "—" (labels.templates.parcel_label.parcel_label)."""

    data: ParcelLabelData
    unknown: frozenset[str]


_NO_WINDOW = datetime(2000, 1, 1)  # a placeholder for an order without a delivery window; never printed


async def _company_prefix_lengths(conn: AsyncConnection, rows: Sequence[Row]) -> dict[str, int]:
    """How long the GS1 Company Prefix of each SSCC is, read from the block its packing device printed
    it from, so the label splits the SSCC for people; an SSCC from no known block is printed whole."""
    devices = sorted({r.packed_by for r in rows})
    blocks = [
        SsccBlock(b.id, b.extension_digit, b.company_prefix, b.first_serial, b.last_serial)
        for b in await conn.execute(select(sscc_blocks).where(sscc_blocks.c.device_id.in_(devices)))
    ]
    lengths = {}
    for r in rows:
        block = next((b for b in blocks if b.serial_of(r.sscc) is not None), None)
        if block is not None:
            lengths[r.sscc] = len(block.company_prefix)
    return lengths


async def _amounts_paid(conn: AsyncConnection, order_ids: Sequence[int]) -> dict[int, int]:
    rows = await conn.execute(
        select(payments.c.order_id, func.sum(payments.c.amount).label("paid"))
        .where(payments.c.order_id.in_(order_ids))
        .group_by(payments.c.order_id)
    )
    return {r.order_id: int(r.paid) for r in rows}


async def _parcel_labels(conn: AsyncConnection, rows: Sequence[Row], route_id: int | None = None) -> list[ParcelLabel]:
    """The label records of some parcels (rows of `parcels`, in print order) in a constant number of queries.

    A parcel is "n of m" among its order's parcels by SSCC. It rides on `route_id` when given (a
    route's labels), else on the route it was loaded onto, else on its order's newest route, if any.
    Cash or card on delivery: the courier collects what is left of the order total after payments.
    """
    order_ids = sorted({r.order_id for r in rows})
    heads = {
        o.id: o
        for o in await conn.execute(
            select(orders, customers.c.name.label("customer_name"), customers.c.phone.label("customer_phone"),
                   customers.c.legal_address.label("customer_address"), warehouses.c.name.label("warehouse_name"),
                   warehouses.c.address.label("warehouse_address"))  # fmt: skip
            .join(customers, customers.c.id == orders.c.customer_id)
            .join(warehouses, warehouses.c.id == orders.c.warehouse_id)
            .where(orders.c.id.in_(order_ids))
        )
    }
    siblings: dict[int, dict[str, int]] = {o: {} for o in order_ids}  # order -> SSCC -> its place among them
    for p in await conn.execute(
        select(parcels.c.order_id, parcels.c.sscc).where(parcels.c.order_id.in_(order_ids)).order_by(parcels.c.sscc)
    ):
        siblings[p.order_id][p.sscc] = len(siblings[p.order_id]) + 1
    stops: dict[tuple[int, int], int] = {}  # (route, order) -> stop number
    newest: dict[int, int] = {}  # order -> its newest route
    for s in await conn.execute(
        select(route_stops.c.route_id, route_stops.c.order_id, route_stops.c.stop_no).where(route_stops.c.order_id.in_(order_ids))
    ):
        stops[(s.route_id, s.order_id)] = s.stop_no
        newest[s.order_id] = max(newest.get(s.order_id, s.route_id), s.route_id)
    paid = await _amounts_paid(conn, order_ids)
    prefixes = await _company_prefix_lengths(conn, rows)
    printed = []
    for r in rows:
        order = heads[r.order_id]
        route = route_id or (r.route_id if (r.route_id, r.order_id) in stops else newest.get(r.order_id))
        stop = stops.get((route, r.order_id))
        unknown = set()
        if stop is None:
            unknown.add("route")
        if order.delivery_date is not None and order.window_start is not None and order.window_end is not None:
            window = (datetime.combine(order.delivery_date, order.window_start), datetime.combine(order.delivery_date, order.window_end))
        else:
            window = (_NO_WINDOW, _NO_WINDOW)
            unknown.add("window")
        if r.weight_g is None:  # still open: weighed when it is closed
            unknown.add("weight")
        due = order.total - paid.get(order.id, 0) if order.payment_kind in COLLECTED_AT_THE_DOOR else 0
        data = ParcelLabelData(
            sscc=r.sscc,
            parcel_id=r.id,
            sender=Party(order.warehouse_name, order.warehouse_address or ""),
            recipient=Party(order.customer_name, order.delivery_address or order.customer_address or "", order.customer_phone or ""),
            window_from=window[0],
            window_to=window[1],
            parcel_number=siblings[r.order_id][r.sscc],
            parcel_count=len(siblings[r.order_id]),
            weight_g=r.weight_g or 0,
            order_number=order.number,
            route=str(route) if stop is not None else "",
            stop=stop or 0,
            cod=Money(due, order.currency) if due > 0 else None,
            company_prefix_length=prefixes.get(r.sscc),
        )
        printed.append(ParcelLabel(data, frozenset(unknown)))
    return printed


async def parcel_label(conn: AsyncConnection, key: str, bound_warehouse: int | None) -> ParcelLabel:
    """The label record of one parcel, found by its SSCC or its id."""
    row = (await conn.execute(select(parcels).where(or_(parcels.c.sscc == key, parcels.c.id == key)))).first()
    if row is None or not _visible(bound_warehouse, row.warehouse_id):
        raise NotFound("parcel", key)
    (label,) = await _parcel_labels(conn, [row])
    return label


async def pick_list_parcel_labels(conn: AsyncConnection, pick_list_id: int, bound_warehouse: int | None) -> list[ParcelLabel]:
    """The labels of a wave: every parcel of the pick list's orders, order by order, by SSCC within one."""
    owner = (await conn.execute(select(pick_lists.c.warehouse_id).where(pick_lists.c.id == pick_list_id))).scalar()
    if owner is None or not _visible(bound_warehouse, owner):
        raise NotFound("pick_list", pick_list_id)
    rows = (
        await conn.execute(
            select(parcels)
            .join(pick_list_orders, pick_list_orders.c.order_id == parcels.c.order_id)
            .where(pick_list_orders.c.pick_list_id == pick_list_id)
            .order_by(parcels.c.order_id, parcels.c.sscc)
        )
    ).all()
    if not rows:
        raise Refused("pick_list_has_no_parcels", f"no order of pick list {pick_list_id} has a parcel yet")
    return await _parcel_labels(conn, rows)


async def route_parcel_labels(conn: AsyncConnection, route_id: int, bound_warehouse: int | None) -> list[ParcelLabel]:
    """The labels of a route: every parcel of its stops' orders in stop order, by SSCC within a stop
    (a parcel already loaded onto another route stays off this one)."""
    owner = (await conn.execute(select(routes.c.warehouse_id).where(routes.c.id == route_id))).scalar()
    if owner is None or not _visible(bound_warehouse, owner):
        raise NotFound("route", route_id)
    rows = (
        await conn.execute(
            select(parcels)
            .join(route_stops, route_stops.c.order_id == parcels.c.order_id)
            .where(route_stops.c.route_id == route_id, or_(parcels.c.route_id.is_(None), parcels.c.route_id == route_id))
            .order_by(route_stops.c.stop_no, parcels.c.sscc)
        )
    ).all()
    if not rows:
        raise Refused("route_has_no_parcels", f"no order on route {route_id} has a parcel yet")
    return await _parcel_labels(conn, rows, route_id)


# ---- packing list


async def packing_list(conn: AsyncConnection, order_id: int, bound_warehouse: int | None, settings: Settings) -> PackingListData:
    """The packing list of an order: its parcels by SSCC with what each holds, dated by the (UTC) day
    its last parcel was closed."""
    head = await _order_head(conn, order_id, bound_warehouse)
    rows = (await conn.execute(select(parcels).where(parcels.c.order_id == order_id).order_by(parcels.c.sscc))).all()
    if not rows:
        raise Refused("order_has_no_parcels", f"order {head.row.number} has no parcels yet")
    ids = [r.id for r in rows]
    codes: dict[tuple[str, int], list[str]] = {}
    for c in await conn.execute(
        select(marking_codes.c.parcel_id, marking_codes.c.product_id, marking_codes.c.code)
        .where(marking_codes.c.parcel_id.in_(ids))
        .order_by(marking_codes.c.code)
    ):
        codes.setdefault((c.parcel_id, c.product_id), []).append(c.code)
    contents: dict[str, list[ParcelItem]] = {i: [] for i in ids}
    for i in await conn.execute(
        select(parcel_items.c.parcel_id, parcel_items.c.product_id, parcel_items.c.quantity, products.c.sku, products.c.name,
               products.c.unit)  # fmt: skip
        .join(products, products.c.id == parcel_items.c.product_id)
        .where(parcel_items.c.parcel_id.in_(ids))
        .order_by(products.c.sku)
    ):
        contents[i.parcel_id].append(
            ParcelItem(i.sku, i.name, i.quantity, i.unit, tuple(codes.get((i.parcel_id, i.product_id), ())))
        )
    return PackingListData(
        order_number=head.row.number,
        date=max(r.closed_at or r.opened_at for r in rows).astimezone(UTC).date(),
        sender=_seller(head.warehouse, settings),
        recipient=_buyer(head.customer),
        parcels=tuple(Parcel(r.sscc, tuple(contents[r.id]), r.weight_g, r.id, r.pallet_sscc) for r in rows),
        delivery_address=head.row.delivery_address or "",
    )


# ---- device enrollment card

# The role printed on the card, as the supervisor pages name it.
DEVICE_ROLE_NAMES = {
    "picker": "комплектовщик",
    "checker": "контролёр",
    "packer": "упаковщик",
    "loader": "грузчик",
    "warehouse": "склад (все операции)",
    "courier": "курьер",
}


def _no_enrollment() -> NotFound:
    # Never echo the code: it is a secret until it is used.
    error = NotFound("enrollment", "")
    error.message, error.context = "no enrollment has this code", {}
    return error


async def _enrollment_warehouse(conn: AsyncConnection, scope: dict) -> int | None:
    if "warehouse_id" in scope:
        return scope["warehouse_id"]
    if "courier_id" in scope:
        return (await conn.execute(select(couriers.c.warehouse_id).where(couriers.c.id == scope["courier_id"]))).scalar()
    return None


async def enrollment_card(
    conn: AsyncConnection,
    code: str,
    server_url: str,
    role: str,
    bound_warehouse: int | None,
    *,
    name: str | None = None,
    utc_offset_minutes: int = 0,
) -> EnrollmentCardData:
    """The card of a live enrollment code: its QR carries what the devices API hands out as `qr_text`
    (the server URL and the code), and it expires when the code does, in the caller's local time."""
    normalized = normalize_code(code)
    row = (await conn.execute(select(SYNC.enrollments).where(SYNC.enrollments.c.code_hash == digest(normalized)))).first()
    if row is None or not _visible(bound_warehouse, await _enrollment_warehouse(conn, row.scope)):
        raise _no_enrollment()
    if row.used_at is not None:
        raise Refused("enrollment_invalid", "this enrollment code has been used; create a new one")
    if row.expires_at <= now():
        raise Refused("enrollment_expired", "this enrollment code has expired; create a new one")
    if row.role != role:
        raise Refused("enrollment_role_mismatch", f"this code enrolls a {row.role}, not a {role}", role=row.role)
    shown = f"{normalized[:5]}-{normalized[5:]}" if len(normalized) == 10 else normalized  # as created
    role_name = DEVICE_ROLE_NAMES.get(role, role)
    return EnrollmentCardData(
        payload=f"{server_url.rstrip('/')}/#enroll={quote(shown)}",
        code=shown,
        role=f"{role_name} · {name}" if name else role_name,
        expires_at=(row.expires_at.astimezone(UTC) + timedelta(minutes=utc_offset_minutes)).replace(tzinfo=None),
    )
