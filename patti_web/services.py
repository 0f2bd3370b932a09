"""Use cases: move applications between the document form and the database, and check them.

Services load, mutate and flush; the caller (a view or a CLI command) commits once.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import fields, is_dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from patti_web import domanda as doc
from patti_web.calls import Edizione
from patti_web.documents import build_manifestazione_docx, docx_filename
from patti_web.extensions import db
from patti_web.i18n import TIMEZONE
from patti_web.i18n import gettext as _
from patti_web.models import (
    Application,
    Intervention,
    InterventionNeed,
    LeadPartner,
    Need,
    NeedSource,
    Partner,
    PendingForm,
    Sector,
    SectorAteco,
    TerritoryProvince,
    UsedFormToken,
    User,
)
from patti_web.rules import Finding, check_application, normalize_tax_code

log = logging.getLogger(__name__)


class NotFound(LookupError):
    """No application with that id (for this caller)."""


class DuplicateSubmission(Exception):
    """The same "add" form was submitted twice (two clicks): the first one counted."""


def current_edition() -> Edizione:
    """The edition of the call this portal serves, with the configured window."""
    return current_app.extensions["patti_edizione"]


@cache
def _plan(cls: type, prefix: str = "") -> tuple[tuple[str, str, type | None, tuple], ...]:
    """How a dataclass maps onto flattened columns: (field, column, nested class, nested plan); lists left out."""
    plan = []
    for f in fields(cls):
        default = f.default_factory() if callable(f.default_factory) else f.default
        if is_dataclass(default):
            plan.append((f.name, "", type(default), _plan(type(default), f"{prefix}{f.name}_")))
        elif not isinstance(default, list):
            plan.append((f.name, f"{prefix}{f.name}", None, ()))
    return tuple(plan)


def _flat(obj: object) -> dict[str, object]:
    """Scalar fields of a dataclass, nested objects flattened as `sede_comune`; lists left out."""
    out: dict[str, object] = {}

    def walk(value: object, plan) -> None:
        for name, column, nested, nested_plan in plan:
            if nested is None:
                out[column] = getattr(value, name)
            else:
                walk(getattr(value, name), nested_plan)

    walk(obj, _plan(type(obj)))
    return out


def _unflat(cls: type, row: object, plan=None) -> object:
    """Build a dataclass from a model row with flattened columns (the inverse of `_flat`)."""
    args = {}
    for name, column, nested, nested_plan in plan if plan is not None else _plan(cls):
        args[name] = getattr(row, column) if nested is None else _unflat(nested, row, nested_plan)
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


def _rows(table, *where, order=("posizione",)):
    """Rows of a table (attribute access by column name), in the user's order."""
    columns = table.__table__.c
    return db.session.execute(
        select(columns).where(*where).order_by(*(columns[name] for name in order))
    ).all()


def _grouped(rows, key: str) -> dict[int, list]:
    groups: dict[int, list] = {}
    for row in rows:
        groups.setdefault(getattr(row, key), []).append(row)
    return groups


def to_domanda(app: Application) -> doc.Domanda:
    """Return the stored application as plain data (for the rules, the JSON document and the DOCX).

    Read with plain SELECTs, one per table, not through ORM objects: the checklist reloads it after every change.
    """
    app_id = app.id
    db.session.flush()
    head = db.session.execute(
        select(Application.titolo, Application.territorio_ambito).where(Application.id == app_id)
    ).one()
    capofila_rows = _rows(LeadPartner, LeadPartner.application_id == app_id, order=("id",))
    sector_rows = _rows(Sector, Sector.application_id == app_id)
    need_rows = _rows(Need, Need.application_id == app_id)
    intervention_rows = _rows(Intervention, Intervention.application_id == app_id)
    ateco = _grouped(_rows(SectorAteco, SectorAteco.sector_id.in_([r.id for r in sector_rows])), "sector_id")
    sources = _grouped(_rows(NeedSource, NeedSource.need_id.in_([r.id for r in need_rows])), "need_id")
    needs = _grouped(
        _rows(InterventionNeed, InterventionNeed.intervention_id.in_([r.id for r in intervention_rows])),
        "intervention_id",
    )
    return doc.Domanda(
        titolo=head.titolo,
        capofila=_unflat(doc.Capofila, capofila_rows[0]) if capofila_rows else doc.Capofila(),
        partner=[_unflat(doc.Partner, p) for p in _rows(Partner, Partner.application_id == app_id)],
        territorio=doc.Territorio(
            ambito=head.territorio_ambito,
            province=[p.sigla for p in _rows(TerritoryProvince, TerritoryProvince.application_id == app_id)],
        ),
        settori=[doc.Settore(descrizione=s.descrizione, ateco=[a.codice for a in ateco.get(s.id, [])])
                 for s in sector_rows],
        fabbisogni=[
            doc.Fabbisogno(id=f.codice, titolo=f.titolo, descrizione=f.descrizione,
                           lacune_politiche_attive=f.lacune_politiche_attive,
                           fonti=[_unflat(doc.Fonte, s) for s in sources.get(f.id, [])])
            for f in need_rows
        ],
        interventi=[
            doc.Intervento(titolo=i.titolo, descrizione=i.descrizione, destinatari=i.destinatari,
                           fabbisogni=[n.codice for n in needs.get(i.id, [])])
            for i in intervention_rows
        ],
    )


def import_application(domanda: doc.Domanda, owner: User | None = None) -> Application:
    """Store a new application from a document; flushes so that it has an id."""
    app = fill_application(Application(edizione=current_edition().chiave, owner=owner), domanda)
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


# The web portal: every query is scoped to the owner.


def get_owned_application(application_id: int, owner: User) -> Application:
    """Load one of `owner`'s applications, or raise NotFound (also for someone else's: a guessed id is a 404)."""
    app = db.session.scalar(
        select(Application)
        .where(Application.id == application_id, Application.owner_id == owner.id)
    )
    if app is None:
        raise NotFound(application_id)
    return app


def list_applications(owner: User) -> list[tuple[Application, list[Finding]]]:
    """The owner's applications, last changed first, each with its findings."""
    apps = db.session.scalars(
        select(Application)
        .where(Application.owner_id == owner.id)
        .order_by(Application.updated_at.desc(), Application.id.desc())
    ).all()
    return [(app, check_stored_application(app)) for app in apps]


def create_application(owner: User, titolo: str) -> Application:
    """Start an empty application with its title."""
    return import_application(doc.Domanda(titolo=titolo), owner)


def duplicate_application(app: Application) -> Application:
    """A copy of `app` for the same owner, titled as a copy."""
    domanda = to_domanda(app)
    domanda.titolo = _("%(title)s (copy)", title=domanda.titolo)[:300]
    return import_application(domanda, app.owner)


def delete_application(app: Application) -> None:
    db.session.delete(app)
    db.session.flush()


def touch(app: Application) -> None:
    """Mark the application as changed now (its documents carry the date of the last change)."""
    app.updated_at = datetime.now(UTC).replace(tzinfo=None)
    db.session.flush()


def is_form_token_used(token: str) -> bool:
    return bool(token) and db.session.get(UsedFormToken, token) is not None


def consume_form_token(token: str) -> None:
    """Record a one-time form token; raise DuplicateSubmission if it was used already."""
    if not token or is_form_token_used(token):
        raise DuplicateSubmission(token)
    db.session.add(UsedFormToken(token=token))
    try:
        db.session.flush()
    except IntegrityError:  # the other click won the race
        db.session.rollback()
        raise DuplicateSubmission(token) from None


def member_with_tax_code(app: Application, codice_fiscale: str, *, besides: Partner | None = None) -> str | None:
    """The name of the member (lead partner included) that already has this codice fiscale, if any."""
    wanted = normalize_tax_code(codice_fiscale)
    if app.capofila is not None and wanted and normalize_tax_code(app.capofila.codice_fiscale) == wanted:
        return app.capofila.denominazione or _("the lead partner")
    for partner in app.partner:
        if partner is not besides and wanted and normalize_tax_code(partner.codice_fiscale) == wanted:
            return partner.denominazione
    return None


def next_need_code(app: Application) -> str:
    """The identifier of a new need: F1, F2, ... after the highest one in use."""
    numbers = [int(n.codice[1:]) for n in app.fabbisogni if n.codice[:1] == "F" and n.codice[1:].isdigit()]
    return f"F{max(numbers, default=0) + 1}"


def get_child(collection: list, child_id: int):
    """One row of an application's list (partner, sector, need, intervention) by id, or NotFound."""
    for child in collection:
        if child.id == child_id:
            return child
    raise NotFound(child_id)


def remove_need(app: Application, need: Need) -> None:
    """Remove a need; interventions keep their reference, so the rules show what lost its need."""
    app.fabbisogni.remove(need)
    db.session.flush()


# Forms typed while a session had expired: kept server-side until the user logs in again.
PENDING_MAX_AGE = timedelta(hours=12)


def stash_form(path: str, data: list[tuple[str, str]]) -> str:
    """Keep what was typed into a form (without the CSRF token) and return a one-time key."""
    token = secrets.token_urlsafe(32)
    kept = [(k, v) for k, v in data if k != "csrf_token"]
    db.session.add(PendingForm(id=token, path=path, data=json.dumps(kept, ensure_ascii=False)))
    cutoff = datetime.now(UTC).replace(tzinfo=None) - PENDING_MAX_AGE
    db.session.execute(delete(PendingForm).where(PendingForm.created_at < cutoff))
    db.session.flush()
    return token


def pop_stashed_form(token: str, path: str) -> list[tuple[str, str]] | None:
    """Take back (once) what was typed into the form at `path`, or None."""
    pending = db.session.get(PendingForm, token) if token else None
    if pending is None or pending.path != path:
        return None
    fresh = pending.created_at >= datetime.now(UTC).replace(tzinfo=None) - PENDING_MAX_AGE
    data = json.loads(pending.data) if fresh else None
    db.session.delete(pending)
    db.session.flush()
    return [tuple(pair) for pair in data] if data is not None else None
