"""Printable documents: barcodes decode back, Cyrillic survives in PDF, HTML escapes, money and totals add up."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pypdfium2
import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader

from labels.documents import LAYOUTS, layout_document, render_document
from labels.documents.amounts import line_amounts, total_amounts, vat_inside
from labels.documents.data import (
    DocumentLine,
    GeoPoint,
    InvoiceData,
    Organization,
    PackingListData,
    Parcel,
    ParcelItem,
    PickLine,
    PickListData,
    ProofOfDeliveryData,
    RouteSheetData,
    RouteStop,
    WaybillData,
)
from labels.documents.errors import DocumentError
from labels.documents.formatting import money_text
from labels.documents.model import Code, Figure, Table, Title, usable_width
from labels.documents.route_sheet import cod_totals
from labels.documents.strings import PAYMENTS, STRINGS, UNITS
from labels.gs1 import build_sscc
from labels.label_data import Money

from .decoding import decode, rasterize_svg_paths

GOLDEN = Path(__file__).parent / "golden"
REGEN = os.environ.get("TALLY_REGEN_GOLDEN") == "1"
HOSTILE = "<script>alert(1)</script>"

SELLER = Organization("ООО «Тэлли Склад»", "7707083893", "770701001", "Москва, ул. Складская, д. 1", "+7 495 000-00-00")
BUYER = Organization("ООО «Ромашка»", "7736050003", "773601001", "Москва, Ленинский пр., д. 30")
SSCCS = tuple(build_sscc(0, "4607012345", f"{n:06d}") for n in (41, 42, 43))
LINES = (
    DocumentLine("BOLT-M8", "Болт М8×40 оцинкованный", 12, 1250),
    DocumentLine("NUT-M8", "Гайка М8", 30, 333),
    DocumentLine("CABLE", "Кабель ВВГнг 3×2,5", 25, 8990, "m"),
)


def a_signature() -> bytes:
    image = Image.new("L", (300, 120), 255)
    ImageDraw.Draw(image).line([(10, 90), (60, 20), (110, 100), (160, 30), (230, 95), (290, 40)], fill=0, width=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def a_pick_list(**changes) -> PickListData:
    pick = PickListData(
        "SO-0000042", "Склад Москва-1", "ООО «Ромашка»",
        (
            PickLine("BOLT-M8", "Болт М8×40 оцинкованный", 12, "pcs", "4006381333931", "A-01-2", "L1A012", 20),
            PickLine("WASHER", "Шайба", 5),  # in no bin: goes last
            PickLine("NUT-M8", "Гайка М8", 30, "pcs", "", "A-01-1", "L1A011", 10),
        ),
        dt.date(2026, 3, 12), "Позвонить за час",
    )  # fmt: skip
    return dataclasses.replace(pick, **changes)


def a_packing_list(**changes) -> PackingListData:
    parcels = (
        Parcel(SSCCS[0], (ParcelItem("BOLT-M8", "Болт М8×40", 12), ParcelItem("NUT-M8", "Гайка М8", 30)), 1250),
        Parcel(SSCCS[1], (ParcelItem("SHOES", "Ботинки", 2, "pcs", ("0104600439931256215Qbag!\x1d93Zjqw",)),), 2400,
               pallet_sscc=SSCCS[2]),  # fmt: skip
    )
    packing = PackingListData("SO-0000042", dt.date(2026, 3, 12), SELLER, BUYER, parcels, "Москва, Ленинский пр., д. 30")
    return dataclasses.replace(packing, **changes)


def a_route_sheet(**changes) -> RouteSheetData:
    stops = (
        RouteStop(2, "SO-0000043", "Иванова Мария", "Москва, ул. Тверская, д. 7, кв. 3", "+7 916 000-00-00",
                  dt.time(12), dt.time(16), (), "card_on_delivery", Money(99900, "RUB"), "Домофон 3К"),
        RouteStop(1, "SO-0000042", "ООО «Ромашка»", "Москва, Ленинский пр., д. 30", "+7 921 123-45-67",
                  dt.time(10), dt.time(14), SSCCS[:2], "cash_on_delivery", Money(123450, "RUB")),
        RouteStop(3, "SO-0000044", "ИП Сидоров", "Москва, ул. Арбат, 1", payment="prepaid", parcels=(SSCCS[2],)),
    )  # fmt: skip
    sheet = RouteSheetData("R-12", dt.date(2026, 3, 12), "Склад Москва-1", "Петров Иван", stops, "+7 900 111-22-33",
                           "Газель А123ВС77")  # fmt: skip
    return dataclasses.replace(sheet, **changes)


def an_invoice(**changes) -> InvoiceData:
    invoice = InvoiceData("SO-0000042", dt.date(2026, 3, 10), SELLER, BUYER, "RUB", LINES, dt.date(2026, 3, 20),
                          order_number="SO-0000042", payment="invoice", vat_rate=20)  # fmt: skip
    return dataclasses.replace(invoice, **changes)


def a_waybill(**changes) -> WaybillData:
    waybill = WaybillData("SO-0000042", dt.date(2026, 3, 12), SELLER, BUYER, "RUB", LINES, order_number="SO-0000042",
                          parcel_count=3, vat_rate=20)  # fmt: skip
    return dataclasses.replace(waybill, **changes)


def a_proof(**changes) -> ProofOfDeliveryData:
    proof = ProofOfDeliveryData(
        "SO-0000042", dt.datetime(2026, 3, 12, 13, 7, tzinfo=dt.timezone(dt.timedelta(hours=3))), "Иванова М. П.",
        SSCCS[:2], a_signature(), GeoPoint(55.751244, 37.618423, 12.0), "ООО «Ромашка»", "Москва, Ленинский пр., д. 30",
        "Петров Иван",
    )  # fmt: skip
    return dataclasses.replace(proof, **changes)


SAMPLES = {
    "pick_list": a_pick_list,
    "packing_list": a_packing_list,
    "route_sheet": a_route_sheet,
    "invoice": an_invoice,
    "waybill": a_waybill,
    "proof_of_delivery": a_proof,
}

# Where each document prints the customer's (or recipient's) name: the field a hostile value goes into.
HOSTILE_NAMES = {
    "pick_list": lambda: a_pick_list(customer=HOSTILE),
    "packing_list": lambda: a_packing_list(recipient=Organization(HOSTILE)),
    "route_sheet": lambda: a_route_sheet(stops=(dataclasses.replace(a_route_sheet().stops[0], recipient=HOSTILE),)),
    "invoice": lambda: an_invoice(buyer=Organization(HOSTILE)),
    "waybill": lambda: a_waybill(consignee=Organization(HOSTILE)),
    "proof_of_delivery": lambda: a_proof(recipient_name=HOSTILE),
}


def codes_in(data) -> list[Code]:
    """Every barcode a document lays out, wherever it sits."""
    found = []
    for block in layout_document(data, "ru").blocks:
        if isinstance(block, Title) and block.code:
            found.append(block.code)
        elif isinstance(block, Figure) and isinstance(block.content, Code):
            found.append(block.content)
        elif isinstance(block, Table):
            found += [cell for row in block.rows for cell in row.cells if isinstance(cell, Code)]
    return found


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def assert_golden(path: Path, actual: bytes) -> None:
    """Compare with the golden file in memory; TALLY_REGEN_GOLDEN=1 rewrites it (as the label tests do)."""
    if REGEN or not path.exists():
        path.write_bytes(actual)
        if not REGEN:
            pytest.fail(f"golden file {path.name} was missing and has been written; check it and re-run")
    assert actual == path.read_bytes(), f"{path.name} differs; re-run with TALLY_REGEN_GOLDEN=1 if intended"


# ---- barcodes decode back


@pytest.mark.parametrize("name", ["pick_list", "packing_list", "proof_of_delivery"])
def test_every_barcode_in_the_pdf_decodes_to_its_exact_payload(name):
    data = SAMPLES[name]()
    pdf = pypdfium2.PdfDocument(render_document(data, "pdf", "ru"))
    found = [b for page in pdf for b in decode(page.render(scale=300 / 72).to_pil())]
    assert sorted(b.bytes.decode() for b in found) == sorted(code.symbol.payload for code in codes_in(data))


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_barcode_in_the_html_is_an_inline_svg_that_decodes(name):
    data = SAMPLES[name]()
    html = render_document(data, "html", "en").decode()
    svgs = re.findall(r"<svg .*?</svg>", html)
    payloads = []
    for svg in svgs:
        (barcode,) = decode(rasterize_svg_paths(svg.encode()))
        payloads.append(barcode.bytes.decode())
    assert sorted(payloads) == sorted(code.symbol.payload for code in codes_in(data))


def test_pick_list_has_a_code_128_for_each_bin_and_each_item():
    payloads = [code.symbol.payload for code in codes_in(a_pick_list())]
    assert payloads == ["SO-0000042", "L1A011", "NUT-M8", "L1A012", "4006381333931", "WASHER"]
    assert {code.symbol.kind for code in codes_in(a_pick_list())} == {"code128"}


def test_sscc_on_packing_list_and_proof_decodes_as_gs1_128():
    pdf = pypdfium2.PdfDocument(render_document(a_packing_list(), "pdf", "en"))
    found = decode(pdf[0].render(scale=300 / 72).to_pil())
    gs1 = sorted(b.bytes.decode() for b in found if b.symbology_identifier == "]C1")
    assert gs1 == sorted("00" + sscc for sscc in SSCCS[:2])


def test_the_proof_of_delivery_qr_opens_the_point_on_a_map():
    (qr,) = [code for code in codes_in(a_proof()) if code.symbol.kind == "qr"]
    assert qr.symbol.payload == "geo:55.751244,37.618423"


def test_a_bin_barcode_code_128_cannot_carry_prints_as_text():
    data = a_pick_list(lines=(PickLine("BOLT", "Болт", 1, bin_code="Я-1", bin_barcode="ЯЧЕЙКА-1", pick_seq=1),))
    assert [c.symbol.payload for c in codes_in(data)] == ["SO-0000042", "BOLT"]
    assert "ЯЧЕЙКА-1" in render_document(data, "html", "ru").decode()


# ---- text: Cyrillic, escaping, golden


@pytest.mark.parametrize(
    ("name", "phrases"),
    [
        ("pick_list", ["Лист подбора по заказу № SO-0000042", "ячейках", "Гайка М8", "Отобрал"]),
        ("route_sheet", ["Маршрутный лист № R-12", "Наложенный платёж", "Иванова Мария", "Подпись получателя"]),
        ("invoice", ["Счёт на оплату № SO-0000042 от 10.03.2026", "ИНН 7736050003", "КПП 773601001", "2 497,40 ₽"]),
        ("waybill", ["Товарная накладная", "Груз получил грузополучатель", "Кабель ВВГнг 3×2,5", "416,23 ₽"]),
        ("packing_list", ["Упаковочный лист", "Место 2 из 2", "Ботинки"]),
        ("proof_of_delivery", ["Подтверждение доставки", "Иванова М. П.", "55.751244, 37.618423 ±12 м"]),
    ],
)
def test_cyrillic_text_survives_in_the_pdf(name, phrases):
    text = pdf_text(render_document(SAMPLES[name](), "pdf", "ru"))
    for phrase in phrases:
        assert phrase in text


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_html_prints_a_hostile_customer_name_as_text(name):
    html = render_document(HOSTILE_NAMES[name](), "html", "ru").decode()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_pdf_prints_a_hostile_customer_name_as_plain_text():
    assert HOSTILE in pdf_text(render_document(HOSTILE_NAMES["invoice"](), "pdf", "ru"))


def test_pick_list_html_matches_the_golden_file():
    assert_golden(GOLDEN / "pick_list_ru.html", render_document(a_pick_list(), "html", "ru"))


def test_html_is_the_same_on_every_render():
    for make in SAMPLES.values():
        assert render_document(make(), "html", "en") == render_document(make(), "html", "en")


def test_english_documents_use_english_words_and_money():
    html = render_document(an_invoice(), "html", "en").decode()
    assert "Invoice SO-0000042 of 2026-03-10" in html and "RUB 2,497.40" in html and "Including VAT (20%)" in html
    assert "₽" not in html and "Счёт" not in html


# ---- layout rules


def test_pick_list_lines_follow_the_bin_walking_order_and_binless_lines_come_last():
    (table,) = [b for b in layout_document(a_pick_list(), "ru").blocks if isinstance(b, Table)]
    assert [row.cells[1] for row in table.rows] == ["A-01-1", "A-01-2", "нет в ячейках"]
    assert [row.cells[0] for row in table.rows] == ["1", "2", "3"]


def test_a_long_pick_list_repeats_the_table_header_on_every_page():
    lines = tuple(PickLine(f"SKU-{n:03d}", f"Товар {n}", n, bin_code=f"A-{n:03d}", bin_barcode=f"LA{n:03d}", pick_seq=n)
                  for n in range(1, 31))  # fmt: skip
    reader = PdfReader(io.BytesIO(render_document(a_pick_list(lines=lines), "pdf", "ru")))
    assert len(reader.pages) >= 2
    for page in reader.pages:
        assert "Штрихкод ячейки" in page.extract_text()


def test_route_sheet_lists_stops_in_order_with_a_signature_row_each():
    (table,) = [b for b in layout_document(a_route_sheet(), "ru").blocks if isinstance(b, Table)]
    assert [row.cells[0] for row in table.rows] == ["1", "2", "3"]
    assert [row.cells[-1] for row in table.rows] == ["", "", ""]  # room to sign
    assert table.min_row_height >= 10
    assert [row.cells[7] for row in table.rows] == ["1 234,50 ₽", "999,00 ₽", "—"]


def test_route_sheet_cod_totals_split_cash_and_card_per_currency():
    stops = a_route_sheet().stops + (RouteStop(4, "SO-5", "X", "Y", payment="cash_on_delivery", amount_due=Money(500, "USD")),)
    assert cod_totals(stops) == {
        "RUB": {"route_sheet.cod_cash": 123450, "route_sheet.cod_card": 99900, "route_sheet.cod_total": 223350},
        "USD": {"route_sheet.cod_cash": 500, "route_sheet.cod_total": 500},
    }
    text = pdf_text(render_document(a_route_sheet(), "pdf", "ru"))
    assert "Всего к получению" in text and "2 233,50 ₽" in text


def test_document_widths_fill_the_page_exactly():
    for make in SAMPLES.values():
        document = layout_document(make(), "ru")
        for table in (b for b in document.blocks if isinstance(b, Table)):
            assert sum(c.width for c in table.columns) == pytest.approx(usable_width(document.landscape))


def test_a_very_long_address_is_cut_in_the_pdf_instead_of_overflowing():
    stop = dataclasses.replace(a_route_sheet().stops[0], address="Москва, " + "очень длинная улица " * 300)
    pdf = render_document(a_route_sheet(stops=(stop,)), "pdf", "ru")
    assert "…" in pdf_text(pdf)


# ---- proof of delivery picture


def test_signature_png_is_embedded_byte_for_byte_in_html_and_drawn_in_pdf():
    png = a_signature()
    html = render_document(a_proof(), "html", "ru").decode()
    assert f"data:image/png;base64,{base64.b64encode(png).decode()}" in html
    page = PdfReader(io.BytesIO(render_document(a_proof(), "pdf", "ru"))).pages[0]
    assert len(page.images) == 1


def test_a_proof_without_a_signature_says_so():
    assert "подпись не получена" in render_document(a_proof(signature_png=None), "html", "ru").decode()


def test_a_signature_that_is_not_a_png_is_refused():
    with pytest.raises(DocumentError) as error:
        layout_document(a_proof(signature_png=b"GIF89a...."), "ru")
    assert error.value.code == "not_png"
    with pytest.raises(DocumentError):
        layout_document(a_proof(signature_png=b"\x89PNG\r\n\x1a\n broken"), "ru")


# ---- money, VAT, strings


@pytest.mark.parametrize(
    ("money", "ru", "en"),
    [
        (Money(123450, "RUB"), "1 234,50 ₽", "RUB 1,234.50"),
        (Money(5, "RUB"), "0,05 ₽", "RUB 0.05"),
        (Money(100000000, "RUB"), "1 000 000,00 ₽", "RUB 1,000,000.00"),
        (Money(-1999, "USD"), "-19,99 USD", "-USD 19.99"),
        (Money(1500, "JPY"), "1 500 JPY", "JPY 1,500"),
    ],
)
def test_money_is_printed_from_integer_minor_units(money, ru, en):
    assert money_text(money, "ru") == ru
    assert money_text(money, "en") == en


def test_vat_inside_a_price_is_rounded_half_up_to_the_kopeck():
    assert vat_inside(12000, 20) == 2000  # 120,00 incl. 20 % → 20,00
    assert vat_inside(9990, 20) == 1665  # 16,65
    assert vat_inside(3, 20) == 1  # 0,5 kopeck rounds up
    assert vat_inside(2, 20) == 0


def test_invoice_and_waybill_totals_are_the_sums_of_their_lines():
    amounts = [line_amounts(line, 20) for line in LINES]
    total = total_amounts(amounts)
    assert total.gross == 15000 + 9990 + 224750
    assert total.net + total.vat == total.gross
    assert total.vat == sum(a.vat for a in amounts) == 2500 + 1665 + 37458
    assert "Без НДС" in render_document(an_invoice(vat_rate=None), "html", "ru").decode()


def test_every_language_has_every_string():
    assert STRINGS["ru"].keys() == STRINGS["en"].keys()
    assert UNITS["ru"].keys() == UNITS["en"].keys()
    assert PAYMENTS["ru"].keys() == PAYMENTS["en"].keys()


@pytest.mark.parametrize(("fmt", "lang", "code"), [("pdf", "de", "unknown_language"), ("docx", "ru", "unknown_format")])
def test_an_unknown_language_or_format_is_refused(fmt, lang, code):
    with pytest.raises(DocumentError) as error:
        render_document(a_pick_list(), fmt, lang)
    assert error.value.code == code


def test_every_document_has_a_layout():
    assert {make().__class__ for make in SAMPLES.values()} == set(LAYOUTS)


def test_the_documents_import_nothing_from_the_server():
    probe = "import sys, labels.documents; print(sorted(m for m in sys.modules if m.split('.')[0] in ('server', 'sync')))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                            cwd=Path(__file__).parents[2])  # fmt: skip
    assert result.stdout.strip() == "[]"
