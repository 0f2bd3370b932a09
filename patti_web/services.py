"""Use cases: move applications between the document form and the database, and check them.

Services load, mutate and flush; the caller (a view or a CLI command) commits once.
"""

from __future__ import annotations

import logging
from dataclasses import fields, is_dataclass
from datetime import UTC, date
from zoneinfo import ZoneInfo

from flask import current_app

from patti_web import domanda as doc
from patti_web.calls import Edizione
from patti_web.documents import build_manifestazione_docx, docx_filename
from patti_web.extensions import db
from patti_web.i18n import TIMEZONE
from patti_web.models import (
    Application,
    Intervention,
    InterventionNeed,
    LeadPartner,
    Need,
    NeedSource,
    Partner,
    Sector,
    SectorAteco,
    TerritoryProvince,
)
from patti_web.rules import Finding, check_application

log = logging.getLogger(__name__)


class NotFound(LookupError):
    """No application with that id (for this caller)."""


def current_edition() -> Edizione:
    """The edition of the call this portal serves, with the configured window."""
    return current_app.extensions["patti_edizione"]


def _flat(obj: object, prefix: str = "") -> dict[str, object]:
    """Scalar fields of a dataclass, nested objects flattened as `sede_comune`; lists left out."""
    out: dict[str, object] = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if is_dataclass(value):
            out.update(_flat(value, f"{prefix}{f.name}_"))
        elif not isinstance(value, list):
            out[f"{prefix}{f.name}"] = value
    return out


def _unflat(cls: type, row: object, prefix: str = "") -> object:
    """Build a dataclass from a model row with flattened columns (the inverse of `_flat`)."""
    args = {}
    for f in fields(cls):
        default = f.default_factory() if callable(f.default_factory) else f.default
        if is_dataclass(default):
            args[f.name] = _unflat(type(default), row, f"{prefix}{f.name}_")
        elif not isinstance(default, list):
            args[f.name] = getattr(row, f"{prefix}{f.name}")
    return cls(**args)


def fill_application(app: Application, domanda: doc.Domanda) -> Application:
    """Replace every part of `app` with the content of `domanda`."""
    app.titolo = domanda.titolo
    app.territorio_ambito = domanda.territorio.ambito
    if app.capofila is None:
        app.capofila = LeadPartner()
    for key, value in _flat(domanda.capofila).items():
        setattr(app.capofila, key, value)
    app.partner = [Partner(**_flat(p)) for p in domanda.partner]
    app.province = [TerritoryProvince(sigla=s) for s in domanda.territorio.province]
    app.settori = [
        Sector(descrizione=s.descrizione, ateco=[SectorAteco(codice=c) for c in s.ateco]) for s in domanda.settori
    ]
    app.fabbisogni = [
        Need(
            codice=f.id,
            titolo=f.titolo,
            descrizione=f.descrizione,
            lacune_politiche_attive=f.lacune_politiche_attive,
            fonti=[NeedSource(**_flat(s)) for s in f.fonti],
        )
        for f in domanda.fabbisogni
    ]
    app.interventi = [
        Intervention(
            titolo=i.titolo,
            descrizione=i.descrizione,
            destinatari=i.destinatari,
            fabbisogni=[InterventionNeed(codice=c) for c in i.fabbisogni],
        )
        for i in domanda.interventi
    ]
    return app


def to_domanda(app: Application) -> doc.Domanda:
    """Return the stored application as plain data (for the rules, the JSON document and the DOCX)."""
    capofila = _unflat(doc.Capofila, app.capofila) if app.capofila else doc.Capofila()
    return doc.Domanda(
        titolo=app.titolo,
        capofila=capofila,
        partner=[_unflat(doc.Partner, p) for p in app.partner],
        territorio=doc.Territorio(ambito=app.territorio_ambito, province=[p.sigla for p in app.province]),
        settori=[doc.Settore(descrizione=s.descrizione, ateco=[a.codice for a in s.ateco]) for s in app.settori],
        fabbisogni=[
            doc.Fabbisogno(
                id=f.codice,
                titolo=f.titolo,
                descrizione=f.descrizione,
                lacune_politiche_attive=f.lacune_politiche_attive,
                fonti=[_unflat(doc.Fonte, s) for s in f.fonti],
            )
            for f in app.fabbisogni
        ],
        interventi=[
            doc.Intervento(
                titolo=i.titolo,
                descrizione=i.descrizione,
                destinatari=i.destinatari,
                fabbisogni=[n.codice for n in i.fabbisogni],
            )
            for i in app.interventi
        ],
    )


def import_application(domanda: doc.Domanda) -> Application:
    """Store a new application from a document; flushes so that it has an id."""
    app = fill_application(Application(edizione=current_edition().chiave), domanda)
    db.session.add(app)
    db.session.flush()
    log.info("imported application %s (%s partners)", app.id, len(app.partner))
    return app


def get_application(application_id: int) -> Application:
    """Load one application or raise NotFound."""
    app = db.session.get(Application, application_id)
    if app is None:
        raise NotFound(application_id)
    return app


def check_stored_application(app: Application) -> list[Finding]:
    """Every finding of the rule engine for a stored application (drafting: the window is not checked)."""
    return check_application(to_domanda(app), current_edition())


def document_date(app: Application) -> date:
    """The date a stored application's documents carry: the day of its last change, in Italian time."""
    return app.updated_at.replace(tzinfo=UTC).astimezone(ZoneInfo(TIMEZONE)).date()


def build_docx(app: Application) -> tuple[bytes, str]:
    """The manifestazione di interesse of a stored application, and its download file name."""
    domanda = to_domanda(app)
    day = document_date(app)
    return build_manifestazione_docx(domanda, current_edition(), day), docx_filename(domanda, day)
