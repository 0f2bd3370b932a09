"""The manifestazione di interesse and the partners' letters of adhesion, as filled Word templates (docxtpl, autoescape
always), and their PDF.

No Flask and no database here: the builders take an application, the edition, the document's date and what identifies
the version (`Identita`: the application's number, its version, the fingerprint of its document, printed on every page
and whole in the metadata), and return bytes; the same input always gives the same bytes. `downloads` gives them for a
stored application, `pdf` converts them to PDF/A, `cache` keeps the PDFs of a stored application. The wording lives in
the templates (`manifestazione.docx`, `adesione.docx`, made by scripts/make_docx_template.py) and in the edition's data
(the addressee, the references); this module only prepares the values they show.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache, lru_cache
from pathlib import Path

import ateco
import jinja2
from docxtpl import DocxTemplate

from patti_web.avviso.domanda import Domanda, LegaleRappresentante, Partner, Referente, Sede, fingerprint
from patti_web.avviso.edizioni import Edizione
from patti_web.avviso.regole import (
    ERROR,
    STAMP_DUE,
    STAMP_EXEMPT,
    Finding,
    ateco_node,
    check_application,
    stamp_date,
    stamp_duty,
)
from patti_web.i18n import format_date
from patti_web.i18n import gettext as _

FOLDER = Path(__file__).resolve().parent
TEMPLATE = FOLDER / "manifestazione.docx"
LETTER_TEMPLATE = FOLDER / "adesione.docx"
DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
EMPTY = "\u2014"
BLANK = "_" * 30  # a line to fill in by hand
BLANK_SHORT = "_" * 18
# Word's core properties (title, author, ...) hold at most 255 characters.
CORE_PROPERTY_MAX = 255
# Characters XML 1.0 cannot hold (and Word's own separators that docxtpl would turn into breaks). The reader and
# the forms refuse them; a document built in code could still hold them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
# Tabs, runs of spaces, line ends: one space in a one-line value (a no-break space is kept, it is meant).
_SPACES = re.compile(r"[^\S\u00a0]+")
# How many hex digits of the fingerprint the pages print (the whole of it is in the metadata).
SHORT_FINGERPRINT = 12


@dataclass(frozen=True)
class Identita:
    """What identifies the version a document was built from: the application's number (its id; the official
    number comes only with submission), the version, and the version's fingerprint (patti_web.avviso.domanda)."""

    impronta: str
    numero: int | None = None
    versione: int | None = None

    @classmethod
    def of(cls, domanda: Domanda, numero: int | None = None, versione: int | None = None) -> Identita:
        return cls(fingerprint(domanda), numero, versione)

    def as_context(self) -> dict:
        return {"numero": str(self.numero) if self.numero is not None else "",
                "versione": str(self.versione) if self.versione is not None else "",
                "impronta": self.impronta, "breve": self.impronta[:SHORT_FINGERPRINT]}

    def keywords(self) -> list[str]:
        """The metadata's keywords that name the version (the PDF keeps them: pdfinfo shows them)."""
        found = [f"domanda {self.numero}"] if self.numero is not None else []
        found += [f"versione {self.versione}"] if self.versione is not None else []
        return [*found, f"SHA-256 {self.impronta}"]


@cache
def _template_bytes(path: Path = TEMPLATE) -> bytes:
    """A Word template, read from disk once per process."""
    return path.read_bytes()


class _TemplateEnvironment(jinja2.Environment):
    """docxtpl compiles every part of a template (body, headers, footers) at each render: the parts are the same
    for every document built from one template, so each is compiled once per process (a letter per partner)."""

    def from_string(self, source, globals=None, template_class=None):
        if globals is None and template_class is None:
            return self._compiled(source)
        return super().from_string(source, globals, template_class)

    @lru_cache(maxsize=64)  # noqa: B019 - one environment per process, kept for its life
    def _compiled(self, source: str) -> jinja2.Template:
        return super().from_string(source)


@cache
def _jinja_env() -> jinja2.Environment:
    return _TemplateEnvironment(autoescape=True, undefined=jinja2.StrictUndefined)


def clean(value: object) -> str:
    """User text made safe for a DOCX text node: no characters XML cannot hold, one line, and tabs or runs of
    spaces (pasted from Word) as one space."""
    return _SPACES.sub(" ", _NOT_XML.sub("", str(value or ""))).strip()


def _or_empty(value: str) -> str:
    return value or EMPTY


def paragraphs(value: str) -> list[str]:
    """Multi-line user text as a list of paragraphs (blank lines dropped)."""
    text = _NOT_XML.sub("", value or "")
    return [clean(p) for p in text.splitlines() if clean(p)] or [EMPTY]


def _join(*parts: str, sep: str = " ") -> str:
    return sep.join(clean(p) for p in parts if clean(p))


def _quoted(title: str) -> str:
    """A title as it reads inside «...»: its own guillemets become “...”, as Italian nests quotes."""
    return clean(title).replace("\u00ab", "\u201c").replace("\u00bb", "\u201d") or _("title not given yet")


_STARTS_WITH_PATTO = re.compile(r"patto\b", re.IGNORECASE)


def _patto(title: str) -> str:
    """The Patto as a sentence names it after "il"/"del": "Patto territoriale «Meccanica bresciana»", or the title as
    it is when it already says "Patto" ("Patto per la meccanica", not "Patto territoriale «Patto per la meccanica»")."""
    if _STARTS_WITH_PATTO.match(clean(title)):
        return clean(title)
    return _("Territorial pact \u00ab%(title)s\u00bb", title=_quoted(title))


def _sede(sede: Sede, edizione: Edizione) -> str:
    provincia = clean(sede.provincia)
    sigla = provincia.upper()
    city = _join(sede.cap, sede.comune)
    if provincia:
        city = f"{city} ({sigla})" if sigla in edizione.nomi_province else f"{city} ({provincia})"
    return _or_empty(_join(sede.indirizzo, city.strip(), sep=", "))


def _referente(ref: Referente) -> str:
    return _or_empty(_join(_join(ref.nome, ref.cognome), ref.email, ref.telefono, sep=" · "))


def _provincia(value: str, edizione: Edizione, *, short: bool = False) -> str:
    """A province's name in full (its short name in tables); a sigla outside the call as given."""
    value = clean(value)
    provincia = next((p for p in edizione.province if p.chiave == value.upper()), None)
    if provincia is None:
        return value or EMPTY
    return provincia.nome_breve if short else provincia.etichetta


def _ateco_description(code: str, edizione: Edizione) -> str:
    node = ateco_node(code, edizione)
    if node is not None:
        return node.title
    return _("code not in the ATECO classification in force for the call")


def _signer(person: LegaleRappresentante) -> dict[str, str]:
    """Who signs: name and codice fiscale, or lines to fill in by hand (only the digital signature's block has no
    line: it carries the name when known)."""
    name = _join(person.nome, person.cognome)
    return {"nome": name or BLANK, "firma": name, "codice_fiscale": clean(person.codice_fiscale) or BLANK_SHORT}


def _day_text(value: str) -> str:
    """A date of the document (YYYY-MM-DD) in Italian words; "" when not given."""
    try:
        return format_date(date.fromisoformat(value)) if value else ""
    except ValueError:
        return clean(value)


def _act_signer(domanda: Domanda) -> dict[str, object]:
    """Who signs the act, as the regional form asks: the procuratore when one is given (with the procura), otherwise
    the legal representative (with the office held); place and date of birth when given."""
    capofila = domanda.capofila
    procuratore = capofila.procuratore.is_given
    person = capofila.firmatario
    return {
        **_signer(person),
        "luogo_nascita": clean(person.luogo_nascita),
        "data_nascita": _day_text(person.data_nascita),
        "procuratore": procuratore,
        "carica": "" if procuratore else clean(capofila.legale_rappresentante.carica),
        "procura_numero": clean(capofila.procuratore.procura_numero) or BLANK_SHORT,
        "procura_data": _day_text(capofila.procuratore.procura_data) or BLANK_SHORT,
    }


def _draft(findings: list[Finding]) -> dict:
    errors = [clean(f.message) for f in findings if f.severity == ERROR]
    return {"bozza": bool(errors), "errori": errors, "numero_errori": len(errors)}


def _avviso(edizione: Edizione) -> dict:
    return {"ente": edizione.ente, "titolo": edizione.titolo, "fase": edizione.fase,
            "riferimento": edizione.riferimento, "destinatario": list(edizione.destinatario)}


def _member(name: str, codice_fiscale: str, sede: Sede, person: LegaleRappresentante, referente: Referente,
            edizione: Edizione) -> dict:
    return {
        "denominazione": _or_empty(clean(name)),
        "codice_fiscale": _or_empty(clean(codice_fiscale)),
        "provincia": _provincia(sede.provincia, edizione, short=True),
        "legale_rappresentante": _or_empty(_join(person.nome, person.cognome)),
        "referente": _or_empty(_join(referente.nome, referente.cognome)),
    }


def _groups(domanda: Domanda, edizione: Edizione) -> tuple[list[dict], int]:
    """The members by category of the call, mandatory first; the capofila in the category it counts for (or in a
    group of its own when it counts for none). Rows are numbered across the table."""
    categorie = edizione.categorie_partner
    order = {key: i for i, key in enumerate(categorie)}
    capofila = domanda.capofila
    tipo = edizione.tipi_capofila.get(capofila.tipologia.strip())
    lead = _member(capofila.denominazione, capofila.codice_fiscale, capofila.sede, capofila.legale_rappresentante,
                   capofila.referente, edizione)
    lead["denominazione"] = _("%(name)s (lead partner)", name=lead["denominazione"])
    by_category: dict[str, list[dict]] = {}
    counts_for = tipo.conta_come if tipo is not None and tipo.conta_come in categorie else None
    if counts_for:
        by_category[counts_for] = [lead]
    for partner in domanda.partner:
        row = _member(partner.denominazione, partner.codice_fiscale, partner.sede, partner.legale_rappresentante,
                      partner.referente, edizione)
        row["partner"] = partner
        by_category.setdefault(partner.categoria.strip(), []).append(row)
    groups = [] if counts_for else [{"etichetta": _("Lead partner, counted in no category"), "soggetti": [lead]}]
    mandatory = {c.chiave for c in edizione.categorie_obbligatorie}
    further = {c.chiave for c in edizione.categorie_ulteriori}
    for key in sorted(by_category, key=lambda k: (order.get(k, len(order)), k)):
        categoria = categorie.get(key)
        if categoria is None or (key not in edizione.categorie and domanda.is_v1):
            label = _("Category not provided by the call: %(value)s", value=_or_empty(clean(key)))
        elif key in mandatory:
            label = _("Mandatory category: %(label)s", label=categoria.etichetta)
        elif key in further:
            label = _("Further category: %(label)s", label=categoria.etichetta)
        else:
            label = _("Other members, counted in no category: %(label)s", label=categoria.nome_breve)
        groups.append({"etichetta": label, "soggetti": by_category[key]})
    n = 0
    for group in groups:
        for row in group["soggetti"]:
            n += 1
            row["n"] = str(n)
    return groups, n


def act_order(domanda: Domanda, edizione: Edizione) -> list[tuple[int, Partner]]:
    """Each partner with its number in the act's table of members (the capofila takes a number too), in that
    order: how the letters are named and listed."""
    groups, _count = _groups(domanda, edizione)
    return [(int(row["n"]), row["partner"]) for group in groups for row in group["soggetti"] if "partner" in row]


def _stamp(domanda: Domanda, edizione: Edizione) -> str:
    """What the act says of the stamp duty: the marca da bollo it bears, or why none is due ("" when the edition asks
    for none)."""
    duty = stamp_duty(domanda, edizione)
    if duty == STAMP_DUE:
        bollo = domanda.capofila.bollo
        day = stamp_date(bollo.data)
        return _("paid with the marca da bollo no. %(id)s of %(day)s, used for this application only; the original is "
                 "kept by the lead partner", id=_or_empty(clean(bollo.identificativo)),
                 day=format_date(day) if day else _or_empty(clean(bollo.data)))
    if duty == STAMP_EXEMPT:
        return _("not due: an act between public bodies (D.P.R. 642/1972, Tabella B, art. 16)")
    return ""


def manifestazione_context(domanda: Domanda, edizione: Edizione, findings: list[Finding], day: date,
                           identita: Identita | None = None) -> dict:
    """Everything the act's template shows, as plain text, already in Italian."""
    capofila = domanda.capofila
    tipo = edizione.tipi_capofila.get(capofila.tipologia.strip())
    legale = capofila.legale_rappresentante
    groups, members = _groups(domanda, edizione)
    for group in groups:
        for row in group["soggetti"]:
            row.pop("partner", None)
    counts_for = edizione.categorie.get(tipo.conta_come) if tipo is not None and tipo.conta_come else None

    ambito = edizione.ambiti_per_chiave.get(domanda.territorio.ambito.strip())
    province = [_provincia(s, edizione) for s in domanda.territorio.province]
    if ambito is not None and ambito.tutte_o_nessuna and not province:
        province_text = _("all the provinces of the call: %(names)s",
                          names=", ".join(p.etichetta for p in edizione.province))
    else:
        province_text = ", ".join(province)

    titoli = {f.id.strip(): clean(f.titolo) for f in domanda.fabbisogni if f.id.strip()}

    def need_label(ref: str) -> str:
        ref = clean(ref)
        return f"{ref} \u2014 {titoli[ref]}" if titoli.get(ref) else ref

    def fonte_text(fonte) -> str:
        return _join(fonte.titolo, fonte.autore, str(fonte.anno) if fonte.anno else "", fonte.url, sep=", ")

    rappresentanza = capofila.rappresentanza
    return {
        "avviso": _avviso(edizione),
        "titolo": _quoted(domanda.titolo),
        "patto": _patto(domanda.titolo),
        "identita": (identita or Identita.of(domanda)).as_context(),
        **_draft(findings),
        "firmatario": _act_signer(domanda),
        "bollo": _stamp(domanda, edizione),
        "capofila": {
            "denominazione": _or_empty(clean(capofila.denominazione)),
            "tipologia": tipo.etichetta if tipo else _or_empty(clean(capofila.tipologia)),
            "codice_fiscale": _or_empty(clean(capofila.codice_fiscale)),
            "sede": _sede(capofila.sede, edizione),
            "pec": _or_empty(clean(capofila.pec)),
            "legale_rappresentante": _or_empty(_join(legale.nome, legale.cognome)),
            "legale_rappresentante_cf": _or_empty(clean(legale.codice_fiscale)),
            "referente": _referente(capofila.referente),
            "rappresentanza": _join(rappresentanza.descrizione, ", ".join(map(clean, rappresentanza.ateco)),
                                    sep=" · ATECO ") if tipo is not None and tipo.rappresentanza else "",
            "conta_come": counts_for.nome_breve if counts_for is not None else "",
        },
        "numero_soggetti": members,
        "numero_partner": len(domanda.partner),
        "gruppi": groups,
        "territorio": {
            "ambito": ambito.nome_breve if ambito else _or_empty(clean(domanda.territorio.ambito)),
            "province": _or_empty(province_text),
            "descrizione": clean(domanda.territorio.descrizione),
        },
        "ateco_edizione": ateco.get_edition(edizione.edizione_ateco).title,
        "settori": [
            {
                "n": str(n),
                "descrizione": _or_empty(clean(s.descrizione)),
                "ateco": [{"codice": clean(c), "descrizione": _ateco_description(c, edizione)} for c in s.ateco],
            }
            for n, s in enumerate(domanda.settori, start=1)
        ],
        "fabbisogni": [
            {
                "n": str(n),
                "id": _or_empty(clean(f.id)),
                "titolo": _or_empty(clean(f.titolo)),
                "descrizione": paragraphs(f.descrizione),
                "lacune_politiche_attive": paragraphs(f.lacune_politiche_attive),
                "fonti": [fonte_text(s) for s in f.fonti],
            }
            for n, f in enumerate(domanda.fabbisogni, start=1)
        ],
        "interventi": [
            {
                "n": str(n),
                "titolo": _or_empty(clean(i.titolo)),
                "descrizione": paragraphs(i.descrizione),
                "destinatari": _or_empty(clean(i.destinatari)),
                "fabbisogni": _or_empty("; ".join(need_label(r) for r in i.fabbisogni)),
            }
            for n, i in enumerate(domanda.interventi, start=1)
        ],
        "luogo": _or_empty(clean(capofila.sede.comune)),
        "data": format_date(day),
    }


def adesione_context(domanda: Domanda, edizione: Edizione, findings: list[Finding], day: date,
                     partner: Partner, identita: Identita | None = None) -> dict:
    """Everything a partner's letter of adhesion shows. Without its legal representative: lines to fill in."""
    categoria = edizione.categorie_partner.get(partner.categoria.strip())
    draft = _draft(findings)
    return {
        "avviso": _avviso(edizione),
        "titolo": _quoted(domanda.titolo),
        "patto": _patto(domanda.titolo),
        "identita": (identita or Identita.of(domanda)).as_context(),
        "bozza": draft["bozza"],
        "numero_errori": draft["numero_errori"],
        "capofila": {"denominazione": _or_empty(clean(domanda.capofila.denominazione))},
        "legale": _signer(partner.legale_rappresentante),
        "partner": {
            "denominazione": _or_empty(clean(partner.denominazione)),
            "codice_fiscale": _or_empty(clean(partner.codice_fiscale)),
            "sede": _sede(partner.sede, edizione),
            "pec": clean(partner.pec),
            "rea": clean(partner.rea),
            "ccnl": clean(partner.ccnl),
            "rete": partner.rete is True,
            "categoria": categoria.etichetta if categoria else _or_empty(clean(partner.categoria)),
        },
        "luogo": clean(partner.sede.comune) or BLANK_SHORT,
        "data": format_date(day),
    }


def _short(text: str, limit: int = CORE_PROPERTY_MAX) -> str:
    """Text cut to `limit` characters with an ellipsis (Word's core properties refuse longer ones)."""
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "\u2026"


def _deterministic_zip(files: list[tuple[str, bytes]]) -> bytes:
    """A zip with fixed timestamps and the given order, so equal content gives equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, data, compresslevel=6)
    return out.getvalue()


def _render(template: Path, context: dict, day: date, *, title: str, author: str, subject: str,
            keywords: str) -> bytes:
    """Fill a template; set its core properties (dated `day`, not the moment it was built); re-pack it stably."""
    document = DocxTemplate(io.BytesIO(_template_bytes(template)))
    document.render(context, jinja_env=_jinja_env(), autoescape=True)
    return stable_docx(document.docx, datetime.combine(day, time()), title=title, author=author, subject=subject,
                       keywords=keywords)


def stable_docx(document, moment: datetime, *, title: str, author: str, subject: str, keywords: str) -> bytes:
    """A python-docx document as bytes that depend on its content only: core properties set (dated `moment`, naive
    UTC), entries in a fixed order with fixed timestamps."""
    props = document.core_properties
    props.title = _short(title)
    props.subject = _short(subject)
    props.author = _short(author)
    props.last_modified_by = "Patti Web"
    props.keywords = _short(keywords)
    props.language = "it-IT"
    props.comments = ""
    props.created = props.modified = props.last_printed = moment
    props.revision = 1
    buffer = io.BytesIO()
    document.save(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source:
        names = sorted(source.namelist(), key=lambda n: (n != "[Content_Types].xml", n))
        return _deterministic_zip([(name, source.read(name)) for name in names])


def _keywords(kind: str, identita: Identita) -> str:
    return "; ".join([kind, "Patti territoriali", *identita.keywords()])


def build_manifestazione_docx(domanda: Domanda, edizione: Edizione, day: date,
                              identita: Identita | None = None) -> bytes:
    """Render the manifestazione di interesse for `domanda`, dated `day`, as DOCX bytes; every page names the
    version (`identita`; without one, the fingerprint alone).

    A draft with errors carries a BOZZA watermark on every page, the list of open errors on its first page, and no
    signature block.
    """
    identita = identita or Identita.of(domanda)
    findings = check_application(domanda, edizione)
    context = manifestazione_context(domanda, edizione, findings, day, identita)
    return _render(TEMPLATE, context, day, title=_("Expression of interest: %(title)s", title=context["titolo"]),
                   author=context["capofila"]["denominazione"], subject=f"{edizione.ente}, {edizione.titolo}",
                   keywords=_keywords("manifestazione di interesse", identita))


def build_adesione_docx(domanda: Domanda, edizione: Edizione, day: date, partner: Partner,
                        findings: list[Finding] | None = None, identita: Identita | None = None) -> bytes:
    """One partner's letter of adhesion to the Patto, dated `day`, as DOCX bytes (a draft while errors remain)."""
    identita = identita or Identita.of(domanda)
    if findings is None:
        findings = check_application(domanda, edizione)
    context = adesione_context(domanda, edizione, findings, day, partner, identita)
    return _render(LETTER_TEMPLATE, context, day,
                   title=_("Letter of adhesion: %(name)s", name=context["partner"]["denominazione"]),
                   author=context["partner"]["denominazione"], subject=context["titolo"],
                   keywords=_keywords("lettera di adesione", identita))


def build_adesioni(domanda: Domanda, edizione: Edizione, day: date, findings: list[Finding] | None = None,
                   identita: Identita | None = None) -> list[tuple[str, bytes]]:
    """Every partner's letter of adhesion, as (file name, DOCX bytes), in the act's order and named by it."""
    identita = identita or Identita.of(domanda)
    if findings is None:
        findings = check_application(domanda, edizione)
    order = act_order(domanda, edizione)
    width = number_width(order)
    return [(adesione_filename(n, partner, day, width),
             build_adesione_docx(domanda, edizione, day, partner, findings, identita)) for n, partner in order]


def zip_documents(files: list[tuple[str, bytes]]) -> bytes:
    """Several documents in one zip, the same bytes for the same documents."""
    return _deterministic_zip(files)


def _slug(text: str, limit: int = 60) -> str:
    """Lower-case ASCII words joined by hyphens: accents go (à → a), every other mark, a dash pasted from Word
    (Legno–Arredo) or a soft hyphen included, parts words as a hyphen does; cut at a word's end."""
    letters = "".join(c for c in unicodedata.normalize("NFKD", text.replace("\u00ad", "-"))
                      if not unicodedata.combining(c))
    slug = re.sub(r"[^a-z0-9]+", "-", letters.lower()).strip("-")
    if len(slug) > limit:
        slug = slug[:limit + 1].rsplit("-", 1)[0] if "-" in slug[:limit + 1] else slug[:limit]
    return slug


def docx_filename(domanda: Domanda, day: date, kind: str = "manifestazione", extension: str = "docx") -> str:
    """A download name that reads like the act, e.g. manifestazione-patto-lario-legno-arredo-2023-02-10.docx (kind
    "adesioni" for the letters' zip, the extension for the PDF and the JSON)."""
    return f"{kind}-{_slug(domanda.titolo) or 'domanda'}-{day.isoformat()}.{extension}"


def number_width(order: list[tuple[int, Partner]]) -> int:
    """Digits of the letters' numbers in their file names (at least 2: adesione-03-...), so that sorting the names
    keeps the act's order."""
    return max(2, len(str(max((n for n, _partner in order), default=0))))


def adesione_filename(number: int, partner: Partner, day: date, width: int = 2) -> str:
    """E.g. adesione-03-cisl-lecco-2026-11-24.docx: the partner's number in the act (which keeps two partners of one
    name apart) and its name."""
    return f"{adesione_stem(number, partner, width)}-{day.isoformat()}.docx"


def adesione_stem(number: int, partner: Partner, width: int = 2) -> str:
    """A letter's name without its date and extension: adesione-03-cisl-lecco (the downloads and the package)."""
    return f"adesione-{number:0{width}d}-{_slug(partner.denominazione, 50) or 'partner'}"
