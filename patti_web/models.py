"""Database models. An application is one row holding its whole document (`patti-web/domanda@2`) and a version.

The document is the application: parts of it are not spread over tables. Beside it the row keeps a summary, derived
from the document on every save by services.py (never set anywhere else), so that lists and filters read columns,
not documents. Every save also appends a `Revision`: who, when, which section, and the change as a JSON Patch.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from patti_web.extensions import db

# JSONB on PostgreSQL (indexable, compact), JSON text elsewhere.
Document = JSON().with_variant(JSONB(), "postgresql")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class User(UserMixin, db.Model):
    """Someone who prepares applications (their own, and those they are invited to), or staff who read them all."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    nome: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=_now)
    # Null until the owner of the address opens the confirmation link: an unconfirmed account cannot log in.
    email_confermata_at: Mapped[datetime | None] = mapped_column(default=None)
    # Staff read every application and its documents, and change none. Set only from the command line.
    staff: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    applications: Mapped[list[Application]] = relationship(back_populates="owner", cascade="all, delete-orphan",
                                                           passive_deletes=True)

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


class Application(db.Model):
    """One manifestazione di interesse: its document, its version, and a summary for lists."""

    __tablename__ = "application"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Null for applications imported from the command line without an owner: they are not shown on the web.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    edizione: Mapped[str] = mapped_column(String(60))
    stato: Mapped[str] = mapped_column(String(20), default="bozza")
    # Grows by one on every save; a save based on an older version is merged or refused, never silently applied.
    versione: Mapped[int] = mapped_column(Integer, default=1)
    # The whole application as a patti-web/domanda@2 document. Deferred: lists and checks of the version skip it.
    documento: Mapped[dict] = deferred(mapped_column(Document, nullable=False))
    created_at: Mapped[datetime] = mapped_column(default=_now)
    updated_at: Mapped[datetime] = mapped_column(default=_now)

    # Summary of the document, kept current on every save (services.summary_of).
    titolo: Mapped[str] = mapped_column(String(300), default="")
    capofila_denominazione: Mapped[str] = mapped_column(String(300), default="")
    capofila_tipologia: Mapped[str] = mapped_column(String(60), default="")
    ambito: Mapped[str] = mapped_column(String(40), default="")
    province: Mapped[str] = mapped_column(String(100), default="")  # siglas, comma separated: "BG,BS"
    n_partner: Mapped[int] = mapped_column(Integer, default=0)
    n_errori: Mapped[int] = mapped_column(Integer, default=0)
    n_avvertenze: Mapped[int] = mapped_column(Integer, default=0)
    sezioni_completate: Mapped[int] = mapped_column(Integer, default=0)

    # The one-time token of the form that created it (new, duplicate, import): a double submit creates one.
    creation_token: Mapped[str | None] = mapped_column(String(64), default=None)

    owner: Mapped[User | None] = relationship(back_populates="applications")

    __table_args__ = (UniqueConstraint("owner_id", "creation_token", name="uq_application_owner_id_creation_token"),)

    def __repr__(self) -> str:
        return f"<Application {self.id} v{self.versione} {self.titolo!r}>"


class Membership(db.Model):
    """Someone who works on an application besides its titolare (the owner): a collaboratore edits its content, a
    lettore reads it and downloads its documents."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("application_id", "user_id", name="uq_membership_application_id_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    ruolo: Mapped[str] = mapped_column(String(20))  # collaboratore, lettore
    created_at: Mapped[datetime] = mapped_column(default=_now)


class Invitation(db.Model):
    """An invitation to an application, sent by mail as a signed link that expires and works once."""

    __tablename__ = "invitation"

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


class Revision(db.Model):
    """One save of an application: the version it made, who, when, which section, and what changed (RFC 6902).

    `patch` turns the previous version into this one; `reverse` turns this one back into the previous one, so any
    earlier version can be rebuilt from the current document (to tell what changed since a form was opened).
    """

    __tablename__ = "revision"
    __table_args__ = (
        UniqueConstraint("application_id", "versione", name="uq_revision_application_id_versione"),
        # A form's one-time token: the same "add" form submitted twice makes one revision, not two.
        UniqueConstraint("application_id", "form_token", name="uq_revision_application_id_form_token"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"))
    versione: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=_now)
    # capofila, partenariato, territorio, settori, fabbisogni, interventi, or documento (created, imported).
    sezione: Mapped[str] = mapped_column(String(30))
    # aggiunta, modifica, rimozione, creazione, importazione
    azione: Mapped[str] = mapped_column(String(20))
    # The list item concerned (a partner's, sector's, need's or intervention's id), if any.
    elemento: Mapped[str] = mapped_column(String(20), default="")
    form_token: Mapped[str | None] = mapped_column(String(64))
    patch: Mapped[list] = deferred(mapped_column(Document, nullable=False))
    reverse: Mapped[list] = deferred(mapped_column(Document, nullable=False))

    def __repr__(self) -> str:
        return f"<Revision {self.application_id} v{self.versione} {self.sezione} {self.azione}>"


class RateLimit(db.Model):
    """One rate-limit counter (Flask-Limiter's fixed windows, patti_web.ratelimit): kept in the database so that
    every worker counts the same attempts."""

    __tablename__ = "rate_limit"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    expires: Mapped[float] = mapped_column(Float, index=True)  # seconds since the epoch
