"""GS1 keys: mod-10 check digits (GenSpecs 7.9) and the SSCC builder (GenSpecs 2.2.1)."""

import pytest

from labels.errors import GS1Error
from labels.gs1 import (
    append_check_digit,
    build_sscc,
    gs1_check_digit,
    has_valid_check_digit,
    normalize_gtin,
    validate_key,
)


@pytest.mark.parametrize(
    ("body", "check"),
    [
        ("10614141123456789", 7),  # SSCC, GenSpecs example
        ("400638133393", 1),  # EAN-13
        ("03600029145", 2),  # UPC-A
        ("9638507", 4),  # GTIN-8
        ("0950110153100", 0),  # GTIN-14 body
        ("950110102103", 7),  # GTIN-13
        ("061414112345", 2),  # GLN
        ("1061414100001", 9),  # GTIN-14 with indicator digit 1
        ("0", 0),
        ("00000000000000000", 0),
    ],
)
def test_check_digit_is_mod10_with_weights_3_1_from_the_right(body, check):
    assert gs1_check_digit(body) == check
    assert has_valid_check_digit(body + str(check))
    assert append_check_digit(body) == body + str(check)


@pytest.mark.parametrize("bad", ["", "12a4", "１２３", "12 34", "²³"])
def test_check_digit_refuses_non_ascii_digits(bad):
    with pytest.raises(GS1Error) as err:
        gs1_check_digit(bad)
    assert err.value.code == "not_digits"


def test_check_digit_error_is_still_a_value_error_for_old_callers():
    with pytest.raises(ValueError):
        gs1_check_digit("abc")


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("96385074", "gtin8"),
        ("036000291452", "gtin12"),
        ("4006381333931", "gtin13"),
        ("09501101531000", "gtin14"),
        ("0614141123452", "gln"),
        ("106141411234567897", "sscc"),
    ],
)
def test_valid_keys_of_each_kind_pass(key, kind):
    assert validate_key(key, kind) == key


@pytest.mark.parametrize(
    ("key", "kind", "code"),
    [
        ("4006381333932", "gtin13", "bad_check_digit"),
        ("106141411234567890", "sscc", "bad_check_digit"),
        ("10614141123456789", "sscc", "key_length"),  # 17 digits: check digit missing
        ("400638133393", "gtin13", "key_length"),
        ("40063813339A1", "gtin13", "not_digits"),
    ],
)
def test_invalid_keys_name_the_broken_rule(key, kind, code):
    with pytest.raises(GS1Error) as err:
        validate_key(key, kind)
    assert err.value.code == code


def test_gtin_is_left_zero_filled_to_14_digits():
    assert normalize_gtin("4006381333931") == "04006381333931"
    assert normalize_gtin("96385074") == "00000096385074"


def test_sscc_is_extension_prefix_serial_and_check_digit():
    assert build_sscc(1, "0614141", "123456789") == "106141411234567897"
    assert build_sscc("0", "4607012345", "000001") == append_check_digit("04607012345000001")


@pytest.mark.parametrize(
    ("extension", "prefix", "serial", "code"),
    [
        ("1", "061414", "1234567890", "sscc_length"),  # 6-digit prefix: below 7
        ("1", "06141411234", "12345", "sscc_length"),  # 11-digit prefix: above 10
        ("1", "0614141", "12345678", "sscc_length"),  # 16 digits in all
        ("1", "0614141", "1234567890", "sscc_length"),  # 18 digits in all
        ("12", "0614141", "12345678", "sscc_length"),  # two-digit extension
        ("1", "06141A1", "123456789", "not_digits"),
    ],
)
def test_sscc_builder_refuses_bad_parts(extension, prefix, serial, code):
    with pytest.raises(GS1Error) as err:
        build_sscc(extension, prefix, serial)
    assert err.value.code == code
