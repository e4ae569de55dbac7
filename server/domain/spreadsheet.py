"""Order spreadsheets: find the header row, map its columns, and check every line. Pure.

A reader (`server.intake.files`) turns CSV or XLSX bytes into numbered rows of cells; this module
decides what they mean. The rules:

- the header is the first of the top 20 rows naming a quantity column and an item, article or
  barcode column, in Russian or English ("Наименование", "Кол-во", "Qty", ...); rows above it are
  titles and are skipped;
- a data row with nothing in it is skipped and reported; so is a totals row ("Итого", "Всего");
- every other row must name an item (text, article or barcode) and a whole positive quantity; a
  price, when given, is in major units (roubles) with at most two decimals; any other row is
  invalid, with the reason;
- a formula cell counts with the value the spreadsheet saved for it; a formula without a saved
  value (a file written by a program and never opened in a spreadsheet) makes its row invalid;
- at most `max_lines` lines: one file becomes one order, and an order holds at most that many.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class Formula:
    """A formula cell: its text and the value the spreadsheet last computed (None if never saved)."""

    expression: str
    cached: object | None


@dataclass(frozen=True, slots=True)
class Row:
    number: int  # the row number a person sees in the spreadsheet (1-based)
    cells: tuple[object, ...]
    problem: str | None = None  # a reader's problem with this row (e.g. its encoding)


class Column(StrEnum):
    ITEM = "item"
    ARTICLE = "article"
    BARCODE = "barcode"
    QUANTITY = "quantity"
    PRICE = "price"
    CUSTOMER = "customer"


HEADER_NAMES: dict[Column, tuple[str, ...]] = {
    Column.ITEM: ("наименование", "наименование товара", "товар", "номенклатура", "название", "описание",
                  "item", "description", "product", "name", "goods"),
    Column.ARTICLE: ("артикул", "арт", "код", "код товара", "артикул покупателя", "sku", "article", "code",
                     "item code", "product code", "part number", "part no", "ref"),
    Column.BARCODE: ("штрихкод", "штрих код", "ean", "ean13", "barcode", "gtin"),
    Column.QUANTITY: ("количество", "кол во", "колво", "кол", "qty", "quantity", "amount ordered", "units"),
    Column.PRICE: ("цена", "цена за ед", "цена за шт", "price", "unit price"),
    Column.CUSTOMER: ("клиент", "покупатель", "заказчик", "контрагент", "customer", "client", "buyer"),
}  # fmt: skip
HEADER_SEARCH_ROWS = 20
TOTAL_WORDS = ("итого", "всего", "total", "subtotal")
MAX_QUANTITY = 10**9


@dataclass(frozen=True, slots=True)
class SheetLine:
    row: int
    text: str
    article: str | None
    barcode: str | None
    quantity: int | None
    price: int | None  # minor units (kopecks)
    customer: str | None
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class Skipped:
    row: int
    why: str


@dataclass(slots=True)
class SheetReport:
    """What a file says: its lines, the rows skipped and why, and any problem with the file as a whole."""

    header_row: int | None = None
    columns: dict[Column, int] = field(default_factory=dict)  # column -> 0-based cell index
    lines: list[SheetLine] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    problem: str | None = None  # refuses the whole file: missing columns, too many lines, unreadable
    code: str | None = None

    @property
    def invalid(self) -> list[SheetLine]:
        return [line for line in self.lines if line.problem]

    @property
    def customers(self) -> set[str]:
        return {line.customer for line in self.lines if line.customer}


def _header_key(value: object) -> str:
    text = str(value).casefold().replace("ё", "е") if value is not None else ""
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def _column_for(header: str) -> Column | None:
    """The column a header names: an exact name first, else the longest name it starts with."""
    if not header:
        return None
    best: tuple[int, Column] | None = None
    for column, names in HEADER_NAMES.items():
        for name in names:
            if header == name:
                return column
            if header.startswith(name + " ") and (best is None or len(name) > best[0]):
                best = (len(name), column)
    return best[1] if best else None


def map_header(cells: Sequence[object]) -> dict[Column, int]:
    """Columns found in a header row (the first cell naming a column wins)."""
    found: dict[Column, int] = {}
    for index, cell in enumerate(cells):
        column = _column_for(_header_key(_value(cell)))
        if column is not None and column not in found:
            found[column] = index
    return found


def _is_header(columns: dict[Column, int]) -> bool:
    return Column.QUANTITY in columns and bool({Column.ITEM, Column.ARTICLE, Column.BARCODE} & columns.keys())


def _value(cell: object) -> object:
    return cell.cached if isinstance(cell, Formula) else cell


def _blank(cell: object) -> bool:
    value = _value(cell)
    return value is None or (isinstance(value, str) and not value.strip())


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _text(cell: object) -> str | None:
    value = _value(cell)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = " ".join(str(value).split())
    return text or None


_QUANTITY = re.compile(r"^([+-]?\d+(?:[.,]\d+)?)\s*(?:шт|штук|pcs|pc|ед)?\.?$")
_PRICE_SUFFIX = re.compile(r"\s*(?:руб\.?|р\.?|₽|rub)$", re.IGNORECASE)


def parse_quantity(cell: object) -> tuple[int | None, str | None]:
    """A whole positive number of units, or the reason it is not one."""
    value = _value(cell)
    if isinstance(value, bool | datetime | date | time):
        return None, f"quantity {_text(cell)!r} is not a number"
    if isinstance(value, int | float | Decimal):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    else:
        text = re.sub(r"(?<=\d)[\s\u00a0\u202f]+(?=\d)", "", str(value).strip().casefold())
        match = _QUANTITY.match(text)
        if not match:
            return None, f"quantity {str(value).strip()!r} is not a number"
        number = Decimal(match.group(1).replace(",", "."))
    if number != number.to_integral_value():
        return None, f"quantity {number} is not a whole number"
    if number <= 0:
        return None, f"quantity {number} must be positive"
    if number > MAX_QUANTITY:
        return None, f"quantity {number} is more than {MAX_QUANTITY:,}"
    return int(number), None


def parse_price(cell: object) -> tuple[int | None, str | None]:
    """A price in roubles (or another major unit) as minor units, or the reason it is not one."""
    value = _value(cell)
    if isinstance(value, bool | datetime | date | time):
        return None, f"price {_text(cell)!r} is not a number"
    try:
        if isinstance(value, int | float | Decimal):
            number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        else:
            text = _PRICE_SUFFIX.sub("", re.sub(r"[\s\u00a0\u202f]+", "", str(value)))
            if "," in text and "." in text:  # the first of the two separates thousands
                text = text.replace("," if text.index(",") < text.index(".") else ".", "")
            number = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None, f"price {str(value).strip()!r} is not a number"
    if not number.is_finite():
        return None, f"price {str(value).strip()!r} is not a number"
    if number < 0:
        return None, f"price {number} is negative"
    minor = number * 100
    if minor != minor.to_integral_value():
        return None, f"price {number} has more than two decimals"
    return int(minor), None


def _formula_problems(cells: Sequence[object], columns: dict[Column, int]) -> list[str]:
    problems = []
    for column, index in columns.items():
        cell = cells[index] if index < len(cells) else None
        if isinstance(cell, Formula) and cell.cached is None:
            problems.append(
                f"{column} cell {_letter(index)} is a formula ({cell.expression}) with no saved value;"
                " open and save the file in a spreadsheet, or paste values"
            )
    return problems


def _line(row: Row, columns: dict[Column, int]) -> SheetLine | Skipped:
    cells = row.cells

    def cell(column: Column) -> object:
        index = columns.get(column)
        return cells[index] if index is not None and index < len(cells) else None

    if all(_blank(c) for c in cells):
        return Skipped(row.number, "empty row")
    text = _text(cell(Column.ITEM)) or ""
    article, barcode = _text(cell(Column.ARTICLE)), _text(cell(Column.BARCODE))
    customer = _text(cell(Column.CUSTOMER))
    mapped = [cell(c) for c in (Column.ITEM, Column.ARTICLE, Column.BARCODE, Column.QUANTITY)]
    if all(_blank(c) for c in mapped):
        return Skipped(row.number, "no item, article or quantity in this row")
    first_words = " ".join(_text(c) or "" for c in cells[:3] if not _blank(c)).casefold()
    if not article and not barcode and first_words.startswith(TOTAL_WORDS):
        return Skipped(row.number, "totals row")
    problems = [row.problem] if row.problem else []
    problems += _formula_problems(cells, columns)
    quantity = price = None
    if not problems:
        if not (text or article or barcode):
            problems.append("no item name, article or barcode")
        if _blank(cell(Column.QUANTITY)):
            problems.append("quantity is empty")
        else:
            quantity, problem = parse_quantity(cell(Column.QUANTITY))
            problems += [problem] if problem else []
        if not _blank(cell(Column.PRICE)):
            price, problem = parse_price(cell(Column.PRICE))
            problems += [problem] if problem else []
    return SheetLine(row.number, text, article, barcode, quantity, price, customer, "; ".join(problems) or None)


def read_sheet(rows: Iterable[Row], max_lines: int) -> SheetReport:
    """Check a sheet's rows; stops reading once it holds more than `max_lines` lines."""
    report = SheetReport()
    best: dict[Column, int] = {}
    titles: list[int] = []
    for row in rows:
        if report.header_row is None:
            columns = map_header(row.cells)
            if _is_header(columns):
                report.header_row, report.columns = row.number, columns
                report.skipped.extend(Skipped(n, "above the header row") for n in titles)
                continue
            if not all(_blank(c) for c in row.cells):
                titles.append(row.number)
            if len(columns) > len(best):
                best = columns
            if row.number >= HEADER_SEARCH_ROWS:
                break
            continue
        entry = _line(row, report.columns)
        if isinstance(entry, Skipped):
            report.skipped.append(entry)
            continue
        report.lines.append(entry)
        if len(report.lines) > max_lines:
            report.code = "too_many_lines"
            report.problem = (
                f"the file has more than {max_lines} order lines (counted to row {row.number});"
                f" one file becomes one order, and an order holds at most {max_lines} lines: split the file"
            )
            return report
    if report.header_row is None:
        report.code = "missing_columns"
        report.problem = _missing_columns(best)
    elif not report.lines:
        report.code = "no_lines"
        report.problem = "the file has a header row but no order lines under it"
    elif report.invalid:
        report.code = "invalid_lines"
        report.problem = f"{len(report.invalid)} of {len(report.lines)} lines are invalid; nothing was imported"
    return report


def _missing_columns(found: dict[Column, int]) -> str:
    wanted = [Column.QUANTITY] if Column.QUANTITY not in found else []
    if not {Column.ITEM, Column.ARTICLE, Column.BARCODE} & found.keys():
        wanted.append(Column.ITEM)
    names = "; ".join(f"{c} ({', '.join(HEADER_NAMES[c][:4])})" for c in wanted)
    seen = f" (the best header row found: {', '.join(sorted(found))})" if found else ""
    return (
        f"no header row with the columns it needs in the first {HEADER_SEARCH_ROWS} rows; missing: {names}{seen}."
        " If the headers look right, the file may be in an encoding other than UTF-8 or Windows-1251"
    )
