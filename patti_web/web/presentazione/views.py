"""Firma e presentazione: the documents to sign and their state, the upload of each signed file with its checks in
Italian, and the signed files to download. Plain forms (multipart); htmx is not needed here."""

from __future__ import annotations

import io

from flask import Blueprint, flash, redirect, render_template, send_file, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField
from wtforms.validators import InputRequired

from patti_web import domande
from patti_web.documenti import downloads
from patti_web.i18n import gettext as _
from patti_web.i18n import lazy_gettext as _l
from patti_web.presentazione import firme, operations

bp = Blueprint("presentazione", __name__, url_prefix="/domande/<int:domanda_id>")

STATE_LABELS = {operations.TO_SIGN: _l("To sign"), operations.UPLOADED: _l("Uploaded, certificate to be checked"),
                operations.VERIFIED: _l("Verified"), operations.TO_SIGN_AGAIN: _l("To sign again")}


class UploadForm(FlaskForm):
    documento = SelectField(_l("Document"), [InputRequired(_l("Document: choose which document the file signs."))],
                            validate_choice=False)
    firmato = FileField(_l("Signed file (PDF signed in PAdES, or .p7m)"),
                        [FileRequired(message=_l("Signed file: choose the file to upload."))])


@bp.before_request
@login_required
def require_login():
    """The filing page is for whoever has a role in the application."""


def _page(domanda_id: int, form: UploadForm | None = None, status: int = 200,
          refused: tuple[operations.ToSign, str, firme.Outcome | None] | None = None):
    state = domande.load(domanda_id, current_user)
    rows = operations.table(state)
    if form is None:  # the first document still to sign (or to sign again) comes chosen
        waiting = next((r.document.key for r in rows if r.state in (operations.TO_SIGN, operations.TO_SIGN_AGAIN)),
                       rows[0].document.key)
        form = UploadForm(formdata=None, documento=waiting)
    form.documento.choices = [(row.document.key, row.document.label) for row in rows]
    return render_template("presentazione/presentazione.html", head=state.head, rows=rows, form=form,
                           labels=STATE_LABELS, refused=refused, can_edit=state.head.can_edit,
                           act_date_warning=downloads.date_warning(state),
                           max_mb=operations.max_bytes() // 2**20), status


@bp.get("/presentazione")
def page(domanda_id: int):
    return _page(domanda_id)


@bp.post("/presentazione/carica")
def upload(domanda_id: int):
    """Check one signed file and keep it when no check failed; what failed is said beside the file, one line per
    check."""
    domande.get_head(domanda_id, current_user, domande.EDIT)
    form = UploadForm()
    key = form.documento.data or ""
    if not form.validate_on_submit():
        return _page(domanda_id, form, 422)
    upload = form.firmato.data
    name = operations.file_name(upload.filename or "")
    try:
        document, row, outcome = operations.upload(domanda_id, current_user, key, name, upload.read())
    except operations.Refused as refused:
        form.firmato.errors.append(_("%(file)s: %(problem)s", file=name, problem=str(refused)))
        return _page(domanda_id, form, 422)
    if row is None:
        form.firmato.errors.extend(_("%(file)s: %(check)s", file=name, check=check.message)
                                   for check in outcome.failures)
        return _page(domanda_id, form, 422, refused=(document, name, outcome))
    if outcome.state == firme.VERIFIED:
        flash(_("%(file)s: signature verified for %(document)s.", file=name, document=document.label), "success")
    else:
        flash(_("%(file)s: kept for %(document)s; the certificate's authority is left to the office to check.",
                file=name, document=document.label), "info")
    return redirect(url_for("presentazione.page", domanda_id=domanda_id), 303)


@bp.get("/firmati/<int:file_id>")
def signed_file(domanda_id: int, file_id: int):
    """A signed file as it was uploaded, for anyone with a role in the application."""
    row, data = operations.signed_file(domanda_id, current_user, file_id)
    mimetype = "application/pdf" if row.formato == firme.PADES else "application/pkcs7-mime"
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=row.nome_file)
