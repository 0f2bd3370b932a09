"""Accounts: register (the address confirmed by mail before use), authenticate, sessions a server can end, reset a
forgotten password with a signed one-time token, and staff (made only from the command line).

Each use case commits once. Emails are stored stripped and lower-case, passwords as scrypt hashes (PASSWORD_HASH:
the tests, which make hundreds of accounts, use a cheap one).

A login makes a `LoginSession`: a random key goes in the (signed) session cookie, its SHA-256 in the database.
Every request looks the key up with the user's columns in one statement; logging out deletes that session, a
password change or reset and "log out everywhere" delete them all, so a copied cookie opens nothing afterwards.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from flask import current_app
from flask_login import UserMixin
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from patti_web.domande.models import DomandaRecord, Membership
from patti_web.extensions import db
from patti_web.persone.models import Invitation, LoginSession, User
from patti_web.storage import committed_or_logged, storage_failure

log = logging.getLogger(__name__)

RESET_SALT = "reset-password"
CONFIRM_SALT = "confirm-email"
LOGIN_LINK_SALT = "login-link"
LOGIN_LINK_MAX_AGE = 15 * 60
DEFAULT_RESET_MAX_AGE = 3600
CONFIRM_MAX_AGE = 48 * 3600
# zxcvbn's score: 0 (guessed in under 10^3 tries) .. 4 (over 10^10). Below 3 (10^8 tries) a password is refused.
MIN_PASSWORD_SCORE = 3


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Account(UserMixin):
    """The logged-in user as every request sees it: read with one plain SELECT, no ORM object per page.

    `session_key` is what Flask-Login keeps in the session cookie (`get_id`): the key of this browser's login.
    """

    id: int
    email: str
    nome: str
    staff: bool
    session_key: str

    def get_id(self) -> str:
        return self.session_key


_USER = User.__table__.c
_SESSIONS = LoginSession.__table__.c
_ACCOUNT_BY_SESSION = (
    select(_USER.id, _USER.email, _USER.nome, _USER.staff, _SESSIONS.created_at)
    .join(LoginSession.__table__, _SESSIONS.user_id == _USER.id)
    .where(_SESSIONS.id == bindparam("session"))
)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def session_max_age() -> timedelta:
    """How long a login lasts, whatever the browser does with its cookie."""
    return timedelta(hours=float(current_app.config.get("PATTI_SESSION_ORE", 12)))


def load_account(session_key: str) -> Account | None:
    """The account of a session cookie's key (Flask-Login's user loader), or None when that login has ended."""
    if not session_key or len(session_key) > 100:
        return None
    digest = _digest(session_key)
    if _ENDING:
        _finish_ending()
        if digest in _ENDING:
            return None
    row = db.session.connection().execute(_ACCOUNT_BY_SESSION, {"session": digest}).one_or_none()
    if row is None or row.created_at < _now() - session_max_age():
        return None
    return Account(row.id, row.email, row.nome, bool(row.staff), session_key)


def start_session(user: User) -> Account:
    """A new login for `user` (a row whose key only this browser's cookie holds); commits."""
    key = secrets.token_urlsafe(32)
    db.session.add(LoginSession(id=_digest(key), user_id=user.id, created_at=_now()))
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id,
                                                  LoginSession.created_at < _now() - session_max_age()))
    db.session.commit()
    return Account(user.id, user.email, user.nome, bool(user.staff), key)


# Logins ended while the database could not write: refused by this process at once, deleted when it can write
# again (tried at most every RETRY_ENDING seconds, by the next request that looks a login up).
_ENDING: set[str] = set()
_ENDING_LOCK = threading.Lock()
_ENDING_TRIED = [0.0]
RETRY_ENDING = 10.0


def end_session(session_key: str) -> bool:
    """Log this browser out: its key opens nothing any more; commits. False when the database could not write: the
    caller still drops the cookie's key, this process refuses the login from now on, and the row goes as soon as the
    database accepts writes again (until then another process could still accept a copy of the cookie)."""
    digest = _digest(session_key)
    if committed_or_logged(delete(LoginSession).where(LoginSession.id == digest), "logout: ending the login"):
        return True
    with _ENDING_LOCK:
        _ENDING.add(digest)
    return False


def _finish_ending() -> None:
    """Delete the logins ended while the database could not write, if it can now (at most every RETRY_ENDING s)."""
    with _ENDING_LOCK:
        if not _ENDING or time.monotonic() - _ENDING_TRIED[0] < RETRY_ENDING:
            return
        _ENDING_TRIED[0] = time.monotonic()
        pending = set(_ENDING)
    try:
        with db.engine.begin() as connection:
            connection.execute(delete(LoginSession).where(LoginSession.id.in_(pending)))
    except DBAPIError as error:
        log.warning("logins ended during a storage failure: still not deleted (%s)", storage_failure(error))
        return
    with _ENDING_LOCK:
        _ENDING.difference_update(pending)
    log.info("%s logins ended during a storage failure are now deleted", len(pending))


def _end_all_sessions(user_id: int) -> int:
    ended = db.session.execute(delete(LoginSession).where(LoginSession.user_id == user_id)).rowcount
    log.info("user %s: %s sessions ended", user_id, ended)
    return ended


def log_out_everywhere(user_id: int) -> int:
    """Log the user out on every device; return how many logins ended; commits."""
    ended = _end_all_sessions(user_id)
    db.session.commit()
    return ended


def password_problem(password: str, *related: str) -> bool:
    """True when a password is common or easy to guess (zxcvbn: lists of leaked passwords, words, names, keyboard
    patterns, dates, repeats), also counting the user's own name and address as known words."""
    hints = [part for text in related if text for part in [text, *text.replace("@", " ").replace(".", " ").split()]]
    # zxcvbn reads at most 72 characters (a longer password is judged by its first 72).
    return zxcvbn(password[:72], user_inputs=[h[:72] for h in hints])["score"] < MIN_PASSWORD_SCORE


class EmailTaken(ValueError):
    """An account with this email address already exists."""


def normalise_email(email: str) -> str:
    """Return the stored form of an email address: stripped and lower-case."""
    return email.strip().lower()


def hash_password(password: str) -> str:
    """Return the hash of `password` (scrypt; the method PASSWORD_HASH names, in tests a cheap one)."""
    return generate_password_hash(password, method=current_app.config.get("PASSWORD_HASH") or "scrypt")


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password("not-a-real-password")


def get_user_by_email(email: str) -> User | None:
    """Return the user with this email address (any case, surrounding spaces ignored), or None."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def register_user(email: str, nome: str, password: str, *, confirmed: bool = False) -> User:
    """Create an account and return it (unconfirmed unless `confirmed`); commits. For the command line, scripts and
    tests: the web registers through `sign_up`, which also sends the confirmation mail.

    :raises EmailTaken: when the address is already registered (the session is rolled back if the database said so).
    """
    email = normalise_email(email)
    if get_user_by_email(email) is not None:
        raise EmailTaken(email)
    user = _new_user(email, nome, hash_password(password), confirmed)
    db.session.commit()
    return user


def _new_user(email: str, nome: str, password_hash: str, confirmed: bool = False) -> User:
    user = User(email=email, nome=nome.strip(), password_hash=password_hash,
                email_confermata_at=_now() if confirmed else None)
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError as error:
        # Two registrations with the same address at once: the unique constraint decides.
        db.session.rollback()
        raise EmailTaken(email) from error
    log.info("registered user %s", user.id)
    return user


def sign_up(email: str, nome: str, password: str) -> tuple[User, bool]:
    """A registration from the web: (the account, whether it is new or still unconfirmed) -- then the caller mails a
    confirmation link -- or (the confirmed account that has the address, False) -- then the caller mails a note
    that it exists. Costs one password hash either way. Commits.

    Registering again an address nobody confirmed replaces its name and password: whoever confirms it owns it, so
    nobody can hold an address hostage by registering it first.
    """
    email = normalise_email(email)
    existing = get_user_by_email(email)
    hashed = hash_password(password)
    if existing is None:
        try:
            user = _new_user(email, nome, hashed)
            db.session.commit()
            return user, True
        except EmailTaken:  # the same address registered at this very moment
            existing = get_user_by_email(email)
    if existing.email_confermata_at is None:
        existing.nome, existing.password_hash = nome.strip(), hashed
        db.session.commit()
        return existing, True
    return existing, False


def _confirm(user: User) -> None:
    if user.email_confermata_at is None:
        user.email_confermata_at = _now()
        log.info("email confirmed for user %s", user.id)


def confirm_registration(user: User, password: str) -> bool:
    """Confirm the address of `user` with the password chosen at registration (the link alone proves nothing: it
    may have been mailed for someone else's registration of the address); commits. False: not that password."""
    if authenticate(user.email, password) is None:
        return False
    _confirm(user)
    db.session.commit()
    return True


def authenticate(email: str, password: str) -> User | None:
    """Return the user whose email and password match, or None."""
    user = get_user_by_email(email)
    if user is None:
        # Hash anyway, so that the answer takes as long whether or not the account exists.
        check_password_hash(_dummy_hash(), password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def _set_password(user: User, password: str) -> None:
    """Replace the user's password: every reset link issued before dies, and every login ends."""
    user.password_hash = hash_password(password)
    _end_all_sessions(user.id)
    log.info("password changed for user %s", user.id)


def change_password(user_id: int, current: str, new: str) -> User | None:
    """A new password for a logged-in user who typed the current one (None when it is not right); every login
    ends; commits."""
    user = db.session.get(User, user_id)
    if user is None or authenticate(user.email, current) is None:
        return None
    _set_password(user, new)
    db.session.commit()
    return user


def reset_password(user: User, new: str) -> None:
    """A new password from a reset link (which also proves the address); every login ends; commits."""
    _set_password(user, new)
    _confirm(user)
    db.session.commit()


class HasApplications(ValueError):
    """The account owns or works on applications: staff may hold no role on one (hand them over or leave first)."""

    def __init__(self, count: int):
        super().__init__(count)
        self.count = count


def roles_held(user_id: int) -> int:
    """How many applications the account owns or is a member of."""
    owned = db.session.scalar(select(func.count()).where(DomandaRecord.owner_id == user_id))
    member = db.session.scalar(select(func.count()).where(Membership.user_id == user_id))
    return int(owned or 0) + int(member or 0)


def make_staff(email: str, nome: str = "") -> tuple[User, bool]:
    """Make the account of `email` staff, creating it (with no usable password) if there is none; its logins end (a
    role changes: log in again), the invitations still open for its address are revoked. Returns the account and
    whether it is new; commits.

    :raises HasApplications: the account owns or works on applications (staff hold no role on any).
    """
    user = get_user_by_email(email)
    created = user is None
    if user is not None and (held := roles_held(user.id)):
        raise HasApplications(held)
    if created:
        user = _new_user(normalise_email(email), nome or normalise_email(email),
                         hash_password(secrets.token_urlsafe(32)), confirmed=True)
    user.staff = True
    _confirm(user)
    _end_all_sessions(user.id)
    db.session.execute(update(Invitation).where(Invitation.email == user.email, Invitation.accepted_at.is_(None),
                                                Invitation.revoked_at.is_(None)).values(revoked_at=_now()))
    db.session.commit()
    return user, created


def remove_staff(email: str) -> User | None:
    """Take staff access away from `email` (the account stays); None when it is not staff; commits."""
    user = get_user_by_email(email)
    if user is None or not user.staff:
        return None
    user.staff = False
    _end_all_sessions(user.id)
    db.session.commit()
    return user


def _serializer(salt: str = RESET_SALT) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _fingerprint(user: User) -> str:
    """A keyed digest of the current password hash: it changes, and old tokens die, when the password does."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, user.password_hash.encode(), hashlib.sha256).hexdigest()[:32]


def reset_max_age() -> int:
    """Return how many seconds a reset link stays valid."""
    return int(current_app.config.get("PASSWORD_RESET_MAX_AGE", DEFAULT_RESET_MAX_AGE))


def make_reset_token(user: User) -> str:
    """Return a signed, timed token that lets `user` choose a new password once."""
    return _serializer().dumps({"id": user.id, "pw": _fingerprint(user)})


def user_from_reset_token(token: str) -> User | None:
    """Return the user of a valid reset token; None when it is forged, expired or already used."""
    try:
        data = _serializer().loads(token, max_age=reset_max_age())
    except BadData:  # bad signature, expired, or an unreadable payload
        return None
    if not isinstance(data, dict) or not isinstance(data.get("id"), int) or not isinstance(data.get("pw"), str):
        return None
    user = db.session.get(User, data["id"])
    if user is None or not hmac.compare_digest(_fingerprint(user), data["pw"]):
        return None
    return user


def make_confirmation_token(user: User) -> str:
    """A signed, timed token that confirms `user`'s address, for that address and that password only: registering
    the address again with another password voids the links mailed before."""
    return _serializer(CONFIRM_SALT).dumps({"id": user.id, "email": user.email, "pw": _fingerprint(user)})


def user_from_confirmation_token(token: str) -> User | None:
    """The user of a valid confirmation token, or None (forged, expired, or the address changed since)."""
    try:
        data = _serializer(CONFIRM_SALT).loads(token, max_age=CONFIRM_MAX_AGE)
    except BadData:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("id"), int) or not isinstance(data.get("email"), str) \
            or not isinstance(data.get("pw"), str):
        return None
    user = db.session.get(User, data["id"])
    if user is None or user.email != data["email"] or not hmac.compare_digest(_fingerprint(user), data["pw"]):
        return None
    return user


def make_login_link_token(user: User) -> str:
    """A signed token that logs `user` in once within LOGIN_LINK_MAX_AGE: for an owner whose address is limited by
    somebody else's wrong passwords (their mailbox proves who they are, as a reset link does)."""
    return _serializer(LOGIN_LINK_SALT).dumps({"id": user.id, "email": user.email, "pw": _fingerprint(user),
                                               "at": time.time()})


@dataclass(frozen=True)
class LoginLink:
    user: User
    issued_at: float


def login_link_of(token: str) -> LoginLink | None:
    """The user and moment of a valid login link, or None: forged, older than LOGIN_LINK_MAX_AGE, mailed before a
    login link was last used (each works once), the password or address changed since, or the address never
    confirmed (whoever registered it may not be who reads its mail: a link must not hand them that account)."""
    try:
        data = _serializer(LOGIN_LINK_SALT).loads(token, max_age=LOGIN_LINK_MAX_AGE)
    except BadData:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("id"), int) or not isinstance(data.get("email"), str) \
            or not isinstance(data.get("pw"), str) or not isinstance(data.get("at"), int | float):
        return None
    user = db.session.get(User, data["id"]) if 0 < data["id"] < 2**63 else None
    if user is None or user.email != data["email"] or not hmac.compare_digest(_fingerprint(user), data["pw"]):
        return None
    if user.email_confermata_at is None:
        return None
    used = user.link_accesso_usato_at
    if used is not None and data["at"] <= used.replace(tzinfo=UTC).timestamp():
        return None
    return LoginLink(user, float(data["at"]))


def use_login_link(link: LoginLink) -> bool:
    """Spend a login link (and every one mailed before it); commits. False when it was spent meanwhile (the same
    link pressed twice at once: one of them logs in)."""
    issued = datetime.fromtimestamp(link.issued_at, UTC).replace(tzinfo=None)
    spent = db.session.execute(update(User).where(
        User.id == link.user.id,
        (User.link_accesso_usato_at.is_(None)) | (User.link_accesso_usato_at < issued))
        .values(link_accesso_usato_at=_now())).rowcount
    db.session.commit()
    return bool(spent)
