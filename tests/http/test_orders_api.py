"""The order API: create, read with timeline, keyset lists with filters, confirm, cancel."""

from __future__ import annotations

import httpx

from sync.database import Database
from tests.builders import a_world
from tests.conftest import auth


def an_order_body(customer_id: int, lines: list[tuple[str, int]] = [("BOLT", 2)], **extra) -> dict:  # noqa: B006
    return {
        "customer_id": customer_id,
        "lines": [{"sku": sku, "quantity": qty} for sku, qty in lines],
        "payment": {"kind": "cash_on_delivery"},
        **extra,
    }


async def test_an_order_is_created_read_back_and_carries_its_timeline(client: httpx.AsyncClient, db: Database, tokens) -> None:  # noqa: ANN001
    world = await a_world(db, {"BOLT": 10, "NUT": 10})
    body = an_order_body(
        world["customer"],
        [("BOLT", 2), ("NUT", 3)],
        source="web",
        delivery={"date": "2026-11-30", "start": "09:00:00", "end": "18:00:00"},
        delivery_address="Москва, ул. Ленина, 1",
    )
    created = await client.post("/api/orders", json=body, headers=auth(tokens["office"]))
    assert created.status_code == 201, created.text
    order = created.json()
    assert order["status"] == "draft" and order["total"] == 5 * 1250 and order["currency"] == "RUB"
    assert order["number"].startswith("SO-")
    assert created.headers["location"] == f"/api/orders/{order['id']}"

    read = await client.get(f"/api/orders/{order['id']}", headers=auth(tokens["supervisor"]))
    assert read.status_code == 200
    assert [e["type"] for e in read.json()["timeline"]] == ["order_created"]
    assert read.json()["timeline"][0]["actor_id"].startswith("token:")
    assert read.json()["delivery"] == {"date": "2026-11-30", "start": "09:00:00", "end": "18:00:00"}


async def test_confirm_reserves_and_cancel_releases_with_events(client: httpx.AsyncClient, db: Database, tokens) -> None:  # noqa: ANN001
    world = await a_world(db, {"BOLT": 3})
    order = (await client.post("/api/orders", json=an_order_body(world["customer"]), headers=auth(tokens["office"]))).json()
    confirmed = await client.post(f"/api/orders/{order['id']}/confirm", headers=auth(tokens["office"]))
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    stock = (await client.get("/api/stock", params={"warehouse_id": world["warehouse"]}, headers=auth(tokens["office"]))).json()
    assert stock["items"][0] | {"bins": None} == {
        "warehouse_id": world["warehouse"], "product_id": world["BOLT"], "sku": "BOLT",
        "on_hand": 3, "reserved": 2, "available": 1, "bins": None,
    }  # fmt: skip

    refused = await client.post(f"/api/orders/{order['id']}/cancel", json={"reason": "customer_request", "note": ""},
                                headers=auth(tokens["office"]))  # fmt: skip
    assert refused.status_code == 422 and refused.json()["code"] == "cancel_note_required"
    cancelled = await client.post(f"/api/orders/{order['id']}/cancel", json={"reason": "customer_request", "note": "передумал"},
                                  headers=auth(tokens["office"]))  # fmt: skip
    assert cancelled.status_code == 200
    timeline = [e["type"] for e in cancelled.json()["timeline"]]
    assert timeline == ["order_created", "order_confirmed", "order_cancelled"]
    assert cancelled.json()["timeline"][-1]["data"]["released"] == [{"product_id": world["BOLT"], "quantity": 2}]


async def test_confirming_without_stock_answers_409_with_the_short_lines(client: httpx.AsyncClient, db: Database, tokens) -> None:  # noqa: ANN001
    world = await a_world(db, {"BOLT": 1, "NUT": 0})
    order = (await client.post("/api/orders", json=an_order_body(world["customer"], [("BOLT", 1), ("NUT", 2)]),
                               headers=auth(tokens["office"]))).json()  # fmt: skip
    response = await client.post(f"/api/orders/{order['id']}/confirm", headers=auth(tokens["office"]))
    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_stock"
    assert response.json()["short_lines"] == [{"sku": "NUT", "ordered": 2, "available": 0}]
    assert (await client.get(f"/api/orders/{order['id']}", headers=auth(tokens["office"]))).json()["status"] == "draft"


async def test_order_lists_page_by_keyset_newest_first_and_filter(client: httpx.AsyncClient, db: Database, tokens) -> None:  # noqa: ANN001
    world = await a_world(db, {"BOLT": 100})
    ids = []
    for i in range(7):
        body = an_order_body(world["customer"], source="web" if i % 2 else "phone")
        ids.append((await client.post("/api/orders", json=body, headers=auth(tokens["office"]))).json()["id"])
    seen, cursor = [], None
    while True:
        params = {"limit": 3} | ({"after": cursor} if cursor else {})
        page = (await client.get("/api/orders", params=params, headers=auth(tokens["office"]))).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == sorted(ids, reverse=True)
    web = (await client.get("/api/orders", params={"source": "web"}, headers=auth(tokens["office"]))).json()
    assert [o["id"] for o in web["items"]] == [ids[5], ids[3], ids[1]]
    drafts = (await client.get("/api/orders", params={"status": "confirmed"}, headers=auth(tokens["office"]))).json()
    assert drafts["items"] == []


async def test_a_forged_cursor_is_refused(client: httpx.AsyncClient, tokens) -> None:  # noqa: ANN001
    response = await client.get("/api/orders", params={"after": "not-a-cursor"}, headers=auth(tokens["office"]))
    assert response.status_code == 422 and response.json()["code"] == "cursor_invalid"
