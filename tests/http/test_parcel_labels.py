"""Parcel labels, wave and route label sheets, the packing list and the enrollment card over HTTP:
every barcode decodes back to its payload, text reads the record, guards answer like the other printing."""

from __future__ import annotations

import dataclasses
import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import httpx
import pypdfium2
import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import insert, update

from labels.gs1 import build_sscc
from server.db.tables import SYNC, parcel_items, parcels, payments, sscc_blocks
from server.domain import orders as domain
from server.usecases import catalog, orders
from server.usecases.customers import create_customer
from server.usecases.picking import create_pick_list
from server.usecases.routes import create_courier, create_route
from server.usecases.tokens import create_token
from server.wire.customers import CustomerWrite
from sync.database import Database
from tests.builders import OFFICE
from tests.conftest import auth
from tests.http.test_label_endpoints import an_order, get, pdf_text
from tests.sync.fixtures import a_device
from tests.labels.decoding import decode, decode_png, rasterize_svg_paths
from tests.warehouse.world import World, a_warehouse

PREFIX = "4607012345"  # the packing device's block: a 10-digit company prefix, serials 1..99
PACKER = "packer-1"
RECIPIENT = "Иванова Мария Петровна"
ADDRESS = "Санкт-Петербург, Невский пр., д. 28, кв. 14"


def sscc(serial: int) -> str:
    return build_sscc(0, PREFIX, f"{serial:06d}")


@dataclass
class Shipment:
    world: World
    cod: int  # cash on delivery, nothing paid: BOLT 12 + NUT 3 = 150,18 RUB; stop 2 of the route; two parcels
    card: int  # card on delivery, 5,00 paid of 10,02: stop 1; one parcel
    prepaid: int  # no delivery window, on no route; one open parcel (no weight yet)
    route: int
    wave: int  # a pick list of all three orders
    parcels: dict[str, tuple[str, str]]  # name -> (parcel id, SSCC)
    foreign: str  # a supervisor bound to another warehouse
    local: str  # a supervisor bound to this one
    empty_route: int
    empty_wave: int  # the pick list of `unpacked`, an order with no parcel yet
    unpacked: int


async def an_unscheduled_order(db: Database, world: World, customer: int) -> int:
    request = domain.OrderRequest(customer_id=customer, warehouse_id=world.warehouse, source=domain.Source.API,
                                  lines=[domain.LineRequest("BOLT", 1)], payment=domain.PaymentTerms(domain.PaymentKind.PREPAID))  # fmt: skip
    order = (await orders.create_order(db, OFFICE, request)).order_id
    await orders.confirm_order(db, OFFICE, order)
    return order


async def a_confirmed(db: Database, world: World, customer: int, lines, payment: domain.PaymentKind) -> int:  # noqa: ANN001
    request = dataclasses.replace(an_order(customer, world.warehouse, lines, payment), delivery_address=ADDRESS)
    order = (await orders.create_order(db, OFFICE, request)).order_id
    await orders.confirm_order(db, OFFICE, order)
    return order


@pytest.fixture
async def shipment(db: Database) -> Shipment:
    world = await a_warehouse(db, {"BOLT": ("A-01", 40), "NUT": ("B-01", 40)})
    person = await create_customer(db, CustomerWrite(kind="person", name=RECIPIENT, phone="+7 921 123-45-67"))
    cod = await a_confirmed(db, world, person, [("BOLT", 12), ("NUT", 3)], domain.PaymentKind.CASH_ON_DELIVERY)
    card = await a_confirmed(db, world, world.customer, [("NUT", 1)], domain.PaymentKind.CARD_ON_DELIVERY)
    prepaid = await an_unscheduled_order(db, world, person)
    courier = await create_courier(db, "Петров Иван", "+7 900 111-22-33", world.warehouse)
    route = await create_route(db, world.warehouse, date(2026, 11, 30), courier, "Газель", [card, cod])
    empty_route = await create_route(db, world.warehouse, date(2026, 12, 1), courier, "", [])
    wave = await create_pick_list(db, world.warehouse, [cod, card, prepaid])
    lonely = await a_confirmed(db, world, person, [("NUT", 1)], domain.PaymentKind.PREPAID)
    empty_wave = await create_pick_list(db, world.warehouse, [lonely])
    bolt, nut = world.products["BOLT"][0], world.products["NUT"][0]
    opened = datetime(2026, 11, 29, 8, tzinfo=UTC)
    boxes = {  # name -> (id, SSCC, order, weight, contents); serial 42 sorts after 7: it is parcel 2 of 2
        "cod-2": ("5f0c6a1e-0000-4000-8000-000000000042", sscc(42), cod, 1250, {bolt: 12}),
        "cod-1": ("5f0c6a1e-0000-4000-8000-000000000007", sscc(7), cod, 700, {nut: 3}),
        "card": ("5f0c6a1e-0000-4000-8000-000000000011", sscc(11), card, 300, {nut: 1}),
        "prepaid": ("5f0c6a1e-0000-4000-8000-000000000099", build_sscc(1, "4601234", "000000005"), prepaid, None, {bolt: 1}),
    }
    async with db.write() as conn:
        await conn.execute(insert(sscc_blocks).values(device_id=PACKER, extension_digit=0, company_prefix=PREFIX, first_serial=1,
                                                      last_serial=99, created_at=opened))  # fmt: skip
        for pid, code, order, weight, contents in boxes.values():
            await conn.execute(insert(parcels).values(
                id=pid, sscc=code, order_id=order, warehouse_id=world.warehouse, status="closed" if weight else "open",
                weight_g=weight, packed_by=PACKER, opened_at=opened, closed_at=opened + timedelta(hours=1) if weight else None,
            ))  # fmt: skip
            await conn.execute(insert(parcel_items), [{"parcel_id": pid, "product_id": p, "quantity": q} for p, q in contents.items()])
        await conn.execute(insert(payments).values(
            id="pay-1", order_id=card, source="cod", method="card", amount=500, currency="RUB", captured_at=opened, recorded_at=opened,
        ))  # fmt: skip
    other = await catalog.create_warehouse(db, "SPB", "Санкт-Петербург")
    foreign, _ = await create_token(db, "supervisor", "spb", warehouse_id=other)
    local, _ = await create_token(db, "supervisor", "msk", warehouse_id=world.warehouse)
    named = {name: (pid, code) for name, (pid, code, *_rest) in boxes.items()}
    return Shipment(world, cod, card, prepaid, route, wave, named, foreign, local, empty_route, empty_wave, lonely)


def svg_texts(svg: bytes) -> list[str]:
    return re.findall(r">([^<>]+)</text>", svg.decode())


def payloads(found) -> list[str]:  # noqa: ANN001
    return sorted(b.bytes.decode() for b in found)


def pdf_barcodes(pdf: bytes) -> list:
    document = pypdfium2.PdfDocument(pdf)
    return [b for page in document for b in decode(page.render(scale=300 / 72).to_pil())]


def assert_gs1_sscc(found, code: str) -> None:  # noqa: ANN001
    """The SSCC decodes as GS1-128 (FNC1 first: symbology identifier ]C1) with AI (00) and exactly this SSCC."""
    (symbol,) = [b for b in found if b.format.name == "Code128"]
    assert symbol.symbology_identifier == "]C1" and symbol.text == "00" + code


# ---- one parcel


async def test_the_shipping_label_scans_back_in_every_format_and_reads_the_record(client, shipment, tokens) -> None:  # noqa: ANN001
    pid, code = shipment.parcels["cod-2"]
    expected = sorted(["00" + code, f"tally:parcel:{pid}"])
    url, token = f"/api/labels/parcels/{code}", tokens["office"]

    svg = await get(client, url, token, format="svg")
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    assert svg.headers["content-disposition"] == f'inline; filename="parcel-{code}.svg"'
    assert payloads(decode(rasterize_svg_paths(svg.content))) == expected
    texts = svg_texts(svg.content)
    for text in ("Москва", RECIPIENT, ADDRESS, "+7 921 123-45-67", "Окно доставки: 30.11.2026 10:00–14:00",
                 "Заказ № SO-", "Вес: 1,25 кг", "150,18 RUB", "Место 2 из 2", f"Рейс {shipment.route}", "Ост. 2",
                 f"(00) 0 {PREFIX} 000042 {code[-1]}"):  # fmt: skip
        assert any(t.startswith(text) for t in texts), text

    for dpi in (203, 300):
        png = await get(client, url, token, format="png", dpi=dpi)
        assert png.headers["content-type"] == "image/png"
        image = Image.open(io.BytesIO(png.content))
        assert round(image.info["dpi"][0]) == dpi and image.size == (round(100 * dpi / 25.4), round(150 * dpi / 25.4))
        found = decode_png(png.content)
        assert payloads(found) == expected, dpi
        assert_gs1_sscc(found, code)
        small = decode_png((await get(client, url, token, format="png", dpi=dpi, size="58x40")).content)
        assert payloads(small) == ["00" + code], dpi
        assert_gs1_sscc(small, code)

    by_id = await get(client, f"/api/labels/parcels/{pid}", token)  # PDF is the default; the id finds it as well
    assert by_id.headers["content-type"] == "application/pdf"
    found = pdf_barcodes(by_id.content)
    assert payloads(found) == expected
    assert_gs1_sscc(found, code)
    text = pdf_text(by_id.content)
    for phrase in (RECIPIENT, ADDRESS, "Отправитель", "Наложенный платёж", "150,18 RUB", "Место 2 из 2"):
        assert phrase in text, phrase

    zpl = await get(client, url, token, format="zpl", dpi=300)
    assert zpl.headers["content-type"] == "text/plain; charset=utf-8"
    assert zpl.text.count("^XA") == 1 and zpl.text.count("^XZ") == 1 and "^CI28" in zpl.text
    assert f"^FD>;>800{code}^FS" in zpl.text and f"^FDMA,tally:parcel:{pid}^FS" in zpl.text and RECIPIENT in zpl.text


async def test_what_the_record_does_not_know_yet_prints_as_a_dash_and_cod_is_what_is_left_to_pay(client, shipment, tokens) -> None:  # noqa: ANN001
    pid, code = shipment.parcels["prepaid"]  # open (no weight), no delivery window, on no route, prepaid
    texts = svg_texts((await get(client, f"/api/labels/parcels/{pid}", tokens["office"], format="svg")).content)
    for text in ("Окно доставки: —", "Вес: —", "Рейс —", "Ост. —", "нет", "Место 1 из 1", f"(00) {code}"):
        assert text in texts, text  # an SSCC from no block this server issued is printed whole
    assert not any(t.startswith(("Ост. 0", "Вес: 0")) for t in texts)
    small = svg_texts((await get(client, f"/api/labels/parcels/{code}", tokens["office"], format="svg", size="58x40")).content)
    assert "Рейс — · Ост. —" in small and "Место 1/1" in small

    _, card = shipment.parcels["card"]  # card on delivery with 5,00 of 10,02 paid: the courier collects 5,02
    texts = svg_texts((await get(client, f"/api/labels/parcels/{card}", tokens["office"], format="svg")).content)
    assert "5,02 RUB" in texts and "Ост. 1" in texts and "Вес: 0,3 кг" in texts


# ---- sheets


async def test_a_waves_labels_hold_every_parcel_of_its_orders(client, shipment, tokens) -> None:  # noqa: ANN001
    url = f"/api/labels/pick-lists/{shipment.wave}"
    everything = [code for _, code in shipment.parcels.values()]
    pdf = await get(client, url, tokens["supervisor"], format="pdf")
    assert pdf.status_code == 200 and pdf.headers["content-disposition"] == f'inline; filename="pick-list-{shipment.wave}-parcels.pdf"'
    assert len(PdfReader(io.BytesIO(pdf.content)).pages) == 2  # two 100×150 labels per A4 page
    found = pdf_barcodes(pdf.content)
    assert sorted(b.text for b in found if b.symbology_identifier == "]C1") == sorted("00" + c for c in everything)
    assert sorted(b.text for b in found if b.format.name == "QRCode") == sorted(f"tally:parcel:{p}" for p, _ in shipment.parcels.values())
    zpl = (await get(client, url, tokens["supervisor"], format="zpl")).text
    assert zpl.count("^XA") == zpl.count("^XZ") == zpl.count("^CI28") == 4
    # Order by order (cod, card, prepaid), by SSCC within one.
    in_stream = re.findall(r"\^FD>;>800(\d{18})\^FS", zpl)
    assert in_stream == [shipment.parcels[n][1] for n in ("cod-1", "cod-2", "card", "prepaid")]


async def test_a_routes_labels_come_in_stop_order_and_only_its_parcels(client, shipment, tokens) -> None:  # noqa: ANN001
    url = f"/api/labels/routes/{shipment.route}"
    zpl = (await get(client, url, tokens["office"], format="zpl", size="58x40")).text
    assert zpl.count("^XA") == zpl.count("^XZ") == zpl.count("^CI28") == 3
    assert re.findall(r"\^FD>;>800(\d{18})\^FS", zpl) == [shipment.parcels[n][1] for n in ("card", "cod-1", "cod-2")]
    assert f"Рейс {shipment.route} · Ост. 1" in zpl and f"Рейс {shipment.route} · Ост. 2" in zpl
    pdf = await get(client, url, tokens["office"], format="pdf", size="58x40")
    assert len(PdfReader(io.BytesIO(pdf.content)).pages) == 1
    found = pdf_barcodes(pdf.content)
    assert sorted(b.text for b in found) == sorted("00" + shipment.parcels[n][1] for n in ("card", "cod-1", "cod-2"))
    assert all(b.symbology_identifier == "]C1" for b in found)
    assert "Иванова Мария Петровна" in pdf_text(pdf.content)

    for url, code in ((f"/api/labels/routes/{shipment.empty_route}", "route_has_no_parcels"),
                      (f"/api/labels/pick-lists/{shipment.empty_wave}", "pick_list_has_no_parcels")):  # fmt: skip
        empty = await get(client, url, tokens["office"], format="zpl")
        assert (empty.status_code, empty.json()["code"]) == (422, code)


# ---- packing list


async def test_the_packing_list_shows_each_parcel_with_its_sscc_and_contents(client, db, shipment, tokens) -> None:  # noqa: ANN001
    url = f"/api/documents/orders/{shipment.cod}/packing-list"
    html = await get(client, url, tokens["office"], format="html")
    assert html.status_code == 200 and html.headers["content-type"] == "text/html; charset=utf-8"
    first, second = shipment.parcels["cod-1"][1], shipment.parcels["cod-2"][1]
    text = html.text
    assert "Упаковочный лист по заказу № SO-" in text and ADDRESS in text
    assert text.index("Место 1 из 2") < text.index(f"(00) {first}") < text.index("Болт NUT") < text.index("Место 2 из 2")
    assert text.index("Место 2 из 2") < text.index(f"(00) {second}") < text.index("Болт BOLT")
    assert "1,95 кг" in text  # 700 g + 1,250 g
    pdf = await get(client, url, tokens["office"], format="pdf", lang="en")
    assert pdf.headers["content-type"] == "application/pdf"
    number = re.search(r"SO-\d+", text).group()
    assert payloads(pdf_barcodes(pdf.content)) == sorted([number, "00" + first, "00" + second])
    extracted = pdf_text(pdf.content)
    assert "Packing list for order" in extracted and RECIPIENT in extracted and "Parcel 2 of 2" in extracted

    unpacked = await get(client, f"/api/documents/orders/{shipment.unpacked}/packing-list", tokens["office"])
    assert (unpacked.status_code, unpacked.json()["code"]) == (422, "order_has_no_parcels")


# ---- who may print


def guarded(s: Shipment) -> dict[str, dict]:
    pid, code = s.parcels["cod-2"]
    return {
        f"/api/labels/parcels/{code}": {"format": "zpl"},
        f"/api/labels/parcels/{pid}": {"format": "zpl", "size": "58x40"},
        f"/api/labels/pick-lists/{s.wave}": {"format": "zpl"},
        f"/api/labels/routes/{s.route}": {"format": "zpl"},
        f"/api/documents/orders/{s.cod}/packing-list": {"format": "html"},
    }


async def test_parcel_printing_needs_an_office_role_and_the_callers_warehouse(client, shipment, tokens) -> None:  # noqa: ANN001
    for url, params in guarded(shipment).items():
        assert (await client.get(url, params=params)).status_code == 401, url
        refused = await get(client, url, tokens["integration"], **params)
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden"), url
        for token in (tokens["admin"], tokens["office"], tokens["supervisor"], shipment.local):
            assert (await get(client, url, token, **params)).status_code == 200, url
        foreign = await get(client, url, shipment.foreign, **params)
        assert foreign.status_code == 404 and foreign.json()["code"].endswith("_not_found"), url
    for url, code in (("/api/labels/parcels/046070123450000999", "parcel_not_found"),
                      ("/api/labels/parcels/no-such-parcel", "parcel_not_found"),
                      ("/api/labels/pick-lists/999999", "pick_list_not_found"),
                      ("/api/labels/routes/999999", "route_not_found")):  # fmt: skip
        response = await get(client, url, tokens["office"], format="zpl")
        assert (response.status_code, response.json()["code"]) == (404, code), url
    for params in ({"size": "100x100"}, {"format": "html"}, {"format": "png", "dpi": 150}):
        response = await get(client, next(iter(guarded(shipment))), tokens["office"], **params)
        assert (response.status_code, response.json()["code"]) == (400, "invalid_parameter"), params
    sheet = await get(client, f"/api/labels/routes/{shipment.route}", tokens["office"], format="png")
    assert sheet.status_code == 400  # a sheet is PDF or ZPL


async def test_a_packing_handheld_prints_its_warehouses_parcel_labels_and_nothing_else(client, db, shipment) -> None:  # noqa: ANN001
    pid, code = shipment.parcels["cod-2"]
    here = {"warehouse_id": shipment.world.warehouse}
    _, packer = await a_device(db, "packer", here, "packer-here")
    _, picker = await a_device(db, "picker", here, "picker-here")
    _, elsewhere = await a_device(db, "packer", None, "packer-elsewhere")  # a device of another warehouse
    for parcel in (code, pid):
        label = await get(client, f"/api/labels/parcels/{parcel}", packer, format="svg")
        assert label.status_code == 200 and label.headers["content-type"].startswith("image/svg+xml")
        assert f"(00) {code[0]} {PREFIX} {code[11:17]} {code[17]}" in label.text  # the SSCC's human-readable line
        refused = await get(client, f"/api/labels/parcels/{parcel}", picker, format="svg")
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
        assert (await get(client, f"/api/labels/parcels/{parcel}", elsewhere, format="svg")).status_code == 404
    # A wave's or a route's sheet stays an office job.
    assert (await get(client, f"/api/labels/routes/{shipment.route}", packer, format="zpl")).status_code == 403


# ---- enrollment card


async def test_an_enrollment_card_prints_the_code_just_created_and_nothing_else(client, db, shipment, tokens) -> None:  # noqa: ANN001
    created = await client.post("/api/devices/enrollments", json={"role": "packer", "warehouse_id": shipment.world.warehouse},
                                headers=auth(shipment.local))  # fmt: skip
    assert created.status_code == 201
    code, qr_text = created.json()["code"], created.json()["qr_text"]
    body = {"code": code, "server_url": "http://127.0.0.1:8000/", "role": "packer", "name": "ТСД-7", "utc_offset_minutes": 180}

    async def card(token: str, fmt: str = "svg", dpi: int = 203, **changes) -> httpx.Response:  # noqa: ANN003
        return await client.post("/api/labels/enrollment-card", params={"format": fmt, "dpi": dpi}, json=body | changes, headers=auth(token))

    svg = await card(shipment.local)
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    assert payloads(decode(rasterize_svg_paths(svg.content))) == [qr_text]  # what the devices API hands out
    expires = datetime.fromisoformat(created.json()["expires_at"]) + timedelta(hours=3)
    texts = svg_texts(svg.content)
    assert code in texts and "Роль: упаковщик · ТСД-7" in texts and f"До {expires:%d.%m.%Y %H:%M}" in texts
    png = await card(tokens["admin"], "png", dpi=300)
    assert png.headers["content-type"] == "image/png" and payloads(decode_png(png.content)) == [qr_text]
    pdf = await card(tokens["admin"], "pdf")
    assert payloads(pdf_barcodes(pdf.content)) == [qr_text] and "Подключение ТСД" in pdf_text(pdf.content)

    assert (await card(tokens["office"])).status_code == 403  # managers only, as enrollment itself
    unknown = await card(tokens["admin"], code="ABCDE-FGHJK")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "enrollment_not_found") and "ABCDE" not in unknown.text
    foreign = await card(shipment.foreign)
    assert (foreign.status_code, foreign.json()["code"]) == (404, "enrollment_not_found") and code not in foreign.text
    wrong = await card(tokens["admin"], role="courier")
    assert (wrong.status_code, wrong.json()["code"]) == (422, "enrollment_role_mismatch")
    for bad in ({"server_url": "javascript:alert(1)"}, {"role": "admin"}, {"utc_offset_minutes": 5000}, {"extra": 1}):
        response = await card(tokens["admin"], **bad)
        assert (response.status_code, response.json()["code"]) == (400, "invalid_body"), bad
    assert (await card(tokens["admin"], "zpl")).status_code == 400

    async with db.write() as conn:
        await conn.execute(update(SYNC.enrollments).values(expires_at=datetime(2020, 1, 1, tzinfo=UTC)))
    expired = await card(tokens["admin"])
    assert (expired.status_code, expired.json()["code"]) == (409, "enrollment_expired")
    fresh = (await client.post("/api/devices/enrollments", json={"role": "packer", "warehouse_id": shipment.world.warehouse},
                               headers=auth(tokens["admin"]))).json()["code"]  # fmt: skip
    assert (await client.post("/api/devices/enroll", json={"code": fresh, "name": "ТСД-8"})).status_code == 201
    used = await card(tokens["admin"], code=fresh)
    assert (used.status_code, used.json()["code"]) == (409, "enrollment_invalid")
