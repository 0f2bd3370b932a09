"""Database models of filing: the signed files of an application."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
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
    caricato_at: Mapped[datetime] = mapped_column(default=_now)
