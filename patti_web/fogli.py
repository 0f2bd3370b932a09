"""Spreadsheets people send and download: a CSV or XLSX file read as a table of texts (its first row the column
names), and a table written as either, for a template. Nothing here knows what the columns mean; what is wrong with
the file itself (empty, not a spreadsheet, too large, too many rows) is a `SheetError` with an Italian message.

A CSV is read as people's programs save it: UTF-8 (with or without the BOM Excel writes), UTF-16 with its BOM
(Excel's "Unicode text"), else Windows-1252 / Latin-1 (an older Excel or LibreOffice on Windows); separated by `;`
(Italian Excel), `,` or a tab, whichever splits the first row into most columns. An XLSX is read with openpyxl in
read-only mode, values only (a formula gives the value it last showed). Its size once unpacked is checked first, so
a small file that unpacks to gigabytes is refused before it is read.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time

from patti_web.i18n import format_number, ngettext
from patti_web.i18n import gettext as _

MAX_BYTES = 2 * 1024 * 1024  # the largest file accepted (a thousand partners take about 400 KB as CSV)
MAX_UNPACKED = 40 * 1024 * 1024  # an XLSX's parts, unpacked
MAX_COLUMNS = 60
EMPTY_ROWS_AT_END = 2000  # so many empty rows in a row of an XLSX end its table
DELIMITERS = (";", ",", "\t")

XLSX, CSV = "XLSX", "CSV"
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls), old Word


class SheetError(ValueError):
    """The file cannot be read as a table: `message` says why and what to do, in Italian."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Table:
    """A spreadsheet's first sheet: its column names and its rows (the number each has in the file, counting the
    names' row as 1, and its cells as texts, trimmed); rows with nothing in them are left out."""

    kind: str
    headers: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None


def read_table(content: bytes, max_rows: int) -> Table:
    """The table in a CSV or XLSX file, of at most `max_rows` rows below the names (SheetError past them)."""
    if len(content) > MAX_BYTES:
        raise SheetError(_("The file is larger than %(max)s, the most that can be loaded. A thousand partners take "
                           "less than half of that: check that it is the right file.", max=size(MAX_BYTES)))
    if not content.strip():
        raise SheetError(_("The file is empty: fill in the template, one row per partner, and load it again."))
    if content.startswith(_ZIP):
        table = _read_xlsx(content, max_rows)
    elif content.startswith(_OLE):
        raise SheetError(_("This is an Excel 97-2003 file (.xls), which is not read: save it as \u201cCartella di "
                           "lavoro di Excel (.xlsx)\u201d or as CSV and load that."))
    else:
        table = _read_csv(content, max_rows)
    if not any(table.headers):
        raise SheetError(_("The first row of the file is empty: it must hold the names of the columns, as in the "
                           "template."))
    if not table.rows:
        raise SheetError(_("The file holds no partner: below the row of the column names, write one row per "
                           "partner."))
    return table


def size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB".replace(".", ",") if n >= 1024 * 1024 else f"{max(1, n // 1024)} KB"


def _too_many(max_rows: int) -> SheetError:
    return SheetError(ngettext(
        "The file holds more than %(max)s row of partners: an application holds at most %(max)s. Split the file, or "
        "keep only the partners of this Patto.",
        "The file holds more than %(max)s rows of partners: an application holds at most %(max)s. Split the file, "
        "or keep only the partners of this Patto.", max_rows, max=format_number(max_rows)))


# CSV ----------------------------------------------------------------------------------------------------------------


def decode(content: bytes) -> tuple[str, str]:
    """The text of a file and the encoding it was in: UTF-8 (BOM or not), UTF-16 with a BOM, else Windows-1252,
    else Latin-1 (which decodes any bytes). SheetError when it is not text at all (a PDF, an image)."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return content.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            pass
    else:
        for encoding, name in (("utf-8-sig", "UTF-8"), ("cp1252", "Windows-1252"), ("latin-1", "Latin-1")):
            try:
                text = content.decode(encoding)
            except UnicodeDecodeError:
                continue
            if not _binary(text):
                return text, name
            break
    raise SheetError(_("This file is not a spreadsheet: load a CSV file or an Excel file (.xlsx), such as the "
                       "template filled in."))


def _binary(text: str) -> bool:
    """Text no spreadsheet saves: NUL characters, or many control characters (a PDF, an image, a ZIP)."""
    sample = text[:4096]
    controls = sum(1 for c in sample if ord(c) < 32 and c not in "\t\r\n")
    return "\x00" in sample or controls > len(sample) // 50


def sniff_delimiter(first_line: str) -> str:
    """The separator that splits the first row (the column names) into the most columns; `;` when none does."""
    best, most = DELIMITERS[0], 1
    for delimiter in DELIMITERS:
        count = len(next(csv.reader([first_line], delimiter=delimiter), []))
        if count > most:
            best, most = delimiter, count
    return best


def _read_csv(content: bytes, max_rows: int) -> Table:
    text, encoding = decode(content)
    first_line = next(iter(text.splitlines()), "")
    delimiter = sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = [cell.strip() for cell in next(reader, [])]
        table = Table(CSV, _columns(headers), encoding=encoding, delimiter=delimiter)
        for number, row in enumerate(reader, start=2):
            _add_row(table, number, [cell.strip() for cell in row], max_rows)
    except csv.Error as exc:
        raise SheetError(_("The file cannot be read as CSV (%(reason)s): save it again from the spreadsheet as "
                           "\u201cCSV (separato da punto e virgola)\u201d.", reason=str(exc))) from None
    return table


def _columns(headers: list[str]) -> list[str]:
    while headers and not headers[-1]:
        headers = headers[:-1]
    if len(headers) > MAX_COLUMNS:
        raise SheetError(_("The first row has %(n)s columns: is it the row of the column names? The template has "
                           "fewer than %(max)s.", n=len(headers), max=MAX_COLUMNS))
    return headers


def _add_row(table: Table, number: int, cells: list[str], max_rows: int) -> None:
    if not any(cells):
        return
    while not cells[-1]:
        cells = cells[:-1]
    if len(table.rows) >= max_rows:
        raise _too_many(max_rows)
    table.rows.append((number, cells))


# XLSX -------------------------------------------------------------------------------------------------------------


def _read_xlsx(content: bytes, max_rows: int) -> Table:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
            kind = archive.read("mimetype")[:200].decode("ascii", "replace") if "mimetype" in names else ""
    except zipfile.BadZipFile:  # cut short, or damaged
        raise SheetError(_damaged()) from None
    if "opendocument" in kind:
        raise SheetError(_("This is an OpenDocument spreadsheet (.ods), which is not read: in LibreOffice choose "
                           "File, Save as, and save it as Excel 2007-365 (.xlsx) or as CSV."))
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise SheetError(_("This file is not a spreadsheet: load a CSV file or an Excel file (.xlsx), such as the "
                           "template filled in."))
    if unpacked > MAX_UNPACKED:
        raise SheetError(_("This Excel file unpacks to %(size)s, far more than a list of partners takes: save only "
                           "the partners' sheet, or save it as CSV.", size=size(unpacked)))
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on a damaged file  # noqa: BLE001
        raise SheetError(_damaged()) from None
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        headers = _columns([cell_text(cell) for cell in next(rows, ())][:MAX_COLUMNS + 1])
        table = Table(XLSX, headers)
        empty = 0
        for number, row in enumerate(rows, start=2):
            cells = [cell_text(cell) for cell in row[:len(headers) + 20]]
            empty = 0 if any(cells) else empty + 1
            if empty > EMPTY_ROWS_AT_END:  # the rest is formatting of empty rows (some sheets format a million)
                break
            _add_row(table, number, cells, max_rows)
    finally:
        workbook.close()
    return table


def _damaged() -> str:
    return _("This Excel file cannot be read (it may be damaged or protected by a password): open it, save it again "
             "as .xlsx or as CSV, and load that.")


def cell_text(value: object) -> str:
    """A cell's value as its text: a whole number without ".0", a day as 10/12/1985, TRUE and FALSE as Sì and No."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime) and value.time() == time(0):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, date) and not isinstance(value, datetime):
        return f"{value:%d/%m/%Y}"
    return str(value).strip()


# Writing (the templates) --------------------------------------------------------------------------------------------


def write_csv(headers: list[str], rows: list[list[str]]) -> bytes:
    """A CSV as Italian Excel opens it at a double click: UTF-8 with a BOM, `;` between the columns."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_xlsx(headers: list[str], rows: list[list[str]], *, title: str, choices: dict[int, list[str]],
               notes: list[tuple[str, str]], notes_title: str) -> bytes:
    """An XLSX with the columns (in bold, frozen), the rows, a drop-down list on the columns of `choices` (by
    index), every cell as text (a CAP or a partita IVA keeps its leading zeros), and a second sheet of notes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    sheet.freeze_panes = "A2"
    last = 1001  # the rows of a whole partnership
    for index, header in enumerate(headers, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = min(max(len(header) + 2, 14), 45)
        for (cell,) in sheet.iter_rows(min_row=2, max_row=last, min_col=index, max_col=index):
            cell.number_format = "@"
    lists = workbook.create_sheet(notes_title[:31])
    lists.column_dimensions["A"].width = 30
    lists.column_dimensions["B"].width = 90
    for row in notes:
        lists.append(list(row))
    for index, values in choices.items():  # each list on the notes sheet (an inline list cannot hold commas)
        column = get_column_letter(index + 1)
        start = lists.max_row + 2
        lists.cell(row=start - 1, column=1, value=headers[index]).font = Font(bold=True)
        for offset, value in enumerate(values):
            lists.cell(row=start + offset, column=1, value=value)
        validation = DataValidation(type="list", allow_blank=True,
                                    formula1=f"'{lists.title}'!$A${start}:$A${start + len(values) - 1}")
        validation.error = _("Choose one of the values of the list.")
        validation.errorStyle = "warning"
        sheet.add_data_validation(validation)
        validation.add(f"{column}2:{column}{last}")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
