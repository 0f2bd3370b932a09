"""Helpers shared by the tests of this folder (import them as `from helpers import ...`)."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parent / "data"


def document_of(application_id: int):
    """The current document of a stored application, as the portal reads it."""
    from patti_web import domande

    return domande.load(application_id, None).domanda


def missing(where: str, what: str) -> str:
    """The rule engine's message for a required field left empty: "<where>: manca <what>." (Italian)."""
    from patti_web.i18n import gettext as _

    return _("%(where)s: %(message)s", where=where, message=_("%(what)s is missing.", what=_(what)))


def form_fields(html: str, action: str | None = None):
    """What a browser would send of a page's post form as it is shown (the first one in the page's main content, or
    the one posting to `action`): text inputs and hidden ones, ticked radios and checkboxes, textareas, chosen
    options; a MultiDict."""
    from html.parser import HTMLParser

    from werkzeug.datastructures import MultiDict

    class Form(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.fields: list[tuple[str, str]] = []
            self.inside = self.done = False
            self.textarea: str | None = None
            self.select: str | None = None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "form" and not self.done and a.get("method") == "post" and (
                    action is None or a.get("action") == action):
                self.inside = True
            if not self.inside or "name" not in a and tag != "option":
                return
            if tag == "input" and a.get("type") not in ("submit", "button"):
                if a.get("type") not in ("radio", "checkbox") or "checked" in a:
                    self.fields.append((a["name"], a.get("value", "")))
            elif tag == "textarea":
                self.textarea = a["name"]
                self.fields.append((a["name"], ""))
            elif tag == "select":
                self.select = a["name"]
            elif tag == "option" and self.select and "selected" in a:
                self.fields.append((self.select, a.get("value", "")))

        def handle_data(self, data):
            if self.textarea is not None:
                name, value = self.fields[-1]
                self.fields[-1] = (name, value + data)

        def handle_endtag(self, tag):
            if tag == "textarea":
                self.textarea = None
                name, value = self.fields[-1]
                self.fields[-1] = (name, value.removeprefix("\n"))
            elif tag == "select":
                self.select = None
            elif tag == "form" and self.inside:
                self.inside, self.done = False, True

    parser = Form()
    parser.feed(html[html.index("<main"):] if "<main" in html else html)
    return MultiDict(parser.fields)
