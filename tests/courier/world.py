"""A courier's day to test against: orders out for delivery on dispatched routes, their parcels
aboard, invoices issued at shipment, courier phones enrolled, and signatures drawn with Pillow.

Loading and dispatch belong to the warehouse flow; here routes are put into `dispatched`, orders
into `out_for_delivery` and parcels aboard by direct UPDATEs/INSERTs (the state dispatch leaves
behind), and the invoices issued with `issue_invoices`, as dispatch does.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
from PIL import Image, ImageDraw
from sqlalchemy import insert, update

from labels.gs1 import build_sscc
from server.clock import now
from server.db.order_store import load_orders_many
from server.db.tables import orders, parcel_items, parcels, routes
from server.domain import orders as domain
from server.usecases import catalog
from server.usecases.cash import set_cash_limit
from server.usecases.customers import create_customer
from server.usecases.invoicing import issue_invoices
from server.usecases.orders import create_order
from server.usecases.routes import create_courier, create_route
from server.wire.customers import CustomerWrite
from sync.client import SyncClient
from sync.database import Database
from tests.builders import OFFICE
from tests.sync.fixtures import a_client, a_device

_serials = itertools.count(1)
PRICES = {"BOLT": 12_345, "NUT": 333, "DRILL": 499_999}  # kopecks: odd amounts on purpose
KINDS = {"cash": domain.PaymentKind.CASH_ON_DELIVERY, "card": domain.PaymentKind.CARD_ON_DELIVERY,
         "prepaid": domain.PaymentKind.PREPAID, "invoice": domain.PaymentKind.INVOICE}  # fmt: skip


def an_sscc() -> str:
    return build_sscc(0, "4607012345", f"{next(_serials) % 1_000_000:06d}")


@dataclass
class Stop:
    order_id: int
    number: str
    route_id: int
    kind: str  # cash | card | prepaid | invoice
    total: int
    lines: list[tuple[int, int, int]]  # product id, quantity, unit price
    ssccs: list[str]


@dataclass
class World:
    warehouse: int
    customer: int
    products: dict[str, int] = field(default_factory=dict)  # sku -> id
    couriers: list[int] = field(default_factory=list)
    stops: dict[int, Stop] = field(default_factory=dict)  # by order id

    def on(self, route_id: int) -> list[Stop]:
        return [s for s in self.stops.values() if s.route_id == route_id]


async def a_world(db: Database, couriers: int = 1, cash_limit: int | None = None) -> World:
    warehouse = await catalog.create_warehouse(db, f"W{uuid.uuid4().hex[:5]}", "Склад Москва-1")
    await catalog.create_location(db, warehouse, "A-01", f"LA01{warehouse}", "A", 10)
    customer = await create_customer(db, CustomerWrite(kind="company", name="ООО «Ромашка»", inn="7707083893", phone="+7 495 111-22-33"))
    world = World(warehouse, customer)
    for sku, price in PRICES.items():
        world.products[sku] = await catalog.create_product(db, catalog.ProductSpec(f"{sku}-{warehouse}", f"Товар {sku}", price, "RUB"))
    for n in range(couriers):
        courier = await create_courier(db, f"Курьер {n + 1}", "+7 900 000-00-0{n}", warehouse)
        world.couriers.append(courier)
        if cash_limit is not None:
            await set_cash_limit(db, courier, cash_limit)
    return world


async def a_route(db: Database, world: World, courier: int, plan: list[tuple[str, list[tuple[str, int]], int]], *,
                  day: date | None = None, customer: int | None = None) -> int:  # fmt: skip
    """A dispatched route: per stop (payment kind, [(sku, qty)], parcels), each order out for delivery
    with its parcels aboard and its invoice issued."""
    order_ids = []
    for kind, lines, _parcels in plan:
        request = domain.OrderRequest(
            customer_id=customer or world.customer, warehouse_id=world.warehouse, source=domain.Source.API,
            lines=[domain.LineRequest(f"{sku}-{world.warehouse}", qty) for sku, qty in lines],
            payment=domain.PaymentTerms(KINDS[kind], 14 if kind == "invoice" else 0),
            delivery_address="Москва, ул. Тверская, д. 1",
        )  # fmt: skip
        order_ids.append((await create_order(db, OFFICE, request)).order_id)
    route_id = await create_route(db, world.warehouse, day or now().date(), courier, "А123ВС77", order_ids)
    at = now()
    async with db.write() as conn:
        # Until dispatch is called here: the state it leaves (route gone, orders out, parcels aboard).
        await conn.execute(update(routes).where(routes.c.id == route_id).values(status="dispatched", dispatched_at=at))
        await conn.execute(update(orders).where(orders.c.id.in_(order_ids)).values(status="out_for_delivery"))
        loaded = await load_orders_many(conn, order_ids)
        for order_id, (kind, lines, n_parcels) in zip(order_ids, plan, strict=True):
            order = loaded[order_id]
            ssccs = [an_sscc() for _ in range(n_parcels)]
            for i, sscc in enumerate(ssccs):
                parcel_id = str(uuid.uuid4())
                await conn.execute(insert(parcels).values(
                    id=parcel_id, sscc=sscc, order_id=order_id, warehouse_id=world.warehouse, status="loaded", weight_g=1000,
                    route_id=route_id, packed_by="test", opened_at=at, closed_at=at, loaded_at=at))  # fmt: skip
                # Lines are spread over the parcels: line k goes into parcel k mod n.
                mine = [li for k, li in enumerate(order.lines) if k % n_parcels == i]
                if mine:
                    await conn.execute(insert(parcel_items), [{"parcel_id": parcel_id, "product_id": li.product_id, "quantity": li.quantity}
                                                              for li in mine])  # fmt: skip
            world.stops[order_id] = Stop(order_id, order.number, route_id, kind, order.total,
                                         [(li.product_id, li.quantity, li.unit_price) for li in order.lines], ssccs)  # fmt: skip
        await issue_invoices(conn, [loaded[o] for o in order_ids], at)  # as dispatch does
    return route_id


async def a_phone(db: Database, client: httpx.AsyncClient, tmp_path: Path, courier: int, name: str = "phone",
                  transport: type | None = None) -> SyncClient:  # fmt: skip
    device, token = await a_device(db, "courier", {"courier_id": courier}, name)
    phone = a_client(tmp_path, client, device, token, name=name)
    if transport is not None:
        phone.transport = transport(client, token)
    return phone


async def a_dock(db: Database, client: httpx.AsyncClient, tmp_path: Path, warehouse: int, name: str = "dock") -> SyncClient:
    device, token = await a_device(db, "loader", {"warehouse_id": warehouse}, name)
    return a_client(tmp_path, client, device, token, name=name)


def a_signature(seed: int) -> tuple[bytes, bytes]:
    """A signature as the phone captures it: PNG bytes and the stroke data (JSON)."""
    rnd = random.Random(seed)
    strokes = [[(rnd.randint(5, 295), rnd.randint(5, 115)) for _ in range(rnd.randint(4, 9))] for _ in range(rnd.randint(1, 3))]
    image = Image.new("L", (300, 120), 255)
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        draw.line(stroke, fill=0, width=3)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue(), json.dumps({"w": 300, "h": 120, "strokes": strokes}).encode()


def a_photo(seed: int) -> bytes:
    image = Image.new("RGB", (64, 48), (seed % 255, 120, 200))
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sign(phone: SyncClient, seed: int) -> dict:
    """Capture a signature on the phone (kept locally until uploaded); return the payload fields."""
    png, strokes = a_signature(seed)
    phone.store_blob(sha(png), "image/png", png)
    phone.store_blob(sha(strokes), "application/json", strokes)
    return {"signature_png": sha(png), "signature_strokes": sha(strokes)}


def deliver(phone: SyncClient, stop: Stop, outcome: str = "delivered", *, seed: int = 1, **fields) -> int:
    """Record a delivery at the door (signature captured unless given)."""
    payload = {"delivery_id": str(uuid.uuid4()), "order_id": stop.order_id, "route_id": stop.route_id, "outcome": outcome,
               "parcels": list(stop.ssccs) if outcome != "failed" else [], "lat_e6": 55_755_826, "lon_e6": 37_617_300, "accuracy_m": 12}  # fmt: skip
    if outcome != "failed" and "signature_png" not in fields:
        payload |= sign(phone, seed) | {"recipient_name": "Анна Иванова"}
    payload |= fields
    blobs = [h for h in (payload.get("signature_png"), payload.get("signature_strokes"), *payload.get("photos", [])) if h]
    return phone.record("RecordDelivery", payload, blobs=blobs)


def pay(phone: SyncClient, stop: Stop, amount: int | None = None, method: str = "cash", **fields) -> int:
    amount = stop.total if amount is None else amount
    payload = {"payment_id": str(uuid.uuid4()), "order_id": stop.order_id, "method": method, "amount": amount, "currency": "RUB",
               "receipt_no": f"R-{stop.order_id}"}  # fmt: skip
    if method == "cash":
        # Rounded up to a 1000 ₽ note (a malformed amount in a bad-input test gets any note).
        tendered = -(-amount // 100_000) * 100_000 if isinstance(amount, int) and amount > 0 else 100_000
        payload |= {"tendered": tendered, "change_given": tendered - amount if isinstance(amount, int) else 0}
    else:
        payload |= {"terminal_ref": f"T-{stop.order_id}"}
    return phone.record("TakePayment", payload | fields)


def captured(day: date) -> str:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC).replace(hour=12).isoformat()
