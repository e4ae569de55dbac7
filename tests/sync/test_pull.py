"""Scoped pull: bootstrap snapshot, incremental changes, resets, removals, encodings."""

from __future__ import annotations

from datetime import date

import msgspec
from sqlalchemy import update

from server.db.tables import SYNC
from server.usecases import catalog, routes
from server.usecases.orders import create_order
from sync.database import Database
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
