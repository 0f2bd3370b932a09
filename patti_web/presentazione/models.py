"""Database models of filing: the signed files of an application, the partners' personal links, its submissions and
their numbers, the stamps used."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint, text
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


class Presentazione(db.Model):
    """One submission of an application: its number, the version it froze and when. A withdrawal (before the window
    closes) keeps the row, with when and by whom it was withdrawn; a new submission is a new row and a new number."""

    __tablename__ = "presentazione"
    __table_args__ = (
        UniqueConstraint("edizione", "anno", "progressivo", name="uq_presentazione_edizione_anno_progressivo"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    edizione: Mapped[str] = mapped_column(String(60))
    # The year of the submission in the edition's time zone, and the number in that edition and year (1, 2, ...).
    anno: Mapped[int] = mapped_column(Integer)
    progressivo: Mapped[int] = mapped_column(Integer)
    # "PATTI-2023-0000123": unique in its edition (the edition, year and progressivo are)
    numero: Mapped[str] = mapped_column(String(30))
    versione: Mapped[int] = mapped_column(Integer)
    # SHA-256 of the canonical JSON of the frozen version (patti_web.avviso.domanda.fingerprint).
    impronta: Mapped[str] = mapped_column(String(64))
    presentata_at: Mapped[datetime] = mapped_column(default=_now)  # UTC
    presentata_da: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    ritirata_at: Mapped[datetime | None] = mapped_column(default=None)
    ritirata_da: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))


class Numeratore(db.Model):
    """The last number given in an edition and year: raised by one in the transaction that freezes a submission, so
    numbers have no gaps (a submission that fails rolls its number back with it)."""

    __tablename__ = "numeratore"

    edizione: Mapped[str] = mapped_column(String(60), primary_key=True)
    anno: Mapped[int] = mapped_column(Integer, primary_key=True)
    ultimo: Mapped[int] = mapped_column(Integer, default=0)


class MarcaDaBollo(db.Model):
    """A stamp's identifier, once used by a submission: it belongs to that application (which may submit again with
    it after a withdrawal), never to another."""

    __tablename__ = "marca_da_bollo"

    identificativo: Mapped[str] = mapped_column(String(14), primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    usata_at: Mapped[datetime] = mapped_column(default=_now)
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
