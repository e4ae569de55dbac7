"""Line and document amounts for invoices and waybills, in integer minor units.

Prices include VAT, as Russian sellers quote them; the VAT inside an amount is
amount × rate / (100 + rate) (НК РФ ст. 164 п. 4, the "calculated rate" 20/120), rounded half up
to the kopeck per line, and the document totals are sums of the lines, so every column adds up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from labels.documents.data import DocumentLine


@dataclass(frozen=True, slots=True)
class Amounts:
    net: int  # without VAT
    vat: int
    gross: int  # with VAT: what the buyer pays


def vat_inside(gross: int, rate: int) -> int:
    """VAT contained in a VAT-inclusive amount, rounded half up (integers only)."""
    divisor = 100 + rate
    return (2 * gross * rate + divisor) // (2 * divisor)


def line_amounts(line: DocumentLine, vat_rate: int | None) -> Amounts:
    gross = line.quantity * line.unit_price
    vat = 0 if vat_rate is None else vat_inside(gross, vat_rate)
    return Amounts(gross - vat, vat, gross)


def total_amounts(amounts: Iterable[Amounts]) -> Amounts:
    net = vat = gross = 0
    for a in amounts:
        net, vat, gross = net + a.net, vat + a.vat, gross + a.gross
    return Amounts(net, vat, gross)
