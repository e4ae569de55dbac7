"""An order file becomes one order, or lines for review, or nothing at all with a reason for every row."""

from __future__ import annotations

from server.domain.spreadsheet import Formula
from tests.conftest import auth, count_rows
from tests.intake.sheets import HEADER, XLSX, csv_bytes, xlsx_bytes
from tests.intake.world import COMPANY_INN, an_intake_world, ean

TABLES = ("orders", "order_lines", "intake_payloads", "intake_lines")


async def _upload(client, tokens, raw: bytes, content_type: str, customer_id: int | None, role: str = "office", **params):  # noqa: ANN001, ANN202
    query = {"customer_id": customer_id} if customer_id else {}
    return await client.post(
        "/api/intake/spreadsheets", content=raw, params=query | params, headers=auth(tokens[role]) | {"Content-Type": content_type}
    )


async def test_a_cp1251_csv_file_becomes_one_order(client, db, tokens) -> None:  # noqa: ANN001
    world = await an_intake_world(db)
    rows = [["Заявка ООО «Крепёж-Сервис»"], HEADER, [1, "Болт DIN933 M8x40 оцинкованный", "", "100", "12,00"],
            [2, "шайбы м8 цинк", "", "200 шт", ""], [3, "", ean(5), "10", ""], [4, "Пена монтажная 750мл", "FOAM-750", "2", ""]]  # fmt: skip
    answer = await _upload(client, tokens, csv_bytes(rows, encoding="cp1251"), "text/csv", world["customer"])
    assert answer.status_code == 201, answer.text
    intake = answer.json()
    assert intake["status"] == "done" and intake["kind"] == "spreadsheet"
    assert "read as Windows-1251 (the file is not UTF-8)" in intake["notices"]
    assert intake["skipped"] == [{"row": 1, "why": "above the header row"}]
    assert [(line["line_no"], line["reason"]) for line in intake["lines"]] == [(3, "fuzzy"), (4, "fuzzy"), (5, "barcode"), (6, "sku")]
    order = (await client.get(f"/api/orders/{intake['order_id']}", headers=auth(tokens["office"]))).json()
    assert (order["source"], order["customer_id"], order["number"]) == ("import", world["customer"], intake["order_number"])
    # The customer's price stays on the intake line; the order takes the catalog's.
    assert [(line["sku"], line["quantity"], line["unit_price"]) for line in order["lines"]] == [
        ("BOLT-8-40-ZN", 100, 1250), ("WASHER-8-ZN", 200, 120), ("WASHER-8-ZN", 10, 120), ("FOAM-750", 2, 45000)
    ]  # fmt: skip
    assert intake["lines"][0]["price"] == 1200


async def test_an_xlsx_file_with_saved_formulas_becomes_one_order(client, db, tokens) -> None:  # noqa: ANN001
    world = await an_intake_world(db)
    rows = [["Item", "Qty", "Price", "Customer"], ["Hex bolt DIN 933 M10x50 zinc", Formula("=5*2", 10), 23.0, COMPANY_INN],
            ["Nut M8 zinc DIN 934", 3.0, None, COMPANY_INN]]  # fmt: skip
    answer = await _upload(client, tokens, xlsx_bytes(rows), XLSX, None)  # the customer column names the customer
    assert answer.status_code == 201, answer.text
    assert answer.json()["customer_id"] == world["customer"]
    assert [(line["product"]["sku"], line["quantity"]) for line in answer.json()["lines"]] == [("BOLT-10-50-ZN", 10), ("NUT-8-ZN", 3)]


async def test_a_file_with_an_unsure_line_waits_for_review_without_an_order(client, db, tokens) -> None:  # noqa: ANN001
    world = await an_intake_world(db)
    rows = [HEADER, [1, "болт м8х40", "К-777", "10", ""], [2, "Гайка DIN 934 М8", "", "10", ""]]
    answer = await _upload(client, tokens, csv_bytes(rows), "text/csv", world["customer"])
    assert answer.status_code == 202 and answer.json()["status"] == "review"
    assert (await count_rows(db, "orders"))["orders"] == 0
    intake_id = answer.json()["id"]
    resolved = await client.post(f"/api/intake/{intake_id}/lines/2/resolve", json={"product_id": world["BOLT-8-40-ZN"]},
                                 headers=auth(tokens["supervisor"]))  # fmt: skip
    assert resolved.json()["status"] == "done"
    # The customer's own article number is remembered too: next file, the code alone is enough.
    again = await _upload(client, tokens, csv_bytes([HEADER, [1, "болты для стойки", "к 777", "5", ""]]), "text/csv", world["customer"])
    assert answer.status_code == 202 and again.status_code == 201
    assert (again.json()["lines"][0]["reason"], again.json()["lines"][0]["product"]["sku"]) == ("alias", "BOLT-8-40-ZN")


async def test_bad_rows_refuse_the_whole_file_with_a_reason_per_row_and_nothing_imported(client, db, tokens) -> None:  # noqa: ANN001
    world = await an_intake_world(db)
    rows = [HEADER, [1, "Болт DIN 933 М8х40 оцинк.", "", "100", ""], [], [2, "Гайка М8", "", "десять", ""], [3, "Шайба М8", "", "=A4*2", ""]]
    answer = await _upload(client, tokens, csv_bytes(rows, bom=True), "text/csv", world["customer"])
    assert answer.status_code == 422 and answer.json()["code"] == "invalid_lines"
    report = answer.json()["intake"]
    assert report["status"] == "failed" and report["skipped"] == [{"row": 3, "why": "empty row"}]
    assert [(line["line_no"], line["status"], line["problem"]) for line in report["lines"]] == [
        (2, "matched", None),
        (4, "invalid", "quantity 'десять' is not a number"),
        (5, "invalid", "quantity cell D is a formula (=A4*2) with no saved value; open and save the file in a spreadsheet, or paste values"),
    ]
    counts = await count_rows(db, *TABLES)
    assert (counts["orders"], counts["order_lines"], counts["intake_payloads"]) == (0, 0, 1)  # kept, failed, visible


async def test_a_file_without_the_needed_columns_is_refused_whole(client, db, tokens) -> None:  # noqa: ANN001
    world = await an_intake_world(db)
    answer = await _upload(client, tokens, csv_bytes([["Товар", "Цена"], ["Болт М8х40", "12"]]), "text/csv", world["customer"])
    assert answer.status_code == 422 and answer.json()["code"] == "missing_columns"
    assert "missing: quantity" in answer.json()["detail"]
    assert await count_rows(db, *TABLES) == {"orders": 0, "order_lines": 0, "intake_payloads": 1, "intake_lines": 0}


async def test_a_100000_row_file_is_refused_with_the_limit_and_nothing_imported(client, db, tokens) -> None:  # noqa: ANN001
    world = await an_intake_world(db)
    rows = [HEADER] + [[n, "Болт DIN 933 М8х40 оцинк.", "", "1", ""] for n in range(1, 100_001)]
    raw = csv_bytes(rows)
    assert len(raw) > 3_000_000
    answer = await _upload(client, tokens, raw, "text/csv", world["customer"])
    assert answer.status_code == 422 and answer.json()["code"] == "too_many_lines"
    assert "more than 500 order lines" in answer.json()["detail"]
    assert await count_rows(db, *TABLES) == {"orders": 0, "order_lines": 0, "intake_payloads": 1, "intake_lines": 0}


async def test_the_same_file_again_is_the_same_intake(client, db, tokens) -> None:  # noqa: ANN001
    world = await an_intake_world(db)
    raw = csv_bytes([HEADER, [1, "Гайка DIN 934 М8", "", "10", ""]])
    first = await _upload(client, tokens, raw, "text/csv; charset=utf-8", world["customer"])
    again = await _upload(client, tokens, raw, "text/csv", world["customer"])
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["order_id"] == first.json()["order_id"] and again.json()["skipped"] == []
    assert (await count_rows(db, "orders"))["orders"] == 1


async def test_unknown_customers_and_file_types_are_refused_before_storing(client, db, tokens) -> None:  # noqa: ANN001
    world = await an_intake_world(db)
    raw = csv_bytes([HEADER, [1, "Гайка", "", "1", ""]])
    assert (await _upload(client, tokens, raw, "text/csv", 999)).status_code == 404
    wrong = await _upload(client, tokens, b"\xd0\xcf\x11\xe0", "application/vnd.ms-excel", world["customer"])
    assert wrong.status_code == 415 and wrong.json()["code"] == "spreadsheet_type_unsupported"
    nobody = await _upload(client, tokens, raw, "text/csv", None)
    assert nobody.status_code == 422 and nobody.json()["code"] == "customer_unknown"
    assert (await count_rows(db, "intake_payloads"))["intake_payloads"] == 1  # only the one that got as far as storing
