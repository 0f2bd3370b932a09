"""Error pages: Italian, never a stack trace; the database session is rolled back on a server error."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from htmx_flask import make_response
from werkzeug.exceptions import HTTPException, InternalServerError

from patti_web.extensions import db, login_manager
from patti_web.htmx import is_partial_request
from patti_web.i18n import gettext as _
from patti_web.services import stash_form

# What may be kept of a form typed in an expired session: no passwords, nothing huge.
_MAX_STASH_VALUES = 2000

log = logging.getLogger(__name__)


def _page(status: int, title: str, message: str):
    return render_template("errors/error.html", status=status, title=title, message=message), status


def _redirect(url: str):
    """A redirect that also works for an htmx request (the whole page goes, not a fragment)."""
    response = make_response("", 200, redirect=url) if is_partial_request() else redirect(url, 303)
    response.vary.add("HX-Request")
    return response


def keep_typing_and_log_in():
    """Send to the login page; a form POSTed in an expired session is kept server-side and comes back after login.

    The form's page gets `?ripristina=<key>` and shows what was typed (see views.applications._formdata).
    """
    if request.method == "GET":
        flash(_("Log in to continue."), "info")
        return _redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    flash(_("Your session has expired. Log in again to continue."), "info")
    return _redirect(url_for("auth.login", next=_back_to_the_form()))


def _same_origin() -> bool:
    """Did the POST come from one of our own pages? (Never keep what another site POSTed in the user's name.)"""
    source = request.headers.get("Origin") or request.headers.get("Referer") or ""
    return urlsplit(source).netloc == request.host


def _back_to_the_form() -> str:
    """The page of the form just POSTed, with the key of what was typed into it (kept server-side)."""
    rule = request.url_rule
    if rule is None or "GET" not in rule.methods:
        return url_for("applications.index")
    values = [(k, v) for k, v in request.form.items(multi=True) if "password" not in k]
    if not values or len(values) > _MAX_STASH_VALUES or not _same_origin():
        return request.path
    token = stash_form(request.path, values)
    return f"{request.path}?ripristina={token}"


def register_error_handlers(app: Flask) -> None:
    login_manager.unauthorized_handler(keep_typing_and_log_in)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        if request.blueprint == "applications":
            if not current_user.is_authenticated:
                # An expired session also loses its CSRF token: the same case as an expired login.
                return keep_typing_and_log_in()
            flash(_("The form had expired: what you typed has been kept. Check it and save again."), "info")
            return _redirect(_back_to_the_form())
        return _page(400, _("The form has expired"),
                     _("For your security the form could not be accepted. Go back, reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        messages = {
            404: (_("Page not found"), _("The page you asked for does not exist or is no longer available.")),
            405: (_("Action not allowed"), _("This page cannot be used this way.")),
            413: (_("File too large"), _("The file you sent is too large.")),
        }
        title, message = messages.get(error.code, (_("Request not accepted"),
                                                   _("The request could not be processed.")))
        return _page(error.code or 400, title, message)

    @app.errorhandler(InternalServerError)
    @app.errorhandler(Exception)
    def server_error(error: Exception):
        if isinstance(error, HTTPException) and not isinstance(error, InternalServerError):
            return http_error(error)
        db.session.rollback()
        log.exception("unhandled error", exc_info=getattr(error, "original_exception", None) or error)
        return _page(500, _("Something went wrong"),
                     _("An unexpected error occurred. Nothing you saved is lost; please try again in a moment."))
