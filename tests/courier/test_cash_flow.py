"""Cash on delivery through the sync protocol: payments are facts posted to invoices; paying twice
or after a cancellation is reported, never overwritten; cash on hand has a limit; the handover at
the end of the shift accounts for every cash payment and keeps the difference to the kopeck."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from server.db.tables import cash_handovers, exceptions, invoices, orders, payments
from server.usecases.catalog import create_warehouse
from server.usecases.tokens import create_token
from tests.conftest import auth
from tests.courier.world import a_phone, a_route, a_world, deliver, pay


async def _kinds(db) -> list[str]:  # noqa: ANN001
    async with db.read() as conn:
        return sorted((await conn.execute(select(exceptions.c.kind).where(exceptions.c.status == "open"))).scalars())


async def _invoice(db, order_id: int):  # noqa: ANN001, ANN202
    async with db.read() as conn:
        return (await conn.execute(select(invoices).where(invoices.c.order_id == order_id))).one()


async def test_cash_and_card_at_the_door_settle_the_invoice_and_close_the_order(client, db, tmp_path) -> None:  # noqa: ANN001
    world = await a_world(db)
    route = await a_route(db, world, world.couriers[0], [("cash", [("BOLT", 3)], 1), ("card", [("DRILL", 1), ("NUT", 7)], 1)])
    cash_stop, card_stop = world.on(route)
    phone = await a_phone(db, client, tmp_path, world.couriers[0])
    await phone.sync()
    pay(phone, cash_stop)
    deliver(phone, cash_stop)
    deliver(phone, card_stop)
    pay(phone, card_stop, method="card")
    await phone.sync()
    assert phone.rejected() == []
    async with db.read() as conn:
        statuses = dict((await conn.execute(select(orders.c.id, orders.c.status))).all())
        rows = (await conn.execute(select(payments).order_by(payments.c.seq))).all()
    assert statuses == {cash_stop.order_id: "closed", card_stop.order_id: "closed"}
    cash_row, card_row = rows
    assert (cash_row.method, cash_row.amount, cash_row.tendered, cash_row.change_given) == ("cash", 37_035, 100_000, 62_965)
    assert (card_row.method, card_row.amount, card_row.terminal_ref, card_row.source) == ("card", 499_999 + 7 * 333, f"T-{card_stop.order_id}", "cod")
    assert all(r.invoice_id is not None and r.courier_id == world.couriers[0] for r in rows)
    assert (await _invoice(db, cash_stop.order_id)).status == "paid"
    assert [s["amount_due"] for s in phone.replica()[("route", str(route))]["stops"]] == [0, 0]


async def test_payments_that_do_not_add_up_are_rejected_with_their_rule(client, db, tmp_path) -> None:  # noqa: ANN001
    world = await a_world(db)
    route = await a_route(db, world, world.couriers[0], [("cash", [("BOLT", 1)], 1)])
    (stop,) = world.on(route)
    phone = await a_phone(db, client, tmp_path, world.couriers[0])
    pay(phone, stop, tendered=10_000, change_given=0)
    pay(phone, stop, tendered=20_000, change_given=1)
    pay(phone, stop, method="card", terminal_ref="")
    pay(phone, stop, method="transfer")
    pay(phone, stop, method="card", currency="EUR")
    pay(phone, stop, amount=-100)
    pay(phone, stop, amount=123.45)
    pay(phone, stop, amount="12345")
    await phone.sync()
    assert [code for _, _, code, _ in phone.rejected()] == ["tendered_too_little", "change_mismatch", "terminal_ref_required",
                                                             "payment_method_invalid", "currency_mismatch", "invalid_payload",
                                                             "invalid_payload", "invalid_payload"]  # fmt: skip
    async with db.read() as conn:
        assert (await conn.execute(select(payments))).all() == []
    assert phone.pending_count() == 0  # rejected ops still advanced: nothing blocks the phone


async def test_a_second_payment_for_a_paid_order_is_kept_and_reported(client, db, tmp_path) -> None:  # noqa: ANN001
    world = await a_world(db)
    route = await a_route(db, world, world.couriers[0], [("cash", [("BOLT", 1)], 1), ("prepaid", [("NUT", 2)], 1)])
    cod, prepaid = world.on(route)
    phone = await a_phone(db, client, tmp_path, world.couriers[0])
    pay(phone, cod, amount=5_000)
    pay(phone, cod, amount=cod.total - 5_000)  # a second part-payment: fine
    pay(phone, cod)  # and again in full: paid twice
    pay(phone, prepaid, method="card")  # paid online already
    await phone.sync()
    assert phone.rejected() == []
    assert await _kinds(db) == ["double_payment", "double_payment"]
    invoice = await _invoice(db, cod.order_id)
    assert (invoice.paid, invoice.total) == (2 * cod.total, cod.total)
    async with db.read() as conn:
        assert sum((await conn.execute(select(payments.c.amount).where(payments.c.order_id == cod.order_id))).scalars()) == 2 * cod.total


async def test_cash_over_the_couriers_limit_is_reported_once_and_cleared_by_the_handover(client, db, tmp_path) -> None:  # noqa: ANN001
    world = await a_world(db, cash_limit=30_000)
    route = await a_route(db, world, world.couriers[0], [("cash", [("BOLT", 1)], 1), ("cash", [("BOLT", 2)], 1), ("cash", [("NUT", 1)], 1)])
    a, b, c = world.on(route)
    phone = await a_phone(db, client, tmp_path, world.couriers[0])
    pay(phone, a)
    await phone.sync()
    assert await _kinds(db) == []
    pay(phone, b)
    await phone.sync()
    pay(phone, c)
    await phone.sync()
    assert await _kinds(db) == ["cash_limit_exceeded"]  # once while it is open
    phone.record("HandOverCash", {"handover_id": str(uuid.uuid4()), "courier_id": world.couriers[0], "counted": a.total + b.total + c.total,
                                  "currency": "RUB", "cashier": "Кассир Петрова"})  # fmt: skip
    await phone.sync()
    assert phone.rejected() == [] and await _kinds(db) == []


async def test_the_handover_claims_every_cash_payment_and_keeps_the_difference(client, db, tmp_path, tokens) -> None:  # noqa: ANN001
    world = await a_world(db, couriers=2)
    route = await a_route(db, world, world.couriers[0], [("cash", [("BOLT", 1)], 1), ("card", [("NUT", 1)], 1), ("cash", [("DRILL", 1)], 1)])
    a, card, b = world.on(route)
    phone = await a_phone(db, client, tmp_path, world.couriers[0])
    for stop, method in ((a, "cash"), (card, "card"), (b, "cash")):
        pay(phone, stop, method=method)
        deliver(phone, stop)
    handover = str(uuid.uuid4())
    phone.record("HandOverCash", {"handover_id": str(uuid.uuid4()), "courier_id": world.couriers[1], "counted": 0, "currency": "RUB",
                                  "cashier": "Кассир"})  # fmt: skip
    phone.record("HandOverCash", {"handover_id": handover, "courier_id": world.couriers[0], "counted": a.total + b.total - 50,
                                  "currency": "RUB", "cashier": "Кассир Петрова"})  # fmt: skip
    await phone.sync()
    assert [code for _, _, code, _ in phone.rejected()] == ["handover_other_courier"]
    async with db.read() as conn:
        row = (await conn.execute(select(cash_handovers))).one()
        claimed = sorted((await conn.execute(select(payments.c.order_id).where(payments.c.handover_id == handover))).scalars())
    assert (row.expected, row.counted, row.difference, row.status, row.counted_by) == (a.total + b.total, a.total + b.total - 50, -50, "open",
                                                                                        "Кассир Петрова")  # fmt: skip
    assert claimed == sorted([a.order_id, b.order_id])
    listed = (await client.get("/api/cash/handovers", headers=auth(tokens["supervisor"]))).json()
    assert [(h["id"], h["payments"], h["difference"]) for h in listed] == [(handover, 2, -50)]
    refused = await client.post(f"/api/cash/handovers/{handover}/close", json={"note": " "}, headers=auth(tokens["supervisor"]))
    assert refused.status_code == 422 and refused.json()["code"] == "close_note_required"
    closed = await client.post(f"/api/cash/handovers/{handover}/close", json={"note": "50 коп. недостача, удержано"},
                               headers=auth(tokens["supervisor"]))  # fmt: skip
    assert closed.status_code == 200
    again = await client.post(f"/api/cash/handovers/{handover}/close", json={"note": "ещё раз"}, headers=auth(tokens["supervisor"]))
    assert again.json()["code"] == "handover_closed"
    forbidden = await client.post(f"/api/cash/handovers/{handover}/close", json={"note": "x"}, headers=auth(tokens["office"]))
    assert forbidden.status_code == 403


async def test_the_office_records_a_handover_for_a_courier_without_a_phone(client, db, tmp_path, tokens) -> None:  # noqa: ANN001
    world = await a_world(db)
    route = await a_route(db, world, world.couriers[0], [("cash", [("BOLT", 1)], 1), ("cash", [("NUT", 2)], 1)])
    a, b = world.on(route)
    phone = await a_phone(db, client, tmp_path, world.couriers[0])
    pay(phone, a)
    pay(phone, b)
    await phone.sync()
    body = {"handover_id": str(uuid.uuid4()), "courier_id": world.couriers[0], "counted": a.total + b.total + 100, "currency": "RUB",
            "cashier": "Кассир Петрова"}  # fmt: skip
    created = await client.post("/api/cash/handovers", json=body, headers=auth(tokens["office"]))
    assert created.status_code == 201, created.text
    assert created.json() | {"id": None} == {"id": None, "courier_id": world.couriers[0], "currency": "RUB", "expected": a.total + b.total,
                                             "counted": a.total + b.total + 100, "difference": 100, "payments": 2}  # fmt: skip
    replay = await client.post("/api/cash/handovers", json=body, headers=auth(tokens["office"]))
    assert replay.status_code == 200 and replay.json()["payments"] == 2
    second = await client.post("/api/cash/handovers", json=body | {"handover_id": str(uuid.uuid4()), "counted": 0}, headers=auth(tokens["office"]))
    assert second.json()["expected"] == 0  # nothing left unclaimed
    on_hand = await client.get(f"/api/cash/couriers/{world.couriers[0]}/on-hand", headers=auth(tokens["office"]))
    assert on_hand.json() == {}
    for bad in ({"counted": -1}, {"counted": 10.5}, {"currency": "rub"}):
        answer = await client.post("/api/cash/handovers", json=body | bad | {"handover_id": str(uuid.uuid4())}, headers=auth(tokens["office"]))
        assert (answer.status_code, answer.json()["code"]) == (400, "invalid_body")


async def test_courier_cash_per_shift_day_adds_up_to_the_kopeck(client, db, tmp_path, tokens) -> None:  # noqa: ANN001
    world = await a_world(db)
    route = await a_route(db, world, world.couriers[0], [("cash", [("BOLT", 1)], 1), ("card", [("NUT", 5)], 1), ("cash", [("DRILL", 1)], 1),
                                                         ("prepaid", [("NUT", 1)], 1)])  # fmt: skip
    a, card, b, _prepaid = world.on(route)
    phone = await a_phone(db, client, tmp_path, world.couriers[0])
    pay(phone, a)
    deliver(phone, a)
    pay(phone, card, method="card")
    deliver(phone, card)
    deliver(phone, b, "failed", failure_reason="no_money")
    phone.record("HandOverCash", {"handover_id": str(uuid.uuid4()), "courier_id": world.couriers[0], "counted": a.total - 1,
                                  "currency": "RUB", "cashier": "Кассир"})  # fmt: skip
    await phone.sync()
    (row,) = (await client.get("/api/cash/couriers", headers=auth(tokens["supervisor"]))).json()
    assert {k: row[k] for k in ("cod_planned", "cod_expected", "collected_cash", "collected_card", "collected", "handed_over",
                                "handover_expected", "handover_difference", "cash_on_hand")} == {
        "cod_planned": a.total + card.total + b.total, "cod_expected": a.total + card.total, "collected_cash": a.total,
        "collected_card": card.total, "collected": a.total + card.total, "handed_over": a.total - 1, "handover_expected": a.total,
        "handover_difference": -1, "cash_on_hand": 0}  # fmt: skip


async def test_a_supervisor_token_bound_to_another_warehouse_cannot_close_the_handover(client, db, tokens) -> None:  # noqa: ANN001
    world = await a_world(db)
    created = await client.post("/api/cash/handovers", json={"courier_id": world.couriers[0], "counted": 0, "currency": "RUB",
                                                             "cashier": "Кассир"}, headers=auth(tokens["office"]))  # fmt: skip
    handover = created.json()["id"]
    elsewhere, _ = await create_token(db, "supervisor", "other", await create_warehouse(db, f"W{uuid.uuid4().hex[:5]}", "Склад СПб"))
    here, _ = await create_token(db, "supervisor", "own", world.warehouse)
    refused = await client.post(f"/api/cash/handovers/{handover}/close", json={"note": "сверено"}, headers=auth(elsewhere))
    assert (refused.status_code, refused.json()["code"]) == (404, "handover_not_found")
    closed = await client.post(f"/api/cash/handovers/{handover}/close", json={"note": "сверено"}, headers=auth(here))
    assert closed.status_code == 200
