"""Accounts: register, log in and out, and reset a forgotten password by mail."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from patti_web import accounts
from patti_web.extensions import db
from patti_web.forms.auth import ForgotPasswordForm, LoginForm, RegisterForm, ResetPasswordForm
from patti_web.i18n import gettext as _
from patti_web.mail import send_mail

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)


def _page(template: str, **context):
    """The page of a form: 200 when first shown, 422 when it comes back with errors."""
    return render_template(template, **context), 422 if request.method == "POST" else 200


def _to_applications():
    return redirect(url_for("applications.index"), 303)


def safe_next(target: str | None) -> str | None:
    """Return `target` if it is a path on this site ("/domande?x=1"), else None: no open redirects."""
    if not target or len(target) > 2000 or not target.isprintable() or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/registrati", methods=["GET", "POST"])
def register():
    """Create an account and log in."""
    if current_user.is_authenticated:
        return _to_applications()
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = accounts.register_user(form.email.data, form.nome.data, form.password.data)
        except accounts.EmailTaken:
            form.email.errors.append(_("An account with this email address already exists: log in, or reset the "
                                       "password if you have forgotten it"))
        else:
            db.session.commit()
            login_user(user)
            flash(_("Welcome, %(nome)s: your account is ready.", nome=user.nome), "success")
            return _to_applications()
    return _page("auth/register.html", form=form)


@bp.route("/accedi", methods=["GET", "POST"])
def login():
    """Log in with email and password, then go back where the user was headed (a local path only)."""
    if current_user.is_authenticated:
        return _to_applications()
    next_url = safe_next(request.values.get("next"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user)
            return redirect(next_url or url_for("applications.index"), 303)
        # One answer for a wrong email and a wrong password: the page does not tell who has an account.
        form.password.errors.append(_("Email or password not recognised"))
    return _page("auth/login.html", form=form, next_url=next_url)


@bp.post("/esci")
def logout():
    """Log out: POST only, so the global CSRFProtect checks the form's token."""
    logout_user()
    flash(_("You have logged out."), "success")
    return redirect(url_for("main.home"), 303)


def _send_reset_link(user) -> None:
    link = url_for("auth.reset_password", token=accounts.make_reset_token(user), _external=True)
    minutes = int(accounts.reset_max_age() // 60)
    body = _("Hello %(nome)s,\n\nsomeone (hopefully you) asked to reset the password of your Patti Web account. "
             "To choose a new password, open this link within %(minutes)s minutes:\n\n%(link)s\n\n"
             "The link works once. If you did not ask for it, ignore this message: your password stays the same.\n",
             nome=user.nome, minutes=minutes, link=link)
    try:
        send_mail(user.email, _("Reset your Patti Web password"), body)
    except OSError:
        # The page says the same as when the mail leaves: no 500, and no hint about which addresses exist.
        log.exception("could not send the password reset mail to user %s", user.id)


@bp.route("/password-dimenticata", methods=["GET", "POST"])
def forgot_password():
    """Ask for a reset link; the answer is the same whether or not the address has an account."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = accounts.get_user_by_email(form.email.data)
        if user is not None:
            _send_reset_link(user)
        flash(_("If an account exists for that address, we have sent it a link to choose a new password. "
                "Check your inbox (and the spam folder)."), "success")
        return redirect(url_for("auth.forgot_password"), 303)
    return _page("auth/forgot_password.html", form=form)


@bp.route("/reimposta-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password with the link from the mail, then log in."""
    user = accounts.user_from_reset_token(token)
    if user is None:
        response = render_template("auth/reset_invalid.html"), 400
    else:
        form = ResetPasswordForm()
        if form.validate_on_submit():
            accounts.set_password(user, form.password.data)
            db.session.commit()
            login_user(user)
            flash(_("Your password has been changed."), "success")
            return _to_applications()
        response = _page("auth/reset_password.html", form=form, token=token)
    body, status = response
    # The token is in the address: do not hand it to any other site as a Referer.
    return body, status, {"Referrer-Policy": "no-referrer"}
