"""A stored payload's bytes read back as order lines and order terms (no database)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from server.domain import orders as domain
from server.domain.refusals import Refused
from server.domain.spreadsheet import Row, SheetReport, read_sheet
from server.intake import files
from server.intake.shop import ShopCustomer, line_quantity, parse_order

MAX_LINES = domain.MAX_LINES  # one payload becomes one order
Progress = Callable[[str, int, int], None]  # stage, done, total (0: unknown)


@dataclass(frozen=True, slots=True)
class Draft:
    """A line as the payload states it, before matching."""

    line_no: int  # the position in a shop's order; the row number in a spreadsheet
    text: str
    article: str | None = None
    sku: str | None = None
    barcode: str | None = None
    quantity: int | None = None
    price: int | None = None  # minor units
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class Terms:
    """What an order needs besides its lines."""

    source: domain.Source
    payment: domain.PaymentTerms
    currency: str | None = None
    delivery_address: str | None = None
    delivery: domain.DeliveryWindow | None = None
    notes: str = ""
    # A shop's line price is what it charged its customer; a price in a customer's spreadsheet is
    # what the customer expects, not an agreement: it stays on the intake line, the order takes
    # the catalog price.
    line_prices: bool = False


@dataclass
class Parsed:
    drafts: list[Draft] = field(default_factory=list)
    terms: Terms | None = None
    customer: ShopCustomer | None = None  # a shop's customer, matched or created
    customer_names: set[str] = field(default_factory=set)  # a spreadsheet's customer column
    problem: Refused | None = None  # refuses the whole payload
    report: SheetReport | None = None
    notices: list[str] = field(default_factory=list)


def parse_payload(kind: str, content_type: str, raw: bytes, progress: Progress | None = None) -> Parsed:
    """The payload's lines and terms, or the problem that refuses it as a whole."""
    try:
        return parse_shop_order(raw) if kind == "order" else parse_spreadsheet(content_type, raw, progress)
    except Refused as refusal:
        return Parsed(problem=refusal)


def parse_shop_order(raw: bytes) -> Parsed:
    order = parse_order(raw)
    notes = order.notes.strip()
    delivery, address = None, None
    if order.delivery is not None:
        address = (order.delivery.address or "").strip() or None
        day, (start, end) = order.delivery.date, order.delivery.window()
        if day and start and end:
            delivery = domain.DeliveryWindow(day, start, end)
        elif day:  # a day without a whole window is still worth keeping
            notes = f"{notes}\ndelivery {day.isoformat()} {start or ''}-{end or ''}".strip()
    if order.currency is not None and not re.fullmatch(r"[A-Z]{3}", order.currency):
        raise Refused("invalid_payload", f"currency {order.currency!r} is not an ISO 4217 code")
    if not order.lines:
        raise Refused("order_has_no_lines", "the order has no lines")
    if len(order.lines) > MAX_LINES:
        raise Refused("too_many_lines", f"an order may have at most {MAX_LINES} lines; this one has {len(order.lines)}")
    drafts = []
    for line_no, line in enumerate(order.lines, start=1):
        quantity, problem = line_quantity(line.quantity)
        text = " ".join((line.text or "").split())
        if not (text or line.sku or line.barcode):
            problem = "; ".join(p for p in (problem, "the line has no sku, barcode or text") if p)
        if line.price is not None and line.price < 0:
            problem = "; ".join(p for p in (problem, "price is negative") if p)
        article = (line.sku or line.barcode or "").strip()[:100] or None
        drafts.append(Draft(line_no, text, article, line.sku, line.barcode, quantity, line.price, problem))
    terms = domain.PaymentTerms(domain.PaymentKind(order.payment.kind), order.payment.due_days)
    return Parsed(
        drafts=drafts,
        terms=Terms(domain.Source.WEB, terms, order.currency, address, delivery, notes[:4000], line_prices=True),
        customer=order.customer,
    )


def _counted(rows: Iterator[Row], progress: Progress | None) -> Iterator[Row]:
    for row in rows:
        if progress is not None and row.number % 50 == 0:
            progress("reading", row.number, 0)
        yield row


def parse_spreadsheet(content_type: str, raw: bytes, progress: Progress | None = None) -> Parsed:
    table = files.read_table(raw, files.kind_of(content_type, raw))
    report = read_sheet(_counted(table.rows, progress), MAX_LINES)
    parsed = Parsed(report=report, notices=table.notices, customer_names=report.customers)
    parsed.terms = Terms(domain.Source.IMPORT, domain.PaymentTerms(domain.PaymentKind.INVOICE, 0))
    if report.code in {"missing_columns", "no_lines", "too_many_lines"}:
        parsed.problem = Refused(report.code, report.problem or report.code)
        return parsed
    parsed.drafts = [
        Draft(line.row, line.text, line.article, None, line.barcode, line.quantity, line.price, line.problem)
        for line in report.lines
    ]
    return parsed
