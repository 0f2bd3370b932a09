"""The application (*domanda*) as plain data, and its JSON document `patti-web/domanda@1`.

`read_document` turns any bytes into either a `Domanda` or a `DocumentError` with one clear Italian line; it never
lets a traceback through. A missing key is not an error here: it stays empty and the rule engine reports it as
`CAMPO_OBBLIGATORIO`. `write_document` writes every field back, so a document round-trips.
"""

from __future__ import annotations

import json
import typing
from dataclasses import dataclass, field, fields, is_dataclass
from functools import cache

from patti_web.i18n import gettext as _

FORMAT = "patti-web/domanda@1"
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024


def _text(max_length: int) -> typing.Any:
    return field(default="", metadata={"max_length": max_length})


def _list(max_items: int) -> typing.Any:
    return field(default_factory=list, metadata={"max_items": max_items})


@dataclass
class Sede:
    indirizzo: str = _text(200)
    comune: str = _text(100)
    provincia: str = _text(40)
    cap: str = _text(10)


@dataclass
class LegaleRappresentante:
    nome: str = _text(100)
    cognome: str = _text(100)
    codice_fiscale: str = _text(16)


@dataclass
class Referente:
    nome: str = _text(100)
    cognome: str = _text(100)
    email: str = _text(254)
    telefono: str = _text(30)


@dataclass
class Capofila:
    denominazione: str = _text(300)
    tipologia: str = _text(60)
    codice_fiscale: str = _text(16)
    sede: Sede = field(default_factory=Sede)
    pec: str = _text(254)
    legale_rappresentante: LegaleRappresentante = field(default_factory=LegaleRappresentante)
    referente: Referente = field(default_factory=Referente)


@dataclass
class Partner:
    denominazione: str = _text(300)
    categoria: str = _text(60)
    codice_fiscale: str = _text(16)
    sede: Sede = field(default_factory=Sede)
    pec: str = _text(254)
    referente: Referente = field(default_factory=Referente)


@dataclass
class Territorio:
    ambito: str = _text(40)
    province: list[str] = _list(20)


@dataclass
class Settore:
    descrizione: str = _text(2000)
    ateco: list[str] = _list(50)


@dataclass
class Fonte:
    titolo: str = _text(500)
    autore: str = _text(300)
    anno: int | None = field(default=None, metadata={"min": 1900, "max": 2100})
    url: str = _text(1000)


@dataclass
class Fabbisogno:
    id: str = _text(20)
    titolo: str = _text(300)
    descrizione: str = _text(10000)
    lacune_politiche_attive: str = _text(10000)
    fonti: list[Fonte] = _list(50)


@dataclass
class Intervento:
    titolo: str = _text(300)
    descrizione: str = _text(10000)
    destinatari: str = _text(2000)
    fabbisogni: list[str] = _list(100)


@dataclass
class Domanda:
    titolo: str = _text(300)
    capofila: Capofila = field(default_factory=Capofila)
    partner: list[Partner] = _list(1000)
    territorio: Territorio = field(default_factory=Territorio)
    settori: list[Settore] = _list(50)
    fabbisogni: list[Fabbisogno] = _list(200)
    interventi: list[Intervento] = _list(200)


class DocumentError(ValueError):
    """A file that is not a readable `patti-web/domanda@1` document; the message is one Italian line."""


@cache
def _hints(cls: type) -> dict[str, typing.Any]:
    return typing.get_type_hints(cls)


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


def _fail(path: str, message: str) -> typing.NoReturn:
    raise DocumentError(f"{path}: {message}" if path else message)


def _is_control(char: str) -> bool:
    return (ord(char) < 32 and char not in "\t\n\r") or char in "\x7f\ufffe\uffff"


def _read_value(tp: typing.Any, value: object, path: str, meta: typing.Mapping) -> object:
    origin = typing.get_origin(tp)
    if tp is str:
        if value is None:
            return ""
        if not isinstance(value, str):
            _fail(path, _("expected a text, found %(kind)s.", kind=_kind(value)))
        limit = meta.get("max_length")
        if limit is not None and len(value) > limit:
            _fail(path, _("the text is too long (%(length)s characters, at most %(limit)s).",
                          length=len(value), limit=limit))
        if any(_is_control(c) for c in value):
            _fail(path, _("the text contains control characters that are not allowed."))
        return value
    if tp == int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            _fail(path, _("expected a whole number, found %(kind)s.", kind=_kind(value)))
        if not meta.get("min", value) <= value <= meta.get("max", value):
            _fail(path, _("the number must be between %(min)s and %(max)s.", min=meta["min"], max=meta["max"]))
        return value
    if origin is list:
        if value is None:
            return []
        if not isinstance(value, list):
            _fail(path, _("expected a list, found %(kind)s.", kind=_kind(value)))
        limit = meta.get("max_items")
        if limit is not None and len(value) > limit:
            _fail(path, _("too many elements (%(count)s, at most %(limit)s).", count=len(value), limit=limit))
        (item_type,) = typing.get_args(tp)
        item_meta = {"max_length": 60} if item_type is str else {}
        return [_read_value(item_type, item, f"{path}[{i}]", item_meta) for i, item in enumerate(value)]
    if is_dataclass(tp):
        return _read_object(tp, value, path)
    raise TypeError(f"unsupported field type {tp!r}")  # a programming error, not bad input


def _read_object(cls: type, value: object, path: str) -> typing.Any:
    if value is None:
        return cls()
    if not isinstance(value, dict):
        _fail(path, _("expected an object, found %(kind)s.", kind=_kind(value)))
    known = {f.name: f for f in fields(cls)}
    unknown = [key for key in value if key not in known]
    if unknown:
        _fail(path, _("unknown key \u201c%(key)s\u201d; allowed keys: %(allowed)s.",
                      key=unknown[0], allowed=", ".join(known)))
    hints = _hints(cls)
    args = {}
    for name, value_field in known.items():
        if name in value:
            args[name] = _read_value(hints[name], value[name], f"{path}.{name}" if path else name,
                                     value_field.metadata)
    return cls(**args)


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
        raw = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise DocumentError(_("The file is not valid JSON (line %(line)s, column %(col)s: %(reason)s).",
                              line=exc.lineno, col=exc.colno, reason=exc.msg)) from None
    except RecursionError:
        raise DocumentError(_("The file is nested too deeply to be an application.")) from None
    if not isinstance(raw, dict):
        raise DocumentError(_("The file must contain a JSON object, found %(kind)s.", kind=_kind(raw)))
    fmt = raw.get("format")
    if fmt != FORMAT:
        if fmt is None:
            raise DocumentError(_("The \u201cformat\u201d key is missing: expected \u201c%(expected)s\u201d.",
                                  expected=FORMAT))
        raise DocumentError(_("Unsupported format \u201c%(found)s\u201d: expected \u201c%(expected)s\u201d.",
                              found=str(fmt)[:80], expected=FORMAT))
    body = {key: value for key, value in raw.items() if key != "format"}
    domanda = _read_object(Domanda, body, "")
    ids = [f.id for f in domanda.fabbisogni if f.id.strip()]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise DocumentError(_("fabbisogni: the id \u201c%(id)s\u201d is used by more than one need.", id=repeated[0]))
    return domanda


def _to_plain(value: object) -> object:
    if is_dataclass(value):
        return {f.name: _to_plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, list):
        return [_to_plain(item) for item in value]
    return value


def to_document(domanda: Domanda) -> dict:
    """Return the application as a `patti-web/domanda@1` dict, every field included."""
    return {"format": FORMAT, **_to_plain(domanda)}


def write_document(domanda: Domanda) -> str:
    """Return the application as JSON text (UTF-8, indented, keys in a fixed order)."""
    return json.dumps(to_document(domanda), ensure_ascii=False, indent=2) + "\n"
