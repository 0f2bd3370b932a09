"""Who may do what with an application, decided with its columns in the same statement that reads them.

The titolare (the owner) may do everything, a collaboratore edits the content, a lettore and staff read and download.
Staff read only, by construction: an account that is staff has the staff role on every application, whatever
membership it may hold (and patti_web.persone refuses to give it one).
An application someone has no role in does not exist for them (NotFound, a 404); one they may read but not change
answers Forbidden (a 403).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, case, literal, or_, select

from patti_web.domande.models import DomandaRecord, Membership
from patti_web.extensions import db

# Roles on an application. The titolare is its owner (one), the others are memberships; staff read every one.
TITOLARE, COLLABORATORE, LETTORE, STAFF = "titolare", "collaboratore", "lettore", "staff"
MEMBER_ROLES = (COLLABORATORE, LETTORE)
READ = frozenset({TITOLARE, COLLABORATORE, LETTORE, STAFF})
EDIT = frozenset({TITOLARE, COLLABORATORE})
MANAGE = frozenset({TITOLARE})
# States of an application: a draft is edited; a submitted one is frozen for everyone until it is withdrawn.
BOZZA, PRESENTATA = "bozza", "presentata"


class NotFound(LookupError):
    """No application (or list item) with that id for this user: a guessed id is a 404."""


class Forbidden(PermissionError):
    """The user may see the application but not do this with it (a lettore saving, a collaboratore inviting)."""


class Frozen(Forbidden):
    """The application has been submitted: nobody changes its content until it is withdrawn."""


class OnRecord(Frozen):
    """The application was submitted at least once: the office's register holds it, so it cannot be deleted."""


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
    regole: str
    # The role of the user who asked (titolare for the command line, which acts for nobody).
    ruolo: str = TITOLARE

    @property
    def can_edit(self) -> bool:
        """May this user change the content now (a role that edits, on an application not submitted)?"""
        return self.ruolo in EDIT and self.stato == BOZZA

    @property
    def frozen(self) -> bool:
        return self.stato != BOZZA

    @property
    def can_manage(self) -> bool:
        return self.ruolo in MANAGE


COLUMNS = DomandaRecord.__table__.c
_MEMBERS = Membership.__table__.c
HEAD_COLUMNS = tuple(COLUMNS[name] for name in Head.__dataclass_fields__ if name != "ruolo")
# The user's role beside the columns: titolare if they own it, else their membership's role (or none).
_ROLE = case((COLUMNS.owner_id == bindparam("user"), literal(TITOLARE)), else_=_MEMBERS.ruolo)
_WITH_MEMBERSHIP = DomandaRecord.__table__.outerjoin(
    Membership.__table__, and_(_MEMBERS.application_id == COLUMNS.id, _MEMBERS.user_id == bindparam("user")))
# Statements of every page, built once: building a select costs more than running it on SQLite.
_HEAD_OF = select(*HEAD_COLUMNS).where(COLUMNS.id == bindparam("id"))
_HEAD_FOR_USER = select(*HEAD_COLUMNS, _ROLE).select_from(_WITH_MEMBERSHIP).where(COLUMNS.id == bindparam("id"))
_LIST = select(*HEAD_COLUMNS, _ROLE).select_from(_WITH_MEMBERSHIP).order_by(COLUMNS.updated_at.desc(),
                                                                           COLUMNS.id.desc())
_LIST_OF_MEMBER = _LIST.where(or_(COLUMNS.owner_id == bindparam("user"), _MEMBERS.user_id.is_not(None)))


def is_db_id(value: int) -> bool:
    """Could this number be a row's id? (A guessed 2**70 is a 404, not an overflow.)"""
    return 0 < value < 2**63


def is_staff(user) -> bool:
    return bool(getattr(user, "staff", False))


def get_head(domanda_id: int, user, allowed: frozenset[str] = READ, *, even_if_submitted: bool = False) -> Head:
    """An application's columns and the user's role on it (user None: the command line, any application).

    :raises NotFound: no such application, or the user has no role in it.
    :raises Forbidden: the user's role is not among `allowed`.
    :raises Frozen: `allowed` is EDIT (a change of the content) and the application has been submitted, unless
        `even_if_submitted` (what may still be done then: a letter that follows, a link revoked).
    """
    if not is_db_id(domanda_id):
        raise NotFound(domanda_id)
    connection = db.session.connection()
    if user is None:
        row = connection.execute(_HEAD_OF, {"id": domanda_id}).one_or_none()
        if row is None:
            raise NotFound(domanda_id)
        return _unless_frozen(Head(*row), allowed, even_if_submitted)
    # Plain columns through the session's connection: no ORM objects to build on the hottest path of every page.
    row = connection.execute(_HEAD_FOR_USER, {"id": domanda_id, "user": user.id}).one_or_none()
    # Staff read, whatever else their account holds: no invitation, hand-over or older membership makes them edit.
    role = (STAFF if is_staff(user) else row[-1]) if row is not None else None
    if role is None:
        raise NotFound(domanda_id)
    if role not in allowed:
        raise Forbidden(domanda_id)
    return _unless_frozen(Head(*row[:-1], ruolo=role), allowed, even_if_submitted)


def _unless_frozen(head: Head, allowed: frozenset[str], even_if_submitted: bool) -> Head:
    if allowed == EDIT and head.frozen and not even_if_submitted:
        raise Frozen(head.id)
    return head


def heads_of(user) -> list[Head]:
    """The applications the user has a role in (staff: every one), last changed first, with the user's role (one
    query, whatever their number)."""
    query = _LIST if is_staff(user) else _LIST_OF_MEMBER
    rows = db.session.execute(query, {"user": user.id}).all()
    staff = is_staff(user)
    return [Head(*row[:-1], ruolo=STAFF if staff else row[-1]) for row in rows]
