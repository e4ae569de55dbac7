"""Parsing scanned GS1 data: symbology identifiers, separators, marking codes, plain GTINs, garbage."""

import datetime as dt

import pytest

from labels.errors import GS1Error
from labels.gs1_parse import parse_gs1

GS = "\x1d"
TODAY = dt.date(2026, 3, 1)
GTIN = "04607012345677"
CRYPTO44 = "MEUCIQD3h/8pK1+aZ9kQyX2f7c0eLbV5tJw6GmR4sN2o"
CRYPTO88 = CRYPTO44 + "AiAXzv7y1Qm3+Ko9TnHc8dWb6rEa2lFfUjP5gYsVx0Iq"
assert len(CRYPTO44) == 44 and len(CRYPTO88) == 88

VALID = [
    # id, scanned text, expected (AI, value) pairs
    ("gs1-128 sscc", "]C100106141411234567897", [("00", "106141411234567897")]),
    ("datamatrix symbology id", "]d2" + "01" + GTIN + "10LOT7", [("01", GTIN), ("10", "LOT7")]),
    ("gs1 qr symbology id", "]Q3" + "01" + GTIN + "21SER", [("01", GTIN), ("21", "SER")]),
    ("databar symbology id", "]e0" + "01" + GTIN, [("01", GTIN)]),
    ("no symbology id", "01" + GTIN + "17260531", [("01", GTIN), ("17", "260531")]),
    ("leading fnc1 as gs", GS + "00106141411234567897", [("00", "106141411234567897")]),
    ("id then leading gs", "]C1" + GS + "01" + GTIN, [("01", GTIN)]),
    ("gs separates variable fields", "10ABC" + GS + "21XYZ", [("10", "ABC"), ("21", "XYZ")]),
    ("missing gs after fixed fields", "01" + GTIN + "17260531" + "10B1", [("01", GTIN), ("17", "260531"), ("10", "B1")]),
    ("redundant gs after fixed field", "01" + GTIN + GS + "10B1", [("01", GTIN), ("10", "B1")]),
    ("trailing newline from wedge", "01" + GTIN + "\r\n", [("01", GTIN)]),
    ("weight 3103", "01" + GTIN + "3103001250", [("01", GTIN), ("3103", "001250")]),
    ("sscc + route + order", "00106141411234567897" + "403R12" + GS + "400PO-9", [("00", "106141411234567897"), ("403", "R12"), ("400", "PO-9")]),
    ("ship to glns", "410" + "0614141123452" + "4200125", [("410", "0614141123452"), ("420", "0125")]),
    ("count and content", "02" + GTIN + "3712" + GS + "15260600", [("02", GTIN), ("37", "12"), ("15", "260600")]),
    ("grai 8003", "8003" + "0" + "0614141123452" + "SN1", [("8003", "00614141123452SN1")]),
    ("serial with cset82 punctuation", "21" + "a!\"%&'()*+,-./:;<=>?", [("21", "a!\"%&'()*+,-./:;<=>?")]),
    # Честный ЗНАК: 01 + 21 (13) + GS + 91 (4) + GS + 92 (44)
    ("marking code 13+44", "]d2" + "01" + GTIN + "21" + "5Mb:Ls,(y<=_j" + GS + "91EE10" + GS + "92" + CRYPTO44,
     [("01", GTIN), ("21", "5Mb:Ls,(y<=_j"), ("91", "EE10"), ("92", CRYPTO44)]),
    ("marking code 13+88", "01" + GTIN + "21" + "ABCDEFGHIJKLM" + GS + "91FFD0" + GS + "92" + CRYPTO88,
     [("01", GTIN), ("21", "ABCDEFGHIJKLM"), ("91", "FFD0"), ("92", CRYPTO88)]),
    ("marking code short shape 93", "01" + GTIN + "21" + "5kT%2&q" + GS + "93dGVz",
     [("01", GTIN), ("21", "5kT%2&q"), ("93", "dGVz")]),
    ("marking code dairy serial 6", "01" + GTIN + "21" + "AbC123" + GS + "93Xy1+", [("01", GTIN), ("21", "AbC123"), ("93", "Xy1+")]),
    ("marking code tyre serial 20", "01" + GTIN + "21" + "T" * 20 + GS + "91EE10" + GS + "92" + CRYPTO44,
     [("01", GTIN), ("21", "T" * 20), ("91", "EE10"), ("92", CRYPTO44)]),
    # Keyboard-wedge scanners drop GS; the marking-code tail has known lengths, so it still splits.
    ("marking code without gs", "01" + GTIN + "21" + "ABCDEFGHIJKLM" + "91EE10" + "92" + CRYPTO44,
     [("01", GTIN), ("21", "ABCDEFGHIJKLM"), ("91", "EE10"), ("92", CRYPTO44)]),
    ("marking code 8-char serial without gs", "01" + GTIN + "21" + "12345678" + "91EE10" + "92" + CRYPTO88,
     [("01", GTIN), ("21", "12345678"), ("91", "EE10"), ("92", CRYPTO88)]),
    ("plain ean-13", "4006381333931", [("01", "04006381333931")]),
    ("plain upc-a", "036000291452", [("01", "00036000291452")]),
    ("plain ean-8", "96385074", [("01", "00000096385074")]),
    ("ean-13 with symbology id", "]E04006381333931", [("01", "04006381333931")]),
    ("itf-14 gtin", "]I1" + "10614141000019", [("01", "10614141000019")]),
    ("plain gtin-14", "10614141000019", [("01", "10614141000019")]),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in VALID], ids=[c[0] for c in VALID])
def test_scanned_text_parses_to_ai_value_pairs(text, expected):
    assert list(parse_gs1(text, today=TODAY).elements) == expected


INVALID = [
    ("letters in gtin", "01" + "0460701234567A", "not_digits"),
    ("unknown ai", "]C1" + "23" + "12345", "unknown_ai"),
    ("unknown 4-digit ai", "7777" + "1", "unknown_ai"),
    ("truncated gtin", "01" + "046070123", "truncated"),
    ("truncated sscc", "]C1" + "00" + "1061414112345678", "truncated"),
    ("gs inside fixed field", "01" + "0460701" + GS + "234567", "truncated"),
    ("bad check digit sscc", "00106141411234567890", "bad_check_digit"),
    ("bad check digit gtin", "01" + "04607012345678", "bad_check_digit"),
    ("bad check digit content", "02" + "04607012345678", "bad_check_digit"),
    ("bad check digit plain ean", "]E0" + "4006381333932", "bad_check_digit"),
    ("bad check digit, not AIs either", "4106381333932", "bad_check_digit"),
    ("month 13", "01" + GTIN + "17261301", "bad_date"),
    ("31 february", "01" + GTIN + "17260231", "bad_date"),
    ("variable field too long", "10" + "A" * 21, "too_long"),
    ("serial too long, no marking shape", "21" + "A" * 30, "too_long"),
    ("cyrillic in batch", "10" + "ПАРТИЯ1", "bad_charset"),
    ("empty value", "10" + GS + "21A", "truncated"),
    ("empty", "", "empty"),
    ("only symbology id", "]d2", "empty"),
    ("only gs", GS + GS, "empty"),
    ("letters in weight", "3103" + "00125x", "not_digits"),
    ("free text", "hello world", "unknown_ai"),
]


@pytest.mark.parametrize(("text", "code"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_garbage_raises_gs1_error_with_a_code(text, code):
    with pytest.raises(GS1Error) as err:
        parse_gs1(text, today=TODAY)
    assert err.value.code == code


def test_decoded_fields_of_a_pharma_pack():
    data = parse_gs1("]d2" + "01" + GTIN + "17260500" + "10LOT-42" + GS + "21SN0001", today=TODAY)
    assert data.symbology == "]d2"
    assert data.gtin == GTIN
    assert data.batch == "LOT-42"
    assert data.serial == "SN0001"
    # GenSpecs 7.12: day 00 means the last day of the month.
    assert data.expiry == dt.date(2026, 5, 31)


def test_expiry_century_follows_the_gs1_sliding_window():
    # GenSpecs 7.12: 51-99 years ahead falls in the previous century, 50+ years back in the next.
    assert parse_gs1("]C117" + "990101", today=TODAY).expiry == dt.date(1999, 1, 1)
    assert parse_gs1("]C117" + "750101", today=TODAY).expiry == dt.date(2075, 1, 1)
    assert parse_gs1("]C117" + "770101", today=TODAY).expiry == dt.date(1977, 1, 1)


@pytest.mark.parametrize(
    ("ai", "value", "grams"),
    [("3100", "000012", 12000), ("3102", "001250", 12500), ("3103", "001250", 1250), ("3105", "001255", 13)],
)
def test_net_weight_310n_is_integer_grams(ai, value, grams):
    assert parse_gs1("01" + GTIN + ai + value, today=TODAY).net_weight_g == grams


def test_crypto_tail_fields_of_a_marking_code():
    data = parse_gs1("01" + GTIN + "21ABCDEFGHIJKLM" + GS + "91EE10" + GS + "92" + CRYPTO44, today=TODAY)
    assert (data.crypto_key, data.crypto_signature, data.crypto_code) == ("EE10", CRYPTO44, None)
    short = parse_gs1("01" + GTIN + "21ABCDEFG" + GS + "93dGVz", today=TODAY)
    assert short.crypto_code == "dGVz"


def test_digit_string_with_bad_gtin_check_digit_is_read_as_ais():
    assert parse_gs1("17990101", today=TODAY).elements == (("17", "990101"),)


def test_sscc_field_of_a_pallet_label():
    assert parse_gs1("]C100106141411234567897", today=TODAY).sscc == "106141411234567897"
