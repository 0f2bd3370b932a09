"""Downloads: the manifestazione di interesse and the partners' letters of adhesion, in DOCX always and in PDF/A
when LibreOffice is installed; all the letters at once in a ZIP."""

from __future__ import annotations

import io

from flask import Blueprint, abort, render_template, send_file
from flask_login import current_user, login_required

from patti_web import domande
from patti_web.documenti import DOCX_MIMETYPE, downloads, zip_documents
from patti_web.documenti.cache import NoPdf, pdfs_of
from patti_web.i18n import gettext as _

bp = Blueprint("documenti", __name__, url_prefix="/domande/<int:domanda_id>")

@bp.before_request
@login_required
def require_login():
    """Documents are for whoever has a role in the application."""


def _load(domanda_id: int) -> domande.State:
    """The application, for anyone with a role in it (domande.NotFound becomes a 404 in patti_web.web.errors)."""
    return domande.load(domanda_id, current_user)


def _download(data: bytes, name: str, mimetype: str):
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)


def _no_pdf(reason: str):
    """A clear page, not an error, when the PDF cannot be made now."""
    messages = {
        "missing": _("The PDF cannot be produced on this server (LibreOffice is not installed). Download the Word "
                     "document and save it as PDF/A with your word processor."),
        "busy": _("The server is busy producing other PDFs. Please try again in a minute."),
        "failed": _("The PDF could not be produced. Download the Word document instead, or try again later."),
    }
    return render_template("errors/error.html", status=503, title=_("PDF not available"),
                           message=messages[reason]), 503


def pdf_download(state: domande.State, docx: tuple[bytes, str]):
    """The PDF/A-2b of one document, named after its DOCX."""
    data, filename = docx
    try:
        (result,) = pdfs_of(state, [data])
    except NoPdf as no_pdf:
        return _no_pdf(no_pdf.reason)
    return _download(result, filename.removesuffix(".docx") + ".pdf", "application/pdf")


@bp.get("/manifestazione.docx")
def docx(domanda_id: int):
    """The Word document of a stored application, to print and sign."""
    data, filename = downloads.act(_load(domanda_id))
    return _download(data, filename, DOCX_MIMETYPE)


@bp.get("/manifestazione.pdf")
def pdf(domanda_id: int):
    """The PDF/A-2b of a stored application."""
    state = _load(domanda_id)
    return pdf_download(state, downloads.act(state))


@bp.get("/adesioni/<partner_id>.docx")
def letter_docx(domanda_id: int, partner_id: str):
    """A partner's letter of adhesion, to be signed by its legal representative (an unknown partner: a 404)."""
    data, filename = downloads.letter(_load(domanda_id), partner_id)
    return _download(data, filename, DOCX_MIMETYPE)


@bp.get("/adesioni/<partner_id>.pdf")
def letter_pdf(domanda_id: int, partner_id: str):
    state = _load(domanda_id)
    return pdf_download(state, downloads.letter(state, partner_id))


@bp.get("/adesioni.zip")
def letters_zip(domanda_id: int):
    """Every partner's letter of adhesion (DOCX) in one ZIP."""
    letters, name = downloads.letters(_load(domanda_id))
    if not letters:
        abort(404)
    return _download(zip_documents(letters), name, "application/zip")


@bp.get("/adesioni-pdf.zip")
def letters_pdf_zip(domanda_id: int):
    """Every partner's letter of adhesion (PDF/A) in one ZIP, converted in one LibreOffice run."""
    state = _load(domanda_id)
    letters, name = downloads.letters(state)
    if not letters:
        abort(404)
    try:
        pdfs = pdfs_of(state, [data for _name, data in letters])
    except NoPdf as no_pdf:
        return _no_pdf(no_pdf.reason)
    files = [(letter_name.removesuffix(".docx") + ".pdf", data)
             for (letter_name, _docx), data in zip(letters, pdfs, strict=True)]
    return _download(zip_documents(files), name.replace("adesioni-", "adesioni-pdf-", 1), "application/zip")
