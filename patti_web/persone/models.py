"""Database models of people: accounts, their logins, invitations to an application, forms kept across an expired
session, and the rate limits' counters."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from patti_web.extensions import db


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class User(UserMixin, db.Model):
    """Someone who prepares applications (their own, and those they are invited to), or staff who read them all."""

    __tablename__ = "user_account"
    __table_args__ = {"sqlite_autoincrement": True}  # ids never used twice (as for applications)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    nome: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=_now)
    # Null until the owner of the address opens the confirmation link: an unconfirmed account cannot log in.
    email_confermata_at: Mapped[datetime | None] = mapped_column(default=None)
    # Staff read every application and its documents, and change none. Set only from the command line.
    staff: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # When a login link (mailed while the address was limited) was last used: the links mailed before it stop
    # working, so each works once.
    link_accesso_usato_at: Mapped[datetime | None] = mapped_column(default=None)

    domande: Mapped[list[DomandaRecord]] = relationship(  # noqa: F821 - patti_web.domande.models
        back_populates="owner", cascade="all, delete-orphan", passive_deletes=True)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email!r}>"


class LoginSession(db.Model):
    """One logged-in browser. The session cookie names it (by a random key whose hash is kept here): logging out
    deletes it, a password change or "log out everywhere" deletes them all, and a copied cookie opens nothing."""

    __tablename__ = "login_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the key in the cookie
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=_now)


class PendingForm(db.Model):
    """What someone typed into a form when their session had expired, kept for the same browser (a signed cookie
    names it) until they log in again."""

    __tablename__ = "pending_form"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    path: Mapped[str] = mapped_column(String(500))
    data: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=_now, index=True)


class Invitation(db.Model):
    """An invitation to an application, sent by mail as a signed link that expires and works once."""

    __tablename__ = "invitation"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    ruolo: Mapped[str] = mapped_column(String(20))  # collaboratore, lettore
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # A random value signed into the link: the link is good only while it matches (a new invitation voids it).
    nonce: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=_now)
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)
    accepted_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class RateLimit(db.Model):
    """One rate-limit counter (Flask-Limiter's fixed windows, patti_web.persone.ratelimit): kept in the database so
    that every worker counts the same attempts."""

    __tablename__ = "rate_limit"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    expires: Mapped[float] = mapped_column(Float, index=True)  # seconds since the epoch
