"""What devices see of the central record: each entity's device shape and the scope it lives in.

The same functions shape the snapshot (bootstrap) and the change-log entries written when the
office changes something, so a device's replica looks the same however it got the entity.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.db.tables import customers, locations, orders, product_barcodes, products, route_stops, routes
from sync.registry import ChangeRow

CATALOG = "catalog"


def warehouse_scope(warehouse_id: int) -> str:
    return f"warehouse:{warehouse_id}"


def courier_scope(courier_id: int) -> str:
    return f"courier:{courier_id}"


# What a device holds of a product (not its audit columns: a bootstrap reads 20,000 of them).
PRODUCT_COLUMNS = (products.c.id, products.c.sku, products.c.name, products.c.unit, products.c.price, products.c.currency,
                   products.c.marked)  # fmt: skip


async def product_docs(conn: AsyncConnection, product_rows: Sequence) -> list[dict[str, Any]]:
    """Products as devices hold them: with every barcode and its pack multiplier."""
    codes: dict[int, list[list]] = {row[0]: [] for row in product_rows}
    if codes:
        b = product_barcodes.c
        lo, hi = min(codes), max(codes)
        # A snapshot page is a contiguous id range: ask for the range, not for thousands of ids.
        within = b.product_id.between(lo, hi) if hi - lo < 2 * len(codes) else b.product_id.in_(list(codes))
        found = await conn.execute(select(b.product_id, b.code, b.multiplier).where(within).order_by(b.product_id, b.code))
        for product_id, code, multiplier in found:
            if product_id in codes:
                codes[product_id].append([code, multiplier])
    return [
        {"id": id_, "sku": sku, "name": name, "unit": unit, "price": price, "currency": currency, "marked": marked,
         "barcodes": codes[id_]}  # fmt: skip
        for id_, sku, name, unit, price, currency, marked in product_rows  # PRODUCT_COLUMNS, unpacked: far faster than attributes
    ]


async def product_changes(conn: AsyncConnection, product_ids: Sequence[int]) -> list[ChangeRow]:
    rows = (await conn.execute(select(*PRODUCT_COLUMNS).where(products.c.id.in_(list(product_ids))))).all()
    return [ChangeRow(CATALOG, "product", str(doc["id"]), "put", doc) for doc in await product_docs(conn, rows)]


def location_doc(row) -> dict[str, Any]:  # noqa: ANN001
    return {"id": row.id, "code": row.code, "barcode": row.barcode, "zone": row.zone, "pick_seq": row.pick_seq}


async def location_changes(conn: AsyncConnection, location_ids: Sequence[int]) -> list[ChangeRow]:
    rows = await conn.execute(select(locations).where(locations.c.id.in_(list(location_ids))))
    return [ChangeRow(warehouse_scope(r.warehouse_id), "location", str(r.id), "put", location_doc(r)) for r in rows]


async def route_docs(conn: AsyncConnection, route_rows: Sequence) -> list[dict[str, Any]]:
    """Routes as a courier's phone holds them: stops in order with what is needed at the door."""
    stops: dict[int, list[dict]] = {r.id: [] for r in route_rows}
    if stops:
        found = await conn.execute(
            select(
                route_stops.c.route_id, route_stops.c.stop_no, orders.c.id, orders.c.number, orders.c.status,
                orders.c.total, orders.c.currency, orders.c.payment_kind, orders.c.delivery_address,
                orders.c.delivery_date, orders.c.window_start, orders.c.window_end, orders.c.notes,
                customers.c.name, customers.c.phone,
            )  # fmt: skip
            .join(orders, orders.c.id == route_stops.c.order_id)
            .join(customers, customers.c.id == orders.c.customer_id)
            .where(route_stops.c.route_id.in_(list(stops)))
            .order_by(route_stops.c.route_id, route_stops.c.stop_no)
        )
        for s in found:
            prepaid = s.payment_kind in ("prepaid", "invoice")
            stops[s.route_id].append(
                {"stop_no": s.stop_no, "order_id": s.id, "number": s.number, "status": s.status,
                 "customer": s.name, "phone": s.phone, "address": s.delivery_address,
                 "window": [s.delivery_date.isoformat(), s.window_start.isoformat(), s.window_end.isoformat()]
                 if s.delivery_date and s.window_start and s.window_end else None,
                 "amount_due": 0 if prepaid else s.total, "currency": s.currency, "payment": s.payment_kind,
                 "notes": s.notes}  # fmt: skip
            )
    return await with_door_details(conn, [
        {"id": r.id, "day": r.day.isoformat(), "vehicle": r.vehicle, "status": r.status, "stops": stops[r.id]}
        for r in route_rows
    ])  # fmt: skip


async def route_changes(conn: AsyncConnection, route_ids: Sequence[int]) -> list[ChangeRow]:
    rows = (await conn.execute(select(routes).where(routes.c.id.in_(list(route_ids))))).all()
    return [ChangeRow(courier_scope(doc_row.courier_id), "route", str(doc["id"]), "put", doc)
            for doc_row, doc in zip(rows, await route_docs(conn, rows), strict=True)]  # fmt: skip


async def pick_list_docs(conn: AsyncConnection, list_rows: Sequence) -> list[dict[str, Any]]:
    """Pick lists as a handheld holds them: orders with their totes, lines in walking order with
    what the offline checks need (bin barcode, product, quantities, whether units are marked)."""
    from server.db.tables import pick_lines, pick_list_orders

    ids = [r.id for r in list_rows]
    members: dict[int, list[dict]] = {i: [] for i in ids}
    lines: dict[int, list[dict]] = {i: [] for i in ids}
    if ids:
        for m in await conn.execute(
            select(pick_list_orders.c.pick_list_id, pick_list_orders.c.order_id, pick_list_orders.c.tote, orders.c.number)
            .join(orders, orders.c.id == pick_list_orders.c.order_id)
            .where(pick_list_orders.c.pick_list_id.in_(ids))
            .order_by(pick_list_orders.c.pick_list_id, pick_list_orders.c.order_id)
        ):
            members[m.pick_list_id].append({"order_id": m.order_id, "number": m.number, "tote": m.tote})
        for li in await conn.execute(
            select(pick_lines, locations.c.code.label("location_code"), locations.c.barcode.label("location_barcode"),
                   products.c.sku, products.c.name, products.c.marked)  # fmt: skip
            .join(locations, locations.c.id == pick_lines.c.location_id)
            .join(products, products.c.id == pick_lines.c.product_id)
            .where(pick_lines.c.pick_list_id.in_(ids))
            .order_by(pick_lines.c.pick_list_id, pick_lines.c.pick_seq, pick_lines.c.id)
        ):
            lines[li.pick_list_id].append(
                {"id": li.id, "order_id": li.order_id, "line_no": li.line_no, "product_id": li.product_id, "sku": li.sku,
                 "name": li.name, "marked": li.marked, "location_id": li.location_id, "location_code": li.location_code,
                 "location_barcode": li.location_barcode, "pick_seq": li.pick_seq, "quantity": li.quantity,
                 "picked": li.picked, "shorted": li.shorted}  # fmt: skip
            )
    return [
        {"id": r.id, "kind": r.kind, "status": r.status, "claimed_by": r.claimed_by, "assigned_to": r.assigned_to,
         "orders": members[r.id], "lines": lines[r.id]}  # fmt: skip
        for r in list_rows
    ]


async def pick_list_changes(conn: AsyncConnection, list_ids: Sequence[int]) -> list[ChangeRow]:
    """An open pick list's current state for its warehouse's devices; a closed one is removed."""
    from server.db.tables import pick_lists

    rows = (await conn.execute(select(pick_lists).where(pick_lists.c.id.in_(list(list_ids))).order_by(pick_lists.c.id))).all()
    docs = await pick_list_docs(conn, [r for r in rows if r.status == "open"])
    by_id = {d["id"]: d for d in docs}
    return [
        ChangeRow(warehouse_scope(r.warehouse_id), "pick_list", str(r.id), "put", by_id[r.id])
        if r.id in by_id
        else ChangeRow(warehouse_scope(r.warehouse_id), "pick_list", str(r.id), "del")
        for r in rows
    ]


async def check_task_changes(conn: AsyncConnection, order_ids: Sequence[int]) -> list[ChangeRow]:
    """A picked order waits for its check on the warehouse's devices; any other stage removes it.

    `picked_by` names the devices that picked it: a checker's handheld offers only orders someone
    else picked (the server refuses `checker_is_picker` otherwise)."""
    from server.db.tables import order_events, order_lines, pick_lines

    rows = (await conn.execute(select(orders.c.id, orders.c.number, orders.c.status, orders.c.warehouse_id)
                               .where(orders.c.id.in_(list(order_ids))).order_by(orders.c.id))).all()  # fmt: skip
    picked = [r.id for r in rows if r.status == "picked"]
    lines: dict[int, dict[int, dict]] = {i: {} for i in picked}
    if picked:
        for li in await conn.execute(
            select(order_lines.c.order_id, order_lines.c.product_id, order_lines.c.quantity, products.c.sku, products.c.name)
            .join(products, products.c.id == order_lines.c.product_id).where(order_lines.c.order_id.in_(picked))
        ):
            entry = lines[li.order_id].setdefault(li.product_id, {"product_id": li.product_id, "sku": li.sku, "name": li.name, "expected": 0})
            entry["expected"] += li.quantity
        for s in await conn.execute(select(pick_lines.c.order_id, pick_lines.c.product_id, pick_lines.c.shorted)
                                    .where(pick_lines.c.order_id.in_(picked), pick_lines.c.shorted > 0)):  # fmt: skip
            lines[s.order_id][s.product_id]["expected"] -= s.shorted
    pickers: dict[int, set[str]] = {i: set() for i in picked}
    if picked:
        for e in await conn.execute(select(order_events.c.order_id, order_events.c.device_id)
                                    .where(order_events.c.order_id.in_(picked), order_events.c.type == "item_picked").distinct()):  # fmt: skip
            if e.device_id:
                pickers[e.order_id].add(e.device_id)
    return [
        ChangeRow(warehouse_scope(r.warehouse_id), "check_task", str(r.id), "put",
                  {"id": r.id, "number": r.number, "lines": [v for v in lines[r.id].values() if v["expected"] > 0],
                   "picked_by": sorted(pickers[r.id])})  # fmt: skip
        if r.status == "picked"
        else ChangeRow(warehouse_scope(r.warehouse_id), "check_task", str(r.id), "del")
        for r in rows
    ]  # fmt: skip


# --- Packing and loading: SSCC blocks (device scope), orders to pack and routes to load -------

PACKABLE_ORDERS = ("checked", "packed")  # a packer's handheld holds these orders
LOADABLE_ROUTES = ("planned", "loading")  # a loader's handheld holds these routes


def device_scope(device_id: str) -> str:
    """One handheld's private scope: what belongs to that device alone (its SSCC blocks)."""
    return f"device:{device_id}"


def _sscc_block(row):  # noqa: ANN001, ANN202
    from server.domain.packing import SsccBlock

    return SsccBlock(row.id, row.extension_digit, row.company_prefix, row.first_serial, row.last_serial)


async def sscc_next_serials(conn: AsyncConnection, block_rows: Sequence) -> dict[int, int]:
    """Per block, one past the highest serial used by a parcel or pallet (first_serial when none).

    A device that lost its local state (a reset, a reinstall) starts from there instead of
    printing a label twice. One statement per 200 blocks: a scalar subquery per block and table.
    """
    from sqlalchemy import func

    from server.db.tables import pallets, parcels

    blocks = [_sscc_block(r) for r in block_rows]
    found: dict[int, int] = {}
    for start in range(0, len(blocks), 200):
        chunk = blocks[start : start + 200]
        columns = []
        for b in chunk:
            lo, hi = b.bounds()
            for table in (parcels, pallets):
                columns.append(select(func.max(table.c.sscc)).where(table.c.sscc.between(lo, hi)).scalar_subquery())
        row = (await conn.execute(select(*columns))).one()
        for i, b in enumerate(chunk):
            top = max((s for s in (row[2 * i], row[2 * i + 1]) if s), default=None)
            serial = b.serial_of(top) if top else None
            found[b.id] = b.first_serial if serial is None else serial + 1
    return found


async def sscc_block_docs(conn: AsyncConnection, block_rows: Sequence) -> list[dict[str, Any]]:
    """SSCC blocks as a packing handheld holds them: enough to print labels offline."""
    following = await sscc_next_serials(conn, block_rows)
    docs = []
    for r in block_rows:
        block = _sscc_block(r)
        docs.append({"id": r.id, "extension_digit": r.extension_digit, "company_prefix": r.company_prefix,
                     "first_serial": r.first_serial, "last_serial": r.last_serial, "next_serial": following[r.id],
                     "first_sscc": block.sscc(r.first_serial), "last_sscc": block.sscc(r.last_serial)})  # fmt: skip
    return docs


async def sscc_block_changes(conn: AsyncConnection, block_ids: Sequence[int]) -> list[ChangeRow]:
    from server.db.tables import sscc_blocks

    rows = (await conn.execute(select(sscc_blocks).where(sscc_blocks.c.id.in_(list(block_ids))).order_by(sscc_blocks.c.id))).all()
    return [ChangeRow(device_scope(r.device_id), "sscc_block", str(r.id), "put", doc)
            for r, doc in zip(rows, await sscc_block_docs(conn, rows), strict=True)]  # fmt: skip


async def parcel_docs_by_order(conn: AsyncConnection, order_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Each order's parcels: SSCC, status, weight, pallet, route and contents."""
    from server.db.tables import parcel_items, parcels

    found: dict[int, list[dict[str, Any]]] = {o: [] for o in order_ids}
    if not found:
        return found
    rows = (await conn.execute(select(parcels).where(parcels.c.order_id.in_(list(found))).order_by(parcels.c.opened_at, parcels.c.sscc))).all()
    items: dict[str, list[list[int]]] = {r.id: [] for r in rows}
    if items:
        for i in await conn.execute(select(parcel_items).where(parcel_items.c.parcel_id.in_(list(items)))
                                    .order_by(parcel_items.c.parcel_id, parcel_items.c.product_id)):  # fmt: skip
            items[i.parcel_id].append([i.product_id, i.quantity])
    for r in rows:
        found[r.order_id].append({"id": r.id, "sscc": r.sscc, "order_id": r.order_id, "status": r.status, "weight_g": r.weight_g,
                                  "pallet_sscc": r.pallet_sscc, "route_id": r.route_id, "items": items[r.id]})  # fmt: skip
    return found


async def picked_units(conn: AsyncConnection, order_ids: Sequence[int]) -> dict[int, dict[int, int]]:
    """Units picked for each order per product, as packing counts them: over-picks go back to
    their bin (a put-back task), so a line counts at most its quantity; cancelled lists not at all."""
    from sqlalchemy import case, func

    from server.db.tables import pick_lines, pick_lists

    found: dict[int, dict[int, int]] = {o: {} for o in order_ids}
    if found:
        within = case((pick_lines.c.picked < pick_lines.c.quantity, pick_lines.c.picked), else_=pick_lines.c.quantity)
        for r in await conn.execute(
            select(pick_lines.c.order_id, pick_lines.c.product_id, func.sum(within).label("units"))
            .join(pick_lists, pick_lists.c.id == pick_lines.c.pick_list_id)
            .where(pick_lines.c.order_id.in_(list(found)), pick_lists.c.status != "cancelled")
            .group_by(pick_lines.c.order_id, pick_lines.c.product_id)
        ):
            if r.units:
                found[r.order_id][r.product_id] = int(r.units)
    return found


async def pack_order_docs(conn: AsyncConnection, order_rows: Sequence) -> list[dict[str, Any]]:
    """Orders to pack as a packing handheld holds them: what was picked per product and is packed
    so far, the marking codes picked for the order, and its parcels — what the offline checks need."""
    from server.db.tables import marking_codes, order_lines

    ids = [r.id for r in order_rows]
    picked = await picked_units(conn, ids)
    parcels_of = await parcel_docs_by_order(conn, ids)
    lines: dict[int, dict[int, dict]] = {i: {} for i in ids}
    codes: dict[int, list[list]] = {i: [] for i in ids}
    if ids:
        for li in await conn.execute(
            select(order_lines.c.order_id, order_lines.c.product_id, products.c.sku, products.c.name, products.c.marked)
            .join(products, products.c.id == order_lines.c.product_id)
            .where(order_lines.c.order_id.in_(ids)).order_by(order_lines.c.order_id, order_lines.c.line_no)
        ):  # fmt: skip
            lines[li.order_id].setdefault(li.product_id, {"product_id": li.product_id, "sku": li.sku, "name": li.name,
                                                          "marked": li.marked, "picked": picked[li.order_id].get(li.product_id, 0),
                                                          "packed": 0})  # fmt: skip
        for c in await conn.execute(select(marking_codes.c.order_id, marking_codes.c.code, marking_codes.c.parcel_id)
                                    .where(marking_codes.c.order_id.in_(ids)).order_by(marking_codes.c.code)):  # fmt: skip
            codes[c.order_id].append([c.code, c.parcel_id])
    for order_id, docs in parcels_of.items():
        for doc in docs:
            for product_id, units in doc["items"]:
                if product_id in lines[order_id]:
                    lines[order_id][product_id]["packed"] += units
    return [
        {"id": r.id, "number": r.number, "status": r.status, "lines": list(lines[r.id].values()), "marking_codes": codes[r.id],
         "parcels": parcels_of[r.id]}  # fmt: skip
        for r in order_rows
    ]


async def pack_order_changes(conn: AsyncConnection, order_ids: Sequence[int]) -> list[ChangeRow]:
    """A checked (or packed) order for its warehouse's handhelds; any other stage removes it."""
    rows = (await conn.execute(select(orders.c.id, orders.c.number, orders.c.status, orders.c.warehouse_id)
                               .where(orders.c.id.in_(list(order_ids))).order_by(orders.c.id))).all()  # fmt: skip
    docs = {d["id"]: d for d in await pack_order_docs(conn, [r for r in rows if r.status in PACKABLE_ORDERS])}
    return [
        ChangeRow(warehouse_scope(r.warehouse_id), "pack_order", str(r.id), "put", docs[r.id])
        if r.id in docs
        else ChangeRow(warehouse_scope(r.warehouse_id), "pack_order", str(r.id), "del")
        for r in rows
    ]


async def load_route_docs(conn: AsyncConnection, route_rows: Sequence) -> list[dict[str, Any]]:
    """Routes as a loader's handheld holds them: stops with every parcel expected on the vehicle."""
    stops: dict[int, list[dict]] = {r.id: [] for r in route_rows}
    found = []
    if stops:
        found = (await conn.execute(
            select(route_stops.c.route_id, route_stops.c.stop_no, orders.c.id, orders.c.number, orders.c.status)
            .join(orders, orders.c.id == route_stops.c.order_id)
            .where(route_stops.c.route_id.in_(list(stops))).order_by(route_stops.c.route_id, route_stops.c.stop_no)
        )).all()  # fmt: skip
    parcels_of = await parcel_docs_by_order(conn, sorted({s.id for s in found}))
    for s in found:
        stops[s.route_id].append({"stop_no": s.stop_no, "order_id": s.id, "number": s.number, "status": s.status,
                                  "parcels": parcels_of[s.id]})  # fmt: skip
    return [
        {"id": r.id, "day": r.day.isoformat(), "vehicle": r.vehicle, "courier_id": r.courier_id, "status": r.status,
         "stops": stops[r.id]}  # fmt: skip
        for r in route_rows
    ]


async def load_route_changes(conn: AsyncConnection, route_ids: Sequence[int]) -> list[ChangeRow]:
    """A route still to load for its warehouse's handhelds; a dispatched one is removed."""
    rows = (await conn.execute(select(routes).where(routes.c.id.in_(list(route_ids))).order_by(routes.c.id))).all()
    docs = {d["id"]: d for d in await load_route_docs(conn, [r for r in rows if r.status in LOADABLE_ROUTES])}
    return [
        ChangeRow(warehouse_scope(r.warehouse_id), "load_route", str(r.id), "put", docs[r.id])
        if r.id in docs
        else ChangeRow(warehouse_scope(r.warehouse_id), "load_route", str(r.id), "del")
        for r in rows
    ]


async def routes_to_load(conn: AsyncConnection, order_ids: Sequence[int]) -> list[int]:
    """The routes not yet dispatched that have any of these orders as a stop."""
    if not order_ids:
        return []
    found = await conn.execute(
        select(route_stops.c.route_id).join(routes, routes.c.id == route_stops.c.route_id)
        .where(route_stops.c.order_id.in_(list(order_ids)), routes.c.status.in_(LOADABLE_ROUTES)).distinct()
    )  # fmt: skip
    return sorted(found.scalars())


async def stop_parcels(conn: AsyncConnection, route_ids: Sequence[int]) -> dict[tuple[int, int], list[dict[str, Any]]]:
    """(route id, order id) -> the stop's parcels as a courier needs them at the door: SSCC, status,
    whether it is on this route's vehicle, and its contents ([product id, quantity]: a parcel the
    customer refuses is that many units refused). For `route_docs` to add to each stop."""
    from server.db.tables import parcel_items, parcels

    found: dict[tuple[int, int], list[dict[str, Any]]] = {}
    if route_ids:
        rows = (await conn.execute(
            select(route_stops.c.route_id, parcels.c.id, parcels.c.order_id, parcels.c.sscc, parcels.c.status,
                   parcels.c.route_id.label("on_route"))
            .join(parcels, parcels.c.order_id == route_stops.c.order_id)
            .where(route_stops.c.route_id.in_(list(route_ids)))
            .order_by(route_stops.c.route_id, parcels.c.order_id, parcels.c.sscc)
        )).all()  # fmt: skip
        items: dict[str, list[list[int]]] = {p.id: [] for p in rows}
        if items:
            for i in await conn.execute(select(parcel_items).where(parcel_items.c.parcel_id.in_(list(items)))
                                        .order_by(parcel_items.c.parcel_id, parcel_items.c.product_id)):  # fmt: skip
                items[i.parcel_id].append([i.product_id, i.quantity])
        for p in rows:
            found.setdefault((p.route_id, p.order_id), []).append(
                {"sscc": p.sscc, "status": p.status, "aboard": p.status == "loaded" and p.on_route == p.route_id, "items": items[p.id]}
            )
    return found


# --- Courier execution: what a stop needs at the door beyond the order itself -----------------

COLLECTED_AT_THE_DOOR = ("cash_on_delivery", "card_on_delivery")


async def with_door_details(conn: AsyncConnection, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add to courier route docs what the phone needs offline at each door: the stop's parcels
    (`stop_parcels`), the order's lines ([product id, quantity, unit price, name], in line order:
    what a partial delivery refuses is priced from them, as `refused_value` does), the money still
    due after payments (the invoice's total once issued, which a partial delivery lowers), the
    proof-of-delivery policy, the outcome recorded so far, and the failure reasons a courier picks
    from. A constant number of queries for any number of routes."""
    from server.db.tables import deliveries, failure_reasons, invoices, order_lines, payments
    from server.domain.delivery import PodPolicy
    from sqlalchemy import func

    if not docs:
        return docs
    order_ids = sorted({s["order_id"] for doc in docs for s in doc["stops"]})
    parcels_at = await stop_parcels(conn, [doc["id"] for doc in docs])
    due: dict[int, int] = {}
    paid: dict[int, int] = {}
    policy: dict[int, dict[str, bool]] = {}
    outcome: dict[tuple[int, int], str] = {}  # (route, order): a re-delivery starts afresh on its new route
    lines: dict[int, list[list[Any]]] = {}
    if order_ids:
        ol = order_lines.c
        for li in await conn.execute(select(ol.order_id, ol.product_id, ol.quantity, ol.unit_price, ol.name)
                                     .where(ol.order_id.in_(order_ids)).order_by(ol.order_id, ol.line_no)):  # fmt: skip
            lines.setdefault(li.order_id, []).append([li.product_id, li.quantity, li.unit_price, li.name])
        for i in await conn.execute(select(invoices.c.order_id, invoices.c.total, invoices.c.status).where(invoices.c.order_id.in_(order_ids))):
            due[i.order_id] = 0 if i.status == "void" else i.total
        for p in await conn.execute(select(payments.c.order_id, func.sum(payments.c.amount)).where(payments.c.order_id.in_(order_ids))
                                    .group_by(payments.c.order_id)):  # fmt: skip
            paid[p.order_id] = int(p[1])
        for o in await conn.execute(select(orders.c.id, orders.c.pod_policy, customers.c.pod_policy.label("customer_policy"))
                                    .join(customers, customers.c.id == orders.c.customer_id).where(orders.c.id.in_(order_ids))):  # fmt: skip
            merged = PodPolicy.merge(o.customer_policy, o.pod_policy)
            policy[o.id] = {"signature": merged.signature, "photo": merged.photo, "code": merged.code}
        for d in await conn.execute(select(deliveries.c.route_id, deliveries.c.order_id, deliveries.c.outcome)
                                    .where(deliveries.c.order_id.in_(order_ids)).order_by(deliveries.c.recorded_at)):  # fmt: skip
            outcome[(d.route_id, d.order_id)] = d.outcome
    reasons = [{"code": r.code, "label_ru": r.label_ru, "label_en": r.label_en}
               for r in await conn.execute(select(failure_reasons).where(failure_reasons.c.active).order_by(failure_reasons.c.code))]  # fmt: skip
    for doc in docs:
        doc["failure_reasons"] = reasons
        for stop in doc["stops"]:
            oid = stop["order_id"]
            owed = due.get(oid, stop["amount_due"]) if stop["payment"] in COLLECTED_AT_THE_DOOR else 0
            stop["paid"] = paid.get(oid, 0)
            stop["amount_due"] = max(owed - stop["paid"], 0)
            stop["parcels"] = parcels_at.get((doc["id"], oid), [])
            stop["lines"] = lines.get(oid, [])
            stop["pod"] = policy.get(oid, {"signature": True, "photo": False, "code": False})
            stop["outcome"] = outcome.get((doc["id"], oid))
    return docs
