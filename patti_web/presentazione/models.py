"""Database models of filing: the signed files of an application, and the partners' personal links."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from patti_web.extensions import db


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class FileFirmato(db.Model):
    """A signed file uploaded for one document of an application (the act, or one partner's letter) and the version
    it signs, with the outcome of its checks. A later version of the application makes it stale, never deletes it."""

    __tablename__ = "file_firmato"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    # "manifestazione", or "adesione:<partner id>".
    documento: Mapped[str] = mapped_column(String(40))
    versione: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    nome_file: Mapped[str] = mapped_column(String(200))
    dimensione: Mapped[int] = mapped_column(Integer)
    formato: Mapped[str] = mapped_column(String(10))  # PAdES, CAdES
    firmatario: Mapped[str] = mapped_column(String(16))  # the codice fiscale in the certificate
    nome_firmatario: Mapped[str] = mapped_column(String(200), default="")
    esito: Mapped[str] = mapped_column(String(30))  # verificato, certificato da verificare
    controlli: Mapped[dict] = mapped_column(JSON)
    caricato_da: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # Uploaded by the partner itself, through this personal link (caricato_da is then empty).
    link_id: Mapped[int | None] = mapped_column(ForeignKey("link_adesione.id", ondelete="SET NULL"))
    caricato_at: Mapped[datetime] = mapped_column(default=_now)


class LinkAdesione(db.Model):
    """A partner's personal link: it lets whoever holds it upload that partner's signed letter of adhesion to that
    application, and nothing else, until it expires or is revoked. The link carries the row's id and a random key;
    the row keeps only the key's SHA-256, so the database alone gives no working link. At most one link per partner
    is open (not revoked): making a new one revokes the old, and the partial unique index keeps it so under
    concurrency."""

    __tablename__ = "link_adesione"
    __table_args__ = (Index("uq_link_adesione_aperto", "application_id", "partner_id", unique=True,
                            sqlite_where=text("revoked_at IS NULL"), postgresql_where=text("revoked_at IS NULL")),
                      {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[str] = mapped_column(String(20))
    chiave_sha256: Mapped[str] = mapped_column(String(64))
    creato_da: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    creato_at: Mapped[datetime] = mapped_column(default=_now)
    scade_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
