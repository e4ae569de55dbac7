"""A shop's order is stored first, then becomes an order once; a failure waits in the queue with its reason."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import func, select

from server.db.tables import (
    customer_aliases,
    customers,
    intake_payloads,
    order_events,
    order_lines,
    orders,
)
from tests.conftest import auth, count_rows
from tests.intake.world import a_shop_order, an_intake_world, case_gtin, ean


async def _count(db, table) -> int:  # noqa: ANN001
    async with db.read() as conn:
        return (await conn.execute(select(func.count()).select_from(table))).scalar_one()


async def test_a_shop_order_is_stored_then_becomes_a_draft_order(client, db, tokens) -> None:  # noqa: ANN001
    world = await an_intake_world(db)
    answer = await client.post("/api/intake/orders", json=a_shop_order(), headers=auth(tokens["integration"]))
    assert answer.status_code == 202, answer.text
    intake = answer.json()
    assert intake["status"] == "done", intake["reason"]
    assert intake["source"] == "test-integration" and intake["external_id"] == "web-1001"
    assert [(line["status"], line["reason"], line["score"]) for line in intake["lines"]] == [
        ("matched", "sku", 100), ("matched", "fuzzy", 100)
    ]  # fmt: skip
    order = (await client.get(f"/api/orders/{intake['order_id']}", headers=auth(tokens["office"]))).json()
    assert order["status"] == "draft" and order["source"] == "web" and order["external_ref"] == "web-1001"
    assert [(line["sku"], line["quantity"], line["unit_price"]) for line in order["lines"]] == [
        ("BOLT-8-40-ZN", 10, 1200), ("NUT-8-ZN", 10, 300)
    ]  # fmt: skip  (the shop's price where it gave one, else the catalog's)
    assert order["delivery_address"] == "Москва, ул. Ленина, 1" and order["notes"] == "позвонить за час"
    async with db.read() as conn:
        created = (await conn.execute(select(order_events.c.data).where(order_events.c.type == "order_created"))).scalar_one()
        customer = (await conn.execute(select(customers).where(customers.c.id == order["customer_id"]))).one()
    assert created["intake_id"] == intake["id"]
    assert (customer.kind, customer.name, customer.phone) == ("person", "Анна Смирнова", "+7 915 000-11-22")
    assert order["customer_id"] != world["customer"]


async def test_the_same_external_id_again_answers_the_same_intake_and_order(client, db, tokens) -> None:  # noqa: ANN001
    await an_intake_world(db)
    headers = auth(tokens["integration"]) | {"X-Source": "shop.example"}
    first = await client.post("/api/intake/orders", json=a_shop_order(), headers=headers)
    # A resend may reorder keys and spacing: it is the same order.
    body = json.dumps(dict(reversed(list(a_shop_order().items()))), ensure_ascii=False, indent=2)
    again = await client.post("/api/intake/orders", content=body.encode(), headers=headers | {"Content-Type": "application/json"})
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.headers["idempotent-replayed"] == "true"
    assert (again.json()["id"], again.json()["order_id"]) == (first.json()["id"], first.json()["order_id"])
    assert await _count(db, orders) == 1 and await _count(db, intake_payloads) == 1


async def test_other_content_under_a_used_external_id_is_a_conflict(client, db, tokens) -> None:  # noqa: ANN001
    await an_intake_world(db)
    headers = auth(tokens["integration"])
    first = await client.post("/api/intake/orders", json=a_shop_order(), headers=headers)
    changed = await client.post("/api/intake/orders", json=a_shop_order(notes="другое"), headers=headers)
    assert changed.status_code == 409 and changed.json()["code"] == "external_id_reused"
    assert changed.json()["intake_id"] == first.json()["id"]
    # Another shop may use the same id: the key is (source, external_id).
    other = await client.post("/api/intake/orders", json=a_shop_order(), headers=headers | {"X-Source": "other-shop"})
    assert other.status_code == 202 and other.json()["id"] != first.json()["id"]


async def test_concurrent_deliveries_of_one_order_make_one_order(client, db, tokens) -> None:  # noqa: ANN001
    await an_intake_world(db)
    headers = auth(tokens["integration"])
    answers = await asyncio.gather(*(client.post("/api/intake/orders", json=a_shop_order(), headers=headers) for _ in range(12)))
    assert sorted({a.status_code for a in answers}) == [200, 202]
    assert [a.status_code for a in answers].count(202) == 1
    assert len({a.json()["order_id"] for a in answers}) == 1
    assert await _count(db, orders) == 1


async def test_an_existing_customer_is_found_by_inn_phone_or_email(client, db, tokens) -> None:  # noqa: ANN001
    world = await an_intake_world(db)
    headers = auth(tokens["integration"])
    ways = [{"name": "Крепёж", "inn": "7707083893"}, {"name": "x", "phone": "8 (495) 1234567"}, {"email": "ORDERS@krepezh.example"}]
    for n, customer in enumerate(ways):
        answer = await client.post("/api/intake/orders", json=a_shop_order(f"web-{n}", customer=customer), headers=headers)
        assert answer.json()["customer_id"] == world["customer"], customer
    assert await _count(db, customers) == 1


async def test_an_unknown_customer_that_cannot_be_created_waits_failed_and_a_retry_finishes_it(client, db, tokens) -> None:  # noqa: ANN001
    await an_intake_world(db)
    body = a_shop_order(customer={"name": "Без телефона", "email": "nobody@example.com"})
    answer = await client.post("/api/intake/orders", json=body, headers=auth(tokens["integration"]))
    assert answer.status_code == 202
    intake = answer.json()
    assert intake["status"] == "failed" and intake["reason"].startswith("customer_unknown:")
    assert intake["order_id"] is None and await _count(db, orders) == 0
    queue = (await client.get("/api/intake?status=failed", headers=auth(tokens["office"]))).json()
    assert [i["id"] for i in queue["items"]] == [intake["id"]]
    # The office creates the customer; a retry now finds it by email and makes the order.
    await client.post(
        "/api/customers", json={"kind": "person", "name": "Без телефона", "phone": "+79160000000", "email": "nobody@example.com"},
        headers=auth(tokens["office"]),
    )  # fmt: skip
    retried = await client.post(f"/api/intake/{intake['id']}/retry", headers=auth(tokens["office"]))
    assert retried.status_code == 200 and retried.json()["status"] == "done" and retried.json()["attempts"] == 2
    assert await _count(db, orders) == 1
    again = await client.post(f"/api/intake/{intake['id']}/retry", headers=auth(tokens["office"]))
    assert again.json()["order_id"] == retried.json()["order_id"] and await _count(db, orders) == 1


async def test_invalid_quantities_fail_the_payload_with_a_reason_per_line(client, db, tokens) -> None:  # noqa: ANN001
    await an_intake_world(db)
    lines = [{"sku": "BOLT-8-40-ZN", "quantity": "десять"}, {"sku": "NUT-8-ZN", "quantity": 2.5},
             {"sku": "WASHER-8-ZN", "quantity": 0}, {"quantity": 3}, {"sku": "FOAM-750", "quantity": "4"}]  # fmt: skip
    answer = await client.post("/api/intake/orders", json=a_shop_order(lines=lines), headers=auth(tokens["integration"]))
    intake = answer.json()
    assert answer.status_code == 202 and intake["status"] == "failed" and intake["reason"].startswith("invalid_lines: 4 of 5")
    assert [(line["line_no"], line["status"], line["problem"]) for line in intake["lines"]] == [
        (1, "invalid", "quantity 'десять' is not a whole number"),
        (2, "invalid", "quantity 2.5 is not a whole number"),
        (3, "invalid", "quantity 0 must be positive"),
        (4, "invalid", "the line has no sku, barcode or text"),
        (5, "matched", None),
    ]
    assert await _count(db, orders) == 0


async def test_a_malformed_body_is_stored_and_failed_not_dropped(client, db, tokens) -> None:  # noqa: ANN001
    await an_intake_world(db)
    headers = auth(tokens["integration"]) | {"Content-Type": "application/json"}
    broken = await client.post("/api/intake/orders", content=b'{"external_id": "web-9", "lines": [', headers=headers)
    assert broken.status_code == 422 and broken.json()["code"] == "invalid_payload"
    keyed = await client.post("/api/intake/orders", json={"external_id": "web-10", "lines": "many"}, headers=headers)
    assert keyed.status_code == 202 and keyed.json()["status"] == "failed"
    assert keyed.json()["reason"].startswith("invalid_payload: the order is malformed")
    raw = await client.get(f"/api/intake/{broken.json()['intake_id']}/raw", headers=auth(tokens["office"]))
    assert raw.content == b'{"external_id": "web-9", "lines": ['
    assert (await count_rows(db, "intake_payloads", "orders")) == {"intake_payloads": 2, "orders": 0}


async def test_barcodes_match_exactly_and_a_case_barcode_orders_its_units(client, db, tokens) -> None:  # noqa: ANN001
    await an_intake_world(db)
    lines = [{"barcode": ean(4), "quantity": 5}, {"barcode": case_gtin(ean(1)), "quantity": 2}]
    intake = (await client.post("/api/intake/orders", json=a_shop_order(lines=lines), headers=auth(tokens["integration"]))).json()
    assert [(line["reason"], line["quantity"], line["product"]["sku"]) for line in intake["lines"]] == [
        ("barcode", 5, "NUT-8-ZN"), ("barcode", 24, "BOLT-8-40-ZN")
    ]  # fmt: skip
    assert intake["status"] == "done"


async def test_an_unsure_line_waits_for_review_and_the_choice_is_remembered_for_the_customer(client, db, tokens) -> None:  # noqa: ANN001
    world = await an_intake_world(db)
    customer = {"name": "Крепёж", "inn": "7707083893"}
    lines = [{"text": "болт м8х40", "quantity": 100}, {"sku": "NUT-8-ZN", "quantity": 100}]
    first = await client.post("/api/intake/orders", json=a_shop_order("web-1", lines=lines, customer=customer), headers=auth(tokens["integration"]))
    intake = first.json()
    # Zinc or stainless? Both bolts fit "болт м8х40" equally: a person decides, and no order exists yet.
    assert intake["status"] == "review" and intake["reason"] == "1 of 2 lines wait for review" and intake["order_id"] is None
    line = intake["lines"][0]
    assert (line["status"], line["reason"], line["product"]) == ("review", "fuzzy", None)
    assert {c["sku"] for c in line["candidates"][:2]} == {"BOLT-8-40-ZN", "BOLT-8-40-A2"}
    assert await _count(db, orders) == 0
    office = auth(tokens["office"])
    assert [i["id"] for i in (await client.get("/api/intake?status=review", headers=office)).json()["items"]] == [intake["id"]]

    chosen = await client.post(f"/api/intake/{intake['id']}/lines/1/resolve", json={"product_id": world["BOLT-8-40-A2"]}, headers=office)
    assert chosen.status_code == 200 and chosen.json()["status"] == "done"
    assert chosen.json()["lines"][0]["status"] == "resolved"
    async with db.read() as conn:
        skus = (await conn.execute(select(order_lines.c.sku).where(order_lines.c.order_id == chosen.json()["order_id"]))).scalars().all()
        aliases = (await conn.execute(select(customer_aliases.c.alias, customer_aliases.c.product_id))).all()
    assert skus == ["BOLT-8-40-A2", "NUT-8-ZN"]
    assert aliases == [("бoлt 8x40", world["BOLT-8-40-A2"])]
    # Next time this customer writes it the same way (even in Latin letters), the alias answers.
    body = a_shop_order("web-2", lines=[{"text": "БОЛТ M8x40", "quantity": 5}], customer=customer)
    again = await client.post("/api/intake/orders", json=body, headers=auth(tokens["integration"]))
    assert again.json()["status"] == "done"
    assert (again.json()["lines"][0]["reason"], again.json()["lines"][0]["product"]["sku"]) == ("alias", "BOLT-8-40-A2")
    late = await client.post(f"/api/intake/{intake['id']}/lines/1/resolve", json={"product_id": world["BOLT-8-40-ZN"]}, headers=office)
    assert late.status_code == 409 and late.json()["code"] == "intake_done"


async def test_a_line_the_catalog_does_not_hold_can_be_dropped(client, db, tokens) -> None:  # noqa: ANN001
    await an_intake_world(db)
    lines = [{"text": "Анкер химический 300 мл", "quantity": 2}, {"sku": "NUT-8-ZN", "quantity": 1}]
    intake = (await client.post("/api/intake/orders", json=a_shop_order(lines=lines), headers=auth(tokens["integration"]))).json()
    assert intake["status"] == "review" and intake["lines"][0]["status"] == "review"
    office = auth(tokens["office"])
    wrong = await client.post(f"/api/intake/{intake['id']}/lines/1/resolve", json={}, headers=office)
    assert wrong.status_code == 400
    dropped = (await client.post(f"/api/intake/{intake['id']}/lines/1/resolve", json={"drop": True}, headers=office)).json()
    assert dropped["status"] == "done" and dropped["lines"][0]["problem"].startswith("dropped by")
    order = (await client.get(f"/api/orders/{dropped['order_id']}", headers=office)).json()
    assert [line["sku"] for line in order["lines"]] == ["NUT-8-ZN"]


async def test_only_staff_read_the_queue_and_only_order_writers_send_orders(client, db, tokens) -> None:  # noqa: ANN001
    await an_intake_world(db)
    assert (await client.get("/api/intake", headers=auth(tokens["integration"]))).status_code == 403
    assert (await client.post("/api/intake/orders", json=a_shop_order(), headers=auth(tokens["supervisor"]))).status_code == 403
    assert (await client.get("/api/intake", headers=auth(tokens["supervisor"]))).status_code == 200
