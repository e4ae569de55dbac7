"""Parcels coming back: scanned in at the dock (the `ReturnParcel` op, or the office endpoint) they
restore stock into the returns bin; a failed order goes returned (its invoice void), a partly
refused one once its refused units are back, and both close when settled. A failed order may
instead be loaded onto a new route for re-delivery."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, update

from server.clock import now
from server.db.tables import bin_stock, exceptions, invoices, locations, orders, parcels, product_stock, routes, stock_moves
from server.usecases.routes import create_route
from tests.conftest import auth
from tests.courier.world import a_dock, a_phone, a_route, a_world, deliver, pay


async def _status(db, order_id: int) -> str:  # noqa: ANN001
    async with db.read() as conn:
        return (await conn.execute(select(orders.c.status).where(orders.c.id == order_id))).scalar_one()


async def _returned_stock(db, warehouse: int) -> dict[int, int]:  # noqa: ANN001
    async with db.read() as conn:
        return dict((await conn.execute(
            select(bin_stock.c.product_id, bin_stock.c.quantity).join(locations, locations.c.id == bin_stock.c.location_id)
            .where(locations.c.warehouse_id == warehouse, locations.c.zone == "returns")
        )).all())  # fmt: skip


async def test_a_failed_delivery_comes_back_parcel_by_parcel_and_the_order_is_returned_and_closed(client, db, tmp_path) -> None:  # noqa: ANN001
    world = await a_world(db)
    route = await a_route(db, world, world.couriers[0], [("cash", [("BOLT", 2), ("NUT", 5)], 2)])
    (stop,) = world.on(route)
    phone = await a_phone(db, client, tmp_path, world.couriers[0])
    deliver(phone, stop, "failed", failure_reason="absent")
    await phone.sync()
    dock = await a_dock(db, client, tmp_path, world.warehouse)
    await dock.sync()
    dock.record("ReturnParcel", {"sscc": stop.ssccs[0]})
    await dock.sync()
    assert await _status(db, stop.order_id) == "failed"  # one parcel is still on its way back
    dock.record("ReturnParcel", {"sscc": f"]C100{stop.ssccs[1]}"})  # a GS1-128 scan of the label
    dock.record("ReturnParcel", {"sscc": stop.ssccs[1]})  # scanned twice
    dock.record("ReturnParcel", {"sscc": "123"})
    dock.record("ReturnParcel", {"sscc": "000000000000000000"})
    await dock.sync()
    assert [code for _, _, code, _ in dock.rejected()] == ["parcel_already_returned", "sscc_invalid", "parcel_unknown"]
    assert await _status(db, stop.order_id) == "closed"  # returned, and its invoice is void: nothing is owed
    assert await _returned_stock(db, world.warehouse) == {world.products["BOLT"]: 2, world.products["NUT"]: 5}
    async with db.read() as conn:
        invoice = (await conn.execute(select(invoices.c.status).where(invoices.c.order_id == stop.order_id))).scalar_one()
        moves = (await conn.execute(select(stock_moves.c.cause, func.sum(stock_moves.c.quantity)).group_by(stock_moves.c.cause))).all()
        levels = dict((await conn.execute(select(product_stock.c.product_id, product_stock.c.on_hand))).all())
        kinds = (await conn.execute(select(exceptions.c.kind))).scalars().all()
    assert invoice == "void" and [tuple(m) for m in moves] == [("return", 7)]
    assert levels == {world.products["BOLT"]: 2, world.products["NUT"]: 5} and kinds == []
    assert ("location", str(next(iter(await _bins(db, world.warehouse))))) in dock.replica()  # the returns bin reached the dock


async def _bins(db, warehouse: int) -> list[int]:  # noqa: ANN001
    async with db.read() as conn:
        return list((await conn.execute(select(locations.c.id).where(locations.c.warehouse_id == warehouse, locations.c.zone == "returns"))).scalars())


async def test_refused_units_of_a_partial_delivery_come_back_before_the_order_closes(client, db, tmp_path) -> None:  # noqa: ANN001
    world = await a_world(db)
    route = await a_route(db, world, world.couriers[0], [("cash", [("BOLT", 2), ("NUT", 3)], 1)])
    (stop,) = world.on(route)
    nut = world.products["NUT"]
    phone = await a_phone(db, client, tmp_path, world.couriers[0])
    deliver(phone, stop, "partial", refused=[{"product_id": nut, "quantity": 2, "reason": "брак"}])  # the one parcel was handed over
    pay(phone, stop, amount=2 * 12_345 + 333)
    await phone.sync()
    assert await _status(db, stop.order_id) == "partially_delivered"
    dock = await a_dock(db, client, tmp_path, world.warehouse)
    dock.record("ReturnParcel", {"sscc": stop.ssccs[0]})  # its label names the order whose two nuts came back loose
    dock.record("ReturnParcel", {"sscc": stop.ssccs[0]})
    await dock.sync()
    assert [code for _, _, code, _ in dock.rejected()] == ["nothing_to_return"]
    assert await _status(db, stop.order_id) == "closed"
    assert await _returned_stock(db, world.warehouse) == {nut: 2}
    async with db.read() as conn:
        assert (await conn.execute(select(parcels.c.status))).scalars().all() == ["delivered"]


async def test_the_office_scans_a_refused_parcel_back_in(client, db, tmp_path, tokens) -> None:  # noqa: ANN001
    world = await a_world(db)
    route = await a_route(db, world, world.couriers[0], [("prepaid", [("BOLT", 1), ("DRILL", 1)], 2)])
    (stop,) = world.on(route)
    drill = world.products["DRILL"]
    phone = await a_phone(db, client, tmp_path, world.couriers[0])
    deliver(phone, stop, "partial", parcels=[stop.ssccs[0]], refused=[{"product_id": drill, "quantity": 1, "reason": "не подошло"}])
    await phone.sync()
    async with db.read() as conn:
        kinds = (await conn.execute(select(exceptions.c.kind))).scalars().all()
    assert kinds == ["refund_due"]  # prepaid in full, the drill came off the invoice
    answer = await client.post(f"/api/parcels/{stop.ssccs[1]}/return", headers=auth(tokens["supervisor"]))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"sscc": stop.ssccs[1], "order_id": stop.order_id, "order_status": "closed", "parcel_status": "returned",
                             "units": {str(drill): 1}, "exception": None}  # fmt: skip
    again = await client.post(f"/api/parcels/{stop.ssccs[1]}/return", headers=auth(tokens["supervisor"]))
    assert (again.status_code, again.json()["code"]) == (409, "parcel_already_returned")
    unknown = await client.post("/api/parcels/000000000000000000/return", headers=auth(tokens["supervisor"]))
    assert unknown.status_code == 404


async def test_a_parcel_back_that_the_record_did_not_expect_is_restored_and_reported(client, db, tmp_path) -> None:  # noqa: ANN001
    world = await a_world(db)
    route = await a_route(db, world, world.couriers[0], [("cash", [("NUT", 4)], 1)])
    (stop,) = world.on(route)
    dock = await a_dock(db, client, tmp_path, world.warehouse)
    dock.record("ReturnParcel", {"sscc": stop.ssccs[0]})  # still out for delivery, says the record
    await dock.sync()
    assert dock.rejected() == []
    async with db.read() as conn:
        kinds = (await conn.execute(select(exceptions.c.kind))).scalars().all()
    assert kinds == ["return_unexpected"] and await _status(db, stop.order_id) == "out_for_delivery"
    assert await _returned_stock(db, world.warehouse) == {world.products["NUT"]: 4}


async def test_a_failed_order_is_loaded_onto_a_new_route_for_re_delivery(client, db, tmp_path) -> None:  # noqa: ANN001
    world = await a_world(db)
    route = await a_route(db, world, world.couriers[0], [("cash", [("BOLT", 1)], 1)])
    (stop,) = world.on(route)
    phone = await a_phone(db, client, tmp_path, world.couriers[0])
    deliver(phone, stop, "failed", failure_reason="rescheduled")
    await phone.sync()
    tomorrow = await create_route(db, world.warehouse, now().date(), world.couriers[0], "А123ВС77", [stop.order_id])
    loader = await a_dock(db, client, tmp_path, world.warehouse, "loader")
    loader.record("LoadParcel", {"route_id": tomorrow, "sscc": stop.ssccs[0]})  # still aboard the van: loaded onto the new route
    await loader.sync()
    assert loader.rejected() == []
    assert await _status(db, stop.order_id) == "loaded"
    stop.route_id = tomorrow
    async with db.write() as conn:  # dispatch of the new route (see world.py)
        await conn.execute(update(routes).where(routes.c.id == tomorrow).values(status="dispatched"))
        await conn.execute(update(orders).where(orders.c.id == stop.order_id).values(status="out_for_delivery"))
    pay(phone, stop)
    deliver(phone, stop, delivery_id=str(uuid.uuid4()))
    await phone.sync()
    assert phone.rejected() == [] and await _status(db, stop.order_id) == "closed"


async def test_parcels_scanned_in_before_the_failed_delivery_reaches_the_server_still_return_the_order(client, db, tmp_path) -> None:  # noqa: ANN001
    world = await a_world(db)
    route = await a_route(db, world, world.couriers[0], [("cash", [("BOLT", 1)], 1)])
    (stop,) = world.on(route)
    phone = await a_phone(db, client, tmp_path, world.couriers[0])
    deliver(phone, stop, "failed", failure_reason="absent")  # the phone is still offline
    dock = await a_dock(db, client, tmp_path, world.warehouse)
    dock.record("ReturnParcel", {"sscc": stop.ssccs[0]})
    await dock.sync()
    await phone.sync()
    assert phone.rejected() == [] and dock.rejected() == []
    assert await _status(db, stop.order_id) == "closed"  # failed, its goods already back: returned, invoice void, closed
    async with db.read() as conn:
        kinds = (await conn.execute(select(exceptions.c.kind))).scalars().all()
    assert kinds == ["return_unexpected"]  # the dock saw it first; the supervisor sees why
    assert await _returned_stock(db, world.warehouse) == {world.products["BOLT"]: 1}
