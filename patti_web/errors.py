"""Error pages: Italian, never a stack trace; the database session is rolled back on a server error."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from patti_web.extensions import db
from patti_web.i18n import gettext as _

log = logging.getLogger(__name__)


def _page(status: int, title: str, message: str):
    return render_template("errors/error.html", status=status, title=title, message=message), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
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
