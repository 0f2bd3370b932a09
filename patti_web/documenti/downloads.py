"""The documents of a stored application, as its pages offer them: the act, one partner's letter, every letter, and
the JSON document, each with its download name. Dated the day of the application's last change (Italian time), so
the same version always gives the same bytes."""

from __future__ import annotations

from datetime import UTC, date
from zoneinfo import ZoneInfo

from patti_web.avviso import domanda as doc
from patti_web.avviso.regole import act_date_warning
from patti_web.documenti import (
    Identita,
    act_order,
    adesione_filename,
    build_adesione_docx,
    build_adesioni,
    build_manifestazione_docx,
    docx_filename,
    number_width,
)
from patti_web.domande import State, get_item
from patti_web.i18n import TIMEZONE
from patti_web.portal import current_edition


def document_date(state: State) -> date:
    """The date a stored application's documents carry: the day of its last change, in Italian time."""
    return state.head.updated_at.replace(tzinfo=UTC).astimezone(ZoneInfo(TIMEZONE)).date()


def date_warning(state: State) -> str | None:
    """What the documents' pages say when the date the documents carry is outside the submission window."""
    return act_date_warning(document_date(state), current_edition())


def identita(state: State) -> Identita:
    """What every page of a stored application's documents prints of its version: number, version, fingerprint."""
    return Identita.of(state.domanda, state.id, state.versione)


def act(state: State) -> tuple[bytes, str]:
    """The manifestazione di interesse of a stored application, and its download file name."""
    day = document_date(state)
    return (build_manifestazione_docx(state.domanda, current_edition(), day, identita(state)),
            docx_filename(state.domanda, day))


def letter(state: State, partner_id: str) -> tuple[bytes, str]:
    """One partner's letter of adhesion, and its file name (its number in the act); NotFound for an unknown
    partner."""
    partner = get_item(state, "partenariato", partner_id)
    order = act_order(state.domanda, current_edition())
    number = next(n for n, listed in order if listed is partner)
    day = document_date(state)
    return (build_adesione_docx(state.domanda, current_edition(), day, partner, state.findings, identita(state)),
            adesione_filename(number, partner, day, number_width(order)))


def letters(state: State) -> tuple[list[tuple[str, bytes]], str]:
    """Every partner's letter of adhesion as (file name, DOCX), in the act's order, and the name of the zip that
    holds them."""
    day = document_date(state)
    return (build_adesioni(state.domanda, current_edition(), day, state.findings, identita(state)),
            docx_filename(state.domanda, day, "adesioni", "zip"))


def json_text(state: State) -> tuple[str, str]:
    """The application as a patti-web/domanda@2 JSON text, and its download file name."""
    return doc.write_document(state.domanda), docx_filename(state.domanda, document_date(state), extension="json")
