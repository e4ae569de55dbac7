"""A courier's day on the browser tests' server: fresh cash-on-delivery orders on a route put into
the state dispatch leaves (route dispatched, orders out for delivery, parcels aboard), before the
courier's phone enrolls and pulls its snapshot.

Loading and dispatch belong to the warehouse flow and its own tests; here, as in
tests/courier/world.py, that state is written directly into the server's SQLite file.
"""

from __future__ import annotations

import datetime as dt
import itertools
import sqlite3
import uuid
from dataclasses import dataclass

from labels.gs1 import build_sscc
from tests.browser.conftest import TallyServer

_serials = itertools.count(700_001)


@dataclass
class DoorStop:
    order_id: int
    stop_no: int
    total: int  # minor units
    ssccs: list[str]
    lines: list[tuple[int, int, int]]  # product id, quantity, unit price; line k is in parcel k


@dataclass
class CourierDay:
    courier_id: int
    route_id: int
    stops: list[DoorStop]


def write(server: TallyServer, statements: list[tuple[str, tuple]]) -> None:
    """Run statements in one transaction on the server's database file (WAL: the server keeps running)."""
    conn = sqlite3.connect(server.db_path, timeout=30)
    try:
        with conn:
            for sql, params in statements:
                conn.execute(sql, params)
    finally:
        conn.close()


def a_courier_day(server: TallyServer, name: str, parcels_per_stop: list[int]) -> CourierDay:
    """A courier with a dispatched route of fresh cash-on-delivery orders, one stop per entry."""
    courier = server.api("POST", "/api/couriers", {"name": name, "warehouse_id": 1, "phone": "+79000000077"})["id"]
    (customer_id,), = server.query("SELECT id FROM customers ORDER BY id LIMIT 1")
    skus = [sku for (sku,) in server.query("SELECT sku FROM products ORDER BY id LIMIT 5")]
    order_ids = []
    for n, n_parcels in enumerate(parcels_per_stop):
        lines = [{"sku": skus[(n + k) % len(skus)], "quantity": 1 + k} for k in range(max(n_parcels, 1))]  # a line per parcel
        body = {"customer_id": customer_id, "warehouse_id": 1, "payment": {"kind": "cash_on_delivery"},
                "lines": lines, "delivery_address": f"Москва, ул. Тверская, д. {n + 1}"}  # fmt: skip
        order_ids.append(server.api("POST", "/api/orders", body)["id"])
    route = server.api("POST", "/api/routes", {"warehouse_id": 1, "day": dt.date.today().isoformat(), "courier_id": courier,
                                               "order_ids": order_ids, "vehicle": "А123ВС77"})  # fmt: skip
    at = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    statements = [("UPDATE routes SET status = 'dispatched', dispatched_at = ? WHERE id = ?", (at, route["id"])),
                  (f"UPDATE orders SET status = 'out_for_delivery' WHERE id IN ({','.join('?' * len(order_ids))})", tuple(order_ids))]  # fmt: skip
    stops = []
    for stop_no, (order_id, n_parcels) in enumerate(zip(order_ids, parcels_per_stop, strict=True), start=1):
        ssccs = [build_sscc(0, "4607099999", f"{next(_serials):06d}") for _ in range(n_parcels)]
        lines = server.query("SELECT product_id, quantity, unit_price FROM order_lines WHERE order_id = ? ORDER BY line_no", order_id)
        for (product_id, quantity, _price), sscc in zip(lines, ssccs, strict=True):  # line k packed into parcel k
            parcel_id = str(uuid.uuid4())
            statements += [
                ("INSERT INTO parcels (id, sscc, order_id, warehouse_id, status, weight_g, route_id, packed_by, opened_at, closed_at, loaded_at)"
                 " VALUES (?, ?, ?, 1, 'loaded', 1000, ?, 'test', ?, ?, ?)", (parcel_id, sscc, order_id, route["id"], at, at, at)),
                ("INSERT INTO parcel_items (parcel_id, product_id, quantity) VALUES (?, ?, ?)", (parcel_id, product_id, quantity)),
            ]  # fmt: skip
        (total,), = server.query("SELECT total FROM orders WHERE id = ?", order_id)
        stops.append(DoorStop(order_id, stop_no, total, ssccs, lines))
    write(server, statements)
    return CourierDay(courier, route["id"], stops)
