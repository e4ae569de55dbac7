"""Label templates: golden SVG/ZPL, barcodes decode from the PNGs, text stays inside, bad input refused."""

import io
import os
from pathlib import Path

import pytest
from pypdf import PdfReader

from labels.errors import GS1Error
from labels.fonts import text_width
from labels.label_pdf import render_labels_pdf
from labels.label_png import render_label_image, render_label_png
from labels.label_svg import render_label_svg
from labels.label_zpl import render_label_zpl
from labels.layout import Barcode, Text
from labels.templates import TEMPLATES

from .builders import a_bin, a_parcel, a_product, an_enrollment
from .decoding import decode, decode_png

GOLDEN = Path(__file__).parent / "golden"
REGEN = os.environ.get("TALLY_REGEN_GOLDEN") == "1"

SAMPLES = {
    "parcel_100x150": a_parcel,
    "parcel_58x40": a_parcel,
    "bin_80x40": a_bin,
    "product_58x40": a_product,
    "enrollment_card": an_enrollment,
}


def a_label(name, **changes):
    return TEMPLATES[name](SAMPLES[name](**changes))


def assert_golden(path: Path, actual: bytes) -> None:
    """Compare with the golden file in memory; TALLY_REGEN_GOLDEN=1 rewrites it instead."""
    if REGEN or not path.exists():
        path.write_bytes(actual)
        if not REGEN:
            pytest.fail(f"golden file {path.name} was missing and has been written; check it and re-run")
    assert actual == path.read_bytes(), f"{path.name} differs; re-run with TALLY_REGEN_GOLDEN=1 if intended"


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_svg_matches_the_golden_file(name):
    assert_golden(GOLDEN / f"{name}.svg", render_label_svg(a_label(name)))


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_zpl_matches_the_golden_file(name):
    assert_golden(GOLDEN / f"{name}.zpl", render_label_zpl(a_label(name)))


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_svg_is_byte_identical_on_every_render(name):
    assert render_label_svg(a_label(name)) == render_label_svg(a_label(name))


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_barcode_in_the_png_decodes_to_its_payload(name, dpi):
    label = a_label(name)
    found = decode_png(render_label_png(label, dpi))
    assert sorted(b.bytes.decode("utf-8") for b in found) == sorted(b.symbol.payload for b in label.barcodes())


def test_shipping_label_sscc_decodes_as_gs1_128():
    found = decode_png(render_label_png(a_label("parcel_100x150"), 203))
    (sscc,) = [b for b in found if b.symbology_identifier == "]C1"]
    assert sscc.text == "00" + a_parcel().sscc


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_png_is_dark_where_each_text_is(name):
    label = a_label(name)
    dpmm = 203 / 25.4
    image = render_label_image(label, 203)
    for item in label.items:
        if isinstance(item, Text) and item.text:
            box = (
                round(item.x * dpmm),
                round((item.y - item.size * 0.75) * dpmm),
                round((item.x + text_width(item.text, item.size, item.bold)) * dpmm),
                round(item.y * dpmm),
            )
            assert image.crop(box).getextrema()[0] < 100, f"no ink for {item.text!r}"


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_nothing_is_drawn_outside_the_label(name):
    label = a_label(name, **({"recipient": a_parcel().recipient.__class__("Ж" * 200, "Ш" * 200, "9" * 90)}
                             if name.startswith("parcel") else {}))  # fmt: skip
    for item in label.items:
        if isinstance(item, Text):
            assert item.x + text_width(item.text, item.size, item.bold) <= label.width
            assert text_width(item.text, item.size, item.bold) <= item.max_width + 1e-9
        elif isinstance(item, Barcode):
            symbol = item.symbol
            assert item.x - symbol.quiet_left * item.module >= -1e-9
            assert item.x + (len(symbol.rows[0]) + symbol.quiet_right) * item.module <= label.width + 1e-9


def test_long_recipient_name_is_cut_with_an_ellipsis():
    long_name = "Константинопольская-Преображенская Анастасия-Виктория Александровна"
    label = a_label("parcel_100x150", recipient=a_parcel().recipient.__class__(long_name, "адрес", "+7"))
    (name_text,) = [i for i in label.items if isinstance(i, Text) and i.text.startswith("Константин")]
    assert name_text.text.endswith("…") and len(name_text.text) < len(long_name)


@pytest.mark.parametrize(
    ("name", "changes", "code"),
    [
        ("parcel_100x150", {"sscc": "046070123450"}, "key_length"),  # 12 digits
        ("parcel_58x40", {"sscc": "04607012345000004X"}, "not_digits"),
        ("parcel_100x150", {"sscc": "046070123450000420"}, "bad_check_digit"),
        ("product_58x40", {"gtin": "40063813339A1"}, "not_digits"),
        ("product_58x40", {"gtin": "4006381333932"}, "bad_check_digit"),
        ("product_58x40", {"gtin": "10614141000019"}, "key_length"),  # GTIN-14 with indicator: not EAN-13
    ],
)
def test_bad_keys_are_refused_before_anything_is_printed(name, changes, code):
    with pytest.raises(GS1Error) as err:
        a_label(name, **changes)
    assert err.value.code == code


def test_zpl_prints_utf8_cyrillic_and_gs1_128_with_fnc1():
    zpl = render_label_zpl(a_label("parcel_100x150")).decode("utf-8")
    assert "^CI28" in zpl
    assert "Иванова Мария Петровна" in zpl
    assert "^BCN,254,N,N,N,N^FD>;>800" + a_parcel().sscc + "^FS" in zpl
    assert "^BQN,2," in zpl and "MA,tally:parcel:PCL-2026-000042" in zpl


def test_zpl_escapes_its_control_characters_in_text():
    zpl = render_label_zpl(a_label("parcel_100x150", order_number="A^B~C_D")).decode("utf-8")
    assert "Заказ № A_5EB_7EC_5FD" in zpl


def test_zpl_escapes_its_control_characters_in_code_128_data():
    zpl = render_label_zpl(a_label("bin_80x40", location="A^1~2_3")).decode("utf-8")
    barcode = next(field for field in zpl.split("^FS") if "^BCN" in field)
    assert "^FH^FD" in barcode and barcode.endswith("A_5E1_7E2_5F3")
    plain = render_label_zpl(a_label("bin_80x40")).decode("utf-8")
    assert "^FH" not in next(field for field in plain.split("^FS") if "^BCN" in field)


def test_pdf_sheet_keeps_cyrillic_text_extractable():
    labels = [a_label("parcel_100x150", parcel_number=n) for n in (1, 2, 3)] + [a_label("product_58x40")]
    reader = PdfReader(io.BytesIO(render_labels_pdf(labels)))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Иванова Мария Петровна" in text
    assert "Наложенный платёж" in text
    assert "Место 3 из 3" in text
    assert len(reader.pages) == 2  # two 100×150 labels fit across A4 width, one row per page


def test_pdf_sheet_barcodes_decode_when_rasterized():
    import pypdfium2

    pdf = pypdfium2.PdfDocument(render_labels_pdf([a_label("parcel_100x150")]))
    image = pdf[0].render(scale=300 / 72).to_pil()
    payloads = sorted(b.bytes.decode() for b in decode(image))
    assert payloads == sorted(b.symbol.payload for b in a_label("parcel_100x150").barcodes())


def test_enrollment_code_is_printed_whole():
    label = a_label("enrollment_card")
    assert any(isinstance(i, Text) and i.text == an_enrollment().code for i in label.items)


def test_enrollment_code_too_long_to_print_whole_is_refused():
    with pytest.raises(ValueError):
        a_label("enrollment_card", code="W" * 40)
