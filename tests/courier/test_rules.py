"""The courier rules added for execution: parcels at the door, what comes back, invoices after a
partial delivery, closing, payments at the door, handovers, bank statements. Plain data, no database."""

from __future__ import annotations

from datetime import date

import pytest

from server.domain import bank_statement as bank
from server.domain import cash, delivery, invoicing
from server.domain.lifecycle import OrderStatus
from server.domain.orders import PaymentKind
from server.domain.refusals import Refused

S = OrderStatus


def refused(code: str, fn, *args) -> None:  # noqa: ANN001
    with pytest.raises(Refused) as refusal:
        fn(*args)
    assert refusal.value.code == code


def test_a_full_delivery_hands_over_every_parcel_aboard() -> None:
    assert delivery.parcel_outcomes("delivered", ["A", "B"], ["A"]) == {"A": "delivered", "B": "delivered"}
    assert delivery.unscanned("delivered", ["A", "B"], ["A"]) == ["B"]


def test_a_partial_delivery_brings_back_what_was_not_handed_over() -> None:
    assert delivery.parcel_outcomes("partial", ["A", "B"], ["A"]) == {"A": "delivered", "B": "refused"}
    assert delivery.unscanned("partial", ["A", "B"], ["A"]) == []


def test_a_failed_delivery_leaves_the_parcels_on_the_vehicle() -> None:
    assert delivery.parcel_outcomes("failed", ["A"], []) == {}


def test_a_failed_orders_parcel_back_restores_its_contents_and_the_last_one_returns_the_order() -> None:
    plan = delivery.plan_return(S.FAILED, "loaded", {1: 2}, {}, others_out=1)
    assert (plan.units, plan.parcel_status, plan.order_returned, plan.conflict) == ({1: 2}, "returned", False, None)
    assert delivery.plan_return(S.FAILED, "loaded", {1: 2}, {}, others_out=0).order_returned


def test_refused_units_come_back_once_with_any_label_of_the_order() -> None:
    plan = delivery.plan_return(S.PARTIALLY_DELIVERED, "delivered", {1: 5}, {2: 3}, others_out=0)
    assert (plan.units, plan.parcel_status, plan.order_returned) == ({2: 3}, "delivered", True)
    refused("nothing_to_return", delivery.plan_return, S.PARTIALLY_DELIVERED, "delivered", {1: 5}, {}, 0)
    plan = delivery.plan_return(S.PARTIALLY_DELIVERED, "refused", {2: 3}, {}, others_out=1)
    assert (plan.units, plan.parcel_status, plan.order_returned) == ({}, "returned", False)


def test_a_parcel_is_returned_once_and_a_handed_over_one_belongs_to_the_customer() -> None:
    refused("parcel_already_returned", delivery.plan_return, S.FAILED, "returned", {1: 1}, {}, 0)
    refused("nothing_to_return", delivery.plan_return, S.DELIVERED, "delivered", {1: 1}, {}, 0)


def test_a_parcel_back_that_the_record_did_not_expect_is_restored_and_reported() -> None:
    plan = delivery.plan_return(S.OUT_FOR_DELIVERY, "loaded", {1: 1}, {}, 0)
    assert (plan.units, plan.conflict, plan.order_returned) == ({1: 1}, "return_unexpected", False)
    cancelled = delivery.plan_return(S.CANCELLED, "closed", {1: 1}, {}, 0)
    assert (cancelled.units, cancelled.conflict) == ({1: 1}, None)


def test_refused_units_are_priced_from_the_order_lines_in_line_order() -> None:
    lines = [(1, 2, 100), (2, 1, 999), (1, 3, 90)]
    assert invoicing.refused_value(lines, {1: 3}) == 2 * 100 + 90
    assert invoicing.refused_value(lines, {2: 1, 3: 4}) == 999


def test_a_credit_lowers_the_invoice_never_below_zero() -> None:
    invoice = invoicing.issue_invoice("INV-1", date(2026, 11, 1), 1000, "RUB", PaymentKind.CASH_ON_DELIVERY, 0)
    assert invoicing.credit_invoice(invoice, 300).total == 700
    assert invoicing.credit_invoice(invoice, 5000).total == 0
    refused("amount_negative", invoicing.credit_invoice, invoice, -1)
    assert invoicing.invoice_status(invoice) == "open"


def test_a_partially_delivered_order_waits_for_its_refused_goods_before_it_closes() -> None:
    assert not invoicing.ready_to_close(S.PARTIALLY_DELIVERED, True, returns_outstanding=True)
    assert invoicing.ready_to_close(S.PARTIALLY_DELIVERED, True, returns_outstanding=False)
    assert invoicing.ready_to_close(S.RETURNED, True, returns_outstanding=False)
    assert not invoicing.ready_to_close(S.FAILED, True, returns_outstanding=False)


def test_a_courier_takes_cash_or_card_only() -> None:
    refused("payment_method_invalid", cash.check_courier_payment, cash.PaymentFact("transfer", 100, "RUB"), "RUB")
    cash.check_courier_payment(cash.PaymentFact("card", 100, "RUB", terminal_ref="T1"), "RUB")


def test_a_phone_hands_over_its_own_couriers_cash() -> None:
    cash.check_handover_courier(7, 7)
    refused("handover_other_courier", cash.check_handover_courier, 7, 8)
    refused("handover_other_courier", cash.check_handover_courier, None, 8)


def test_a_prepaid_order_counts_as_paid_in_full_before_the_door() -> None:
    assert cash.paid_before(True, 1000, 0) == 1000 and cash.paid_before(False, 1000, 300) == 300
    assert cash.payment_conflict(S.OUT_FOR_DELIVERY, cash.paid_before(True, 1000, 0), 1000) == "double_payment"


@pytest.mark.parametrize(("text", "minor"), [("1234.50", 123_450), ("1 234,5", 123_450), ("0,01", 1), ("7", 700), ("1\u00a0000,00", 100_000)])
def test_statement_amounts_become_minor_units_without_floats(text: str, minor: int) -> None:
    assert bank.parse_amount(text) == minor


@pytest.mark.parametrize(("text", "code"), [("12.345", "amount_invalid"), ("-5.00", "amount_invalid"), ("0.00", "amount_not_positive"),
                                            ("1e3", "amount_invalid"), ("", "amount_invalid")])  # fmt: skip
def test_unreadable_statement_amounts_are_refused(text: str, code: str) -> None:
    refused(code, bank.parse_amount, text)


def test_invoice_numbers_are_found_in_the_purpose_however_they_are_typed() -> None:
    assert bank.invoice_numbers("Оплата по сч. INV-2026-000123 и inv 2026 000124, INV-2026-000123") == ["INV-2026-000123", "INV-2026-000124"]
    assert bank.invoice_numbers("INV-2026-0001234") == []


def _line(amount: int, purpose: str) -> bank.StatementLine:
    return bank.StatementLine(2, date(2026, 11, 20), amount, purpose, "REF")


OPEN = {"INV-2026-000001": bank.OpenInvoice("INV-2026-000001", 1000, "RUB"), "INV-2026-000002": bank.OpenInvoice("INV-2026-000002", 500, "RUB")}


def test_a_transfer_naming_one_invoice_pays_it_in_full_or_in_part_never_more() -> None:
    assert bank.match_line(_line(400, "INV-2026-000001"), "RUB", OPEN).allocations == (("INV-2026-000001", 400),)
    assert bank.match_line(_line(1001, "INV-2026-000001"), "RUB", OPEN).status == "amount_exceeds_balance"
    assert bank.match_line(_line(100, "INV-2026-000009"), "RUB", OPEN).status == "unmatched"
    assert bank.match_line(_line(100, "INV-2026-000001"), "EUR", OPEN).status == "unmatched"
    assert bank.match_line(_line(100, "без номера"), "RUB", OPEN).status == "unmatched"


def test_a_transfer_naming_several_invoices_matches_by_amount_or_is_ambiguous() -> None:
    assert bank.match_line(_line(500, "INV-2026-000001 INV-2026-000002"), "RUB", OPEN).allocations == (("INV-2026-000002", 500),)
    both = bank.match_line(_line(1500, "INV-2026-000001 INV-2026-000002"), "RUB", OPEN)
    assert both.allocations == (("INV-2026-000001", 1000), ("INV-2026-000002", 500))
    assert bank.match_line(_line(700, "INV-2026-000001 INV-2026-000002"), "RUB", OPEN).status == "ambiguous"


def test_a_statement_is_read_with_either_separator_and_bad_lines_are_named() -> None:
    lines, problems = bank.parse_statement("bank_ref;date;amount;purpose\nR1;20.11.2026;1 000,00;INV-2026-000001\nR2;32.13.2026;1;x\n;2026-11-20;1;x\n")
    assert [(li.line_no, li.amount, li.bank_ref) for li in lines] == [(2, 100_000, "R1")]
    assert [(p.line_no, p.code) for p in problems] == [(3, "date_invalid"), (4, "bank_ref_missing")]
    refused("statement_columns_missing", bank.parse_statement, "date,amount\n2026-11-20,1\n")
    refused("statement_empty", bank.parse_statement, "  ")
