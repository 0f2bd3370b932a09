"""Database models of applications. A domanda is one row holding its whole document (`patti-web/domanda@2`) and a
version; beside it, who works on it (memberships) and every save (revisions).

The document is the application: parts of it are not spread over tables. Beside it the row keeps a summary, derived
from the document on every save (patti_web.domande.analysis.summary_of, never set anywhere else), so that lists and
filters read columns, not documents. Every save also appends a `Revision`: who, when, which section, and the change
as a JSON Patch. The tables keep the English names of the first schema (application, application_id): renaming
them would only move data (docs/glossary.md).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from patti_web.extensions import db
from patti_web.persone.models import User

# JSONB on PostgreSQL (indexable, compact), JSON text elsewhere.
Document = JSON().with_variant(JSONB(), "postgresql")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class DomandaRecord(db.Model):
    """One manifestazione di interesse as stored: its document, its version, and a summary for lists."""

    __tablename__ = "application"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Null for applications imported from the command line without an owner: they are not shown on the web.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    edizione: Mapped[str] = mapped_column(String(60))
    stato: Mapped[str] = mapped_column(String(20), default="bozza")
    # Grows by one on every save; a save based on an older version is merged, never silently applied.
    versione: Mapped[int] = mapped_column(Integer, default=1)
    # The whole application as a patti-web/domanda@2 document. Deferred: lists and checks of the version skip it.
    documento: Mapped[dict] = deferred(mapped_column(Document, nullable=False))
    created_at: Mapped[datetime] = mapped_column(default=_now)
    updated_at: Mapped[datetime] = mapped_column(default=_now)

    # Summary of the document, kept current on every save (analysis.summary_of).
    titolo: Mapped[str] = mapped_column(String(300), default="")
    capofila_denominazione: Mapped[str] = mapped_column(String(300), default="")
    capofila_tipologia: Mapped[str] = mapped_column(String(60), default="")
    ambito: Mapped[str] = mapped_column(String(40), default="")
    province: Mapped[str] = mapped_column(String(100), default="")  # siglas, comma separated: "BG,BS"
    n_partner: Mapped[int] = mapped_column(Integer, default=0)
    n_errori: Mapped[int] = mapped_column(Integer, default=0)
    n_avvertenze: Mapped[int] = mapped_column(Integer, default=0)
    sezioni_completate: Mapped[int] = mapped_column(Integer, default=0)
    # Which rules counted the errors and sections above (analysis.RULES): a summary counted by other rules (an
    # older release, a data migration, which knows no rules) is counted again when it is read.
    regole: Mapped[str] = mapped_column(String(20), default="")

    # The one-time token of the form that created it (new, duplicate, import): a double submit creates one.
    creation_token: Mapped[str | None] = mapped_column(String(64), default=None)

    owner: Mapped[User | None] = relationship(back_populates="domande")

    # Ids are never used twice (SQLite AUTOINCREMENT; PostgreSQL's sequences never go back): a deleted
    # application's id, and whatever was kept under it, never names another.
    __table_args__ = (UniqueConstraint("owner_id", "creation_token", name="uq_application_owner_id_creation_token"),
                      {"sqlite_autoincrement": True})

    def __repr__(self) -> str:
        return f"<DomandaRecord {self.id} v{self.versione} {self.titolo!r}>"


class Membership(db.Model):
    """Someone who works on an application besides its titolare (the owner): a collaboratore edits its content, a
    lettore reads it and downloads its documents."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("application_id", "user_id", name="uq_membership_application_id_user_id"),
                      {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    ruolo: Mapped[str] = mapped_column(String(20))  # collaboratore, lettore
    created_at: Mapped[datetime] = mapped_column(default=_now)


class Revision(db.Model):
    """One save of an application: the version it made, who, when, which section, and what changed (RFC 6902).

    `patch` turns the previous version into this one; `reverse` turns this one back into the previous one, so any
    earlier version can be rebuilt from the current document (the base of a form opened on it, for the merge).
    """

    __tablename__ = "revision"
    __table_args__ = (
        UniqueConstraint("application_id", "versione", name="uq_revision_application_id_versione"),
        # A form's one-time token: the same "add" form submitted twice makes one revision, not two.
        UniqueConstraint("application_id", "form_token", name="uq_revision_application_id_form_token"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"))
    versione: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=_now)
    # A section's key (patti_web.avviso.sezioni), or documento (created, imported, duplicated).
    sezione: Mapped[str] = mapped_column(String(30))
    # aggiunta, modifica, rimozione, creazione, importazione, duplicazione
    azione: Mapped[str] = mapped_column(String(20))
    # The list item concerned (a partner's, sector's, need's or intervention's id), if any.
    elemento: Mapped[str] = mapped_column(String(20), default="")
    form_token: Mapped[str | None] = mapped_column(String(64))
    patch: Mapped[list] = deferred(mapped_column(Document, nullable=False))
    reverse: Mapped[list] = deferred(mapped_column(Document, nullable=False))

    def __repr__(self) -> str:
        return f"<Revision {self.application_id} v{self.versione} {self.sezione} {self.azione}>"
