"""At the door, through the sync protocol: the courier's phone records deliveries offline; the
server moves orders, parcels and invoices, keeps proofs, and reports what contradicts the office."""

from __future__ import annotations

import json

from sqlalchemy import select, update

from server.db.tables import SYNC, deliveries, exceptions, invoices, order_events, orders, parcels, routes
from server.usecases.orders import cancel_order
from tests.builders import OFFICE
from tests.courier.world import a_phone, a_photo, a_route, a_signature, a_world, deliver, pay, sha, sign


async def _status(db, order_id: int) -> str:  # noqa: ANN001
    async with db.read() as conn:
        return (await conn.execute(select(orders.c.status).where(orders.c.id == order_id))).scalar_one()


async def _exceptions(db) -> list[tuple[str, int | None]]:  # noqa: ANN001
    async with db.read() as conn:
        return sorted((r.kind, r.order_id) for r in await conn.execute(select(exceptions.c.kind, exceptions.c.order_id)))


async def _parcel_statuses(db, ssccs: list[str]) -> list[str]:  # noqa: ANN001
    async with db.read() as conn:
        found = dict((await conn.execute(select(parcels.c.sscc, parcels.c.status).where(parcels.c.sscc.in_(ssccs)))).all())
    return [found[s] for s in ssccs]


async def test_the_route_reaches_the_phone_with_what_is_needed_at_each_door(client, db, tmp_path) -> None:  # noqa: ANN001
    world = await a_world(db)
    route = await a_route(db, world, world.couriers[0], [("cash", [("BOLT", 2), ("NUT", 3)], 2), ("prepaid", [("DRILL", 1)], 1)])
    phone = await a_phone(db, client, tmp_path, world.couriers[0])
    await phone.sync()
    doc = phone.replica()[("route", str(route))]
    cod, prepaid = doc["stops"]
    assert cod["amount_due"] == 2 * 12_345 + 3 * 333 and cod["paid"] == 0 and cod["payment"] == "cash_on_delivery"
    assert [p["sscc"] for p in cod["parcels"]] == sorted(world.stops[cod["order_id"]].ssccs)
    assert all(p["aboard"] for p in cod["parcels"]) and cod["pod"] == {"signature": True, "photo": False, "code": False}
    assert prepaid["amount_due"] == 0 and cod["outcome"] is None
    assert {r["code"] for r in doc["failure_reasons"]} >= {"absent", "refused", "wrong_address", "no_money"}


async def test_each_stop_carries_its_lines_and_parcel_contents_for_a_partial_delivery_offline(client, db, tmp_path) -> None:  # noqa: ANN001
    world = await a_world(db)
    route = await a_route(db, world, world.couriers[0], [("cash", [("BOLT", 2), ("NUT", 3)], 2)])
    (stop,) = world.on(route)
    phone = await a_phone(db, client, tmp_path, world.couriers[0])
    await phone.sync()
    (doc,) = phone.replica()[("route", str(route))]["stops"]
    assert doc["lines"] == [[pid, qty, price, f"Товар {sku}"] for (pid, qty, price), sku in zip(stop.lines, ["BOLT", "NUT"], strict=True)]
    # a_route spreads line k into parcel k mod n: one product per parcel here.
    contents = {p["sscc"]: p["items"] for p in doc["parcels"]}
    assert sorted(map(tuple, (item for items in contents.values() for item in items))) == sorted((pid, qty) for pid, qty, _ in stop.lines)
    assert all(len(items) == 1 for items in contents.values())


async def test_a_delivery_with_signature_moves_the_order_and_hands_the_parcels_over(client, db, tmp_path) -> None:  # noqa: ANN001
    world = await a_world(db)
    route = await a_route(db, world, world.couriers[0], [("prepaid", [("BOLT", 1)], 2), ("prepaid", [("NUT", 1)], 1)])
    first, second = world.on(route)
    phone = await a_phone(db, client, tmp_path, world.couriers[0])
    png, strokes = a_signature(7)
    deliver(phone, first, seed=7)  # offline: the op and the signature wait on the phone
    await phone.sync()
    assert phone.rejected() == []
    assert await _status(db, first.order_id) == "closed"  # prepaid and delivered: settled, so closed
    assert await _parcel_statuses(db, first.ssccs) == ["delivered", "delivered"]
    async with db.read() as conn:
        row = (await conn.execute(select(deliveries).where(deliveries.c.order_id == first.order_id))).one()
        stored = (await conn.execute(select(SYNC.blobs.c.data).where(SYNC.blobs.c.sha256 == row.signature_png))).scalar_one()
        types = [t for (t,) in await conn.execute(select(order_events.c.type).where(order_events.c.order_id == first.order_id)
                                                   .order_by(order_events.c.id))]  # fmt: skip
        route_status = (await conn.execute(select(routes.c.status).where(routes.c.id == route))).scalar_one()
    assert bytes(stored) == png and row.signature_strokes == sha(strokes)
    assert (row.recipient_name, row.lat_e6, row.lon_e6, row.accuracy_m, row.outcome) == ("Анна Иванова", 55_755_826, 37_617_300, 12, "delivered")
    assert types[-3:] == ["order_delivered", "delivery_recorded", "order_closed"]
    assert route_status == "dispatched"  # one stop still to go
    deliver(phone, second, seed=8)
    await phone.sync()
    async with db.read() as conn:
        assert (await conn.execute(select(routes.c.status).where(routes.c.id == route))).scalar_one() == "completed"
    assert phone.replica()[("route", str(route))]["status"] == "completed"
    assert await _exceptions(db) == []


async def test_an_incomplete_proof_is_recorded_and_reported(client, db, tmp_path) -> None:  # noqa: ANN001
    world = await a_world(db)
    route = await a_route(db, world, world.couriers[0], [("prepaid", [("BOLT", 1)], 1), ("prepaid", [("NUT", 1)], 2)])
    first, second = world.on(route)
    async with db.write() as conn:  # this order needs a photo and the code the customer received by SMS
        await conn.execute(update(orders).where(orders.c.id == first.order_id)
                           .values(pod_policy={"photo": True, "code": True}, pod_code_hash=sha(b"4711")))  # fmt: skip
    phone = await a_phone(db, client, tmp_path, world.couriers[0])
    deliver(phone, first, pod_code="0000")  # a signature, but no photo and a wrong code
    deliver(phone, second, parcels=[second.ssccs[0]])  # one of two parcels scanned at the door
    await phone.sync()
    assert phone.rejected() == []
    assert await _status(db, first.order_id) == "closed" and await _status(db, second.order_id) == "closed"
    async with db.read() as conn:
        details = {r.order_id: r.detail["missing"] for r in await conn.execute(select(exceptions).where(exceptions.c.kind == "pod_incomplete"))}
    assert details == {first.order_id: ["photo", "code"], second.order_id: ["parcels"]}


async def test_a_photo_and_the_right_code_complete_the_proof(client, db, tmp_path) -> None:  # noqa: ANN001
    world = await a_world(db)
    route = await a_route(db, world, world.couriers[0], [("prepaid", [("BOLT", 1)], 1)])
    (stop,) = world.on(route)
    async with db.write() as conn:
        await conn.execute(update(orders).where(orders.c.id == stop.order_id).values(pod_policy={"photo": True, "code": True},
                                                                                     pod_code_hash=sha(b"4711")))  # fmt: skip
    phone = await a_phone(db, client, tmp_path, world.couriers[0])
    photo = a_photo(3)
    phone.store_blob(sha(photo), "image/jpeg", photo)
    deliver(phone, stop, pod_code="4711", photos=[sha(photo)])
    await phone.sync()
    assert phone.rejected() == [] and await _exceptions(db) == []


async def test_a_failed_delivery_keeps_the_parcels_aboard_and_needs_a_known_reason(client, db, tmp_path) -> None:  # noqa: ANN001
    world = await a_world(db)
    route = await a_route(db, world, world.couriers[0], [("cash", [("BOLT", 1)], 1)])
    (stop,) = world.on(route)
    phone = await a_phone(db, client, tmp_path, world.couriers[0])
    await phone.sync()
    deliver(phone, stop, "failed", failure_reason="bored")
    deliver(phone, stop, "failed", failure_reason="absent", note="никого нет дома")
    await phone.sync()
    assert [code for _, _, code, _ in phone.rejected()] == ["failure_reason_invalid"]
    assert await _status(db, stop.order_id) == "failed"
    assert await _parcel_statuses(db, stop.ssccs) == ["loaded"]
    doc = phone.replica()[("route", str(route))]  # every stop has an outcome: the route is done
    assert (doc["status"], doc["stops"][0]["outcome"]) == ("completed", "failed")


async def test_a_partial_delivery_takes_the_refused_units_off_the_invoice_and_brings_parcels_back(client, db, tmp_path) -> None:  # noqa: ANN001
    world = await a_world(db)
    route = await a_route(db, world, world.couriers[0], [("cash", [("BOLT", 2), ("NUT", 3)], 2)])
    (stop,) = world.on(route)
    nut = world.products["NUT"]
    phone = await a_phone(db, client, tmp_path, world.couriers[0])
    await phone.sync()
    deliver(phone, stop, "partial", parcels=[stop.ssccs[0]], refused=[{"product_id": nut, "quantity": 3, "reason": "не заказывали"}])
    pay(phone, stop, amount=2 * 12_345)
    await phone.sync()
    assert phone.rejected() == []
    assert await _status(db, stop.order_id) == "partially_delivered"  # settled, but the refused nuts are still on the road
    assert await _parcel_statuses(db, stop.ssccs) == ["delivered", "refused"]
    async with db.read() as conn:
        invoice = (await conn.execute(select(invoices).where(invoices.c.order_id == stop.order_id))).one()
    assert (invoice.total, invoice.paid, invoice.status) == (2 * 12_345, 2 * 12_345, "paid")
    assert phone.replica()[("route", str(route))]["stops"][0]["amount_due"] == 0


async def test_malformed_outcomes_and_parcels_of_other_stops_are_rejected_with_their_rule(client, db, tmp_path) -> None:  # noqa: ANN001
    world = await a_world(db)
    route = await a_route(db, world, world.couriers[0], [("cash", [("BOLT", 2)], 1), ("cash", [("NUT", 1)], 1)])
    first, second = world.on(route)
    bolt = world.products["BOLT"]
    phone = await a_phone(db, client, tmp_path, world.couriers[0])
    deliver(phone, first, "lost")
    deliver(phone, first, "delivered", parcels=[second.ssccs[0]])
    deliver(phone, first, "partial", refused=[{"product_id": bolt, "quantity": 3, "reason": "x"}])
    deliver(phone, first, "partial", refused=[{"product_id": bolt, "quantity": 2, "reason": "x"}])
    deliver(phone, first, "delivered", refused=[{"product_id": bolt, "quantity": 1, "reason": "x"}])
    deliver(phone, first, "partial")
    await phone.sync()
    assert [code for _, _, code, _ in phone.rejected()] == ["outcome_invalid", "parcel_of_other_stop", "refused_more_than_ordered",
                                                             "partial_refuses_everything", "refused_on_full_delivery",
                                                             "partial_without_refusal"]  # fmt: skip
    assert await _status(db, first.order_id) == "out_for_delivery"
    async with db.read() as conn:
        assert (await conn.execute(select(deliveries))).all() == []


async def test_a_stop_of_another_couriers_route_is_outside_the_phones_scope(client, db, tmp_path) -> None:  # noqa: ANN001
    world = await a_world(db, couriers=2)
    mine = await a_route(db, world, world.couriers[0], [("cash", [("BOLT", 1)], 1)])
    theirs = await a_route(db, world, world.couriers[1], [("cash", [("NUT", 1)], 1)])
    (stop,), (other,) = world.on(mine), world.on(theirs)
    phone = await a_phone(db, client, tmp_path, world.couriers[0])
    deliver(phone, other)
    deliver(phone, stop, route_id=theirs)  # my stop, but claimed on their route
    pay(phone, other)
    await phone.sync()
    assert [code for _, _, code, _ in phone.rejected()] == ["outside_scope"] * 3
    assert ("route", str(theirs)) not in phone.replica()


async def test_a_delivery_waits_for_its_signature_blob_and_nothing_after_it_is_lost(client, db, tmp_path) -> None:  # noqa: ANN001
    world = await a_world(db)
    route = await a_route(db, world, world.couriers[0], [("cash", [("BOLT", 1)], 1)])
    (stop,) = world.on(route)
    phone = await a_phone(db, client, tmp_path, world.couriers[0])
    png, _strokes = a_signature(1)
    deliver(phone, stop, signature_png=sha(png), recipient_name="Пётр")  # the PNG never reached the phone's blob store
    pay(phone, stop)
    response = await phone.transport.push({"protocol": 1, "device_id": phone.device_id, "ops": [
        {"op_id": op_id, "seq": seq, "type": t, "captured_at": at, "payload": json.loads(p)}
        for seq, op_id, t, at, p, _b in phone.pending()]})  # fmt: skip
    assert [(r.status, r.code, r.blobs) for r in response.results] == [("retry", "blob_missing", [sha(png)])]
    assert response.last_seq == 0 and phone.pending_count() == 2
    phone.store_blob(sha(png), "image/png", png)  # found it: the next push uploads it first
    await phone.sync()
    assert phone.rejected() == [] and phone.pending_count() == 0
    assert await _status(db, stop.order_id) == "closed"


async def test_a_signature_of_the_wrong_type_is_rejected(client, db, tmp_path) -> None:  # noqa: ANN001
    world = await a_world(db)
    route = await a_route(db, world, world.couriers[0], [("prepaid", [("BOLT", 1)], 1)])
    (stop,) = world.on(route)
    phone = await a_phone(db, client, tmp_path, world.couriers[0])
    fields = sign(phone, 2)
    photo = a_photo(1)
    phone.store_blob(sha(photo), "image/jpeg", photo)
    deliver(phone, stop, signature_png=fields["signature_strokes"], signature_strokes=fields["signature_png"], recipient_name="Анна",
            photos=[])  # fmt: skip
    deliver(phone, stop, signature_png=sha(photo), recipient_name="Анна")
    await phone.sync()
    assert [code for _, _, code, _ in phone.rejected()] == ["signature_png_wrong_type", "signature_png_wrong_type"]


async def test_a_delivery_after_the_office_cancelled_is_recorded_and_reported(client, db, tmp_path) -> None:  # noqa: ANN001
    world = await a_world(db)
    route = await a_route(db, world, world.couriers[0], [("cash", [("BOLT", 1)], 1)])
    (stop,) = world.on(route)
    phone = await a_phone(db, client, tmp_path, world.couriers[0])
    await phone.sync()
    async with db.write() as conn:  # the order was still packed in the record when the office cancelled it
        await conn.execute(update(orders).where(orders.c.id == stop.order_id).values(status="packed"))
    await cancel_order(db, OFFICE, stop.order_id, "customer_request", "передумал")
    deliver(phone, stop)
    pay(phone, stop)
    await phone.sync()
    assert phone.rejected() == []
    assert await _status(db, stop.order_id) == "cancelled"
    assert await _exceptions(db) == [("delivered_after_cancel", stop.order_id), ("paid_after_cancel", stop.order_id)]
    assert await _parcel_statuses(db, stop.ssccs) == ["delivered"]
    async with db.read() as conn:
        assert (await conn.execute(select(deliveries.c.outcome))).scalars().all() == ["delivered"]


async def test_the_same_delivery_sent_again_under_a_new_seq_is_recorded_once(client, db, tmp_path) -> None:  # noqa: ANN001
    world = await a_world(db)
    route = await a_route(db, world, world.couriers[0], [("prepaid", [("BOLT", 1)], 1)])
    (stop,) = world.on(route)
    phone = await a_phone(db, client, tmp_path, world.couriers[0])
    seq = deliver(phone, stop)
    payload = json.loads(next(p for s, _i, _t, _a, p, _b in phone.pending() if s == seq))
    phone.record("RecordDelivery", payload)  # a reinstalled app replays its own copy
    phone.record("RecordDelivery", payload | {"order_id": stop.order_id + 1000})
    await phone.sync()
    assert [code for _, _, code, _ in phone.rejected()] == ["delivery_id_reused"]
    async with db.read() as conn:
        assert len((await conn.execute(select(deliveries))).all()) == 1
