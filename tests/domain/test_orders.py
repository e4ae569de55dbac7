"""Order rules: creation, confirmation with reservation, cancellation."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time

import pytest

from server.domain import orders as domain
from server.domain.lifecycle import OrderStatus
from server.domain.refusals import Refused
from tests.builders import an_order, at, products


def test_a_new_order_is_a_draft_priced_from_the_catalog_with_integer_totals() -> None:
    order = an_order([("SKU-1", 2), ("SKU-2", 3)], catalog=products("SKU-1", "SKU-2", price=1250))
    assert order.status == OrderStatus.DRAFT
    assert [line.unit_price for line in order.lines] == [1250, 1250]
    assert order.total == 5 * 1250
    assert isinstance(order.total, int)


def test_an_explicit_line_price_overrides_the_catalog() -> None:
    request = domain.OrderRequest(1, 1, domain.Source.WEB, [domain.LineRequest("SKU-1", 2, 999)],
                                  domain.PaymentTerms(domain.PaymentKind.PREPAID))  # fmt: skip
    order, events = domain.create_order(request, products("SKU-1"), "SO-1", at())
    assert order.total == 1998
    assert events[0].type == "order_created"


def test_unknown_skus_are_refused_and_named() -> None:
    with pytest.raises(Refused) as refusal:
        an_order([("SKU-1", 1), ("NOPE", 1)], catalog=products("SKU-1"))
    assert refusal.value.code == "unknown_sku"
    assert refusal.value.context["skus"] == ["NOPE"]


@pytest.mark.parametrize("quantity", [0, -1])
def test_quantities_must_be_positive(quantity: int) -> None:
    with pytest.raises(Refused) as refusal:
        an_order([("SKU-1", quantity)])
    assert refusal.value.code == "quantity_not_positive"


def test_an_order_without_lines_is_refused() -> None:
    with pytest.raises(Refused) as refusal:
        domain.create_order(
            domain.OrderRequest(1, 1, domain.Source.API, [], domain.PaymentTerms(domain.PaymentKind.PREPAID)),
            {}, "SO-1", at(),
        )  # fmt: skip
    assert refusal.value.code == "order_has_no_lines"


def test_lines_in_another_currency_than_the_order_are_refused() -> None:
    catalog = products("SKU-1") | {"SKU-2": domain.ProductRef(2, "SKU-2", "x", 100, "EUR")}
    with pytest.raises(Refused) as refusal:
        an_order([("SKU-1", 1), ("SKU-2", 1)], catalog=catalog)
    assert refusal.value.code == "currency_mismatch"


def test_a_delivery_window_must_end_after_it_starts() -> None:
    window = domain.DeliveryWindow(date(2026, 11, 3), time(18), time(9))
    with pytest.raises(Refused) as refusal:
        an_order([("SKU-1", 1)], delivery=window)
    assert refusal.value.code == "invalid_delivery_window"


def test_due_days_belong_to_invoice_terms_only() -> None:
    with pytest.raises(Refused) as refusal:
        an_order([("SKU-1", 1)], payment=domain.PaymentTerms(domain.PaymentKind.PREPAID, 10))
    assert refusal.value.code == "invalid_payment_terms"


def test_confirmation_reserves_every_unit_summed_per_product() -> None:
    order = an_order([("SKU-1", 2), ("SKU-2", 1), ("SKU-1", 3)], catalog=products("SKU-1", "SKU-2"))
    confirmed, reservations, events = domain.confirm_order(order, {1: 5, 2: 1}, at(5))
    assert confirmed.status == OrderStatus.CONFIRMED
    assert reservations == [domain.Reservation(1, 5), domain.Reservation(2, 1)]
    assert events[0].type == "order_confirmed"


def test_confirmation_with_missing_stock_is_refused_with_the_short_lines() -> None:
    order = an_order([("SKU-1", 2), ("SKU-2", 4)], catalog=products("SKU-1", "SKU-2"))
    with pytest.raises(Refused) as refusal:
        domain.confirm_order(order, {1: 2, 2: 3}, at(5))
    assert refusal.value.code == "insufficient_stock"
    assert refusal.value.context["short_lines"] == [{"sku": "SKU-2", "ordered": 4, "available": 3}]


def test_a_product_with_no_stock_row_counts_as_zero_available() -> None:
    with pytest.raises(Refused) as refusal:
        domain.confirm_order(an_order([("SKU-1", 1)]), {}, at(5))
    assert refusal.value.context["short_lines"][0]["available"] == 0


def test_cancellation_needs_a_reason_code() -> None:
    with pytest.raises(Refused) as refusal:
        domain.cancel_order(an_order(), "because", "note", at(1))
    assert refusal.value.code == "cancel_reason_invalid"


@pytest.mark.parametrize("note", ["", "   "])
def test_cancellation_needs_a_note(note: str) -> None:
    with pytest.raises(Refused) as refusal:
        domain.cancel_order(an_order(), "customer_request", note, at(1))
    assert refusal.value.code == "cancel_note_required"


def test_cancellation_records_reason_note_and_previous_status() -> None:
    order = replace(an_order(), status=OrderStatus.PACKED)
    cancelled, events = domain.cancel_order(order, "fraud", " suspicious card ", at(9))
    assert (cancelled.status, cancelled.cancel_reason, cancelled.cancel_note) == (OrderStatus.CANCELLED, "fraud", "suspicious card")
    assert events[0].data == {"reason": "fraud", "note": "suspicious card", "from_status": "packed"}


def test_a_loaded_order_cannot_be_cancelled() -> None:
    with pytest.raises(Refused) as refusal:
        domain.cancel_order(replace(an_order(), status=OrderStatus.LOADED), "other", "too late", at(1))
    assert refusal.value.code == "transition_not_allowed"


def test_advance_refuses_to_confirm_or_cancel_without_their_rules() -> None:
    with pytest.raises(Refused) as confirm:
        domain.advance_order(an_order(), OrderStatus.CONFIRMED, at(1))
    with pytest.raises(Refused) as cancel:
        domain.advance_order(an_order(), OrderStatus.CANCELLED, at(1))
    assert (confirm.value.code, cancel.value.code) == ("use_confirm", "use_cancel")
