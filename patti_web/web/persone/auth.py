"""Accounts: register (confirmed by mail), log in and out (here or everywhere), change or reset the password.

The answers never tell whether an address has an account: registering a known address gets the same page (and
that address a mail saying it is already registered), asking for a reset link too. Mails leave outside the request
(patti_web.persone.mail), so timings do not tell either. A login starts a new session (new CSRF token, a new server-side
key); logging out ends it, a password change or reset ends them all.
"""

from __future__ import annotations

import logging

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from patti_web.extensions import limiter
from patti_web.i18n import gettext as _
from patti_web.persone import accounts
from patti_web.persone.mail import LOGIN_LINK, login_link_minutes, send_mail, within_the_limit
from patti_web.web import errors, stash
from patti_web.web.bodies import form_data
from patti_web.web.forms import EmptyForm
from patti_web.web.persone.forms import (
    ChangePasswordForm,
    ConfirmForm,
    ForgotPasswordForm,
    LoginForm,
    LoginLinkForm,
    RegisterForm,
    ResetPasswordForm,
)
from patti_web.web.security import external_url, safe_next

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)


def _page(template: str, **context):
    """The page of a form: 200 when first shown, 422 when it comes back with errors."""
    return render_template(template, **context), 422 if request.method == "POST" else 200


def _to_domande():
    return redirect(url_for("domande.index"), 303)


def _typed_email() -> str:
    """The key of the limits per address: the address the form will read (the first of its field, whatever the
    body: form, multipart or JSON), as it is stored; the client's address when none was typed."""
    email = form_data().get("email")
    return (accounts.normalise_email(email)[:254] if isinstance(email, str) else "") or request.remote_addr or ""


def log_in(user) -> None:
    """Start a new session for `user`: nothing of the anonymous session survives (the CSRF token is new)."""
    _clear_session()
    login_user(accounts.start_session(user))


def end_this_session() -> bool:
    """Log this browser out; False when the database could not end the login on the server (the cookie loses it
    all the same)."""
    stash.forget_all()
    ended = accounts.end_session(current_user.session_key) if current_user.is_authenticated else True
    logout_user()
    _clear_session()
    return ended


def _clear_session() -> None:
    """Empty the session cookie (the CSRF token with it), keeping only the messages waiting to be shown."""
    kept = {key: session[key] for key in ("_flashes",) if key in session}
    session.clear()
    session.update(kept)


# Registration and confirmation -------------------------------------------------------------------------------------


def _send_confirmation(user) -> None:
    link = external_url("auth.confirm", token=accounts.make_confirmation_token(user))
    send_mail(user.email, _("Confirm your Patti Web address"), _(
        "Hello %(nome)s,\n\nto start using your Patti Web account, confirm that this address is yours: open this "
        "link within 48 hours and type the password you chose when registering:\n\n%(link)s\n\nIf you did not "
        "register, ignore this message: without the confirmation the account cannot be used.\n",
        nome=user.nome, link=link))


def _send_already_registered(user) -> None:
    send_mail(user.email, _("Your Patti Web account"), _(
        "Hello %(nome)s,\n\nsomeone (hopefully you) tried to register again with this address, which already has a "
        "Patti Web account. Log in here:\n\n%(login)s\n\nIf you have forgotten the password, choose a new one "
        "here:\n\n%(reset)s\n\nIf it was not you, ignore this message: nothing has changed.\n",
        nome=user.nome, login=external_url("auth.login"), reset=external_url("auth.forgot_password")))


@bp.route("/registrati", methods=["GET", "POST"])
@limiter.limit("20/hour", methods=["POST"])
def register():
    """Create an account; it can be used once its address is confirmed through the mailed link."""
    if current_user.is_authenticated:
        return _to_domande()
    form = RegisterForm()
    if form.validate_on_submit():
        user, to_confirm = accounts.sign_up(form.email.data, form.nome.data, form.password.data)
        _send_confirmation(user) if to_confirm else _send_already_registered(user)
        flash(_("We have written to %(email)s: open the link in that message to confirm the address, then log in. "
                "Check the spam folder too.", email=accounts.normalise_email(form.email.data)), "success")
        return redirect(url_for("auth.login"), 303)
    return _page("auth/register.html", form=form)


@bp.route("/conferma/<token>", methods=["GET", "POST"])
@limiter.limit("10/hour", methods=["POST"])
def confirm(token: str):
    """The link of the confirmation mail: with the password chosen at registration, the address is confirmed and
    the account logged in. (The password, not the link alone: a link mailed for somebody else's registration of
    this address confirms nothing.) It works once: afterwards it says the address is confirmed."""
    user = accounts.user_from_confirmation_token(token)
    if user is None:
        body = render_template("auth/link_invalid.html", title=_("This confirmation link does not work"),
                               message=_("The link is wrong or more than 48 hours old, or the address was registered "
                                         "again since. Register again with the same address to receive a new one."))
        return body, 400, {"Referrer-Policy": "no-referrer"}
    if user.email_confermata_at is not None:  # a confirmation link works once
        body = render_template("auth/link_invalid.html", title=_("This confirmation link has already been used"),
                               message=_("The address is confirmed already: log in with your email and password. "
                                         "If you have forgotten the password, choose a new one from the login "
                                         "page."))
        return body, 400, {"Referrer-Policy": "no-referrer"}
    form = ConfirmForm()
    if form.validate_on_submit():
        if not accounts.confirm_registration(user, form.password.data):
            form.password.errors.append(_("The password is not the one chosen when registering"))
        else:
            log_in(user)
            flash(_("Address confirmed: welcome, %(nome)s.", nome=user.nome), "success")
            return redirect(url_for("domande.index"), 303), {"Referrer-Policy": "no-referrer"}
    body = render_template("auth/confirm.html", form=form, token=token, email=user.email)
    return body, 422 if form.errors else 200, {"Referrer-Policy": "no-referrer"}


# Logging in and out ----------------------------------------------------------------------------------------------


@bp.route("/accedi", methods=["GET", "POST"])
@limiter.limit("5/minute;20/hour", methods=["POST"], key_func=_typed_email,
               deduct_when=lambda response: response.status_code != 303)
@limiter.limit("30/minute", methods=["POST"])
def login():
    """Log in with email and password, then go back where the user was headed (a local path only).

    Five wrong attempts a minute for one address (twenty an hour), or thirty from one client, and the next is
    refused for a while (429), whatever the password.
    """
    if current_user.is_authenticated:
        return _to_domande()
    next_url = safe_next(request.values.get("next"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None and user.email_confermata_at is not None:
            log_in(user)
            return redirect(next_url or url_for("domande.index"), 303)
        if user is not None:  # the right password of an address not confirmed yet: the link again, quietly
            _send_confirmation(user)
        # One answer for a wrong email, a wrong password and an unconfirmed address: the page does not tell who
        # has an account.
        form.password.errors.append(_("Email or password not recognised. If you have just registered, first "
                                      "open the link we sent you to confirm the address"))
    return _page("auth/login.html", form=form, next_url=next_url)


def _login_limited():
    """The login page when the address (or the client) has had its share of attempts: what was typed stays, and the
    owner of the address is offered a login link by mail, which no wrong password typed elsewhere can block."""
    form = LoginForm()
    form.password.data = ""
    body = render_template("auth/login.html", form=form, next_url=safe_next(request.values.get("next")),
                           limited=True, link_form=LoginLinkForm(formdata=None, email=form.email.data or ""),
                           link_minutes=accounts.LOGIN_LINK_MAX_AGE // 60)
    return body, 429


errors.WHEN_LIMITED["auth.login"] = _login_limited


# A login link by mail ------------------------------------------------------------------------------------------


def _send_login_link(user) -> None:
    link = external_url("auth.login_link", token=accounts.make_login_link_token(user))
    send_mail(user.email, _("Your Patti Web login link"), counted=True, body=_(
        "Hello %(nome)s,\n\nsomeone (hopefully you) asked for a link to log in to Patti Web without the password. "
        "Open it within %(minutes)s minutes; it works once:\n\n%(link)s\n\nIf you did not ask for it, ignore this "
        "message: nobody can use the link without this mailbox.\n",
        nome=user.nome, minutes=accounts.LOGIN_LINK_MAX_AGE // 60, link=link))


@bp.route("/accedi/link", methods=["GET", "POST"])
@limiter.limit("20/hour", methods=["POST"])
def ask_login_link():
    """Ask for a login link by mail; the answer is the same whether or not the address has an account. The mails
    to one address are limited (patti_web.persone.mail)."""
    if current_user.is_authenticated:
        return _to_domande()
    form = LoginLinkForm()
    if form.validate_on_submit():
        allowed = within_the_limit(form.email.data, LOGIN_LINK)  # a rhythm per address, account or not
        user = accounts.get_user_by_email(form.email.data)
        if user is not None and user.email_confermata_at is not None and allowed:
            _send_login_link(user)
        flash(_("If a confirmed account exists for that address, we have sent it a link to log in: it works once, "
                "within %(minutes)s minutes. Check your inbox (and the spam folder). One link is sent every "
                "%(every)s minutes: if one was asked for a moment ago, use that one.",
                minutes=accounts.LOGIN_LINK_MAX_AGE // 60, every=login_link_minutes()), "success")
        return redirect(url_for("auth.ask_login_link"), 303)
    return _page("auth/login_link.html", form=form, link_minutes=accounts.LOGIN_LINK_MAX_AGE // 60)


def _login_link_invalid():
    body = render_template("auth/link_invalid.html", title=_("This login link does not work"),
                           message=_("The link is wrong, more than %(minutes)s minutes old, or already used. "
                                     "Ask for a new one from the login page.",
                                     minutes=accounts.LOGIN_LINK_MAX_AGE // 60))
    return body, 400, {"Referrer-Policy": "no-referrer"}


@bp.route("/accedi/link/<token>", methods=["GET", "POST"])
@limiter.limit("20/hour", methods=["POST"])
def login_link(token: str):
    """The link of the login mail: a button logs in (a POST, so that a mail scanner opening the link spends
    nothing); the link then stops working, with every one mailed before it."""
    link = accounts.login_link_of(token)
    if link is None:
        return _login_link_invalid()
    form = EmptyForm()
    if request.method == "POST" and form.validate():
        if not accounts.use_login_link(link):  # pressed twice at once: the other press logged in
            return _login_link_invalid()
        log_in(link.user)
        flash(_("Welcome, %(nome)s.", nome=link.user.nome), "success")
        return redirect(url_for("domande.index"), 303), {"Referrer-Policy": "no-referrer"}
    body = render_template("auth/login_link_use.html", form=form, token=token, email=link.user.email)
    return body, 200, {"Referrer-Policy": "no-referrer"}


@bp.post("/esci")
def logout():
    """Log out: POST only, so the global CSRFProtect checks the form's token. The session ends on the server too."""
    if end_this_session():
        flash(_("You have logged out."), "success")
    else:
        flash(_("You have logged out of this browser, but the service could not close the login on the server "
                "right now. If others use this computer, when the service is back log in and choose “Log out "
                "on every device” from your account page."), "error")
    return redirect(url_for("main.home"), 303)


# The account page ------------------------------------------------------------------------------------------------


@bp.route("/account", methods=["GET"])
@login_required
def account():
    return render_template("auth/account.html", password_form=ChangePasswordForm(formdata=None),
                           everywhere_form=EmptyForm())


@bp.post("/account/password")
@login_required
@limiter.limit("10/hour")
def change_password():
    """A new password: every session ends, this one starts again."""
    form = ChangePasswordForm()
    form.related = (current_user.email, current_user.nome)
    if form.validate_on_submit():
        user = accounts.change_password(current_user.id, form.attuale.data, form.password.data)
        if user is None:
            form.attuale.errors.append(_("The current password is not right"))
        else:
            log_in(user)
            flash(_("Your password has been changed. Every other device has been logged out."), "success")
            return redirect(url_for("auth.account"), 303)
    return render_template("auth/account.html", password_form=form, everywhere_form=EmptyForm()), 422


@bp.post("/account/esci-ovunque")
@login_required
def logout_everywhere():
    """End every session of this account, on every device, this one included."""
    if not EmptyForm().validate():
        return redirect(url_for("auth.account"), 303)
    accounts.log_out_everywhere(current_user.id)
    stash.forget_all()
    logout_user()
    _clear_session()
    flash(_("You have been logged out on every device."), "success")
    return redirect(url_for("auth.login"), 303)


# A forgotten password ----------------------------------------------------------------------------------------------


def _send_reset_link(user) -> None:
    link = external_url("auth.reset_password", token=accounts.make_reset_token(user))
    minutes = int(accounts.reset_max_age() // 60)
    body = _("Hello %(nome)s,\n\nsomeone (hopefully you) asked to reset the password of your Patti Web account. "
             "To choose a new password, open this link within %(minutes)s minutes:\n\n%(link)s\n\n"
             "The link works once. If you did not ask for it, ignore this message: your password stays the same.\n",
             nome=user.nome, minutes=minutes, link=link)
    send_mail(user.email, _("Reset your Patti Web password"), body, counted=True)


@bp.route("/password-dimenticata", methods=["GET", "POST"])
@limiter.limit("3/hour", methods=["POST"], key_func=_typed_email)
@limiter.limit("20/hour", methods=["POST"])
def forgot_password():
    """Ask for a reset link; the answer is the same whether or not the address has an account."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        allowed = within_the_limit(form.email.data)  # counted whether or not the address has an account
        user = accounts.get_user_by_email(form.email.data)
        if user is not None and allowed:
            _send_reset_link(user)
        flash(_("If an account exists for that address, we have sent it a link to choose a new password. "
                "Check your inbox (and the spam folder)."), "success")
        return redirect(url_for("auth.forgot_password"), 303)
    return _page("auth/forgot_password.html", form=form)


@bp.route("/reimposta-password/<token>", methods=["GET", "POST"])
@limiter.limit("20/hour", methods=["POST"])
def reset_password(token: str):
    """Choose a new password with the link from the mail: every session ends, then a new one starts here."""
    user = accounts.user_from_reset_token(token)
    if user is None:
        response = render_template("auth/reset_invalid.html"), 400
    else:
        form = ResetPasswordForm()
        form.related = (user.email, user.nome)
        if form.validate_on_submit():
            accounts.reset_password(user, form.password.data)  # the link proved the address too
            log_in(user)
            flash(_("Your password has been changed. Every other device has been logged out."), "success")
            return _to_domande()
        response = _page("auth/reset_password.html", form=form, token=token)
    body, status = response
    # The token is in the address: do not hand it to any other site as a Referer.
    return body, status, {"Referrer-Policy": "no-referrer"}
