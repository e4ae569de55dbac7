"""Bad input answers 4xx with a stable `code`, and nothing is written."""

from __future__ import annotations

import pytest
import httpx

from server.usecases.tokens import create_token, revoke_token
from sync.database import Database
from tests.builders import a_world
from tests.conftest import auth, count_rows
from tests.http.test_orders_api import an_order_body

WRITTEN = ("orders", "order_lines", "order_events", "idempotency_keys", "products", "customers", "stock_moves")


@pytest.fixture
async def world(db: Database) -> dict:
    return await a_world(db, {"BOLT": 10})


async def _refused(client: httpx.AsyncClient, db: Database, method: str, url: str, status: int, code: str, **kwargs) -> dict:
    before = await count_rows(db, *WRITTEN)
    response = await client.request(method, url, **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code, body
    assert await count_rows(db, *WRITTEN) == before
    return body


async def test_malformed_json_is_refused(client, db, world, tokens) -> None:  # noqa: ANN001
    await _refused(client, db, "POST", "/api/orders", 400, "invalid_body", content=b'{"customer_id": 1, "lines": [',
                   headers=auth(tokens["office"]) | {"content-type": "application/json"})  # fmt: skip


async def test_unknown_fields_are_refused(client, db, world, tokens) -> None:  # noqa: ANN001
    body = an_order_body(world["customer"]) | {"discount": 50}
    problem = await _refused(client, db, "POST", "/api/orders", 400, "invalid_body", json=body, headers=auth(tokens["office"]))
    assert "discount" in problem["detail"]


@pytest.mark.parametrize("quantity", [0, -3])
async def test_zero_or_negative_quantities_are_refused(client, db, world, tokens, quantity: int) -> None:  # noqa: ANN001
    body = an_order_body(world["customer"], [("BOLT", quantity)])
    await _refused(client, db, "POST", "/api/orders", 400, "invalid_body", json=body, headers=auth(tokens["office"]))


async def test_an_unknown_sku_is_refused_by_name(client, db, world, tokens) -> None:  # noqa: ANN001
    body = an_order_body(world["customer"], [("BOLT", 1), ("GHOST-1", 1)])
    problem = await _refused(client, db, "POST", "/api/orders", 422, "unknown_sku", json=body, headers=auth(tokens["office"]))
    assert problem["skus"] == ["GHOST-1"]


@pytest.mark.parametrize("price", [12.5, 12.0, "12"])
async def test_amounts_given_as_floats_or_strings_are_refused(client, db, world, tokens, price) -> None:  # noqa: ANN001
    body = an_order_body(world["customer"])
    body["lines"][0]["unit_price"] = price
    problem = await _refused(client, db, "POST", "/api/orders", 400, "invalid_body", json=body, headers=auth(tokens["office"]))
    assert "unit_price" in problem["detail"]


async def test_a_float_price_on_a_product_is_refused(client, db, world, tokens) -> None:  # noqa: ANN001
    body = {"sku": "NEW-1", "name": "Гвоздь", "price": 99.9, "currency": "RUB"}
    await _refused(client, db, "POST", "/api/products", 400, "invalid_body", json=body, headers=auth(tokens["office"]))


async def test_a_body_over_the_size_limit_is_refused(client, db, world, tokens) -> None:  # noqa: ANN001
    body = an_order_body(world["customer"], notes="x" * 300_000)  # the test app's limit is 256 KiB
    await _refused(client, db, "POST", "/api/orders", 413, "body_too_large", json=body, headers=auth(tokens["office"]))


async def test_a_missing_token_is_refused(client, db, world) -> None:  # noqa: ANN001
    await _refused(client, db, "POST", "/api/orders", 401, "unauthorized", json=an_order_body(world["customer"]))


async def test_an_unknown_token_is_refused(client, db, world) -> None:  # noqa: ANN001
    await _refused(client, db, "POST", "/api/orders", 401, "unauthorized", json=an_order_body(world["customer"]),
                   headers=auth("tly_forged"))  # fmt: skip


async def test_a_revoked_token_is_refused_on_the_next_request(client, db, world) -> None:  # noqa: ANN001
    token, token_id = await create_token(db, "office", "leaver")
    assert (await client.get("/api/orders", headers=auth(token))).status_code == 200
    await revoke_token(db, token_id)
    await _refused(client, db, "POST", "/api/orders", 401, "unauthorized", json=an_order_body(world["customer"]),
                   headers=auth(token))  # fmt: skip


async def test_a_role_without_the_right_is_refused(client, db, world, tokens) -> None:  # noqa: ANN001
    body = {"sku": "NEW-1", "name": "Гвоздь", "price": 999, "currency": "RUB"}
    await _refused(client, db, "POST", "/api/products", 403, "forbidden", json=body, headers=auth(tokens["supervisor"]))


async def test_a_token_bound_to_another_warehouse_is_refused(client, db, world) -> None:  # noqa: ANN001
    from server.usecases.catalog import create_warehouse

    other = await create_warehouse(db, "W2", "Other")
    foreign, _ = await create_token(db, "supervisor", "other-wh", warehouse_id=other)
    order = (await client.post("/api/orders", json=an_order_body(world["customer"]), headers=auth((await create_token(db, "office"))[0]))).json()
    await _refused(client, db, "GET", f"/api/orders/{order['id']}", 404, "order_not_found", headers=auth(foreign))
    await _refused(client, db, "POST", f"/api/orders/{order['id']}/cancel", 404, "order_not_found",
                   json={"reason": "other", "note": "x"}, headers=auth(foreign))  # fmt: skip
    await _refused(client, db, "GET", "/api/stock", 403, "forbidden", params={"warehouse_id": world["warehouse"]},
                   headers=auth(foreign))  # fmt: skip
    listed = (await client.get("/api/orders", headers=auth(foreign))).json()
    assert listed["items"] == []


async def test_an_unknown_customer_is_refused(client, db, world, tokens) -> None:  # noqa: ANN001
    await _refused(client, db, "POST", "/api/orders", 404, "customer_not_found", json=an_order_body(999),
                   headers=auth(tokens["office"]))  # fmt: skip


async def test_a_malformed_inn_is_refused(client, db, world, tokens) -> None:  # noqa: ANN001
    body = {"kind": "company", "name": "ООО «Ромашка»", "inn": "7707083894"}
    await _refused(client, db, "POST", "/api/customers", 422, "inn_invalid", json=body, headers=auth(tokens["office"]))


async def test_health_and_the_pwa_need_no_token(client) -> None:  # noqa: ANN001
    assert (await client.get("/health")).json()["status"] == "ok"
    page = await client.get("/")
    assert page.status_code == 200 and "Tally" in page.text


async def test_a_refused_transition_answers_409_with_the_orders_status_not_a_server_error(client, db, world, tokens) -> None:  # noqa: ANN001
    # Found by the authorization matrix: the refusal's context key `status` collided with the
    # problem document's own `status`, and every refused transition answered 500.
    created = await client.post("/api/orders", json=an_order_body(world["customer"]), headers=auth(tokens["office"]))
    order_id = created.json()["id"]
    assert (await client.post(f"/api/orders/{order_id}/confirm", headers=auth(tokens["office"]))).status_code == 200
    again = await client.post(f"/api/orders/{order_id}/confirm", headers=auth(tokens["office"]))
    assert again.status_code == 409, again.text
    assert again.json() | {"detail": ""} == {"type": "about:blank", "title": "transition not allowed", "status": 409, "detail": "",
                                             "code": "transition_not_allowed", "order_status": "confirmed", "target": "confirmed"}


@pytest.mark.parametrize("path", ["/api/customers?limit=-8", "/api/orders?limit=0", "/api/products?limit=501"])
async def test_a_page_size_out_of_bounds_is_a_bad_parameter(client, db, world, tokens, path: str) -> None:  # noqa: ANN001
    # Found by fuzzing: a negative limit reached the reads and answered 500.
    await _refused(client, db, "GET", path, 400, "invalid_parameter", headers=auth(tokens["office"]))


@pytest.mark.parametrize(
    "path",
    ["/api/orders/78456438544471485841408", "/api/orders/-1595583647427786178560/parcels",
     "/api/orders?warehouse_id=20336219364171517309731515476293451776", "/api/cash/couriers/6658417211211910217728/on-hand"],
)  # fmt: skip
async def test_an_integer_parameter_beyond_64_bits_is_a_bad_parameter(client, db, world, tokens, path: str) -> None:  # noqa: ANN001
    # Found by fuzzing: the database driver could not bind such a number and the request answered 500.
    problem = await _refused(client, db, "GET", path, 400, "invalid_parameter", headers=auth(tokens["admin"]))
    assert "out of range" in problem["detail"]


async def test_a_count_below_the_bins_quantity_lowers_it_and_a_delta_too(client, db, world, tokens) -> None:  # noqa: ANN001
    # Found by fuzzing: on SQLite every lowering adjustment answered 500 (a CHECK constraint on the
    # row an upsert proposed, quantity -1, fired before ON CONFLICT could make it an update).
    headers = auth(tokens["office"])
    body = {"warehouse_id": world["warehouse"], "sku": "BOLT", "location": "A-01", "reason": "loss"}
    counted = await client.post("/api/stock/adjustments", json=body | {"counted": 7}, headers=headers)
    assert counted.status_code == 201, counted.text
    lowered = await client.post("/api/stock/adjustments", json=body | {"delta": -2}, headers=headers)
    assert lowered.status_code == 201, lowered.text
    stock = (await client.get("/api/stock", params={"warehouse_id": world["warehouse"]}, headers=headers)).json()
    assert stock["items"][0]["on_hand"] == 5
