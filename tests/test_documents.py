"""The manifestazione di interesse and the letters of adhesion, read back: python-docx for the DOCX (wording, values,
escaping, Italian, the draft's watermark and missing signature), pdftotext, pdfinfo and pikepdf for the PDF (PDF/A,
language, XMP, fonts, the signature's page, the same bytes twice)."""

from __future__ import annotations

import copy
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
import pikepdf
import pytest
from docxtpl import DocxTemplate

from patti_web import documenti
from patti_web.avviso.domanda import fingerprint as doc_fingerprint
from patti_web.avviso.domanda import read_document
from patti_web.avviso.edizioni import load_edition
from patti_web.avviso.regole import check_application
from patti_web.documenti import (
    Identita,
    act_order,
    adesione_context,
    adesione_filename,
    build_adesione_docx,
    build_adesioni,
    build_manifestazione_docx,
    docx_filename,
    manifestazione_context,
    zip_documents,
)
from tests.support.samples import sample_domanda

DATA = Path(__file__).parent / "data"
DAY = date(2026, 11, 24)
HAS_SOFFICE = shutil.which("soffice") is not None
EDITION = load_edition()
needs_libreoffice = pytest.mark.skipif(not HAS_SOFFICE, reason="LibreOffice (soffice) is not installed")


def texts(data: bytes) -> dict[str, list[str]]:
    """Every paragraph of the document by place: body, table cells, header, footer."""
    document = docx.Document(io.BytesIO(data))
    cells = [p.text for table in document.tables for row in table.rows for cell in row.cells for p in cell.paragraphs]
    section = document.sections[0]
    return {
        "body": [p.text for p in document.paragraphs],
        "cells": cells,
        "header": [p.text for p in section.header.paragraphs],
        "footer": [p.text for p in section.footer.paragraphs],
    }


def all_text(data: bytes) -> str:
    return "\n".join(line for lines in texts(data).values() for line in lines)


def part(data: bytes, name: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name).decode()


def build(doc: dict, day: date = DAY) -> bytes:
    return build_manifestazione_docx(read_document(json.dumps(doc)), EDITION, day)


def draft(doc: dict) -> dict:
    doc["fabbisogni"][0]["fonti"] = []
    doc["partner"][0]["categoria"] = "astronauti"
    return doc


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
        "Roberto Sacc\u00e0", valid_doc["territorio"]["descrizione"],
    ):
        assert value in text, value
    assert "Sede legale: Via Einaudi 23, 25121 Brescia (BS)" in body
    assert "Ambito: Provinciale" in body and "(una sola provincia)" not in body  # the form's help stays in the form
    assert "Province: Brescia" in body
    cells = texts(data)["cells"]
    assert "Lavori di meccanica generale" in cells
    assert "Fabbricazione di macchine utensili per la formatura dei metalli" in cells
    need = valid_doc["fabbisogni"][0]
    assert f"5.1. F1 \u2014 {need['titolo']}" in body
    assert need["descrizione"] in body and need["lacune_politiche_attive"] in body
    source = need["fonti"][0]
    assert f"{source['titolo']}, {source['autore']}, 2022, {source['url']}" in body
    intervention = valid_doc["interventi"][0]
    assert f"6.1. {intervention['titolo']}" in body and intervention["descrizione"] in body
    assert f"Destinatari: {intervention['destinatari']}" in body
    assert f"Fabbisogni a cui risponde: F1 \u2014 {need['titolo']}" in body
    assert f"4.1. {valid_doc['settori'][0]['descrizione']}" in body


def test_the_act_has_the_wording_a_regional_office_expects(valid_doc):
    data = build(valid_doc)
    body = "\n".join(texts(data)["body"])
    cells = "\n".join(texts(data)["cells"])
    # Addressee (from the edition's data) and subject.
    assert "Spett.le\n" + "\n".join(EDITION.destinatario) in body
    assert re.search(r"^Oggetto: .*Manifestazione di interesse per la costituzione del Patto per la meccanica "
                     r"bresciana \(.*D\.G\.R\. n\. XI/7231", body, re.M)
    # The legal representative's declarations, with their legal basis and the warning on false statements; the
    # lead partner named without an article it may not take ("di Camera di Commercio").
    assert "Il/La sottoscritto/a Roberto Sacc\u00e0, nato/a il 10 dicembre 1985, codice fiscale SCCRRT85T10A562X, in " \
           "qualità di legale rappresentante (Presidente) del soggetto denominato Camera di Commercio" in body
    assert "rappresentante di Camera" not in body and "che Camera di Commercio" not in body
    # What the call asks the signatory to declare: the call accepted in full, and their powers.
    assert "di aver preso visione e di accettare integralmente l'avviso «Patti territoriali" in body
    assert "di essere munito/a dei poteri di rappresentanza e di firma necessari a sottoscrivere il presente atto" \
        in body
    assert "articolo 76 del D.P.R. 28 dicembre 2000, n. 445" in body
    assert "ai sensi degli articoli 46 e 47 del D.P.R. 28 dicembre 2000, n. 445" in body
    for word in ("MANIFESTA", "DICHIARA", "SI IMPEGNA"):
        assert word in texts(data)["body"]
    # Commitments: the partnership, the second phase, the full project proposal, reporting changes.
    assert "a costituire il Patto con i soggetti del partenariato" in body
    assert "seconda fase dell'avviso presentando la proposta progettuale integrale" in body
    assert "ogni variazione dei dati dichiarati" in body
    assert "Regolamento (UE) 2016/679" in body
    assert "6 lettere di adesione al Patto, una per ciascun partner" in body
    assert "6. Prima proposta di interventi" in body and "Prime ipotesi" not in body
    # Place and date beside the signature, with its legal basis.
    assert "Luogo e data: Brescia, 24 novembre 2026" in cells
    assert "Il legale rappresentante\nRoberto Sacc\u00e0" in cells
    # A qualified digital signature: its legal basis, and no line to sign by hand.
    assert "Documento firmato digitalmente ai sensi del D.Lgs. 7 marzo 2005, n. 82 (Codice dell'amministrazione " \
           "digitale, CAD)" in cells
    assert "___" not in cells
    assert "BOZZA" not in all_text(data) and "PowerPlusWaterMarkObject" not in part(data, "word/header1.xml")


def test_the_partnership_table_groups_members_and_puts_the_lead_where_it_counts(valid_doc):
    cells = texts(build(valid_doc))["cells"]
    for partner in valid_doc["partner"]:
        assert cells.count(partner["denominazione"]) == 1
        assert " ".join(partner["legale_rappresentante"][k] for k in ("nome", "cognome")) in cells
    headings = [c for c in dict.fromkeys(cells) if c.startswith(("Categoria", "Capofila"))]
    # A Chamber of Commerce counts for no category: a group of its own, first.
    assert headings[0].startswith("Capofila, non conteggiato")
    assert [h.split(":")[0] for h in headings[1:]] == ["Categoria obbligatoria"] * 3 + ["Categoria ulteriore"] * 3
    assert "Brescia" in cells and "Milano" in cells  # province names, not sigle
    # An employers' association counts as the companies category: it is listed there, marked as the lead.
    valid_doc["capofila"]["tipologia"] = "associazione_datoriale"
    valid_doc["capofila"]["rappresentanza"] = {"descrizione": "Meccanica", "ateco": []}
    cells = texts(build(valid_doc))["cells"]
    imprese = cells.index(next(c for c in cells if c.startswith("Categoria obbligatoria: Imprese")))
    lead = cells.index(f"{valid_doc['capofila']['denominazione']} (capofila)")
    assert imprese < lead < cells.index(next(c for c in cells if c.startswith("Categoria obbligatoria: Principali")))
    assert cells[lead - 1] == "1"  # the first row of the table
    assert not any(c.startswith("Capofila, non conteggiato") for c in cells)


def test_row_numbers_and_plurals_fit_any_size(valid_doc):
    valid_doc["partner"] = []
    body = "\n".join(texts(build(valid_doc))["body"])
    assert "composto da 1 soggetto, compreso il capofila" in body
    assert "Nessun allegato" in body
    domanda = sample_domanda(EDITION, 1000)
    cells = texts(build_manifestazione_docx(domanda, EDITION, DAY))["cells"]
    assert "1001" in cells  # one line: the N. column is wide enough for four digits
    document = docx.Document(io.BytesIO(build_manifestazione_docx(domanda, EDITION, DAY)))
    width = document.tables[0].rows[2].cells[0].width  # a member's row (0: header, 1: its group's heading)
    assert width.cm >= 1.1


def test_empty_sections_say_so(valid_doc):
    for key in ("settori", "fabbisogni", "interventi"):
        valid_doc[key] = []
    body = texts(build(valid_doc))["body"]
    for sentence in ("Nessun settore o filiera indicati.", "Nessun fabbisogno indicato.",
                     "Nessun intervento indicato."):
        assert sentence in body


def test_a_draft_carries_a_watermark_its_errors_on_page_one_and_no_signature(valid_doc):
    data = build(draft(valid_doc))
    body = texts(data)["body"]
    first_heading = body.index("1. Soggetto capofila")
    assert body.index("BOZZA — DOCUMENTO NON FIRMABILE") < first_heading
    errors = [f for f in check_application(read_document(json.dumps(valid_doc)), EDITION) if f.severity == "error"]
    assert len(errors) >= 3
    for finding in errors:
        assert finding.message in body[:first_heading]
    header = part(data, "word/header1.xml")
    assert 'id="PowerPlusWaterMarkObject1"' in header and 'string="BOZZA"' in header and "rotation:315" in header
    assert texts(data)["header"][-1].startswith("BOZZA, NON FIRMABILE")
    cells = texts(data)["cells"]
    assert f"Documento non firmabile: {len(errors)} errori da correggere." in cells
    assert "Il legale rappresentante" not in cells and not any(c.startswith("____") for c in cells)


def test_the_document_speaks_italian_and_says_who_made_it(valid_doc):
    data = build(valid_doc)
    styles = part(data, "word/styles.xml")
    assert set(re.findall(r'<w:lang w:val="([^"]+)"', styles)) == {"it-IT"}
    assert "asciiTheme" not in styles  # headings in the body font, not the theme's Calibri
    assert '<w:themeFontLang w:val="it-IT"' in part(data, "word/settings.xml")
    assert "Calibri" not in part(data, "word/theme/theme1.xml")
    assert "<Application>Patti Web</Application>" in part(data, "docProps/app.xml")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert not [n for n in archive.namelist() if "thumbnail" in n]
        assert "thumbnail" not in archive.read("_rels/.rels").decode()
    assert docx.Document(io.BytesIO(data)).core_properties.language == "it-IT"


HOSTILE = [
    "Rossi & Figli <S.r.l.> \"quoted\" 'single'",
    "<w:p><w:r><w:t>iniettato</w:t></w:r></w:p>",
    "{{ x }} e {% if True %}sempre{% endif %} e {%p endif %}",
    "Simboli \u2713 \u00a9 \u00ae \u2122 \u20ac e accenti \u00e0\u00e8\u00e9\u00ec\u00f2\u00f9 Sacc\u00e0",
    "\u200fRTL \u05e9\u05dc\u05d5\u05dd\u200e fine",
]


@pytest.mark.parametrize("value", HOSTILE, ids=["xml chars", "xml tags", "jinja tags", "symbols", "rtl marks"])
def test_any_text_users_type_comes_out_literally(valid_doc, value):
    valid_doc["partner"][0]["denominazione"] = value
    valid_doc["fabbisogni"][0]["titolo"] = value[:300]
    valid_doc["interventi"][0]["descrizione"] = value
    data = build(valid_doc)
    cells, body = texts(data)["cells"], texts(data)["body"]
    assert value in cells
    assert f"5.1. F1 \u2014 {value}" in body
    assert value in body


def test_a_title_in_guillemets_nests_its_quotes_and_a_missing_one_says_so(valid_doc):
    valid_doc["titolo"] = "Lavoro «2023»"
    assert "Patto territoriale «Lavoro “2023”»" in all_text(build(valid_doc))
    valid_doc["titolo"] = ""
    text = all_text(build(valid_doc))
    assert "«titolo non ancora indicato»" in text and "«—»" not in text


def test_a_5000_character_description_is_kept_whole_with_its_paragraphs(valid_doc):
    long_text = ("Parola & <tag> " * 400)[:5000].strip()
    valid_doc["fabbisogni"][0]["descrizione"] = long_text + "\n\nSecondo paragrafo."
    body = texts(build(valid_doc))["body"]
    assert long_text in body
    assert "Secondo paragrafo." in body


def test_a_300_character_title_and_name_export_with_core_properties_cut_safely(valid_doc):
    valid_doc["titolo"] = "T" * 300
    valid_doc["capofila"]["denominazione"] = "\u00e0" * 300
    data = build(valid_doc)
    assert "T" * 300 in all_text(data)
    props = docx.Document(io.BytesIO(data)).core_properties
    assert len(props.title) == len(props.author) == 255 and props.title.endswith("\u2026")


def test_control_characters_never_break_the_file(valid_doc):
    from patti_web.avviso import domanda as doc

    domanda = read_document(json.dumps(valid_doc))
    domanda.titolo = "Titolo\x00con\x07controllo\x0c"
    # The reader and the forms refuse control characters; a document built in code could still hold them.
    domanda.partner[0] = doc.Partner.model_construct(**{**doc.Partner().__dict__, "denominazione": "A\x1bB",
                                                        "categoria": "imprese"})
    data = build_manifestazione_docx(domanda, EDITION, DAY)
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
    fingerprint = doc_fingerprint(read_document(json.dumps(valid_doc)))
    assert props.keywords == f"manifestazione di interesse; Patti territoriali; SHA-256 {fingerprint}"
    stored = build_manifestazione_docx(read_document(json.dumps(valid_doc)), EDITION, DAY,
                                       Identita(fingerprint, 42, 7))
    assert docx.Document(io.BytesIO(stored)).core_properties.keywords == (
        f"manifestazione di interesse; Patti territoriali; domanda 42; versione 7; SHA-256 {fingerprint}")


def test_pages_are_a4_and_numbered_n_of_m(valid_doc):
    data = build(valid_doc)
    section = docx.Document(io.BytesIO(data)).sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    footer_xml = section.footer._element.xml
    assert re.findall(r"<w:instrText[^>]*> (PAGE|NUMPAGES) </w:instrText>", footer_xml) == ["PAGE", "NUMPAGES"]
    fingerprint = doc_fingerprint(read_document(json.dumps(valid_doc)))
    assert texts(data)["footer"][0] == f"impronta {fingerprint[:12]} · Pagina 1 di 1"
    stored = build_manifestazione_docx(read_document(json.dumps(valid_doc)), EDITION, DAY,
                                       Identita(fingerprint, 42, 7))
    assert texts(stored)["footer"][0] == f"Domanda n. 42 · versione 7 · impronta {fingerprint[:12]} · Pagina 1 di 1"


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
    domanda = read_document(json.dumps(valid_doc))
    context = manifestazione_context(domanda, EDITION, [], DAY)
    assert DocxTemplate(documenti.TEMPLATE).get_undeclared_template_variables() <= set(context)
    letter = adesione_context(domanda, EDITION, [], DAY, domanda.partner[0])
    assert DocxTemplate(documenti.LETTER_TEMPLATE).get_undeclared_template_variables() <= set(letter)


def test_the_templates_are_read_from_disk_once_per_process(valid_doc, monkeypatch):
    build(valid_doc)
    reads = []
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda path: reads.append(path.name) or real(path))
    build(valid_doc)
    assert "manifestazione.docx" not in reads


def test_the_download_name_is_clean():
    title = "Patto per l'ospitalit\u00e0 & co."
    domanda = read_document(json.dumps({"format": "patti-web/domanda@1", "titolo": title}))
    assert docx_filename(domanda, DAY) == "manifestazione-patto-per-l-ospitalita-co-2026-11-24.docx"
    assert docx_filename(read_document('{"format": "patti-web/domanda@1"}'), DAY) == (
        "manifestazione-domanda-2026-11-24.docx")


@pytest.mark.parametrize("title", ["Patto Lario Legno-Arredo", "Patto Lario Legno\u2013Arredo",
                                   "Patto  Lario\tLegno\u00adArredo", "PATTO LARIO \u2014 LEGNO/ARREDO"])
def test_the_download_name_keeps_the_hyphens_and_reads_like_the_act(title):
    domanda = read_document(json.dumps({"format": "patti-web/domanda@1", "titolo": title}))
    assert docx_filename(domanda, date(2023, 2, 10)) == "manifestazione-patto-lario-legno-arredo-2023-02-10.docx"
    assert docx_filename(domanda, date(2023, 2, 10), "adesioni", "zip") == (
        "adesioni-patto-lario-legno-arredo-2023-02-10.zip")


def test_a_long_title_is_cut_at_the_end_of_a_word():
    domanda = read_document(json.dumps({"format": "patti-web/domanda@1", "titolo": "Patto " + "meccanica " * 10}))
    name = docx_filename(domanda, DAY).removesuffix("-2026-11-24.docx").removeprefix("manifestazione-")
    assert name.split("-") == ["patto"] + ["meccanica"] * 5 and len(name) <= 60


# Letters of adhesion.


def letter(doc: dict, index: int = 2) -> bytes:
    domanda = read_document(json.dumps(doc))
    return build_adesione_docx(domanda, EDITION, DAY, domanda.partner[index])


def test_a_letter_of_adhesion_holds_the_partner_its_signer_and_the_patto(valid_doc):
    union = valid_doc["partner"][2]  # CISL Brescia: a trade union, with its CCNL
    data = letter(valid_doc)
    body = "\n".join(texts(data)["body"])
    assert "Spett.le\nCamera di Commercio, Industria, Artigianato e Agricoltura di Brescia\ncapofila del partenariato" \
        in body
    assert f"Il/La sottoscritto/a Giovanni Neri, codice fiscale {'_' * 18}, in qualità di legale rappresentante del " \
           f"soggetto denominato {union['denominazione']}, codice fiscale {union['codice_fiscale']}" in body
    assert "articolo 76 del D.P.R. 28 dicembre 2000, n. 445" in body
    assert "di aderire al partenariato del Patto per la meccanica bresciana, promosso dal soggetto capofila " \
           "Camera di Commercio" in body
    assert "di aver preso visione e di accettare integralmente l'avviso «Patti territoriali" in body
    assert "di essere munito/a dei poteri di rappresentanza e di firma necessari a sottoscrivere la presente lettera" \
        in body
    assert "«Patto per la meccanica bresciana»" not in all_text(data)
    assert "categoria «Organizzazioni sindacali firmatarie di CCNL" in body
    assert union["ccnl"] in body
    assert "Regolamento (UE) 2016/679" in body
    cells = texts(data)["cells"]
    assert "Luogo e data: Brescia, 24 novembre 2026" in cells and "Giovanni Neri" in cells
    assert "___" not in "\n".join(cells[1:])  # beside the digital signature, no line to sign by hand
    company = "\n".join(texts(letter(valid_doc, 0))["body"])
    assert "Repertorio Economico Amministrativo con il numero BS-123456" in company


def test_a_partner_without_a_legal_representative_gets_blank_lines_and_a_warning(valid_doc):
    valid_doc["partner"][3]["legale_rappresentante"] = {"nome": "", "cognome": "", "codice_fiscale": ""}
    body = "\n".join(texts(letter(valid_doc, 3))["body"])
    assert f"Il/La sottoscritto/a {'_' * 30}, codice fiscale {'_' * 18}" in body
    findings = check_application(read_document(json.dumps(valid_doc)), EDITION)
    assert [(f.code, f.path, f.severity) for f in findings] == [
        ("LEGALE_RAPPRESENTANTE_MANCANTE", "partner[3].legale_rappresentante", "warning")]


def test_a_draft_letter_cannot_be_signed_either(valid_doc):
    data = letter(draft(valid_doc))
    errors = sum(f.severity == "error" for f in check_application(read_document(json.dumps(valid_doc)), EDITION))
    assert "PowerPlusWaterMarkObject" in part(data, "word/header1.xml")
    assert "BOZZA — DOCUMENTO NON FIRMABILE" in texts(data)["body"]
    assert f"Documento non firmabile: la domanda ha {errors} errori da correggere." in texts(data)["cells"]
    assert "Il legale rappresentante" not in texts(data)["cells"]


def test_every_partner_has_a_letter_and_the_zip_is_the_same_twice(valid_doc):
    domanda = read_document(json.dumps(valid_doc))
    letters = build_adesioni(domanda, EDITION, DAY)
    assert [name for name, _data in letters] == [adesione_filename(n, p, DAY) for n, p in act_order(domanda, EDITION)]
    first = zip_documents(letters)
    assert zip_documents(build_adesioni(domanda, EDITION, DAY)) == first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert archive.namelist() == [name for name, _data in letters]


def test_the_letters_are_named_and_ordered_by_the_partners_numbers_in_the_act(valid_doc):
    domanda = read_document(json.dumps(valid_doc))
    names = [name for name, _data in build_adesioni(domanda, EDITION, DAY)]
    assert names == ["adesione-02-officine-meccaniche-rossi-figli-s-r-l-2026-11-24.docx",
                     "adesione-03-distretto-del-commercio-di-brescia-centro-2026-11-24.docx",
                     "adesione-04-cisl-brescia-2026-11-24.docx",
                     "adesione-05-ente-bilaterale-artigianato-lombardo-2026-11-24.docx",
                     "adesione-06-universita-degli-studi-di-brescia-2026-11-24.docx",
                     "adesione-07-fondazione-its-machina-lonati-2026-11-24.docx"]
    # The numbers are the act's: the row of each partner in its table of members.
    cells = texts(build(valid_doc))["cells"]
    assert cells[cells.index("5") + 1] == "Ente Bilaterale Artigianato Lombardo"
    # With 100 partners or more, three digits: sorting the names keeps the act's order.
    big = sample_domanda(EDITION, 120)
    big_names = [name for name, _data in build_adesioni(big, EDITION, DAY)[:12]]
    assert big_names == sorted(big_names) and big_names[0].startswith("adesione-002-")


def test_tabs_and_runs_of_spaces_pasted_into_a_value_print_as_one_space(valid_doc):
    valid_doc["capofila"]["denominazione"] = "Camera di Commercio\t\tdi   Brescia"
    valid_doc["partner"][0]["denominazione"] = "Officine\tRossi"
    valid_doc["fabbisogni"][0]["descrizione"] = "Tecnici\t\tdi automazione   e robotica\nSeconda\triga"
    text = all_text(build(valid_doc))
    assert "Camera di Commercio di Brescia" in text and "Officine Rossi" in text
    assert "Tecnici di automazione e robotica\nSeconda riga" in text
    assert "\t" not in text and "  " not in text.replace("\u00a0", "")


@pytest.mark.parametrize(("title", "named"), [
    ("Patto per la meccanica bresciana", "del Patto per la meccanica bresciana"),
    ("patto dei servizi alla persona", "del patto dei servizi alla persona"),
    ("Meccanica bresciana", "del Patto territoriale «Meccanica bresciana»"),
    ("Pattona «2023»", "del Patto territoriale «Pattona “2023”»"),
])
def test_the_patto_is_named_once_whether_or_not_its_title_says_patto(valid_doc, title, named):
    valid_doc["titolo"] = title
    act = all_text(build(valid_doc))
    assert f"costituzione {named}" in act and not re.search(r"«Patto\b", act, re.I)
    letter_text = all_text(letter(valid_doc))
    assert f"di aderire al partenariato {named}" in letter_text and not re.search(r"«Patto\b", letter_text, re.I)


def test_the_act_prints_a_procuratore_with_the_procura_as_the_signatory(valid_doc):
    valid_doc["capofila"]["procuratore"] = {"nome": "Giulia", "cognome": "Bianchi", "codice_fiscale":
                                            "BNCGLI80A41B157F", "procura_numero": "1234/2024",
                                            "procura_data": "2024-02-10"}
    data = build(valid_doc)
    body = "\n".join(texts(data)["body"])
    assert "Il/La sottoscritto/a Giulia Bianchi, codice fiscale BNCGLI80A41B157F, in qualità di procuratore, giusta " \
           "procura n. 1234/2024 del 10 febbraio 2024, del soggetto denominato Camera di Commercio" in body
    assert "in forza della procura n. 1234/2024 del 10 febbraio 2024, tuttora valida ed efficace" in body
    assert "Legale rappresentante: Roberto Saccà" in body  # the lead partner's data still name them
    cells = texts(data)["cells"]
    assert "Il procuratore\nGiulia Bianchi" in "\n".join(cells) and "Il legale rappresentante" not in cells


# The PDF: LibreOffice, finished with pikepdf.


def pdf_pages(pdf: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / f"{hashlib.sha256(pdf).hexdigest()[:8]}.pdf"
    path.write_bytes(pdf)
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                                                             check=True).stdout).group(1))
    return [" ".join(subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), "-raw", str(path), "-"],
                                    capture_output=True, text=True, check=True).stdout.split())
            for n in range(1, pages + 1)]


@needs_libreoffice
def test_the_pdf_is_pdfa_2b_italian_with_the_documents_metadata_and_the_same_bytes_twice(valid_doc, tmp_path):
    from patti_web.documenti.pdf import convert_docx_to_pdf, convert_many

    data = build(valid_doc)
    first, second = convert_many([data, data])
    assert first == second == convert_docx_to_pdf(data)  # two runs, the same SHA-256
    text = " ".join(pdf_pages(first, tmp_path))
    assert "Roberto Sacc\u00e0" in text
    for partner in valid_doc["partner"]:
        assert partner["denominazione"] in text
    path = tmp_path / "m.pdf"
    path.write_bytes(first)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:]), fonts  # every font embedded
    with pikepdf.open(path) as pdf:
        assert str(pdf.Root.Lang) == "it-IT"
        assert "/DocChecksum" not in pdf.trailer
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "2" and meta["pdfaid:conformance"] == "B"
        assert meta["dc:title"] == "Manifestazione di interesse: Patto per la meccanica bresciana"
        assert meta["dc:creator"] == [valid_doc["capofila"]["denominazione"]]
        fingerprint = doc_fingerprint(read_document(json.dumps(valid_doc)))
        assert set(meta["dc:subject"]) == {"manifestazione di interesse", "Patti territoriali",
                                           f"SHA-256 {fingerprint}"}
        assert fingerprint in str(pdf.docinfo["/Keywords"]) and re.fullmatch(r"[0-9a-f]{64}", fingerprint)
        assert meta["xmp:CreateDate"] == meta["xmp:ModifyDate"] == "2026-11-24T00:00:00+01:00"
        assert str(pdf.docinfo["/Title"]) == meta["dc:title"]
        assert "&amp;" not in str(pdf.Root.Metadata.read_bytes())


def _keeps_with_next(paragraph) -> bool:
    style = paragraph.style
    while style is not None:
        if paragraph.paragraph_format.keep_with_next or style.paragraph_format.keep_with_next:
            return True
        style = style.base_style
    return False


def test_headings_and_what_introduces_a_table_keep_with_what_follows(valid_doc):
    """No heading alone at the foot of a page: each heading, and each paragraph a table follows, keeps with it."""
    document = docx.Document(io.BytesIO(build(valid_doc)))
    blocks = list(document.element.body.iterchildren())
    paragraphs = {p._p: p for p in document.paragraphs}
    checked = 0
    for block, after in zip(blocks, blocks[1:], strict=False):
        paragraph = paragraphs.get(block)
        if paragraph is None or not paragraph.text.strip():
            continue
        is_heading = paragraph.style.name.startswith("Heading") or paragraph.text in (
            "MANIFESTA", "DICHIARA", "SI IMPEGNA", "Perché le misure di politica attiva in corso non vi rispondono "
            "pienamente", "Analisi, ricerche e studi da cui emerge")
        if is_heading or after.tag.endswith("}tbl"):
            assert _keeps_with_next(paragraph), paragraph.text
            checked += 1
    assert checked >= 15
    members = [t for t in document.tables if t.rows[0].cells[0].text.startswith(("Categoria", "Capofila"))]
    assert len(members) == 7
    for table in members:  # each category's heading rows (its name, the columns) stay with its first member
        for row in table.rows[:2]:
            assert all(p.paragraph_format.keep_with_next for cell in row.cells for p in cell.paragraphs)


@needs_libreoffice
def test_every_page_names_the_version_and_a_category_carried_over_a_page_is_named_again(tmp_path):
    from patti_web.documenti.pdf import convert_docx_to_pdf

    domanda = sample_domanda(EDITION, 60)
    identita = Identita.of(domanda, 42, 3)
    pdf = convert_docx_to_pdf(build_manifestazione_docx(domanda, EDITION, DAY, identita))
    pages = pdf_pages(pdf, tmp_path)
    assert len(pages) > 3
    for n, page in enumerate(pages, start=1):
        assert f"Domanda n. 42 · versione 3 · impronta {identita.impronta[:12]} · Pagina {n} di {len(pages)}" in page
    groups, _count = documenti._groups(domanda, EDITION)
    carried = 0
    for group in groups:
        codes = [row["codice_fiscale"] for row in group["soggetti"] if "partner" in row]  # not the lead's: in the text
        on = sorted({n for n, page in enumerate(pages) for code in codes if code in page})
        for n in on:  # on every page with members of the category, its label comes before them
            first = min(pages[n].index(code) for code in codes if code in pages[n])
            assert group["etichetta"][:40] in pages[n][:first], (group["etichetta"], n + 1)
        carried += len(on) > 1
    assert carried  # the sample has a category that runs onto a second page
    with pikepdf.open(io.BytesIO(pdf)) as document:
        keywords = str(document.docinfo["/Keywords"])
        assert f"SHA-256 {identita.impronta}" in keywords and "domanda 42; versione 3" in keywords
        assert document.open_metadata()["pdf:Keywords"] == keywords


@needs_libreoffice
def test_the_signature_stays_on_the_page_of_place_and_date(valid_doc, tmp_path):
    from patti_web.documenti.pdf import convert_many

    long_text = ("Un testo lungo che occupa molte righe del documento, " * 100)[:5000]
    long_doc = copy.deepcopy(valid_doc)
    for need in long_doc["fabbisogni"]:
        need["descrizione"] = need["lacune_politiche_attive"] = long_text
    long_doc["interventi"][0]["descrizione"] = long_text
    cases = {"1 partner (a draft)": sample_domanda(EDITION, 6).model_copy(update={"partner": []}),
             "60 partner": sample_domanda(EDITION, 60), "200 partner": sample_domanda(EDITION, 200),
             "testi di 5.000 caratteri": read_document(json.dumps(long_doc))}
    pdfs = convert_many([build_manifestazione_docx(d, EDITION, DAY) for d in cases.values()])
    for (name, domanda), pdf in zip(cases.items(), pdfs, strict=True):
        pages = pdf_pages(pdf, tmp_path)
        # The signature, or on a draft what stands in its place.
        signature = "Il legale rappresentante" if not check_application(domanda, EDITION) else "Documento non firmabile"
        date_page = [n for n, page in enumerate(pages) if "Luogo e data" in page]
        signature_page = [n for n, page in enumerate(pages) if signature in page]
        assert date_page == signature_page and len(date_page) == 1, (name, date_page, signature_page)


@needs_libreoffice
def test_a_letter_of_adhesion_is_one_page(valid_doc, tmp_path):
    from patti_web.documenti.pdf import convert_many

    valid_doc["partner"][2]["ccnl"] = "CCNL " + "Metalmeccanici Industria, " * 15
    pdfs = convert_many([letter(valid_doc), letter(draft(copy.deepcopy(valid_doc)), 0)])
    for pdf in pdfs:
        assert len(pdf_pages(pdf, tmp_path)) == 1
