"""Outgoing mail over SMTP, sent outside the request by one background thread per process: a page never waits for a
mail server, and its timing does not tell whether a mail left. Without MAIL_SERVER (development) the message is
written to the log instead, and kept in the app's outbox (the last 50: tests and the browser tests read it).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor, wait
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from flask import Flask, current_app
from limits import parse_many

from patti_web.extensions import limiter

log = logging.getLogger(__name__)

DEFAULT_SENDER = "Patti Web <noreply@localhost>"
TIMEOUT = 10  # seconds for connecting and for each SMTP command


def build_message(to: str, subject: str, body: str) -> EmailMessage:
    """Return a plain-text UTF-8 message from the configured sender."""
    sender = current_app.config.get("MAIL_SENDER") or DEFAULT_SENDER
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or "localhost")
    # Quoted-printable keeps the body 7-bit, so that no server without 8BITMIME mangles accented letters.
    message.set_content(body, charset="utf-8", cte="quoted-printable")
    return message


_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="patti-mail")
_pending: set[Future] = set()
_pending_lock = threading.Lock()


def outbox(app: Flask) -> deque[EmailMessage]:
    """The messages this app wrote to the log instead of sending them (no MAIL_SERVER), newest last."""
    return app.extensions.setdefault("patti_outbox", deque(maxlen=50))


GENERAL, LOGIN_LINK = "general", "login-link"
_LIMITS = {GENERAL: ("PATTI_MAIL_LIMIT", "5/hour;20/day"), LOGIN_LINK: ("PATTI_LOGIN_LINK_LIMIT", "1/10 minutes")}


def login_link_minutes() -> int:
    """Every how many minutes one login link may be mailed to an address (from PATTI_LOGIN_LINK_LIMIT)."""
    name, default = _LIMITS[LOGIN_LINK]
    return max(1, parse_many(current_app.config.get(name) or default)[0].get_expiry() // 60)


def within_the_limit(to: str, kind: str = GENERAL) -> bool:
    """Count one mail of `kind` to `to`; False when that address has had its share for now.

    Every kind but login links shares PATTI_MAIL_LIMIT (confirmations, "already registered", resets, invitations):
    whoever types somebody's address again and again cannot fill their mailbox. Login links have a rhythm of their
    own (PATTI_LOGIN_LINK_LIMIT, one every 10 minutes), outside that share: a link mailed at an attacker's request
    lands in the owner's mailbox and stays valid for 15 minutes, so asking for links cannot spend the owner's way in.
    The pages that answer the same whether or not an account exists count before looking the account up (the
    time taken does not tell either).
    """
    if not limiter.enabled:
        return True
    name, default = _LIMITS[kind]
    items = parse_many(current_app.config.get(name) or default)
    return all(limiter.limiter.hit(item, "mail", kind, to.strip().lower()) for item in items)


def send_mail(to: str, subject: str, body: str, *, counted: bool = False) -> bool:
    """Queue a plain-text mail and return at once; it is sent (or logged, without a server) by the mail thread.
    False when nothing was queued: not one plain address, or (unless the caller `counted` it already with
    `within_the_limit`) the address has had its share of mails for now.

    A failure to send is logged there (the page has already answered the same either way).
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if parseaddr(to)[1] != to or "," in to:
        log.error("mail %r not sent: %r is not one plain address", subject, to)
        return False
    if not counted and not within_the_limit(to):
        log.warning("mail %r not sent: the address has had its share of mails for now (PATTI_MAIL_LIMIT)", subject)
        return False
    try:
        message = build_message(to, subject, body)
    except (ValueError, TypeError):  # a header the email package refuses: nothing goes, the page answers the same
        log.exception("mail %r not sent to %r", subject, to)
        return False
    future = _executor.submit(_deliver, app, message)
    with _pending_lock:
        _pending.add(future)
    future.add_done_callback(_forget)
    return True


def _forget(future: Future) -> None:
    with _pending_lock:
        _pending.discard(future)


def wait_for_mail(timeout: float = 30) -> None:
    """Wait until every queued mail is sent or has failed (tests, and the command line before it exits)."""
    with _pending_lock:
        queued = set(_pending)
    wait(queued, timeout=timeout)


def _deliver(app: Flask, message: EmailMessage) -> None:
    with app.app_context():
        try:
            _send_now(message)
        except OSError:  # smtplib.SMTPException included
            log.exception("could not send the mail %r", message["Subject"])


def _send_now(message: EmailMessage) -> None:
    config = current_app.config
    server = config.get("MAIL_SERVER")
    if not server:
        headers = "\n".join(f"{name}: {value}" for name, value in message.items())
        log.warning("MAIL_SERVER is not set: mail not sent, shown here instead.\n%s\n\n%s", headers,
                    message.get_content())
        outbox(current_app._get_current_object()).append(message)  # type: ignore[attr-defined]
        return
    with smtplib.SMTP(server, int(config.get("MAIL_PORT") or 25), timeout=TIMEOUT) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)
    log.info("mail %r sent", message["Subject"])
