"""Error pages: Italian, never a stack trace; the database session is rolled back on a server error."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Flask, current_app, flash, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from htmx_flask import make_response
from werkzeug.exceptions import Forbidden, HTTPException, InternalServerError, NotFound, SecurityError

from patti_web import domande, fogli, storage
from patti_web.extensions import db, login_manager
from patti_web.i18n import gettext as _
from patti_web.web import stash
from patti_web.web.htmx import is_partial_request, redirect_to
from patti_web.web.security import safe_next

log = logging.getLogger(__name__)


# A page of its own for a form whose limit was reached, by endpoint (the login offers a login link by mail).
WHEN_LIMITED: dict[str, Callable[[], object]] = {}


def _page(status: int, title: str, message: str):
    return render_template("errors/error.html", status=status, title=title, message=message), status


def unavailable_page():
    """503 when the database cannot write: it says so (not a conflict, not "try later" for a busy application), and a
    piece of a page asked by htmx leaves the form as it is and says it in the page's messages."""
    title = _("The service cannot save right now")
    message = _("The service cannot save right now: nothing of this request was saved. Try again in a little "
                "while; if you were filling in a form, what you typed is still in it (go back to it if needed).")
    return _retry_later(title, message)


def _busy_page():
    return _retry_later(_("Too many requests at once"),
                        _("Many changes are being saved at this moment and this one could not be: nothing was "
                          "saved. Try again in a moment."))


def _retry_later(title: str, message: str):
    headers = {"Retry-After": "30"}
    if is_partial_request():
        response = make_response(render_template("errors/_messaggio.html", message=message), 503)
        response.headers.update({**headers, "HX-Retarget": "#messaggi", "HX-Reswap": "innerHTML"})
        return response
    body, status = _page(503, title, message)
    return body, status, headers


def keep_typing_and_log_in():
    """Send to the login page; a form POSTed in an expired session is kept for this browser and comes back, filled
    in, when the user who may edit that application opens the form again after logging in (patti_web.web.stash).

    A piece of a page asked by htmx (the ATECO suggestions under a sector's form, the territory's check) does not
    take the page away: the piece says the session has expired and links the login; after a GET it offers the
    form's own Save, whose POST keeps what was typed; after a POST what it carried is kept already.
    """
    if is_partial_request():
        kept = stash.keep_this_form() if request.method == "POST" else None
        response = _expired_piece(kept)
        stash.remember(response, kept)
        return response
    if request.method == "GET":
        flash(_("Log in to continue."), "info")
        return redirect_to(url_for("auth.login", next=request.full_path.rstrip("?")))
    kept = stash.keep_this_form()
    if kept:
        flash(_("Your session has expired: what you typed has been kept. Log in again to continue."), "info")
    else:
        flash(_("Your session has expired. Log in again to continue."), "info")
    response = redirect_to(url_for("auth.login", next=_form_page()))
    stash.remember(response, kept)
    return response


_ELEMENT_ID = re.compile(r"^[A-Za-z][\w-]{0,60}$")


def _expired_piece(kept: str | None):
    """What an htmx request for a piece of a page gets when the session has expired: the same element (HX-Target),
    saying so, with the login (back to this page afterwards), and a Save for the form it sits in unless what the
    request carried has been `kept` already."""
    target = request.headers.get("HX-Target", "")
    page = urlsplit(request.headers.get("HX-Current-URL", ""))
    back = safe_next(page.path + (f"?{page.query}" if page.query else "")) if page.path else None
    response = make_response(render_template("errors/_sessione_scaduta.html",
                                             target=target if _ELEMENT_ID.match(target) else None,
                                             login=url_for("auth.login", next=_form_page() if kept else back),
                                             kept=bool(kept)), 200)
    response.vary.add("HX-Request")
    return response


def _form_page() -> str:
    rule = request.url_rule
    return request.path if rule is not None and "GET" in rule.methods else url_for("domande.index")


def _retry_after(response):
    """Every 503 (storage that cannot write, PDFs busy...) tells a client when to try again."""
    if response.status_code == 503:
        response.headers.setdefault("Retry-After", "30")
    return response


def register_error_handlers(app: Flask) -> None:
    login_manager.unauthorized_handler(keep_typing_and_log_in)
    app.after_request(_retry_after)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        if request.blueprint == "domande":
            if not current_user.is_authenticated:
                # An expired session also loses its CSRF token: the same case as an expired login.
                return keep_typing_and_log_in()
            kept = stash.keep_this_form()
            if kept:
                flash(_("The form had expired: what you typed has been kept. Check it and save again."), "info")
            else:
                flash(_("The form had expired and what you typed could not be kept: type it again and save."),
                      "info")
            response = redirect_to(_form_page())
            stash.remember(response, kept)
            return response
        return _page(400, _("The form has expired"),
                     _("For your security the form could not be accepted. Go back, reload the page and try again."))

    @app.errorhandler(SecurityError)
    def untrusted_host(error: SecurityError):
        # A Host header that is not one of TRUSTED_HOSTS: no page, whose links would be built from it.
        return (_("Request not accepted: this address is not one of the portal's."), 400,
                {"Content-Type": "text/plain; charset=utf-8"})

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code == 429 and request.endpoint in WHEN_LIMITED:
            return WHEN_LIMITED[request.endpoint]()
        if error.code == 413 and request.endpoint in ("presentazione.upload", "adesione.upload"):
            limit = int(current_app.config.get("PATTI_UPLOAD_MAX_BYTES") or 0)
            size = f"{limit // 2**20} MB" if limit >= 2**20 else f"{max(limit // 1024, 1)} KB"
            body = render_template("errors/error.html", status=413, title=_("File too large"), message=_(
                "The file sent is larger than %(size)s, the most a signed file may be: nothing was uploaded. Go "
                "back to the page and choose the signed file (a signed PDF is usually well under that).", size=size),
                link=request.path.rsplit("/", 1)[0], link_label=_("Back to the upload"))
            return body, 413
        if error.code == 413 and request.endpoint == "domande.import_partners":
            limit = min(request.max_content_length or fogli.MAX_BYTES, fogli.MAX_BYTES)
            body = render_template("errors/error.html", status=413, title=_("File too large"), message=_(
                "The file sent is larger than %(size)s, the most a spreadsheet of partners may be: nothing was "
                "loaded. A thousand partners take less than half a megabyte: check that it is the right file.",
                size=fogli.size(limit)), link=request.path.rsplit("/", 1)[0] + "#importa",
                link_label=_("Back to the partnership"))
            return body, 413
        messages = {
            403: (_("Not allowed"), _("Your role on this application does not allow this: whoever may only read "
                                        "it can open its pages and download its documents.")),
            404: (_("Page not found"), _("The page you asked for does not exist or is no longer available.")),
            429: (_("Too many attempts"), _("Too many requests in a short time: wait a few minutes, then try "
                                            "again.")),
            405: (_("Action not allowed"), _("This page cannot be used this way.")),
            413: (_("File too large"), _("The file you sent is too large.")),
        }
        title, message = messages.get(error.code, (_("Request not accepted"),
                                                   _("The request could not be processed.")))
        return _page(error.code or 400, title, message)

    # A use case that finds no application for the user (or no such item) is a 404; one their role does not allow
    # is a 403: views may let these through.
    @app.errorhandler(domande.NotFound)
    def not_found(error):
        return http_error(NotFound())

    @app.errorhandler(domande.Forbidden)
    def forbidden(error):
        return http_error(Forbidden())

    @app.errorhandler(domande.Frozen)
    def frozen(error: domande.Frozen):
        """A change of a submitted application (a form opened before the submission): refused, and a form POSTed
        to a section is kept for this browser, to come back filled in if the application is withdrawn."""
        db.session.rollback()
        if request.method == "GET" and error.args and not is_partial_request():
            # A form's page of a submitted application (a bookmark, an old tab): its summary, which reads it all.
            flash(_("This application has been submitted: it can be read here, not changed."), "info")
            return redirect_to(url_for("domande.riepilogo", domanda_id=error.args[0]))
        kept = stash.keep_this_form() if request.method == "POST" and request.blueprint == "domande" else None
        if isinstance(error, domande.OnRecord):
            return _page(409, _("Application on record"), _(
                "This application was submitted at least once: it stays in the office's register (its numbers and "
                "its marca da bollo), so it cannot be deleted. It can still be changed and submitted again while "
                "the window is open."))
        message = _("This application has been submitted: nobody can change it now, so nothing was saved.")
        if kept:
            message += " " + _("What you typed has been kept: it comes back in the form if the application is "
                               "withdrawn before the window closes.")
        link = url_for("presentazione.page", domanda_id=error.args[0]) if error.args else None
        if is_partial_request():
            response = make_response(render_template("errors/_messaggio.html", message=message), 409)
            response.headers.update({"HX-Retarget": "#messaggi", "HX-Reswap": "innerHTML"})
        else:
            response = make_response(render_template("errors/error.html", status=409, message=message, link=link,
                                                     title=_("Application submitted")), 409)
        stash.remember(response, kept)
        return response

    @app.errorhandler(storage.Unavailable)
    def cannot_save(error: storage.Unavailable):
        db.session.rollback()
        log.error("the database cannot write: %s (%s %s)", error.cause, request.method, request.path,
                  exc_info=error.__cause__ or error)
        return unavailable_page()

    @app.errorhandler(InternalServerError)
    @app.errorhandler(Exception)
    def server_error(error: Exception):
        if isinstance(error, HTTPException) and not isinstance(error, InternalServerError):
            return http_error(error)
        original = getattr(error, "original_exception", None) or error
        unavailable = storage.unavailable_or_none(original)
        if unavailable is not None:
            unavailable.__cause__ = original
            return cannot_save(unavailable)
        db.session.rollback()
        if storage.is_contention(original):  # a lock that stayed busy past every retry: it is what it says
            log.warning("database busy: %s %s", request.method, request.path, exc_info=original)
            return _busy_page()
        log.exception("unhandled error", exc_info=getattr(error, "original_exception", None) or error)
        return _page(500, _("Something went wrong"),
                     _("An unexpected error occurred. Nothing you saved is lost; please try again in a moment."))
