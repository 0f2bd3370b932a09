"""Accounts through the pages: register, log in and out, `next`, CSRF, and the forgotten password by real SMTP."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import time
from html import unescape
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from markupsafe import escape
from sqlalchemy import select

from patti_web.config import Config
from patti_web.extensions import db
from patti_web.i18n import gettext
from patti_web.persone import accounts
from patti_web.persone.mail import outbox, wait_for_mail
from patti_web.persone.models import User

APPLICATIONS = "/domande"  # applications.index
PASSWORD = "password-di-prova"
NEW_PASSWORD = "una nuova password lunga"
GENERIC_LOGIN_ERROR = ("Email or password not recognised. If you have just registered, first open the link we sent you "
                       "to confirm the address")
RESET_SENT = ("If an account exists for that address, we have sent it a link to choose a new password. "
              "Check your inbox (and the spam folder).")


def _text(message: str, **variables) -> str:
    """A translated message as it appears in the HTML."""
    return str(escape(gettext(message, **variables)))


def _path(response) -> str:
    return urlsplit(response.headers["Location"]).path


def _registration(**changes) -> dict:
    data = {"nome": "Marco Rossi", "email": "marco@example.it", "password": "lunga-abbastanza",
            "password_conferma": "lunga-abbastanza"}
    return {**data, **changes}


def _is_logged_in(client) -> bool:
    html = client.get("/").get_data(as_text=True)
    return 'action="/esci"' in html


# Registration

def test_the_register_page_asks_for_name_email_and_password_twice(client):
    response = client.get("/registrati")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for name, autocomplete in (("nome", "name"), ("email", "email"), ("password", "new-password"),
                               ("password_conferma", "new-password")):
        assert re.search(rf'<input[^>]*autocomplete="{autocomplete}"[^>]*name="{name}"', html), name
    assert 'action="/registrati"' in html and "novalidate" in html
    assert 'href="/accedi"' in html
    assert "<h1>" in html


def _mails(app, to: str | None = None) -> list:
    wait_for_mail()
    return [m for m in outbox(app) if to is None or m["To"] == to]


def _link(message, path: str) -> str:
    match = re.search(rf"https?://\S+{path}\S+", message.get_content())
    assert match, message.get_content()
    return match.group(0)


def test_registering_stores_a_hashed_password_and_mails_a_confirmation_link(app, client):
    response = client.post("/registrati", data=_registration(email="  Marco@Example.IT "))
    assert response.status_code == 303 and _path(response) == "/accedi"
    user = db.session.scalar(select(User).where(User.email == "marco@example.it"))
    assert user is not None and user.nome == "Marco Rossi" and user.email_confermata_at is None
    assert user.password_hash.startswith(app.config["PASSWORD_HASH"].split(":")[0] + ":")  # the tests' cheap one
    assert Config.PASSWORD_HASH == "scrypt"  # and the portal's own
    assert "lunga-abbastanza" not in user.password_hash
    assert not _is_logged_in(client)
    # Not usable before the address is confirmed: the right password gets the generic answer and, quietly, a new
    # link (the page does not tell an unconfirmed account from no account).
    refused = client.post("/accedi", data={"email": "marco@example.it", "password": "lunga-abbastanza"})
    assert refused.status_code == 422 and not _is_logged_in(client)
    assert _text(GENERIC_LOGIN_ERROR) in refused.get_data(as_text=True)
    mails = _mails(app)
    assert [m["To"] for m in mails] == ["marco@example.it", "marco@example.it"]
    link = _link(mails[0], "/conferma/")
    page = client.get(link)
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    assert 'autocomplete="current-password"' in page.get_data(as_text=True)
    assert client.post(link, data={"password": "non-e-la-sua"}).status_code == 422  # the link alone is not enough
    confirmed = client.post(link, data={"password": "lunga-abbastanza"})
    assert confirmed.status_code == 303 and _path(confirmed) == APPLICATIONS and _is_logged_in(client)
    assert client.get("/conferma/nonsense").status_code == 400


def test_a_known_address_gets_the_same_answer_and_a_mail_saying_it_has_an_account(app, client, user):
    new = client.post("/registrati", data=_registration(email="nuovo@example.it"))
    known = client.post("/registrati", data=_registration(email=" GIULIA@example.it"))
    assert new.status_code == known.status_code == 303 and _path(new) == _path(known) == "/accedi"
    page_new = client.get("/accedi").get_data(as_text=True)  # the flash of both, in order
    assert "nuovo@example.it" in page_new and "giulia@example.it" in page_new
    assert db.session.scalar(select(db.func.count()).select_from(User)) == 2
    assert db.session.get(User, user.id).password_hash == user.password_hash  # nothing changed for Giulia
    mails = {m["To"]: m for m in _mails(app)}
    assert "/conferma/" in mails["nuovo@example.it"].get_content()
    assert "/conferma/" not in mails["giulia@example.it"].get_content()
    assert "/password-dimenticata" in mails["giulia@example.it"].get_content()
    assert not _is_logged_in(client)


def test_someone_who_registers_an_address_first_cannot_take_it_over(app, client):
    """The owner registers; someone else registers the same address with their own password; the owner's link no
    longer works, and the link mailed for the other registration needs the other password."""
    owner = _registration(email="vera@example.it")
    client.post("/registrati", data=owner)
    first_link = _link(_mails(app, "vera@example.it")[-1], "/conferma/")
    intruder = app.test_client()
    intruder.post("/registrati", data=_registration(email="vera@example.it", nome="Mallory",
                                                    password="password dell'intruso 42",
                                                    password_conferma="password dell'intruso 42"))
    assert client.get(first_link).status_code == 400  # the address was registered again: that link is void
    second_link = _link(_mails(app, "vera@example.it")[-1], "/conferma/")
    assert client.post(second_link, data={"password": "lunga-abbastanza"}).status_code == 422  # the owner cannot
    # confirm the intruder's registration with her password, and the intruder's account stays unusable until
    # confirmed by whoever reads vera's mail and knows the password: the owner registers again and wins.
    client.post("/registrati", data=owner)
    own_link = _link(_mails(app, "vera@example.it")[-1], "/conferma/")
    assert intruder.post(second_link, data={"password": "password dell'intruso 42"}).status_code == 400
    assert client.post(own_link, data={"password": "lunga-abbastanza"}).status_code == 303
    assert db.session.scalar(select(User.nome).where(User.email == "vera@example.it")) == "Marco Rossi"


def test_an_unconfirmed_registration_can_be_made_again_by_the_owner_of_the_address(app, client):
    client.post("/registrati", data=_registration(password="una password scelta da altri",
                                                  password_conferma="una password scelta da altri"))
    client.post("/registrati", data=_registration(nome="Marco Vero"))
    user = db.session.scalar(select(User).where(User.email == "marco@example.it"))
    assert user.nome == "Marco Vero" and accounts.authenticate("marco@example.it", "lunga-abbastanza") is not None
    assert db.session.scalar(select(db.func.count()).select_from(User)) == 1


@pytest.mark.parametrize("password", ["aaaaaaaaaa", "1234567890", "password123", "qwertyuiop", "rossimarco",
                                      "juventus1897"])
def test_common_and_guessable_passwords_are_refused(client, password):
    response = client.post("/registrati", data=_registration(password=password, password_conferma=password))
    assert response.status_code == 422
    assert _text("The password is too common or easy to guess: choose a longer one, for example three or four "
                 "unrelated words") in response.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(User)) == 0


@pytest.mark.parametrize(("changes", "field", "message", "variables"), [
    ({"password": "corta", "password_conferma": "corta"}, "password",
     "The password must be between %(min)s and %(max)s characters long", {"min": 10, "max": 128}),
    ({"password": "x" * 129, "password_conferma": "x" * 129}, "password",
     "The password must be between %(min)s and %(max)s characters long", {"min": 10, "max": 128}),
    ({"password_conferma": "un-altra-password"}, "password_conferma", "The two passwords do not match", {}),
    ({"nome": "   "}, "nome", "Enter your name", {}),
    ({"nome": "N" * 201}, "nome", "The name must be %(max)s characters or fewer", {"max": 200}),
    ({"email": "marco.example.it"}, "email",
     "Enter an email address in the right format, like name@example.com", {}),
    ({"email": "marco@example"}, "email",
     "Enter an email address in the right format, like name@example.com", {}),
    ({"email": "m" * 250 + "@example.it"}, "email", "The email address must be %(max)s characters or fewer",
     {"max": 254}),
])
def test_a_wrong_registration_is_shown_again_with_the_error_beside_the_field(client, changes, field, message,
                                                                             variables):
    response = client.post("/registrati", data=_registration(**changes))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'href="#{field}"' in html  # the summary links to the field
    assert f'id="{field}-error"' in html
    assert _text(message, **variables) in html
    assert db.session.scalar(select(db.func.count()).select_from(User)) == 0
    assert not _is_logged_in(client)


def test_a_refused_registration_keeps_what_was_typed_except_the_passwords(client):
    response = client.post("/registrati", data=_registration(password_conferma="non-coincide-affatto"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="Marco Rossi"' in html
    assert 'value="marco@example.it"' in html
    assert "lunga-abbastanza" not in html and "non-coincide-affatto" not in html


# Logging in and out

def test_logging_in_goes_to_the_applications(client, user):
    response = client.post("/accedi", data={"email": " Giulia@Example.it ", "password": PASSWORD})
    assert response.status_code == 303
    assert _path(response) == APPLICATIONS
    assert _is_logged_in(client)


@pytest.mark.parametrize(("email_typed", "password"), [
    ("giulia@example.it", "password-sbagliata"),
    ("nessuno@example.it", PASSWORD),
])
def test_a_wrong_email_or_password_gets_one_generic_answer_and_keeps_the_email(client, user, email_typed, password):
    response = client.post("/accedi", data={"email": email_typed, "password": password})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert html.count(_text(GENERIC_LOGIN_ERROR)) == 2  # in the summary and beside the password
    assert 'href="#password"' in html and 'id="password-error"' in html
    assert f'value="{email_typed}"' in html
    assert password not in html
    assert not _is_logged_in(client)


def test_an_empty_login_form_says_what_is_missing(client):
    response = client.post("/accedi", data={})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    # WTForms messages are lazy strings, which Jinja prints as they are (their apostrophes are not escaped).
    text = unescape(html)
    assert gettext("Enter your email address") in text and gettext("Enter your password") in text


def test_the_login_page_keeps_a_local_next_through_a_failed_attempt_and_then_follows_it(client, user):
    html = client.get("/accedi?next=/domande/3").get_data(as_text=True)
    assert '<input type="hidden" name="next" value="/domande/3">' in html
    failed = client.post("/accedi", data={"email": user.email, "password": "sbagliata!!", "next": "/domande/3"})
    assert failed.status_code == 422
    assert '<input type="hidden" name="next" value="/domande/3">' in failed.get_data(as_text=True)
    response = client.post("/accedi", data={"email": user.email, "password": PASSWORD, "next": "/domande/3"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/domande/3"


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example", "///evil.example", "/\\evil.example", "http:/evil.example",
    "javascript:alert(1)", "domande", "/\t/evil.example",
])
def test_a_next_outside_the_site_is_ignored(client, user, target):
    assert 'name="next"' not in client.get("/accedi", query_string={"next": target}).get_data(as_text=True)
    response = client.post("/accedi", data={"email": user.email, "password": PASSWORD, "next": target})
    assert response.status_code == 303
    assert response.headers["Location"] == APPLICATIONS


def test_the_next_of_the_query_string_is_honoured_on_post(client, user):
    response = client.post("/accedi?next=/domande/7", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/domande/7"


@pytest.mark.parametrize("url", ["/accedi", "/registrati"])
def test_a_logged_in_user_is_sent_from_login_and_register_to_the_applications(auth_client, url):
    response = auth_client.get(url)
    assert response.status_code == 303
    assert _path(response) == APPLICATIONS


def test_logging_out_takes_a_post(client, user):
    client.post("/accedi", data={"email": user.email, "password": PASSWORD})
    assert client.get("/esci").status_code == 405
    assert _is_logged_in(client)
    response = client.post("/esci")
    assert response.status_code == 303
    assert _path(response) == "/"
    assert not _is_logged_in(client)


def test_with_csrf_on_a_post_without_the_token_is_refused_and_one_with_it_accepted(app, client, user):
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/accedi", data={"email": user.email, "password": PASSWORD}).status_code == 400
    html = client.get("/accedi").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post("/accedi", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303
    assert client.post("/esci").status_code == 400  # logging out needs the token too
    assert _is_logged_in(client)


def test_the_auth_pages_have_no_inline_script_and_link_to_each_other(client):
    links = {"/accedi": ("/registrati", "/password-dimenticata"), "/registrati": ("/accedi",),
             "/password-dimenticata": ("/accedi", "/registrati")}
    for url, targets in links.items():
        html = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert not re.search(r"\son[a-z]+\s*=", html), url
        for target in targets:
            assert f'href="{target}"' in html, (url, target)


# Forgotten password, through a real SMTP server

class _Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.received: list[email.message.EmailMessage] = []
        self.envelopes: list[list[str]] = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        self.envelopes.append(list(envelope.rcpt_tos))
        return "250 OK"


class _Mailbox:
    """What the tests look at: the inbox once every queued mail has left (mail is sent by the mail thread). Not the
    handler itself: aiosmtpd inspects the handler's attributes from its own thread."""

    def __init__(self, handler: _Inbox):
        self._handler = handler

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        wait_for_mail()
        return self._handler.received

    @property
    def recipients(self) -> list[list[str]]:
        wait_for_mail()
        return self._handler.envelopes


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def inbox(app):
    """A local SMTP server the app sends to; yields the messages it received."""
    handler = _Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_TLS=False, MAIL_USERNAME=None)
    yield _Mailbox(handler)
    controller.stop()


def _reset_link(message) -> str:
    match = re.search(r"https?://\S+", message.get_content())
    assert match, message.get_content()
    return match.group(0)


def _ask_for_link(client, address: str):
    response = client.post("/password-dimenticata", data={"email": address})
    assert response.status_code == 303
    assert _path(response) == "/password-dimenticata"
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_forgotten_password_is_reset_with_the_link_from_the_mail(client, user, inbox):
    html = _ask_for_link(client, " GIULIA@example.it ")
    assert _text(RESET_SENT) in html
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert inbox.recipients == [["giulia@example.it"]]
    assert message["To"] == "giulia@example.it"
    assert message["From"] == "Patti Web <noreply@localhost>"
    assert message["Subject"] == gettext("Reset your Patti Web password")
    assert message.get_content_charset() == "utf-8"
    link = _reset_link(message)
    assert link.startswith("http://localhost/reimposta-password/")
    assert "Giulia Bianchi" in message.get_content()

    page = client.get(link)
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    html = page.get_data(as_text=True)
    assert f'action="{urlsplit(link).path}"' in html and 'autocomplete="new-password"' in html

    mismatch = client.post(link, data={"password": NEW_PASSWORD, "password_conferma": "qualcos-altro-ancora"})
    assert mismatch.status_code == 422
    assert _text("The two passwords do not match") in mismatch.get_data(as_text=True)

    response = client.post(link, data={"password": NEW_PASSWORD, "password_conferma": NEW_PASSWORD})
    assert response.status_code == 303
    assert _path(response) == APPLICATIONS
    assert _is_logged_in(client)

    client.post("/esci")
    assert client.post("/accedi", data={"email": user.email, "password": PASSWORD}).status_code == 422
    response = client.post("/accedi", data={"email": user.email, "password": NEW_PASSWORD})
    assert response.status_code == 303

    # The link worked once: the password it was made for is gone.
    client.post("/esci")
    again = client.get(link)
    assert again.status_code == 400
    assert 'href="/password-dimenticata"' in again.get_data(as_text=True)
    assert client.post(link, data={"password": "ancora-un-altra", "password_conferma": "ancora-un-altra"}
                       ).status_code == 400
    assert accounts.authenticate(user.email, NEW_PASSWORD) is not None


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, user, inbox):
    html = _ask_for_link(client, "nessuno@example.it")
    assert _text(RESET_SENT) in html
    assert inbox.messages == []


def test_an_expired_link_is_refused(app, client, user, inbox):
    _ask_for_link(client, user.email)
    link = _reset_link(inbox.messages[0])
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    response = client.get(link)
    assert response.status_code == 400
    assert _text("This link no longer works") in response.get_data(as_text=True)


def test_a_link_signed_more_than_an_hour_ago_is_refused(client, user, monkeypatch):
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 3601)
    token = accounts.make_reset_token(user)
    monkeypatch.undo()
    assert client.get(f"/reimposta-password/{token}").status_code == 400


@pytest.mark.parametrize("token", ["nonsense", "a.b.c", "eyJpZCI6MX0.ZZZZZZ.abcdef", "x" * 3000])
def test_a_forged_or_broken_link_is_refused_without_an_error(client, user, token):
    response = client.get(f"/reimposta-password/{token}")
    assert response.status_code == 400
    assert 'href="/password-dimenticata"' in response.get_data(as_text=True)


def test_a_token_signed_with_another_salt_is_refused(app, client, user):
    payload = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=accounts.RESET_SALT).loads(
        accounts.make_reset_token(user))  # a real link's payload...
    token = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="other").dumps(payload)  # ...signed for another use
    assert client.get(f"/reimposta-password/{token}").status_code == 400


def test_without_a_mail_server_the_mail_goes_to_the_log(app, client, user, caplog):
    app.config["MAIL_SERVER"] = None
    with caplog.at_level("WARNING", logger="patti_web.persone.mail"):
        html = _ask_for_link(client, user.email)
        wait_for_mail()
    assert _text(RESET_SENT) in html
    records = [r for r in caplog.records if r.name == "patti_web.persone.mail" and r.levelname == "WARNING"]
    assert len(records) == 1
    logged = records[0].getMessage()
    assert "To: giulia@example.it" in logged
    link = re.search(r"http://localhost/reimposta-password/\S+", logged).group(0)
    assert client.get(link).status_code == 200


def test_a_mail_server_that_does_not_answer_is_logged_not_a_500(app, client, user, caplog):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port())  # nothing listens there
    with caplog.at_level("ERROR", logger="patti_web.persone.mail"):
        html = _ask_for_link(client, user.email)
        wait_for_mail()
    assert _text(RESET_SENT) in html
    assert any(r.name == "patti_web.persone.mail" and r.exc_info for r in caplog.records)


def test_a_wrong_address_shape_is_refused_on_the_forgotten_password_form(client, inbox):
    response = client.post("/password-dimenticata", data={"email": "non-un-indirizzo"})
    assert response.status_code == 422
    assert _text("Enter an email address in the right format, like name@example.com") in response.get_data(
        as_text=True)
    assert inbox.messages == []
