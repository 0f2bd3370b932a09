"""Downloads: the manifestazione di interesse and the partners' letters of adhesion, in DOCX always and in PDF/A
when LibreOffice is installed; all the letters at once in a ZIP."""

from __future__ import annotations

import hashlib
import io
import logging
from datetime import UTC
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, send_file
from flask_login import current_user, login_required

from patti_web import services
from patti_web.documents import DOCX_MIMETYPE, zip_documents
from patti_web.documents import pdf as pdf_converter
from patti_web.i18n import gettext as _

bp = Blueprint("documents", __name__, url_prefix="/domande/<int:application_id>")
log = logging.getLogger(__name__)


@bp.before_request
@login_required
def require_login():
    """Documents are their owner's only."""


def _load(application_id: int) -> services.State:
    """The application, for anyone with a role in it (services.NotFound becomes a 404 in patti_web.errors)."""
    return services.load(application_id, current_user)


def _letter(state: services.State, partner_id: str) -> tuple[bytes, str]:
    return services.build_letter(state, partner_id)  # an unknown partner: NotFound, a 404


def _download(data: bytes, name: str, mimetype: str):
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)


class _NoPdf(Exception):
    """The PDF cannot be made now; `response` says why, in Italian."""

    def __init__(self, message: str):
        super().__init__(message)
        self.response = (render_template("errors/error.html", status=503, title=_("PDF not available"),
                                         message=message), 503)


def _pdfs(state: services.State, documents: list[bytes]) -> list[bytes]:
    """The PDF/A of each DOCX, converted once: kept by the DOCX's SHA-256 in the application's folder of the cache
    (what is older than the application's last change belonged to an earlier version and goes)."""
    if not pdf_converter.is_available():
        raise _NoPdf(_("The PDF cannot be produced on this server (LibreOffice is not installed). Download the Word "
                       "document and save it as PDF/A with your word processor."))
    root = Path(current_app.config["PATTI_PDF_CACHE"] or Path(current_app.instance_path) / "pdf-cache")
    folder = root / str(state.id)
    paths = [folder / f"{hashlib.sha256(data).hexdigest()}.pdf" for data in documents]
    missing = [(path, data) for path, data in zip(paths, documents, strict=True) if not path.exists()]
    if missing:
        try:
            converted = pdf_converter.convert_many([data for _path, data in missing],
                                                   timeout=current_app.config["PATTI_PDF_TIMEOUT"])
        except pdf_converter.PdfUnavailable:
            raise _NoPdf(_("The server is busy producing other PDFs. Please try again in a minute.")) from None
        except pdf_converter.PdfConversionError:
            log.exception("PDF conversion failed for application %s", state.id)
            raise _NoPdf(_("The PDF could not be produced. Download the Word document instead, or try again "
                           "later.")) from None
        folder.mkdir(parents=True, exist_ok=True)
        stale_before = state.head.updated_at.replace(tzinfo=UTC).timestamp()
        for old in folder.glob("*.pdf"):
            if old.stat().st_mtime < stale_before and old not in paths:
                old.unlink(missing_ok=True)
        for (path, _data), result in zip(missing, converted, strict=True):
            partial = path.with_suffix(".part")
            partial.write_bytes(result)
            partial.replace(path)
    return [path.read_bytes() for path in paths]


@bp.get("/manifestazione.docx")
def docx(application_id: int):
    """The Word document of a stored application, to print and sign."""
    data, filename = services.build_docx(_load(application_id))
    return _download(data, filename, DOCX_MIMETYPE)


def _pdf_download(state: services.State, docx: tuple[bytes, str]):
    """The PDF/A-2b of one document, named after its DOCX; a clear page, not an error, when it cannot be made."""
    data, filename = docx
    try:
        (result,) = _pdfs(state, [data])
    except _NoPdf as no_pdf:
        return no_pdf.response
    return _download(result, filename.removesuffix(".docx") + ".pdf", "application/pdf")


@bp.get("/manifestazione.pdf")
def pdf(application_id: int):
    """The PDF/A-2b of a stored application."""
    state = _load(application_id)
    return _pdf_download(state, services.build_docx(state))


@bp.get("/adesioni/<partner_id>.docx")
def letter_docx(application_id: int, partner_id: str):
    """A partner's letter of adhesion, to be signed by its legal representative."""
    data, filename = _letter(_load(application_id), partner_id)
    return _download(data, filename, DOCX_MIMETYPE)


@bp.get("/adesioni/<partner_id>.pdf")
def letter_pdf(application_id: int, partner_id: str):
    state = _load(application_id)
    return _pdf_download(state, _letter(state, partner_id))


@bp.get("/adesioni.zip")
def letters_zip(application_id: int):
    """Every partner's letter of adhesion (DOCX) in one ZIP."""
    letters, name = services.build_letters(_load(application_id))
    if not letters:
        abort(404)
    return _download(zip_documents(letters), name, "application/zip")


@bp.get("/adesioni-pdf.zip")
def letters_pdf_zip(application_id: int):
    """Every partner's letter of adhesion (PDF/A) in one ZIP, converted in one LibreOffice run."""
    state = _load(application_id)
    letters, name = services.build_letters(state)
    if not letters:
        abort(404)
    try:
        pdfs = _pdfs(state, [data for _name, data in letters])
    except _NoPdf as no_pdf:
        return no_pdf.response
    files = [(letter_name.removesuffix(".docx") + ".pdf", data)
             for (letter_name, _docx), data in zip(letters, pdfs, strict=True)]
    return _download(zip_documents(files), name.replace("adesioni-", "adesioni-pdf-", 1), "application/zip")
