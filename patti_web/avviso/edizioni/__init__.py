"""Editions of the call, read from the TOML definitions in this folder.

Everything that differs from one edition of the call to the next (who may lead, the partner categories, the
provinces, the territorial scopes, the window) lives in a definition file; the rule engine reads it and nothing
else hard-codes a category.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import cache, cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

FOLDER = Path(__file__).resolve().parent
DEFAULT_EDITION = "lombardia_2023"


class EditionError(ValueError):
    """A definition file that cannot be used as an edition of the call."""


@dataclass(frozen=True)
class Voce:
    """One choice of a closed list: a stable key and its Italian label."""

    chiave: str
    etichetta: str
    breve: str = ""
    # Partner categories the call names as networks: "richiesta" (a network is asked for) or "preferita".
    rete: str = ""

    @property
    def nome_breve(self) -> str:
        """The short label for tables, or the full one when the edition gives none."""
        return self.breve or self.etichetta


@dataclass(frozen=True)
class TipoCapofila(Voce):
    conta_come: str | None = None
    # True when the lead partner must represent one of the Patto's sectors or supply chains (an association).
    rappresentanza: bool = False
    # True for a public body: acts between public bodies owe no stamp duty (D.P.R. 642/1972, Tabella B, art. 16).
    esente_bollo: bool = False


@dataclass(frozen=True)
class Ambito(Voce):
    min_province: int = 0
    max_province: int | None = None
    tutte_o_nessuna: bool = False


@dataclass(frozen=True)
class Edizione:
    """One edition of the call, as data."""

    chiave: str
    titolo: str
    fase: str
    ente: str
    riferimento: str
    # Who the manifestazione di interesse is addressed to, one line each (the act's "Spett.le" block).
    destinatario: tuple[str, ...]
    edizione_ateco: str
    minimo_categorie_ulteriori: int
    # The submission window: from `apertura` at `apertura_ora` to `chiusura` at `chiusura_ora`, both inclusive, in
    # the edition's time zone (a day alone: from 00:00:00 of the first to 23:59:59 of the last).
    apertura: date
    chiusura: date
    fuso_orario: str
    capofila: tuple[TipoCapofila, ...]
    categorie_obbligatorie: tuple[Voce, ...]
    categorie_ulteriori: tuple[Voce, ...]
    # Members that fit no category of the call ("altro soggetto"): allowed, counted for no rule.
    categorie_altre: tuple[Voce, ...]
    ambiti: tuple[Ambito, ...]
    province: tuple[Voce, ...]  # chiave = sigla, etichetta = full name, breve = name for tables
    apertura_ora: time = time(0, 0, 0)
    chiusura_ora: time = time(23, 59, 59)
    # Who receives the applications filed on the portal, one line each (the receipt, the footer, the home page).
    ufficio: tuple[str, ...] = ()
    # What happens after the submission (the administration's deadlines), one paragraph each, for the receipt.
    dopo_la_presentazione: tuple[str, ...] = ()
    # Are the partners' signed letters of adhesion needed to submit (True), or may they follow (False)?
    lettere_alla_presentazione: bool = True
    # The stamp duty (*marca da bollo*, in euro) the application owes, unless its lead partner is exempt; None: the
    # edition asks for none.
    bollo: Decimal | None = None

    @property
    def zona(self) -> ZoneInfo:
        return ZoneInfo(self.fuso_orario)

    @cached_property
    def tipi_capofila(self) -> dict[str, TipoCapofila]:
        return {t.chiave: t for t in self.capofila}

    @cached_property
    def categorie(self) -> dict[str, Voce]:
        """Every partner category of the call, mandatory first, in the order of the call."""
        return {c.chiave: c for c in (*self.categorie_obbligatorie, *self.categorie_ulteriori)}

    @cached_property
    def categorie_partner(self) -> dict[str, Voce]:
        """Every category a partner may have: the call's, then those counted for no rule."""
        return {**self.categorie, **{c.chiave: c for c in self.categorie_altre}}

    @cached_property
    def ambiti_per_chiave(self) -> dict[str, Ambito]:
        return {a.chiave: a for a in self.ambiti}

    @cached_property
    def nomi_province(self) -> dict[str, str]:
        return {p.chiave: p.etichetta for p in self.province}

    def window(self, today: date) -> tuple[str, int]:
        """Where `today` (in the edition's time zone) stands: ("prima", days to the opening), ("aperta", days left,
        today included) or ("chiusa", days since the closing)."""
        if today < self.apertura:
            return "prima", (self.apertura - today).days
        if today <= self.chiusura:
            return "aperta", (self.chiusura - today).days + 1
        return "chiusa", (today - self.chiusura).days

    @property
    def opens_at(self) -> datetime:
        """The first second of the window, in the edition's time zone."""
        return datetime.combine(self.apertura, self.apertura_ora, tzinfo=self.zona)

    @property
    def closes_at(self) -> datetime:
        """The last second of the window (inclusive), in the edition's time zone."""
        return datetime.combine(self.chiusura, self.chiusura_ora, tzinfo=self.zona)

    def is_open_at(self, when: datetime) -> bool:
        """Is the aware moment `when` inside the window? Counted in whole seconds: 23:59:59.900 of the last second is
        still inside, 00:00:00 after it is not."""
        # Compared as instants (UTC): two datetimes of one zone compare by wall clock, which the hour that repeats
        # when daylight saving time ends would confuse.
        moment = when.astimezone(UTC).replace(microsecond=0)
        return self.opens_at.astimezone(UTC) <= moment <= self.closes_at.astimezone(UTC)

    def with_window(self, apertura: date | datetime | None = None,
                    chiusura: date | datetime | None = None) -> Edizione:
        """Return this edition with another submission window (operators set it by configuration): a day, or a day
        and a time (a day alone keeps the edition's time of that end)."""
        changes: dict = {}
        for end, value in (("apertura", apertura), ("chiusura", chiusura)):
            if isinstance(value, datetime):
                if value.tzinfo is not None:
                    value = value.astimezone(self.zona).replace(tzinfo=None)
                changes[end], changes[f"{end}_ora"] = value.date(), value.time().replace(microsecond=0)
            elif isinstance(value, date):
                changes[end] = value
        nuova = replace(self, **changes)
        if nuova.closes_at < nuova.opens_at:
            raise EditionError(f"window closes ({nuova.closes_at}) before it opens ({nuova.opens_at})")
        return nuova


def _voci(raw: dict, key: str, cls: type, path: Path, *, optional: bool = False, **names: str) -> tuple:
    items = raw.get(key, [] if optional else None)
    if not isinstance(items, list) or not (items or optional):
        raise EditionError(f"{path.name}: '{key}' must be a non-empty list of tables")
    out = []
    for i, item in enumerate(items):
        try:
            args = {names.get(k, k): v for k, v in item.items()}
            out.append(cls(**args))
        except TypeError as exc:
            raise EditionError(f"{path.name}: {key}[{i}]: {exc}") from None
    keys = [v.chiave for v in out]
    if len(set(keys)) != len(keys):
        raise EditionError(f"{path.name}: '{key}' repeats a key")
    return tuple(out)


def _stamp_duty(raw: dict, path: Path) -> Decimal | None:
    """The amount of the stamp duty of the `[bollo]` table (`dovuto = true`, `importo`), or None."""
    bollo = raw.get("bollo", {})
    if not isinstance(bollo, dict) or not isinstance(bollo.get("dovuto", False), bool):
        raise EditionError(f"{path.name}: 'bollo' must be a table with dovuto = true or false")
    if not bollo.get("dovuto", False):
        return None
    importo = bollo.get("importo")
    if isinstance(importo, bool) or not isinstance(importo, int | float) or importo <= 0:
        raise EditionError(f"{path.name}: bollo.importo must be a positive amount in euro")
    return Decimal(str(importo)).quantize(Decimal("0.01"))


def parse_edition(path: Path) -> Edizione:
    """Read and check one edition definition file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise EditionError(f"{path}: {exc}") from None
    finestra = raw.get("finestra", {})
    try:
        edizione = Edizione(
            chiave=raw["chiave"],
            titolo=raw["titolo"],
            fase=raw.get("fase", ""),
            ente=raw["ente"],
            riferimento=raw.get("riferimento", ""),
            destinatario=tuple(raw.get("destinatario", [raw["ente"]])),
            edizione_ateco=str(raw["edizione_ateco"]),
            minimo_categorie_ulteriori=int(raw["minimo_categorie_ulteriori"]),
            apertura=_day(finestra["apertura"]),
            chiusura=_day(finestra["chiusura"]),
            fuso_orario=finestra.get("fuso_orario", "Europe/Rome"),
            capofila=_voci(raw, "capofila", TipoCapofila, path),
            categorie_obbligatorie=_voci(raw, "categorie_obbligatorie", Voce, path),
            categorie_ulteriori=_voci(raw, "categorie_ulteriori", Voce, path),
            categorie_altre=_voci(raw, "categorie_altre", Voce, path, optional=True),
            ambiti=_voci(raw, "ambiti", Ambito, path),
            province=_voci(raw, "province", Voce, path, sigla="chiave", nome="etichetta"),
            ufficio=_lines(raw, "ufficio", path),
            dopo_la_presentazione=_lines(raw, "dopo_la_presentazione", path),
            lettere_alla_presentazione=bool(raw.get("lettere_alla_presentazione", True)),
            bollo=_stamp_duty(raw, path),
        )
    except KeyError as exc:
        raise EditionError(f"{path.name}: missing key {exc}") from None
    if not isinstance(edizione.apertura, date) or not isinstance(edizione.chiusura, date):
        raise EditionError(f"{path.name}: finestra.apertura and finestra.chiusura must be dates")
    try:
        edizione.zona  # noqa: B018 - fail now, not at submission time
    except (ZoneInfoNotFoundError, ValueError):
        raise EditionError(f"{path.name}: unknown time zone {edizione.fuso_orario!r}") from None
    every = (*edizione.categorie_obbligatorie, *edizione.categorie_ulteriori, *edizione.categorie_altre)
    if len(edizione.categorie_partner) != len(every):
        raise EditionError(f"{path.name}: a category is listed twice (mandatory, further or other)")
    for voce in every:
        if voce.rete not in ("", "richiesta", "preferita"):
            raise EditionError(f"{path.name}: category {voce.chiave!r}: rete must be \"richiesta\" or \"preferita\"")
    for tipo in edizione.capofila:
        if tipo.conta_come is not None and tipo.conta_come not in edizione.categorie:
            raise EditionError(f"{path.name}: capofila {tipo.chiave!r} counts as unknown {tipo.conta_come!r}")
    return edizione.with_window(finestra["apertura"], finestra["chiusura"])


def _day(value: object) -> object:
    """A window's end as a day (a datetime's time is applied by `with_window`); anything else is refused later."""
    return value.date() if isinstance(value, datetime) else value


def _lines(raw: dict, key: str, path: Path) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(line, str) and line.strip() for line in value):
        raise EditionError(f"{path.name}: '{key}' must be a list of texts")
    return tuple(value)


@cache
def load_edition(key: str = DEFAULT_EDITION) -> Edizione:
    """Load an edition by key (a file in this folder) or by path to a definition file."""
    path = Path(key) if key.endswith(".toml") else FOLDER / f"{key}.toml"
    if not path.is_file():
        raise EditionError(f"unknown edition of the call: {key!r}")
    return parse_edition(path)
