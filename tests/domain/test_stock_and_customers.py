"""Stock adjustment rules, INN check digits, and catalog validation."""

from __future__ import annotations

import pytest

from server.domain import stock
from server.domain.catalog import barcode_is_gtin, validate_barcode, validate_product
from server.domain.customers import complete_inn10, inn_is_valid, validate_customer
from server.domain.refusals import Refused


def test_a_count_sets_the_bin_to_the_counted_quantity() -> None:
    change = stock.adjust(10, stock.Level(10, 0), delta=None, counted=7, reason="count", note="")
    assert (change.bin_qty, change.delta) == (7, -3)


def test_an_adjustment_never_takes_a_bin_below_zero() -> None:
    with pytest.raises(Refused) as refusal:
        stock.adjust(2, stock.Level(10, 0), delta=-3, counted=None, reason="damage", note="")
    assert refusal.value.code == "stock_negative"


def test_an_adjustment_never_takes_on_hand_below_reserved() -> None:
    with pytest.raises(Refused) as refusal:
        stock.adjust(10, stock.Level(10, 8), delta=-3, counted=None, reason="loss", note="")
    assert refusal.value.code == "stock_reserved"


def test_an_adjustment_needs_exactly_one_of_delta_and_count() -> None:
    for delta, counted in [(None, None), (1, 1)]:
        with pytest.raises(Refused) as refusal:
            stock.adjust(1, stock.Level(1, 0), delta=delta, counted=counted, reason="found", note="")
        assert refusal.value.code == "adjust_needs_delta_or_count"


def test_reason_other_needs_a_note() -> None:
    with pytest.raises(Refused) as refusal:
        stock.adjust(1, stock.Level(1, 0), delta=1, counted=None, reason="other", note=" ")
    assert refusal.value.code == "adjust_note_required"


@pytest.mark.parametrize("inn", ["7707083893", "500100732259", complete_inn10("770123456")])
def test_valid_inns_pass_their_check_digits(inn: str) -> None:
    assert inn_is_valid(inn)


@pytest.mark.parametrize("inn", ["7707083894", "500100732258", "12345", "77070838931", "77O7083893"])
def test_invalid_inns_fail(inn: str) -> None:
    assert not inn_is_valid(inn)


def test_a_company_needs_an_inn_and_a_person_needs_a_phone() -> None:
    with pytest.raises(Refused) as company:
        validate_customer("company", "ООО «Ромашка»", None, None, None, None)
    with pytest.raises(Refused) as person:
        validate_customer("person", "Иван Петров", None, None, None, None)
    with pytest.raises(Refused) as internal:
        validate_customer("internal", "Магазин №1", None, None, None, None)
    assert (company.value.code, person.value.code, internal.value.code) == (
        "inn_required", "phone_required", "department_required",
    )  # fmt: skip


def test_gtin_check_digits_are_verified() -> None:
    assert barcode_is_gtin("4006381333931")
    assert not barcode_is_gtin("4006381333932")
    with pytest.raises(Refused) as refusal:
        validate_barcode("4006381333932", 1)
    assert refusal.value.code == "barcode_check_digit"


def test_a_case_barcode_counts_at_least_one_unit() -> None:
    with pytest.raises(Refused) as refusal:
        validate_barcode("14006381333938", 0)
    assert refusal.value.code == "multiplier_invalid"


@pytest.mark.parametrize(
    ("sku", "price", "currency", "code"),
    [("bad sku!", 1, "RUB", "sku_invalid"), ("OK-1", -1, "RUB", "price_negative"), ("OK-1", 1, "rub", "currency_invalid")],
)
def test_malformed_products_are_refused(sku: str, price: int, currency: str, code: str) -> None:
    with pytest.raises(Refused) as refusal:
        validate_product(sku, "name", price, currency, 0)
    assert refusal.value.code == code
