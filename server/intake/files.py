"""CSV and XLSX bytes to numbered rows of cells (the meaning is `server.domain.spreadsheet`'s job).

CSV encoding rule: a byte-order mark decides (UTF-8 or UTF-16). Without one, a file that is valid
UTF-8 is UTF-8. One that is not is read as Windows-1251 (what Russian Excel writes), unless some of
its lines are valid, non-ASCII UTF-8: then the file is UTF-8 pasted together with something else,
and each line that is not UTF-8 is reported as invalid rather than guessed at. The separator is the
one of `;`, `,` and tab found most often outside quotes in the first non-empty line (`;` on a tie:
Russian Excel's choice).

XLSX: openpyxl in read-only mode, first worksheet. Each workbook is opened twice, for formulas and
for the values the spreadsheet saved, so a formula cell reaches the rules as both.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from server.domain.refusals import Refused
from server.domain.spreadsheet import Formula, Row

CSV_TYPES = frozenset({"text/csv", "application/csv", "text/plain", "text/tab-separated-values"})
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OLD_EXCEL_TYPES = frozenset({"application/vnd.ms-excel"})


@dataclass
class Table:
    """A file's rows (read lazily) and what the reader decided about it."""

    kind: str  # csv | xlsx
    rows: Iterator[Row]
    notices: list[str] = field(default_factory=list)


def kind_of(content_type: str, raw: bytes = b"") -> str:
    """csv or xlsx, from the content type (a ZIP signature also says XLSX); refuse anything else."""
    media = content_type.split(";", 1)[0].strip().casefold()
    if media == XLSX_TYPE or (media in {"application/octet-stream", ""} and raw[:4] == b"PK\x03\x04"):
        return "xlsx"
    if media in CSV_TYPES:
        return "csv"
    if media in OLD_EXCEL_TYPES:
        raise Refused("spreadsheet_type_unsupported", "XLS (Excel 97-2003) is not read; save the file as XLSX or CSV")
    raise Refused(
        "spreadsheet_type_unsupported",
        f"content type {media or '(none)'!r} is neither CSV (text/csv) nor XLSX ({XLSX_TYPE})",
    )


def kind_of_path(name: str, raw: bytes) -> str:
    """csv or xlsx, from a file's name and first bytes (for the command line)."""
    lower = name.casefold()
    if raw[:4] == b"PK\x03\x04" or lower.endswith((".xlsx", ".xlsm")):
        return "xlsx"
    if lower.endswith(".xls"):
        return kind_of("application/vnd.ms-excel")
    return "csv"


def read_table(raw: bytes, kind: str) -> Table:
    """Open a CSV or XLSX file; the rows are read as they are iterated."""
    return _read_xlsx(raw) if kind == "xlsx" else _read_csv(raw)


# --- CSV -------------------------------------------------------------------------------------


def _decode(raw: bytes) -> tuple[list[str], set[int], list[str]]:
    """The file's physical lines as text, the 1-based lines that are not in its encoding, and notices."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if raw.startswith(bom):
            try:
                return raw[len(bom) :].decode(encoding).splitlines(), set(), [f"read as {encoding.upper()} (byte-order mark)"]
            except UnicodeDecodeError as error:
                raise Refused("encoding_invalid", f"the file starts with a {encoding} mark but is not {encoding}: {error}") from error
    try:
        return raw.decode("utf-8").splitlines(), set(), []
    except UnicodeDecodeError:
        pass
    lines = raw.splitlines()
    utf8, other = [], set()
    for number, line in enumerate(lines, start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8.append(number)
        except UnicodeDecodeError:
            other.add(number)
    if not utf8:
        return raw.decode("cp1251", errors="replace").splitlines(), set(), ["read as Windows-1251 (the file is not UTF-8)"]
    text = [line.decode("cp1251", errors="replace") if n in other else line.decode("utf-8") for n, line in enumerate(lines, start=1)]
    return text, other, [f"the file is UTF-8 but {len(other)} of its lines are not (Windows-1251?): those rows are invalid"]


def _separator(lines: list[str]) -> str:
    first = next((line for line in lines if line.strip()), "")
    counts = {sep: 0 for sep in (";", ",", "\t")}
    quoted = False
    for char in first:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts.values())
    return ";" if best == 0 or counts[";"] == best else max(counts, key=counts.__getitem__)


def _csv_cell(text: str) -> object:
    stripped = text.strip()
    if stripped.startswith("=") and len(stripped) > 1:
        return Formula(stripped, None)  # CSV keeps no computed values
    return stripped or None


def _read_csv(raw: bytes) -> Table:
    lines, bad_lines, notices = _decode(raw)
    separator = _separator(lines)
    notices.append({";": "separator ';'", ",": "separator ','", "\t": "separator tab"}[separator])

    def rows() -> Iterator[Row]:
        reader = csv.reader(iter(lines), delimiter=separator)
        first_line = 1
        for number, record in enumerate(reader, start=1):
            spanned = range(first_line, reader.line_num + 1)
            first_line = reader.line_num + 1
            problem = None
            if bad_lines and any(n in bad_lines for n in spanned):
                problem = "this row is not UTF-8 like the rest of the file (Windows-1251?)"
            yield Row(number, tuple(_csv_cell(c) for c in record), problem)

    return Table("csv", rows(), notices)


# --- XLSX ------------------------------------------------------------------------------------


def _read_xlsx(raw: bytes) -> Table:
    from openpyxl import load_workbook
    from openpyxl.worksheet.formula import ArrayFormula

    try:
        formulas = load_workbook(io.BytesIO(raw), read_only=True, data_only=False)
        values = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise Refused("spreadsheet_unreadable", f"not a readable XLSX file: {error}") from error
    sheet, saved = formulas.worksheets[0], values.worksheets[0]
    notices = [f"worksheet {sheet.title!r}"]
    if len(formulas.worksheets) > 1:
        notices.append(f"only the first of {len(formulas.worksheets)} worksheets is read")

    def cell(formula: object, value: object) -> object:
        if isinstance(formula, ArrayFormula):
            return Formula(formula.text or "", value)
        if isinstance(formula, str) and formula.startswith("=") and len(formula) > 1:
            return Formula(formula, value)
        return value.strip() or None if isinstance(value, str) else value

    def rows() -> Iterator[Row]:
        try:
            first = sheet.min_row or 1
            for number, (row, saved_row) in enumerate(
                zip(sheet.iter_rows(values_only=True), saved.iter_rows(values_only=True), strict=False), start=first
            ):
                yield Row(number, tuple(cell(f, v) for f, v in zip(row, saved_row, strict=False)))
        finally:
            formulas.close()
            values.close()

    return Table("xlsx", rows(), notices)
