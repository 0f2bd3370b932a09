"""Spreadsheets read as tables (patti_web.fogli), with no app: CSV in the encodings and with the separators people's
programs save, XLSX through openpyxl, and every kind of file that is not a spreadsheet or is too large refused with
an Italian message."""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from openpyxl import Workbook

from patti_web import fogli
from patti_web.fogli import SheetError, read_table


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _error(content: bytes, max_rows: int = 1000) -> str:
    with pytest.raises(SheetError) as raised:
        read_table(content, max_rows)
    return raised.value.message


def test_a_csv_of_italian_excel_utf8_with_its_bom_and_semicolons():
    content = "\ufeffDenominazione;Comune\r\nSocietà Cooperativa «Il Ponte»;Brescia\r\n".encode()
    table = read_table(content, 10)
    assert (table.kind, table.encoding, table.delimiter) == ("CSV", "UTF-8", ";")
    assert table.headers == ["Denominazione", "Comune"]  # no BOM left on the first name
    assert table.rows == [(2, ["Società Cooperativa «Il Ponte»", "Brescia"])]


@pytest.mark.parametrize(("encoding", "name"), [("cp1252", "Windows-1252"), ("latin-1", "Windows-1252")])
def test_a_csv_in_latin1_or_windows1252_is_read_with_its_accents(encoding, name):
    content = "Denominazione;Comune\nSocietà Agricola Ùlivo;Cantù\n".encode(encoding)
    table = read_table(content, 10)
    assert table.encoding == name and table.rows[0][1] == ["Società Agricola Ùlivo", "Cantù"]


def test_bytes_that_windows1252_leaves_undefined_are_read_as_latin1():
    table = read_table(b"Denominazione\nA\x81B\xe0\n", 10)
    assert table.encoding == "Latin-1" and table.rows[0][1] == ["A\x81Bà"]


def test_a_utf16_csv_with_its_bom_excels_unicode_text_with_tabs():
    content = "Denominazione\tComune\nCaffè Città\tLecco\n".encode("utf-16")
    table = read_table(content, 10)
    assert (table.encoding, table.delimiter) == ("UTF-16", "\t") and table.rows[0][1] == ["Caffè Città", "Lecco"]


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_the_separator_is_the_one_that_splits_the_column_names(delimiter):
    content = delimiter.join(["Denominazione", "Categoria", "CAP"]) + "\n"
    content += delimiter.join(['"Rossi, Bianchi & C. S.n.c."', "Imprese", "25121"]) + "\n"
    table = read_table(content.encode(), 10)
    assert table.delimiter == delimiter
    assert table.rows == [(2, ["Rossi, Bianchi & C. S.n.c.", "Imprese", "25121"])]


def test_empty_rows_are_skipped_and_rows_keep_the_numbers_the_spreadsheet_shows():
    table = read_table(b"Denominazione;CAP\n\n;\nPrimo;25121\n  ;  \nSecondo;25122\n", 10)
    assert table.rows == [(4, ["Primo", "25121"]), (6, ["Secondo", "25122"])]


def test_an_xlsx_is_read_as_texts_whole_numbers_without_dot_zero():
    from datetime import datetime

    content = _xlsx([["Denominazione", "CAP", "Rete", "Dal", None], ["Rossi", 25121, True, datetime(2023, 1, 16), None],
                     [None, None, None, None, None], ["Bianchi", 25122.0, False, None, None]])
    table = read_table(content, 10)
    assert table.kind == "XLSX" and table.headers == ["Denominazione", "CAP", "Rete", "Dal"]
    assert table.rows == [(2, ["Rossi", "25121", "Sì", "16/01/2023"]), (4, ["Bianchi", "25122", "No"])]


def test_the_template_writers_round_trip():
    headers, rows = ["Denominazione", "Categoria", "CAP"], [["Esempio S.r.l.", "Terzo settore", "02100"]]
    assert read_table(fogli.write_csv(headers, rows), 10).rows == [(2, rows[0])]
    xlsx = fogli.write_xlsx(headers, rows, title="Partner", choices={1: ["Imprese", "Terzo settore"]},
                            notes=[("Come", "Una riga per partner.")], notes_title="Note")
    table = read_table(xlsx, 10)
    assert table.headers == headers and table.rows == [(2, rows[0])]  # the CAP is text: its zero stays


def test_an_empty_file_or_one_of_blanks_says_so():
    assert "vuoto" in _error(b"")
    assert "vuoto" in _error(b" \r\n\t ")


def test_only_the_column_names_says_the_file_holds_no_partner():
    assert _error(b"Denominazione;Categoria\n").startswith("Il file non contiene partner")
    assert _error(_xlsx([["Denominazione", "Categoria"]])).startswith("Il file non contiene partner")


@pytest.mark.parametrize("content", [
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\x00<<>>\x00\x00stream\x00\x01\x02",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10",
    b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00",
], ids=["pdf", "png", "binary"])
def test_a_file_that_is_not_a_spreadsheet_says_what_to_load(content):
    assert _error(content).startswith("Questo file non è un foglio di calcolo")


def test_a_zip_that_is_not_an_xlsx_and_a_damaged_xlsx():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("foto.jpg", b"\xff\xd8\xff")
    assert _error(out.getvalue()).startswith("Questo file non è un foglio di calcolo")
    assert "non può essere letto" in _error(_xlsx([["Denominazione"], ["Rossi"]])[:-200])


def test_old_excel_and_opendocument_files_say_how_to_save_them():
    assert ".xlsx" in _error(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    message = _error(out.getvalue())
    assert ".ods" in message and "LibreOffice" in message


def test_a_file_larger_than_the_limit_is_refused_before_it_is_read():
    message = _error(b"Denominazione\n" + b"x" * fogli.MAX_BYTES)
    assert message.startswith("Il file supera 2,0 MB, la dimensione massima che si può caricare.")


def test_an_xlsx_that_unpacks_to_far_more_than_a_list_of_partners_is_refused_unread():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (fogli.MAX_UNPACKED + 1))
    assert len(out.getvalue()) < fogli.MAX_BYTES
    assert "si espande" in _error(out.getvalue())


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_ten_thousand_rows_are_refused_at_once_with_the_limit(kind):
    rows = [[f"Partner {n}", "Imprese"] for n in range(10_000)]
    content = (fogli.write_csv(["Denominazione", "Categoria"], rows) if kind == "csv"
               else _xlsx([["Denominazione", "Categoria"], *rows]))
    started = time.perf_counter()
    message = _error(content, 1000)
    assert time.perf_counter() - started < 5
    assert "più di 1.000 righe" in message and "al massimo 1.000" in message


def test_a_first_row_far_wider_than_the_template_is_not_taken_for_column_names():
    assert "colonne" in _error((";".join(f"c{n}" for n in range(100)) + "\nx\n").encode())


def test_an_unclosed_quote_is_read_not_crashed():
    table = read_table(b'Denominazione;CAP\n"Rossi;25121\nBianchi;25122\n', 10)
    assert table.rows[0][1][0].startswith("Rossi")  # one cell up to the end, as spreadsheets read it too


def test_cell_texts():
    from datetime import date, datetime

    assert [fogli.cell_text(v) for v in (None, 1.0, 2.5, 123456789012, " a ", date(2023, 2, 28),
                                         datetime(2023, 2, 28, 10, 30))] == [
        "", "1", "2.5", "123456789012", "a", "28/02/2023", "2023-02-28 10:30:00"]
