"""Resolving exceptions from the queue: each decision updates the exception and lands on the order's timeline."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select, update

from server.clock import now
from server.db.tables import exceptions, order_events, orders
from server.domain.refusals import Refused
from server.web.resolutions import decide
from sync.database import Database
from tests.web.world import WebWorld, signed_in_token


async def _exception(db: Database, exception_id: int):  # noqa: ANN202
    async with db.read() as conn:
        return (await conn.execute(select(exceptions).where(exceptions.c.id == exception_id))).one()


async def _events(db: Database, order_id: int) -> list:
    async with db.read() as conn:
        return (await conn.execute(select(order_events).where(order_events.c.order_id == order_id).order_by(order_events.c.id))).all()


@pytest.mark.parametrize("action", ["accept", "repick", "write_off"])
async def test_a_resolution_closes_the_exception_and_is_recorded_on_the_order(browser_for, db: Database, world: WebWorld, action: str) -> None:
    client = await browser_for("supervisor")
    token = await signed_in_token(client, "/web/exceptions/")
    response = await client.post(
        f"/web/exceptions/{world.exc_a}/resolve",
        data={"csrf": token, "action": action, "note": "пересчитали ячейку", "back": "/web/exceptions/?status=open"},
    )
    assert response.status_code == 303 and response.headers["location"] == "/web/exceptions/?status=open&done=resolved"
    row = await _exception(db, world.exc_a)
    assert (row.status, row.resolution, row.resolution_note, row.resolved_by) == ("resolved", action, "пересчитали ячейку", "user:supervisor")
    last = (await _events(db, world.order_a))[-1]
    assert last.type == "exception_resolved" and last.actor_id == "user:supervisor"
    assert last.data == {"exception_id": world.exc_a, "kind": "over_pick", "action": action, "note": "пересчитали ячейку"}


async def test_a_note_keeps_the_exception_open_and_is_recorded(browser_for, db: Database, world: WebWorld) -> None:
    client = await browser_for("supervisor")
    token = await signed_in_token(client)
    for note in ("звонили на склад", "ждём пересчёт"):
        await client.post(f"/web/exceptions/{world.exc_a}/resolve", data={"csrf": token, "action": "note", "note": note})
    row = await _exception(db, world.exc_a)
    assert row.status == "open" and row.resolution_note == "user:supervisor: звонили на склад\nuser:supervisor: ждём пересчёт"
    assert [e.type for e in (await _events(db, world.order_a))[-2:]] == ["exception_noted", "exception_noted"]


async def test_a_resolved_exception_cannot_be_resolved_again(browser_for, db: Database, world: WebWorld) -> None:
    client = await browser_for("supervisor")
    token = await signed_in_token(client)
    await client.post(f"/web/exceptions/{world.exc_a}/resolve", data={"csrf": token, "action": "accept"})
    again = await client.post(f"/web/exceptions/{world.exc_a}/resolve", data={"csrf": token, "action": "write_off", "note": "x"})
    assert again.status_code == 422
    assert (await _exception(db, world.exc_a)).resolution == "accept"


async def test_an_exception_without_an_order_is_resolved_without_a_timeline(browser_for, db: Database, world: WebWorld) -> None:
    client = await browser_for("spb")
    response = await client.post(f"/web/exceptions/{world.exc_device_b}/resolve", data={"csrf": await signed_in_token(client), "action": "accept"})
    assert response.status_code == 303
    assert (await _exception(db, world.exc_device_b)).status == "resolved"


async def test_accepting_a_check_discrepancy_is_the_check_override(browser_for, db: Database, world: WebWorld) -> None:
    at = now()
    async with db.write() as conn:
        await conn.execute(update(orders).where(orders.c.id == world.xss_order).values(status="picked"))
        exception_id = (await conn.execute(insert(exceptions).values(
            kind="check_discrepancy", status="open", warehouse_id=world.wh_a, order_id=world.xss_order, device_id=world.device_a,
            seq=9, detail={"lines": []}, opened_at=at).returning(exceptions.c.id))).scalar_one()  # fmt: skip
    client = await browser_for("supervisor")
    token = await signed_in_token(client)
    refused = await client.post(f"/web/exceptions/{exception_id}/resolve", data={"csrf": token, "action": "accept"})
    assert refused.status_code == 422  # an override needs its reason
    await client.post(f"/web/exceptions/{exception_id}/resolve", data={"csrf": token, "action": "accept", "note": "пересчитал сам"})
    async with db.read() as conn:
        assert (await conn.execute(select(orders.c.status).where(orders.c.id == world.xss_order))).scalar_one() == "checked"
    row = await _exception(db, exception_id)
    assert (row.status, row.resolution, row.resolution_note) == ("resolved", "override", "пересчитал сам")
    assert (await _events(db, world.xss_order))[-1].data["override"] == "пересчитал сам"


def test_the_resolution_rules() -> None:
    assert decide("open", "accept", "").status == "resolved"
    assert decide("resolved", "note", "later").status == "resolved"
    for status, action, note, code in (
        ("open", "delete", "", "action_invalid"),
        ("open", "note", "  ", "note_required"),
        ("open", "write_off", "", "note_required"),
        ("resolved", "repick", "x", "exception_resolved"),
        ("open", "note", "x" * 2001, "note_too_long"),
    ):
        with pytest.raises(Refused) as refused:
            decide(status, action, note)
        assert refused.value.code == code
