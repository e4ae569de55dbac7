"""Invoices issued at shipment, payments posted against them, receivables and their aging, and
when an order may close (delivered or returned, and settled)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from server.domain.lifecycle import OrderStatus
from server.domain.orders import PaymentKind
from server.domain.refusals import Refused

AGING_BUCKETS = ((0, 30, "0-30"), (31, 60, "31-60"), (61, 90, "61-90"), (91, None, "90+"))


@dataclass(frozen=True, slots=True)
class Invoice:
    number: str
    issued_on: date
    due_on: date
    currency: str
    total: int
    paid: int = 0

    @property
    def balance(self) -> int:
        return self.total - self.paid

    @property
    def settled(self) -> bool:
        return self.paid >= self.total


def invoice_number(year: int, n: int) -> str:
    """A number series per year: СЧ-2026-000123."""
    return f"INV-{year}-{n:06d}"


def issue_invoice(number: str, issued_on: date, total: int, currency: str, payment: PaymentKind, due_days: int) -> Invoice:
    """An invoice for a shipped order; the due date follows the payment terms."""
    if total < 0:
        raise Refused("amount_negative", "an invoice total cannot be negative")
    due_on = issued_on + timedelta(days=due_days) if payment == PaymentKind.INVOICE else issued_on
    return Invoice(number, issued_on, due_on, currency, total)


def post_payment(invoice: Invoice, amount: int, currency: str) -> tuple[Invoice, int]:
    """Apply a payment; return the invoice and any overpayment (kept, and reported)."""
    if currency != invoice.currency:
        raise Refused("currency_mismatch", f"the invoice is in {invoice.currency}")
    if amount <= 0:
        raise Refused("amount_not_positive", "a payment is a positive amount")
    over = max(invoice.paid + amount - invoice.total, 0)
    return replace(invoice, paid=invoice.paid + amount), over


def aging_bucket(due_on: date, today: date) -> str:
    """The aging bucket of an open balance by days past due (not yet due counts as 0-30)."""
    days = max((today - due_on).days, 0)
    for low, high, label in AGING_BUCKETS:
        if days >= low and (high is None or days <= high):
            return label
    return "90+"


def can_close(status: OrderStatus, settled: bool) -> bool:
    """An order closes when it is delivered (or its goods are back) and its money is settled."""
    return settled and status in (OrderStatus.DELIVERED, OrderStatus.PARTIALLY_DELIVERED, OrderStatus.RETURNED)
