"""Downloads: the DOCX of a stored application (same bytes as the CLI), and the PDF or a clear 503."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from datetime import datetime
from pathlib import Path

import docx
import pytest
from sqlalchemy import update

from patti_web.avviso import domanda as doc
from patti_web.avviso.domanda import read_document
from patti_web.documenti import pdf
from patti_web.domande.models import DomandaRecord
from patti_web.extensions import db

DATA = Path(__file__).parent / "data"


@pytest.fixture
def client(auth_client):
    """Downloads are for the logged-in owner."""
    return auth_client


@pytest.fixture
def stored(stored):
    # 23:30 UTC on the 23rd is already the 24th in Italy.
    db.session.execute(update(DomandaRecord).where(DomandaRecord.id == stored.id)
                       .values(updated_at=datetime(2026, 11, 23, 23, 30)))
    db.session.commit()
    return stored


def test_the_docx_download_has_a_clean_name_and_is_a_word_document(client, stored):
    response = client.get(f"/domande/{stored.id}/manifestazione.docx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=manifestazione-patto-per-la-meccanica-bresciana-2026-11-24.docx")
    document = docx.Document(io.BytesIO(response.data))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert "Luogo e data: Brescia, 24 novembre 2026" in cells


def test_the_cli_writes_the_same_bytes_as_the_web_download(client, runner, stored, tmp_path):
    web = client.get(f"/domande/{stored.id}/manifestazione.docx").data
    out = tmp_path / "cli.docx"
    result = runner.invoke(args=["patti", "export-docx", str(DATA / "valida.json"), "-o", str(out),
                                 "--data", "2026-11-24", "--numero", str(stored.id), "--versione",
                                 str(stored.versione)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == web
    footer = docx.Document(io.BytesIO(web)).sections[0].footer.paragraphs[0].text
    fingerprint = doc.fingerprint(read_document((DATA / "valida.json").read_bytes()))
    assert footer.startswith(f"Domanda n. {stored.id} · versione {stored.versione} · impronta {fingerprint[:12]} · ")


def test_the_cli_exports_a_draft_and_says_so(runner, tmp_path):
    out = tmp_path / "bozza.docx"
    result = runner.invoke(args=["patti", "export-docx", str(DATA / "con_errori.json"), "-o", str(out)])
    assert result.exit_code == 0
    assert "BOZZA" in result.stderr
    assert "BOZZA \u2014 DOCUMENTO NON FIRMABILE" in [p.text for p in docx.Document(str(out)).paragraphs]


def test_the_cli_refuses_an_unreadable_file_with_exit_2(runner, tmp_path):
    bad = tmp_path / "rotto.json"
    bad.write_text("[]", encoding="utf-8")
    result = runner.invoke(args=["patti", "export-docx", str(bad), "-o", str(tmp_path / "x.docx")])
    assert result.exit_code == 2
    assert not (tmp_path / "x.docx").exists()


def test_an_unknown_application_is_404(client):
    assert client.get("/domande/999/manifestazione.docx").status_code == 404
    assert client.get("/domande/999/manifestazione.pdf").status_code == 404


def test_someone_elses_application_is_404_and_a_visitor_must_log_in(app, stored, make_user):
    from tests.support.sandbox import LoggedInClient

    app.test_client_class = LoggedInClient
    other = app.test_client(user=make_user(email="altro@example.it"))
    assert other.get(f"/domande/{stored.id}/manifestazione.docx").status_code == 404
    assert other.get(f"/domande/{stored.id}/manifestazione.pdf").status_code == 404
    visitor = app.test_client()
    response = visitor.get(f"/domande/{stored.id}/manifestazione.docx")
    assert response.status_code in (302, 303)
    assert response.headers["Location"].startswith("/accedi")


def test_without_libreoffice_the_pdf_is_reported_unavailable_not_an_error(client, stored, monkeypatch):
    monkeypatch.setattr(pdf, "soffice_path", lambda: None)
    response = client.get(f"/domande/{stored.id}/manifestazione.pdf")
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert "PDF non disponibile" in html and "LibreOffice" in html


def test_a_failed_conversion_is_a_clear_page(client, stored, monkeypatch):
    def fail(data, **kwargs):
        raise pdf.PdfConversionError("boom")

    monkeypatch.setattr(pdf, "soffice_path", lambda: "/bin/false")
    monkeypatch.setattr(pdf, "convert_many", fail)
    response = client.get(f"/domande/{stored.id}/manifestazione.pdf")
    assert response.status_code == 503
    assert "boom" not in response.get_data(as_text=True)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_the_pdf_download_is_a_pdf_and_is_kept_for_the_next_request(client, stored, monkeypatch):
    response = client.get(f"/domande/{stored.id}/manifestazione.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert "manifestazione-patto-per-la-meccanica-bresciana-2026-11-24.pdf" in (
        response.headers["Content-Disposition"])
    first = response.data
    response.close()

    def must_not_run(*args, **kwargs):
        raise AssertionError("converted twice")

    monkeypatch.setattr(pdf, "convert_many", must_not_run)
    again = client.get(f"/domande/{stored.id}/manifestazione.pdf")
    assert again.data == first
    again.close()


def test_each_partner_has_a_letter_of_adhesion_to_download(client, stored, valid_doc):
    response = client.get(f"/domande/{stored.id}/adesioni/p3.docx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=adesione-04-cisl-brescia-2026-11-24.docx")  # its number in the act
    body = "\n".join(p.text for p in docx.Document(io.BytesIO(response.data)).paragraphs)
    assert "CISL Brescia" in body and "Patto per la meccanica bresciana" in body
    assert client.get(f"/domande/{stored.id}/adesioni/nessuno.docx").status_code == 404
    html = client.get(f"/domande/{stored.id}/riepilogo").get_data(as_text=True)
    assert f'href="/domande/{stored.id}/adesioni/p3.docx" data-hx-boost="false"' in html
    # One at a time too, by their numbers in the act (p6 is the act's 5th member, before p4 and p5).
    listed = re.findall(rf'<li>(\d+)\. [^<]*<a href="/domande/{stored.id}/adesioni/(p\d+)\.docx"', html)
    assert listed == [("2", "p1"), ("3", "p2"), ("4", "p3"), ("5", "p6"), ("6", "p4"), ("7", "p5")]
    assert f'href="/domande/{stored.id}/adesioni.zip" data-hx-boost="false"' in html


def test_all_the_letters_come_in_one_zip(client, stored, valid_doc):
    response = client.get(f"/domande/{stored.id}/adesioni.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=adesioni-patto-per-la-meccanica-bresciana-2026-11-24.zip")
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        names = archive.namelist()
        assert len(names) == len(valid_doc["partner"]) and all(n.endswith(".docx") for n in names)
        first = docx.Document(io.BytesIO(archive.read(names[0])))
    assert valid_doc["partner"][0]["denominazione"] in "\n".join(p.text for p in first.paragraphs)
    assert client.get(f"/domande/{stored.id}/adesioni.zip").data == response.data


def test_someone_elses_letters_are_404(app, stored, make_user):
    from tests.support.sandbox import LoggedInClient

    app.test_client_class = LoggedInClient
    other = app.test_client(user=make_user(email="altro@example.it"))
    for url in ("adesioni/p1.docx", "adesioni/p1.pdf", "adesioni.zip", "adesioni-pdf.zip"):
        assert other.get(f"/domande/{stored.id}/{url}").status_code == 404, url


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_the_letters_in_pdf_are_converted_in_one_run_and_kept(client, stored, monkeypatch, valid_doc):
    runs = []
    real = pdf.convert_many
    monkeypatch.setattr(pdf, "convert_many", lambda docs, **kw: runs.append(len(docs)) or real(docs, **kw))
    response = client.get(f"/domande/{stored.id}/adesioni-pdf.zip")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        pdfs = [archive.read(name) for name in archive.namelist()]
    assert len(pdfs) == len(valid_doc["partner"]) and all(p.startswith(b"%PDF") for p in pdfs)
    single = client.get(f"/domande/{stored.id}/adesioni/p2.pdf")
    assert single.data == pdfs[1]  # the same letter, already converted
    assert runs == [len(valid_doc["partner"])]
