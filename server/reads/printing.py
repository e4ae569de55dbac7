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
from datetime import timedelta

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from labels.documents.data import (
    DocumentLine,
    InvoiceData,
    Organization,
    PickLine,
    PickListData,
    RouteSheetData,
    RouteStop,
    WaybillData,
)
from labels.label_data import BinLabelData, Money, ProductLabelData
from server.db.tables import (
    bin_stock,
    couriers,
    customers,
    invoices,
    locations,
    order_lines,
    orders,
    parcels,
    pick_lines,
    pick_list_orders,
    pick_lists,
    product_barcodes,
    products,
    route_stops,
    routes,
    warehouses,
)
from server.domain import picking
from server.domain.catalog import barcode_is_gtin
from server.domain.refusals import NotFound, Refused

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


def _seller(warehouse) -> Organization:  # noqa: ANN001
    # The record has no company requisites yet (legal name, INN/KPP, bank): the warehouse stands in.
    return Organization(name=warehouse.name, address=warehouse.address)


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


async def invoice(conn: AsyncConnection, order_id: int, bound_warehouse: int | None) -> InvoiceData:
    """The order's issued invoice (its number, date and due date); before one is issued, a pro forma
    numbered and dated by the order, due by its payment terms."""
    head = await _order_head(conn, order_id, bound_warehouse)
    order = head.row
    issued = (await conn.execute(select(invoices).where(invoices.c.order_id == order_id))).first()
    return InvoiceData(
        number=issued.number if issued else order.number,
        date=issued.issued_on if issued else order.created_at.date(),
        seller=_seller(head.warehouse),
        buyer=_buyer(head.customer),
        currency=order.currency,
        lines=_document_lines(await _lines(conn, order_id)),
        due_date=issued.due_on if issued else _due_date(order),
        order_number=order.number,
        payment=order.payment_kind,
    )


async def waybill(conn: AsyncConnection, order_id: int, bound_warehouse: int | None) -> WaybillData:
    """The consignment note for an order, dated by its delivery day (the planned shipment) when it has one."""
    head = await _order_head(conn, order_id, bound_warehouse)
    order = head.row
    return WaybillData(
        number=order.number,
        date=order.delivery_date or order.created_at.date(),
        supplier=_seller(head.warehouse),
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
