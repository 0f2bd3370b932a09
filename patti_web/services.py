"""Use cases of an application: read it, change one section or list item, create, import, duplicate, delete.

An application is one document (`patti-web/domanda@2`) with a version. Every write goes through `_save`, which reads
the current version, applies one change to the document, checks that the result is a document the portal's own
reader accepts, and stores it only if nobody saved meanwhile (`UPDATE ... WHERE versione = <read>`); if somebody
did, it starts again on their version. So:

- adding or removing list items is applied to whatever version is current (two people adding partners at once both
  succeed), and uniqueness (a codice fiscale once per partnership, need codes) is checked on the version written;
- editing a section or an item carries the version the form was opened on: if that part changed since, the edit is
  refused with `Conflict` (field by field: their value, yours), never applied over theirs.

Each save appends a `Revision` (who, when, which section, the change as an RFC 6902 JSON Patch and its reverse) and
commits: one commit per request, made here because a lost race must roll back and retry. Views import no model.
Findings, checklist and section states are computed once per version and kept in memory by (application, version).

Who may do what is decided here, with the application's columns, in the same statement: the titolare (the owner)
everything, a collaboratore edits the content, a lettore and staff read and download. An application someone has no
role in does not exist for them (NotFound, a 404); one they may read but not change answers Forbidden (a 403).
"""

from __future__ import annotations

import copy
import json
import logging
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import jsonpatch
from flask import current_app
from pydantic import BaseModel, ValidationError
from sqlalchemy import and_, bindparam, case, delete, exists, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from patti_web import domanda as doc
from patti_web.calls import Edizione
from patti_web.documents import (
    adesione_filename,
    build_adesione_docx,
    build_adesioni,
    build_manifestazione_docx,
    docx_filename,
)
from patti_web.extensions import db
from patti_web.i18n import TIMEZONE
from patti_web.i18n import gettext as _
from patti_web.models import Application, Invitation, Membership, PendingForm, Revision, User
from patti_web.rules import (
    DONE,
    ERROR,
    ChecklistItem,
    Finding,
    check_application,
    checklist,
    normalize_tax_code,
    section_statuses,
)

log = logging.getLogger(__name__)

# How many times a save starts again on a newer version before giving up (only under a storm of saves).
MAX_ATTEMPTS = 20
SECTIONS = ("capofila", "partenariato", "territorio", "settori", "fabbisogni", "interventi")


class NotFound(LookupError):
    """No application (or list item) with that id for this user: a guessed id is a 404."""


class Forbidden(PermissionError):
    """The user may see the application but not do this with it (a lettore saving, a collaboratore inviting)."""


# Roles on an application. The titolare is its owner (one), the others are memberships; staff read every one.
TITOLARE, COLLABORATORE, LETTORE, STAFF = "titolare", "collaboratore", "lettore", "staff"
MEMBER_ROLES = (COLLABORATORE, LETTORE)
READ = frozenset({TITOLARE, COLLABORATORE, LETTORE, STAFF})
EDIT = frozenset({TITOLARE, COLLABORATORE})
MANAGE = frozenset({TITOLARE})


class DuplicateSubmission(Exception):
    """The same "add" form was submitted twice (two clicks): the first one counted."""


class Refused(ValueError):
    """The change cannot be stored; `errors` lists (field, Italian message), field being a document path."""

    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class FieldChange:
    """One field someone else changed since a form was opened: its path in the section, their value, yours."""

    path: str
    theirs: object
    yours: object


class Conflict(Exception):
    """The section or item changed since the form was opened; nothing was saved."""

    def __init__(self, changes: list[FieldChange], versione: int, when: datetime | None, who: str):
        super().__init__(changes)
        self.changes, self.versione, self.when, self.who = changes, versione, when, who


class ItemGone(LookupError):
    """The list item was removed (in another tab, or by someone else) after the form was opened."""


class Busy(RuntimeError):
    """Too many saves at once on the same application: the change could not be applied; try again."""


@dataclass(frozen=True)
class Head:
    """An application's plain columns: enough for lists, titles and the version, without the document."""

    id: int
    owner_id: int | None
    edizione: str
    stato: str
    versione: int
    created_at: datetime
    updated_at: datetime
    titolo: str
    capofila_denominazione: str
    capofila_tipologia: str
    ambito: str
    province: str
    n_partner: int
    n_errori: int
    n_avvertenze: int
    sezioni_completate: int
    # The role of the user who asked (titolare for the command line, which acts for nobody).
    ruolo: str = TITOLARE

    @property
    def can_edit(self) -> bool:
        return self.ruolo in EDIT

    @property
    def can_manage(self) -> bool:
        return self.ruolo in MANAGE


_COLUMNS = Application.__table__.c
_MEMBERS = Membership.__table__.c
_HEAD = tuple(_COLUMNS[name] for name in Head.__dataclass_fields__ if name != "ruolo")
# The user's role beside the columns: titolare if they own it, else their membership's role (or none).
_ROLE = case((_COLUMNS.owner_id == bindparam("user"), literal(TITOLARE)), else_=_MEMBERS.ruolo)
_WITH_MEMBERSHIP = Application.__table__.outerjoin(
    Membership.__table__, and_(_MEMBERS.application_id == _COLUMNS.id, _MEMBERS.user_id == bindparam("user")))
# Statements of every page, built once: building a select costs more than running it on SQLite.
_HEAD_OF = select(*_HEAD).where(_COLUMNS.id == bindparam("id"))
_HEAD_FOR_USER = select(*_HEAD, _ROLE).select_from(_WITH_MEMBERSHIP).where(_COLUMNS.id == bindparam("id"))
_DOCUMENT_OF = select(_COLUMNS.documento).where(_COLUMNS.id == bindparam("id"))


@dataclass(frozen=True)
class Analysis:
    """What the rules say of one version: computed once, shared by every page that shows it. Never mutate it."""

    domanda: doc.Domanda
    findings: list[Finding]
    checklist: list[ChecklistItem]
    statuses: dict[str, str]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]


@dataclass(frozen=True)
class State:
    """One version of an application as pages show it: its columns and what the rules say of its document."""

    head: Head
    analysis: Analysis

    @property
    def id(self) -> int:
        return self.head.id

    @property
    def versione(self) -> int:
        return self.head.versione

    @property
    def domanda(self) -> doc.Domanda:
        return self.analysis.domanda

    @property
    def findings(self) -> list[Finding]:
        return self.analysis.findings

    @property
    def errors(self) -> list[Finding]:
        return self.analysis.errors

    @property
    def checklist(self) -> list[ChecklistItem]:
        return self.analysis.checklist

    @property
    def statuses(self) -> dict[str, str]:
        return self.analysis.statuses


def current_edition() -> Edizione:
    """The edition of the call this portal serves, with the configured window."""
    return current_app.extensions["patti_edizione"]


def today() -> date:
    """Today in Italy, or the day configured as today (PATTI_OGGI: to see the portal on another day)."""
    return current_app.config.get("PATTI_OGGI") or datetime.now(ZoneInfo(TIMEZONE)).date()


def analyse(domanda: doc.Domanda) -> Analysis:
    """Run the rule engine once over a document (drafting: the window is not checked)."""
    edizione = current_edition()
    findings = check_application(domanda, edizione)
    return Analysis(domanda, findings, checklist(domanda, edizione, findings),
                    section_statuses(domanda, findings))


class _VersionCache:
    """The analysis of the newest version seen of recent applications, shared by the threads of a worker.

    One entry per application (an older version is never asked for again once a newer one is stored), at most
    `size` applications, the least recently used going first.
    """

    def __init__(self, size: int):
        self.size, self._items, self._lock = size, OrderedDict(), threading.Lock()

    def get(self, head: Head) -> Analysis | None:
        with self._lock:
            found = self._items.get(head.id)
            if found is None or found[0] != (head.versione, head.updated_at):
                return None
            self._items.move_to_end(head.id)
            return found[1]

    def put(self, head: Head, analysis: Analysis) -> None:
        with self._lock:
            current = self._items.get(head.id)
            if current is not None and current[0][0] > head.versione:
                return  # a slower request must not replace a newer version's analysis
            self._items[head.id] = ((head.versione, head.updated_at), analysis)
            self._items.move_to_end(head.id)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


def _cache() -> _VersionCache:
    # One cache per app (tests build many apps whose ids restart at 1).
    return current_app.extensions.setdefault("patti_versioni", _VersionCache(current_app.config["PATTI_CACHE_SIZE"]))


# Reading ----------------------------------------------------------------------------------------------------------


def _head(application_id: int, user: User | None, allowed: frozenset[str] = READ) -> Head:
    """The application's columns and the user's role on it (None: the command line, any application).

    :raises NotFound: no such application, or the user has no role in it.
    :raises Forbidden: the user's role is not among `allowed`.
    """
    if not _is_db_id(application_id):
        raise NotFound(application_id)
    if user is None:
        row = db.session.connection().execute(_HEAD_OF, {"id": application_id}).one_or_none()
        if row is None:
            raise NotFound(application_id)
        return Head(*row)
    # Plain columns through the session's connection: no ORM objects to build on the hottest path of every page.
    row = db.session.connection().execute(_HEAD_FOR_USER, {"id": application_id, "user": user.id}).one_or_none()
    role = (row[-1] or (STAFF if getattr(user, "staff", False) else None)) if row is not None else None
    if role is None:
        raise NotFound(application_id)
    if role not in allowed:
        raise Forbidden(application_id)
    return Head(*row[:-1], ruolo=role)


def _is_db_id(value: int) -> bool:
    return 0 < value < 2**63


def get_head(application_id: int, user: User | None, allowed: frozenset[str] = READ) -> Head:
    """An application's columns, without its document (see `_head` for NotFound and Forbidden)."""
    return _head(application_id, user, allowed)


def load(application_id: int, user: User | None, allowed: frozenset[str] = READ) -> State:
    """The current version of an application and what the rules say of it (one SELECT when already analysed)."""
    head = _head(application_id, user, allowed)
    analysis = _cache().get(head)
    if analysis is None:
        stored = db.session.connection().execute(_DOCUMENT_OF, {"id": head.id}).scalar_one()
        analysis = analyse(doc.Domanda.model_validate(stored))
        _cache().put(head, analysis)
    return State(head, analysis)


def list_applications(user: User) -> list[Head]:
    """The applications the user has a role in (staff: every one), last changed first, with their summaries and the
    user's role (one query, whatever their number)."""
    query = (select(*_HEAD, _ROLE).select_from(_WITH_MEMBERSHIP)
             .order_by(Application.updated_at.desc(), Application.id.desc()))
    if not getattr(user, "staff", False):
        query = query.where(or_(_COLUMNS.owner_id == bindparam("user"), _MEMBERS.user_id.is_not(None)))
    rows = db.session.execute(query, {"user": user.id}).all()
    return [Head(*row[:-1], ruolo=row[-1] or STAFF) for row in rows]


def document_date(head: Head) -> date:
    """The date a stored application's documents carry: the day of its last change, in Italian time."""
    return head.updated_at.replace(tzinfo=UTC).astimezone(ZoneInfo(TIMEZONE)).date()


def build_docx(state: State) -> tuple[bytes, str]:
    """The manifestazione di interesse of a stored application, and its download file name."""
    day = document_date(state.head)
    return build_manifestazione_docx(state.domanda, current_edition(), day), docx_filename(state.domanda, day)


def build_letter(state: State, partner_id: str) -> tuple[bytes, str]:
    """One partner's letter of adhesion, and its file name; NotFound for an unknown partner."""
    partner = get_item(state, "partenariato", partner_id)
    day = document_date(state.head)
    return (build_adesione_docx(state.domanda, current_edition(), day, partner, state.findings),
            adesione_filename(partner, day))


def build_letters(state: State) -> tuple[list[tuple[str, bytes]], str]:
    """Every partner's letter of adhesion as (file name, DOCX), and the name of the zip that holds them."""
    day = document_date(state.head)
    name = docx_filename(state.domanda, day).replace("manifestazione-interesse-", "adesioni-", 1)
    return build_adesioni(state.domanda, current_edition(), day, state.findings), name.removesuffix(".docx") + ".zip"


def export_text(state: State) -> tuple[str, str]:
    """The application as a patti-web/domanda@2 JSON text, and its download file name."""
    name = docx_filename(state.domanda, document_date(state.head)).removesuffix(".docx") + ".json"
    return doc.write_document(state.domanda), name


def revisions(application_id: int, user: User | None) -> list[Revision]:
    """Every save of an application, oldest first (for the activity page and the submission freeze)."""
    _head(application_id, user)
    return list(db.session.scalars(
        select(Revision).where(Revision.application_id == application_id).order_by(Revision.versione)
    ))


# Writing ----------------------------------------------------------------------------------------------------------


def summary_of(analysis: Analysis) -> dict[str, object]:
    """The columns that summarise a document, for lists and filters (kept current on every save)."""
    domanda = analysis.domanda
    warnings = sum(f.severity != ERROR for f in analysis.findings)
    return {
        "titolo": domanda.titolo,
        "capofila_denominazione": domanda.capofila.denominazione,
        "capofila_tipologia": domanda.capofila.tipologia,
        "ambito": domanda.territorio.ambito,
        "province": ",".join(domanda.territorio.province)[:100],
        "n_partner": len(domanda.partner),
        "n_errori": len(analysis.findings) - warnings,
        "n_avvertenze": warnings,
        "sezioni_completate": sum(analysis.statuses.get(s) == DONE for s in SECTIONS),
    }


def _stored(domanda: doc.Domanda) -> tuple[dict, doc.Domanda]:
    """The document as stored, and as the portal's own reader takes it back (same limits: Refused if it would not)."""
    data = domanda.model_dump(mode="json")
    try:
        return data, doc.Domanda.model_validate(data)
    except ValidationError as exc:
        raise Refused([doc.explain(e) for e in exc.errors(include_url=False)]) from None


class Draft:
    """The current version of an application, being changed by one save."""

    def __init__(self, application_id: int, versione: int, stored: dict):
        self.application_id, self.versione, self._stored = application_id, versione, stored
        self.domanda = doc.Domanda.model_validate(stored)
        # Where the change is (JSON Pointer parts), so that its patch compares that part, not the whole document.
        self._replaced: list[tuple] = []
        self._appended: list[str] = []
        self._removed: list[tuple[str, int]] = []

    def replaced(self, *pointer: str | int) -> None:
        """Say that the change replaced the part at `pointer` (e.g. "capofila", or "partner", 3)."""
        self._replaced.append(pointer)

    def append(self, name: str, item: BaseModel) -> None:
        getattr(self.domanda, name).append(item)
        self._appended.append(name)

    def remove(self, name: str, index: int) -> None:
        del getattr(self.domanda, name)[index]
        self._removed.append((name, index))

    def patches(self, after: dict) -> tuple[list[dict], list[dict]]:
        """The change as an RFC 6902 patch from the stored version to `after`, and its reverse."""
        if not (self._replaced or self._appended or self._removed):  # a change that did not say where it is
            return jsonpatch.make_patch(self._stored, after).patch, jsonpatch.make_patch(after, self._stored).patch
        forward: list[dict] = []
        reverse: list[dict] = []
        for pointer in self._replaced:
            old, new, path = _at(self._stored, pointer), _at(after, pointer), _pointer(pointer)
            forward += _prefixed(jsonpatch.make_patch(old, new).patch, path) if isinstance(old, dict) else (
                [{"op": "replace", "path": path, "value": new}] if old != new else [])
            reverse += _prefixed(jsonpatch.make_patch(new, old).patch, path) if isinstance(old, dict) else (
                [{"op": "replace", "path": path, "value": old}] if old != new else [])
        for name, index in self._removed:
            forward.append({"op": "remove", "path": _pointer((name, index))})
            reverse.insert(0, {"op": "add", "path": _pointer((name, index)), "value": self._stored[name][index]})
        for name in self._appended:
            index = len(after[name]) - 1
            forward.append({"op": "add", "path": _pointer((name, index)), "value": after[name][index]})
            reverse.insert(0, {"op": "remove", "path": _pointer((name, index))})
        return forward, reverse

    def at(self, versione: int | None) -> doc.Domanda | None:
        """The document as it was at `versione` (rebuilt from the reverse patches), or None if there is none."""
        if versione is None or not 1 <= versione <= self.versione:
            return None
        if versione == self.versione:
            return doc.Domanda.model_validate(self._stored)
        data = copy.deepcopy(self._stored)
        reverses = db.session.scalars(
            select(Revision.reverse).where(Revision.application_id == self.application_id,
                                           Revision.versione > versione)
            .order_by(Revision.versione.desc())
        )
        for reverse in reverses:
            data = jsonpatch.apply_patch(data, reverse, in_place=True)
        return doc.Domanda.model_validate(data)

    def last_change(self) -> tuple[datetime | None, str]:
        """When the current version was saved, and by whom."""
        row = db.session.execute(
            select(Revision.created_at, User.nome).outerjoin(User, User.id == Revision.user_id)
            .where(Revision.application_id == self.application_id, Revision.versione == self.versione)
        ).one_or_none()
        return (row[0], row[1] or "") if row else (None, "")


def _at(data, pointer: tuple):
    for part in pointer:
        data = data[part]
    return data


def _pointer(parts: tuple) -> str:
    return "".join(f"/{part}" for part in parts)


def _prefixed(operations: list[dict], prefix: str) -> list[dict]:
    """Operations of a patch made on a part, as operations on the whole document."""
    return [{**op, "path": prefix + op["path"], **({"from": prefix + op["from"]} if "from" in op else {})}
            for op in operations]


def _flat(value: object, prefix: str = "") -> dict[str, object]:
    """A section as {"sede.cap": "25121", ...}; lists stay whole."""
    if isinstance(value, BaseModel):
        out: dict[str, object] = {}
        for name in type(value).model_fields:
            out.update(_flat(getattr(value, name), f"{prefix}.{name}" if prefix else name))
        return out
    if isinstance(value, list):
        return {prefix: [item.model_dump() if isinstance(item, BaseModel) else item for item in value]}
    return {prefix: value}


def _check_unchanged(draft: Draft, base_version: int | None, read: Callable[[doc.Domanda], object],
                     yours: object) -> None:
    """Refuse (Conflict) an edit of a part someone changed after the form was opened at `base_version`."""
    if base_version == draft.versione:
        return
    theirs = read(draft.domanda)
    base = draft.at(base_version)
    base_part = read(base) if base is not None else None
    if base_part == theirs:
        return
    now, mine = _flat(theirs), _flat(yours)
    before = _flat(base_part) if base_part is not None else {}
    changes = [FieldChange(path, now[path], mine.get(path)) for path in now
               if now[path] != before.get(path, object()) and now[path] != mine.get(path)]
    if changes:
        when, who = draft.last_change()
        raise Conflict(changes, draft.versione, when, who)


def _save(application_id: int, user: User | None, *, sezione: str, azione: str,
          change: Callable[[Draft], object], elemento: str | Callable[[object], str] = "",
          form_token: str | None = None) -> tuple[State, object]:
    """Apply `change` to the current version and store the result as the next version; return it and what
    `change` returned. Starts again on a newer version when somebody saved meanwhile."""
    for attempt in range(MAX_ATTEMPTS):
        head = _head(application_id, user, EDIT)
        if form_token and db.session.scalar(select(exists().where(
                Revision.application_id == head.id, Revision.form_token == form_token))):
            raise DuplicateSubmission(form_token)
        stored = db.session.connection().execute(_DOCUMENT_OF, {"id": head.id}).scalar_one()
        draft = Draft(head.id, head.versione, stored)
        result = change(draft)
        after, read_back = _stored(draft.domanda)
        if after == stored:
            db.session.rollback()
            return load(application_id, user), result
        analysis = analyse(read_back)
        now = datetime.now(UTC).replace(tzinfo=None)
        try:
            written = db.session.execute(
                update(Application)
                .where(Application.id == head.id, Application.versione == head.versione)
                .values(versione=head.versione + 1, documento=after, updated_at=now, **summary_of(analysis))
                .execution_options(synchronize_session=False)
            ).rowcount
            if written == 1:
                db.session.execute(insert(Revision).values(
                    application_id=head.id, versione=head.versione + 1, user_id=user.id if user else None,
                    created_at=now, sezione=sezione, azione=azione,
                    elemento=elemento(result) if callable(elemento) else elemento, form_token=form_token or None,
                    **dict(zip(("patch", "reverse"), draft.patches(after), strict=True)),
                ))
                db.session.commit()
        except (IntegrityError, OperationalError) as exc:
            # Another save took this version (or, on SQLite, held the write lock too long): start again.
            db.session.rollback()
            log.info("save of application %s: retry %s after %s", head.id, attempt + 1, type(exc).__name__)
            time.sleep(0.005 * (attempt + 1))
            continue
        if written != 1:
            db.session.rollback()
            continue
        saved = Head(**{**head.__dict__, "versione": head.versione + 1, "updated_at": now,
                        **summary_of(analysis)})
        _cache().put(saved, analysis)
        log.info("application %s saved as version %s (%s %s)", head.id, saved.versione, sezione, azione)
        return State(saved, analysis), result
    raise Busy(application_id)


def _insert(domanda: doc.Domanda, owner: User | None, azione: str, creation_token: str | None = None) -> Head:
    """Store a new application (version 1) from a document, with its first revision; commits.

    `creation_token` is the one-time token of the form that asked for it: the same form submitted twice (a double
    click, a resent request) finds the application the first submission made instead of making another.
    """
    if owner is not None and creation_token:
        made = _made_by(owner, creation_token)
        if made is not None:
            return made
    data, domanda = _stored(prepare_for_portal(domanda))
    analysis = analyse(domanda)
    now = datetime.now(UTC).replace(tzinfo=None)
    application = Application(owner_id=owner.id if owner else None, edizione=current_edition().chiave,
                              versione=1, documento=data, created_at=now, updated_at=now,
                              creation_token=creation_token or None, **summary_of(analysis))
    db.session.add(application)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()  # the other submission of the same form was a moment faster
        made = _made_by(owner, creation_token) if owner is not None and creation_token else None
        if made is None:
            raise
        return made
    db.session.add(Revision(application_id=application.id, versione=1, user_id=owner.id if owner else None,
                            created_at=now, sezione="documento", azione=azione,
                            patch=jsonpatch.make_patch({}, data).patch, reverse=jsonpatch.make_patch(data, {}).patch))
    db.session.commit()
    head = _head(application.id, None)
    _cache().put(head, analysis)
    log.info("application %s %s (%s partners)", head.id, azione, head.n_partner)
    return head


def _made_by(owner: User, creation_token: str) -> Head | None:
    found = db.session.scalar(select(Application.id).where(Application.owner_id == owner.id,
                                                           Application.creation_token == creation_token))
    return _head(found, None) if found is not None else None


def create_application(owner: User, titolo: str, creation_token: str | None = None) -> Head:
    """Start an empty application with its title."""
    return _insert(doc.Domanda(titolo=titolo), owner, "creazione", creation_token)


def import_application(domanda: doc.Domanda, owner: User | None = None, creation_token: str | None = None) -> Head:
    """Store a new application from a document (a @1 one is upgraded to @2)."""
    return _insert(domanda, owner, "importazione", creation_token)


def duplicate_application(application_id: int, owner: User, creation_token: str | None = None) -> Head:
    """A copy of the application, owned by who asked (they must be able to edit the original), titled as a copy."""
    domanda = load(application_id, owner, EDIT).domanda.model_copy(deep=True)
    domanda.titolo = _("%(title)s (copy)", title=domanda.titolo)[:300]
    return _insert(domanda, owner, "duplicazione", creation_token)


def delete_application(application_id: int, owner: User) -> str:
    """Delete the application and its history (titolare only); return its title (for the message)."""
    head = _head(application_id, owner, MANAGE)
    db.session.execute(delete(Invitation).where(Invitation.application_id == head.id))
    db.session.execute(delete(Membership).where(Membership.application_id == head.id))
    db.session.execute(delete(Revision).where(Revision.application_id == head.id))
    db.session.execute(delete(Application).where(Application.id == head.id))
    db.session.commit()
    return head.titolo


# Identifiers of list items ----------------------------------------------------------------------------------------

_SAFE_NEED_ID = re.compile(r"^(?!\.+$)[A-Za-z0-9_.-]+$")


def _new_id(items: list) -> str:
    taken = {item.id for item in items}
    while (candidate := secrets.token_hex(4)) in taken:
        pass
    return candidate


def next_need_code(domanda: doc.Domanda) -> str:
    """The code of a new need: F1, F2, ... after the highest in use, counting codes interventions still cite."""
    codes = [f.id for f in domanda.fabbisogni] + [ref for i in domanda.interventi for ref in i.fabbisogni]
    numbers = [int(c[1:]) for c in codes if c[:1] == "F" and c[1:].isdigit() and len(c) < 10]
    return f"F{max(numbers, default=0) + 1}"


def prepare_for_portal(domanda: doc.Domanda) -> doc.Domanda:
    """A copy as the portal keeps it: format @2, an id on every list item (ids name the items' pages).

    A need whose code could not name a page ("", "a/b", "..") gets the next free F-code, and the interventions that
    cited it cite the new code.
    """
    domanda = domanda.model_copy(deep=True, update={"format": doc.FORMAT})
    for items in (domanda.partner, domanda.settori, domanda.interventi):
        for item in items:
            if not item.id:
                item.id = _new_id(items)
    for need in domanda.fabbisogni:
        if not _SAFE_NEED_ID.match(need.id):
            old, need.id = need.id, next_need_code(domanda)
            if old.strip():
                for intervento in domanda.interventi:
                    intervento.fabbisogni = [need.id if ref == old else ref for ref in intervento.fabbisogni]
    return domanda


def _find(items: list, item_id: str):
    for item in items:
        if item.id == item_id:
            return item
    return None


# Sections ---------------------------------------------------------------------------------------------------------


def update_capofila(application_id: int, user: User, base_version: int | None, titolo: str,
                    capofila: doc.Capofila) -> State:
    """Save the title and the lead partner as typed (incomplete is fine: the rules say what is missing)."""

    def change(draft: Draft) -> None:
        def read(d: doc.Domanda):
            return _TitleAndLead(titolo=d.titolo, capofila=d.capofila)

        _check_unchanged(draft, base_version, read, _TitleAndLead(titolo=titolo, capofila=capofila))
        _refuse_member_twice(draft.domanda, capofila, None, "capofila.codice_fiscale")
        draft.domanda.titolo, draft.domanda.capofila = titolo, capofila
        draft.replaced("titolo")
        draft.replaced("capofila")

    return _save(application_id, user, sezione="capofila", azione="modifica", change=change)[0]


class _TitleAndLead(BaseModel):
    """What the lead partner's page edits: the Patto's title and the lead partner."""

    titolo: str
    capofila: doc.Capofila


def update_territory(application_id: int, user: User, base_version: int | None,
                     territorio: doc.Territorio) -> State:
    """Save the territorial scope, the provinces and the description of the area."""

    def change(draft: Draft) -> None:
        _check_unchanged(draft, base_version, lambda d: d.territorio, territorio)
        draft.domanda.territorio = territorio
        draft.replaced("territorio")

    return _save(application_id, user, sezione="territorio", azione="modifica", change=change)[0]


def _refuse_member_twice(domanda: doc.Domanda, member: doc.Capofila | doc.Partner, besides: str | None,
                         field: str) -> None:
    """A member is in the partnership once, the lead partner included: by codice fiscale, or, without one, by name
    (e.g. a form submitted again after going Back)."""
    wanted = normalize_tax_code(member.codice_fiscale)
    name = " ".join(member.denominazione.casefold().split())
    members = [("", domanda.capofila)] if besides is not None else []
    members += [(p.id, p) for p in domanda.partner if p.id != besides]
    for member_id, other in members:
        label = other.denominazione or (_("the lead partner") if not member_id else _("another partner"))
        if wanted and normalize_tax_code(other.codice_fiscale) == wanted:
            raise Refused([(field, _("this codice fiscale is already in the partnership (%(name)s).", name=label))])
        if not wanted and name and " ".join(other.denominazione.casefold().split()) == name:
            raise Refused([(field.replace("codice_fiscale", "denominazione"), _(
                "a member with this name is already in the partnership: if it is another one, give its codice "
                "fiscale."))])


# List items: partners, sectors, needs, interventions. Adding and removing apply to the current version; editing
# refuses when the item changed since the form was opened. `sezione` names the list as the portal's pages do.

LISTS = {"partenariato": "partner", "settori": "settori", "fabbisogni": "fabbisogni", "interventi": "interventi"}
_LIMITS = {name: doc.Domanda.model_fields[name].metadata[0].max_length for name in LISTS.values()}


def _partner_check(domanda: doc.Domanda, partner: doc.Partner) -> None:
    _refuse_member_twice(domanda, partner, partner.id, "codice_fiscale")


# What a list checks of an item besides the document's own limits.
_CHECKS: dict[str, Callable[[doc.Domanda, BaseModel], None]] = {"partenariato": _partner_check}


def add_item(application_id: int, user: User | None, sezione: str, item: BaseModel,
             form_token: str | None = None) -> tuple[State, BaseModel]:
    """Add a partner, sector, need or intervention to the current version; return it with its id.

    A need gets its code (F1, F2, ...) on the version it is added to, so codes never repeat; a partner whose codice
    fiscale (or, without one, name) is already in the partnership is refused.
    """
    name = LISTS[sezione]

    def change(draft: Draft) -> BaseModel:
        items = getattr(draft.domanda, name)
        if len(items) >= _LIMITS[name]:
            raise Refused([("", _("The application already holds %(n)s of these: no more can be added.",
                                  n=_LIMITS[name]))])
        new = item.model_copy(deep=True)
        if sezione in _CHECKS:
            _CHECKS[sezione](draft.domanda, new)
        new.id = next_need_code(draft.domanda) if name == "fabbisogni" else _new_id(items)
        draft.append(name, new)
        return new

    return _save(application_id, user, sezione=sezione, azione="aggiunta", change=change,
                 elemento=lambda new: new.id, form_token=form_token)


def update_item(application_id: int, user: User | None, sezione: str, item_id: str, base_version: int | None,
                item: BaseModel) -> State:
    """Replace a list item as typed; Conflict if it changed since `base_version`, ItemGone if it was removed."""
    name = LISTS[sezione]

    def change(draft: Draft) -> None:
        items = getattr(draft.domanda, name)
        current = _find(items, item_id)
        if current is None:
            raise ItemGone(item_id)
        new = item.model_copy(update={"id": item_id})
        _check_unchanged(draft, base_version, lambda d: _find(getattr(d, name), item_id), new)
        if sezione in _CHECKS:
            _CHECKS[sezione](draft.domanda, new)
        index = items.index(current)
        items[index] = new
        draft.replaced(name, index)

    return _save(application_id, user, sezione=sezione, azione="modifica", change=change, elemento=item_id)[0]


def remove_item(application_id: int, user: User | None, sezione: str, item_id: str) -> State:
    """Remove a list item (removing one already gone changes nothing). Interventions keep citing a removed need's
    code, so the rules show what lost its need."""
    name = LISTS[sezione]

    def change(draft: Draft) -> None:
        for index, item in enumerate(getattr(draft.domanda, name)):
            if item.id == item_id:
                draft.remove(name, index)
                return

    return _save(application_id, user, sezione=sezione, azione="rimozione", change=change, elemento=item_id)[0]


def get_item(state: State, sezione: str, item_id: str):
    """One partner, sector, need or intervention of a version, by id; NotFound if it is not there."""
    found = _find(getattr(state.domanda, LISTS[sezione]), item_id)
    if found is None:
        raise NotFound(item_id)
    return found


# Forms typed while a session had expired: kept server-side until the user logs in again.
PENDING_MAX_AGE = timedelta(hours=12)


def stash_form(path: str, data: list[tuple[str, str]]) -> str:
    """Keep what was typed into a form (without the CSRF token) and return a one-time key; commits."""
    token = secrets.token_urlsafe(32)
    kept = [(k, v) for k, v in data if k != "csrf_token"]
    db.session.add(PendingForm(id=token, path=path, data=json.dumps(kept, ensure_ascii=False)))
    cutoff = datetime.now(UTC).replace(tzinfo=None) - PENDING_MAX_AGE
    db.session.execute(delete(PendingForm).where(PendingForm.created_at < cutoff))
    db.session.commit()
    return token


def pop_stashed_form(token: str, path: str | None) -> list[tuple[str, str]] | None:
    """Take back (once) what was typed into the form at `path` (None: whatever form), or None; commits."""
    pending = db.session.get(PendingForm, token) if token else None
    if pending is None or (path is not None and pending.path != path):
        return None
    fresh = pending.created_at >= datetime.now(UTC).replace(tzinfo=None) - PENDING_MAX_AGE
    data = json.loads(pending.data) if fresh else None
    db.session.delete(pending)
    db.session.commit()
    return [tuple(pair) for pair in data] if data is not None else None
