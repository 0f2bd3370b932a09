"""The manifestazione di interesse, read back with python-docx: values, escaping, BOZZA, determinism, PDF/A."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import subprocess
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import docx
import pytest
from docxtpl import DocxTemplate

from patti_web import documents
from patti_web.documents import build_manifestazione_docx, docx_filename, manifestazione_context
from patti_web.domanda import read_document
from patti_web.rules import check_application

DATA = Path(__file__).parent / "data"
DAY = date(2026, 11, 24)
HAS_SOFFICE = shutil.which("soffice") is not None


def texts(data: bytes) -> dict[str, list[str]]:
    """Every paragraph of the document by place: body, table cells, header, footer."""
    document = docx.Document(io.BytesIO(data))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    section = document.sections[0]
    return {
        "body": [p.text for p in document.paragraphs],
        "cells": cells,
        "header": [p.text for p in section.header.paragraphs],
        "footer": [p.text for p in section.footer.paragraphs],
    }


def all_text(data: bytes) -> str:
    return "\n".join(line for lines in texts(data).values() for line in lines)


def build(doc: dict, day: date = DAY) -> bytes:
    return build_manifestazione_docx(read_document(json.dumps(doc)), _edition(), day)


def _edition():
    from patti_web.calls import load_edition

    return load_edition()


def test_every_value_of_the_full_sample_is_in_the_document(valid_doc):
    data = build(valid_doc)
    text = all_text(data)
    body = "\n".join(texts(data)["body"])
    capofila = valid_doc["capofila"]
    for value in (
        valid_doc["titolo"], capofila["denominazione"], capofila["codice_fiscale"], capofila["pec"],
        capofila["sede"]["indirizzo"], capofila["sede"]["cap"], capofila["legale_rappresentante"]["codice_fiscale"],
        capofila["referente"]["email"], capofila["referente"]["telefono"],
        "Camera di Commercio, Industria, Artigianato e Agricoltura",  # tipologia in words
        "Roberto Sacc\u00e0",
    ):
        assert value in text, value
    assert "Sede: Via Einaudi 23, 25121 Brescia (BS)" in body
    # Territory in full, not only the sigla.
    assert "Ambito: Provinciale (una sola provincia)" in body
    assert "Province: Brescia" in body
    # Sectors with the ISTAT descriptions of their ATECO codes.
    cells = texts(data)["cells"]
    assert "Lavori di meccanica generale" in cells
    assert "Fabbricazione di macchine utensili per la formatura dei metalli" in cells
    # Needs with their sources, interventions with the needs they answer.
    need = valid_doc["fabbisogni"][0]
    assert f"F1 \u2014 {need['titolo']}" in body
    assert need["descrizione"] in body and need["lacune_politiche_attive"] in body
    source = need["fonti"][0]
    assert f"{source['titolo']}, {source['autore']}, 2022, {source['url']}" in body
    intervention = valid_doc["interventi"][0]
    assert intervention["titolo"] in body and intervention["descrizione"] in body
    assert f"Destinatari: {intervention['destinatari']}" in body
    assert f"Fabbisogni a cui risponde: F1 \u2014 {need['titolo']}" in body
    # Closing declarations: place, Italian date, the legal representative's signature line.
    assert "Luogo e data: Brescia, 24 novembre 2026" in body
    assert any(line.startswith("______") for line in texts(data)["body"])
    assert "(firma digitale)" in body


def test_each_member_is_in_the_partnership_table_once_grouped_mandatory_first(valid_doc):
    cells = texts(build(valid_doc))["cells"]
    for partner in valid_doc["partner"]:
        assert cells.count(partner["denominazione"]) == 1
    assert cells.count(valid_doc["capofila"]["denominazione"]) == 1
    headings = [c for c in dict.fromkeys(cells)
                if c.startswith(("Categoria obbligatoria:", "Categoria ulteriore:", "Soggetto capofila"))]
    assert headings[0] == "Soggetto capofila"
    assert [h.split(":")[0] for h in headings[1:]] == ["Categoria obbligatoria"] * 3 + ["Categoria ulteriore"] * 3
    assert "Organizzazioni sindacali" in cells  # category in words (the short label) on each row
    assert "Brescia" in cells and "Milano" in cells  # province names, not sigle


def test_a_complete_application_has_no_draft_mark(valid_doc):
    assert "BOZZA" not in all_text(build(valid_doc))


def test_a_draft_with_errors_is_marked_and_lists_its_open_errors_on_the_first_page(valid_doc):
    valid_doc["fabbisogni"][0]["fonti"] = []
    valid_doc["partner"][0]["categoria"] = "astronauti"
    data = build(valid_doc)
    body = texts(data)["body"]
    assert "BOZZA \u2014 non conforme all'avviso" in body
    first_heading = body.index("1. Soggetto capofila")
    assert body.index("BOZZA \u2014 non conforme all'avviso") < first_heading
    errors = [f for f in check_application(read_document(json.dumps(valid_doc)), _edition()) if f.severity == "error"]
    assert len(errors) >= 3
    for finding in errors:
        assert finding.message in body[:first_heading]
    assert texts(data)["header"][0].startswith("BOZZA")


HOSTILE = [
    "Rossi & Figli <S.r.l.> \"quoted\" 'single'",
    "<w:p><w:r><w:t>iniettato</w:t></w:r></w:p>",
    "{{ x }} e {% if True %}sempre{% endif %} e {%p endif %}",
    "Emoji \U0001f600\U0001f1ee\U0001f1f9 e accenti \u00e0\u00e8\u00e9\u00ec\u00f2\u00f9 Sacc\u00e0 \u20ac",
    "\u200fRTL \u05e9\u05dc\u05d5\u05dd\u200e fine",
]


@pytest.mark.parametrize("value", HOSTILE, ids=["xml chars", "xml tags", "jinja tags", "emoji", "rtl"])
def test_any_text_users_type_comes_out_literally(valid_doc, value):
    valid_doc["partner"][0]["denominazione"] = value
    valid_doc["fabbisogni"][0]["titolo"] = value[:300]
    valid_doc["interventi"][0]["descrizione"] = value
    data = build(valid_doc)
    cells, body = texts(data)["cells"], texts(data)["body"]
    assert value in cells
    assert f"F1 \u2014 {value}" in body
    assert value in body


def test_a_5000_character_description_is_kept_whole_with_its_paragraphs(valid_doc):
    long_text = ("Parola & <tag> " * 400)[:5000].strip()
    valid_doc["fabbisogni"][0]["descrizione"] = long_text + "\n\nSecondo paragrafo."
    body = texts(build(valid_doc))["body"]
    assert long_text in body
    assert "Secondo paragrafo." in body


def test_control_characters_never_break_the_file(valid_doc):
    from patti_web import domanda as doc

    domanda = read_document(json.dumps(valid_doc))
    domanda.titolo = "Titolo\x00con\x07controllo\x0c"
    # The reader and the forms refuse control characters; a document built in code could still hold them.
    domanda.partner[0] = doc.Partner.model_construct(**{**doc.Partner().__dict__, "denominazione": "A\x1bB",
                                                        "categoria": "imprese"})
    data = build_manifestazione_docx(domanda, _edition(), DAY)
    text = all_text(data)
    assert "Titolocon" in text and "AB" in text


def test_the_same_application_gives_byte_identical_documents(valid_doc):
    first, second = build(valid_doc), build(valid_doc)
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest()
    assert build(valid_doc, date(2026, 11, 25)) != first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        infos = archive.infolist()
    assert infos[0].filename == "[Content_Types].xml"
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}


def test_core_properties_come_from_the_application(valid_doc):
    props = docx.Document(io.BytesIO(build(valid_doc))).core_properties
    assert props.created == props.modified == datetime(2026, 11, 24, tzinfo=UTC)
    assert valid_doc["titolo"] in props.title
    assert props.author == valid_doc["capofila"]["denominazione"]
    assert props.language == "it-IT"


def test_pages_are_a4_and_numbered_n_of_m(valid_doc):
    document = docx.Document(io.BytesIO(build(valid_doc)))
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    footer_xml = section.footer._element.xml
    assert re.findall(r"<w:instrText[^>]*> (PAGE|NUMPAGES) </w:instrText>", footer_xml) == ["PAGE", "NUMPAGES"]
    assert "Pagina " in texts(build(valid_doc))["footer"][0] and " di " in texts(build(valid_doc))["footer"][0]


def test_an_unknown_ateco_code_prints_as_given_with_a_note(valid_doc):
    valid_doc["settori"][0]["ateco"] = ["25.62", "99.99"]
    cells = texts(build(valid_doc))["cells"]
    index = cells.index("99.99")
    assert "non presente" in cells[index + 1]


def test_regional_scope_without_provinces_lists_them_all(valid_doc):
    valid_doc["territorio"] = {"ambito": "regionale", "province": []}
    body = "\n".join(texts(build(valid_doc))["body"])
    assert "Monza e della Brianza" in body and "Sondrio" in body


def test_every_template_variable_is_in_the_context(valid_doc):
    template = DocxTemplate(documents.TEMPLATE)
    context = manifestazione_context(read_document(json.dumps(valid_doc)), _edition(), [], DAY)
    assert template.get_undeclared_template_variables() <= set(context)


def test_the_template_is_read_from_disk_once_per_process(valid_doc):
    build(valid_doc)
    before = documents._template_bytes.cache_info()
    build(valid_doc)
    after = documents._template_bytes.cache_info()
    assert after.misses == before.misses and after.hits == before.hits + 1


def test_the_download_name_is_clean():
    title = "Patto per l'ospitalit\u00e0 & co."
    domanda = read_document(json.dumps({"format": "patti-web/domanda@1", "titolo": title}))
    assert docx_filename(domanda, DAY) == "manifestazione-interesse-patto-per-l-ospitalita-co-2026-11-24.docx"
    assert docx_filename(read_document('{"format": "patti-web/domanda@1"}'), DAY) == (
        "manifestazione-interesse-domanda-2026-11-24.docx")


@pytest.mark.skipif(not HAS_SOFFICE, reason="LibreOffice (soffice) is not installed")
def test_the_pdf_is_pdfa_2b_and_shows_the_text(valid_doc, tmp_path):
    from patti_web.documents.pdf import convert_docx_to_pdf

    pdf = tmp_path / "m.pdf"
    pdf.write_bytes(convert_docx_to_pdf(build(valid_doc)))
    raw = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    text = " ".join(raw.split())  # table cells wrap long names over several lines
    assert "Roberto Sacc\u00e0" in text
    for partner in valid_doc["partner"]:
        assert partner["denominazione"] in text
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "A4" in info
    meta = subprocess.run(["pdfinfo", "-meta", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "<pdfaid:part>2</pdfaid:part>" in meta
    assert "<pdfaid:conformance>B</pdfaid:conformance>" in meta
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    font_rows = fonts.splitlines()[2:]
    assert font_rows and all(row.split()[-5] == "yes" for row in font_rows)  # every font embedded
