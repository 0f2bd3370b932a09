"""A partner's personal link, outside login: the partner's own data as its letter of adhesion states them, the PDF of
that letter, and the upload of the letter signed, checked as the capofila's upload is (one line per check).

Whoever holds the link sees that partner and nothing else of the application. A link that does not work gets a clear
page: 404 (not ours, or its application or partner gone), 410 (revoked, expired). The pages are limited per address
(the PDF and the checks cost seconds of work) and answered with no referrer (the token is in the address).
"""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, flash, make_response, redirect, render_template, url_for
from flask_wtf import FlaskForm

from patti_web.avviso.regole import has_errors
from patti_web.documenti import downloads
from patti_web.extensions import limiter
from patti_web.i18n import gettext as _
from patti_web.presentazione import firme, links, operations
from patti_web.web.documenti.views import pdf_download
from patti_web.web.presentazione.views import signed_file_field

bp = Blueprint("adesione", __name__, url_prefix="/adesione/<token>")

# The token is in the address: no referrer carries it to another site (every page is already no-store).
PRIVATE = {"Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


class LetterUploadForm(FlaskForm):
    firmato = signed_file_field()


def with_link(view):
    """Open the link of the address's token and pass it to `view`; a link that does not work gets its page."""
    @wraps(view)
    def opened_view(token: str):
        try:
            opened = links.opened(token)
        except links.LinkRefused as refused:
            body = render_template("auth/link_invalid.html", title=_("This link does not work"),
                                   message=refused.message)
            return body, refused.status, PRIVATE
        return view(token, opened)

    return opened_view


def _page(token: str, opened: links.Opened, form: LetterUploadForm | None = None, status: int = 200,
          outcome: tuple[str, firme.Outcome | None] | None = None):
    state, partner = opened.state, opened.partner
    latest = links.latest_upload(opened)
    body = render_template(
        "adesione/adesione.html", token=token, state=state, partner=partner, capofila=state.domanda.capofila,
        form=form or LetterUploadForm(formdata=None), latest=latest, refused=outcome,
        draft=not state.head.frozen or operations.letter_may_follow(state, operations.document_of(state, opened.key)),
        errors=has_errors(state.findings),
        stale=latest is not None and latest.versione != state.versione, scade_at=opened.link.scade_at,
        max_mb=operations.max_bytes() // 2**20)
    return body, status, PRIVATE


@bp.get("")
@limiter.limit("60/hour")
@with_link
def page(token: str, opened: links.Opened):
    """The partner's page: its data, its letter to download, the upload of the signed letter."""
    return _page(token, opened)


@bp.get("/lettera.pdf")
@limiter.limit("20/hour")
@with_link
def letter_pdf(token: str, opened: links.Opened):
    """The PDF of the partner's letter, for the current version (the one to sign)."""
    response = make_response(pdf_download(opened.state, downloads.letter(opened.state, opened.partner.id)))
    response.headers.update(PRIVATE)
    return response


@bp.post("/carica")
@limiter.limit("20/hour")
@with_link
def upload(token: str, opened: links.Opened):
    """Check the partner's signed letter and keep it when no check failed; each check is said, one line each."""
    form = LetterUploadForm()
    if not form.validate_on_submit():
        return _page(token, opened, form, 422)
    upload = form.firmato.data
    name = operations.file_name(upload.filename or "")
    try:
        _document, row, outcome = operations.upload(opened.state, opened.link, opened.key, name, upload.read())
    except operations.Refused as refused:
        form.firmato.errors.append(_("%(file)s: %(problem)s", file=name, problem=str(refused)))
        return _page(token, opened, form, 422)
    if row is None:
        form.firmato.errors.extend(_("%(file)s: %(check)s", file=name, check=check.message)
                                   for check in outcome.failures)
        return _page(token, opened, form, 422, outcome=(name, outcome))
    if outcome.state == firme.VERIFIED:
        flash(_("%(file)s: signature verified. Thank you: the lead partner sees your signed letter.", file=name),
              "success")
    else:
        flash(_("%(file)s: kept; the certificate's authority is left to the office to check. The lead partner sees "
                "your signed letter.", file=name), "info")
    return redirect(url_for("adesione.page", token=token), 303), PRIVATE
