"""What this running portal serves: the edition of the call (PATTI_EDIZIONE, with the window configured) and the day
it takes as today (PATTI_OGGI, else today in Italy). Both need the app: the pure core takes them as arguments."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app

from patti_web.avviso.edizioni import Edizione
from patti_web.i18n import TIMEZONE


def current_edition() -> Edizione:
    """The edition of the call this portal serves, with the configured window."""
    return current_app.extensions["patti_edizione"]


def today() -> date:
    """Today in Italy, or the day configured as today (PATTI_OGGI: to see the portal on another day)."""
    return current_app.config.get("PATTI_OGGI") or datetime.now(ZoneInfo(TIMEZONE)).date()
