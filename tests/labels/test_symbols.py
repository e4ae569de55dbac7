"""Barcode symbols decode back to their exact payload with a real decoder (zxing-cpp)."""

import pytest
import qrcode
import qrcode.constants
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st

from labels.code128 import code128_values
from labels.errors import GS1Error, SymbolError
from labels.matrix_codes import QR_MASK
from labels.png_render import render_symbol_png
from labels.svg_render import render_symbol_svg
from labels.symbols import encode_gs1, encode_symbol, qr_size_estimate

from .decoding import decode, decode_png, rasterize_svg_paths

GS = "\x1d"
CRYPTO44 = "MEUCIQD3h/8pK1+aZ9kQyX2f7c0eLbV5tJw6GmR4sN2o"

CASES = [
    ("code128", "PCL-2026-000042", zxingcpp.BarcodeFormat.Code128),
    ("code128", "1234567890", zxingcpp.BarcodeFormat.Code128),
    ("code128", "ab12345678cd9", zxingcpp.BarcodeFormat.Code128),
    ("gs1-128", "00106141411234567897", zxingcpp.BarcodeFormat.Code128),
    ("gs1-128", "0104607012345677" + "10LOT-7" + GS + "3103001250", zxingcpp.BarcodeFormat.Code128),
    ("ean13", "4006381333931", zxingcpp.BarcodeFormat.EAN13),
    ("qr", "tally:parcel:PCL-2026-000042", zxingcpp.BarcodeFormat.QRCode),
    ("qr", "Курьер: Иванов И. И., +7 900 000-00-00", zxingcpp.BarcodeFormat.QRCode),
    ("gs1-datamatrix", "0104607012345677" + "21ABCDEFGHIJKLM" + GS + "91EE10" + GS + "92" + CRYPTO44,
     zxingcpp.BarcodeFormat.DataMatrix),
    ("gs1-datamatrix", "0104607012345677" + "215kT%2&q" + GS + "93dGVz", zxingcpp.BarcodeFormat.DataMatrix),
]


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize(("kind", "payload", "fmt"), CASES)
def test_png_symbol_decodes_to_its_exact_payload(kind, payload, fmt, dpi):
    symbol = encode_symbol(kind, payload)
    found = decode_png(render_symbol_png(symbol, dpi=dpi, module_mm=0.5 if dpi == 203 else 0.34))
    assert [(b.format, b.bytes.decode("utf-8")) for b in found] == [(fmt, payload)]


@pytest.mark.parametrize(("kind", "payload", "fmt"), CASES)
def test_svg_symbol_decodes_to_its_exact_payload(kind, payload, fmt):
    found = decode(rasterize_svg_paths(render_symbol_svg(encode_symbol(kind, payload))))
    assert [(b.format, b.bytes.decode("utf-8")) for b in found] == [(fmt, payload)]


@pytest.mark.parametrize(
    ("kind", "payload", "symbology_id"),
    [("gs1-128", "00106141411234567897", "]C1"), ("gs1-datamatrix", "0104607012345677" + "21SN1", "]d2")],
)
def test_gs1_symbols_carry_fnc1_so_decoders_report_gs1(kind, payload, symbology_id):
    (found,) = decode_png(render_symbol_png(encode_symbol(kind, payload)))
    assert found.content_type == zxingcpp.ContentType.GS1
    assert found.symbology_identifier == symbology_id


def test_plain_code128_is_not_flagged_gs1():
    (found,) = decode_png(render_symbol_png(encode_symbol("code128", "00106141411234567897")))
    assert found.content_type == zxingcpp.ContentType.Text
    assert found.symbology_identifier == "]C0"


def test_svg_output_is_byte_identical_on_every_call():
    for kind, payload, _ in CASES:
        assert render_symbol_svg(encode_symbol(kind, payload)) == render_symbol_svg(encode_symbol(kind, payload))


def test_sscc_uses_code_c_throughout():
    # ISO/IEC 15417 Annex E: 20 digits after FNC1 → Start C, FNC1, 10 pairs, check = 13 symbol characters.
    assert len(code128_values("00106141411234567897", gs1=True)) == 13


def test_ean13_accepts_12_digits_and_adds_the_check_digit():
    assert encode_symbol("ean13", "400638133393").payload == "4006381333931"


def test_gs1_128_hri_is_the_human_readable_form():
    assert encode_symbol("gs1-128", "00106141411234567897").hri == "(00) 106141411234567897"


def test_gs1_symbols_can_be_built_from_pairs():
    assert encode_gs1("gs1-128", [("00", "106141411234567897")]).payload == "00106141411234567897"


@pytest.mark.parametrize(
    ("kind", "payload", "error", "code"),
    [
        ("gs1-128", "0010614141123456789", GS1Error, "truncated"),
        ("gs1-128", "01" + "0460701234567A", GS1Error, "not_digits"),
        ("ean13", "4006381333932", GS1Error, "bad_check_digit"),
        ("ean13", "40063813339", GS1Error, "key_length"),
        ("code128", "Посылка", SymbolError, "bad_charset"),
        ("gs1-128", "10" + "A" * 20 + GS + "21" + "B" * 20 + GS + "240" + "C" * 10, SymbolError, "too_long"),
        ("pdf417", "x", SymbolError, "unknown_format"),
    ],
)
def test_unencodable_payloads_raise_a_coded_error(kind, payload, error, code):
    with pytest.raises(error) as err:
        encode_symbol(kind, payload)
    assert err.value.code == code


def test_a_qr_payload_too_long_for_version_40_is_a_coded_error():
    with pytest.raises(SymbolError) as err:
        encode_symbol("qr", "x" * 3000).rows  # noqa: B018 - the matrix is built on first use
    assert err.value.code == "too_long"


QR_PAYLOADS = st.text(st.sampled_from("abcXYZ0123456789:-/ ЖЯё€"), min_size=1, max_size=300)


@settings(max_examples=40, deadline=None)
@given(payload=QR_PAYLOADS)
def test_every_qr_decodes_to_its_exact_payload(payload):
    # The mask is fixed rather than scored: whatever the data, the symbol must still read back.
    found = decode_png(render_symbol_png(encode_symbol("qr", payload), module_mm=0.5))
    assert [(b.format, b.text) for b in found] == [(zxingcpp.BarcodeFormat.QRCode, payload)]


@settings(max_examples=200, deadline=None)
@given(payload=QR_PAYLOADS)
def test_a_qr_is_never_larger_than_its_size_estimate(payload):
    # Templates size the QR's box from the estimate without encoding it (the ZPL path never does).
    assert len(encode_symbol("qr", payload).rows) <= qr_size_estimate(payload)


def test_qr_matrices_come_from_the_qrcode_package_with_the_fixed_mask():
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, mask_pattern=QR_MASK)
    qr.add_data("tally:parcel:PCL-2026-000042")
    qr.make(fit=True)
    expected = tuple("".join("1" if dark else "0" for dark in row) for row in qr.modules)
    assert encode_symbol("qr", "tally:parcel:PCL-2026-000042").rows == expected
