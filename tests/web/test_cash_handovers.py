"""Closing a cash handover from the routes and cash page: a CSRF-protected form with a note, recorded on
the timeline of the orders whose cash it accounted for, and only for the supervisor's own warehouse."""

from __future__ import annotations

import uuid

from sqlalchemy import insert, select, update

from server.clock import now
from server.db.tables import cash_handovers, order_events, payments
from sync.database import Database
from tests.web.world import WebWorld, signed_in_token

NOTE = "недостача 10 ₽, удержано из зарплаты"


async def _handover(db: Database, courier_id: int):  # noqa: ANN202
    async with db.read() as conn:
        return (await conn.execute(select(cash_handovers).where(cash_handovers.c.courier_id == courier_id))).one()


async def _claim_the_payments(db: Database, world: WebWorld) -> str:
    """The world's handover of courier A, with A's cash payment accounted for by it (as hand_over_cash does)."""
    handover = await _handover(db, world.courier_a)
    async with db.write() as conn:
        await conn.execute(update(payments).where(payments.c.courier_id == world.courier_a).values(handover_id=handover.id))
    return handover.id


async def _b_handover(db: Database, world: WebWorld) -> str:
    handover_id = str(uuid.uuid4())
    async with db.write() as conn:
        await conn.execute(insert(cash_handovers).values(
            id=handover_id, courier_id=world.courier_b, shift_day=world.day, currency="RUB", expected=0, counted=500, difference=500,
            counted_by="cashier SPB", status="open", captured_at=now(), recorded_at=now()))  # fmt: skip
    return handover_id


async def test_the_cash_page_lists_the_days_handovers_with_a_close_form(browser_for, db: Database, world: WebWorld) -> None:
    handover = await _handover(db, world.courier_a)
    page = (await (await browser_for("supervisor")).get(f"/web/routes/?day={world.day}")).text
    assert f'id="handover-{handover.id}"' in page
    assert f'action="/web/routes/handovers/{handover.id}/close"' in page and 'name="note" required' in page


async def test_closing_a_handover_records_the_note_and_an_event_on_its_orders(browser_for, db: Database, world: WebWorld) -> None:
    handover_id = await _claim_the_payments(db, world)
    client = await browser_for("supervisor")
    here = f"/web/routes/?day={world.day}"
    response = await client.post(f"/web/routes/handovers/{handover_id}/close", data={"csrf": await signed_in_token(client, here), "note": f"  {NOTE} ", "back": here})
    assert response.status_code == 303
    assert response.headers["location"] == f"{here}&done=closed#handover-{handover_id}"
    row = await _handover(db, world.courier_a)
    assert (row.status, row.closed_by, row.close_note) == ("closed", "user:supervisor", NOTE)
    async with db.read() as conn:
        events = (await conn.execute(select(order_events).where(order_events.c.type == "cash_handover_closed"))).all()
    assert [(e.order_id, e.actor_id) for e in events] == [(world.order_a, "user:supervisor")]
    assert events[0].data == {"handover_id": handover_id, "courier_id": world.courier_a, "currency": "RUB", "expected": 150_000,
                              "counted": 149_000, "difference": -1_000, "note": NOTE}  # fmt: skip
    page = (await client.get(response.headers["location"])).text
    assert "Сверка закрыта." in page and NOTE in page and f'action="/web/routes/handovers/{handover_id}/close"' not in page
    timeline = (await client.get(f"/web/orders/{world.order_a}")).text
    assert "сверка сдачи выручки закрыта" in timeline


async def test_a_close_without_the_csrf_token_is_refused(browser_for, db: Database, world: WebWorld) -> None:
    handover = await _handover(db, world.courier_a)
    client = await browser_for("supervisor")
    for token in ({}, {"csrf": "forged"}):
        response = await client.post(f"/web/routes/handovers/{handover.id}/close", data={"note": NOTE, **token})
        assert response.status_code == 403
    assert (await _handover(db, world.courier_a)).status == "open"


async def test_a_close_needs_a_note_and_happens_once(browser_for, db: Database, world: WebWorld) -> None:
    handover = await _handover(db, world.courier_a)
    client = await browser_for("supervisor")
    token = await signed_in_token(client)
    blank = await client.post(f"/web/routes/handovers/{handover.id}/close", data={"csrf": token, "note": "   "})
    assert blank.status_code == 422 and (await _handover(db, world.courier_a)).status == "open"
    assert (await client.post(f"/web/routes/handovers/{handover.id}/close", data={"csrf": token, "note": NOTE})).status_code == 303
    again = await client.post(f"/web/routes/handovers/{handover.id}/close", data={"csrf": token, "note": "ещё раз"})
    assert again.status_code == 422 and (await _handover(db, world.courier_a)).close_note == NOTE


async def test_a_supervisor_of_a_can_neither_see_nor_close_bs_handover(browser_for, db: Database, world: WebWorld) -> None:
    b_handover = await _b_handover(db, world)
    a = await browser_for("supervisor")
    assert f'id="handover-{b_handover}"' not in (await a.get(f"/web/routes/?day={world.day}")).text
    refused = await a.post(f"/web/routes/handovers/{b_handover}/close", data={"csrf": await signed_in_token(a), "note": NOTE})
    assert refused.status_code == 404 and (await _handover(db, world.courier_b)).status == "open"
    b = await browser_for("spb")
    assert f'id="handover-{b_handover}"' in (await b.get(f"/web/routes/?day={world.day}")).text
    closed = await b.post(f"/web/routes/handovers/{b_handover}/close", data={"csrf": await signed_in_token(b), "note": NOTE})
    assert closed.status_code == 303 and (await _handover(db, world.courier_b)).status == "closed"


async def test_the_office_sees_handovers_but_may_not_close_them(browser_for, db: Database, world: WebWorld) -> None:
    handover = await _handover(db, world.courier_a)
    office = await browser_for("office")
    page = (await office.get(f"/web/routes/?day={world.day}")).text
    assert f'id="handover-{handover.id}"' in page and "/close" not in page
    refused = await office.post(f"/web/routes/handovers/{handover.id}/close", data={"csrf": await signed_in_token(office), "note": NOTE})
    assert refused.status_code == 403 and (await _handover(db, world.courier_a)).status == "open"
