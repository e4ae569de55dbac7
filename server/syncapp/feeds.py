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


async def product_docs(conn: AsyncConnection, product_rows: Sequence) -> list[dict[str, Any]]:
    """Products as devices hold them: with every barcode and its pack multiplier."""
    codes: dict[int, list[list]] = {row.id: [] for row in product_rows}
    if codes:
        found = await conn.execute(
            select(product_barcodes.c.product_id, product_barcodes.c.code, product_barcodes.c.multiplier)
            .where(product_barcodes.c.product_id.in_(list(codes)))
            .order_by(product_barcodes.c.product_id, product_barcodes.c.code)
        )
        for b in found:
            codes[b.product_id].append([b.code, b.multiplier])
    return [
        {"id": r.id, "sku": r.sku, "name": r.name, "unit": r.unit, "price": r.price, "currency": r.currency,
         "marked": r.marked, "barcodes": codes[r.id]}  # fmt: skip
        for r in product_rows
    ]


async def product_changes(conn: AsyncConnection, product_ids: Sequence[int]) -> list[ChangeRow]:
    rows = (await conn.execute(select(products).where(products.c.id.in_(list(product_ids))))).all()
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
    return [
        {"id": r.id, "day": r.day.isoformat(), "vehicle": r.vehicle, "status": r.status, "stops": stops[r.id]}
        for r in route_rows
    ]


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
    """A picked order waits for its check on the warehouse's devices; any other stage removes it."""
    from server.db.tables import order_lines, pick_lines

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
    return [
        ChangeRow(warehouse_scope(r.warehouse_id), "check_task", str(r.id), "put",
                  {"id": r.id, "number": r.number, "lines": [v for v in lines[r.id].values() if v["expected"] > 0]})
        if r.status == "picked"
        else ChangeRow(warehouse_scope(r.warehouse_id), "check_task", str(r.id), "del")
        for r in rows
    ]  # fmt: skip
