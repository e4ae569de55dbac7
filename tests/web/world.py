"""A demo-like world for the page tests: the demo company, plus what the demo does not load yet
(couriers, routes, enrolled devices with sync status, exceptions, pick/check/parcel facts, a delivery
with a signature, op-log rows) and one customer whose name is a script."""

from __future__ import annotations

import hashlib
import io
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import httpx
from PIL import Image
from sqlalchemy import insert, select, text, update

from server.db.tables import (
    SYNC,
    cash_handovers,
    deliveries,
    exceptions,
    invoices,
    order_checks,
    order_events,
    orders,
    parcel_items,
    parcels,
    payments,
    pick_lines,
    pick_lists,
    warehouses,
)
from server.demo import load_demo
from server.domain import orders as domain
from server.settings import Settings
from server.usecases import orders as order_usecases
from server.usecases.customers import create_customer
from server.usecases.devices import create_enrollment, enroll
from server.usecases.routes import create_courier, create_route
from server.usecases.users import create_user
from server.wire.customers import CustomerWrite
from sync.database import Database
from tests.builders import OFFICE

XSS_NAME = "<script>alert(1)</script>"
PASSWORDS = {"admin": "admin", "supervisor": "supervisor", "spb": "spb-supervisor", "office": "office-person"}


@dataclass
class WebWorld:
    wh_a: int  # MSK-1, the demo supervisor's
    wh_b: int  # SPB-1
    order_a: int
    order_b: int
    xss_order: int
    device_a: str
    device_b: str
    courier_device_b: str
    exc_a: int
    exc_b: int
    exc_device_b: int  # tied to no warehouse or order: visible through its device only
    route_a: int
    route_b: int
    courier_a: int
    courier_b: int
    day: date  # the routes' day
    courier_device_a: str = ""
    passwords: dict[str, str] = field(default_factory=lambda: dict(PASSWORDS))


def a_png() -> bytes:
    out = io.BytesIO()
    Image.new("L", (40, 20), 255).save(out, format="PNG")
    return out.getvalue()


async def _device(db: Database, role: str, scope: dict, name: str) -> str:
    code = await create_enrollment(db, "test", role, scope)
    return (await enroll(db, code.code, name, "1.4.2")).device_id


async def a_web_world(db: Database, database_url: str) -> WebWorld:
    """Load the demo (a small one) into the test database and add the rest."""
    await load_demo(Settings(database_url=database_url), seed=11, orders=60, products=60)
    if not db.is_sqlite:
        # The demo inserts customers and products with explicit ids, which leaves PostgreSQL's
        # sequences behind; move them on so the rows created below get fresh ids.
        async with db.write() as conn:
            for table in ("customers", "products"):
                await conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    at = datetime.now(UTC)
    async with db.read() as conn:
        ids = {r.code: r.id for r in await conn.execute(select(warehouses.c.id, warehouses.c.code))}
        wh_a, wh_b = ids["MSK-1"], ids["SPB-1"]
        by_wh = {w: (await conn.execute(select(orders.c.id).where(orders.c.warehouse_id == w).order_by(orders.c.id))).scalars().all()
                 for w in (wh_a, wh_b)}  # fmt: skip
    await create_user(db, "spb", PASSWORDS["spb"], "supervisor", [wh_b], locale="en")
    await create_user(db, "office", PASSWORDS["office"], "office")

    xss_customer = await create_customer(db, CustomerWrite(kind="person", name=XSS_NAME, phone="+7 900 123-45-67"))
    xss_order = (
        await order_usecases.create_order(
            db, OFFICE,
            domain.OrderRequest(customer_id=xss_customer, warehouse_id=wh_a, source=domain.Source.WEB,
                                lines=[domain.LineRequest("SKU-00001", 1)], notes=XSS_NAME,
                                payment=domain.PaymentTerms(domain.PaymentKind.CASH_ON_DELIVERY)),
        )  # fmt: skip
    ).order_id

    courier_a = await create_courier(db, "Пётр Курьеров", "+7 900 000-00-01", wh_a)
    courier_b = await create_courier(db, "Ivan Courier", "+7 900 000-00-02", wh_b)
    route_a = await create_route(db, wh_a, at.date(), courier_a, "A 123 BC", [xss_order, *by_wh[wh_a][:3]])
    route_b = await create_route(db, wh_b, at.date(), courier_b, "B 456 CD", by_wh[wh_b][:3])

    device_a = await _device(db, "picker", {"warehouse_id": wh_a}, "TC52-MSK")
    device_b = await _device(db, "picker", {"warehouse_id": wh_b}, "TC52-SPB")
    courier_device_b = await _device(db, "courier", {"courier_id": courier_b}, "Phone-SPB")
    courier_device_a = await _device(db, "courier", {"courier_id": courier_a}, "Phone-MSK")
    order_a, order_b = by_wh[wh_a][0], by_wh[wh_b][0]
    d = SYNC.devices.c
    async with db.write() as conn:
        await conn.execute(update(SYNC.devices).where(d.id == courier_device_a).values(
            last_seen_at=at - timedelta(minutes=5), last_push_at=at - timedelta(minutes=5), last_pull_at=at - timedelta(minutes=5), last_seq=2))
        await conn.execute(update(SYNC.devices).where(d.id == device_a).values(
            last_seen_at=at - timedelta(minutes=2), last_push_at=at - timedelta(minutes=2), last_pull_at=at - timedelta(minutes=2),
            last_seq=3, pending=0))  # fmt: skip
        await conn.execute(update(SYNC.devices).where(d.id == device_b).values(
            last_seen_at=at - timedelta(hours=3), last_push_at=at - timedelta(hours=3), last_pull_at=at - timedelta(hours=3),
            last_seq=1, pending=4, last_error="wrong_bin: this is not the bin of the line", clock_skew_ms=420_000))  # fmt: skip
        exc = []
        for kind, wh, order_id, device, seq, detail in (
            ("over_pick", wh_a, order_a, device_a, 2, {"pick_line_id": 1, "over": 2, "quantity": 3}),
            ("short_pick", wh_b, order_b, device_b, 1, {"pick_line_id": 2, "shorted": 1, "reason": "not_found"}),
            ("clock_skew", None, None, courier_device_b, None, {"skew_ms": 420_000, "device": XSS_NAME}),
        ):
            result = await conn.execute(
                insert(exceptions).values(kind=kind, status="open", warehouse_id=wh, order_id=order_id, device_id=device, seq=seq,
                                          detail=detail, opened_at=at - timedelta(minutes=30)).returning(exceptions.c.id)  # fmt: skip
            )
            exc.append(result.scalar_one())
        # What picking, checking and packing recorded for order A.
        list_id = (await conn.execute(insert(pick_lists).values(warehouse_id=wh_a, kind="order", status="done", claimed_by=device_a,
                                                                  created_at=at, updated_at=at).returning(pick_lists.c.id))).scalar_one()  # fmt: skip
        await conn.execute(insert(pick_lines).values(pick_list_id=list_id, order_id=order_a, line_no=1, product_id=1, location_id=1,
                                                     pick_seq=10, quantity=3, picked=2, shorted=1, short_reason="damaged"))  # fmt: skip
        await conn.execute(insert(order_checks).values(order_id=order_a, device_id=device_a, seq=3, result="discrepancy",
                                                       lines=[{"product_id": 1, "expected": 3, "counted": 2, "status": "short"}],
                                                       checked_at=at, captured_at=at - timedelta(seconds=40)))  # fmt: skip
        parcel_id = str(uuid.uuid4())
        await conn.execute(insert(parcels).values(id=parcel_id, sscc="046012345000000017", order_id=order_a, warehouse_id=wh_a,
                                                  status="loaded", weight_g=1200, route_id=route_a, packed_by=device_a,
                                                  opened_at=at, closed_at=at, loaded_at=at))  # fmt: skip
        await conn.execute(insert(parcel_items).values(parcel_id=parcel_id, product_id=1, quantity=2))
        png = a_png()
        sha = hashlib.sha256(png).hexdigest()
        await conn.execute(insert(SYNC.blobs).values(sha256=sha, content_type="image/png", size=len(png), data=png,
                                                     device_id=courier_device_b, created_at=at))  # fmt: skip
        await conn.execute(insert(order_events).values(order_id=order_a, type="order_delivered", actor_kind="device", actor_id="Phone",
                                                       device_id=courier_device_b, captured_at=at - timedelta(minutes=1), recorded_at=at,
                                                       data={"recipient": XSS_NAME, "signature": sha}))  # fmt: skip
        # What courier A's phone recorded at the door of order A, the cash it took, and the end of the shift.
        total_a = (await conn.execute(select(orders.c.total, orders.c.customer_id).where(orders.c.id == order_a))).one()
        await conn.execute(insert(deliveries).values(
            id=str(uuid.uuid4()), order_id=order_a, route_id=route_a, courier_id=courier_a, device_id=courier_device_a, seq=1,
            outcome="delivered", recipient_name=XSS_NAME, signature_png=sha, photos=[sha], lat_e6=55_755_826, lon_e6=37_617_300,
            accuracy_m=12, refused=[], parcels=["046012345000000017"], note="", captured_at=at - timedelta(minutes=1), recorded_at=at))  # fmt: skip
        await conn.execute(insert(payments).values(
            id=str(uuid.uuid4()), order_id=order_a, source="cod", method="cash", amount=150_000, currency="RUB", tendered=200_000,
            change_given=50_000, receipt_no="R-77", courier_id=courier_a, device_id=courier_device_a, seq=2, captured_at=at,
            recorded_at=at))  # fmt: skip
        await conn.execute(insert(cash_handovers).values(
            id=str(uuid.uuid4()), courier_id=courier_a, shift_day=at.date(), currency="RUB", expected=150_000, counted=149_000,
            difference=-1_000, counted_by="cashier", status="open", captured_at=at, recorded_at=at))  # fmt: skip
        await conn.execute(insert(invoices).values(
            number="СЧ-000001", order_id=order_a, customer_id=total_a.customer_id, issued_on=at.date() - timedelta(days=40),
            due_on=at.date() - timedelta(days=26), currency="RUB", total=total_a.total, paid=0, status="open", created_at=at))  # fmt: skip
        # The op log a picker's handheld left: three applied picks and one refused scan.
        await conn.execute(insert(SYNC.op_log), [
            {"device_id": device_a, "seq": s, "op_id": str(uuid.uuid4()), "type": kind, "captured_at": at - timedelta(minutes=10 - s),
             "received_at": at - timedelta(minutes=10 - s), "status": status, "code": None if status == "applied" else "wrong_bin",
             "message": None, "payload": "{}"}
            for s, kind, status in ((1, "PickItem", "applied"), (2, "PickItem", "applied"), (3, "ShortPick", "applied"), (4, "PickItem", "rejected"))
        ])  # fmt: skip
    return WebWorld(wh_a, wh_b, order_a, order_b, xss_order, device_a, device_b, courier_device_b, *exc, route_a, route_b, courier_a, courier_b, at.date(),
                    courier_device_a=courier_device_a)


def form_token(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]*)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    """Open the login form (which sets the form cookie) and post it."""
    page = await client.get("/web/login")
    return await client.post("/web/login", data={"csrf": form_token(page.text), "username": username, "password": password})


async def signed_in_token(client: httpx.AsyncClient, path: str = "/web/dashboard") -> str:
    """The session's CSRF token, read from a page as a browser would."""
    return form_token((await client.get(path)).text)
