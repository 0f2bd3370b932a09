"""Who works on an application: its titolare, collaboratori and lettori, invitations and hand-over.

An invitation is a row (the address, the role, who sent it) and a link that carries its id and a random nonce,
signed and valid for INVITATION_MAX_AGE: it works once (accepted), not after it is revoked, and only for an account
with the invited address (confirmed: the address is proven). Accepting makes a membership; the titolare changes a
member's role, removes a member, or hands the application over to a member (and stays on as a collaboratore).

Each use case commits once; who may do what is checked with `patti_web.domande.get_head` (MANAGE: the titolare
only; READ: anyone with a role, to see the list).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from patti_web.domande.access import (
    COLLABORATORE,
    MANAGE,
    MEMBER_ROLES,
    READ,
    TITOLARE,
    Forbidden,
    Head,
    NotFound,
    get_head,
    is_db_id,
)
from patti_web.domande.models import DomandaRecord, Membership
from patti_web.extensions import db
from patti_web.persone.accounts import normalise_email
from patti_web.persone.models import Invitation, User

log = logging.getLogger(__name__)

INVITATION_SALT = "invitation"
INVITATION_MAX_AGE = 7 * 24 * 3600


class InvitationError(ValueError):
    """An invitation that cannot be sent or accepted."""


class AlreadyMember(InvitationError):
    """The address is already the titolare's or a member's."""


class StaffAccount(InvitationError):
    """The address is a staff account's: staff read every application and are given no role on any."""


class OwnerChanged(InvitationError):
    """The application was handed over meanwhile (two clicks at once): the one who asked is no longer its titolare."""


def _is_staff_address(email: str) -> bool:
    return bool(db.session.scalar(select(User.staff).where(User.email == email)))


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Person:
    user_id: int
    nome: str
    email: str
    ruolo: str


@dataclass(frozen=True)
class Pending:
    id: int
    email: str
    ruolo: str
    created_at: datetime


def people(domanda_id: int, user) -> tuple[Head, list[Person], list[Pending]]:
    """The application's columns, its titolare and members, and the invitations still open (anyone with a role may
    see them)."""
    head = get_head(domanda_id, user, READ)
    pending = [Pending(*row) for row in db.session.execute(
        select(Invitation.id, Invitation.email, Invitation.ruolo, Invitation.created_at)
        .where(Invitation.application_id == head.id, Invitation.accepted_at.is_(None),
               Invitation.revoked_at.is_(None), Invitation.created_at > _oldest_valid())
        .order_by(Invitation.created_at))]
    return head, _members(head), pending


def _members(head: Head) -> list[Person]:
    """The titolare, then the members by name."""
    owner = db.session.execute(select(User.id, User.nome, User.email).where(User.id == head.owner_id)).one_or_none()
    found = [Person(*owner, TITOLARE)] if owner else []
    return found + [Person(*row) for row in db.session.execute(
        select(User.id, User.nome, User.email, Membership.ruolo).join(Membership, Membership.user_id == User.id)
        .where(Membership.application_id == head.id).order_by(User.nome, User.id))]


def _oldest_valid() -> datetime:
    return _now() - timedelta(seconds=INVITATION_MAX_AGE)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=INVITATION_SALT)


def invite(domanda_id: int, user, email: str, ruolo: str) -> tuple[Invitation, str]:
    """A new invitation (titolare only) and the token of its link; an open invitation to the same address is
    replaced (its link stops working). Commits."""
    head = get_head(domanda_id, user, MANAGE)
    if ruolo not in MEMBER_ROLES:
        raise InvitationError(ruolo)
    email = normalise_email(email)
    if any(p.email == email for p in _members(head)):
        raise AlreadyMember(email)
    if _is_staff_address(email):
        raise StaffAccount(email)
    db.session.execute(update(Invitation).where(
        Invitation.application_id == head.id, Invitation.email == email, Invitation.accepted_at.is_(None),
        Invitation.revoked_at.is_(None)).values(revoked_at=_now()))
    invitation = Invitation(application_id=head.id, email=email, ruolo=ruolo, invited_by=user.id,
                            nonce=secrets.token_urlsafe(24), created_at=_now())
    db.session.add(invitation)
    db.session.commit()
    log.info("application %s: invitation %s sent by user %s (%s)", head.id, invitation.id, user.id, ruolo)
    return invitation, _serializer().dumps({"i": invitation.id, "n": invitation.nonce})


def _member_id(value: int) -> int:
    if not is_db_id(value):
        raise NotFound(value)
    return value


def revoke(domanda_id: int, user, invitation_id: int) -> None:
    """Revoke an open invitation (titolare only): its link stops working. Commits."""
    head = get_head(domanda_id, user, MANAGE)
    invitation_id = _member_id(invitation_id)
    done = db.session.execute(update(Invitation).where(
        Invitation.id == invitation_id, Invitation.application_id == head.id, Invitation.accepted_at.is_(None),
        Invitation.revoked_at.is_(None)).values(revoked_at=_now())).rowcount
    if not done:
        raise NotFound(invitation_id)
    db.session.commit()


def invitation_of(token: str) -> Invitation | None:
    """The open invitation a link's token names, or None (forged, expired, revoked, already accepted)."""
    try:
        data = _serializer().loads(token, max_age=INVITATION_MAX_AGE)
    except BadData:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("i"), int) or not isinstance(data.get("n"), str):
        return None
    if not is_db_id(data["i"]):
        return None
    invitation = db.session.get(Invitation, data["i"])
    if (invitation is None or invitation.accepted_at is not None or invitation.revoked_at is not None
            or not secrets.compare_digest(invitation.nonce, data["n"])):
        return None
    return invitation


def application_title(invitation: Invitation) -> str:
    return db.session.scalar(select(DomandaRecord.titolo).where(DomandaRecord.id == invitation.application_id)) or ""


def inviter_name(invitation: Invitation) -> str:
    return db.session.scalar(select(User.nome).where(User.id == invitation.invited_by)) or ""


def accept(invitation: Invitation, user) -> int:
    """Accept an invitation as `user` (whose address must be the invited one); return the application's id.
    The link works once. Commits."""
    if normalise_email(user.email) != invitation.email:
        raise InvitationError(invitation.email)
    if _is_staff_address(invitation.email):  # an account made staff after the invitation was sent
        raise StaffAccount(invitation.email)
    record = db.session.get(DomandaRecord, invitation.application_id)
    if record is None:
        raise NotFound(invitation.application_id)
    done = db.session.execute(update(Invitation).where(
        Invitation.id == invitation.id, Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
        .values(accepted_at=_now(), accepted_by=user.id)).rowcount
    if not done:  # accepted in another tab a moment ago, or revoked meanwhile
        db.session.rollback()
        raise NotFound(invitation.id)
    if record.owner_id != user.id:
        member = db.session.scalar(select(Membership).where(Membership.application_id == record.id,
                                                            Membership.user_id == user.id))
        if member is None:
            db.session.add(Membership(application_id=record.id, user_id=user.id, ruolo=invitation.ruolo,
                                      created_at=_now()))
        elif member.ruolo != COLLABORATORE:  # an invitation never lowers a role
            member.ruolo = invitation.ruolo
    try:
        db.session.commit()
    except IntegrityError:  # the same person accepted two invitations at once: the other made the membership
        db.session.rollback()
        db.session.execute(update(Invitation).where(Invitation.id == invitation.id)
                           .values(accepted_at=_now(), accepted_by=user.id))
        db.session.commit()
    log.info("application %s: user %s joined (%s)", record.id, user.id, invitation.ruolo)
    return record.id


def change_role(domanda_id: int, user, member_id: int, ruolo: str) -> None:
    """Make a member a collaboratore or a lettore (titolare only). Commits."""
    head = get_head(domanda_id, user, MANAGE)
    member_id = _member_id(member_id)
    if ruolo not in MEMBER_ROLES:
        raise InvitationError(ruolo)
    done = db.session.execute(update(Membership).where(
        Membership.application_id == head.id, Membership.user_id == member_id).values(ruolo=ruolo)).rowcount
    if not done:
        raise NotFound(member_id)
    db.session.commit()


def remove(domanda_id: int, user, member_id: int) -> None:
    """Take a member off the application: the titolare removes anyone but themselves; a member may leave. Commits."""
    head = get_head(domanda_id, user, READ)
    member_id = _member_id(member_id)
    if member_id != user.id and head.ruolo != TITOLARE:
        raise Forbidden(domanda_id)
    done = db.session.execute(delete(Membership).where(
        Membership.application_id == head.id, Membership.user_id == member_id)).rowcount
    if not done:
        raise NotFound(member_id)
    db.session.commit()
    log.info("application %s: user %s removed by user %s", head.id, member_id, user.id)


def hand_over(domanda_id: int, user, member_id: int) -> None:
    """Make a member the titolare (titolare only); the former titolare stays on as a collaboratore. Commits.

    The owner changes first, on the condition that it is still `user`: of two hand-overs clicked at once, the
    second finds the application no longer theirs (OwnerChanged) and changes nothing.

    :raises StaffAccount: the member's account is staff (who may hold no role).
    """
    head = get_head(domanda_id, user, MANAGE)
    member_id = _member_id(member_id)
    member = db.session.scalar(select(Membership).where(Membership.application_id == head.id,
                                                        Membership.user_id == member_id))
    if member is None:
        raise NotFound(member_id)
    if db.session.scalar(select(User.staff).where(User.id == member_id)):
        raise StaffAccount(member_id)
    moved = db.session.execute(update(DomandaRecord).where(DomandaRecord.id == head.id,
                                                           DomandaRecord.owner_id == user.id)
                               .values(owner_id=member_id)).rowcount
    if not moved:
        db.session.rollback()
        raise OwnerChanged(domanda_id)
    db.session.execute(delete(Membership).where(Membership.application_id == head.id,
                                                Membership.user_id.in_((member_id, user.id))))
    db.session.add(Membership(application_id=head.id, user_id=user.id, ruolo=COLLABORATORE, created_at=_now()))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise OwnerChanged(domanda_id) from None
    log.info("application %s handed over from user %s to user %s", head.id, user.id, member_id)
