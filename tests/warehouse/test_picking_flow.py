"""Picking through the sync protocol: the handheld's ops reconciled into orders and stock."""

from __future__ import annotations

from sqlalchemy import select

from server.db.tables import bin_stock, exceptions, order_events, orders, product_stock, reservations, stock_moves, warehouse_tasks
from server.usecases.picking import assign_pick_list, create_pick_list
from sync.database import Database
from tests.sync.fixtures import a_client, a_device
from tests.warehouse.world import a_confirmed_order, a_warehouse


async def _status(db: Database, order_id: int) -> str:
    async with db.read() as conn:
        return (await conn.execute(select(orders.c.status).where(orders.c.id == order_id))).scalar_one()


async def _level(db: Database, product_id: int) -> tuple[int, int]:
    async with db.read() as conn:
        row = (await conn.execute(select(product_stock).where(product_stock.c.product_id == product_id))).one()
    return row.on_hand, row.reserved


async def _kinds(db: Database, table) -> list[str]:  # noqa: ANN001
    async with db.read() as conn:
        return sorted((await conn.execute(select(table.c.kind))).scalars())


async def test_a_picker_picks_an_order_offline_and_the_server_moves_stock_and_stages(client, db, tmp_path) -> None:  # noqa: ANN001
    world = await a_warehouse(db, {"BOLT": ("A-01", 30), "NUT": ("B-01", 50)})
    order = await a_confirmed_order(db, world, [("BOLT", 13), ("NUT", 2)])
    pick_list = await create_pick_list(db, world.warehouse, [order])
    device, token = await a_device(db, "picker", {"warehouse_id": world.warehouse})
    phone = a_client(tmp_path, client, device, token)
    await phone._pull_all(1000)
    doc = phone.replica()[("pick_list", str(pick_list))]
    bolt, nut = doc["lines"]  # walking order: A-01 before B-01
    assert (bolt["location_code"], bolt["quantity"], nut["location_code"]) == ("A-01", 13, "B-01")

    # Offline: the picker claims the list and scans — one case of 12, one unit, then two nuts.
    phone.record("ClaimPickList", {"pick_list_id": pick_list})
    phone.record("PickItem", {"pick_line_id": bolt["id"], "bin": bolt["location_barcode"], "code": world.cases["BOLT"]})
    phone.record("PickItem", {"pick_line_id": bolt["id"], "bin": bolt["location_barcode"], "code": world.products["BOLT"][1]})
    phone.record("PickItem", {"pick_line_id": nut["id"], "bin": nut["location_barcode"], "code": world.products["NUT"][1], "quantity": 2})
    await phone.sync()
    assert phone.rejected() == []

    assert await _status(db, order) == "picked"
    assert await _level(db, world.products["BOLT"][0]) == (17, 0)
    assert await _level(db, world.products["NUT"][0]) == (48, 0)
    async with db.read() as conn:
        assert (await conn.execute(select(reservations))).all() == []
        bins = {(r.location_id, r.product_id): r.quantity for r in await conn.execute(select(bin_stock))}
        moves = (await conn.execute(select(stock_moves.c.cause, stock_moves.c.quantity).where(stock_moves.c.cause == "pick"))).all()
        timeline = (await conn.execute(select(order_events.c.type, order_events.c.device_id).where(order_events.c.order_id == order)
                                       .order_by(order_events.c.id))).all()  # fmt: skip
    assert bins[(world.bins["A-01"][0], world.products["BOLT"][0])] == 17
    assert sorted(q for _, q in moves) == [1, 2, 12]
    types = [t for t, _ in timeline]
    assert types[:2] == ["order_created", "order_confirmed"]
    assert "picking_started" in types and types[-1] == "order_picked"
    assert {d for t, d in timeline if t == "item_picked"} == {device}
    # The finished list leaves the device's replica.
    assert ("pick_list", str(pick_list)) not in phone.replica()


async def test_wrong_scans_that_reach_the_server_are_rejected_with_their_rule(client, db, tmp_path) -> None:  # noqa: ANN001
    world = await a_warehouse(db, {"BOLT": ("A-01", 30), "NUT": ("B-01", 50)})
    order = await a_confirmed_order(db, world, [("BOLT", 2)])
    pick_list = await create_pick_list(db, world.warehouse, [order])
    device, token = await a_device(db, "picker", {"warehouse_id": world.warehouse})
    phone = a_client(tmp_path, client, device, token)
    await phone._pull_all(1000)
    (line,) = phone.replica()[("pick_list", str(pick_list))]["lines"]
    phone.record("PickItem", {"pick_line_id": line["id"], "bin": "LB01", "code": world.products["BOLT"][1]})
    phone.record("PickItem", {"pick_line_id": line["id"], "bin": line["location_barcode"], "code": world.products["NUT"][1]})
    phone.record("PickItem", {"pick_line_id": line["id"], "bin": line["location_barcode"], "code": "0000000"})
    phone.record("PickItem", {"pick_line_id": 999_999, "bin": line["location_barcode"], "code": world.products["BOLT"][1]})
    await phone.sync()
    assert [code for _, _, code, _ in phone.rejected()] == ["wrong_bin", "wrong_item", "unknown_barcode", "pick_line_unknown"]
    assert await _status(db, order) == "confirmed"
    assert await _level(db, world.products["BOLT"][0]) == (30, 2)


async def test_two_devices_picking_the_same_line_offline_record_an_over_pick_and_a_put_back(client, db, tmp_path) -> None:  # noqa: ANN001
    world = await a_warehouse(db, {"BOLT": ("A-01", 30)})
    order = await a_confirmed_order(db, world, [("BOLT", 3)])
    pick_list = await create_pick_list(db, world.warehouse, [order])
    phones = []
    for name in ("tc52-a", "tc52-b"):
        device, token = await a_device(db, "picker", {"warehouse_id": world.warehouse}, name)
        phone = a_client(tmp_path, client, device, token, name=name)
        await phone._pull_all(1000)
        phones.append(phone)
    (line,) = phones[0].replica()[("pick_list", str(pick_list))]["lines"]
    for phone in phones:  # both offline, both pick all three
        phone.record("PickItem", {"pick_line_id": line["id"], "bin": line["location_barcode"], "code": world.products["BOLT"][1], "quantity": 3})
    for phone in phones:
        await phone.sync()
        assert phone.rejected() == []
    assert await _status(db, order) == "picked"
    assert await _level(db, world.products["BOLT"][0]) == (27, 0)  # only the ordered units left the stock record
    assert await _kinds(db, exceptions) == ["over_pick"]
    async with db.read() as conn:
        task = (await conn.execute(select(warehouse_tasks.c.kind, warehouse_tasks.c.quantity))).one()
    assert tuple(task) == ("put_back", 3)


async def test_a_short_pick_backorders_the_line_releases_the_reservation_and_asks_for_a_recount(client, db, tmp_path) -> None:  # noqa: ANN001
    world = await a_warehouse(db, {"BOLT": ("A-01", 10)})
    order = await a_confirmed_order(db, world, [("BOLT", 5)])
    pick_list = await create_pick_list(db, world.warehouse, [order])
    device, token = await a_device(db, "picker", {"warehouse_id": world.warehouse})
    phone = a_client(tmp_path, client, device, token)
    await phone._pull_all(1000)
    (line,) = phone.replica()[("pick_list", str(pick_list))]["lines"]
    phone.record("PickItem", {"pick_line_id": line["id"], "bin": line["location_barcode"], "code": world.products["BOLT"][1], "quantity": 2})
    phone.record("ShortPick", {"pick_line_id": line["id"], "quantity": 3, "reason": "bin_empty"})
    phone.record("ShortPick", {"pick_line_id": line["id"], "quantity": 1, "reason": "bin_empty"})  # nothing left to short
    await phone.sync()
    assert [code for _, _, code, _ in phone.rejected()] == ["short_exceeds_remaining"]
    assert await _status(db, order) == "picked"
    assert await _level(db, world.products["BOLT"][0]) == (8, 0)
    assert await _kinds(db, exceptions) == ["short_pick"]
    assert await _kinds(db, warehouse_tasks) == ["recount"]
    async with db.read() as conn:
        picked = (await conn.execute(select(order_events.c.data).where(order_events.c.type == "order_picked"))).scalar_one()
    assert picked["backordered"][0]["shorted"] == 3


async def test_a_claimed_list_is_refused_to_another_device_and_an_assignment_moves_it(client, db, tmp_path) -> None:  # noqa: ANN001
    world = await a_warehouse(db, {"BOLT": ("A-01", 10)})
    order = await a_confirmed_order(db, world, [("BOLT", 1)])
    pick_list = await create_pick_list(db, world.warehouse, [order])
    (a, a_token), (b, b_token) = [await a_device(db, "picker", {"warehouse_id": world.warehouse}, n) for n in ("a", "b")]
    phone_a, phone_b = a_client(tmp_path, client, a, a_token, name="a"), a_client(tmp_path, client, b, b_token, name="b")
    phone_a.record("ClaimPickList", {"pick_list_id": pick_list})
    await phone_a.sync()
    phone_b.record("ClaimPickList", {"pick_list_id": pick_list})
    await phone_b.sync()
    assert [code for _, _, code, _ in phone_b.rejected()] == ["pick_list_claimed"]
    await assign_pick_list(db, pick_list, b)  # the supervisor reassigns mid-pick
    await phone_a._pull_all(100)
    assert phone_a.replica()[("pick_list", str(pick_list))]["assigned_to"] == b
    phone_b.record("ClaimPickList", {"pick_list_id": pick_list})
    await phone_b.sync()
    assert len(phone_b.rejected()) == 1  # the second claim went through


async def test_a_marking_code_is_recorded_per_unit_and_refused_the_second_time(client, db, tmp_path) -> None:  # noqa: ANN001
    world = await a_warehouse(db, {"DRILL": ("A-01", 5)}, marked={"DRILL"})
    order = await a_confirmed_order(db, world, [("DRILL", 2)])
    pick_list = await create_pick_list(db, world.warehouse, [order])
    device, token = await a_device(db, "picker", {"warehouse_id": world.warehouse})
    phone = a_client(tmp_path, client, device, token)
    await phone._pull_all(1000)
    (line,) = phone.replica()[("pick_list", str(pick_list))]["lines"]
    gtin = world.products["DRILL"][1].rjust(14, "0")
    unit = f"]d201{gtin}21SER0001abcde\x1d93Ab12"
    for code in (world.products["DRILL"][1], unit, unit, f"01{gtin}21SER0002abcde\x1d93Cd34"):
        phone.record("PickItem", {"pick_line_id": line["id"], "bin": line["location_barcode"], "code": code})
    await phone.sync()
    assert [code for _, _, code, _ in phone.rejected()] == ["marking_code_required", "marking_code_duplicate"]
    assert await _status(db, order) == "picked"
    from server.db.tables import marking_codes

    async with db.read() as conn:
        codes = sorted((await conn.execute(select(marking_codes.c.code))).scalars())
    assert codes == [f"01{gtin}21SER0001abcde", f"01{gtin}21SER0002abcde"]
