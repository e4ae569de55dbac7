"""Order creation honours Idempotency-Key: one order per key, a different body is a conflict."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from server.db.tables import orders
from tests.builders import a_world
from tests.conftest import auth
from tests.http.test_orders_api import an_order_body


async def test_one_order_from_100_concurrent_creations_with_the_same_key(client, db, tokens) -> None:  # noqa: ANN001
    world = await a_world(db, {"BOLT": 10})
    body = an_order_body(world["customer"])
    headers = auth(tokens["integration"]) | {"Idempotency-Key": "shop-42-order-1001"}
    responses = await asyncio.gather(*(client.post("/api/orders", json=body, headers=headers) for _ in range(100)))
    assert sorted({r.status_code for r in responses}) in ([200, 201], [201])
    assert [r.status_code for r in responses].count(201) == 1
    assert len({r.json()["id"] for r in responses}) == 1
    async with db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(orders))).scalar_one() == 1


async def test_a_replay_returns_the_same_order_marked_as_replayed(client, db, tokens) -> None:  # noqa: ANN001
    world = await a_world(db, {"BOLT": 10})
    headers = auth(tokens["office"]) | {"Idempotency-Key": "k-1"}
    first = await client.post("/api/orders", json=an_order_body(world["customer"]), headers=headers)
    again = await client.post("/api/orders", json=an_order_body(world["customer"]), headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]


async def test_the_same_key_with_a_different_body_is_a_conflict(client, db, tokens) -> None:  # noqa: ANN001
    world = await a_world(db, {"BOLT": 10})
    headers = auth(tokens["office"]) | {"Idempotency-Key": "k-2"}
    await client.post("/api/orders", json=an_order_body(world["customer"], [("BOLT", 1)]), headers=headers)
    response = await client.post("/api/orders", json=an_order_body(world["customer"], [("BOLT", 2)]), headers=headers)
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"


async def test_a_refused_creation_does_not_burn_the_key(client, db, tokens) -> None:  # noqa: ANN001
    world = await a_world(db, {"BOLT": 10})
    headers = auth(tokens["office"]) | {"Idempotency-Key": "k-3"}
    bad = await client.post("/api/orders", json=an_order_body(world["customer"], [("GHOST", 1)]), headers=headers)
    assert bad.status_code == 422
    good = await client.post("/api/orders", json=an_order_body(world["customer"], [("BOLT", 1)]), headers=headers)
    assert good.status_code == 201


async def test_keys_are_scoped_per_token(client, db, tokens) -> None:  # noqa: ANN001
    world = await a_world(db, {"BOLT": 10})
    body = an_order_body(world["customer"])
    a = await client.post("/api/orders", json=body, headers=auth(tokens["office"]) | {"Idempotency-Key": "same"})
    b = await client.post("/api/orders", json=body, headers=auth(tokens["integration"]) | {"Idempotency-Key": "same"})
    assert a.json()["id"] != b.json()["id"]
