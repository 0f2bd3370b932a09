"""Steps shared by the browser tests: register, log in, create an application, follow a link and wait for a page.

Elements are found by id, name, href or role, not by their visible text: the interface strings are being translated.
When a text must be matched, `t("English source")` (or `ngettext`) gives whatever the Italian catalogue says today.
"""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Locator, Page, expect

from patti_web.i18n import gettext as t  # noqa: F401  (re-exported for the tests)
from patti_web.i18n import ngettext  # noqa: F401

PASSWORD = "una password di prova lunga"


def unique_email(prefix: str = "utente") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.it"


def path_of(page: Page) -> str:
    """The path of the page's current URL ("/domande/3")."""
    return re.sub(r"^https?://[^/]+", "", page.url).split("?")[0].split("#")[0]


def follow(page: Page, link: Locator, ready: Locator) -> None:
    """Click a link or button and wait until `ready` (an element only the next page has) is visible.

    With JavaScript on, links and forms are boosted by htmx (no full navigation): waiting for the next page's own
    element works the same either way.
    """
    link.click()
    expect(ready).to_be_visible()


def mail_to(app, address: str):
    """The newest mail the portal wrote (in the log: no mail server in tests) to `address`."""
    from patti_web.persone.mail import outbox, wait_for_mail

    wait_for_mail()
    found = [m for m in outbox(app) if m["To"] == address]
    assert found, f"no mail to {address}"
    return found[-1]


def link_in(message, path: str) -> str:
    """The path of the first link to `path` in a mail (the link's host is the live server's)."""
    match = re.search(rf"https?://[^/\s]+({re.escape(path)}\S+)", message.get_content())
    assert match, message.get_content()
    return match.group(1)


def register(page: Page, app, email: str, nome: str = "Giulia Bianchi") -> None:
    """Create an account through the form, confirm it with the mailed link and the password (which logs in); ends on
    "Le mie domande"."""
    page.goto("/registrati")
    page.locator("#nome").fill(nome)
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password_conferma").fill(PASSWORD)
    follow(page, page.locator("form[action='/registrati'] button[type=submit]"),
           page.locator("form[action='/accedi']"))
    page.goto(link_in(mail_to(app, email), "/conferma/"))
    page.locator("#password").fill(PASSWORD)
    follow(page, page.locator("form[action^='/conferma/'] button[type=submit]"),
           page.locator("form[action='/domande/nuova']"))
    expect(page).to_have_url(re.compile(r"/domande$"))


def login(page: Page, email: str) -> None:
    """Log in through the form; ends on "Le mie domande"."""
    page.goto("/accedi")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    follow(page, page.locator("form[action='/accedi'] button[type=submit]"),
           page.locator("form[action='/domande/nuova']"))


def create_application(page: Page, titolo: str) -> str:
    """From "Le mie domande", create an application; ends on its task list and returns its path ("/domande/3")."""
    page.locator("form[action='/domande/nuova'] #titolo").fill(titolo)
    follow(page, page.locator("form[action='/domande/nuova'] button[type=submit]"), page.locator("#stato-capofila"))
    expect(page).to_have_url(re.compile(r"/domande/\d+$"))
    return path_of(page)


def logged_in_storage(browser, context_args: dict, email: str) -> dict:
    """The cookies of a session logged in through the form (for `new_context(storage_state=...)`)."""
    context = browser.new_context(**context_args)
    login(context.new_page(), email)
    state = context.storage_state()
    context.close()
    return state
