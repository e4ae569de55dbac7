"""Invoices issued at shipment, payments posted against them, receivables and their aging, and
when an order may close (delivered or returned, and settled)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


class InvoiceStatus:
    OPEN = "open"
    PAID = "paid"
    VOID = "void"


def invoice_status(invoice: Invoice) -> str:
    """Open while a balance remains, paid once settled."""
    return InvoiceStatus.PAID if invoice.settled else InvoiceStatus.OPEN


def refused_value(lines: Sequence[tuple[int, int, int]], refused: Mapping[int, int]) -> int:
    """The value of refused units: (product id, quantity, unit price) lines priced in line order."""
    left = dict(refused)
    value = 0
    for product_id, quantity, unit_price in lines:
        taken = min(quantity, left.get(product_id, 0))
        if taken:
            value += taken * unit_price
            left[product_id] -= taken
    return value


def credit_invoice(invoice: Invoice, amount: int) -> Invoice:
    """Take refused goods off an invoice (a partial delivery): the total shrinks, never below zero."""
    if amount < 0:
        raise Refused("amount_negative", "a credit cannot be negative")
    return replace(invoice, total=max(invoice.total - amount, 0))


def ready_to_close(status: OrderStatus, settled: bool, returns_outstanding: bool) -> bool:
    """`can_close`, and what a customer refused is back in the warehouse (lifecycle: refused goods
    come back before a partially delivered order closes)."""
    if status == OrderStatus.PARTIALLY_DELIVERED and returns_outstanding:
        return False
    return can_close(status, settled)
