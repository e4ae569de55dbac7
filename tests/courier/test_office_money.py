"""Order to cash in the office: invoices issued at shipment, bank transfers entered or imported from
a CSV statement (matched by invoice number and amount, all or nothing), partial payments,
receivables with aging, and the printable proof of delivery."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

from pypdf import PdfReader
from sqlalchemy import select, update

from server.clock import now
from server.db.tables import invoices, orders, parcels, payments, routes
from server.domain.invoicing import invoice_number
from tests.conftest import auth, count_rows
from tests.courier.world import a_dock, a_phone, a_route, a_world, deliver


async def _invoice(db, order_id: int):  # noqa: ANN001, ANN202
    async with db.read() as conn:
        return (await conn.execute(select(invoices).where(invoices.c.order_id == order_id))).one()


async def test_invoices_are_numbered_per_year_and_due_by_the_payment_terms(client, db, tmp_path, tokens) -> None:  # noqa: ANN001
    world = await a_world(db)
    route = await a_route(db, world, world.couriers[0], [("invoice", [("BOLT", 2)], 1), ("cash", [("NUT", 1)], 1), ("prepaid", [("NUT", 2)], 1)])
    on_terms, cod, prepaid = world.on(route)
    year = now().year
    rows = [await _invoice(db, s.order_id) for s in (on_terms, cod, prepaid)]
    assert [r.number for r in rows] == [invoice_number(year, n) for n in (1, 2, 3)]
    assert rows[0].due_on == rows[0].issued_on + timedelta(days=14) and rows[1].due_on == rows[1].issued_on
    assert [(r.total, r.paid, r.status) for r in rows] == [(on_terms.total, 0, "open"), (cod.total, 0, "open"), (prepaid.total, prepaid.total, "paid")]
    listed = (await client.get(f"/api/invoices?order_id={on_terms.order_id}", headers=auth(tokens["office"]))).json()
    assert [(i["number"], i["balance"], i["payments"]) for i in listed] == [(rows[0].number, on_terms.total, [])]
    again = await client.post(f"/api/orders/{on_terms.order_id}/invoice", headers=auth(tokens["office"]))
    assert again.status_code == 201 and again.json()["number"] == rows[0].number  # one invoice per order


async def test_the_office_issues_an_invoice_by_hand_but_not_for_a_draft(client, db, tokens) -> None:  # noqa: ANN001
    world = await a_world(db)
    route = await a_route(db, world, world.couriers[0], [("invoice", [("BOLT", 1)], 1)])
    (stop,) = world.on(route)
    async with db.write() as conn:
        await conn.execute(invoices.delete())
        await conn.execute(update(orders).where(orders.c.id == stop.order_id).values(status="draft"))
    refused = await client.post(f"/api/orders/{stop.order_id}/invoice", headers=auth(tokens["office"]))
    assert (refused.status_code, refused.json()["code"]) == (422, "order_not_invoiceable")
    async with db.write() as conn:
        await conn.execute(update(orders).where(orders.c.id == stop.order_id).values(status="packed"))
    issued = await client.post(f"/api/orders/{stop.order_id}/invoice", headers=auth(tokens["office"]))
    assert issued.status_code == 201 and issued.json()["total"] == stop.total


async def test_bank_transfers_pay_an_invoice_in_parts_and_the_delivered_order_closes(client, db, tmp_path, tokens) -> None:  # noqa: ANN001
    world = await a_world(db)
    route = await a_route(db, world, world.couriers[0], [("invoice", [("BOLT", 3)], 1)])
    (stop,) = world.on(route)
    phone = await a_phone(db, client, tmp_path, world.couriers[0])
    deliver(phone, stop)
    await phone.sync()
    number = (await _invoice(db, stop.order_id)).number
    body = {"invoice_number": number, "amount": 10_000, "currency": "RUB", "paid_on": "2026-11-20", "bank_ref": "PP-1"}
    first = await client.post("/api/payments", json=body, headers=auth(tokens["office"]))
    assert first.status_code == 201, first.text
    assert (first.json()["balance"], first.json()["order_status"]) == (stop.total - 10_000, "delivered")
    for bad, code in (({"amount": stop.total}, "amount_exceeds_balance"), ({"bank_ref": "PP-1"}, "bank_ref_duplicate"),
                      ({"currency": "EUR", "bank_ref": "PP-X"}, "currency_mismatch"), ({"invoice_number": "INV-1999-000001"}, "invoice_not_found")):  # fmt: skip
        answer = await client.post("/api/payments", json=body | {"bank_ref": "PP-2"} | bad, headers=auth(tokens["office"]))
        assert answer.json()["code"] == code
    for bad in ({"amount": -5}, {"amount": 0}, {"amount": 100.5}, {"amount": "100"}):
        answer = await client.post("/api/payments", json=body | bad, headers=auth(tokens["office"]))
        assert (answer.status_code, answer.json()["code"]) == (400, "invalid_body")
    rest = body | {"amount": stop.total - 10_000, "bank_ref": "PP-2", "payment_id": str(uuid.uuid4())}
    last = await client.post("/api/payments", json=rest, headers=auth(tokens["office"]))
    assert (last.json()["balance"], last.json()["invoice_status"], last.json()["order_status"]) == (0, "paid", "closed")
    replay = await client.post("/api/payments", json=rest, headers=auth(tokens["office"]))
    assert replay.status_code == 200 and replay.json()["payment_id"] == rest["payment_id"]
    assert (await client.post("/api/payments", json=rest, headers=auth(tokens["supervisor"]))).status_code == 403


def _csv(*lines: tuple[str, str, str, str], sep: str = ",") -> str:
    return "\n".join(sep.join(f'"{c}"' if sep in c else c for c in line) for line in (("date", "amount", "purpose", "bank_ref"), *lines))


async def test_a_bank_statement_is_matched_by_invoice_number_and_amount_or_not_imported_at_all(client, db, tokens) -> None:  # noqa: ANN001
    world = await a_world(db)
    route = await a_route(db, world, world.couriers[0], [("invoice", [("BOLT", 1)], 1), ("invoice", [("NUT", 10)], 1),
                                                         ("invoice", [("DRILL", 1)], 1), ("invoice", [("NUT", 1)], 1)])  # fmt: skip
    a, b, c, d = world.on(route)
    na, nb, nc, nd = [(await _invoice(db, s.order_id)).number for s in (a, b, c, d)]
    statement = _csv(
        ("2026-11-20", "123.45", f"Оплата по счёту {na} за болты", "B-1"),  # in full
        ("20.11.2026", "10,00", f"оплата {nb.replace('-', ' ')}, частично", "B-2"),  # in part, number typed with spaces
        ("2026-11-21", "3 000,00", "аванс без номера счёта", "B-3"),  # no number: unmatched
        ("2026-11-21", "5000.00", f"по счетам {nc} и {nd}", "B-4"),  # two numbers, fits neither: ambiguous
        ("2026-11-21", "12,3,4", f"{nd}", "B-5"),  # unreadable amount
    )
    before = await count_rows(db, "payments")
    refused = await client.post("/api/payments/bank-statement", content=statement.encode(), headers=auth(tokens["office"]) | {"Content-Type": "text/csv"})
    assert (refused.status_code, refused.json()["code"]) == (422, "statement_has_problems")
    assert [(r["line_no"], r["status"]) for r in refused.json()["lines"]] == [(2, "matched"), (3, "matched"), (4, "unmatched"), (5, "ambiguous"),
                                                                              (6, "amount_invalid")]  # fmt: skip
    assert await count_rows(db, "payments") == before  # nothing half-imported
    done = await client.post("/api/payments/bank-statement?skip_problems=true", content=statement.encode(), headers=auth(tokens["office"]))
    assert done.status_code == 200, done.text
    assert (done.json()["imported"], done.json()["amount"]) == (2, 12_345 + 1_000)
    assert (await _invoice(db, a.order_id)).status == "paid" and (await _invoice(db, b.order_id)).paid == 1_000
    both = _csv(("2026-11-22", "5003.32", f"{nd}; {nc}", "B-6"), ("2026-11-20", "123.45", f"{na}", "B-1"), sep=";")
    together = await client.post("/api/payments/bank-statement", content=both.encode("cp1251"), headers=auth(tokens["office"]))
    assert together.status_code == 200, together.text
    assert [(r["status"], r["allocations"]) for r in together.json()["lines"]] == [
        ("matched", [{"invoice": nd, "amount": 333}, {"invoice": nc, "amount": 499_999}]), ("already_imported", [])]
    async with db.read() as conn:
        refs = sorted((await conn.execute(select(payments.c.bank_ref, payments.c.source))).all())
    assert refs == [("B-1", "bank"), ("B-2", "bank"), ("B-6", "bank"), ("B-6", "bank")]
    bad = await client.post("/api/payments/bank-statement", content=b"when,how much\n1,2", headers=auth(tokens["office"]))
    assert bad.json()["code"] == "statement_columns_missing"


async def test_receivables_per_customer_are_aged_by_days_past_due(client, db, tokens) -> None:  # noqa: ANN001
    world = await a_world(db)
    route = await a_route(db, world, world.couriers[0], [("invoice", [("BOLT", 1)], 1), ("invoice", [("NUT", 1)], 1),
                                                         ("invoice", [("DRILL", 1)], 1), ("prepaid", [("NUT", 5)], 1)])  # fmt: skip
    a, b, c, _paid = world.on(route)
    today = now().date()
    async with db.write() as conn:
        for stop, due in ((a, today - timedelta(days=10)), (b, today - timedelta(days=45)), (c, today - timedelta(days=120))):
            await conn.execute(update(invoices).where(invoices.c.order_id == stop.order_id).values(due_on=due))
        await conn.execute(update(invoices).where(invoices.c.order_id == b.order_id).values(paid=100))
    (row,) = (await client.get("/api/receivables", headers=auth(tokens["supervisor"]))).json()
    assert (row["customer_id"], row["open_invoices"], row["balance"]) == (world.customer, 3, a.total + b.total - 100 + c.total)
    assert row["buckets"] == {"0-30": a.total, "31-60": b.total - 100, "61-90": 0, "90+": c.total}
    later = (await client.get(f"/api/receivables?as_of={(today + timedelta(days=30)).isoformat()}", headers=auth(tokens["office"]))).json()
    assert later[0]["buckets"] == {"0-30": 0, "31-60": a.total, "61-90": b.total - 100, "90+": c.total}


async def test_the_proof_of_delivery_prints_time_recipient_signature_place_and_parcels(client, db, tmp_path, tokens) -> None:  # noqa: ANN001
    world = await a_world(db)
    route = await a_route(db, world, world.couriers[0], [("prepaid", [("BOLT", 1)], 2), ("cash", [("NUT", 1)], 1)])
    stop, failed = world.on(route)
    phone = await a_phone(db, client, tmp_path, world.couriers[0])
    deliver(phone, stop, recipient_name="Анна Иванова")
    deliver(phone, failed, "failed", failure_reason="absent")
    await phone.sync()
    html = await client.get(f"/api/documents/orders/{stop.order_id}/proof-of-delivery?format=html", headers=auth(tokens["supervisor"]))
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    text = html.text
    assert "Анна Иванова" in text and stop.number in text and "data:image/png;base64" in text and "55.755826" in text
    assert all(sscc in text.replace(" ", "") or sscc[:10] in text for sscc in stop.ssccs)
    pdf = await client.get(f"/api/documents/orders/{stop.order_id}/proof-of-delivery", headers=auth(tokens["office"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "Анна Иванова" in "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    none = await client.get(f"/api/documents/orders/{failed.order_id}/proof-of-delivery", headers=auth(tokens["office"]))
    assert (none.status_code, none.json()["code"]) == (404, "proof_of_delivery_not_found")


async def test_a_dispatch_from_the_loaders_handheld_issues_the_invoices_of_the_orders_leaving(client, db, tmp_path) -> None:  # noqa: ANN001
    world = await a_world(db)
    route = await a_route(db, world, world.couriers[0], [("invoice", [("BOLT", 1)], 1)])
    (stop,) = world.on(route)
    async with db.write() as conn:  # back to the warehouse's state before loading: packed, parcel closed, no invoice
        await conn.execute(invoices.delete())
        await conn.execute(update(orders).where(orders.c.id == stop.order_id).values(status="packed"))
        await conn.execute(update(parcels).values(status="closed", route_id=None, loaded_at=None))
        await conn.execute(update(routes).where(routes.c.id == route).values(status="planned", dispatched_at=None))
    loader = await a_dock(db, client, tmp_path, world.warehouse, "loader")
    loader.record("LoadParcel", {"route_id": route, "sscc": stop.ssccs[0]})
    loader.record("DispatchRoute", {"route_id": route})
    await loader.sync()
    assert loader.rejected() == []
    invoice = await _invoice(db, stop.order_id)
    assert (invoice.total, invoice.status, invoice.due_on - invoice.issued_on) == (stop.total, "open", timedelta(days=14))
    async with db.read() as conn:
        assert (await conn.execute(select(orders.c.status).where(orders.c.id == stop.order_id))).scalar_one() == "out_for_delivery"
