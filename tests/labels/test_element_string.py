"""Building GS1 element strings (GenSpecs 7.8.5) and their human-readable forms (GenSpecs 4.15)."""

import pytest

from labels.element_string import GS, bracketed, build_element_string, human_readable, sscc_display
from labels.errors import GS1Error


def test_fixed_length_fields_need_no_separator():
    assert build_element_string([("01", "04006381333931"), ("17", "260200"), ("10", "ABC")]) == (
        "01040063813339311726020010ABC"
    )


def test_variable_length_field_that_is_not_last_is_followed_by_gs():
    raw = build_element_string([("01", "04006381333931"), ("10", "ABC"), ("21", "S1")])
    assert raw == "0104006381333931" + "10ABC" + GS + "21S1"


def test_last_field_never_gets_a_trailing_gs():
    assert not build_element_string([("21", "S1")]).endswith(GS)


def test_fixed_length_ai_outside_the_predefined_table_still_gets_a_separator():
    # GenSpecs 7.8.5: (8005) is fixed at 6 digits but not in the predefined-length table.
    assert build_element_string([("8005", "000150"), ("01", "04006381333931")]) == "8005000150" + GS + "0104006381333931"


def test_human_readable_puts_each_ai_in_parentheses():
    assert human_readable([("00", "106141411234567897")]) == "(00) 106141411234567897"
    assert human_readable([("01", "04006381333931"), ("10", "A1")]) == "(01) 04006381333931 (10) A1"


def test_bracketed_form_for_zint_style_encoders():
    assert bracketed([("01", "04006381333931"), ("21", "A(B)")]) == "[01]04006381333931[21]A(B)"


def test_sscc_display_splits_extension_prefix_serial_and_check_digit():
    assert sscc_display("106141411234567897", 7) == "(00) 1 0614141 123456789 7"
    assert sscc_display("106141411234567897") == "(00) 106141411234567897"


@pytest.mark.parametrize(
    ("elements", "code"),
    [
        ([("00", "10614141123456789")], "bad_length"),
        ([("00", "106141411234567890")], "bad_check_digit"),
        ([("01", "0400638133393A")], "not_digits"),
        ([("17", "261301")], "bad_date"),
        ([("17", "260230")], "bad_date"),
        ([("10", "ПАРТИЯ")], "bad_charset"),
        ([("10", "A" * 21)], "too_long"),
        ([("10", "")], "truncated"),
        ([("99999", "x")], "unknown_ai"),
        ([], "empty"),
    ],
)
def test_builder_refuses_values_that_break_the_ai_format(elements, code):
    with pytest.raises(GS1Error) as err:
        build_element_string(elements)
    assert err.value.code == code
