"""The manifestazione di interesse as a filled Word template (docxtpl, autoescape always), and its PDF.

No Flask and no database here: `build_manifestazione_docx` takes an application, the edition and the document's
date, and returns bytes. The same application and date always give the same bytes.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from datetime import date, datetime, time
from functools import cache
from pathlib import Path

import ateco
import jinja2
from docxtpl import DocxTemplate

from patti_web.calls import Edizione
from patti_web.domanda import Domanda, Referente, Sede
from patti_web.i18n import format_date
from patti_web.i18n import gettext as _
from patti_web.rules import ERROR, Finding, ateco_node, check_application

TEMPLATE = Path(__file__).resolve().parent / "manifestazione.docx"
DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
EMPTY = "\u2014"
# Characters XML 1.0 cannot hold (and Word's own separators that docxtpl would turn into breaks).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@cache
def _template_bytes() -> bytes:
    """The Word template, read from disk once per process."""
    return TEMPLATE.read_bytes()


@cache
def _jinja_env() -> jinja2.Environment:
    return jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)


def clean(value: object) -> str:
    """User text made safe for a DOCX text node: no characters XML cannot hold, one line."""
    text = _NOT_XML.sub("", str(value or "")).strip()
    return " ".join(text.split("\n")) if text else ""


def _or_empty(value: str) -> str:
    return value or EMPTY


def paragraphs(value: str) -> list[str]:
    """Multi-line user text as a list of paragraphs (blank lines dropped)."""
    text = _NOT_XML.sub("", value or "")
    return [p.strip() for p in text.splitlines() if p.strip()] or [EMPTY]


def _join(*parts: str, sep: str = " ") -> str:
    return sep.join(clean(p) for p in parts if clean(p))


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


def manifestazione_context(domanda: Domanda, edizione: Edizione, findings: list[Finding], day: date) -> dict:
    """Everything the Word template shows, as plain text, already in Italian."""
    tipi = edizione.tipi_capofila
    categorie = edizione.categorie
    order = {key: i for i, key in enumerate(categorie)}
    capofila = domanda.capofila
    tipologia = tipi.get(capofila.tipologia.strip())
    legale = capofila.legale_rappresentante

    def member(denominazione: str, categoria: str, codice_fiscale: str, sede: Sede, referente: Referente) -> dict:
        return {
            "denominazione": _or_empty(clean(denominazione)),
            "categoria": categoria,
            "codice_fiscale": _or_empty(clean(codice_fiscale)),
            "provincia": _provincia(sede.provincia, edizione, short=True),
            "referente": _or_empty(_join(referente.nome, referente.cognome)),
        }

    lead = member(capofila.denominazione, tipologia.nome_breve if tipologia else _or_empty(clean(capofila.tipologia)),
                  capofila.codice_fiscale, capofila.sede, capofila.referente)
    gruppi = [{"etichetta": _("Lead partner"), "soggetti": [lead]}]
    by_category: dict[str, list[dict]] = {}
    for partner in domanda.partner:
        key = partner.categoria.strip()
        categoria = categorie.get(key)
        by_category.setdefault(key, []).append(
            member(partner.denominazione, categoria.nome_breve if categoria else _or_empty(clean(key)),
                   partner.codice_fiscale, partner.sede, partner.referente)
        )
    mandatory = {c.chiave for c in edizione.categorie_obbligatorie}
    for key in sorted(by_category, key=lambda k: (order.get(k, len(order)), k)):
        categoria = categorie.get(key)
        if categoria is None:
            label = _("Category not provided by the call: %(value)s", value=_or_empty(clean(key)))
        elif key in mandatory:
            label = _("Mandatory category: %(label)s", label=categoria.etichetta)
        else:
            label = _("Further category: %(label)s", label=categoria.etichetta)
        gruppi.append({"etichetta": label, "soggetti": by_category[key]})
    n = 0
    for gruppo in gruppi:
        for row in gruppo["soggetti"]:
            n += 1
            row["n"] = str(n)

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

    return {
        "avviso": {
            "ente": edizione.ente,
            "titolo": edizione.titolo,
            "fase": edizione.fase,
            "riferimento": edizione.riferimento,
        },
        "titolo": _or_empty(clean(domanda.titolo)),
        "bozza": any(f.severity == ERROR for f in findings),
        "errori": [clean(f.message) for f in findings if f.severity == ERROR],
        "capofila": {
            "denominazione": _or_empty(clean(capofila.denominazione)),
            "tipologia": tipologia.etichetta if tipologia else _or_empty(clean(capofila.tipologia)),
            "codice_fiscale": _or_empty(clean(capofila.codice_fiscale)),
            "sede": _sede(capofila.sede, edizione),
            "pec": _or_empty(clean(capofila.pec)),
            "legale_rappresentante": _or_empty(_join(legale.nome, legale.cognome)),
            "legale_rappresentante_cf": _or_empty(clean(legale.codice_fiscale)),
            "referente": _referente(capofila.referente),
        },
        "numero_soggetti": str(n),
        "gruppi": gruppi,
        "territorio": {
            "ambito": ambito.etichetta if ambito else _or_empty(clean(domanda.territorio.ambito)),
            "province": _or_empty(province_text),
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
                "id": _or_empty(clean(f.id)),
                "titolo": _or_empty(clean(f.titolo)),
                "descrizione": paragraphs(f.descrizione),
                "lacune_politiche_attive": paragraphs(f.lacune_politiche_attive),
                "fonti": [fonte_text(s) for s in f.fonti] or [_("no source given")],
            }
            for f in domanda.fabbisogni
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


def _deterministic_zip(data: bytes) -> bytes:
    """Re-pack a DOCX with fixed timestamps and a stable entry order, so equal content gives equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        names = sorted(source.namelist(), key=lambda n: (n != "[Content_Types].xml", n))
        for name in names:
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(name), compresslevel=6)
    return out.getvalue()


def build_manifestazione_docx(domanda: Domanda, edizione: Edizione, day: date) -> bytes:
    """Render the manifestazione di interesse for `domanda`, dated `day`, as DOCX bytes.

    A draft with errors carries the "BOZZA" mark and the list of open errors on its first page.
    """
    findings = check_application(domanda, edizione)
    context = manifestazione_context(domanda, edizione, findings, day)
    template = DocxTemplate(io.BytesIO(_template_bytes()))
    template.render(context, jinja_env=_jinja_env(), autoescape=True)
    props = template.docx.core_properties
    moment = datetime.combine(day, time())  # the document's date, not the moment it was built
    props.title = _("Expression of interest: %(title)s", title=context["titolo"])
    props.subject = f"{edizione.ente}, {edizione.titolo}"
    props.author = context["capofila"]["denominazione"]
    props.last_modified_by = "Patti Web"
    props.keywords = "manifestazione di interesse; Patti territoriali"
    props.language = "it-IT"
    props.comments = ""
    props.created = props.modified = props.last_printed = moment
    props.revision = 1
    buffer = io.BytesIO()
    template.save(buffer)
    return _deterministic_zip(buffer.getvalue())


def docx_filename(domanda: Domanda, day: date) -> str:
    """A clean download name, e.g. manifestazione-interesse-patto-per-la-meccanica-2026-11-24.docx."""
    ascii_title = unicodedata.normalize("NFKD", domanda.titolo).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60].rstrip("-") or "domanda"
    return f"manifestazione-interesse-{slug}-{day.isoformat()}.docx"
