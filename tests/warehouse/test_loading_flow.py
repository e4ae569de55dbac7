"""Loading and dispatch through the sync protocol: parcels onto a route's vehicle, the route out,
its orders out for delivery — and the supervisor's override when a parcel is missing."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from server.db.tables import exceptions, order_events, parcels, routes
from server.usecases.routes import create_courier, create_route
from sync.client import SyncClient
from tests.conftest import auth
from tests.sync.fixtures import a_client, a_device
from tests.warehouse.test_packing_flow import Floor, a_floor, a_packer, codes, labels, parcel_id, status

DAY = date(2026, 11, 27)


async def packed(floor: Floor, packer: SyncClient, order: int, boxes: int = 1) -> list[str]:
    """Pack a checked order's bolts one per parcel into `boxes` parcels; return their SSCCs."""
    doc = packer.replica()[("pack_order", str(order))]
    (line,) = doc["lines"]
    ssccs = labels(packer, boxes)  # each push brings back the blocks' next free serial
    for n, sscc in enumerate(ssccs):
        box = parcel_id()
        packer.record("OpenParcel", {"parcel_id": box, "order_id": order, "sscc": sscc})
        units = line["picked"] // boxes + (line["picked"] % boxes if n == 0 else 0)
        packer.record("PackItem", {"parcel_id": box, "code": floor.world.products["BOLT"][1], "quantity": units})
        packer.record("CloseParcel", {"parcel_id": box, "weight_g": 500 * units})
    await packer.sync()
    assert codes(packer) == [] and await status(floor.db, order) == "packed"
    return ssccs


async def a_route(floor: Floor, orders: list[int], name: str = "Иван") -> tuple[int, int]:
    courier = await create_courier(floor.db, name, None, floor.world.warehouse)
    return await create_route(floor.db, floor.world.warehouse, DAY, courier, "А123ВС77", orders), courier


async def _route(floor: Floor, route_id: int):  # noqa: ANN202
    async with floor.db.read() as conn:
        return (await conn.execute(select(routes).where(routes.c.id == route_id))).one()


async def _exceptions(floor: Floor) -> list[tuple]:
    async with floor.db.read() as conn:
        return [(r.kind, r.order_id, r.detail) for r in await conn.execute(select(exceptions).order_by(exceptions.c.id))]


async def test_a_loaded_route_is_dispatched_and_its_orders_go_out_for_delivery(client, db, tmp_path) -> None:  # noqa: ANN001
    floor = await a_floor(db, client, tmp_path, {"BOLT": ("A-01", 40)})
    first, second = await floor.checked([("BOLT", 2)]), await floor.checked([("BOLT", 3)])
    route, courier = await a_route(floor, [first, second])
    loader = await floor.handheld("loader", "loader")
    await loader._pull_all(1000)
    assert [s["parcels"] for s in loader.replica()[("load_route", str(route))]["stops"]] == [[], []]
    packer = await a_packer(floor)
    (a,), (b,) = await packed(floor, packer, first), await packed(floor, packer, second)
    await loader._pull_all(1000)  # closed parcels reach the loaders through the change log
    doc = loader.replica()[("load_route", str(route))]
    assert [(s["order_id"], [p["sscc"] for p in s["parcels"]]) for s in doc["stops"]] == [(first, [a]), (second, [b])]

    loader.record("LoadParcel", {"route_id": route, "sscc": a})
    loader.record("LoadParcel", {"route_id": route, "sscc": f"]C100{b}"})  # the label's GS1-128 as scanned
    loader.record("LoadParcel", {"route_id": route, "sscc": b})  # scanned twice: harmless
    loader.record("LoadParcel", {"route_id": route, "sscc": "000000000000000000"})
    loader.record("DispatchRoute", {"route_id": route})
    await loader.sync()
    assert codes(loader) == ["parcel_unknown"]
    assert (await _route(floor, route)).status == "dispatched"
    assert [await status(db, o) for o in (first, second)] == ["out_for_delivery", "out_for_delivery"]
    assert ("load_route", str(route)) not in loader.replica()  # a dispatched route leaves the loaders' handhelds
    async with db.read() as conn:
        assert set((await conn.execute(select(parcels.c.status))).scalars()) == {"loaded"}
        timeline = list((await conn.execute(select(order_events.c.type).where(order_events.c.order_id == first)
                                            .order_by(order_events.c.id))).scalars())  # fmt: skip
    steps = [t for t in timeline if t in ("parcel_loaded", "order_loaded", "order_dispatched")]
    assert steps == ["parcel_loaded", "order_loaded", "order_dispatched"]
    assert await _exceptions(floor) == []

    device, token = await a_device(db, "courier", {"courier_id": courier}, "phone")
    phone = a_client(tmp_path, client, device, token, name="phone")
    await phone._pull_all(1000)
    seen = phone.replica()[("route", str(route))]
    assert seen["status"] == "dispatched" and {s["status"] for s in seen["stops"]} == {"out_for_delivery"}


async def test_dispatch_is_refused_with_a_parcel_missing_and_goes_once_it_is_loaded(client, db, tmp_path) -> None:  # noqa: ANN001
    floor = await a_floor(db, client, tmp_path, {"BOLT": ("A-01", 40)})
    order = await floor.checked([("BOLT", 4)])
    route, _ = await a_route(floor, [order])
    packer = await a_packer(floor)
    a, b = await packed(floor, packer, order, boxes=2)
    loader = await floor.handheld("loader", "loader")
    loader.record("LoadParcel", {"route_id": route, "sscc": a})
    loader.record("DispatchRoute", {"route_id": route})
    await loader.sync()
    ((_, _, code, message),) = loader.rejected()
    assert code == "parcels_missing" and b in message and a not in message
    assert (await _route(floor, route)).status == "loading" and await status(db, order) == "packed"

    loader.record("LoadParcel", {"route_id": route, "sscc": b})
    loader.record("DispatchRoute", {"route_id": route})
    loader.record("DispatchRoute", {"route_id": route})  # the route has left
    await loader.sync()
    assert codes(loader) == ["parcels_missing", "route_dispatched"]
    assert (await _route(floor, route)).status == "dispatched" and await status(db, order) == "out_for_delivery"


async def test_a_parcel_loaded_on_the_wrong_route_is_recorded_with_an_exception(client, db, tmp_path) -> None:  # noqa: ANN001
    floor = await a_floor(db, client, tmp_path, {"BOLT": ("A-01", 40)})
    mine, theirs = await floor.checked([("BOLT", 1)]), await floor.checked([("BOLT", 1)])
    route, _ = await a_route(floor, [mine])
    other, _ = await a_route(floor, [theirs], "Пётр")
    packer = await a_packer(floor)
    (a,), (stray,) = await packed(floor, packer, mine), await packed(floor, packer, theirs)
    loader = await floor.handheld("loader", "loader")
    loader.record("LoadParcel", {"route_id": route, "sscc": a})
    loader.record("LoadParcel", {"route_id": route, "sscc": stray})  # the device refused it, but it was loaded anyway (say, offline on an old replica)
    loader.record("LoadParcel", {"route_id": 999_999, "sscc": a})
    await loader.sync()
    assert codes(loader) == ["route_unknown"]
    kinds = await _exceptions(floor)
    assert [(k, o, d["sscc"], d["route_id"]) for k, o, d in kinds] == [("loaded_on_wrong_route", theirs, stray, route)]
    async with db.read() as conn:
        on = {r.sscc: (r.status, r.route_id) for r in await conn.execute(select(parcels))}
        flagged = (await conn.execute(select(order_events.c.data).where(order_events.c.order_id == theirs,
                                                                        order_events.c.type == "parcel_loaded"))).scalar_one()  # fmt: skip
    assert on == {a: ("loaded", route), stray: ("loaded", route)} and flagged["wrong_route"] is True
    assert await status(db, mine) == "loaded" and await status(db, theirs) == "packed"  # not on its own vehicle
    loader.record("DispatchRoute", {"route_id": other})
    await loader.sync()
    assert codes(loader)[-1] == "parcels_missing"


async def test_a_supervisor_dispatches_with_a_parcel_missing_and_the_reason_is_recorded(client, db, tmp_path, tokens) -> None:  # noqa: ANN001
    floor = await a_floor(db, client, tmp_path, {"BOLT": ("A-01", 40)})
    partly, not_at_all = await floor.checked([("BOLT", 2)]), await floor.checked([("BOLT", 1)])
    route, courier = await a_route(floor, [partly, not_at_all])
    packer = await a_packer(floor)
    a, b = await packed(floor, packer, partly, boxes=2)
    (c,) = await packed(floor, packer, not_at_all)
    loader = await floor.handheld("loader", "loader")
    loader.record("LoadParcel", {"route_id": route, "sscc": a})
    await loader.sync()
    url = f"/api/routes/{route}/dispatch"
    assert (await client.post(url, json={"override_reason": ""}, headers=auth(tokens["supervisor"]))).status_code == 400
    assert (await client.post(url, json={"override_reason": "x"}, headers=auth(tokens["integration"]))).status_code == 403
    response = await client.post(url, json={"override_reason": "машина уходит, остаток завтра"}, headers=auth(tokens["supervisor"]))
    assert response.status_code == 200
    assert response.json() == {"route_id": route, "status": "dispatched", "missing": {str(partly): [b], str(not_at_all): [c]},
                               "out_for_delivery": [partly], "left_behind": [not_at_all]}  # fmt: skip
    row = await _route(floor, route)
    assert (row.status, row.dispatch_override) == ("dispatched", "машина уходит, остаток завтра") and row.dispatched_at is not None
    assert await status(db, partly) == "out_for_delivery" and await status(db, not_at_all) == "packed"
    async with db.read() as conn:
        events = {r.order_id: (r.data, r.actor_kind) for r in await conn.execute(select(order_events).where(order_events.c.type == "dispatch_overridden"))}
    assert events[partly][0]["missing"] == [b] and events[not_at_all][0]["left_behind"] is True
    assert {kind for _, kind in events.values()} == {"user"}
    again = await client.post(url, json={"override_reason": "again"}, headers=auth(tokens["supervisor"]))
    assert (again.status_code, again.json()["code"]) == (422, "route_dispatched")
    await loader._pull_all(1000)
    assert ("load_route", str(route)) not in loader.replica()
    device, token = await a_device(db, "courier", {"courier_id": courier}, "phone")
    phone = a_client(tmp_path, client, device, token, name="phone")
    await phone._pull_all(1000)
    assert phone.replica()[("route", str(route))]["status"] == "dispatched"


async def test_a_warehouse_handheld_packs_palletizes_loads_the_pallet_and_dispatches_in_one_push(client, db, tmp_path) -> None:  # noqa: ANN001
    floor = await a_floor(db, client, tmp_path, {"BOLT": ("A-01", 40)})
    first, second = await floor.checked([("BOLT", 1)]), await floor.checked([("BOLT", 2)])
    route, _ = await a_route(floor, [first, second])
    handheld = await floor.handheld("warehouse", "all-in-one")
    from server.usecases.packing import allocate_sscc_block

    await allocate_sscc_block(db, handheld.device_id)
    await handheld._pull_all(1000)
    sscc_1, sscc_2, pallet = labels(handheld, 3)
    for order, sscc, units in ((first, sscc_1, 1), (second, sscc_2, 2)):
        box = parcel_id()
        handheld.record("OpenParcel", {"parcel_id": box, "order_id": order, "sscc": sscc})
        handheld.record("PackItem", {"parcel_id": box, "code": floor.world.products["BOLT"][1], "quantity": units})
        handheld.record("CloseParcel", {"parcel_id": box, "weight_g": 400})
        handheld.record("PalletizeParcels", {"pallet_sscc": pallet, "parcel_ids": [box]})
    handheld.record("LoadParcel", {"route_id": route, "sscc": pallet})  # the pallet's label loads every parcel on it
    handheld.record("DispatchRoute", {"route_id": route})
    await handheld.sync()
    assert codes(handheld) == []
    assert (await _route(floor, route)).status == "dispatched"
    assert [await status(db, o) for o in (first, second)] == ["out_for_delivery", "out_for_delivery"]
    async with db.read() as conn:
        assert {(r.sscc, r.status, r.route_id, r.pallet_sscc) for r in await conn.execute(select(parcels))} == {
            (sscc_1, "loaded", route, pallet), (sscc_2, "loaded", route, pallet)}  # fmt: skip
