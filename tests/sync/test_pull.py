"""Scoped pull: bootstrap snapshot, incremental changes, resets, removals, encodings."""

from __future__ import annotations

import asyncio
from datetime import date

import msgspec
from sqlalchemy import select, update

from server.clock import now
from server.db.tables import SYNC
from server.syncapp.app import TallySync
from server.usecases import catalog, routes
from server.usecases.orders import create_order
from sync import pull as pulling
from sync.database import Database
from sync.protocol import PullRequest
from tests.builders import OFFICE, order_request
from tests.sync.fixtures import a_client, a_device, auth


async def _catalog(db: Database, n: int) -> int:
    warehouse_id = await catalog.create_warehouse(db, "MSK", "Москва")
    await catalog.create_location(db, warehouse_id, "A-01", "LA01", "A", 10)
    for i in range(n):
        await catalog.create_product(
            db, catalog.ProductSpec(f"SKU-{i}", f"Болт {i}", 100 + i, "RUB", barcodes=[catalog.BarcodeSpec(f"ALT-{i}", 1)])
        )
    return warehouse_id


async def test_a_new_device_bootstraps_its_scope_in_pages_then_follows_the_log(client, db, tmp_path) -> None:  # noqa: ANN001
    warehouse_id = await _catalog(db, 25)
    device, token = await a_device(db, "picker", {"warehouse_id": warehouse_id})
    phone = a_client(tmp_path, client, device, token)
    first = await phone.pull_once(limit=10)
    assert first.reset and first.more and len(first.changes) == 10
    await phone._pull_all(10)
    replica = phone.replica()
    assert sum(1 for kind, _ in replica if kind == "product") == 25
    assert replica[("location", "1")]["barcode"] == "LA01"
    assert replica[("product", "1")]["barcodes"] == [["ALT-0", 1]]

    # The office changes the catalog: the device gets exactly that change next.
    product = await catalog.create_product(db, catalog.ProductSpec("NEW-1", "Гайка М8", 50, "RUB"))
    page = await phone.pull_once()
    assert [(c.kind, c.id, c.op) for c in page.changes] == [("product", str(product), "put")]
    assert not page.reset and not page.more
    assert (await phone.pull_once()).changes == []


async def test_a_change_made_while_the_snapshot_pages_is_not_missed(client, db, tmp_path) -> None:  # noqa: ANN001
    warehouse_id = await _catalog(db, 12)
    device, token = await a_device(db, "picker", {"warehouse_id": warehouse_id})
    phone = a_client(tmp_path, client, device, token)
    await phone.pull_once(limit=5)  # snapshot page 1 of 3
    await catalog.update_product(db, 1, catalog.ProductSpec("SKU-0", "Болт переименованный", 999, "RUB"))
    await phone._pull_all(5)
    assert phone.replica()[("product", "1")]["name"] == "Болт переименованный"
    assert phone.replica()[("product", "1")]["barcodes"] == []


async def test_an_unknown_or_foreign_epoch_cursor_gets_a_reset_and_a_fresh_snapshot(client, db, tmp_path) -> None:  # noqa: ANN001
    warehouse_id = await _catalog(db, 3)
    device, token = await a_device(db, "picker", {"warehouse_id": warehouse_id})
    forged = await client.post("/api/sync/pull", json={"protocol": 1, "cursor": "garbage"}, headers=auth(token))
    assert forged.status_code == 200 and forged.json()["reset"] is True
    phone = a_client(tmp_path, client, device, token)
    await phone._pull_all(100)
    async with db.write() as conn:  # a restore starts a new epoch
        await conn.execute(update(SYNC.state).values(epoch="restored"))
    again = await phone.pull_once()
    assert again.reset is True
    assert sum(1 for kind, _ in phone.replica() if kind == "product") == 3


async def test_a_cursor_older_than_the_compacted_log_gets_a_reset(client, db, tmp_path) -> None:  # noqa: ANN001
    warehouse_id = await _catalog(db, 2)
    device, token = await a_device(db, "picker", {"warehouse_id": warehouse_id})
    phone = a_client(tmp_path, client, device, token)
    await phone._pull_all(100)
    await catalog.create_product(db, catalog.ProductSpec("LATE-1", "x", 1, "RUB"))
    async with db.write() as conn:
        await conn.execute(update(SYNC.state).values(purged_through=10_000))
    assert (await phone.pull_once()).reset is True


async def test_a_courier_never_receives_another_couriers_route_and_reassignment_removes_it(client, db, tmp_path) -> None:  # noqa: ANN001
    warehouse_id = await _catalog(db, 1)
    from server.usecases.customers import create_customer
    from server.wire.customers import CustomerWrite

    customer = await create_customer(db, CustomerWrite(kind="person", name="Анна", phone="+7 900 000-00-00"))
    order = (await create_order(db, OFFICE, order_request(customer, warehouse_id, [("SKU-0", 1)]))).order_id
    anna = await routes.create_courier(db, "Анна", None, warehouse_id)
    boris = await routes.create_courier(db, "Борис", None, warehouse_id)
    a_id, a_token = await a_device(db, "courier", {"courier_id": anna}, "anna-phone")
    b_id, b_token = await a_device(db, "courier", {"courier_id": boris}, "boris-phone")
    anna_phone = a_client(tmp_path, client, a_id, a_token, name="anna")
    boris_phone = a_client(tmp_path, client, b_id, b_token, name="boris")

    route = await routes.create_route(db, warehouse_id, date(2026, 11, 27), anna, "А123ВС", [order])
    await anna_phone._pull_all(100)
    await boris_phone._pull_all(100)
    assert list(anna_phone.replica()) == [("route", str(route))]
    assert anna_phone.replica()[("route", str(route))]["stops"][0]["customer"] == "Анна"
    assert boris_phone.replica() == {}

    await routes.reassign_route(db, route, boris)
    removal = await anna_phone.pull_once()
    assert [(c.kind, c.id, c.op) for c in removal.changes] == [("route", str(route), "del")]
    assert anna_phone.replica() == {}
    await boris_phone._pull_all(100)
    assert list(boris_phone.replica()) == [("route", str(route))]


async def test_pull_speaks_messagepack_and_answers_compressed(client, db, tmp_path) -> None:  # noqa: ANN001
    warehouse_id = await _catalog(db, 40)
    device, token = await a_device(db, "picker", {"warehouse_id": warehouse_id})
    body = msgspec.msgpack.encode({"protocol": 1, "cursor": None, "limit": 1000})
    response = await client.post(
        "/api/sync/pull", content=body,
        headers=auth(token) | {"content-type": "application/msgpack", "accept": "application/msgpack", "accept-encoding": "gzip"},
    )  # fmt: skip
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/msgpack")
    assert response.headers.get("content-encoding") == "gzip"
    decoded = msgspec.msgpack.decode(response.content)
    assert len(decoded["changes"]) == 41 and decoded["reset"] is True
    phone = a_client(tmp_path, client, device, token, msgpack=True)
    await phone._pull_all(1000)
    assert len(phone.replica()) == 41


async def test_pull_reports_the_devices_write_checkpoint(client, db, tmp_path) -> None:  # noqa: ANN001
    device, token = await a_device(db)
    phone = a_client(tmp_path, client, device, token)
    phone.record("RecordScan", {"code": "X"})
    phone.record("RecordScan", {"code": "Y"})
    await phone.push_once()
    page = await phone.pull_once()
    assert page.last_seq == 2 and phone.pending_count() == 0


async def test_devices_alike_share_snapshot_pages_until_a_change_in_their_scopes(client, db, tmp_path) -> None:  # noqa: ANN001
    warehouse_id = await _catalog(db, 4)
    other_warehouse = await catalog.create_warehouse(db, "SPB", "Санкт-Петербург")
    pages = pulling.snapshot_pages(db)

    async def bootstrap(name: str, role: str = "picker", warehouse: int = warehouse_id) -> dict:
        device, token = await a_device(db, role, {"warehouse_id": warehouse}, name=name)
        phone = a_client(tmp_path, client, device, token, name=name)
        await phone._pull_all(100)
        return phone.replica()

    first = await bootstrap("TC52-01")
    hits = pages.hits
    assert await bootstrap("TC52-02") == first  # the same page, read once
    assert pages.hits == hits + 1

    # A change elsewhere (another warehouse's bins) leaves the page valid.
    await catalog.create_location(db, other_warehouse, "B-01", "LB01", "B", 1)
    assert await bootstrap("TC52-03") == first
    assert pages.hits == hits + 2

    # A change in the catalog does not: the next device reads the new price, not the shared page.
    await catalog.update_product(db, 1, catalog.ProductSpec("SKU-0", "Болт М6", 777, "RUB"))
    fourth = await bootstrap("TC52-04")
    assert fourth[("product", "1")]["price"] == 777 and fourth[("product", "1")]["name"] == "Болт М6"
    assert pages.hits == hits + 2

    # Devices that see other scopes never get this page: the other warehouse's picker has its own bins.
    elsewhere = await bootstrap("TC52-05", warehouse=other_warehouse)
    assert [k for k in elsewhere if k[0] == "location"] == [("location", "2")]
    assert sum(1 for kind, _ in elsewhere if kind == "product") == 4


async def test_pulls_arriving_together_note_every_devices_status_in_shared_writes(db, monkeypatch) -> None:  # noqa: ANN001
    warehouse_id = await _catalog(db, 3)
    devices = [(await a_device(db, "picker", {"warehouse_id": warehouse_id}, name=f"TC52-{i:02d}"))[0] for i in range(20)]
    writes = 0
    write = pulling.PullNotes._write

    async def counted(self, *args) -> None:  # noqa: ANN001, ANN002
        nonlocal writes
        writes += 1
        await write(self, *args)

    monkeypatch.setattr(pulling.PullNotes, "_write", counted)
    app = TallySync()
    at = now()
    requests = [PullRequest(protocol=1, cursor=None, limit=100, pending=i, app_version=f"pwa/{i}") for i in range(20)]
    await asyncio.gather(*(pulling.pull(db, SYNC, app, d, r, at) for d, r in zip(devices, requests, strict=True)))

    assert 1 <= writes < len(devices)  # the twenty notes shared their writes
    async with db.read() as conn:
        d = SYNC.devices.c
        rows = {r.id: r for r in await conn.execute(select(d.id, d.last_pull_at, d.pending, d.app_version, d.pulled_version))}
    for i, device in enumerate(devices):
        assert rows[device].last_pull_at is not None
        assert (rows[device].pending, rows[device].app_version) == (i, f"pwa/{i}")


async def test_devices_bootstrapping_at_once_wait_for_one_read_of_their_shared_page(db) -> None:  # noqa: ANN001
    warehouse_id = await _catalog(db, 5)
    devices = [(await a_device(db, "picker", {"warehouse_id": warehouse_id}, name=f"TC52-{i:02d}"))[0] for i in range(12)]
    app, reads = TallySync(), 0
    snapshot = app.snapshot

    async def counted(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        nonlocal reads
        reads += 1
        return await snapshot(*args, **kwargs)

    app.snapshot = counted
    request = PullRequest(protocol=1, cursor=None, limit=100)
    answers = await asyncio.gather(*(pulling.pull(db, SYNC, app, d, request, now()) for d in devices))

    assert reads == 1
    assert all(a.changes == answers[0].changes and len(a.changes) == 6 for a in answers)  # 5 products and 1 bin
