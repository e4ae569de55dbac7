"""`tally demo`: a deterministic demo company (same seed, same data) loaded through the domain rules."""

from __future__ import annotations

import random
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, insert, select

from labels.gs1 import gs1_check_digit
from server.db import tables as t
from server.db.order_store import append_events, insert_order, next_counter, save_status
from server.demo_names import (
    CITIES,
    COMPANY_FORMS,
    COMPANY_WORDS,
    DEPARTMENTS,
    DIAMETERS,
    FASTENERS,
    FIRST_NAMES,
    LAST_NAMES,
    LENGTHS,
    MATERIALS,
    STREETS,
    TOOLS,
)
from server.domain import orders as domain
from server.domain.catalog import validate_barcode, validate_product
from server.domain.customers import complete_inn10, validate_customer
from server.domain.events import SYSTEM, Actor
from server.domain.lifecycle import OrderStatus
from server.settings import Settings
from server.usecases.orders import order_number
from sync import changelog
from sync.database import Database

S = OrderStatus
# How the demo's orders are spread over the lifecycle (weights), and the path to each status.
STATUS_WEIGHTS = {
    S.DRAFT: 10, S.CONFIRMED: 14, S.PICKING: 5, S.PICKED: 4, S.CHECKED: 4, S.PACKED: 5, S.LOADED: 4,
    S.OUT_FOR_DELIVERY: 6, S.DELIVERED: 10, S.PARTIALLY_DELIVERED: 3, S.FAILED: 3, S.RETURNED: 2,
    S.CLOSED: 20, S.CANCELLED: 10,
}  # fmt: skip
PATHS = {
    S.PICKING: [S.PICKING],
    S.PICKED: [S.PICKING, S.PICKED],
    S.CHECKED: [S.PICKING, S.PICKED, S.CHECKED],
    S.PACKED: [S.PICKING, S.PICKED, S.CHECKED, S.PACKED],
    S.LOADED: [S.PICKING, S.PICKED, S.CHECKED, S.PACKED, S.LOADED],
}
for _end in (S.OUT_FOR_DELIVERY, S.DELIVERED, S.PARTIALLY_DELIVERED, S.FAILED):
    PATHS[_end] = PATHS[S.LOADED] + [S.OUT_FOR_DELIVERY] + ([_end] if _end != S.OUT_FOR_DELIVERY else [])
PATHS[S.RETURNED] = PATHS[S.FAILED] + [S.RETURNED]
PATHS[S.CLOSED] = PATHS[S.DELIVERED] + [S.CLOSED]
# Units leave the bins when picking ends; these statuses hold picked (consumed) units.
CONSUMED = {S.PICKED, S.CHECKED, S.PACKED, S.LOADED, S.OUT_FOR_DELIVERY, S.DELIVERED, S.PARTIALLY_DELIVERED,
            S.FAILED, S.CLOSED}  # fmt: skip


class Progress:
    """A one-line progress counter on stderr."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done = label, total, 0

    def step(self, n: int = 1) -> None:
        self.done += n
        if self.done == self.total or self.done % max(1, self.total // 20) == 0:
            print(f"\r  {self.label:<10} {self.done:>6}/{self.total}", end="", file=sys.stderr, flush=True)
        if self.done == self.total:
            print(file=sys.stderr)


def ean13(rng: random.Random) -> str:
    """A valid EAN-13 under the Russian GS1 prefix 460-469."""
    stem = str(rng.randint(460, 469)) + f"{rng.randrange(10**9):09d}"
    return stem + str(gs1_check_digit(stem))


def gtin14_case(ean: str, indicator: int) -> str:
    """The case-level GTIN-14 for a unit EAN-13 (indicator digit 1-8, GS1 GenSpecs 3.3.2)."""
    stem = str(indicator) + ean[:-1]
    return stem + str(gs1_check_digit(stem))


def product_name(rng: random.Random) -> tuple[str, int, str]:
    """A name, a price in kopecks and a unit."""
    kind = rng.random()
    if kind < 0.6:
        head, size, finish = rng.choice(FASTENERS)
        name = f"{head} {size.format(d=rng.choice(DIAMETERS), l=rng.choice(LENGTHS))} {finish}"
        return name, rng.randint(150, 9000), "pcs"
    template = rng.choice(TOOLS if kind < 0.8 else MATERIALS)
    name = template.format(
        w=rng.choice([650, 800, 1200, 1500]), v=rng.choice([12, 18, 20, 750, 310]), mm=rng.choice([115, 125, 230]),
        n=rng.choice([2, 3, 5, 25, 24, 48]), d=rng.choice([6, 8, 10, 25, 50]), l=rng.choice([110, 160, 210]),
    )  # fmt: skip
    return name, rng.randint(9_000, 2_500_000), "pcs"


async def _empty(db: Database) -> bool:
    async with db.read() as conn:
        return (await conn.execute(select(func.count()).select_from(t.warehouses))).scalar_one() == 0


async def load_demo(settings: Settings, *, seed: int = 42, orders: int = 500, products: int = 2000) -> None:
    """Load the demo company into an empty database; do nothing if it already holds data."""
    db = Database(settings.database_url, sqlite_synchronous="NORMAL")
    try:
        if not await _empty(db):
            print("demo: the database already holds data; nothing loaded", file=sys.stderr)
            return
        rng = random.Random(seed)
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        await _load(db, rng, today, n_orders=orders, n_products=products)
        await _load_users(db)
        # Loaded wholesale, without change-log entries: a new epoch makes any device that synced
        # the empty database, and any server's shared snapshot pages, start again.
        async with db.write() as conn:
            await changelog.new_epoch_now(conn, t.SYNC)
    finally:
        await db.dispose()


# Sign-in accounts for the supervisor pages (/web). Demo passwords only: change them for real use.
DEMO_USERS = (("admin", "admin", "admin", None), ("supervisor", "supervisor", "supervisor", "MSK-1"))


async def _load_users(db: Database) -> None:
    from server.usecases.users import create_user

    async with db.read() as conn:
        codes = {r.code: r.id for r in await conn.execute(select(t.warehouses.c.id, t.warehouses.c.code))}
    for username, password, role, warehouse in DEMO_USERS:
        await create_user(db, username, password, role, [codes[warehouse]] if warehouse else [], min_password=1)
        print(f"demo: supervisor pages user {username} / {password} ({role}{', ' + warehouse if warehouse else ''})")


async def _load(db: Database, rng: random.Random, today: datetime, *, n_orders: int, n_products: int) -> None:
    at = today - timedelta(days=90)
    async with db.write() as conn:
        wh = [
            {"code": "MSK-1", "name": "Москва, основной склад", "address": "Москва, Промышленная ул., 12", "created_at": at},
            {"code": "SPB-1", "name": "Saint Petersburg warehouse", "address": "Санкт-Петербург, ул. Салова, 27",
             "created_at": at},
        ]  # fmt: skip
        warehouse_ids = [(await conn.execute(insert(t.warehouses).values(**w).returning(t.warehouses.c.id))).scalar_one() for w in wh]

        # Bins: zone / aisle / level, numbered in walking order; 160 in the main warehouse, 40 in the other.
        bins: dict[int, list[int]] = {w: [] for w in warehouse_ids}
        rows = []
        for w_index, (warehouse_id, zones) in enumerate(zip(warehouse_ids, ["ABCD", "E"], strict=True)):
            seq = 0
            for zone in zones:
                for aisle in range(1, 9):
                    for level in range(1, 6):
                        seq += 10
                        code = f"{zone}-{aisle:02d}-{level}"
                        rows.append({"warehouse_id": warehouse_id, "code": code, "barcode": f"L{w_index + 1}{zone}{aisle:02d}{level}",
                                     "zone": zone, "pick_seq": seq, "created_at": at})  # fmt: skip
        await conn.execute(insert(t.locations), rows)
        for row in await conn.execute(select(t.locations.c.id, t.locations.c.warehouse_id).order_by(t.locations.c.id)):
            bins[row.warehouse_id].append(row.id)
        print(f"  warehouses {len(warehouse_ids)}, bins {sum(map(len, bins.values()))}", file=sys.stderr)

        # Products with unit EAN-13s, some with a case GTIN-14, a few flagged for marking codes.
        progress = Progress("products", n_products)
        product_rows, barcode_rows, seen = [], [], set()
        for i in range(1, n_products + 1):
            name, price, unit = product_name(rng)
            sku = f"SKU-{i:05d}"
            validate_product(sku, name, price, "RUB", 0)
            ean = ean13(rng)
            while ean in seen:
                ean = ean13(rng)
            seen.add(ean)
            codes = [(ean, 1)]
            if rng.random() < 0.3:
                codes.append((gtin14_case(ean, 1), rng.choice([10, 12, 24, 50])))
            for code, multiplier in codes:
                validate_barcode(code, multiplier)
                barcode_rows.append({"code": code, "product_id": i, "multiplier": multiplier})
            product_rows.append({"id": i, "sku": sku, "name": name, "unit": unit, "price": price, "currency": "RUB",
                                 "weight_g": rng.randint(5, 5000), "marked": "SDS" in name or "drill" in name,
                                 "created_at": at, "updated_at": at})  # fmt: skip
            progress.step()
        await conn.execute(insert(t.products), product_rows)
        await conn.execute(insert(t.product_barcodes), barcode_rows)

        # Stock: most products in one or two bins of each warehouse.
        on_hand: dict[tuple[int, int], int] = {}
        bin_rows: dict[tuple[int, int], int] = {}
        for product_id in range(1, n_products + 1):
            for warehouse_id in warehouse_ids:
                if warehouse_id != warehouse_ids[0] and rng.random() < 0.6:
                    continue
                for location_id in rng.sample(bins[warehouse_id], rng.choice([1, 1, 2])):
                    qty = rng.choice([0, 20, 50, 100, 300, 500])
                    bin_rows[(location_id, product_id)] = bin_rows.get((location_id, product_id), 0) + qty
                    on_hand[(warehouse_id, product_id)] = on_hand.get((warehouse_id, product_id), 0) + qty
    print(f"  stock rows {len(bin_rows)}", file=sys.stderr)

    customer_ids = await _load_customers(db, rng, at)
    await _advance_sequences(db)
    await _load_orders(db, rng, today, warehouse_ids, bins, bin_rows, on_hand, customer_ids, n_orders, n_products)


async def _advance_sequences(db: Database) -> None:
    """Products and customers are inserted with explicit ids; move PostgreSQL's id sequences past them."""
    if db.is_sqlite:
        return
    from sqlalchemy import text

    async with db.write() as conn:
        for table in ("products", "customers"):
            await conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))


async def _load_customers(db: Database, rng: random.Random, at: datetime) -> list[int]:
    progress = Progress("customers", 300)
    rows, contacts, addresses = [], [], []
    for i in range(1, 301):
        kind = "company" if i <= 150 else "person" if i <= 270 else "internal"
        city = rng.choice(CITIES)
        person = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        phone = f"+7 9{rng.randint(10, 99)} {rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}"
        row = {"id": i, "kind": kind, "inn": None, "kpp": None, "legal_address": None, "phone": phone, "email": None,
               "department": None, "identity": None, "created_at": at, "updated_at": at}  # fmt: skip
        if kind == "company":
            row["name"] = f'{rng.choice(COMPANY_FORMS)} «{rng.choice(COMPANY_WORDS)}-{i}»'
            row["inn"] = complete_inn10(f"77{rng.randrange(10**7):07d}")
            row["kpp"] = f"77{rng.randint(1, 99):02d}01001"
            row["legal_address"] = f"{city}, {rng.choice(STREETS)}, д. {rng.randint(1, 120)}"
            row["email"] = f"orders{i}@example.ru"
            contacts.append({"customer_id": i, "name": person, "role": "снабженец", "phone": phone, "email": row["email"]})
        elif kind == "person":
            row["name"] = person
            if rng.random() < 0.3:
                row["identity"] = {"document": "passport", "number": f"45 {rng.randint(10, 99)} {rng.randrange(10**6):06d}",
                                   "issued_by": "ОВД района", "issued_on": "2015-03-01"}  # fmt: skip
        else:
            row["name"] = rng.choice(DEPARTMENTS).format(n=i - 270, city=city)
            row["department"] = f"D{i - 270:03d}"
        validate_customer(row["kind"], row["name"], row["inn"], row["kpp"], row["phone"], row["department"])
        rows.append(row)
        for label in ["main"] + (["warehouse"] if rng.random() < 0.2 else []):
            addresses.append({"customer_id": i, "label": label, "city": city, "postal_code": f"{rng.randint(101000, 199999)}",
                              "text": f"{city}, {rng.choice(STREETS)}, д. {rng.randint(1, 120)}, кв. {rng.randint(1, 200)}"})  # fmt: skip
        progress.step()
    async with db.write() as conn:
        await conn.execute(insert(t.customers), rows)
        await conn.execute(insert(t.customer_contacts), contacts)
        await conn.execute(insert(t.customer_addresses), addresses)
    return [row["id"] for row in rows]


async def _load_orders(db, rng, today, warehouse_ids, bins, bin_rows, on_hand, customer_ids, n_orders, n_products) -> None:  # noqa: ANN001, PLR0913
    progress = Progress("orders", n_orders)
    reserved: dict[tuple[int, int], int] = {}
    moves = []
    statuses, weights = zip(*STATUS_WEIGHTS.items(), strict=True)
    in_stock = {w: sorted(pid for (wh, pid), qty in on_hand.items() if wh == w and qty > 0) for w in warehouse_ids}
    async with db.write() as conn:
        catalog_rows = await conn.execute(select(t.products.c.id, t.products.c.sku, t.products.c.name, t.products.c.price, t.products.c.currency))
        catalog = {r.sku: domain.ProductRef(r.id, r.sku, r.name, r.price, r.currency) for r in catalog_rows}
        addresses = {r.customer_id: r.text for r in await conn.execute(select(t.customer_addresses.c.customer_id, t.customer_addresses.c.text))}
        for _n in range(n_orders):
            target = rng.choices(statuses, weights)[0]
            warehouse_id = warehouse_ids[0] if rng.random() < 0.8 else warehouse_ids[1]
            created = today - timedelta(days=rng.randint(0, 60), minutes=rng.randint(0, 600)) + timedelta(hours=8)
            customer_id = rng.choice(customer_ids)
            stocked = in_stock[warehouse_id]
            lines = [
                domain.LineRequest(f"SKU-{rng.choice(stocked):05d}", rng.choice([1, 1, 2, 3, 5, 10]))
                for _ in range(rng.randint(1, 6))
            ]
            day = (created + timedelta(days=rng.randint(1, 4))).date()
            payment = rng.choice([domain.PaymentTerms(domain.PaymentKind.PREPAID),
                                  domain.PaymentTerms(domain.PaymentKind.CASH_ON_DELIVERY),
                                  domain.PaymentTerms(domain.PaymentKind.CARD_ON_DELIVERY),
                                  domain.PaymentTerms(domain.PaymentKind.INVOICE, 14)])  # fmt: skip
            request = domain.OrderRequest(
                customer_id=customer_id, warehouse_id=warehouse_id, source=rng.choice(list(domain.Source)), lines=lines,
                payment=payment, delivery_address=addresses.get(customer_id),
                delivery=domain.DeliveryWindow(day, time(rng.choice([9, 12, 15])), time(rng.choice([18, 21]))),
            )  # fmt: skip
            number = order_number(await next_counter(conn, "order_number"))
            order, events = domain.create_order(request, catalog, number, created)
            actor = Actor("user", "demo-office")
            clock = created
            if target != S.DRAFT:
                available = {pid: on_hand.get((warehouse_id, pid), 0) - reserved.get((warehouse_id, pid), 0) for pid in order.quantities()}
                if any(available[pid] < qty for pid, qty in order.quantities().items()):
                    target = S.DRAFT  # the demo never reserves what is not there
                else:
                    clock += timedelta(minutes=rng.randint(5, 90))
                    order, _, more = domain.confirm_order(order, available, clock)
                    events += more
                    for pid, qty in order.quantities().items():
                        reserved[(warehouse_id, pid)] = reserved.get((warehouse_id, pid), 0) + qty
            if target == S.CANCELLED and order.status == S.CONFIRMED:
                clock += timedelta(minutes=rng.randint(5, 300))
                order, more = domain.cancel_order(order, "customer_request", "клиент передумал / customer changed mind", clock)
                events += more
                for pid, qty in order.quantities().items():
                    reserved[(warehouse_id, pid)] -= qty
            for step in PATHS.get(target, []) if order.status == S.CONFIRMED else []:
                clock += timedelta(minutes=rng.randint(10, 240))
                order, more = domain.advance_order(order, step, clock)
                events += more
            if order.status in CONSUMED or order.status == S.RETURNED:
                for pid, qty in order.quantities().items():
                    reserved[(warehouse_id, pid)] -= qty
            if order.status in CONSUMED:
                for pid, qty in order.quantities().items():
                    on_hand[(warehouse_id, pid)] -= qty
                    moves += _take_from_bins(bin_rows, bins[warehouse_id], warehouse_id, pid, qty, clock)
            order = replace(order, updated_at=clock)
            order_id = await insert_order(conn, order)
            if order.status in (S.CONFIRMED, S.PICKING):  # units promised, still in their bins
                await conn.execute(insert(t.reservations), [
                    {"order_id": order_id, "product_id": pid, "warehouse_id": warehouse_id, "quantity": qty, "created_at": clock}
                    for pid, qty in order.quantities().items()
                ])  # fmt: skip
            for m in moves:
                m.setdefault("order_id", order_id)
            await save_status(conn, replace(order, id=order_id))
            await append_events(conn, order_id, actor if order.status != S.CLOSED else SYSTEM, events)
            progress.step()
        await conn.execute(insert(t.bin_stock), [
            {"location_id": loc, "product_id": pid, "quantity": qty} for (loc, pid), qty in sorted(bin_rows.items())
        ])  # fmt: skip
        await conn.execute(insert(t.product_stock), [
            {"warehouse_id": w, "product_id": pid, "on_hand": qty, "reserved": reserved.get((w, pid), 0)}
            for (w, pid), qty in sorted(on_hand.items())
        ])  # fmt: skip
        if moves:
            await conn.execute(insert(t.stock_moves), moves)


def _take_from_bins(bin_rows, bin_ids, warehouse_id, product_id, qty, at) -> list[dict]:  # noqa: ANN001
    """Pick `qty` units from the product's bins in walking order, returning the moves."""
    moves = []
    for location_id in bin_ids:
        have = bin_rows.get((location_id, product_id), 0)
        if have <= 0 or qty == 0:
            continue
        take = min(have, qty)
        bin_rows[(location_id, product_id)] = have - take
        qty -= take
        moves.append({"warehouse_id": warehouse_id, "product_id": product_id, "from_location_id": location_id,
                      "quantity": take, "cause": "pick", "note": "", "actor": "demo-picker", "at": at})  # fmt: skip
    return moves


__all__ = ["load_demo", "date"]
