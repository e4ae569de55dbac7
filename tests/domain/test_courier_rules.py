"""Courier rules: door scans, proof-of-delivery policy, outcomes, payments, cash, invoices, closing."""

from __future__ import annotations

from datetime import date

import pytest

from server.domain import cash, delivery, invoicing
from server.domain.lifecycle import OrderStatus
from server.domain.orders import PaymentKind
from server.domain.refusals import Refused

REASONS = ["absent", "refused", "wrong_address", "no_money"]


def refused(code: str, fn, *args) -> None:  # noqa: ANN001
    with pytest.raises(Refused) as refusal:
        fn(*args)
    assert refusal.value.code == code


def test_a_parcel_of_another_stop_is_refused_at_the_door() -> None:
    delivery.check_door_scan(["106141411234567897"], "106141411234567897")
    refused("parcel_of_other_stop", delivery.check_door_scan, ["106141411234567897"], "106141411234567880")


def test_the_order_policy_overrides_the_customers_and_a_signature_is_the_default() -> None:
    assert delivery.PodPolicy.merge(None, None) == delivery.PodPolicy(True, False, False)
    assert delivery.PodPolicy.merge({"photo": True}, {"signature": False, "code": True}) == delivery.PodPolicy(False, True, True)


def test_missing_proof_names_what_the_policy_asks_for() -> None:
    policy = delivery.PodPolicy(signature=True, photo=True, code=True)
    assert delivery.missing_proof(policy, delivery.Proof("", False, 0, None)) == ["recipient_name", "signature", "photo", "code"]
    assert delivery.missing_proof(policy, delivery.Proof("Анна", True, 1, True)) == []


def test_a_failed_delivery_names_a_known_reason() -> None:
    delivery.check_outcome("failed", {1: 2}, [], "absent", REASONS)
    refused("failure_reason_invalid", delivery.check_outcome, "failed", {1: 2}, [], "bored", REASONS)


def test_a_partial_delivery_names_what_was_refused_within_what_was_ordered() -> None:
    delivery.check_outcome("partial", {1: 2, 2: 1}, [delivery.Refusal(1, 1, "damaged")], None, REASONS)
    refused("partial_without_refusal", delivery.check_outcome, "partial", {1: 2}, [], None, REASONS)
    refused("refused_more_than_ordered", delivery.check_outcome, "partial", {1: 2, 2: 1}, [delivery.Refusal(1, 3, "x")], None, REASONS)
    refused("partial_refuses_everything", delivery.check_outcome, "partial", {1: 2}, [delivery.Refusal(1, 2, "x")], None, REASONS)
    refused("refused_on_full_delivery", delivery.check_outcome, "delivered", {1: 2}, [delivery.Refusal(1, 1, "x")], None, REASONS)


def test_a_delivery_after_the_office_cancelled_is_a_conflict_to_report() -> None:
    assert delivery.delivery_conflict(OrderStatus.CANCELLED) == "delivered_after_cancel"
    assert delivery.delivery_conflict(OrderStatus.OUT_FOR_DELIVERY) is None
    assert delivery.delivery_conflict(OrderStatus.DELIVERED) == "delivery_unexpected"


def test_cash_must_cover_the_amount_and_the_change_must_add_up() -> None:
    cash.check_payment(cash.PaymentFact("cash", 123_450, "RUB", 150_000, 26_550), "RUB")
    refused("tendered_too_little", cash.check_payment, cash.PaymentFact("cash", 100, "RUB", 50, 0), "RUB")
    refused("change_mismatch", cash.check_payment, cash.PaymentFact("cash", 100, "RUB", 500, 300), "RUB")


def test_a_card_payment_needs_a_terminal_reference_and_the_orders_currency() -> None:
    refused("terminal_ref_required", cash.check_payment, cash.PaymentFact("card", 100, "RUB"), "RUB")
    refused("currency_mismatch", cash.check_payment, cash.PaymentFact("card", 100, "EUR", terminal_ref="T1"), "RUB")
    refused("amount_not_positive", cash.check_payment, cash.PaymentFact("card", 0, "RUB", terminal_ref="T1"), "RUB")


def test_paying_a_cancelled_or_already_paid_order_is_reported() -> None:
    assert cash.payment_conflict(OrderStatus.CANCELLED, 0, 100) == "paid_after_cancel"
    assert cash.payment_conflict(OrderStatus.OUT_FOR_DELIVERY, 100, 100) == "double_payment"
    assert cash.payment_conflict(OrderStatus.OUT_FOR_DELIVERY, 40, 100) is None  # a second part-payment
    assert cash.payment_conflict(OrderStatus.OUT_FOR_DELIVERY, 0, 100) is None


def test_a_handover_is_reconciled_to_the_kopeck() -> None:
    assert cash.cash_on_hand([123_450, 99_999]) == 223_449
    assert cash.reconcile(223_449, 223_400).difference == -49
    assert cash.over_limit(5_000_001, 5_000_000) and not cash.over_limit(1, None)


def test_an_invoice_due_date_follows_the_payment_terms() -> None:
    on = date(2026, 11, 27)
    assert invoicing.issue_invoice("INV-1", on, 100, "RUB", PaymentKind.INVOICE, 14).due_on == date(2026, 12, 11)
    assert invoicing.issue_invoice("INV-2", on, 100, "RUB", PaymentKind.CASH_ON_DELIVERY, 0).due_on == on


def test_partial_payments_settle_an_invoice_and_an_overpayment_is_reported() -> None:
    invoice = invoicing.issue_invoice("INV-1", date(2026, 11, 1), 1000, "RUB", PaymentKind.INVOICE, 10)
    invoice, over = invoicing.post_payment(invoice, 400, "RUB")
    assert (invoice.balance, over, invoice.settled) == (600, 0, False)
    invoice, over = invoicing.post_payment(invoice, 700, "RUB")
    assert (invoice.settled, over) == (True, 100)


@pytest.mark.parametrize(("due", "bucket"), [(date(2026, 12, 30), "0-30"), (date(2026, 11, 27), "0-30"), (date(2026, 10, 20), "31-60"),
                                             (date(2026, 9, 10), "61-90"), (date(2025, 1, 1), "90+")])  # fmt: skip
def test_receivables_age_by_days_past_due(due: date, bucket: str) -> None:
    assert invoicing.aging_bucket(due, date(2026, 11, 27)) == bucket


def test_an_order_closes_only_when_delivered_or_returned_and_settled() -> None:
    assert invoicing.can_close(OrderStatus.DELIVERED, True)
    assert not invoicing.can_close(OrderStatus.DELIVERED, False)
    assert not invoicing.can_close(OrderStatus.OUT_FOR_DELIVERY, True)
