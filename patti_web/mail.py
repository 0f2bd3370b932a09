"""Outgoing mail over SMTP. Without MAIL_SERVER (development) the message is written to the log instead."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from flask import current_app

log = logging.getLogger("patti_web.mail")

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


def send_mail(to: str, subject: str, body: str) -> None:
    """Send a plain-text mail, or log it when no server is configured.

    :raises OSError: when the server cannot be reached or refuses the mail (smtplib.SMTPException included).
    """
    config = current_app.config
    message = build_message(to, subject, body)
    server = config.get("MAIL_SERVER")
    if not server:
        headers = "\n".join(f"{name}: {value}" for name, value in message.items())
        log.warning("MAIL_SERVER is not set: mail not sent, shown here instead.\n%s\n\n%s", headers, body)
        return
    with smtplib.SMTP(server, int(config.get("MAIL_PORT") or 25), timeout=TIMEOUT) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)
    log.info("mail %r sent", subject)
