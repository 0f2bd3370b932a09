"""Use cases of an application: create, import, duplicate, delete; save a section; add, change or remove an item of
a list section. Each commits once (through `versions.save` for changes of the document).

- Adding or removing list items applies to whatever version is current (two people adding partners at once both
  succeed), and uniqueness (a codice fiscale once per partnership, need codes) is checked on the version written.
- Saving a section or an item carries the version its form was opened on: it is merged into the current version
  field by field (patti_web.domande.merge). What the person did not change keeps what others saved; a field both
  changed is a `Conflict` (nothing saved) until the person chooses, per field, to keep theirs or the saved value.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jsonpatch
from pydantic import BaseModel
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from patti_web.avviso import domanda as doc
from patti_web.avviso import sezioni
from patti_web.avviso.regole import normalize_tax_code
from patti_web.domande.access import BOZZA, EDIT, MANAGE, Frozen, Head, NotFound, get_head
from patti_web.domande.analysis import State, analyse, cache, load, summary_of
from patti_web.domande.merge import FieldChange, flatten, merge, unflatten
from patti_web.domande.models import DomandaRecord, Membership, Revision
from patti_web.domande.versions import Draft, Refused, added_by, save, stored
from patti_web.extensions import db
from patti_web.i18n import gettext as _
from patti_web.persone.models import Invitation
from patti_web.portal import current_edition

log = logging.getLogger(__name__)


class Conflict(Exception):
    """Someone else changed, since the form was opened, a field the person changed too; nothing was saved.

    `changes` are those fields (saved value, the person's); `versione` is the version now saved, the base of a
    second attempt; `when`, `who` and `who_id` say who saved it. `kept_theirs` are the fields only someone else
    changed; `rebased` every field whose value is now not the person's, with that value: the form shown again must
    hold them (else a second attempt, based on `versione`, would put back the person's old copy of them as if they
    had typed it, or the value of a field they chose to leave as saved).
    """

    def __init__(self, changes: list[FieldChange], versione: int, when: datetime | None, who: str,
                 rebased: dict[str, object] | None = None, kept_theirs: tuple[str, ...] = (),
                 who_id: int | None = None):
        super().__init__(changes)
        self.changes, self.versione, self.when, self.who, self.who_id = changes, versione, when, who, who_id
        self.rebased, self.kept_theirs = rebased or {}, kept_theirs


class ItemGone(LookupError):
    """The list item was removed (in another tab, or by someone else) after the form was opened."""


@dataclass(frozen=True)
class Saved:
    """A save that went through: the version it made, the item it added or changed (list sections), and the
    fields where a colleague's change was kept because the person had not touched them."""

    state: State
    item: Any = None
    kept_theirs: tuple[str, ...] = ()


# Creating, importing, duplicating, deleting ----------------------------------------------------------------------


def _insert(domanda: doc.Domanda, owner, azione: str, creation_token: str | None = None) -> Head:
    """Store a new application (version 1) from a document, with its first revision; commits.

    `creation_token` is the one-time token of the form that asked for it: the same form submitted twice (a double
    click, a resent request) finds the application the first submission made instead of making another.
    """
    if owner is not None and creation_token:
        made = _made_by(owner, creation_token)
        if made is not None:
            return made
    data, domanda = stored(prepare_for_portal(domanda))
    analysis = analyse(domanda)
    now = datetime.now(UTC).replace(tzinfo=None)
    record = DomandaRecord(owner_id=owner.id if owner else None, edizione=current_edition().chiave, versione=1,
                           documento=data, created_at=now, updated_at=now, creation_token=creation_token or None,
                           **summary_of(analysis))
    db.session.add(record)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()  # the other submission of the same form was a moment faster
        made = _made_by(owner, creation_token) if owner is not None and creation_token else None
        if made is None:
            raise
        return made
    db.session.add(Revision(application_id=record.id, versione=1, user_id=owner.id if owner else None,
                            created_at=now, sezione="documento", azione=azione,
                            patch=jsonpatch.make_patch({}, data).patch, reverse=jsonpatch.make_patch(data, {}).patch))
    db.session.commit()
    head = get_head(record.id, None)
    cache().put(head, analysis)
    log.info("application %s %s (%s partners)", head.id, azione, head.n_partner)
    return head


def _made_by(owner, creation_token: str) -> Head | None:
    found = db.session.scalar(select(DomandaRecord.id).where(DomandaRecord.owner_id == owner.id,
                                                             DomandaRecord.creation_token == creation_token))
    return get_head(found, None) if found is not None else None


def create_domanda(owner, titolo: str, creation_token: str | None = None) -> Head:
    """Start an empty application with its title."""
    return _insert(doc.Domanda(titolo=titolo), owner, "creazione", creation_token)


def import_domanda(domanda: doc.Domanda, owner=None, creation_token: str | None = None) -> Head:
    """Store a new application from a document (a @1 one is upgraded to @2)."""
    try:
        return _insert(domanda, owner, "importazione", creation_token)
    except Exception:
        db.session.rollback()
        raise


def duplicate_domanda(domanda_id: int, owner, creation_token: str | None = None) -> Head:
    """A copy of the application, owned by who asked (they must be able to edit the original), titled as a copy."""
    domanda = load(domanda_id, owner, EDIT).domanda.model_copy(deep=True)
    domanda.titolo = _("%(title)s (copy)", title=domanda.titolo)[:300]
    return _insert(domanda, owner, "duplicazione", creation_token)


# What else keeps rows or files of an application (the PDF cache, the signed files): each registers here a function
# called with the application's id inside the deletion's transaction, before its rows go. It deletes its own rows
# there (without committing) and returns what deletes its files once the transaction has committed (or None).
_OF_AN_APPLICATION: list[Callable[[int], Callable[[], None] | None]] = []


def when_deleted(prepare: Callable[[int], Callable[[], None] | None]):
    """Register `prepare(domanda_id)`, run by every deletion of an application (a decorator); see above."""
    if prepare not in _OF_AN_APPLICATION:
        _OF_AN_APPLICATION.append(prepare)
    return prepare


def delete_domanda(domanda_id: int, owner) -> str:
    """Delete the application, its history, what else holds rows of it and its files (titolare only); return its
    title (for the message). Commits.

    The rows go in one transaction; then the files. A file that cannot be deleted is logged: the application is gone
    all the same, and its id is never given to another (AUTOINCREMENT), so nothing left behind can be served as
    someone else's.
    """
    head = get_head(domanda_id, owner, MANAGE)
    # Under the row's lock (SQLite: the one writer's), and only a draft: a submission is never deleted under it.
    if not db.session.execute(update(DomandaRecord).where(DomandaRecord.id == head.id, DomandaRecord.stato == BOZZA)
                              .values(versione=DomandaRecord.versione)
                              .execution_options(synchronize_session=False)).rowcount:
        db.session.rollback()
        raise Frozen(head.id)
    afterwards = [then for prepare in _OF_AN_APPLICATION if (then := prepare(head.id)) is not None]
    db.session.execute(delete(Invitation).where(Invitation.application_id == head.id))
    db.session.execute(delete(Membership).where(Membership.application_id == head.id))
    db.session.execute(delete(Revision).where(Revision.application_id == head.id))
    db.session.execute(delete(DomandaRecord).where(DomandaRecord.id == head.id))
    db.session.commit()
    cache().forget(head.id)
    for delete_files in afterwards:
        try:
            delete_files()
        except OSError:
            log.exception("application %s deleted, but not all of its files", head.id)
    log.info("application %s deleted by user %s", head.id, owner.id if owner else None)
    return head.titolo


def revisions(domanda_id: int, user) -> list[Revision]:
    """Every save of an application, oldest first (for the activity page and the submission freeze)."""
    get_head(domanda_id, user)
    return list(db.session.scalars(
        select(Revision).where(Revision.application_id == domanda_id).order_by(Revision.versione)
    ))


def added_with(domanda_id: int, user, form_token: str) -> str | None:
    """The id of the item an "add" form's one-time token already added to the application, or None."""
    get_head(domanda_id, user)
    found = added_by(domanda_id, form_token) if form_token else None
    return found[1] if found is not None else None


# Identifiers of list items ----------------------------------------------------------------------------------------

# Ids that are words of the items' addresses (/partenariato/nuovo): an item cannot have them.
RESERVED_IDS = frozenset({"nuovo", "importa", "modello.csv", "modello.xlsx"})


def _new_id(items: list) -> str:
    taken = {item.id for item in items}
    while (candidate := secrets.token_hex(4)) in taken:
        pass
    return candidate


def next_need_code(domanda: doc.Domanda, used: Iterable[str] = ()) -> str:
    """The code of a new need: F1, F2, ... after the highest in use, counting codes interventions still cite and
    `used` (the codes of needs the application ever had: a code is never given twice, so a page opened on a removed
    need can never save into a new one)."""
    codes = [f.id for f in domanda.fabbisogni] + [ref for i in domanda.interventi for ref in i.fabbisogni]
    codes += list(used)
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
            if not item.id or item.id in RESERVED_IDS:
                item.id = _new_id(items)
    for need in domanda.fabbisogni:
        if not doc.SAFE_NEED_ID.fullmatch(need.id) or need.id in RESERVED_IDS:
            old, need.id = need.id, next_need_code(domanda)
            if old.strip():
                for intervento in domanda.interventi:
                    intervento.fabbisogni = [need.id if ref == old else ref for ref in intervento.fabbisogni]
    return domanda


# Checks a save makes besides the document's own limits ------------------------------------------------------------


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
            raise Refused([(field, _("this codice fiscale is already in the partnership (%(name)s).", name=label))],
                          member_id)
        if not wanted and name and " ".join(other.denominazione.casefold().split()) == name:
            raise Refused([(field.replace("codice_fiscale", "denominazione"), _(
                "a member with this name is already in the partnership: if it is another one, give its codice "
                "fiscale."))], member_id)


def _check_capofila(domanda: doc.Domanda) -> None:
    _refuse_member_twice(domanda, domanda.capofila, None, "capofila.codice_fiscale")


def _check_partner(domanda: doc.Domanda, partner: doc.Partner) -> None:
    _refuse_member_twice(domanda, partner, partner.id, "codice_fiscale")


# What a section (once saved) or an item (once added or changed) is checked for, by section.
_SECTION_CHECKS = {"capofila": _check_capofila}
_ITEM_CHECKS = {"partenariato": _check_partner}


# Sections ---------------------------------------------------------------------------------------------------------


def _merged(draft: Draft, base_version: int | None, theirs: dict, mine: dict, base_of, keep_theirs: frozenset[str],
            shown=None) -> tuple[dict, list[str]]:
    """The person's values merged into the current ones (see patti_web.domande.merge); Conflict if a field both
    changed is not settled yet. `shown`: the base as the person's form showed it (see `merge`)."""
    base_document = draft.at(base_version)
    base = base_of(base_document) if base_document is not None else None
    base_as_shown = flatten(shown(base)) if base is not None and shown is not None else None
    merged = merge(flatten(base) if base is not None else None, flatten(theirs), flatten(mine), keep_theirs,
                   base_as_shown=base_as_shown)
    if merged.conflicts:
        when, who, who_id = draft.last_change()
        raise Conflict(merged.conflicts, draft.versione, when, who, merged.rebased, tuple(merged.kept_theirs),
                       who_id)
    return unflatten(merged.values), merged.kept_theirs


def _rebuilt(model: type, value: object) -> object:
    return model.model_validate(value) if isinstance(model, type) and issubclass(model, BaseModel) else value


def save_section(domanda_id: int, user, sezione: str, base_version: int | None, value: dict[str, object],
                 keep_theirs: frozenset[str] = frozenset(), shown=None) -> Saved:
    """Save a single section (its attributes of the document, e.g. {"titolo": ..., "capofila": Capofila}) as typed on
    a form opened at `base_version`, merged into the current version (incomplete is fine: the rules say what is
    missing). `shown(value)`: a section's value as the person's form shows it and sends it back untouched (so that
    trimming or upper case is not taken for a change). :raises Conflict: a field both the person and someone else
    changed, not in `keep_theirs`."""
    section = sezioni.BY_KEY[sezione]
    if section.is_list:
        raise ValueError(f"{sezione} is a list section")

    def change(draft: Draft) -> list[str]:
        current = section.value(draft.domanda)
        values, kept = _merged(draft, base_version, current, value, section.value, keep_theirs, shown)
        for name in section.attributi:
            setattr(draft.domanda, name, _rebuilt(type(current[name]), values[name]))
            draft.replaced(name)
        if sezione in _SECTION_CHECKS:
            _SECTION_CHECKS[sezione](draft.domanda)
        return kept

    state, kept = save(domanda_id, user, sezione=sezione, azione="modifica", change=change)
    return Saved(state, kept_theirs=tuple(kept))


# List items: added and removed on the current version; changed by merging into it. ---------------------------------


def _list_section(sezione: str) -> sezioni.Sezione:
    section = sezioni.BY_KEY[sezione]
    if not section.is_list:
        raise ValueError(f"{sezione} is not a list section")
    return section


def _limit(section: sezioni.Sezione) -> int:
    return doc.Domanda.model_fields[section.attributo].metadata[0].max_length


def add_item(domanda_id: int, user, sezione: str, item: BaseModel, form_token: str | None = None) -> Saved:
    """Add a partner, sector, need or intervention to the current version; return it with its id.

    A need gets its code (F1, F2, ...) on the version it is added to, so codes never repeat; a partner whose codice
    fiscale (or, without one, name) is already in the partnership is refused. The same form's token twice adds
    once (DuplicateSubmission names what the first one added).
    """
    section = _list_section(sezione)

    def change(draft: Draft) -> BaseModel:
        items = section.items(draft.domanda)
        if len(items) >= _limit(section):
            raise Refused([("", _("The application already holds %(n)s of these: no more can be added.",
                                  n=_limit(section)))])
        new = item.model_copy(deep=True)
        if sezione in _ITEM_CHECKS:
            _ITEM_CHECKS[sezione](draft.domanda, new)
        if section.attributo == "fabbisogni":
            new.id = next_need_code(draft.domanda, draft.ids_ever(sezione))
        else:
            new.id = _new_id(items)
        draft.append(section.attributo, new)
        return new

    state, added = save(domanda_id, user, sezione=sezione, azione="aggiunta", change=change,
                        elemento=lambda new: new.id, form_token=form_token)
    return Saved(state, added)


@dataclass(frozen=True)
class ItemProblem:
    """Why one item of a list to add (by its place in the list) cannot be added: the field (a path of the item) and
    the message; `other` is the place in the same list of the item it clashes with, if it clashes with one."""

    index: int
    field: str
    message: str
    other: int | None = None


class ItemsRefused(Refused):
    """Some items of a list to add cannot be added (nothing was added): `problems`, one ItemProblem each."""

    def __init__(self, problems: list[ItemProblem]):
        super().__init__([(problem.field, problem.message) for problem in problems])
        self.problems = problems


def check_new_items(domanda: doc.Domanda, sezione: str, items: list[BaseModel]) -> list[ItemProblem]:
    """What keeps each of `items` from being added to `domanda` after the ones before it (the checks `add_item`
    makes: a partner already in the partnership, or twice in the list); the document is not changed."""
    section = _list_section(sezione)
    check = _ITEM_CHECKS.get(sezione)
    if check is None:
        return []
    draft = domanda.model_copy(deep=True)
    problems: list[ItemProblem] = []
    placed: dict[str, int] = {}
    for index, item in enumerate(items):
        new = item.model_copy(update={"id": f"#{index}"})
        try:
            check(draft, new)
        except Refused as refused:
            other = placed.get(refused.clashes_with) if refused.clashes_with is not None else None
            problems += [ItemProblem(index, field, message, other) for field, message in refused.errors]
            continue
        placed[new.id] = index
        section.items(draft).append(new)
    return problems


def add_items(domanda_id: int, user, sezione: str, items: list[BaseModel], form_token: str | None = None) -> Saved:
    """Add a list of partners (or other items) to the current version at once, as one save (an import): all of them
    or, when any cannot be added (`check_new_items` on the version written, or the section's limit), none
    (ItemsRefused, or Refused for the limit). The same form's token twice adds once (DuplicateSubmission)."""
    section = _list_section(sezione)

    def change(draft: Draft) -> list[BaseModel]:
        items_now = section.items(draft.domanda)
        if len(items_now) + len(items) > _limit(section):
            raise Refused([("", _("The application holds %(n)s of these and can hold at most %(max)s: the %(more)s "
                                  "to add do not fit.", n=len(items_now), max=_limit(section), more=len(items)))])
        problems = check_new_items(draft.domanda, sezione, items)
        if problems:
            raise ItemsRefused(problems)
        added = []
        for item in items:
            new = item.model_copy(deep=True)
            if section.attributo == "fabbisogni":
                new.id = next_need_code(draft.domanda, draft.ids_ever(sezione))
            else:
                new.id = _new_id(section.items(draft.domanda))
            draft.append(section.attributo, new)
            added.append(new)
        return added

    state, added = save(domanda_id, user, sezione=sezione, azione="importazione", change=change,
                        form_token=form_token)
    return Saved(state, added)


def update_item(domanda_id: int, user, sezione: str, item_id: str, base_version: int | None, item: BaseModel,
                keep_theirs: frozenset[str] = frozenset(), shown=None) -> Saved:
    """Save a list item as typed on a form opened at `base_version`, merged into its current values (`shown`: as for
    `save_section`).

    :raises ItemGone: it was removed meanwhile. :raises Conflict: as `save_section`.
    """
    section = _list_section(sezione)

    def item_of(document: doc.Domanda):
        found = section.find(document, item_id)
        return found[1] if found is not None else None

    def change(draft: Draft) -> tuple[BaseModel, list[str]]:
        found = section.find(draft.domanda, item_id)
        if found is None:
            raise ItemGone(item_id)
        index, current = found
        mine = item.model_copy(update={"id": item_id})
        values, kept = _merged(draft, base_version, current, mine, item_of, keep_theirs, shown)
        new = type(current).model_validate(values)
        if sezione in _ITEM_CHECKS:
            _ITEM_CHECKS[sezione](draft.domanda, new)
        section.items(draft.domanda)[index] = new
        draft.replaced(section.attributo, index)
        return new, kept

    state, (new, kept) = save(domanda_id, user, sezione=sezione, azione="modifica", change=change, elemento=item_id)
    return Saved(state, new, tuple(kept))


def remove_item(domanda_id: int, user, sezione: str, item_id: str, base_version: int | None = None) -> State:
    """Remove a list item (removing one already gone changes nothing). Interventions keep citing a removed need's
    code, so the rules show what lost its need.

    With `base_version` (the confirmation page's), an item someone changed since is not removed: Conflict lists
    what they changed, and the person confirms again having seen it.
    """
    section = _list_section(sezione)

    def change(draft: Draft) -> None:
        found = section.find(draft.domanda, item_id)
        if found is None:
            return
        index, current = found
        if base_version is not None:
            base_document = draft.at(base_version)
            before = section.find(base_document, item_id) if base_document is not None else None
            if before is None or before[1] != current:
                was = flatten(before[1]) if before is not None else {}
                changes = [FieldChange(path, value, None, was.get(path))
                           for path, value in flatten(current).items() if was.get(path) != value]
                when, who, who_id = draft.last_change()
                raise Conflict(changes, draft.versione, when, who, who_id=who_id)
        draft.remove(section.attributo, index)

    return save(domanda_id, user, sezione=sezione, azione="rimozione", change=change, elemento=item_id)[0]


def get_item(state: State, sezione: str, item_id: str):
    """One partner, sector, need or intervention of a version, by id; NotFound if it is not there."""
    found = _list_section(sezione).find(state.domanda, item_id)
    if found is None:
        raise NotFound(item_id)
    return found[1]
