"""Label and document endpoints: every format decodes back, documents read the record, guards and bad input."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import httpx
import pypdfium2
import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import insert

from labels.gs1 import build_sscc
from server.db.tables import invoices, parcels
from server.domain import orders as domain
from server.domain.customers import complete_inn10
from server.usecases import catalog, orders, stock
from server.usecases.customers import create_customer
from server.usecases.picking import create_pick_list
from server.usecases.routes import create_courier, create_route
from server.usecases.tokens import create_token
from server.wire.customers import CustomerWrite
from sync.database import Database
from tests.builders import OFFICE
from tests.conftest import auth
from tests.labels.decoding import decode, decode_png, rasterize_svg_paths
from tests.warehouse.world import World, a_warehouse

HOSTILE = "<script>alert(1)</script>"
SSCC = build_sscc(0, "4607012345", "000042")


@dataclass
class Printable:
    world: World
    order: int  # BOLT 12 (10 in A-01, 2 in C-01) and NUT 3 (B-01), cash on delivery
    other_order: int  # the hostile customer's, card on delivery
    route: int
    empty_warehouse: int
    foreign: str  # a supervisor bound to the empty warehouse
    local: str  # a supervisor bound to the world's warehouse

    @property
    def bin(self) -> int:
        return self.world.bins["A-01"][0]

    @property
    def product(self) -> int:
        return self.world.products["BOLT"][0]


def an_order(customer: int, warehouse: int, lines, payment: domain.PaymentKind) -> domain.OrderRequest:  # noqa: ANN001
    return domain.OrderRequest(
        customer_id=customer,
        warehouse_id=warehouse,
        source=domain.Source.API,
        lines=[domain.LineRequest(sku, qty) for sku, qty in lines],
        payment=domain.PaymentTerms(payment),
        delivery_address="Москва, ул. Ленина, д. 1, кв. 2",
        delivery=domain.DeliveryWindow(date(2026, 11, 30), time(10), time(14)),
        notes="Позвонить за час",
    )


@pytest.fixture
async def printable(db: Database) -> Printable:
    world = await a_warehouse(db, {"BOLT": ("A-01", 10), "NUT": ("B-01", 20)})
    await stock.receive_goods(db, OFFICE, world.warehouse, [stock.ReceiptItem("BOLT", 5, "C-01")], "more")
    order = (await orders.create_order(db, OFFICE, an_order(world.customer, world.warehouse, [("BOLT", 12), ("NUT", 3)],
                                                            domain.PaymentKind.CASH_ON_DELIVERY))).order_id  # fmt: skip
    await orders.confirm_order(db, OFFICE, order)
    hostile = await create_customer(db, CustomerWrite(kind="person", name=HOSTILE, phone="+7 900 000-00-00"))
    other = (await orders.create_order(db, OFFICE, an_order(hostile, world.warehouse, [("NUT", 1)],
                                                            domain.PaymentKind.CARD_ON_DELIVERY))).order_id  # fmt: skip
    courier = await create_courier(db, "Петров Иван", "+7 900 111-22-33", world.warehouse)
    route = await create_route(db, world.warehouse, date(2026, 11, 30), courier, "Газель А123ВС77", [order, other])
    empty = await catalog.create_warehouse(db, "SPB", "Санкт-Петербург")
    foreign, _ = await create_token(db, "supervisor", "spb", warehouse_id=empty)
    local, _ = await create_token(db, "supervisor", "msk", warehouse_id=world.warehouse)
    return Printable(world, order, other, route, empty, foreign, local)


async def a_parcel(db: Database, p: Printable) -> None:
    async with db.write() as conn:
        await conn.execute(insert(parcels).values(
            id="p-1", sscc=SSCC, order_id=p.order, warehouse_id=p.world.warehouse, status="closed",
            weight_g=1250, packed_by="dev-1", opened_at=datetime(2026, 11, 29, tzinfo=UTC),
        ))  # fmt: skip


def pdf_payloads(pdf: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(pdf)
    return sorted(b.bytes.decode() for page in document for b in decode(page.render(scale=300 / 72).to_pil()))


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


async def get(client: httpx.AsyncClient, url: str, token: str, **params) -> httpx.Response:  # noqa: ANN003
    return await client.get(url, params=params, headers=auth(token))


# ---- labels


async def test_a_bin_label_comes_in_every_format_and_scans_as_the_bin_barcode(client, printable, tokens) -> None:  # noqa: ANN001
    url, token = f"/api/labels/bins/{printable.bin}", tokens["office"]
    svg = await get(client, url, token, format="svg")
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    assert [b.bytes.decode() for b in decode(rasterize_svg_paths(svg.content))] == ["LA01"]
    assert svg.headers["content-disposition"] == f'inline; filename="bin-{printable.bin}.svg"'
    for dpi in (203, 300):
        png = await get(client, url, token, format="png", dpi=dpi)
        assert png.headers["content-type"] == "image/png"
        assert round(Image.open(io.BytesIO(png.content)).info["dpi"][0]) == dpi
        assert [b.bytes.decode() for b in decode_png(png.content)] == ["LA01"]
    pdf = await get(client, url, token)  # PDF is the default
    assert pdf.headers["content-type"] == "application/pdf" and pdf_payloads(pdf.content) == ["LA01"]
    zpl = await get(client, url, token, format="zpl")
    assert zpl.headers["content-type"] == "text/plain; charset=utf-8"
    assert zpl.text.count("^XA") == 1 and "^CI28" in zpl.text and "^FD>:LA01^FS" in zpl.text
    assert "Москва · A · A-01" in zpl.text  # the people's code rides on the zone line


async def test_a_product_label_carries_the_unit_ean_in_every_format_and_needs_one(client, db, printable, tokens) -> None:  # noqa: ANN001
    url, ean = f"/api/labels/products/{printable.product}", printable.world.products["BOLT"][1]
    svg = await get(client, url, tokens["supervisor"], format="svg")
    assert [b.bytes.decode() for b in decode(rasterize_svg_paths(svg.content))] == [ean]
    png = await get(client, url, tokens["supervisor"], format="png", dpi=300)
    assert [(b.format.name, b.bytes.decode()) for b in decode_png(png.content)] == [("EAN13", ean)]
    pdf = await get(client, url, tokens["supervisor"], format="pdf")
    assert pdf_payloads(pdf.content) == [ean] and "Болт BOLT" in pdf_text(pdf.content)
    zpl = await get(client, url, tokens["supervisor"], format="zpl")
    assert "^BEN," in zpl.text and f"^FD{ean[:12]}^FS" in zpl.text and "10,01 RUB" in zpl.text

    loose = await catalog.create_product(db, catalog.ProductSpec("LOOSE", "Гвозди на вес", 500, "RUB"))
    refused = await get(client, f"/api/labels/products/{loose}", tokens["office"], format="svg")
    assert refused.status_code == 422 and refused.json()["code"] == "product_without_gtin"


async def test_a_bin_barcode_code_128_cannot_carry_is_refused_not_misprinted(client, db, printable, tokens) -> None:  # noqa: ANN001
    location = await catalog.create_location(db, printable.world.warehouse, "D-01", "ЯЧЕЙКА-Д1", "D", 40)
    response = await get(client, f"/api/labels/bins/{location}", tokens["office"], format="png")
    assert response.status_code == 422
    assert response.json()["code"] == "label_unprintable" and response.json()["reason"] == "bad_charset"


async def test_all_bins_of_a_warehouse_print_as_one_pdf_sheet_or_one_zpl_stream(client, printable, tokens) -> None:  # noqa: ANN001
    url = f"/api/labels/warehouses/{printable.world.warehouse}/bins"
    pdf = await get(client, url, tokens["admin"], format="pdf")
    assert pdf.status_code == 200 and pdf_payloads(pdf.content) == ["LA01", "LB01", "LC01"]
    assert len(PdfReader(io.BytesIO(pdf.content)).pages) == 1
    zpl = await get(client, url, tokens["admin"], format="zpl", dpi=300)
    assert zpl.text.count("^XA") == 3 and zpl.text.count("^XZ") == 3
    assert zpl.text.index("LA01") < zpl.text.index("LB01") < zpl.text.index("LC01")  # walking order
    assert zpl.headers["content-disposition"].endswith('.zpl"')
    empty = await get(client, f"/api/labels/warehouses/{printable.empty_warehouse}/bins", tokens["admin"])
    assert empty.status_code == 422 and empty.json()["code"] == "warehouse_has_no_bins"


# ---- documents


def bins_in_order(html: str) -> list[str]:
    return re.findall(r"<td>([A-C]-01)</td>", html)


async def test_pick_list_splits_lines_over_bins_in_walking_order_with_barcodes(client, db, printable, tokens) -> None:  # noqa: ANN001
    url = f"/api/documents/orders/{printable.order}/pick-list"
    html = await get(client, url, tokens["office"], format="html")
    assert html.status_code == 200 and html.headers["content-type"] == "text/html; charset=utf-8"
    assert bins_in_order(html.text) == ["A-01", "B-01", "C-01"]  # BOLT 10, NUT 3, BOLT 2
    assert "Лист подбора по заказу № SO-" in html.text
    pdf = await get(client, url, tokens["office"], format="pdf")
    bolt, nut = printable.world.products["BOLT"][1], printable.world.products["NUT"][1]
    number = re.search(r"SO-\d+", html.text).group()
    assert pdf_payloads(pdf.content) == sorted([number, "LA01", "LB01", "LC01", bolt, nut, bolt])

    # Once a pick list exists, the document follows its bins, even if stock moved since.
    await create_pick_list(db, printable.world.warehouse, [printable.order])
    await stock.receive_goods(db, OFFICE, printable.world.warehouse, [stock.ReceiptItem("BOLT", 50, "B-01")], "late")
    english = await get(client, url, tokens["office"], format="html", lang="en")
    assert bins_in_order(english.text) == ["A-01", "B-01", "C-01"] and "Pick list for order" in english.text


async def test_invoice_reads_the_buyer_lines_and_totals_and_the_issued_number(client, db, printable, tokens) -> None:  # noqa: ANN001
    url = f"/api/documents/orders/{printable.order}/invoice"
    pdf = await get(client, url, tokens["office"])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content)
    # BOLT 12 × 10,01 + NUT 3 × 10,02 = 150,18 ₽
    for phrase in ("Счёт на оплату № SO-", "ООО «Метиз», ИНН 7707083893", "Болт BOLT", "150,18 ₽", "Без НДС"):
        assert phrase in text
    html = await get(client, url, tokens["office"], format="html", lang="en")
    assert "Invoice SO-" in html.text and "RUB 150.18" in html.text and "Cash on delivery" in html.text
    assert "Due date</dt><dd>2026-11-30" in html.text  # a pro forma: collected at the door on the delivery day

    async with db.write() as conn:
        await conn.execute(insert(invoices).values(
            number="СЧ-2026-000007", order_id=printable.order, customer_id=printable.world.customer,
            issued_on=date(2026, 11, 29), due_on=date(2026, 12, 9), currency="RUB", total=15018, paid=0, status="open",
            created_at=datetime(2026, 11, 29, tzinfo=UTC),
        ))  # fmt: skip
    issued = (await get(client, url, tokens["office"], format="html")).text
    assert "Счёт на оплату № СЧ-2026-000007 от 29.11.2026" in issued and "Оплатить до</dt><dd>09.12.2026" in issued
    assert "Заказ № SO-" in issued  # the order stays the basis


SELLER_INN = complete_inn10("500100732")
SELLER = {"seller_name": "ООО «Тэлли Трейд»", "seller_inn": SELLER_INN, "seller_kpp": "500101001",
          "seller_address": "Москва, ул. Складская, д. 5", "vat_rate": 20}  # fmt: skip


@pytest.mark.parametrize("settings", [SELLER], indirect=True)
async def test_invoice_and_waybill_print_the_sellers_requisites_and_the_vat_inside_the_prices(client, db, printable, tokens) -> None:  # noqa: ANN001
    seller = f"ООО «Тэлли Трейд», ИНН {SELLER_INN}, КПП 500101001, Москва, ул. Складская, д. 5"
    invoice = pdf_text((await get(client, f"/api/documents/orders/{printable.order}/invoice", tokens["office"])).content)
    # 150,18 ₽ with VAT inside: 120,12 × 20/120 = 20,02 and 30,06 × 20/120 = 5,01.
    for phrase in (seller, "В том числе НДС (20%)", "25,03 ₽", "150,18 ₽"):
        assert phrase in invoice
    assert "Без НДС" not in invoice
    waybill = (await get(client, f"/api/documents/orders/{printable.order}/waybill", tokens["office"], format="html")).text
    assert seller in waybill and waybill.count(">20%</td>") == 2 and "25,03 ₽" in waybill  # a rate on each line


@pytest.mark.parametrize("settings", [{"seller_inn": "7707083894"}, {"seller_kpp": "5001"}, {"vat_rate": 120}], indirect=True)
async def test_bad_seller_requisites_in_the_settings_are_refused_with_their_code(client, db, printable, tokens, settings) -> None:  # noqa: ANN001
    answer = await get(client, f"/api/documents/orders/{printable.order}/invoice", tokens["office"])
    expected = "seller_inn_invalid" if settings.seller_inn else "seller_kpp_invalid" if settings.seller_kpp else "vat_rate_invalid"
    assert (answer.status_code, answer.json()["code"]) == (422, expected)


async def test_waybill_is_a_torg_12_layout_of_the_order(client, db, printable, tokens) -> None:  # noqa: ANN001
    await a_parcel(db, printable)
    url = f"/api/documents/orders/{printable.order}/waybill"
    pdf = await get(client, url, tokens["supervisor"], format="pdf")
    text = pdf_text(pdf.content)
    for phrase in ("Товарная накладная № SO-", "от 30.11.2026", "Грузополучатель", "Москва, ул. Ленина, д. 1, кв. 2",
                   "Груз получил грузополучатель", "150,18 ₽", "Всего мест: 1"):  # fmt: skip
        assert phrase in text
    page = PdfReader(io.BytesIO(pdf.content)).pages[0]
    assert page.mediabox.width > page.mediabox.height  # landscape, as the form is printed
    html = await get(client, url, tokens["supervisor"], format="html")
    assert "<td>Итого</td>" in html.text


async def test_route_sheet_lists_stops_with_parcels_cod_and_totals(client, db, printable, tokens) -> None:  # noqa: ANN001
    await a_parcel(db, printable)
    url = f"/api/documents/routes/{printable.route}/route-sheet"
    html = (await get(client, url, tokens["office"], format="html")).text
    assert f"Маршрутный лист № {printable.route}" in html and "Петров Иван, +7 900 111-22-33" in html
    assert html.index("ООО «Метиз»") < html.index("&lt;script&gt;")  # stops in route order
    assert SSCC in html and "10:00–14:00" in html and "Газель А123ВС77" in html
    # Stop 1 pays 150,18 ₽ in cash, stop 2 10,02 ₽ by card.
    assert "<dt>Наличными</dt><dd>150,18 ₽</dd><dt>Картой</dt><dd>10,02 ₽</dd>" in html
    assert "<dt>Всего к получению</dt><dd>160,20 ₽</dd>" in html
    text = pdf_text((await get(client, url, tokens["office"], format="pdf", lang="en")).content)
    assert "Route sheet" in text and "RUB 160.20" in text and "Recipient's signature" in text


async def test_documents_print_a_hostile_customer_name_as_text(client, printable, tokens) -> None:  # noqa: ANN001
    for url in (f"/api/documents/orders/{printable.other_order}/pick-list",
                f"/api/documents/orders/{printable.other_order}/invoice",
                f"/api/documents/routes/{printable.route}/route-sheet"):  # fmt: skip
        html = (await get(client, url, tokens["office"], format="html")).text
        assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# ---- who may print, and bad requests


def endpoints(p: Printable) -> dict[str, tuple[str, dict]]:
    """Every printing URL with a cheap format, and whether a foreign-warehouse supervisor must get 404
    (the parcel ones need `a_parcel`)."""
    return {
        f"/api/labels/bins/{p.bin}": ({"format": "zpl"}, True),
        f"/api/labels/products/{p.product}": ({"format": "zpl"}, False),  # products belong to no warehouse
        f"/api/labels/warehouses/{p.world.warehouse}/bins": ({"format": "zpl"}, True),
        f"/api/labels/parcels/{SSCC}": ({"format": "zpl"}, True),
        f"/api/labels/routes/{p.route}": ({"format": "zpl"}, True),
        f"/api/documents/orders/{p.order}/pick-list": ({"format": "html"}, True),
        f"/api/documents/orders/{p.order}/packing-list": ({"format": "html"}, True),
        f"/api/documents/orders/{p.order}/invoice": ({"format": "html"}, True),
        f"/api/documents/orders/{p.order}/waybill": ({"format": "html"}, True),
        f"/api/documents/routes/{p.route}/route-sheet": ({"format": "html"}, True),
    }


async def test_printing_needs_a_token_an_office_role_and_the_callers_warehouse(client, db, printable, tokens) -> None:  # noqa: ANN001
    await a_parcel(db, printable)
    for url, (params, bound) in endpoints(printable).items():
        assert (await client.get(url, params=params)).status_code == 401, url
        refused = await get(client, url, tokens["integration"], **params)
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden", url
        for role in ("admin", "office", "supervisor"):
            assert (await get(client, url, tokens[role], **params)).status_code == 200, (url, role)
        assert (await get(client, url, printable.local, **params)).status_code == 200, url
        foreign = await get(client, url, printable.foreign, **params)
        assert foreign.status_code == (404 if bound else 200), url
        if bound:
            assert foreign.json()["code"].endswith("_not_found"), url


BAD_PARAMETERS = [
    ("/api/labels/bins/1", {"format": "gif"}),
    ("/api/labels/bins/1", {"format": "png", "dpi": 600}),
    ("/api/labels/products/1", {"format": "html"}),
    ("/api/labels/warehouses/1/bins", {"format": "svg"}),  # a sheet is PDF or ZPL
    ("/api/labels/parcels/p-1", {"size": "A4"}),
    ("/api/labels/pick-lists/1", {"format": "png"}),
    ("/api/labels/routes/1", {"format": "zpl", "dpi": 600}),
    ("/api/documents/orders/1/packing-list", {"lang": "de"}),
    ("/api/documents/orders/1/pick-list", {"format": "zpl"}),
    ("/api/documents/orders/1/invoice", {"lang": "de"}),
    ("/api/documents/routes/1/route-sheet", {"format": "docx"}),
]


async def test_an_unknown_format_language_or_dpi_is_a_bad_parameter(client, tokens) -> None:  # noqa: ANN001
    for url, params in BAD_PARAMETERS:
        response = await get(client, url, tokens["office"], **params)
        assert response.status_code == 400, (url, params)
        assert response.json()["code"] == "invalid_parameter", (url, params)
        assert response.headers["content-type"] == "application/problem+json"


async def test_unknown_things_answer_404_with_their_kind(client, tokens) -> None:  # noqa: ANN001
    for url, code in (
        ("/api/labels/bins/999999", "location_not_found"),
        ("/api/labels/products/999999", "product_not_found"),
        ("/api/labels/warehouses/999999/bins", "warehouse_not_found"),
        ("/api/labels/parcels/000000000000000000", "parcel_not_found"),
        ("/api/labels/pick-lists/999999", "pick_list_not_found"),
        ("/api/labels/routes/999999", "route_not_found"),
        ("/api/documents/orders/999999/packing-list", "order_not_found"),
        ("/api/documents/orders/999999/invoice", "order_not_found"),
        ("/api/documents/routes/999999/route-sheet", "route_not_found"),
    ):
        response = await get(client, url, tokens["office"], format="zpl" if "labels" in url else "html")
        assert (response.status_code, response.json()["code"]) == (404, code), url
