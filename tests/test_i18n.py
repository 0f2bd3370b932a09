"""The Italian catalogue: complete, compiled from the committed .po, and used by pages, rules and CLI alike."""

from __future__ import annotations

import re
from datetime import date
from io import BytesIO

from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from patti_web import i18n

PO = i18n.TRANSLATIONS_DIR / "it" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
POT = i18n.TRANSLATIONS_DIR / "messages.pot"


def _catalog():
    with PO.open("rb") as fh:
        return read_po(fh, locale="it")


def test_every_string_is_translated_and_keeps_its_placeholders():
    catalog = _catalog()
    for message in catalog:
        if not message.id:
            continue
        assert not message.fuzzy, message.id
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for translated in strings:
            assert translated, ids[0]
            assert set(re.findall(r"%\(\w+\)s", translated)) == set(re.findall(r"%\(\w+\)s", ids[0])), ids[0]


def test_the_catalogue_holds_every_extracted_string():
    with POT.open("rb") as fh:
        template = read_po(fh)
    assert {m.id for m in template if m.id} <= {m.id for m in _catalog() if m.id}


def _entries(fh) -> dict:
    """id -> translation of a compiled catalogue (plural ids and strings come back as lists)."""
    frozen = lambda v: tuple(v) if isinstance(v, list | tuple) else v  # noqa: E731
    return {frozen(m.id): frozen(m.string) for m in read_mo(fh) if m.id}


def test_the_committed_mo_file_is_compiled_from_the_po_file():
    compiled = BytesIO()
    write_mo(compiled, _catalog())
    compiled.seek(0)
    with MO.open("rb") as fh:
        assert _entries(fh) == _entries(compiled)


def test_rule_messages_are_italian_without_an_app():
    assert i18n.gettext("%(what)s is missing.", what="il titolo") == "manca il titolo."


def test_dates_and_numbers_are_formatted_the_italian_way():
    assert i18n.format_date(date(2026, 11, 24)) == "24 novembre 2026"
    assert i18n.format_number(1234.5) == "1.234,5"
    assert i18n.format_money(1234.5) == "1.234,50\xa0\u20ac"
