"""Two clocks (DESIGN principle 9): a phone whose clock is a day off is flagged, and neither the order
of events (server time, commit order) nor the day its cash and deliveries count for moves with it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from server.clock import now
from server.db.tables import SYNC, cash_handovers, deliveries, exceptions, order_events, payments
from sync.client import HttpTransport, SyncClient
from tests.conftest import auth
from tests.courier.world import a_route, a_world, deliver, pay
from tests.sync.fixtures import a_device

DAY = timedelta(days=1)


def off_by(offset: timedelta):  # noqa: ANN201
    """A phone (client and transport) whose clock reads `offset` away from the true time."""

    def clock() -> str:
        return (datetime.now(UTC) + offset).isoformat()

    class Transport(HttpTransport):
        async def push(self, body: dict):  # noqa: ANN202
            return await super().push(body | {"sent_at": clock()})

    class Phone(SyncClient):
        def record(self, op_type: str, payload: dict, *, captured_at: str | None = None, blobs=()) -> int:  # noqa: ANN001
            return super().record(op_type, payload, captured_at=captured_at or clock(), blobs=blobs)

    return Phone, Transport


async def a_skewed_phone(db, client, tmp_path: Path, courier: int, offset: timedelta, name: str) -> SyncClient:  # noqa: ANN001
    phone, transport = off_by(offset)
    device, token = await a_device(db, "courier", {"courier_id": courier}, name)
    return phone(tmp_path / f"{name}.db", device, transport(client, token))


async def test_a_day_off_clock_is_flagged_and_changes_neither_order_nor_shift_day(client, db, tmp_path, tokens) -> None:  # noqa: ANN001
    world = await a_world(db, couriers=2)
    ahead_route = await a_route(db, world, world.couriers[0], [("cash", [("BOLT", 1)], 1)])
    behind_route = await a_route(db, world, world.couriers[1], [("cash", [("DRILL", 1)], 1)])
    (a,), (b,) = world.on(ahead_route), world.on(behind_route)
    ahead = await a_skewed_phone(db, client, tmp_path, world.couriers[0], +DAY, "ahead")
    behind = await a_skewed_phone(db, client, tmp_path, world.couriers[1], -DAY, "behind")

    # The phone a day ahead works first, the one a day behind second: their own clocks say the opposite.
    pay(ahead, a), deliver(ahead, a)
    ahead.record("HandOverCash", {"handover_id": str(uuid.uuid4()), "courier_id": world.couriers[0], "counted": a.total,
                                  "currency": "RUB", "cashier": "Кассир"})  # fmt: skip
    await ahead.sync()
    pay(behind, b), deliver(behind, b)
    await behind.sync()
    assert ahead.rejected() == [] and behind.rejected() == []  # facts are never refused for a clock

    async with db.read() as conn:
        flagged = {r.device_id: r.detail for r in await conn.execute(
            select(exceptions.c.device_id, exceptions.c.detail).where(exceptions.c.kind == "clock_skew", exceptions.c.status == "open"))}  # fmt: skip
        logged = {r.device_id: r.captured_at for r in await conn.execute(select(SYNC.op_log.c.device_id, SYNC.op_log.c.captured_at))}
        events = (await conn.execute(select(order_events.c.order_id, order_events.c.recorded_at, order_events.c.id)
                                     .where(order_events.c.actor_kind == "device").order_by(order_events.c.id))).all()  # fmt: skip
        versions = {r.scope: r.version for r in await conn.execute(select(SYNC.changes.c.scope, SYNC.changes.c.version).order_by(SYNC.changes.c.version))}
        paid = {r.order_id: r.captured_at for r in await conn.execute(select(payments.c.order_id, payments.c.captured_at))}
        delivered = {r.order_id: r.captured_at for r in await conn.execute(select(deliveries.c.order_id, deliveries.c.captured_at))}
        (handover,) = (await conn.execute(select(cash_handovers.c.shift_day, cash_handovers.c.expected))).all()

    # Flagged: one open clock_skew exception per phone, with the offset measured from its clock.
    assert set(flagged) == {ahead.device_id, behind.device_id}
    assert abs(flagged[ahead.device_id]["skew_ms"] - 86_400_000) < 60_000
    assert abs(flagged[behind.device_id]["skew_ms"] + 86_400_000) < 60_000
    # The device's own time is kept as data in the op log, as the device said it.
    assert logged[ahead.device_id] - logged[behind.device_id] > timedelta(hours=47)

    # Order: server time and commit order, whatever the devices' clocks say.
    ahead_events = [e for e in events if e.order_id == a.order_id]
    behind_events = [e for e in events if e.order_id == b.order_id]
    assert ahead_events and behind_events
    assert max(e.recorded_at for e in ahead_events) <= min(e.recorded_at for e in behind_events)
    assert max(e.id for e in ahead_events) < min(e.id for e in behind_events)
    assert versions[f"courier:{world.couriers[0]}"] < versions[f"courier:{world.couriers[1]}"]

    # Reconciliation: the cash and the deliveries count for today, the shift the couriers worked.
    today = now().date()
    for order_id in (a.order_id, b.order_id):
        assert abs(paid[order_id] - now()) < timedelta(minutes=5) and abs(delivered[order_id] - now()) < timedelta(minutes=5)
    assert handover == (today, a.total)
    rows = {r["courier_id"]: r for r in (await client.get("/api/cash/couriers", headers=auth(tokens["supervisor"]))).json()}
    assert {c: (r["cod_planned"], r["collected_cash"], r["handed_over"], r["cash_on_hand"]) for c, r in rows.items()} == {
        world.couriers[0]: (a.total, a.total, a.total, 0), world.couriers[1]: (b.total, b.total, 0, b.total)}  # fmt: skip
    for day in (today - DAY, today + DAY):  # nothing leaks onto the days the clocks showed
        assert (await client.get(f"/api/cash/couriers?day={day.isoformat()}", headers=auth(tokens["supervisor"]))).json() == []


async def test_a_clock_within_the_tolerance_keeps_its_own_time(client, db, tmp_path) -> None:  # noqa: ANN001
    world = await a_world(db)
    route = await a_route(db, world, world.couriers[0], [("cash", [("NUT", 1)], 1)])
    (stop,) = world.on(route)
    phone = await a_skewed_phone(db, client, tmp_path, world.couriers[0], timedelta(minutes=2), "close")
    captured = (datetime.now(UTC) - timedelta(minutes=30)).replace(microsecond=0)
    phone.record("TakePayment", {"payment_id": str(uuid.uuid4()), "order_id": stop.order_id, "method": "card", "amount": stop.total,
                                 "currency": "RUB", "receipt_no": "R-1", "terminal_ref": "T-1"}, captured_at=captured.isoformat())  # fmt: skip
    await phone.sync()
    async with db.read() as conn:
        (at,) = (await conn.execute(select(payments.c.captured_at))).scalars().all()
        skewed = (await conn.execute(select(exceptions.c.id).where(exceptions.c.kind == "clock_skew"))).all()
    assert at == captured and skewed == []  # two minutes off is not a skew: the device's time stands


