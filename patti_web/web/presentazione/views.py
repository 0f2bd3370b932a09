"""Firma e presentazione: the documents to sign and their state, the upload of each signed file with its checks in
Italian, the signed files to download, each partner's personal link (made, shown once to be copied, revoked); the
submission (what is missing, submit, withdraw), its receipt (page, PDF, DOCX) and the package the office receives.
Plain forms (multipart); htmx is not needed here."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from flask import Blueprint, abort, flash, redirect, render_template, send_file, session, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField
from wtforms.validators import DataRequired, InputRequired

from patti_web import domande
from patti_web.documenti import DOCX_MIMETYPE, downloads, zip_documents
from patti_web.documenti.cache import NoPdf, pdfs_of
from patti_web.documenti.ricevuta import build_receipt_docx, receipt_filename
from patti_web.i18n import gettext as _
from patti_web.i18n import lazy_gettext as _l
from patti_web.portal import current_edition
from patti_web.presentazione import firme, invio, links, operations
from patti_web.web.documenti.views import _no_pdf
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


class SubmitForm(FlaskForm):
    versione = HiddenField()
    conferma = BooleanField(_l("I confirm that I submit this version of the application, with the signed files "
                               "listed above, to the office that receives it."),
                            [DataRequired(_l("Confirmation: tick the box to submit the application."))])


class WithdrawForm(FlaskForm):
    conferma = BooleanField(_l("I confirm that I withdraw the submission: the application becomes a draft again, and "
                               "its signed files will have to be signed again."),
                            [DataRequired(_l("Confirmation: tick the box to withdraw the submission."))])


@bp.before_request
@login_required
def require_login():
    """The filing page is for whoever has a role in the application."""


def _page(domanda_id: int, form: UploadForm | None = None, status: int = 200,
          refused: tuple[operations.ToSign, str, firme.Outcome | None] | None = None,
          submit_form: SubmitForm | None = None, withdraw_form: WithdrawForm | None = None):
    state = domande.load(domanda_id, current_user)
    rows = operations.table(state)
    if form is None:  # the first document still to sign (or to sign again) comes chosen
        waiting = next((r.document.key for r in rows if r.state in (operations.TO_SIGN, operations.TO_SIGN_AGAIN)),
                       rows[0].document.key)
        form = UploadForm(formdata=None, documento=waiting)
    edizione = current_edition()
    # Once submitted, only the partners' letters may still come, and only when the edition lets them follow.
    letters_follow = state.head.frozen and not edizione.lettere_alla_presentazione
    form.documento.choices = [(row.document.key, row.document.label) for row in rows
                              if not state.head.frozen or row.document.partner_id]
    new_link = session.pop(NEW_LINK, None) if status == 200 else None
    if isinstance(new_link, dict) and new_link.get("domanda") == state.id:
        new_link["label"] = next((r.document.label for r in rows if r.document.partner_id == new_link.get("partner")),
                                 "")
    else:
        new_link = None
    now = datetime.now(UTC)
    history = invio.history(state.id)
    submitted = next((p for p in history if p.ritirata_at is None), None) if state.head.frozen else None
    if submit_form is None:
        submit_form = SubmitForm(formdata=None, prefix="presenta")
    submit_form.versione.data = str(state.versione)  # the version this page shows, also after a refused post
    return render_template(
        "presentazione/presentazione.html", head=state.head, rows=rows, form=form, labels=STATE_LABELS,
        refused=refused, max_mb=operations.max_bytes() // 2**20,
        act_date_warning=downloads.date_warning(state), open_links=links.open_links(state), new_link=new_link,
        action_form=EmptyForm(), link_days=links.link_days(),
        submitted=submitted, history=history, files=invio.filed(state, submitted) if submitted else [],
        missing=invio.missing(state, rows, edizione, now) if not submitted else [],
        submit_form=submit_form, withdraw_form=withdraw_form or WithdrawForm(formdata=None, prefix="ritiro"),
        can_submit=state.head.ruolo == domande.TITOLARE, window_open=edizione.is_open_at(now), edition=edizione,
        letters_needed=edizione.lettere_alla_presentazione, letters_follow=letters_follow,
        can_upload=state.head.ruolo in domande.EDIT and (not state.head.frozen or letters_follow),
    ), status


@bp.get("/presentazione")
def page(domanda_id: int):
    return _page(domanda_id)


@bp.post("/presentazione/carica")
def upload(domanda_id: int):
    """Check one signed file and keep it when no check failed; what failed is said beside the file, one line per
    check."""
    head = domande.get_head(domanda_id, current_user, domande.EDIT, even_if_submitted=True)
    if head.frozen and current_edition().lettere_alla_presentazione:
        raise domande.Frozen(domanda_id)
    form = UploadForm()
    key = form.documento.data or ""
    if not form.validate_on_submit():
        return _page(domanda_id, form, 422)
    upload = form.firmato.data
    name = operations.file_name(upload.filename or "")
    try:
        state = domande.load(domanda_id, current_user, domande.EDIT, even_if_submitted=True)
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


@bp.post("/presentazione/presenta")
def submit(domanda_id: int):
    """Submit the version the page showed: a number and a freeze in one transaction; a second click, another tab or
    another person gets the same submission."""
    head = domande.get_head(domanda_id, current_user, domande.MANAGE)
    form = SubmitForm(prefix="presenta")
    if head.frozen:  # a second click, or a tab left open: the page shows the submission made
        flash(_("This application is already submitted: its receipt is below."), "info")
        return redirect(url_for("presentazione.page", domanda_id=domanda_id, _anchor="ricevuta"), 303)
    if not form.validate_on_submit():
        return _page(domanda_id, submit_form=form, status=422)
    versione = int(form.versione.data) if (form.versione.data or "").isdigit() else None
    try:
        done = invio.submit(domanda_id, current_user, versione)
    except invio.NotReady as not_ready:
        form.conferma.errors = [*not_ready.reasons]
        return _page(domanda_id, submit_form=form, status=422)
    except invio.Changed as changed:
        if changed.reason == "titolare":
            flash(_("Nothing was submitted: meanwhile the application was handed over to another person, who is now "
                    "its titolare and may submit it."), "error")
        else:
            flash(_("The application changed after this page was shown (a save, or a withdrawal, by someone else): "
                    "nothing was submitted. Check it below, then submit again."), "error")
        return redirect(url_for("presentazione.page", domanda_id=domanda_id), 303)
    if done.new:
        invio.mail_receipt(domanda_id, done.presentazione, external_url("presentazione.page", domanda_id=domanda_id))
        flash(_("Application submitted: number %(number)s. The receipt is below, and it has been sent by mail.",
                number=done.presentazione.numero), "success")
    else:
        flash(_("This application had already been submitted, as number %(number)s: nothing else was done.",
                number=done.presentazione.numero), "info")
    return redirect(url_for("presentazione.page", domanda_id=domanda_id, _anchor="ricevuta"), 303)


@bp.post("/presentazione/ritira")
def withdraw(domanda_id: int):
    """Withdraw the submission while the window is open: the application can be changed again."""
    domande.get_head(domanda_id, current_user, domande.MANAGE)
    form = WithdrawForm(prefix="ritiro")
    if not form.validate_on_submit():
        return _page(domanda_id, withdraw_form=form, status=422)
    try:
        withdrawn = invio.withdraw(domanda_id, current_user)
    except invio.NotReady as not_ready:  # the window closed: the page no longer offers to withdraw
        for reason in not_ready.reasons:
            flash(reason, "error")
        return redirect(url_for("presentazione.page", domanda_id=domanda_id), 303)
    except invio.Changed:
        flash(_("This application is not submitted (it may have been withdrawn meanwhile): nothing was done."),
              "info")
        return redirect(url_for("presentazione.page", domanda_id=domanda_id), 303)
    flash(_("Submission %(number)s withdrawn: the application can be changed again; submit it again before the window "
            "closes.", number=withdrawn.numero), "success")
    return redirect(url_for("presentazione.page", domanda_id=domanda_id), 303)


class NotSubmitted(Exception):
    """A receipt or package asked of an application that is not submitted (or no longer is)."""


def _receipt_docx(domanda_id: int) -> tuple[bytes, str, domande.State, object]:
    found = invio.frozen_state(domanda_id, current_user)
    if found is None:
        raise NotSubmitted(domanda_id)
    state, presentazione = found
    return build_receipt_docx(invio.receipt_of(state, presentazione)), presentazione.numero, state, presentazione


@bp.errorhandler(NotSubmitted)
def not_submitted(error: NotSubmitted):
    flash(_("This application is not submitted: it has no receipt or package (a withdrawn submission's receipt "
            "stays with whoever downloaded it)."), "info")
    return redirect(url_for("presentazione.page", domanda_id=error.args[0]), 303)


@bp.get("/ricevuta.docx")
def receipt_docx(domanda_id: int):
    data, numero, _state, _row = _receipt_docx(domanda_id)
    return send_file(io.BytesIO(data), mimetype=DOCX_MIMETYPE, as_attachment=True,
                     download_name=receipt_filename(numero, "docx"))


@bp.get("/ricevuta.pdf")
def receipt_pdf(domanda_id: int):
    data, numero, state, _row = _receipt_docx(domanda_id)
    try:
        (pdf,) = pdfs_of(state, [data])
    except NoPdf as no_pdf:
        return _no_pdf(no_pdf.reason)
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=receipt_filename(numero))


@bp.get("/pacchetto.zip")
def package(domanda_id: int):
    """The submitted package: signed act, signed letters, receipt (PDF and DOCX), the frozen version's JSON and a
    manifest, for anyone with a role in the application (staff included)."""
    data, numero, state, presentazione = _receipt_docx(domanda_id)
    try:
        (pdf,) = pdfs_of(state, [data])
    except NoPdf as no_pdf:
        return _no_pdf(no_pdf.reason)
    try:
        files = invio.package_files(state, presentazione, [(receipt_filename(numero), pdf),
                                                           (receipt_filename(numero, "docx"), data)])
    except invio.MissingFile as missing:
        return render_template("errors/error.html", status=503, title=_("Package not available"), message=_(
            "The signed file %(file)s is not in the archive right now, so the package cannot be made whole: the "
            "fault has been logged for the portal's operators. Try again later.", file=missing.args[0])), 503
    return send_file(io.BytesIO(zip_documents(files)), mimetype="application/zip", as_attachment=True,
                     download_name=f"pacchetto-{numero}.zip")
