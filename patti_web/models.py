"""Database models of an application and its parts.

Column names follow the keys of the `patti-web/domanda@1` document (nested objects flattened with `_`), so that
services.py can move a document in and out without loss. Lengths match the limits in domanda.py (a test checks).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.ext.orderinglist import ordering_list
from sqlalchemy.orm import Mapped, mapped_column, relationship

from patti_web.extensions import db


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _children(cls: str) -> Mapped:
    return relationship(
        cls,
        order_by=f"{cls}.posizione",
        collection_class=ordering_list("posizione"),
        cascade="all, delete-orphan",
    )


class User(UserMixin, db.Model):
    """Someone who prepares applications; sees and changes only their own."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    nome: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=_now)

    applications: Mapped[list[Application]] = relationship(back_populates="owner", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email!r}>"


class PendingForm(db.Model):
    """What a user typed into a form when their session had expired, kept until they log in again."""

    __tablename__ = "pending_form"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    path: Mapped[str] = mapped_column(String(500))
    data: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=_now, index=True)


class UsedFormToken(db.Model):
    """One-time tokens of "add" forms already processed: a second click on "Aggiungi" adds nothing."""

    __tablename__ = "used_form_token"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=_now, index=True)


class Application(db.Model):
    """One manifestazione di interesse, as drafted in the portal."""

    __tablename__ = "application"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Null for applications imported from the command line without an owner: they are not shown on the web.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    edizione: Mapped[str] = mapped_column(String(60))
    titolo: Mapped[str] = mapped_column(String(300), default="")
    territorio_ambito: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(default=_now)
    updated_at: Mapped[datetime] = mapped_column(default=_now, onupdate=_now)

    owner: Mapped[User | None] = relationship(back_populates="applications")
    capofila: Mapped[LeadPartner] = relationship(
        back_populates="application", cascade="all, delete-orphan", uselist=False
    )
    partner: Mapped[list[Partner]] = _children("Partner")
    province: Mapped[list[TerritoryProvince]] = _children("TerritoryProvince")
    settori: Mapped[list[Sector]] = _children("Sector")
    fabbisogni: Mapped[list[Need]] = _children("Need")
    interventi: Mapped[list[Intervention]] = _children("Intervention")

    def __repr__(self) -> str:
        return f"<Application {self.id} {self.titolo!r}>"


class _Child:
    """A row owned by an application, kept in the order the user gave."""

    id: Mapped[int] = mapped_column(primary_key=True)
    posizione: Mapped[int] = mapped_column(Integer)


class LeadPartner(db.Model):
    __tablename__ = "lead_partner"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), unique=True)
    denominazione: Mapped[str] = mapped_column(String(300), default="")
    tipologia: Mapped[str] = mapped_column(String(60), default="")
    codice_fiscale: Mapped[str] = mapped_column(String(16), default="")
    sede_indirizzo: Mapped[str] = mapped_column(String(200), default="")
    sede_comune: Mapped[str] = mapped_column(String(100), default="")
    sede_provincia: Mapped[str] = mapped_column(String(40), default="")
    sede_cap: Mapped[str] = mapped_column(String(10), default="")
    pec: Mapped[str] = mapped_column(String(254), default="")
    legale_rappresentante_nome: Mapped[str] = mapped_column(String(100), default="")
    legale_rappresentante_cognome: Mapped[str] = mapped_column(String(100), default="")
    legale_rappresentante_codice_fiscale: Mapped[str] = mapped_column(String(16), default="")
    referente_nome: Mapped[str] = mapped_column(String(100), default="")
    referente_cognome: Mapped[str] = mapped_column(String(100), default="")
    referente_email: Mapped[str] = mapped_column(String(254), default="")
    referente_telefono: Mapped[str] = mapped_column(String(30), default="")

    application: Mapped[Application] = relationship(back_populates="capofila")

    def __repr__(self) -> str:
        return f"<LeadPartner {self.denominazione!r}>"


class Partner(_Child, db.Model):
    __tablename__ = "partner"

    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    denominazione: Mapped[str] = mapped_column(String(300), default="")
    categoria: Mapped[str] = mapped_column(String(60), default="")
    codice_fiscale: Mapped[str] = mapped_column(String(16), default="")
    sede_indirizzo: Mapped[str] = mapped_column(String(200), default="")
    sede_comune: Mapped[str] = mapped_column(String(100), default="")
    sede_provincia: Mapped[str] = mapped_column(String(40), default="")
    sede_cap: Mapped[str] = mapped_column(String(10), default="")
    pec: Mapped[str] = mapped_column(String(254), default="")
    referente_nome: Mapped[str] = mapped_column(String(100), default="")
    referente_cognome: Mapped[str] = mapped_column(String(100), default="")
    referente_email: Mapped[str] = mapped_column(String(254), default="")
    referente_telefono: Mapped[str] = mapped_column(String(30), default="")

    def __repr__(self) -> str:
        return f"<Partner {self.denominazione!r} {self.categoria}>"


class TerritoryProvince(_Child, db.Model):
    __tablename__ = "territory_province"

    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    sigla: Mapped[str] = mapped_column(String(60))


class Sector(_Child, db.Model):
    __tablename__ = "sector"

    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    descrizione: Mapped[str] = mapped_column(Text, default="")
    ateco: Mapped[list[SectorAteco]] = _children("SectorAteco")


class SectorAteco(_Child, db.Model):
    __tablename__ = "sector_ateco"

    sector_id: Mapped[int] = mapped_column(ForeignKey("sector.id", ondelete="CASCADE"), index=True)
    codice: Mapped[str] = mapped_column(String(60))


class Need(_Child, db.Model):
    __tablename__ = "need"

    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    # The need's identifier in the document ("F1"), which interventions refer to.
    codice: Mapped[str] = mapped_column(String(20), default="")
    titolo: Mapped[str] = mapped_column(String(300), default="")
    descrizione: Mapped[str] = mapped_column(Text, default="")
    lacune_politiche_attive: Mapped[str] = mapped_column(Text, default="")
    fonti: Mapped[list[NeedSource]] = _children("NeedSource")


class NeedSource(_Child, db.Model):
    __tablename__ = "need_source"

    need_id: Mapped[int] = mapped_column(ForeignKey("need.id", ondelete="CASCADE"), index=True)
    titolo: Mapped[str] = mapped_column(String(500), default="")
    autore: Mapped[str] = mapped_column(String(300), default="")
    anno: Mapped[int | None] = mapped_column(Integer, nullable=True)
    url: Mapped[str] = mapped_column(String(1000), default="")


class Intervention(_Child, db.Model):
    __tablename__ = "intervention"

    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    titolo: Mapped[str] = mapped_column(String(300), default="")
    descrizione: Mapped[str] = mapped_column(Text, default="")
    destinatari: Mapped[str] = mapped_column(Text, default="")
    # Kept as the need identifiers the user gave, so that a draft tied to a missing need survives export/import.
    fabbisogni: Mapped[list[InterventionNeed]] = _children("InterventionNeed")


class InterventionNeed(_Child, db.Model):
    __tablename__ = "intervention_need"

    intervention_id: Mapped[int] = mapped_column(ForeignKey("intervention.id", ondelete="CASCADE"), index=True)
    codice: Mapped[str] = mapped_column(String(60))
