"""Accounts: register, authenticate, and reset a forgotten password with a signed one-time token.

Services flush; the caller commits. Emails are stored stripped and lower-case, passwords as scrypt hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from functools import lru_cache

from flask import current_app
from flask_login import UserMixin
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from patti_web.extensions import db
from patti_web.models import User

log = logging.getLogger(__name__)

RESET_SALT = "reset-password"
DEFAULT_RESET_MAX_AGE = 3600


@dataclass(frozen=True)
class Account(UserMixin):
    """The logged-in user as every request sees it: read with one plain SELECT, no ORM object per page."""

    id: int
    email: str
    nome: str


_ACCOUNT_BY_ID = select(*(User.__table__.c[name] for name in ("id", "email", "nome"))).where(
    User.__table__.c.id == bindparam("id"))


def load_account(user_id: str) -> Account | None:
    """The account of a session's user id (Flask-Login's user loader), or None."""
    if not user_id.isdigit() or len(user_id) > 18:
        return None
    row = db.session.connection().execute(_ACCOUNT_BY_ID, {"id": int(user_id)}).one_or_none()
    return Account(*row) if row is not None else None


class EmailTaken(ValueError):
    """An account with this email address already exists."""


def normalise_email(email: str) -> str:
    """Return the stored form of an email address: stripped and lower-case."""
    return email.strip().lower()


def hash_password(password: str) -> str:
    """Return the scrypt hash of `password`."""
    return generate_password_hash(password, method="scrypt")


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password("not-a-real-password")


def get_user_by_email(email: str) -> User | None:
    """Return the user with this email address (any case, surrounding spaces ignored), or None."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def register_user(email: str, nome: str, password: str) -> User:
    """Create an account and return it.

    :raises EmailTaken: when the address is already registered (the session is rolled back if the database said so).
    """
    email = normalise_email(email)
    if get_user_by_email(email) is not None:
        raise EmailTaken(email)
    user = User(email=email, nome=nome.strip(), password_hash=hash_password(password))
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError as error:
        # Two registrations with the same address at once: the unique constraint decides.
        db.session.rollback()
        raise EmailTaken(email) from error
    log.info("registered user %s", user.id)
    return user


def authenticate(email: str, password: str) -> User | None:
    """Return the user whose email and password match, or None."""
    user = get_user_by_email(email)
    if user is None:
        # Hash anyway, so that the answer takes as long whether or not the account exists.
        check_password_hash(_dummy_hash(), password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def set_password(user: User, password: str) -> None:
    """Replace the user's password (which also voids every reset link issued before)."""
    user.password_hash = hash_password(password)
    db.session.flush()
    log.info("password changed for user %s", user.id)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


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
