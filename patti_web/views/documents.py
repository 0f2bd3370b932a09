"""Downloads of the manifestazione di interesse: DOCX always, PDF/A when LibreOffice is installed."""

from __future__ import annotations

import hashlib
import io
import logging
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, send_file
from flask_login import current_user, login_required

from patti_web.documents import DOCX_MIMETYPE
from patti_web.documents import pdf as pdf_converter
from patti_web.i18n import gettext as _
from patti_web.services import NotFound, build_docx, load

bp = Blueprint("documents", __name__)
log = logging.getLogger(__name__)


@bp.before_request
@login_required
def require_login():
    """Documents are their owner's only."""


def _load(application_id: int):
    try:
        return load(application_id, current_user)
    except NotFound:
        abort(404)


@bp.get("/domande/<int:application_id>/manifestazione.docx")
def docx(application_id: int):
    """The Word document of a stored application, to print and sign."""
    data, filename = build_docx(_load(application_id))
    return send_file(io.BytesIO(data), mimetype=DOCX_MIMETYPE, as_attachment=True, download_name=filename)


def _pdf_unavailable(message: str):
    return render_template("errors/error.html", status=503, title=_("PDF not available"), message=message), 503


@bp.get("/domande/<int:application_id>/manifestazione.pdf")
def pdf(application_id: int):
    """The PDF/A-2b of a stored application; a clear page, not an error, when LibreOffice is missing."""
    data, filename = build_docx(_load(application_id))
    if not pdf_converter.is_available():
        return _pdf_unavailable(_("The PDF cannot be produced on this server (LibreOffice is not installed). "
                                  "Download the Word document and save it as PDF/A with your word processor."))
    # Same DOCX bytes, same PDF: keep the result so that a second download costs nothing.
    cache = Path(current_app.config["PATTI_PDF_CACHE"] or Path(current_app.instance_path) / "pdf-cache")
    cached = cache / f"{application_id}-{hashlib.sha256(data).hexdigest()}.pdf"
    if not cached.exists():
        try:
            result = pdf_converter.convert_docx_to_pdf(data, timeout=current_app.config["PATTI_PDF_TIMEOUT"])
        except pdf_converter.PdfUnavailable:
            return _pdf_unavailable(_("The server is busy producing other PDFs. Please try again in a minute."))
        except pdf_converter.PdfConversionError:
            log.exception("PDF conversion failed for application %s", application_id)
            return _pdf_unavailable(_("The PDF could not be produced. Download the Word document instead, or try "
                                      "again later."))
        cache.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(".part")
        partial.write_bytes(result)
        partial.replace(cached)
        for old in cache.glob(f"{application_id}-*.pdf"):
            if old != cached:
                old.unlink(missing_ok=True)
    return send_file(cached, mimetype="application/pdf", as_attachment=True,
                     download_name=filename.removesuffix(".docx") + ".pdf")
