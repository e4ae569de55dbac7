"""Reading order files: encodings, separators, headers in two languages, and a reason for every row."""

from __future__ import annotations

import pytest

from server.domain.refusals import Refused
from server.domain.spreadsheet import (
    Column,
    Formula,
    Row,
    map_header,
    parse_price,
    parse_quantity,
    read_sheet,
)
from server.intake.files import kind_of, read_table
from tests.intake.sheets import HEADER, XLSX, csv_bytes, xlsx_bytes

ROWS = [HEADER, [1, "Болт DIN 933 М8х40 оцинк.", "", "100", "12,50"], [2, "Гайка М8", "NUT-8-ZN", "200 шт", ""]]


def sheet(raw: bytes, kind: str = "csv", max_lines: int = 500):  # noqa: ANN201
    table = read_table(raw, kind)
    return read_sheet(table.rows, max_lines), table.notices


@pytest.mark.parametrize(
    ("header", "column"),
    [("Наименование товара", Column.ITEM), ("Кол-во", Column.QUANTITY), ("Qty", Column.QUANTITY), ("Артикул", Column.ARTICLE),
     ("Item code", Column.ARTICLE), ("Item", Column.ITEM), ("Цена, руб.", Column.PRICE), ("Клиент", Column.CUSTOMER),
     ("Штрих-код", Column.BARCODE), ("Description", Column.ITEM), ("Количество, шт", Column.QUANTITY), ("Сумма", None)],
)  # fmt: skip
def test_columns_are_found_by_their_russian_or_english_names(header: str, column: Column | None) -> None:
    assert map_header([header]) == ({column: 0} if column else {})


@pytest.mark.parametrize(
    ("encoding", "bom", "separator"), [("utf-8", False, ";"), ("utf-8", True, ","), ("cp1251", False, ";"), ("utf-16", False, "\t")]
)
def test_utf8_with_or_without_bom_cp1251_and_utf16_files_read_the_same(encoding: str, bom: bool, separator: str) -> None:
    report, notices = sheet(csv_bytes(ROWS, encoding=encoding, bom=bom, separator=separator))
    assert [(line.row, line.text, line.article, line.quantity, line.price) for line in report.lines] == [
        (2, "Болт DIN 933 М8х40 оцинк.", None, 100, 1250), (3, "Гайка М8", "NUT-8-ZN", 200, None)
    ]  # fmt: skip
    if encoding == "cp1251":
        assert "read as Windows-1251 (the file is not UTF-8)" in notices


def test_a_cp1251_line_in_a_utf8_file_is_reported_on_its_row() -> None:
    raw = csv_bytes(ROWS) + "3;Шайба М8;;50;\r\n".encode("cp1251")
    report, _ = sheet(raw)
    assert [(line.row, line.problem) for line in report.invalid] == [(4, "this row is not UTF-8 like the rest of the file (Windows-1251?)")]
    assert report.code == "invalid_lines"


def test_missing_columns_refuse_the_file_and_say_which() -> None:
    report, _ = sheet(csv_bytes([["Товар", "Цена"], ["Болт", "10"]]))
    assert report.code == "missing_columns" and report.lines == []
    assert "missing: quantity (количество, кол во, колво, кол)" in report.problem


def test_titles_empty_rows_and_totals_are_skipped_and_reported() -> None:
    rows = [["Заказ №15 от 02.11.2026"], [], HEADER, [1, "Болт М8х40", "", 10, ""], [], [None, None, None, None, "примечание"],
            [2, "Гайка М8", "", 5, ""], ["", "Итого", "", 15, ""]]  # fmt: skip
    report, _ = sheet(csv_bytes(rows))
    assert [line.row for line in report.lines] == [4, 7] and report.code is None
    assert [(s.row, s.why) for s in report.skipped] == [
        (1, "above the header row"), (5, "empty row"), (6, "no item, article or quantity in this row"), (8, "totals row")
    ]  # fmt: skip


def test_every_bad_row_gets_its_own_reason() -> None:
    rows = [HEADER, [1, "Болт", "", "десять", ""], [2, "Гайка", "", "2,5", ""], [3, "", "", "4", ""], [4, "Шайба", "", "", ""],
            [5, "Дюбель", "", "-3", ""], [6, "Анкер", "", "7", "12,345"], [7, "Пена", "", "=2*5", ""], [8, "Винт", "", "1 000", "1 234,50"]]  # fmt: skip
    report, _ = sheet(csv_bytes(rows))
    assert [(line.row, line.problem) for line in report.lines] == [
        (2, "quantity 'десять' is not a number"),
        (3, "quantity 2.5 is not a whole number"),
        (4, "no item name, article or barcode"),
        (5, "quantity is empty"),
        (6, "quantity -3 must be positive"),
        (7, "price 12.345 has more than two decimals"),
        (8, "quantity cell D is a formula (=2*5) with no saved value; open and save the file in a spreadsheet, or paste values"),
        (9, None),
    ]
    assert (report.lines[-1].quantity, report.lines[-1].price) == (1000, 123450)
    assert report.problem == "7 of 8 lines are invalid; nothing was imported"


def test_xlsx_formulas_count_with_their_saved_values_and_without_one_the_row_is_invalid() -> None:
    rows = [["Заказ"], HEADER, [1, "Болт М8х40", None, Formula("=2*5", 10), 12.5], [2, "Гайка М8", None, Formula("=D3*2", None), None],
            [3, "Шайба", None, Formula("=1/0", "#DIV/0!"), None], [4, Formula('=CONCAT("Дюбель ", "6х40")', "Дюбель 6х40"), None, 3.0, None]]  # fmt: skip
    report, notices = sheet(xlsx_bytes(rows), "xlsx")
    assert notices == ["worksheet 'Заказ'"]
    assert [(line.row, line.text, line.quantity, line.price, line.problem) for line in report.lines] == [
        (3, "Болт М8х40", 10, 1250, None),
        (4, "Гайка М8", None, None,
         "quantity cell D is a formula (=D3*2) with no saved value; open and save the file in a spreadsheet, or paste values"),
        (5, "Шайба", None, None, "quantity '#DIV/0!' is not a number"),
        (6, "Дюбель 6х40", 3, None, None),
    ]  # fmt: skip


def test_more_lines_than_an_order_holds_refuse_the_file_without_reading_on() -> None:
    rows = [HEADER] + [[n, f"Болт М8х{n}", "", 1, ""] for n in range(1, 100_001)]
    report, _ = sheet(csv_bytes(rows))
    assert report.code == "too_many_lines" and len(report.lines) == 501
    assert report.problem.startswith("the file has more than 500 order lines (counted to row 502)")


def test_numbers_in_cells_are_read_without_floats_creeping_in() -> None:
    assert parse_quantity(10.0) == (10, None) and parse_quantity("12 шт.") == (12, None)
    assert parse_price(0.1 + 0.2)[1] == "price 0.30000000000000004 has more than two decimals"
    assert parse_price("1,234.50") == (123450, None) and parse_price("99.9 руб.") == (9990, None)


def test_only_csv_and_xlsx_are_read() -> None:
    assert kind_of("text/csv; charset=windows-1251") == "csv" and kind_of(XLSX) == "xlsx"
    with pytest.raises(Refused) as refused:
        kind_of("application/vnd.ms-excel")
    assert "save the file as XLSX or CSV" in refused.value.message
    with pytest.raises(Refused):
        read_table(b"PK\x03\x04 not really a zip", "xlsx")


def test_a_row_parsed_by_a_reader_keeps_its_problem() -> None:
    report = read_sheet(iter([Row(1, ("Товар", "Кол-во")), Row(2, ("Болт", 1), problem="broken")]), 10)
    assert report.lines[0].problem == "broken"
