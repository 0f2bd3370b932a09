"""Firma e presentazione: the documents to sign and their state, the upload of each signed file with its checks in
Italian, the signed files to download, and each partner's personal link (made, shown once to be copied, revoked).
Plain forms (multipart); htmx is not needed here."""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, send_file, session, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField
from wtforms.validators import InputRequired

from patti_web import domande
from patti_web.i18n import gettext as _
from patti_web.i18n import lazy_gettext as _l
from patti_web.presentazione import firme, links, operations
from patti_web.web.forms import EmptyForm
from patti_web.web.security import external_url

bp = Blueprint("presentazione", __name__, url_prefix="/domande/<int:domanda_id>")
# The link just made, kept in the (signed) session until the page shows it once: never stored elsewhere.
NEW_LINK = "link_adesione_nuovo"

STATE_LABELS = {operations.TO_SIGN: _l("To sign"), operations.UPLOADED: _l("Uploaded, certificate to be checked"),
                operations.VERIFIED: _l("Verified"), operations.TO_SIGN_AGAIN: _l("To sign again")}


def signed_file_field() -> FileField:
    """The field of a signed file (this page's form and the partner's link page)."""
    return FileField(_l("Signed file (PDF signed in PAdES, or .p7m)"),
                     [FileRequired(message=_l("Signed file: choose the file to upload."))])


class UploadForm(FlaskForm):
    documento = SelectField(_l("Document"), [InputRequired(_l("Document: choose which document the file signs."))],
                            validate_choice=False)
    firmato = signed_file_field()


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
    new_link = session.pop(NEW_LINK, None) if status == 200 else None
    if isinstance(new_link, dict) and new_link.get("domanda") == state.id:
        new_link["label"] = next((r.document.label for r in rows if r.document.partner_id == new_link.get("partner")),
                                 "")
    else:
        new_link = None
    return render_template("presentazione/presentazione.html", head=state.head, rows=rows, form=form,
                           labels=STATE_LABELS, refused=refused, can_edit=state.head.can_edit,
                           open_links=links.open_links(state), new_link=new_link, action_form=EmptyForm(),
                           link_days=links.link_days(), max_mb=operations.max_bytes() // 2**20), status


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
        state = domande.load(domanda_id, current_user, domande.EDIT)
        document, row, outcome = operations.upload(state, current_user, key, name, upload.read())
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


def _posted() -> None:
    if not EmptyForm().validate():
        abort(400)


@bp.post("/presentazione/link/<partner_id>")
def make_link(domanda_id: int, partner_id: str):
    """Make a partner's personal link (the one it had stops working) and show it once, to be copied."""
    _posted()
    try:
        link, token = links.make_link(domanda_id, current_user, partner_id)
    except operations.Refused as refused:
        flash(str(refused), "error")
    else:
        session[NEW_LINK] = {"domanda": domanda_id, "partner": link.partner_id,
                             "url": external_url("adesione.page", token=token)}
    return redirect(url_for("presentazione.page", domanda_id=domanda_id, _anchor="link-personali"), 303)


@bp.post("/presentazione/link/<partner_id>/revoca")
def revoke_link(domanda_id: int, partner_id: str):
    """Revoke a partner's personal link: it stops working at once."""
    _posted()
    if links.revoke_link(domanda_id, current_user, partner_id):
        flash(_("Personal link revoked: it no longer works."), "success")
    else:
        flash(_("That partner has no working personal link (it was revoked meanwhile, or it had expired)."), "info")
    return redirect(url_for("presentazione.page", domanda_id=domanda_id, _anchor="link-personali"), 303)
