"""Bank statements (выписка): incoming transfers matched to invoices by the invoice number in the
payment's purpose text and by the amount. Pure: text in, lines and matches out.

The CSV has a header row naming the columns `date`, `amount`, `purpose`, `bank_ref` (any order;
`;` or `,` separated, as Russian banks export either). Amounts are decimal text in major units
("1234.50", "1 234,50"), turned into minor units without floats.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from server.domain.refusals import Refused

COLUMNS = ("date", "amount", "purpose", "bank_ref")
MAX_LINES = 5000
# Our numbers (server.domain.invoicing.invoice_number); people type them with spaces or without dashes.
INVOICE_IN_TEXT = re.compile(r"INV[\s\-–—_]*(\d{4})[\s\-–—_]*(\d{6})(?!\d)", re.IGNORECASE)
_AMOUNT = re.compile(r"^(\d+)(?:[.,](\d{1,2}))?$")


@dataclass(frozen=True, slots=True)
class StatementLine:
    line_no: int  # 1-based, counting the header as line 1 (as a spreadsheet shows it)
    booked_on: date
    amount: int  # minor units
    purpose: str
    bank_ref: str


@dataclass(frozen=True, slots=True)
class LineProblem:
    line_no: int
    code: str
    detail: str


@dataclass(frozen=True, slots=True)
class OpenInvoice:
    number: str
    balance: int
    currency: str


@dataclass(frozen=True, slots=True)
class Match:
    """How one line applies: `matched` with allocations (invoice number, amount), or a problem."""

    status: str  # matched | unmatched | ambiguous | amount_exceeds_balance
    allocations: tuple[tuple[str, int], ...] = ()
    detail: str = ""
    numbers: tuple[str, ...] = field(default=())


def parse_amount(text: str) -> int:
    """Decimal text in major units -> minor units: "1 234,50" -> 123450. No floats anywhere."""
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "")
    found = _AMOUNT.match(cleaned)
    if found is None:
        raise Refused("amount_invalid", f"not an amount: {text!r} (a positive number with at most 2 decimals)")
    whole, cents = found.group(1), (found.group(2) or "").ljust(2, "0")
    amount = int(whole) * 100 + int(cents)
    if amount <= 0:
        raise Refused("amount_not_positive", "an incoming transfer is a positive amount")
    return amount


def parse_date(text: str) -> date:
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    raise Refused("date_invalid", f"not a date: {text!r} (YYYY-MM-DD or DD.MM.YYYY)")


def parse_statement(text: str) -> tuple[list[StatementLine], list[LineProblem]]:
    """Every line of a statement, or what is wrong with it; a missing column refuses the file."""
    if not text.strip():
        raise Refused("statement_empty", "the statement has no lines")
    first = text.lstrip("\ufeff").splitlines()[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader)]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise Refused("statement_columns_missing", f"the header must name {', '.join(COLUMNS)}; missing: {', '.join(missing)}")
    at = {c: header.index(c) for c in COLUMNS}
    lines: list[StatementLine] = []
    problems: list[LineProblem] = []
    for line_no, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if line_no - 1 > MAX_LINES:
            raise Refused("statement_too_long", f"at most {MAX_LINES} lines per statement")
        if len(row) < len(header):
            problems.append(LineProblem(line_no, "line_malformed", f"expected {len(header)} columns, got {len(row)}"))
            continue
        try:
            booked_on, amount = parse_date(row[at["date"]]), parse_amount(row[at["amount"]])
        except Refused as refusal:
            problems.append(LineProblem(line_no, refusal.code, refusal.message))
            continue
        bank_ref = row[at["bank_ref"]].strip()
        if not bank_ref:
            problems.append(LineProblem(line_no, "bank_ref_missing", "every line needs the bank's reference"))
            continue
        lines.append(StatementLine(line_no, booked_on, amount, row[at["purpose"]].strip(), bank_ref[:100]))
    return lines, problems


def invoice_numbers(purpose: str) -> list[str]:
    """Invoice numbers named in a purpose text, normalized, first mention first."""
    found: list[str] = []
    for year, serial in INVOICE_IN_TEXT.findall(purpose):
        number = f"INV-{year}-{serial}"
        if number not in found:
            found.append(number)
    return found


def match_line(line: StatementLine, currency: str, invoices: Mapping[str, OpenInvoice]) -> Match:
    """Match one transfer to the open invoices it names (balances as left by earlier lines).

    One number: the transfer pays that invoice, in full or in part, never more than its balance.
    Several numbers: the amount must equal one invoice's balance, or all of their balances together.
    No number, an unknown one or another currency: unmatched (a person looks at it).
    """
    numbers = tuple(invoice_numbers(line.purpose))
    if not numbers:
        return Match("unmatched", detail="no invoice number in the purpose", numbers=numbers)
    known = [invoices[n] for n in numbers if n in invoices and invoices[n].currency == currency and invoices[n].balance > 0]
    if not known:
        return Match("unmatched", detail=f"no open {currency} invoice {', '.join(numbers)}", numbers=numbers)
    if len(numbers) == 1:
        invoice = known[0]
        if line.amount > invoice.balance:
            return Match("amount_exceeds_balance", detail=f"{invoice.number} has {invoice.balance} open, the transfer is {line.amount}",
                         numbers=numbers)  # fmt: skip
        return Match("matched", ((invoice.number, line.amount),), numbers=numbers)
    exact = [i for i in known if i.balance == line.amount]
    if len(exact) == 1:
        return Match("matched", ((exact[0].number, line.amount),), numbers=numbers)
    if len(known) == len(numbers) and sum(i.balance for i in known) == line.amount:
        return Match("matched", tuple((i.number, i.balance) for i in known), numbers=numbers)
    return Match("ambiguous", detail=f"{line.amount} fits none of {', '.join(numbers)} alone or together", numbers=numbers)
