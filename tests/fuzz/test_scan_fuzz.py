"""Scan strings a handheld may send (keyboard-wedge noise, GS1 element strings with and without group
separators, mutated real codes): the server's scan resolution answers a product or refuses with
`unknown_barcode`, and the GS1 parser underneath fails only with its own GS1Error.
(Round trips of well-formed element strings: tests/labels/test_gs1_properties.py.)"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from labels.errors import GS1Error
from labels.gs1_parse import parse_gs1
from labels.marking_code import split_serial_tail
from server.domain.refusals import Refused
from server.domain.scanning import BarcodeRef, ScannedItem, barcode_keys, resolve_scan

GS = "\x1d"
CATALOG = {"4600000000015": BarcodeRef(1, 1), "04600000000022": BarcodeRef(2, 12), "46000003": BarcodeRef(3, 1)}
REAL = ["0104600000000015215abcDEF" + GS + "93Ab12", "]d2010460000000002221XYZ", "]C100046012345000000017", "4600000000015",
        "010460000000001510LOT7" + GS + "17271231", "]Q3010460000000002221serial" + GS + "91EE10" + GS + "92crypto=="]  # fmt: skip

# Insertions of characters scanners and people produce: separators, symbology prefixes, digits, letters, control characters.
NOISE = st.text(alphabet=st.sampled_from(["0", "1", "9", "2", "1", "7", GS, "]", "C", "d", "Q", "3", "\r", "\n", "Ж", "\x00", "(", ")", " "]),
                max_size=6)  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn) -> str:
    code = draw(st.sampled_from(REAL))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(code)))
        cut = draw(st.integers(0, 3))
        code = code[:at] + draw(NOISE) + code[at + cut :]
    return code


def test_the_real_codes_the_mutations_start_from_resolve() -> None:
    # So that mutations start on the paths that find a product, not only on refusals.
    assert [resolve_scan(code, CATALOG).product_id for code in REAL if "00046012345" not in code] == [1, 2, 1, 1, 2]
    assert resolve_scan(REAL[0], CATALOG).marking_code == "0104600000000015215abcDEF"


SCANS = mutated() | st.text(max_size=80) | st.text(alphabet="0123456789" + GS, max_size=60)


@settings(max_examples=1500, deadline=None)
@given(SCANS)
def test_resolving_any_scan_answers_a_product_or_unknown_barcode(code: str) -> None:
    try:
        item = resolve_scan(code, CATALOG)
    except Refused as refusal:
        assert refusal.code == "unknown_barcode"
    else:
        assert isinstance(item, ScannedItem) and item.product_id in {1, 2, 3} and item.units >= 1
    assert code.strip("\r\n") in barcode_keys(code)


@settings(max_examples=1500, deadline=None)
@given(SCANS)
def test_the_gs1_parser_and_the_serial_splitter_raise_nothing_but_their_own_error(code: str) -> None:
    try:
        parse_gs1(code)
    except GS1Error as error:
        assert error.code
    split_serial_tail(code)  # returns a split or None, never raises
