"""The second-person check through the sync protocol, and the supervisor's override."""

from __future__ import annotations

from sqlalchemy import select

from server.db.tables import exceptions, order_checks, orders
from server.usecases.picking import create_pick_list
from sync.database import Database
from tests.conftest import auth
from tests.sync.fixtures import a_client, a_device
from tests.warehouse.world import a_confirmed_order, a_warehouse


async def _picked_order(db, client, tmp_path, lines):  # noqa: ANN001, ANN202
    world = await a_warehouse(db, {"BOLT": ("A-01", 30), "NUT": ("B-01", 30)})
    order = await a_confirmed_order(db, world, lines)
    pick_list = await create_pick_list(db, world.warehouse, [order])
    picker_id, picker_token = await a_device(db, "picker", {"warehouse_id": world.warehouse}, "picker")
    picker = a_client(tmp_path, client, picker_id, picker_token, name="picker")
    await picker._pull_all(1000)
    for line in picker.replica()[("pick_list", str(pick_list))]["lines"]:
        sku = "BOLT" if line["sku"] == "BOLT" else "NUT"
        picker.record("PickItem", {"pick_line_id": line["id"], "bin": line["location_barcode"], "code": world.products[sku][1],
                                   "quantity": line["quantity"]})  # fmt: skip
    await picker.sync()
    checker_id, checker_token = await a_device(db, "checker", {"warehouse_id": world.warehouse}, "checker")
    checker = a_client(tmp_path, client, checker_id, checker_token, name="checker")
    return world, order, picker, checker


async def _status(db: Database, order_id: int) -> str:
    async with db.read() as conn:
        return (await conn.execute(select(orders.c.status).where(orders.c.id == order_id))).scalar_one()


async def test_a_matching_count_checks_the_order_and_removes_its_check_task(client, db, tmp_path) -> None:  # noqa: ANN001
    world, order, picker, checker = await _picked_order(db, client, tmp_path, [("BOLT", 3), ("NUT", 2)])
    await checker._pull_all(1000)
    task = checker.replica()[("check_task", str(order))]
    assert sorted((li["sku"], li["expected"]) for li in task["lines"]) == [("BOLT", 3), ("NUT", 2)]
    assert task["picked_by"] == [picker.device_id]  # a checker's handheld offers only others' picks
    checker.record("CheckOrder", {"order_id": order, "items": [{"code": world.products["BOLT"][1], "quantity": 3},
                                                                {"code": world.products["NUT"][1], "quantity": 2}]})  # fmt: skip
    await checker.sync()
    assert checker.rejected() == []
    assert await _status(db, order) == "checked"
    assert ("check_task", str(order)) not in checker.replica()


async def test_a_discrepancy_keeps_the_order_picked_and_opens_an_exception(client, db, tmp_path) -> None:  # noqa: ANN001
    world, order, _picker, checker = await _picked_order(db, client, tmp_path, [("BOLT", 3)])
    checker.record("CheckOrder", {"order_id": order, "items": [{"code": world.products["BOLT"][1], "quantity": 2},
                                                                {"code": world.products["NUT"][1]}]})  # fmt: skip
    await checker.sync()
    assert await _status(db, order) == "picked"
    async with db.read() as conn:
        (detail,) = (await conn.execute(select(exceptions.c.detail).where(exceptions.c.kind == "check_discrepancy"))).scalars()
        result = (await conn.execute(select(order_checks.c.result))).scalar_one()
    assert result == "discrepancy"
    assert sorted(d["status"] for d in detail["lines"]) == ["missing", "wrong"]


async def test_the_picker_cannot_check_what_it_picked(client, db, tmp_path) -> None:  # noqa: ANN001
    from sqlalchemy import update

    from server.db.tables import SYNC

    world, order, picker, _checker = await _picked_order(db, client, tmp_path, [("BOLT", 1)])
    async with db.write() as conn:  # the picker's handheld is re-enrolled as a combined warehouse device
        await conn.execute(update(SYNC.devices).where(SYNC.devices.c.id == picker.device_id).values(role="warehouse"))
    picker.record("CheckOrder", {"order_id": order, "items": [{"code": world.products["BOLT"][1]}]})
    await picker.sync()
    assert [code for _, _, code, _ in picker.rejected()] == ["checker_is_picker"]
    assert await _status(db, order) == "picked"


async def test_a_supervisor_override_checks_the_order_with_a_reason(client, db, tmp_path, tokens) -> None:  # noqa: ANN001
    world, order, _picker, checker = await _picked_order(db, client, tmp_path, [("BOLT", 3)])
    checker.record("CheckOrder", {"order_id": order, "items": [{"code": world.products["BOLT"][1], "quantity": 2}]})
    await checker.sync()
    refused = await client.post(f"/api/orders/{order}/check-override", json={"reason": ""}, headers=auth(tokens["supervisor"]))
    assert refused.status_code == 400
    response = await client.post(f"/api/orders/{order}/check-override", json={"reason": "third unit found under the tote"},
                                 headers=auth(tokens["supervisor"]))  # fmt: skip
    assert response.status_code == 200 and response.json()["status"] == "checked"
    assert response.json()["timeline"][-1]["data"]["override"] == "third unit found under the tote"
    async with db.read() as conn:
        assert (await conn.execute(select(exceptions.c.status, exceptions.c.resolution))).one() == ("resolved", "override")
    office = await client.post(f"/api/orders/{order}/check-override", json={"reason": "x"}, headers=auth(tokens["office"]))
    assert office.status_code == 403
