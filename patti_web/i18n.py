"""Locale, translations and Italian formatting shared by the web pages, the rule engine and the documents.

The interface speaks Italian only. Source strings are English and go through Babel; the `it` catalogue under
`translations/` turns them into Italian. This module imports no Flask, so the rule engine and the command line use
the same catalogue as the pages.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, dates, numbers
from babel.support import LazyProxy, Translations

LOCALE = "it"
SUPPORTED_LOCALES = (LOCALE,)
TIMEZONE = "Europe/Rome"
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"


@lru_cache(maxsize=1)
def translations() -> Translations:
    """Load the compiled `it` catalogue once per process."""
    return Translations.load(str(TRANSLATIONS_DIR), [LOCALE])


def N_(message: str) -> str:
    """Mark a string for the catalogue; it is translated where it is used."""
    return message


def gettext(message: str, /, **variables: object) -> str:
    """Translate `message` into Italian and fill `%(name)s` placeholders."""
    text = translations().gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, /, **variables: object) -> str:
    """Translate with the Italian plural form for `n`; `%(num)s` is `n`."""
    text = translations().ngettext(singular, plural, n)
    return text % {"num": n, **variables}


def lazy_gettext(message: str, /, **variables: object) -> LazyProxy:
    """Translate when used, not when defined (module constants)."""
    return LazyProxy(gettext, message, enable_cache=False, **variables)


def select_locale() -> str:
    """The one locale of the portal (Flask-Babel's locale selector)."""
    return LOCALE


def format_date(value: date | datetime, format: str = "long") -> str:
    """Italian date, e.g. "24 novembre 2026"."""
    return dates.format_date(value, format=format, locale=LOCALE)


def format_number(value: int | float | Decimal) -> str:
    """Italian number, e.g. "1.234,5"."""
    return numbers.format_decimal(value, locale=LOCALE)


def format_money(value: int | float | Decimal) -> str:
    """Euro amount the Italian way, e.g. "1.234,50 €"."""
    return numbers.format_currency(value, "EUR", locale=LOCALE)


def locale() -> Locale:
    return Locale.parse(LOCALE)


def format_datetime(value: datetime, *, seconds: bool = False) -> str:
    """Italian date and time in Italy's zone, e.g. "24 novembre 2026, 10:15" ("10:15:07" with seconds). Naive values
    are UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(ZoneInfo(TIMEZONE))
    return f"{format_date(local)}, {local:%H:%M:%S}" if seconds else f"{format_date(local)}, {local:%H:%M}"
