"""Cash on delivery, to the kopeck: what a payment must say, what a courier holds, and how a
handover is reconciled. Amounts are integers in minor units with a currency code."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from server.domain.lifecycle import OrderStatus
from server.domain.refusals import Refused


class Method(StrEnum):
    CASH = "cash"
    CARD = "card"
    TRANSFER = "transfer"


@dataclass(frozen=True, slots=True)
class PaymentFact:
    method: str
    amount: int
    currency: str
    tendered: int | None = None
    change_given: int | None = None
    terminal_ref: str | None = None


def check_payment(payment: PaymentFact, order_currency: str) -> None:
    """A payment's own consistency (what the courier's phone computed must add up)."""
    if payment.method not in Method.__members__.values():
        raise Refused("payment_method_invalid", "method is cash, card or transfer")
    if payment.amount <= 0:
        raise Refused("amount_not_positive", "a payment is a positive amount in minor units")
    if payment.currency != order_currency:
        raise Refused("currency_mismatch", f"the order is in {order_currency}, the payment in {payment.currency}")
    if payment.method == Method.CASH:
        if payment.tendered is None or payment.tendered < payment.amount:
            raise Refused("tendered_too_little", "cash handed over must cover the amount")
        if payment.change_given != payment.tendered - payment.amount:
            raise Refused("change_mismatch", f"change must be {payment.tendered - payment.amount}")
    if payment.method == Method.CARD and not (payment.terminal_ref or "").strip():
        raise Refused("terminal_ref_required", "a card payment carries the terminal's reference")


def payment_conflict(status: OrderStatus, already_paid: int, due: int) -> str | None:
    """The exception a payment fact opens, if any: paid after the office cancelled, or paid twice."""
    if status == OrderStatus.CANCELLED:
        return "paid_after_cancel"
    if already_paid > 0:
        return "double_payment" if already_paid >= due else None
    return None


def cash_on_hand(cash_collected: Iterable[int]) -> int:
    """Cash a courier holds: cash payments not yet accounted for by a handover."""
    return sum(cash_collected)


@dataclass(frozen=True, slots=True)
class Reconciliation:
    expected: int
    counted: int

    @property
    def difference(self) -> int:
        """Counted minus expected: negative is a shortage, positive a surplus."""
        return self.counted - self.expected


def reconcile(expected: int, counted: int) -> Reconciliation:
    """Compare what the cashier counted with what the courier's payments say."""
    if counted < 0:
        raise Refused("amount_negative", "a counted amount cannot be negative")
    return Reconciliation(expected, counted)


def over_limit(on_hand: int, limit: int | None) -> bool:
    """Whether a courier carries more cash than the company allows (a warning, never a refusal)."""
    return limit is not None and on_hand > limit


COURIER_METHODS = frozenset({Method.CASH, Method.CARD})  # what a courier can take at the door


def check_courier_payment(payment: PaymentFact, order_currency: str) -> None:
    """A payment taken at the door: cash or card, and consistent in itself."""
    if payment.method not in COURIER_METHODS:
        raise Refused("payment_method_invalid", "a courier takes cash or card")
    check_payment(payment, order_currency)


def check_handover_courier(device_courier: int | None, handover_courier: int) -> None:
    """A courier's phone hands over that courier's cash only."""
    if device_courier != handover_courier:
        raise Refused("handover_other_courier", "a courier's device hands over its own courier's cash")


def paid_before(prepaid: bool, total: int, recorded: int) -> int:
    """What the order counts as paid before a new payment: a prepaid order was paid in full online."""
    return total + recorded if prepaid else recorded
