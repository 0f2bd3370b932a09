"""The application (*domanda*) as data, and its JSON document `patti-web/domanda@2` (`@1` files still read).

The models below are the one definition of the document: the portal stores an application as this document, the
forms take their limits from it, and `read_document` checks any file against it (pydantic, strict: no silent
conversions). `read_document` turns any bytes into either a `Domanda` or a `DocumentError` with one clear Italian
line naming the path ("partner[3].codice_fiscale: ..."); it never lets a traceback through. A missing key is not an
error here: it stays empty and the rule engine reports it as `CAMPO_OBBLIGATORIO`. `write_document` writes every
field back, so a document round-trips.
"""

from __future__ import annotations

import hashlib
import json
import re
import typing
from datetime import date
from functools import cache
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from patti_web.i18n import N_
from patti_web.i18n import gettext as _

FORMAT_V1 = "patti-web/domanda@1"
FORMAT = "patti-web/domanda@2"
FORMATS = (FORMAT_V1, FORMAT)
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
YEAR_MIN, YEAR_MAX = 1900, 2100
# A JSON number longer than this is not a year: refuse it before Python builds a huge integer.
_MAX_INT_DIGITS = 20

# Characters no text of the document may hold (a lone surrogate cannot reach a text either: pydantic refuses it):
# - C0 controls except tab, newline and carriage return, DEL and the two non-characters: invisible, and XML (so
#   Word) cannot hold most of them;
# - the bidirectional overrides and isolates: they make a signed act show reversed text (a spoofing risk);
# - emoji and other pictographs: the documents' fonts have no glyph for them, they would print as empty boxes.
CONTROL_CHARACTERS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff"
BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
PICTOGRAPHS = "\U0001f000-\U0001faff"
_NO_CONTROL = f"^[^{CONTROL_CHARACTERS}{BIDI_CONTROLS}{PICTOGRAPHS}]*$"
_FORBIDDEN = (
    (re.compile(f"[{CONTROL_CHARACTERS}]"), N_("the text contains control characters that are not allowed.")),
    (re.compile(f"[{BIDI_CONTROLS}]"),
     N_("the text contains an invisible character that reverses the direction of the text (%(code)s): remove it.")),
    (re.compile(f"[{PICTOGRAPHS}]"),
     N_("the text contains an emoji (%(char)s), which the documents cannot print: remove it.")),
)


def character_problem(text: str) -> str | None:
    """What is wrong with a text the documents cannot hold (see above), in Italian; None when nothing is."""
    for pattern, message in _FORBIDDEN:
        found = pattern.search(text)
        if found is not None:
            char = found.group()
            return _(message, code=f"U+{ord(char):04X}", char=char)
    return None


_ID = r"^[A-Za-z0-9_-]*$"
# A need's code that can be part of an address (F1, not "..."): an imported one of another shape gets a new code.
SAFE_NEED_ID = re.compile(r"(?!\.+\Z)[A-Za-z0-9_.-]{1,20}")  # to use with fullmatch


def Text(max_length: int) -> typing.Any:  # noqa: N802 - a type, used as one
    """A text of at most `max_length` characters, without control characters."""
    return Annotated[str, StringConstraints(max_length=max_length, pattern=_NO_CONTROL)]


def _iso_date(value: str) -> str:
    if value:
        try:
            date.fromisoformat(value)
        except ValueError:
            raise ValueError(_("expected a date written as YYYY-MM-DD (e.g. 1985-12-10).")) from None
    return value


# A day, as JSON has no dates: "YYYY-MM-DD", or empty when not given.
_DATE = r"^(\d{4}-\d{2}-\d{2})?$"
IsoDate = Annotated[str, StringConstraints(pattern=_DATE),
                    AfterValidator(_iso_date)]
Code = Text(60)  # an entry of a list of codes: a province, an ATECO code, a need's id
ItemId = Annotated[str, StringConstraints(max_length=20, pattern=_ID)]


def _list(max_items: int) -> typing.Any:
    return Field(default_factory=list, max_length=max_items)


class Part(BaseModel):
    """A part of the document: unknown keys refused, no type conversion (a year is a number, not "2022")."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Sede(Part):
    indirizzo: Text(200) = ""
    comune: Text(100) = ""
    provincia: Text(40) = ""
    cap: Text(10) = ""


class LegaleRappresentante(Part):
    nome: Text(100) = ""
    cognome: Text(100) = ""
    codice_fiscale: Text(16) = ""


class LegaleRappresentanteCapofila(LegaleRappresentante):
    """The lead partner's legal representative, who signs the act unless a procuratore does: with the data a
    regional form asks of the signatory (@2, all optional)."""

    # The office held ("Presidente", "Direttore generale").
    carica: Text(100) = ""
    luogo_nascita: Text(100) = ""
    data_nascita: IsoDate = ""


class Procuratore(Part):
    """Who signs the act for the lead partner instead of its legal representative, by a power of attorney (*procura*)
    (@2). Given when any of its fields is."""

    nome: Text(100) = ""
    cognome: Text(100) = ""
    codice_fiscale: Text(16) = ""
    luogo_nascita: Text(100) = ""
    data_nascita: IsoDate = ""
    procura_numero: Text(50) = ""
    procura_data: IsoDate = ""

    @property
    def is_given(self) -> bool:
        """Does the application name a procuratore (any field filled in)?"""
        return any(str(getattr(self, name)).strip() for name in type(self).model_fields)


class Referente(Part):
    nome: Text(100) = ""
    cognome: Text(100) = ""
    email: Text(254) = ""
    telefono: Text(30) = ""


class Rappresentanza(Part):
    """The sector or supply chain an employers' association leading the Patto represents (@2)."""

    descrizione: Text(2000) = ""
    ateco: list[Code] = _list(50)


class Bollo(Part):
    """The marca da bollo the application bears, when the edition asks for one and the lead partner owes it (@2)."""

    # The stamp's identifier: the 14 digits printed on it.
    identificativo: Text(20) = ""
    # The day it was issued, as printed on it: YYYY-MM-DD.
    data: Text(10) = ""
    # Declared under D.P.R. 445/2000: used for this application only, and kept by the applicant.
    dichiarazione: bool = False


class Capofila(Part):
    denominazione: Text(300) = ""
    tipologia: Text(60) = ""
    codice_fiscale: Text(16) = ""
    sede: Sede = Field(default_factory=Sede)
    pec: Text(254) = ""
    legale_rappresentante: LegaleRappresentanteCapofila = Field(default_factory=LegaleRappresentanteCapofila)
    referente: Referente = Field(default_factory=Referente)
    rappresentanza: Rappresentanza = Field(default_factory=Rappresentanza)
    bollo: Bollo = Field(default_factory=Bollo)
    procuratore: Procuratore = Field(default_factory=Procuratore)

    @property
    def firmatario(self) -> LegaleRappresentante | Procuratore:
        """Who signs the act: the procuratore when one is given, otherwise the legal representative."""
        return self.procuratore if self.procuratore.is_given else self.legale_rappresentante


class Partner(Part):
    id: ItemId = ""
    denominazione: Text(300) = ""
    categoria: Text(60) = ""
    codice_fiscale: Text(16) = ""
    sede: Sede = Field(default_factory=Sede)
    pec: Text(254) = ""
    legale_rappresentante: LegaleRappresentante = Field(default_factory=LegaleRappresentante)
    referente: Referente = Field(default_factory=Referente)
    # Number in the REA (Repertorio Economico Amministrativo) of a business, e.g. "BS-123456".
    rea: Text(20) = ""
    # The national collective agreements (CCNL) a trade union signed.
    ccnl: Text(500) = ""
    # Is the member a network (of Comuni, of accredited operators, of schools)? None: not said.
    rete: bool | None = None


class Territorio(Part):
    ambito: Text(40) = ""
    province: list[Code] = _list(20)
    # The area below the province: valleys, a Distretto del Commercio, a group of Comuni (@2).
    descrizione: Text(2000) = ""


class Settore(Part):
    id: ItemId = ""
    descrizione: Text(2000) = ""
    ateco: list[Code] = _list(50)


class Fonte(Part):
    titolo: Text(500) = ""
    autore: Text(300) = ""
    anno: Annotated[int | None, Field(ge=YEAR_MIN, le=YEAR_MAX)] = None
    url: Text(1000) = ""


class Fabbisogno(Part):
    # The need's code ("F1"), which interventions refer to.
    id: Text(20) = ""
    titolo: Text(300) = ""
    descrizione: Text(10000) = ""
    lacune_politiche_attive: Text(10000) = ""
    fonti: list[Fonte] = _list(50)


class Intervento(Part):
    id: ItemId = ""
    titolo: Text(300) = ""
    descrizione: Text(10000) = ""
    destinatari: Text(2000) = ""
    fabbisogni: list[Code] = _list(100)


class Domanda(Part):
    format: Literal["patti-web/domanda@1", "patti-web/domanda@2"] = FORMAT
    titolo: Text(300) = ""
    capofila: Capofila = Field(default_factory=Capofila)
    partner: list[Partner] = _list(1000)
    territorio: Territorio = Field(default_factory=Territorio)
    settori: list[Settore] = _list(50)
    fabbisogni: list[Fabbisogno] = _list(200)
    interventi: list[Intervento] = _list(200)

    @model_validator(mode="after")
    def _identifiers_are_unique(self) -> Domanda:
        """Two needs with one id would leave interventions unable to say which they answer; list ids name URLs."""
        for name in type(self).model_fields:
            items = getattr(self, name)
            if not isinstance(items, list) or not all(isinstance(getattr(i, "id", None), str) for i in items):
                continue
            ids = [item.id.strip() for item in items if item.id.strip()]
            seen: set[str] = set()
            for item_id in ids:
                if item_id in seen:
                    if name == "fabbisogni":
                        raise ValueError(_("fabbisogni: the id \u201c%(id)s\u201d is used by more than one need.",
                                           id=item_id))
                    raise ValueError(_("%(list)s: the id \u201c%(id)s\u201d is used by more than one element.",
                                       list=name, id=item_id))
                seen.add(item_id)
        return self

    @property
    def is_v1(self) -> bool:
        """Read from a `@1` file: the rules of `@1` apply (what `@2` added is not asked for)."""
        return self.format == FORMAT_V1


# What `@2` added to `@1`: a `@1` file that holds one of these keys is refused, as `@1` refused any unknown key.
ADDED_IN_V2: dict[type[Part], frozenset[str]] = {
    Capofila: frozenset({"rappresentanza", "bollo", "procuratore"}),
    LegaleRappresentanteCapofila: frozenset({"carica", "luogo_nascita", "data_nascita"}),
    Partner: frozenset({"id", "legale_rappresentante", "rea", "ccnl", "rete"}),
    Territorio: frozenset({"descrizione"}),
    Settore: frozenset({"id"}),
    Intervento: frozenset({"id"}),
}


class DocumentError(ValueError):
    """A file that is not a readable `patti-web/domanda` document; the message is one Italian line."""


def _kind(value: object) -> str:
    if value is None:
        return _("null")
    if isinstance(value, bool):
        return _("a true/false value")
    if isinstance(value, int | float):
        return _("a number")
    if isinstance(value, str):
        return _("a text")
    if isinstance(value, list):
        return _("a list")
    return _("an object")


def path_of(loc: typing.Iterable[str | int]) -> str:
    """A pydantic location as a document path: ("partner", 3, "sede", "cap") -> "partner[3].sede.cap"."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@cache
def _nested(model: type[Part]) -> dict[str, tuple[type[Part] | None, bool]]:
    """For each field of `model`: the model it holds (or None) and whether it is a list."""
    out = {}
    for name, info in model.model_fields.items():
        annotation = info.annotation
        is_list = typing.get_origin(annotation) is list
        inner = typing.get_args(annotation)[0] if is_list else annotation
        out[name] = (inner if isinstance(inner, type) and issubclass(inner, Part) else None, is_list)
    return out


def allowed_keys(model: type[Part], v1: bool = False) -> list[str]:
    added = ADDED_IN_V2.get(model, frozenset()) if v1 else frozenset()
    return [name for name in model.model_fields if name not in added]


def _prepare(value: object, model: type[Part], path: str, v1: bool) -> object:
    """Read `null` as "missing" (its default), and refuse in a `@1` file a key that only `@2` knows."""
    if not isinstance(value, dict):
        return value
    if v1:
        for key in value:
            if key in ADDED_IN_V2.get(model, ()):
                raise DocumentError(_unknown_key(path, key, model, v1=True))
    out = {}
    for key, item in value.items():
        if item is None:
            continue
        inner, is_list = _nested(model).get(key, (None, False))
        child = f"{path}.{key}" if path else key
        if is_list and isinstance(item, list):
            if inner is not None:
                item = [_prepare({} if x is None else x, inner, f"{child}[{i}]", v1) for i, x in enumerate(item)]
            else:
                item = ["" if x is None else x for x in item]
        elif inner is not None:
            item = _prepare(item, inner, child, v1)
        out[key] = item
    return out


def _unknown_key(path: str, key: str, model: type[Part], *, v1: bool) -> str:
    message = _("unknown key \u201c%(key)s\u201d; allowed keys: %(allowed)s.", key=key,
                allowed=", ".join(allowed_keys(model, v1)))
    return f"{path}: {message}" if path else message


def _model_at(loc: tuple) -> type[Part]:
    """The model that holds the value at a pydantic location (for the list of allowed keys)."""
    model: type[Part] = Domanda
    for part in loc:
        if isinstance(part, int):
            continue
        inner, _is_list = _nested(model).get(part, (None, False))
        if inner is None:
            break
        model = inner
    return model


def explain(error: dict) -> tuple[str, str]:
    """One pydantic error as (document path, Italian message without the path)."""
    kind, loc, value, ctx = error["type"], tuple(error["loc"]), error.get("input"), error.get("ctx") or {}
    if kind == "extra_forbidden":
        message = _unknown_key("", str(loc[-1]), _model_at(loc[:-1]), v1=False)
        return path_of(loc[:-1]), message
    path = path_of(loc)
    if kind == "string_too_long":
        return path, _("the text is too long (%(length)s characters, at most %(limit)s).",
                       length=len(value), limit=ctx["max_length"])
    if kind == "string_pattern_mismatch":
        if ctx.get("pattern") == _ID:
            return path, _("an identifier may hold only letters, digits, \u201c-\u201d and \u201c_\u201d.")
        if ctx.get("pattern") == _DATE:
            return path, _("expected a date written as YYYY-MM-DD (e.g. 1985-12-10).")
        return path, character_problem(value) or _("the text contains characters that are not allowed.")
    if kind == "string_unicode":
        return path, _("the text contains a character that is not valid Unicode.")
    if kind == "string_type":
        return path, _("expected a text, found %(kind)s.", kind=_kind(value))
    if kind in ("int_type", "int_from_float", "int_parsing"):
        return path, _("expected a whole number, found %(kind)s.", kind=_kind(value))
    if kind in ("greater_than_equal", "less_than_equal"):
        return path, _("the number must be between %(min)s and %(max)s.", min=YEAR_MIN, max=YEAR_MAX)
    if kind == "bool_type":
        return path, _("expected true or false, found %(kind)s.", kind=_kind(value))
    if kind == "list_type":
        return path, _("expected a list, found %(kind)s.", kind=_kind(value))
    if kind == "too_long":
        return path, _("too many elements (%(count)s, at most %(limit)s).", count=ctx["actual_length"],
                       limit=ctx["max_length"])
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return path, _("expected an object, found %(kind)s.", kind=_kind(value))
    if kind == "value_error" and isinstance(ctx.get("error"), ValueError):
        return path, str(ctx["error"])
    if kind == "literal_error":
        return path, _("unsupported value \u201c%(value)s\u201d.", value=str(value)[:80])
    return path, _("the value is not valid.")


def explain_first(exc: ValidationError) -> str:
    """The first error of a validation as one Italian line, "path: message"."""
    path, message = explain(exc.errors(include_url=False)[0])
    return f"{path}: {message}" if path else message


def _too_long_number(digits: str) -> int:
    if len(digits.lstrip("-")) > _MAX_INT_DIGITS:
        raise DocumentError(_("The file holds a number with %(n)s digits: no value of an application is that long.",
                              n=len(digits.lstrip("-"))))
    return int(digits)


def _reject_constant(name: str) -> typing.NoReturn:
    raise DocumentError(_("The file is not valid JSON: %(value)s is not allowed.", value=name))


def read_document(data: bytes | str) -> Domanda:
    """Turn the bytes of a file into a `Domanda`, or raise `DocumentError` with one Italian line."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise DocumentError(_("The file is too large (%(size)s MB, at most %(limit)s MB).",
                              size=round(len(data) / 1024 / 1024, 1), limit=MAX_DOCUMENT_BYTES // 1024 // 1024))
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DocumentError(_("The file is not UTF-8 text (invalid byte at position %(pos)s).",
                                  pos=exc.start)) from None
    else:
        text = data
    if not text.strip():
        raise DocumentError(_("The file is empty."))
    try:
        raw = json.loads(text, parse_constant=_reject_constant, parse_int=_too_long_number)
    except json.JSONDecodeError as exc:
        raise DocumentError(_("The file is not valid JSON (line %(line)s, column %(col)s: %(reason)s).",
                              line=exc.lineno, col=exc.colno, reason=_json_reason(exc.msg))) from None
    except RecursionError:
        raise DocumentError(_("The file is nested too deeply to be an application.")) from None
    if not isinstance(raw, dict):
        raise DocumentError(_("The file must contain a JSON object, found %(kind)s.", kind=_kind(raw)))
    fmt = raw.get("format")
    if fmt not in FORMATS:
        if fmt is None:
            raise DocumentError(_("The \u201cformat\u201d key is missing: expected \u201c%(expected)s\u201d.",
                                  expected=FORMAT))
        raise DocumentError(_("Unsupported format \u201c%(found)s\u201d: expected \u201c%(expected)s\u201d "
                              "(or the older \u201c%(older)s\u201d).", found=str(fmt)[:80], expected=FORMAT,
                              older=FORMAT_V1))
    body = _prepare(raw, Domanda, "", fmt == FORMAT_V1)
    try:
        return Domanda.model_validate(body)
    except ValidationError as exc:
        raise DocumentError(explain_first(exc)) from None


# Python's json module explains in English; these are the reasons it gives, in Italian.
_JSON_REASONS = {
    "Expecting value": N_("a value was expected"),
    "Expecting property name enclosed in double quotes": N_("a key in double quotes was expected"),
    "Expecting ',' delimiter": N_("a comma was expected"),
    "Expecting ':' delimiter": N_("a colon was expected"),
    "Extra data": N_("there is text after the end of the document"),
    "Unterminated string starting at": N_("a text is not closed"),
    "Invalid control character at": N_("a text holds a control character"),
    "Invalid \\escape": N_("a text holds an invalid escape"),
    "Invalid \\uXXXX escape": N_("a text holds an invalid \\u escape"),
}


def _json_reason(reason: str) -> str:
    return _(_JSON_REASONS.get(reason, "the syntax is not valid"))


def to_document(domanda: Domanda) -> dict:
    """Return the application as a `patti-web/domanda@2` dict, every field included (a `@1` one is upgraded)."""
    return {"format": FORMAT, **domanda.model_dump(mode="json", exclude={"format"})}


def write_document(domanda: Domanda) -> str:
    """Return the application as JSON text (UTF-8, indented, keys in a fixed order)."""
    return json.dumps(to_document(domanda), ensure_ascii=False, indent=2) + "\n"


def canonical_json(domanda: Domanda) -> bytes:
    """The application as canonical JSON: the `@2` document, keys sorted, no spaces, UTF-8. The same document always
    gives the same bytes; what the package files as the frozen version."""
    return json.dumps(to_document(domanda), ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def fingerprint(domanda: Domanda) -> str:
    """The SHA-256 of the canonical JSON (64 hex digits): what the act's pages and the receipt print of a version."""
    return hashlib.sha256(canonical_json(domanda)).hexdigest()
