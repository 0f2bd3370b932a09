"""The call's rules as a pure function: an application and an edition in, every finding out.

No Flask, no SQLAlchemy. The codes are stable (docs/contract.md, section 2); messages are Italian through the shared
catalogue, and a finding about one item of a list names it ("Partner 4 «Cooperativa Il Ponte»: manca la
categoria."). Codice fiscale and partita IVA check digits come from python-stdnum, ATECO codes from the `ateco`
package. The checklist and the sections' states are views of the findings, never a second copy of the rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, lru_cache
from typing import TYPE_CHECKING

import ateco
from stdnum.it import codicefiscale

from patti_web.avviso import sezioni
from patti_web.avviso.codice_fiscale import cf_matches_name, expected_letters, is_person_code
from patti_web.avviso.domanda import Domanda, LegaleRappresentante
from patti_web.avviso.edizioni import Edizione
from patti_web.avviso.words import stems, words
from patti_web.i18n import N_, format_date, format_datetime
from patti_web.i18n import gettext as _

if TYPE_CHECKING:  # the package returns this type but does not export its name
    from ateco._api import AtecoNode

ERROR = "error"
WARNING = "warning"

CAMPO_OBBLIGATORIO = "CAMPO_OBBLIGATORIO"
CAPOFILA_TIPOLOGIA = "CAPOFILA_TIPOLOGIA"
CATEGORIA_SCONOSCIUTA = "CATEGORIA_SCONOSCIUTA"
CATEGORIA_OBBLIGATORIA_MANCANTE = "CATEGORIA_OBBLIGATORIA_MANCANTE"
CATEGORIE_ULTERIORI_INSUFFICIENTI = "CATEGORIE_ULTERIORI_INSUFFICIENTI"
TERRITORIO_PROVINCE = "TERRITORIO_PROVINCE"
PROVINCIA_SCONOSCIUTA = "PROVINCIA_SCONOSCIUTA"
SOGGETTO_DUPLICATO = "SOGGETTO_DUPLICATO"
CODICE_FISCALE_NON_VALIDO = "CODICE_FISCALE_NON_VALIDO"
FABBISOGNO_SENZA_FONTE = "FABBISOGNO_SENZA_FONTE"
INTERVENTO_SENZA_FABBISOGNO = "INTERVENTO_SENZA_FABBISOGNO"
FABBISOGNO_SENZA_INTERVENTO = "FABBISOGNO_SENZA_INTERVENTO"
FUORI_FINESTRA = "FUORI_FINESTRA"
ATECO_SCONOSCIUTO = "ATECO_SCONOSCIUTO"
# Added with patti-web/domanda@2 (never reported for a @1 document, which could not say these things).
RAPPRESENTANZA_NON_COERENTE = "RAPPRESENTANZA_NON_COERENTE"
RETE_ATTESA = "RETE_ATTESA"
LEGALE_RAPPRESENTANTE_MANCANTE = "LEGALE_RAPPRESENTANTE_MANCANTE"
CODICE_FISCALE_NON_CORRISPONDE = "CODICE_FISCALE_NON_CORRISPONDE"
BOLLO_IDENTIFICATIVO_NON_VALIDO = "BOLLO_IDENTIFICATIVO_NON_VALIDO"
BOLLO_DATA_NON_VALIDA = "BOLLO_DATA_NON_VALIDA"
BOLLO_DICHIARAZIONE_MANCANTE = "BOLLO_DICHIARAZIONE_MANCANTE"
PROCURATORE_INCOMPLETO = "PROCURATORE_INCOMPLETO"

SEVERITY = {
    CAMPO_OBBLIGATORIO: ERROR,
    CAPOFILA_TIPOLOGIA: ERROR,
    CATEGORIA_SCONOSCIUTA: ERROR,
    CATEGORIA_OBBLIGATORIA_MANCANTE: ERROR,
    CATEGORIE_ULTERIORI_INSUFFICIENTI: ERROR,
    TERRITORIO_PROVINCE: ERROR,
    PROVINCIA_SCONOSCIUTA: ERROR,
    SOGGETTO_DUPLICATO: ERROR,
    CODICE_FISCALE_NON_VALIDO: ERROR,
    FABBISOGNO_SENZA_FONTE: ERROR,
    INTERVENTO_SENZA_FABBISOGNO: ERROR,
    FABBISOGNO_SENZA_INTERVENTO: WARNING,
    FUORI_FINESTRA: ERROR,
    ATECO_SCONOSCIUTO: WARNING,
    RAPPRESENTANZA_NON_COERENTE: WARNING,
    RETE_ATTESA: WARNING,
    LEGALE_RAPPRESENTANTE_MANCANTE: WARNING,
    CODICE_FISCALE_NON_CORRISPONDE: WARNING,
    BOLLO_IDENTIFICATIVO_NON_VALIDO: ERROR,
    BOLLO_DATA_NON_VALIDA: ERROR,
    BOLLO_DICHIARAZIONE_MANCANTE: ERROR,
    PROCURATORE_INCOMPLETO: ERROR,
}

# Required fields, by path without list indices: what is missing, in words ("la categoria"). A message puts it after
# the place it is missing from: "Partner 4 «Cooperativa Il Ponte»: manca la categoria.".
FIELD_LABELS = {
    "titolo": N_("the title of the Patto"),
    "capofila.denominazione": N_("the name of the organisation"),
    "capofila.codice_fiscale": N_("the codice fiscale"),
    "capofila.sede.indirizzo": N_("the address of the registered office"),
    "capofila.sede.comune": N_("the municipality of the registered office"),
    "capofila.sede.provincia": N_("the province of the registered office"),
    "capofila.sede.cap": N_("the postcode of the registered office"),
    "capofila.pec": N_("the PEC address"),
    "capofila.legale_rappresentante.nome": N_("the legal representative's first name"),
    "capofila.legale_rappresentante.cognome": N_("the legal representative's surname"),
    "capofila.legale_rappresentante.codice_fiscale": N_("the legal representative's codice fiscale"),
    "capofila.referente.nome": N_("the contact person's first name"),
    "capofila.referente.cognome": N_("the contact person's surname"),
    "capofila.referente.email": N_("the contact person's email"),
    "partner.denominazione": N_("the name"),
    "partner.categoria": N_("the category"),
    "partner.codice_fiscale": N_("the codice fiscale"),
    "partner.sede.comune": N_("the municipality of the seat"),
    "partner.sede.provincia": N_("the province of the seat"),
    "territorio.ambito": N_("the territorial scope"),
    "settori": N_("at least one sector or supply chain"),
    "settori.descrizione": N_("the description"),
    "fabbisogni": N_("at least one skills need"),
    "fabbisogni.id": N_("the code"),
    "fabbisogni.titolo": N_("the title"),
    "fabbisogni.descrizione": N_("the description"),
    "fabbisogni.lacune_politiche_attive": N_("why current active labour policies do not answer it"),
    "fabbisogni.fonti.titolo": N_("the title"),
    "fabbisogni.fonti.autore": N_("the author or body"),
    "fabbisogni.fonti.anno": N_("the year"),
    "interventi": N_("at least one intervention"),
    "interventi.titolo": N_("the title"),
    "interventi.descrizione": N_("the description"),
}
# Required only in some cases (said where they are checked).
CONDITIONAL_LABELS = {
    "capofila.rappresentanza.descrizione": N_("the sector or supply chain it represents"),
    # When the stamp duty is due (stamp_duty).
    "capofila.bollo.identificativo": N_("the identifier of the marca da bollo"),
    "capofila.bollo.data": N_("the date of the marca da bollo"),
}
# What a procuratore who signs the act must give (PROCURATORE_INCOMPLETO): only when one is given at all.
PROCURATORE_LABELS = {
    "capofila.procuratore.nome": N_("the procuratore's first name"),
    "capofila.procuratore.cognome": N_("the procuratore's surname"),
    "capofila.procuratore.codice_fiscale": N_("the procuratore's codice fiscale"),
    "capofila.procuratore.procura_numero": N_("the number of the procura"),
    "capofila.procuratore.procura_data": N_("the date of the procura"),
}


# Fields the call always asks for whose absence has a code of its own (not CAMPO_OBBLIGATORIO).
REQUIRED_WITH_OWN_CODE = {"capofila.tipologia": CAPOFILA_TIPOLOGIA}


def is_required(path: str) -> bool:
    """Does the call always ask for the field at this generic path (e.g. `partner.sede.comune`)?"""
    return path in FIELD_LABELS or path in REQUIRED_WITH_OWN_CODE


@dataclass(frozen=True)
class Finding:
    """One finding of the rule engine: stable code, severity, where, and an Italian message."""

    code: str
    severity: str
    path: str
    message: str
    # What the finding is about, when a path is not enough (e.g. the missing category's key). Not in the JSON.
    ref: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "severity": self.severity, "path": self.path, "message": self.message}

    @property
    def section(self) -> str:
        """The key of the section the finding is in (`partner[2].categoria` -> "partenariato"), "" for none."""
        found = sezioni.of_path(self.path)
        return found.chiave if found is not None else ""

    def as_line(self) -> str:
        return f"{self.severity.upper()} {self.code} {self.path}: {self.message}"


def _finding(code: str, path: str, message: str, ref: str = "") -> Finding:
    return Finding(code, SEVERITY[code], path, message, ref)


def _about(where: str, message: str) -> str:
    """A message about one part of the application, led by its name: "Partner 4 «X»: ..."."""
    return _("%(where)s: %(message)s", where=where, message=message) if where else message


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _required(path: str, value: object, where: str) -> Iterator[Finding]:
    """CAMPO_OBBLIGATORIO when `value` is empty: "<where>: manca <what>." (only "Manca <what>." without a place)."""
    if _blank(value) or value == []:
        generic = _generic(path)
        what = _(FIELD_LABELS.get(generic) or CONDITIONAL_LABELS[generic])
        message = _("%(what)s is missing.", what=what)
        yield _finding(CAMPO_OBBLIGATORIO, path, _about(where, message))


def _generic(path: str) -> str:
    """`partner[2].sede.comune` -> `partner.sede.comune`."""
    out, depth = [], 0
    for char in path:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif depth == 0:
            out.append(char)
    return "".join(out)


@cache
def _required_under(generic: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The required fields below a generic path, as (rest of the path, its parts)."""
    start = generic + "."
    return tuple((p[len(start):], tuple(p[len(start):].split("."))) for p in FIELD_LABELS if p.startswith(start))


def _required_fields(obj: object, prefix: str, where: str) -> Iterator[Finding]:
    """Check the required scalar fields of `obj` and of the objects nested in it (not of its lists)."""
    for rest, parts in _required_under(_generic(prefix)):
        value = obj
        for part in parts:
            value = getattr(value, part)
            if isinstance(value, list):
                break
        if not isinstance(value, list) and _blank(value):
            yield from _required(f"{prefix}.{rest}", value, where)


def _section_label(key: str) -> str:
    return sezioni.BY_KEY[key].label


def _item(key: str, items: list, index: int) -> str:
    """The name of the `index`-th item of a list section, as messages lead with it."""
    return sezioni.BY_KEY[key].item_name(items[index], index)


@lru_cache(maxsize=16384)
def normalize_tax_code(value: str) -> str:
    """Codice fiscale / partita IVA in compact form (no spaces, upper case, a partita IVA without its "IT"), for
    comparison and checking; cached, it is pure and every save compares every member's."""
    compact = codicefiscale.compact(value or "")
    return compact[2:] if len(compact) == 13 and compact.startswith("IT") and compact[2:].isdigit() else compact


@lru_cache(maxsize=8192)
def is_valid_tax_code(value: str) -> bool:
    """Codice fiscale or partita IVA with a correct check character (python-stdnum); cached, it is pure."""
    return codicefiscale.is_valid(normalize_tax_code(value))


def _tax_code(path: str, value: str, where: str) -> Iterator[Finding]:
    if _blank(value):
        return
    if not is_valid_tax_code(value):
        yield _finding(
            CODICE_FISCALE_NON_VALIDO,
            path,
            _about(where, _("\u201c%(value)s\u201d is not a valid codice fiscale or partita IVA (wrong length, "
                            "characters or check digit).", value=value.strip())),
        )


def check_person(path: str, person: LegaleRappresentante, where: str, *, v1: bool = False) -> Iterator[Finding]:
    """A person's codice fiscale (`path` is the person, e.g. `capofila.legale_rappresentante`): its check character,
    then (`@2`) its letters against the person's surname and name, a warning that names both. Any person with
    `nome`, `cognome` and `codice_fiscale` (a legal representative, a procuratore) is checked the same way."""
    yield from _tax_code(f"{path}.codice_fiscale", person.codice_fiscale, where)
    cf = normalize_tax_code(person.codice_fiscale)
    if v1 or not is_person_code(cf) or not is_valid_tax_code(cf):
        return
    if not cf_matches_name(cf, person.nome, person.cognome):
        yield _finding(CODICE_FISCALE_NON_CORRISPONDE, f"{path}.codice_fiscale", _about(where, _(
            "the codice fiscale %(cf)s does not match %(name)s (surname and name would give %(letters)s): check "
            "the name and the code.", cf=cf, name=" ".join(f"{person.nome.strip()} {person.cognome.strip()}".split()),
            letters=expected_letters(person.nome, person.cognome))))


# Whether the marca da bollo is due (stamp_duty): due; the edition asks for none; the lead partner is exempt (a
# public body); not known yet (the type of lead partner is not chosen, or not one of the call's).
STAMP_DUE, STAMP_NOT_ASKED, STAMP_EXEMPT, STAMP_UNDECIDED = "dovuto", "non_previsto", "esente", "da_stabilire"
STAMP_DIGITS = 14


def stamp_duty_of_type(tipologia: str, edizione: Edizione) -> str:
    """Whether a lead partner of this type owes the edition's marca da bollo: STAMP_DUE, STAMP_NOT_ASKED,
    STAMP_EXEMPT (acts between public bodies owe none) or STAMP_UNDECIDED (no type of the call given yet)."""
    if edizione.bollo is None:
        return STAMP_NOT_ASKED
    tipo = edizione.tipi_capofila.get((tipologia or "").strip())
    if tipo is None:
        return STAMP_UNDECIDED
    return STAMP_EXEMPT if tipo.esente_bollo else STAMP_DUE


def stamp_duty(domanda: Domanda, edizione: Edizione) -> str:
    """Whether the application owes the edition's marca da bollo (a `@1` document, which cannot hold one, does not):
    see stamp_duty_of_type."""
    return STAMP_NOT_ASKED if domanda.is_v1 else stamp_duty_of_type(domanda.capofila.tipologia, edizione)


def stamp_due(domanda: Domanda, edizione: Edizione) -> bool:
    """Must the application bear a marca da bollo (its identifier, date and declaration)?"""
    return stamp_duty(domanda, edizione) == STAMP_DUE


def stamp_date(value: str) -> date | None:
    """The date of a marca da bollo as the document holds it (YYYY-MM-DD), or None when it is not one."""
    try:
        return date.fromisoformat(value.strip()) if len(value.strip()) == 10 else None
    except ValueError:
        return None


def check_stamp(domanda: Domanda, edizione: Edizione, on: date | None = None) -> Iterator[Finding]:
    """When the stamp is due: its identifier (14 digits), its date (not after `on`, the day of submission, when
    given) and the declaration that it serves this application only."""
    if not stamp_due(domanda, edizione):
        return
    bollo, where = domanda.capofila.bollo, _("%(where)s, marca da bollo", where=_section_label("capofila"))
    identificativo = bollo.identificativo.strip()
    yield from _required("capofila.bollo.identificativo", identificativo, where)
    if identificativo and not (len(identificativo) == STAMP_DIGITS and identificativo.isascii()
                               and identificativo.isdigit()):
        yield _finding(BOLLO_IDENTIFICATIVO_NON_VALIDO, "capofila.bollo.identificativo", _about(where, _(
            "\u201c%(value)s\u201d is not the identifier of a marca da bollo: it has %(digits)s digits, printed on "
            "the stamp.", value=identificativo, digits=STAMP_DIGITS)))
    yield from _required("capofila.bollo.data", bollo.data, where)
    day = stamp_date(bollo.data)
    if not _blank(bollo.data) and day is None:
        yield _finding(BOLLO_DATA_NON_VALIDA, "capofila.bollo.data", _about(where, _(
            "\u201c%(value)s\u201d is not a date (the document writes it YYYY-MM-DD).", value=bollo.data.strip())))
    elif day is not None and on is not None and day > on:
        yield _finding(BOLLO_DATA_NON_VALIDA, "capofila.bollo.data", _about(where, _(
            "its date, %(day)s, is after the day of submission (%(today)s): give the date printed on the stamp.",
            day=format_date(day), today=format_date(on))))
    if not bollo.dichiarazione:
        yield _finding(BOLLO_DICHIARAZIONE_MANCANTE, "capofila.bollo.dichiarazione", _about(where, _(
            "declare, under D.P.R. 445/2000, that the stamp is used for this application only and kept.")))


def check_capofila(domanda: Domanda, edizione: Edizione) -> Iterator[Finding]:
    capofila = domanda.capofila
    where = _section_label("capofila")
    yield from _required_fields(capofila, "capofila", where)
    tipologia = capofila.tipologia.strip()
    if not tipologia:
        yield _finding(CAPOFILA_TIPOLOGIA, "capofila.tipologia",
                       _about(where, _("the type of the lead partner is missing.")))
    elif tipologia not in edizione.tipi_capofila:
        yield _finding(
            CAPOFILA_TIPOLOGIA,
            "capofila.tipologia",
            _("\u201c%(value)s\u201d cannot lead: the lead partner must be one of: %(allowed)s.",
              value=tipologia, allowed="; ".join(t.etichetta for t in edizione.capofila)),
        )
    provincia = capofila.sede.provincia.strip()
    if provincia and provincia.upper() not in edizione.nomi_province:
        yield _unknown_province("capofila.sede.provincia", provincia, edizione, where)
    yield from _tax_code("capofila.codice_fiscale", capofila.codice_fiscale, where)
    yield from check_person("capofila.legale_rappresentante", capofila.legale_rappresentante,
                            _("%(where)s, legal representative", where=where), v1=domanda.is_v1)
    tipo = edizione.tipi_capofila.get(tipologia)
    if tipo is not None and tipo.rappresentanza and not domanda.is_v1:
        yield from _represented_sector(domanda, edizione, where)
    yield from _procuratore(domanda, where)


def _procuratore(domanda: Domanda, where: str) -> Iterator[Finding]:
    """A procuratore signs the act instead of the legal representative: who they are and by which procura."""
    procuratore = domanda.capofila.procuratore
    if not procuratore.is_given:
        return
    for path, label in PROCURATORE_LABELS.items():
        if _blank(getattr(procuratore, path.rsplit(".", 1)[1])):
            yield _finding(PROCURATORE_INCOMPLETO, path, _about(where, _(
                "%(what)s is missing: a procuratore signs the act only with their data and those of the procura.",
                what=_(label))))
    yield from check_person("capofila.procuratore", procuratore, _("%(where)s, procuratore", where=where),
                            v1=domanda.is_v1)


def _represented_sector(domanda: Domanda, edizione: Edizione, where: str) -> Iterator[Finding]:
    """An association leads a Patto of one of the sectors or supply chains it represents (the call's wording)."""
    rappresentanza = domanda.capofila.rappresentanza
    if _blank(rappresentanza.descrizione):
        yield from _required("capofila.rappresentanza.descrizione", rappresentanza.descrizione, where)
        return
    if not domanda.settori or represents_a_sector(domanda, edizione):
        return
    yield _finding(
        RAPPRESENTANZA_NON_COERENTE,
        "capofila.rappresentanza",
        _("The sector the lead partner represents (\u201c%(represented)s\u201d) matches none of the sectors of the "
          "Patto: the call asks for an association representing one of them. Check the description and the ATECO "
          "codes of both.", represented=rappresentanza.descrizione.strip()[:120]),
    )


# Words too common in sector descriptions to tell two sectors apart (stems of the Italian Snowball stemmer).
_GENERIC_STEMS = frozenset(stems(
    "settore settori filiera filiere comparto comparti attività impresa imprese servizi servizio associazione "
    "associazioni produzione prodotti lavoro altri altre vari varie generale industria industriale".split()
))


def _stems(texts: Iterable[str]) -> set[str]:
    """Significant word stems of some Italian texts: no accents, no short words, no generic sector words."""
    return set(stems([w for text in texts for w in words(text) if len(w) >= 4])) - _GENERIC_STEMS


def _ateco_lineage(code: str, edizione: Edizione) -> list[str]:
    """The code and every level above it in the classification (25.62 -> 25.6, 25, C), or [] if unknown."""
    lineage = []
    node = ateco_node(code, edizione)
    while node is not None:
        lineage.append(node.code)
        node = ateco_node(node.parent, edizione) if node.parent else None
    return lineage


def represents_a_sector(domanda: Domanda, edizione: Edizione) -> bool:
    """Does the lead partner's represented sector match one of the Patto's, by ATECO code or by words?

    Codes match when one contains the other (C contains 25.62). Words match when the two descriptions (and the
    titles of their ATECO codes) share a significant word stem: "meccanica" and "meccanico" do.
    """
    rappresentanza = domanda.capofila.rappresentanza
    theirs = [c for c in rappresentanza.ateco if c.strip()]
    ours = [c for s in domanda.settori for c in s.ateco if c.strip()]
    for code in theirs:
        for other in ours:
            if code in _ateco_lineage(other, edizione) or other in _ateco_lineage(code, edizione):
                return True

    def titles(codes: list[str]) -> list[str]:
        return [node.title for node in (ateco_node(c, edizione) for c in codes) if node is not None]

    mine = _stems([rappresentanza.descrizione, *titles(theirs)])
    patto = _stems([s.descrizione for s in domanda.settori] + titles(ours))
    return bool(mine & patto)


def _unknown_province(path: str, sigla: str, edizione: Edizione, where: str) -> Finding:
    return _finding(
        PROVINCIA_SCONOSCIUTA,
        path,
        _about(where, _("\u201c%(value)s\u201d is not one of the provinces of the call (%(allowed)s).",
                        value=sigla, allowed=", ".join(edizione.nomi_province))),
    )


def categories_present(domanda: Domanda, edizione: Edizione) -> set[str]:
    """The partner categories of the call that the partnership covers (the lead counts as the edition says)."""
    presenti = {p.categoria.strip() for p in domanda.partner} & set(edizione.categorie)
    tipo = edizione.tipi_capofila.get(domanda.capofila.tipologia.strip())
    if tipo is not None and tipo.conta_come:
        presenti.add(tipo.conta_come)
    return presenti


def check_partnership(domanda: Domanda, edizione: Edizione) -> Iterator[Finding]:
    # "Altro soggetto" came with @2: in a @1 document it is as unknown as it was.
    categorie = edizione.categorie if domanda.is_v1 else edizione.categorie_partner
    presenti = categories_present(domanda, edizione)
    seen: dict[str, str] = {}
    cf_capofila = normalize_tax_code(domanda.capofila.codice_fiscale)
    if cf_capofila:
        name = domanda.capofila.denominazione.strip()
        seen[cf_capofila] = _("the lead partner \u00ab%(name)s\u00bb", name=name) if name else _("the lead partner")
    for i, partner in enumerate(domanda.partner):
        path = f"partner[{i}]"
        where = _item("partenariato", domanda.partner, i)
        yield from _required_fields(partner, path, where)
        categoria = partner.categoria.strip()
        if categoria and categoria not in categorie:
            yield _finding(
                CATEGORIA_SCONOSCIUTA,
                f"{path}.categoria",
                _about(where, _("\u201c%(value)s\u201d is not a partner category of the call.", value=categoria)),
            )
        elif categorie.get(categoria) is not None and categorie[categoria].rete and partner.rete is False:
            yield _network_expected(path, where, categorie[categoria])
        if not domanda.is_v1 and _blank(partner.legale_rappresentante.nome + partner.legale_rappresentante.cognome):
            yield _finding(
                LEGALE_RAPPRESENTANTE_MANCANTE,
                f"{path}.legale_rappresentante",
                _about(where, _("its letter of adhesion will have blank lines instead of its legal representative: "
                                "give their name to print it filled in.")),
            )
        yield from _tax_code(f"{path}.codice_fiscale", partner.codice_fiscale, where)
        if not domanda.is_v1:
            yield from check_person(f"{path}.legale_rappresentante", partner.legale_rappresentante,
                                    _("%(where)s, legal representative", where=where))
        cf = normalize_tax_code(partner.codice_fiscale)
        if cf in seen:
            yield _finding(
                SOGGETTO_DUPLICATO,
                f"{path}.codice_fiscale",
                _about(where, _("it has the same codice fiscale (%(cf)s) as %(other)s: each member takes part once.",
                                cf=cf, other=seen[cf])),
            )
        elif cf:
            seen[cf] = where
    for categoria in edizione.categorie_obbligatorie:
        if categoria.chiave not in presenti:
            yield _finding(
                CATEGORIA_OBBLIGATORIA_MANCANTE,
                "partner",
                _("The partnership has no member of the mandatory category \u201c%(label)s\u201d.",
                  label=categoria.etichetta),
                ref=categoria.chiave,
            )
    ulteriori = len(presenti & {c.chiave for c in edizione.categorie_ulteriori})
    if ulteriori < edizione.minimo_categorie_ulteriori:
        yield _finding(
            CATEGORIE_ULTERIORI_INSUFFICIENTI,
            "partner",
            _("The partnership must include at least %(min)s further categories of members: %(count)s present.",
              min=edizione.minimo_categorie_ulteriori, count=ulteriori),
        )


def _network_expected(path: str, where: str, categoria) -> Finding:
    if categoria.rete == "richiesta":
        message = _("it is a single body, but the call asks for a network in the category \u201c%(label)s\u201d: list "
                    "the network (or the body that represents it) instead.", label=categoria.nome_breve)
    else:
        message = _("it is a single body: in the category \u201c%(label)s\u201d the call prefers networks.",
                    label=categoria.nome_breve)
    return _finding(RETE_ATTESA, f"{path}.rete", _about(where, message))


def check_territory(domanda: Domanda, edizione: Edizione) -> Iterator[Finding]:
    territorio = domanda.territorio
    where = _section_label("territorio")
    known: list[str] = []
    for i, sigla in enumerate(territorio.province):
        value = sigla.strip().upper()
        if value in edizione.nomi_province:
            if value not in known:
                known.append(value)
        else:
            yield _unknown_province(f"territorio.province[{i}]", sigla, edizione, where)
    chiave = territorio.ambito.strip()
    if not chiave:
        yield from _required("territorio.ambito", chiave, where)
        return
    ambito = edizione.ambiti_per_chiave.get(chiave)
    if ambito is None:
        yield _finding(
            TERRITORIO_PROVINCE,
            "territorio.ambito",
            _("\u201c%(value)s\u201d is not a territorial scope of the call (%(allowed)s).",
              value=chiave, allowed=", ".join(edizione.ambiti_per_chiave)),
        )
        return
    n, total = len(known), len(edizione.province)
    if ambito.tutte_o_nessuna:
        ok = n in (0, total)
        rule = _("leave the provinces empty or select all %(total)s", total=total)
    else:
        ok = n >= ambito.min_province and (ambito.max_province is None or n <= ambito.max_province)
        if ambito.max_province == ambito.min_province:
            rule = _("select exactly %(n)s", n=ambito.min_province)
        elif ambito.max_province is None:
            rule = _("select at least %(n)s", n=ambito.min_province)
        else:
            rule = _("select between %(min)s and %(max)s", min=ambito.min_province, max=ambito.max_province)
    if not ok:
        yield _finding(
            TERRITORIO_PROVINCE,
            "territorio.province",
            _("The scope \u201c%(scope)s\u201d does not match the %(count)s provinces selected: %(rule)s.",
              scope=ambito.etichetta, count=n, rule=rule),
        )


def ateco_node(code: str, edizione: Edizione) -> AtecoNode | None:
    """The code's entry in the edition's ISTAT ATECO classification, or None (also for a malformed code)."""
    try:
        return ateco.lookup(code, edition=edizione.edizione_ateco)
    except ValueError:
        return None


def is_known_ateco(code: str, edizione: Edizione) -> bool:
    """True when `code` is in the edition's ISTAT ATECO classification."""
    return ateco_node(code, edizione) is not None


def check_sectors(domanda: Domanda, edizione: Edizione) -> Iterator[Finding]:
    yield from _required("settori", domanda.settori, _section_label("settori"))
    for i, settore in enumerate(domanda.settori):
        where = _item("settori", domanda.settori, i)
        yield from _required_fields(settore, f"settori[{i}]", where)
        for j, code in enumerate(settore.ateco):
            if not is_known_ateco(code, edizione):
                yield _finding(
                    ATECO_SCONOSCIUTO,
                    f"settori[{i}].ateco[{j}]",
                    _about(where, _("\u201c%(code)s\u201d is not in the ATECO classification in force for the call "
                                    "(%(edition)s).", code=code,
                                    edition=ateco.get_edition(edizione.edizione_ateco).title)),
                )


def check_needs_and_interventions(domanda: Domanda) -> Iterator[Finding]:
    yield from _required("fabbisogni", domanda.fabbisogni, _section_label("fabbisogni"))
    ids = {f.id.strip() for f in domanda.fabbisogni if f.id.strip()}
    for i, fabbisogno in enumerate(domanda.fabbisogni):
        path = f"fabbisogni[{i}]"
        where = _item("fabbisogni", domanda.fabbisogni, i)
        yield from _required_fields(fabbisogno, path, where)
        if not fabbisogno.fonti:
            yield _finding(
                FABBISOGNO_SENZA_FONTE,
                f"{path}.fonti",
                _about(where, _("it rests on no analysis, research or study: add at least one source.")),
            )
        for j, fonte in enumerate(fabbisogno.fonti):
            yield from _required_fields(fonte, f"{path}.fonti[{j}]",
                                        _("%(need)s, source %(n)s", need=where, n=j + 1))
    yield from _required("interventi", domanda.interventi, _section_label("interventi"))
    answered: set[str] = set()
    for i, intervento in enumerate(domanda.interventi):
        path = f"interventi[{i}]"
        where = _item("interventi", domanda.interventi, i)
        yield from _required_fields(intervento, path, where)
        if not intervento.fabbisogni:
            yield _finding(
                INTERVENTO_SENZA_FABBISOGNO,
                f"{path}.fabbisogni",
                _about(where, _("it is tied to no need.")),
            )
        for j, ref in enumerate(intervento.fabbisogni):
            if ref.strip() in ids:
                answered.add(ref.strip())
            else:
                yield _finding(
                    INTERVENTO_SENZA_FABBISOGNO,
                    f"{path}.fabbisogni[{j}]",
                    _about(where, _("it refers to the need \u201c%(ref)s\u201d, which does not exist.", ref=ref)),
                )
    for i, fabbisogno in enumerate(domanda.fabbisogni):
        if fabbisogno.id.strip() not in answered:
            yield _finding(
                FABBISOGNO_SENZA_INTERVENTO,
                f"fabbisogni[{i}]",
                _about(_item("fabbisogni", domanda.fabbisogni, i), _("no intervention answers it.")),
            )


def check_window(edizione: Edizione, when: datetime) -> Iterator[Finding]:
    """Submission only: is `when` (aware, any zone) inside the edition's window, to the second, in the edition's
    time zone?"""
    if not edizione.is_open_at(when):
        yield _finding(
            FUORI_FINESTRA,
            "domanda",
            _("Applications are accepted from %(start)s to %(end)s (Italian time); it is now %(now)s.",
              start=format_datetime(edizione.opens_at, seconds=True),
              end=format_datetime(edizione.closes_at, seconds=True), now=format_datetime(when, seconds=True)),
        )


def act_date_warning(day: date, edizione: Edizione) -> str | None:
    """The warning for documents dated `day` (the day of the application's last change, which the act prints)
    outside the edition's submission window, saying what to do; None inside it."""
    state, _days = edizione.window(day)
    if state == "aperta":
        return None
    values = {"day": format_date(day), "start": format_date(edizione.apertura), "end": format_date(edizione.chiusura)}
    if state == "prima":
        return _("The documents bear the date %(day)s, the day of the application's last change, before the "
                 "submission window opens (%(start)s to %(end)s): an act dated outside the window may not be "
                 "accepted. Once the window is open, make the last changes, then download the documents again and "
                 "sign those.", **values)
    return _("The documents bear the date %(day)s, the day of the application's last change, after the submission "
             "window closed (%(start)s to %(end)s): an act dated outside the window may not be accepted. Submit an "
             "act signed on a day of the window; if the window has been extended, make the last changes inside it, "
             "then download the documents again and sign those.", **values)


def check_application(domanda: Domanda, edizione: Edizione, *, submitted_at: datetime | None = None) -> list[Finding]:
    """Return every finding for `domanda` under `edizione`, in document order.

    :param submitted_at: the moment of submission (timezone-aware); only then is the window checked, and the date of
        the marca da bollo against that day.
    """
    on = submitted_at.astimezone(edizione.zona).date() if submitted_at is not None else None
    findings = [
        *_required("titolo", domanda.titolo, ""),
        *check_capofila(domanda, edizione),
        *check_stamp(domanda, edizione, on),
        *check_partnership(domanda, edizione),
        *check_territory(domanda, edizione),
        *check_sectors(domanda, edizione),
        *check_needs_and_interventions(domanda),
    ]
    if submitted_at is not None:
        findings.extend(check_window(edizione, submitted_at))
    return findings


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == ERROR for f in findings)


def errors_by_section(findings: list[Finding]) -> dict[str, int]:
    """How many errors each section has (keys of the sections registry, in its order; "" for none)."""
    counts = dict.fromkeys((s.chiave for s in sezioni.SEZIONI), 0)
    for finding in findings:
        if finding.severity == ERROR:
            counts[finding.section] = counts.get(finding.section, 0) + 1
    return {key: n for key, n in counts.items() if n}


# The live checklist and the task list: views of the findings above, never a second copy of the rules.


@dataclass(frozen=True)
class ChecklistItem:
    """One rule of the call as met or unmet, for the composition checklist."""

    key: str
    label: str
    met: bool
    detail: str = ""
    # The errors the item stands for, by section (key, how many): the panel links each section.
    sections: tuple[tuple[str, int], ...] = ()


def _claims(*codes: str, path: str = "", ref: str | None = None):
    """A test of the findings an item of the checklist stands for."""
    def claimed(f: Finding) -> bool:
        return f.code in codes and f.path.startswith(path) and (ref is None or f.ref == ref)

    return claimed


def checklist(domanda: Domanda, edizione: Edizione, findings: list[Finding]) -> list[ChecklistItem]:
    """Each rule of the call the partnership must meet, as met/unmet, read off the engine's findings.

    The last item, "required data complete", stands for every error no other item stands for (a missing field, a
    seat outside the call's provinces...): so every item is met only when the rules find no error at all. An item
    about something the application does not hold yet (no needs, no codice fiscale) is not met.
    """
    errors = [f for f in findings if f.severity == ERROR]
    items: list[ChecklistItem] = []
    claimed_by_items: list = []

    def rule(key: str, label: str, claims, *, present: bool = True, absent: str = "") -> None:
        claimed_by_items.append(claims)
        met = present and not any(claims(f) for f in errors)
        items.append(ChecklistItem(key, label, met, "" if present else absent))

    rule("capofila", _("The lead partner is of a type allowed by the call"), _claims(CAPOFILA_TIPOLOGIA))
    if stamp_due(domanda, edizione):
        rule("bollo", _("The marca da bollo is given and declared"),
             _claims(CAMPO_OBBLIGATORIO, BOLLO_IDENTIFICATIVO_NON_VALIDO, BOLLO_DATA_NON_VALIDA,
                     BOLLO_DICHIARAZIONE_MANCANTE, path="capofila.bollo"))
    for categoria in edizione.categorie_obbligatorie:
        rule(f"categoria-{categoria.chiave}", _("At least one member: %(label)s", label=categoria.nome_breve),
             _claims(CATEGORIA_OBBLIGATORIA_MANCANTE, ref=categoria.chiave))
    ulteriori = len(categories_present(domanda, edizione) & {c.chiave for c in edizione.categorie_ulteriori})
    minimo = edizione.minimo_categorie_ulteriori
    rule("categorie-ulteriori",
         _("At least %(min)s further categories: %(count)s (%(min)s needed)", min=minimo, count=ulteriori),
         _claims(CATEGORIE_ULTERIORI_INSUFFICIENTI))
    codes_given = bool(domanda.capofila.codice_fiscale.strip()) or any(p.codice_fiscale.strip()
                                                                        for p in domanda.partner)
    rule("soggetti", _("Valid tax codes, no member listed twice"),
         _claims(CODICE_FISCALE_NON_VALIDO, SOGGETTO_DUPLICATO, CATEGORIA_SCONOSCIUTA),
         present=codes_given, absent=_("No codice fiscale yet."))
    rule("territorio", _("Territorial scope and provinces agree"),
         _claims(TERRITORIO_PROVINCE, PROVINCIA_SCONOSCIUTA, CAMPO_OBBLIGATORIO, path="territorio"))
    rule("fabbisogni", _("Every skills need rests on at least one study"), _claims(FABBISOGNO_SENZA_FONTE),
         present=bool(domanda.fabbisogni), absent=_("No skills need yet."))
    rule("interventi", _("Every intervention answers a skills need"), _claims(INTERVENTO_SENZA_FABBISOGNO),
         present=bool(domanda.interventi), absent=_("No intervention yet."))
    others = [f for f in errors if not any(claims(f) for claims in claimed_by_items)]
    by_section = errors_by_section(others)
    detail = ""
    if others:
        detail = "; ".join(f"{sezioni.BY_KEY[key].label}: {n}" if key else str(n) for key, n in by_section.items())
        detail = _("Still to correct: %(list)s.", list=detail)
    items.append(ChecklistItem("dati", _("Required data complete and valid"), not others, detail,
                               tuple(by_section.items())))
    return items


TODO, DONE, WITH_ERRORS = "da_completare", "completato", "con_errori"


def section_statuses(domanda: Domanda, findings: list[Finding]) -> dict[str, str]:
    """Each section's state for the task list: not started, done, or with errors (warnings do not count); the
    summary is done when the whole application has no error."""
    with_errors = {f.section for f in findings if f.severity == ERROR}
    statuses = {}
    for sezione in sezioni.SEZIONI:
        if not sezione.started(domanda):
            statuses[sezione.chiave] = TODO
        else:
            statuses[sezione.chiave] = WITH_ERRORS if sezione.chiave in with_errors else DONE
    statuses[sezioni.RIEPILOGO] = DONE if not has_errors(findings) else TODO
    return statuses


def sections_done(statuses: dict[str, str]) -> int:
    """How many sections of the document are done (the summary apart): the one count every page shows."""
    return sum(statuses.get(s.chiave) == DONE for s in sezioni.SEZIONI)
