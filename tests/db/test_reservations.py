"""Reservations never drive available stock below zero, even when confirmations race."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from server.db.tables import product_stock, reservations
from server.domain.refusals import Refused
from server.usecases import orders
from tests.builders import OFFICE, a_world, order_request
from sync.database import Database


async def _stock(db: Database, product_id: int) -> tuple[int, int]:
    async with db.read() as conn:
        row = (await conn.execute(select(product_stock).where(product_stock.c.product_id == product_id))).one()
    return row.on_hand, row.reserved


async def _drafts(db: Database, world: dict, n: int, qty: int) -> list[int]:
    return [
        (await orders.create_order(db, OFFICE, order_request(world["customer"], world["warehouse"], [("BOLT", qty)]))).order_id
        for _ in range(n)
    ]


async def _confirm(db: Database, order_id: int) -> str:
    try:
        await orders.confirm_order(db, OFFICE, order_id)
    except Refused as refusal:
        return refusal.code
    return "confirmed"


async def test_confirmation_reserves_and_cancellation_releases(db: Database) -> None:
    world = await a_world(db, {"BOLT": 5})
    (order_id,) = await _drafts(db, world, 1, 3)
    await orders.confirm_order(db, OFFICE, order_id)
    assert await _stock(db, world["BOLT"]) == (5, 3)
    await orders.cancel_order(db, OFFICE, order_id, "customer_request", "called to cancel")
    assert await _stock(db, world["BOLT"]) == (5, 0)
    async with db.read() as conn:
        assert (await conn.execute(select(reservations))).all() == []


async def test_two_confirmations_racing_for_the_last_units_reserve_once(db: Database) -> None:
    world = await a_world(db, {"BOLT": 5})
    first, second = await _drafts(db, world, 2, 5)
    # Two concurrent sessions (separate connections) confirm at once.
    outcomes = await asyncio.gather(_confirm(db, first), _confirm(db, second))
    assert sorted(outcomes) == ["confirmed", "insufficient_stock"]
    assert await _stock(db, world["BOLT"]) == (5, 5)


@pytest.mark.parametrize("racers", [12])
async def test_many_racing_confirmations_never_oversell(db: Database, racers: int) -> None:
    world = await a_world(db, {"BOLT": 10})
    drafts = await _drafts(db, world, racers, 3)
    outcomes = await asyncio.gather(*(_confirm(db, order_id) for order_id in drafts))
    assert outcomes.count("confirmed") == 3  # 3 x 3 = 9 of 10 units; a fourth would need 12
    assert outcomes.count("insufficient_stock") == racers - 3
    on_hand, reserved = await _stock(db, world["BOLT"])
    assert (on_hand, reserved) == (10, 9)
    async with db.read() as conn:
        held = (await conn.execute(select(reservations.c.quantity))).scalars().all()
    assert sum(held) == reserved


async def test_the_database_itself_refuses_a_reservation_above_on_hand(db: Database) -> None:
    world = await a_world(db, {"BOLT": 2})
    with pytest.raises(Exception, match="(?i)constraint|check"):
        async with db.write() as conn:
            await conn.execute(product_stock.update().values(reserved=3))
    assert await _stock(db, world["BOLT"]) == (2, 0)
