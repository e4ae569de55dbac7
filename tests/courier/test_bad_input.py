"""Bad input from a courier's phone gets a clear code and loses nothing: negative or float amounts,
a signature over the size limit or of the wrong type, a payment in another currency, a handover
for another courier."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import select

from server.db.tables import SYNC, cash_handovers, deliveries, payments
from sync.client import ProtocolError
from tests.courier.world import a_phone, a_photo, a_route, a_signature, a_world, deliver, pay, sha
from tests.sync.fixtures import auth


async def _payments(db) -> list[tuple[int, int, str | None]]:  # noqa: ANN001
    async with db.read() as conn:
        return sorted((r.order_id, r.amount, r.handover_id) for r in await conn.execute(select(payments)))


async def test_negative_and_float_amounts_are_rejected_and_the_good_payment_beside_them_is_kept(client, db, tmp_path) -> None:  # noqa: ANN001
    world = await a_world(db)
    route = await a_route(db, world, world.couriers[0], [("cash", [("BOLT", 1)], 1)])
    (stop,) = world.on(route)
    phone = await a_phone(db, client, tmp_path, world.couriers[0])
    pay(phone, stop, amount=-12_345)
    pay(phone, stop, amount=123.45)
    pay(phone, stop, amount=12_345.0)
    pay(phone, stop, amount=0)
    pay(phone, stop, tendered=-1, change_given=0)
    pay(phone, stop)
    await phone.sync()
    rejected = phone.rejected()
    assert [code for _, _, code, _ in rejected] == ["invalid_payload"] * 5
    assert "Expected `int`, got `float`" in rejected[1][3] and ">= 0" in rejected[4][3]
    assert await _payments(db) == [(stop.order_id, 12_345, None)]
    assert phone.pending_count() == 0


async def test_a_payment_in_another_currency_is_rejected_by_its_rule(client, db, tmp_path) -> None:  # noqa: ANN001
    world = await a_world(db)
    route = await a_route(db, world, world.couriers[0], [("card", [("BOLT", 1)], 1)])
    (stop,) = world.on(route)
    phone = await a_phone(db, client, tmp_path, world.couriers[0])
    pay(phone, stop, method="card", currency="USD")
    pay(phone, stop, method="card", currency="rub")
    pay(phone, stop, method="card")
    await phone.sync()
    assert [(code, "USD" in (message or "")) for _, _, code, message in phone.rejected()] == [("currency_mismatch", True), ("invalid_payload", False)]
    assert await _payments(db) == [(stop.order_id, 12_345, None)]


async def test_a_handover_for_another_courier_is_rejected_and_leaves_the_cash_to_the_right_one(client, db, tmp_path) -> None:  # noqa: ANN001
    world = await a_world(db, couriers=2)
    route = await a_route(db, world, world.couriers[0], [("cash", [("NUT", 1)], 1)])
    (stop,) = world.on(route)
    phone = await a_phone(db, client, tmp_path, world.couriers[0])
    pay(phone, stop)
    body = {"courier_id": world.couriers[1], "counted": 333, "currency": "RUB", "cashier": "Кассир"}
    phone.record("HandOverCash", body | {"handover_id": str(uuid.uuid4())})
    await phone.sync()
    assert [code for _, _, code, _ in phone.rejected()] == ["handover_other_courier"]
    assert await _payments(db) == [(stop.order_id, 333, None)]  # still unclaimed
    mine = str(uuid.uuid4())
    phone.record("HandOverCash", body | {"handover_id": mine, "courier_id": world.couriers[0]})
    await phone.sync()
    assert await _payments(db) == [(stop.order_id, 333, mine)]
    async with db.read() as conn:
        assert (await conn.execute(select(cash_handovers.c.expected, cash_handovers.c.difference))).one() == (333, 0)


async def test_a_signature_over_the_size_limit_is_refused_and_its_delivery_waits_on_the_phone(client, db, tmp_path) -> None:  # noqa: ANN001
    world = await a_world(db)
    route = await a_route(db, world, world.couriers[0], [("cash", [("BOLT", 1)], 1)])
    (stop,) = world.on(route)
    phone = await a_phone(db, client, tmp_path, world.couriers[0])
    huge = b"\x89PNG\r\n\x1a\n" + os.urandom(2 * 1024 * 1024)
    phone.store_blob(sha(huge), "image/png", huge)
    deliver(phone, stop, signature_png=sha(huge), recipient_name="Анна")
    pay(phone, stop)
    with pytest.raises(ProtocolError) as refusal:
        await phone.sync()
    assert (refusal.value.status, refusal.value.code) == (413, "blob_too_large")
    assert phone.pending_count() == 2 and phone.rejected() == []  # both ops wait on the phone, in order
    async with db.read() as conn:
        assert (await conn.execute(select(deliveries))).all() == [] and (await conn.execute(select(SYNC.blobs))).all() == []
    assert await _payments(db) == []


async def test_blobs_of_the_wrong_type_are_refused_at_upload(client, db, tmp_path) -> None:  # noqa: ANN001
    world = await a_world(db)
    await a_route(db, world, world.couriers[0], [("cash", [("BOLT", 1)], 1)])
    phone = await a_phone(db, client, tmp_path, world.couriers[0])
    token = phone.transport.token
    photo = a_photo(1)
    png, strokes = a_signature(1)
    cases = [(photo, "image/png", 422, "blob_type_mismatch"), (png, "image/gif", 422, "blob_type_unsupported"),
             (b"not json", "application/json", 422, "blob_type_mismatch"), (png, "image/png", 422, "blob_hash_mismatch")]  # fmt: skip
    for data, kind, status, code in cases:
        name = sha(data) if code != "blob_hash_mismatch" else sha(strokes)
        answer = await client.put(f"/api/blobs/{name}", content=data, headers=auth(token) | {"Content-Type": kind})
        assert (answer.status_code, answer.json()["code"]) == (status, code)
    ok = await client.put(f"/api/blobs/{sha(png)}", content=png, headers=auth(token) | {"Content-Type": "image/png"})
    assert ok.status_code == 201
