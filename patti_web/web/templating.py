"""Jinja filters and globals: Italian formatting and the call's edition."""

from __future__ import annotations

from flask import Flask

from patti_web import i18n
from patti_web.avviso import sezioni
from patti_web.avviso.regole import stamp_date
from patti_web.i18n import gettext as _
from patti_web.portal import current_edition, today


def shown_value(value: object) -> str:
    """A value of the document in words: lists joined, yes/no, "(vuoto)" for nothing."""
    if value is None or value == "" or value == []:
        return _("(empty)")
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def iso_day(value: str) -> str:
    """A day as the document holds it (YYYY-MM-DD) the Italian way ("20 gennaio 2023"); anything else as it is."""
    day = stamp_date(value or "")
    return i18n.format_date(day) if day is not None else (value or "")


def role_name(role: str) -> str:
    """A role on an application, in words."""
    names = {"titolare": _("Owner"), "collaboratore": _("Collaborator"), "lettore": _("Reader"), "staff": _("Staff")}
    return names.get(role, role)


def register_template_helpers(app: Flask) -> None:
    # Templates translate through the one Italian catalogue, loaded once (i18n.translations), like the rules and the
    # documents: Flask-Babel's own callables look the catalogue up again on every string of every page.
    catalogue = i18n.translations()
    app.jinja_env.install_gettext_callables(gettext=catalogue.gettext, ngettext=catalogue.ngettext, newstyle=True,
                                            pgettext=catalogue.pgettext, npgettext=catalogue.npgettext)
    app.add_template_filter(i18n.format_date, "data")
    app.add_template_filter(i18n.format_datetime, "data_ora")
    app.add_template_filter(i18n.format_number, "numero")
    app.add_template_filter(i18n.format_money, "euro")
    app.add_template_filter(shown_value, "valore")
    app.add_template_filter(iso_day, "giorno")
    app.add_template_filter(role_name, "ruolo")
    app.add_template_global(current_edition, "edizione")
    app.add_template_global(sezioni, "sezioni")

    @app.template_global("finestra")
    def window() -> dict:
        """The submission window as of today (Europe/Rome, or PATTI_OGGI): its state and the days it counts."""
        edizione = current_edition()
        state, days = edizione.window(today())
        return {"stato": state, "giorni": days, "apertura": edizione.apertura, "chiusura": edizione.chiusura}

    @app.template_filter("nome_provincia")
    def province_name(sigla: str) -> str:
        """A province's full name from its sigla, or the value as given."""
        return current_edition().nomi_province.get((sigla or "").strip().upper(), sigla)
