"""Versions of an application: one save is one new version, stored only if nobody saved meanwhile, with its
revision (the change as an RFC 6902 JSON Patch and its reverse).

`save` takes the application's lock (a write that changes nothing: the row's lock on PostgreSQL, the one writer's on
SQLite), reads the current version, lets a change edit a `Draft` of it, checks that the result is a document the
portal's own reader accepts, and writes it with `UPDATE ... WHERE versione = <read>` (a safety net: with the lock
nobody can have saved meanwhile; if somebody did, it starts again on their version). Saves of one application wait
for each other instead of losing a race again and again under a storm of saves. A form opened on an older version
is merged into the current one field by field (patti_web.domande.merge): `Draft.at` rebuilds the version the form
was opened on from the reverse patches. Each save commits: one commit per use case, made here, where a failed write
must roll back and start again.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import jsonpatch
from pydantic import BaseModel, ValidationError
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from patti_web.avviso import domanda as doc
from patti_web.domande.access import BOZZA, EDIT, Frozen, Head, NotFound, get_head
from patti_web.domande.analysis import State, analyse, cache, load, summary_of
from patti_web.domande.models import DomandaRecord, Revision
from patti_web.extensions import db
from patti_web.persone.models import User
from patti_web.storage import is_contention, unavailable_or_none

log = logging.getLogger(__name__)

# How many times a save starts again on a newer version before giving up (only under a storm of saves).
MAX_ATTEMPTS = 20


class Refused(ValueError):
    """The change cannot be stored; `errors` lists (field, Italian message), field being a document path.
    `clashes_with`: the id of the list item the change clashes with (a partner already in the partnership; "" for
    the lead partner), when that is the reason."""

    def __init__(self, errors: list[tuple[str, str]], clashes_with: str | None = None):
        super().__init__(errors)
        self.errors, self.clashes_with = errors, clashes_with


class Busy(RuntimeError):
    """Too many saves at once on the same application: the change could not be applied; try again."""


class DuplicateSubmission(Exception):
    """The same "add" form was submitted twice (two clicks, or Back and Save): the first one counted.

    `elemento` is the id of the item the first submission added (or "" when it added none).
    """

    def __init__(self, form_token: str, sezione: str = "", elemento: str = ""):
        super().__init__(form_token)
        self.sezione, self.elemento = sezione, elemento


def stored(domanda: doc.Domanda) -> tuple[dict, doc.Domanda]:
    """The document as stored, and as the portal's own reader takes it back (same limits: Refused if it would not)."""
    data = domanda.model_dump(mode="json")
    try:
        return data, doc.Domanda.model_validate(data)
    except ValidationError as exc:
        raise Refused([doc.explain(e) for e in exc.errors(include_url=False)]) from None


class Draft:
    """The current version of an application, being changed by one save."""

    def __init__(self, domanda_id: int, versione: int, data: dict):
        self.domanda_id, self.versione, self._stored = domanda_id, versione, data
        self.domanda = doc.Domanda.model_validate(data)
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
        # Items appended to a list are its last ones, in the order they were appended (an import appends many).
        for position, name in enumerate(self._appended):
            index = len(after[name]) - self._appended[position:].count(name)
            forward.append({"op": "add", "path": _pointer((name, index)), "value": after[name][index]})
            reverse.insert(0, {"op": "remove", "path": _pointer((name, index))})
        return forward, reverse

    def at(self, versione: int | None) -> doc.Domanda | None:
        """The document as it was at `versione`, rebuilt from the reverse patches of the versions after it up to
        this draft's (revisions saved since this draft was read are not in it), or None if there is none."""
        if versione is None or not 1 <= versione <= self.versione:
            return None
        if versione == self.versione:
            return doc.Domanda.model_validate(self._stored)
        data = copy.deepcopy(self._stored)
        reverses = db.session.scalars(
            select(Revision.reverse).where(Revision.application_id == self.domanda_id,
                                           Revision.versione > versione, Revision.versione <= self.versione)
            .order_by(Revision.versione.desc())
        )
        try:
            for reverse in reverses:
                data = jsonpatch.apply_patch(data, reverse, in_place=True)
            return doc.Domanda.model_validate(data)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, ValidationError):
            # A history that does not rebuild (it never should): the base is unknown, so every field the person's
            # form holds differently from the saved one is asked about, never silently applied.
            log.exception("application %s: version %s could not be rebuilt", self.domanda_id, versione)
            return None

    def ids_ever(self, sezione: str) -> list[str]:
        """The ids of every item of a section the application's saves ever added, changed or removed."""
        return list(db.session.scalars(select(Revision.elemento).distinct().where(
            Revision.application_id == self.domanda_id, Revision.sezione == sezione, Revision.elemento != "")))

    def last_change(self) -> tuple[datetime | None, str, int | None]:
        """When the current version was saved, by whom (name and id)."""
        row = db.session.execute(
            select(Revision.created_at, User.nome, Revision.user_id).outerjoin(User, User.id == Revision.user_id)
            .where(Revision.application_id == self.domanda_id, Revision.versione == self.versione)
        ).one_or_none()
        return (row[0], row[1] or "", row[2]) if row else (None, "", None)


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


_ROW = DomandaRecord.__table__.c
# A write that changes nothing: it takes the row's lock (PostgreSQL) or the database's (SQLite) for the save.
_LOCK = update(DomandaRecord.__table__).where(_ROW.id == bindparam("locked_id")).values(versione=_ROW.versione)
_DOCUMENT = select(_ROW.documento, _ROW.versione, _ROW.stato).where(_ROW.id == bindparam("id"))


def added_by(domanda_id: int, form_token: str) -> tuple[str, str] | None:
    """The section and item a form's one-time token already added, or None when it added nothing yet."""
    row = db.session.execute(select(Revision.sezione, Revision.elemento).where(
        Revision.application_id == domanda_id, Revision.form_token == form_token)).one_or_none()
    return (row[0], row[1]) if row is not None else None


def _give_up_unless_contention(error: DBAPIError) -> None:
    """Retry only what waiting cures (another save's lock): storage that cannot write raises Unavailable, anything
    else as it is."""
    if is_contention(error):
        return
    unavailable = unavailable_or_none(error)
    if unavailable is not None:
        raise unavailable from error
    raise error


def save(domanda_id: int, user, *, sezione: str, azione: str, change: Callable[[Draft], object],
         elemento: str | Callable[[object], str] = "", form_token: str | None = None) -> tuple[State, object]:
    """Apply `change` to the current version and store the result as the next version; return it and what
    `change` returned. Starts again on a newer version when somebody saved meanwhile. Commits."""
    for attempt in range(MAX_ATTEMPTS):
        head = get_head(domanda_id, user, EDIT)
        db.session.rollback()  # the read ends here: the save's own transaction starts by taking the lock
        try:
            # The first statement of the save: it locks the row until the commit (SQLite: the database's one
            # writer), so that the other saves of this application wait their turn instead of losing the race
            # again and again; what is read next is the version this save builds on.
            locked = db.session.execute(_LOCK, {"locked_id": head.id}).rowcount
        except DBAPIError as exc:  # SQLite: the write lock stayed busy longer than its timeout
            db.session.rollback()
            _give_up_unless_contention(exc)
            log.info("save of application %s: retry %s after %s", head.id, attempt + 1, type(exc).__name__)
            continue
        if not locked:
            db.session.rollback()
            raise NotFound(domanda_id)  # deleted meanwhile
        added = added_by(head.id, form_token) if form_token else None
        if added is not None:
            db.session.rollback()
            raise DuplicateSubmission(form_token, *added)
        data, versione, stato = db.session.connection().execute(_DOCUMENT, {"id": head.id}).one()
        if stato != BOZZA:  # submitted meanwhile: read under the lock, so no save slips in after the freeze
            db.session.rollback()
            raise Frozen(head.id)
        head = replace(head, versione=versione)
        draft = Draft(head.id, head.versione, data)
        try:
            result = change(draft)
            after, read_back = stored(draft.domanda)
        except Exception:  # refused, a conflict, an item gone: nothing to write, the lock goes at once
            db.session.rollback()
            raise
        if after == data:
            db.session.rollback()
            return load(domanda_id, user), result
        analysis = analyse(read_back)
        summary = summary_of(analysis)
        now = datetime.now(UTC).replace(tzinfo=None)
        try:
            written = db.session.execute(
                update(DomandaRecord)
                .where(DomandaRecord.id == head.id, DomandaRecord.versione == head.versione)
                .values(versione=head.versione + 1, documento=after, updated_at=now, **summary)
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
        except DBAPIError as exc:
            # Another save took this version (or, on SQLite, held the write lock too long): start again.
            db.session.rollback()
            if not isinstance(exc, IntegrityError):
                _give_up_unless_contention(exc)
            log.info("save of application %s: retry %s after %s", head.id, attempt + 1, type(exc).__name__)
            time.sleep(0.005 * (attempt + 1))
            continue
        if written != 1:
            db.session.rollback()
            continue
        saved = Head(**{**head.__dict__, "versione": head.versione + 1, "updated_at": now, **summary})
        cache().put(saved, analysis)
        log.info("application %s saved as version %s (%s %s)", head.id, saved.versione, sezione, azione)
        return State(saved, analysis), result
    raise Busy(domanda_id)
