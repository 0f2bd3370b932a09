"""Forms of an application's sections: they check shape only, and save what was typed even when incomplete.

Each section's form names its section (`sezione = "partenariato"`, a key of patti_web.avviso.sezioni): that is how
the section's pages find it. A form field is named after its place in the section's part of the document
(`sede_cap` is `partner.sede.cap`): from that name the form takes the field's length limit from the document model
(so the portal stores nothing its own reader would refuse), whether the call asks for it (labels say "(facoltativo)"
only when it does not), and how to build the part back (`to_model`). What is missing is for the rule engine to say;
only malformed values are refused here, each with a message that names its field and says what to do. A choice the
call asks for starts unchosen in every browser (an explicit "not chosen yet" option: lynx and w3m would otherwise
show, and send, the first one).
"""

from __future__ import annotations

import re
import typing
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cache
from urllib.parse import urlsplit

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from pydantic import BaseModel, ValidationError
from stdnum.it import codicefiscale
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation
from wtforms.validators import ValidationError as FieldError
from wtforms.widgets import CheckboxInput, ListWidget

from patti_web import fogli
from patti_web.avviso import domanda as doc
from patti_web.avviso import sezioni
from patti_web.avviso.ateco import search as search_ateco
from patti_web.avviso.edizioni import Edizione
from patti_web.avviso.province import SIGLE
from patti_web.avviso.regole import (
    CONDITIONAL_LABELS,
    PROCURATORE_LABELS,
    STAMP_DIGITS,
    ateco_node,
    check_territory,
    is_required,
    normalize_tax_code,
    stamp_date,
    stamp_duty_of_type,
)
from patti_web.i18n import N_, format_number, gettext, ngettext
from patti_web.i18n import lazy_gettext as _l
from patti_web.portal import today
from patti_web.web.forms import EmptyForm, OneTimeTokenMixin, one_line, strip_lines
from patti_web.web.templating import shown_value

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ATECO_RE = re.compile(r"^([A-U]|\d{2}(\.\d{1,2}(\.\d{1,2})?)?)$")
CONTROL_RE = re.compile(f"[{doc.CONTROL_CHARACTERS}]")


def problem(field, message: str) -> str:
    """An error message that names its field: "CAP della sede: inserire 5 cifre, ad esempio 25121."."""
    return gettext("%(field)s: %(problem)s", field=field.label.text, problem=message)


def _compact(value):
    """A code as typed or pasted, without any space (non-breaking included) or invisible character, upper case."""
    return one_line(value).upper().replace(" ", "") if isinstance(value, str) else value


def _tax_code(value):
    """A codice fiscale as typed or pasted, compact; a partita IVA written with the country (IT01234567890) loses
    it."""
    return normalize_tax_code(one_line(value)) if isinstance(value, str) else value


def _url(value):
    """A link as people write it: "www.esempio.it/studio" becomes "https://www.esempio.it/studio"."""
    value = one_line(value)
    if isinstance(value, str) and value.lower().startswith("www."):
        return "https://" + value
    return value


# Validators: each checks one shape and says what to do. None of them asks for a value.


class Given:
    """A value this form cannot do without (the title of a new application)."""

    field_flags = {"needed": True}

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        if not field.data:
            raise StopValidation(problem(field, str(self.message)))


class Pattern:
    def __init__(self, regex: str, message):
        self.regex, self.message = re.compile(regex), message

    def __call__(self, form, field):
        if field.data and not self.regex.match(field.data):
            raise FieldError(problem(field, str(self.message)))


def email_address(form, field):
    if field.data and not EMAIL_RE.match(field.data):
        raise FieldError(problem(field, gettext("enter an address like name@example.it.")))


class TaxCode:
    """A codice fiscale or partita IVA with a right check character (python-stdnum); a person's has 16 characters."""

    def __init__(self, person: bool = False):
        self.person = person

    def __call__(self, form, field):
        if not field.data:
            return
        if self.person and len(field.data) != 16:
            raise FieldError(problem(field, gettext("enter the 16 characters of the person's codice fiscale.")))
        if not codicefiscale.is_valid(field.data):
            raise FieldError(problem(field, gettext(
                "this codice fiscale is not valid (wrong length, characters or check character): copy it again "
                "from a document.")))


class Choice:
    """An answer among the listed ones (a tampered or outdated value is refused, an empty one is fine)."""

    def __call__(self, form, field):
        values = field.data if isinstance(field.data, list) else [field.data]
        allowed = {str(choice.value) for choice in field.iter_choices()}
        if any(value not in (None, "") and str(value) not in allowed for value in values):
            raise FieldError(problem(field, gettext("choose one of the options listed.")))


class _Limits:
    """The document's limits for this field: its length, and no control characters."""

    def __init__(self, max_length: int | None):
        self.max_length = max_length

    def __call__(self, form, field):
        if not isinstance(field.data, str):
            return
        if CONTROL_RE.search(field.data):
            raise FieldError(problem(field, gettext(
                "remove the invisible control characters (they come with text pasted from some programs).")))
        wrong = doc.character_problem(field.data)
        if wrong is not None:
            raise FieldError(problem(field, wrong))
        if self.max_length is not None and len(field.data) > self.max_length:
            raise FieldError(problem(field, gettext(
                "use at most %(max)s characters (now %(length)s).", max=self.max_length, length=len(field.data))))


# Where a form field sits in the document.


@cache
def _resolve(model: type[BaseModel], name: str) -> tuple[tuple[str, ...], type, typing.Any] | None:
    """`sede_cap` in Partner -> (("sede", "cap"), Sede, FieldInfo of cap); None if the name is not in the model."""
    for field_name, info in model.model_fields.items():
        if name == field_name:
            return (field_name,), model, info
        annotation = info.annotation
        if name.startswith(field_name + "_") and isinstance(annotation, type) and issubclass(annotation, BaseModel):
            inner = _resolve(annotation, name[len(field_name) + 1:])
            if inner is not None:
                return (field_name, *inner[0]), inner[1], inner[2]
    return None


def max_length(info) -> int | None:
    """The length limit the document model sets on a field (a text, or a list of texts)."""
    for item in info.metadata:
        if getattr(item, "max_length", None) is not None:
            return item.max_length
    return None


def limits_of(model: type[BaseModel], name: str) -> _Limits:
    """The document's limits for one text field of `model`, for a form field not named after it."""
    return _Limits(max_length(model.model_fields[name]))


def initial_values(obj: BaseModel, prefix: str = "") -> dict[str, object]:
    """A part of the document as a form's initial values: `sede.cap` becomes `sede_cap`."""
    out: dict[str, object] = {}
    for name in type(obj).model_fields:
        value = getattr(obj, name)
        if isinstance(value, BaseModel):
            out.update(initial_values(value, f"{prefix}{name}_"))
        else:
            out[f"{prefix}{name}"] = value
    return out


# A field of one sub-form of a list (a need's source): its name, `fonti-1-anno`, and its path, `fonti[1].anno`.
_SUB_FIELD = re.compile(r"(\w+?)-(\d+)-(\w+)")
_SUB_PATH = re.compile(r"(\w+)(?:\[|\.)(\d+)\]?\.(\w+)")


def _labels(field) -> list[tuple[str, str]]:
    """The (value, label) of a field's choices, if it has any."""
    choices = getattr(field, "choices", None) or []
    return [(c.value, c.label) if isinstance(c, SelectChoice) else (c[0], c[1]) for c in choices]


class Invalid(ValueError):
    """What the document model refused: (form field, Italian message) pairs."""

    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__(errors)
        self.errors = errors


SAVE = "salva"


class SectionForm(FlaskForm):
    """The form of one section of the document (`sezione`, a key of the sections registry) or of one item of a list
    section, built from `model` (the part it edits).

    Besides its fields it says how its page works: `action()` reads which button was pressed (SAVE, or an action of
    the page such as a search), `apply(action)` does such an action without saving, `prepare()` sets the choices the
    call and the application give, `page_context()` adds what the page shows beside the form.
    """

    model: type[BaseModel]
    sezione: str
    # How one entry of a list of sub-forms is called ("Fonte 2"), by the list's name.
    entry_labels: dict[str, str] = {}
    _by_section: dict[str, type[SectionForm]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "sezione" in cls.__dict__:
            SectionForm._by_section[cls.sezione] = cls

    @classmethod
    def of(cls, sezione: str) -> type[SectionForm]:
        """The form of a section (of its items, for a list section)."""
        return cls._by_section[sezione]

    @property
    def section(self) -> sezioni.Sezione:
        """The section this form edits, from the registry."""
        return sezioni.BY_KEY[self.sezione]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._paths: dict[str, tuple[str, ...]] = {}
        attributo = self.section.attributo
        for name, field in self._fields.items():
            found = _resolve(self.model, name)
            if found is None:
                continue
            path, _model, info = found
            self._paths[name] = path
            generic = ".".join((attributo, *path))
            field.flags.needed = is_required(generic) or generic in CONDITIONAL_LABELS or generic in PROCURATORE_LABELS
            limit = max_length(info) if info.annotation is str else None
            field.validators = [_Limits(limit), *field.validators]

    def prepare(self, domanda: doc.Domanda, edizione: Edizione, stored=None) -> None:
        """Set the choices the call's edition and the application give (categories, provinces, needs). `stored` is
        what the form edits as saved (a section's attributes, or the item; None for a new item): a saved value that
        is not among the choices stays one of them, so that the form shows it and saving does not drop it."""

    def action(self, pressed: str | None) -> str:
        """Which action a POST asks for: SAVE, unless the page has buttons of its own."""
        return SAVE

    def apply(self, action: str, edizione: Edizione) -> dict:
        """Do an action of the page other than saving (nothing is saved); return what the page shows of it."""
        return {}

    def page_context(self, domanda: doc.Domanda, edizione: Edizione) -> dict:
        """What the page shows beside the form, from what the form holds now."""
        return {}

    def to_model(self, **extra) -> BaseModel:
        """The part as typed (missing values empty); raises `Invalid` for what the document model refuses."""
        data: dict = {}
        for name, path in self._paths.items():
            value = self._fields[name].data
            target = data
            for part in path[:-1]:
                target = target.setdefault(part, {})
            if value is None:  # not in the form data: the field's empty value
                value = _resolve(self.model, name)[2].get_default(call_default_factory=True)
            target[path[-1]] = value
        data.update(extra)
        try:
            return self.model.model_validate(data)
        except ValidationError as exc:
            explained = [doc.explain(e) for e in exc.errors(include_url=False)]
            raise Invalid([(self.field_for(path), message) for path, message in explained]) from None

    def section_value(self) -> dict[str, object]:
        """A single section's attributes as typed, for patti_web.domande.save_section."""
        return {self.section.attributo: self.to_model()}

    def is_empty(self) -> bool:
        """Nothing typed at all (an "add" form that would add an empty item)."""
        return not any(self._fields[name].data for name in self._paths)

    def path_of(self, name: str) -> str:
        """The merge path of a form field (`sede_cap` -> `capofila.sede.cap`, or `sede.cap` for an item; a field of
        a sub-form, `fonti-1-anno` -> `fonti.1.anno`)."""
        found = _SUB_FIELD.fullmatch(name)
        parts = (found[1], found[2], found[3]) if found and found[1] in self._paths else self._paths[name]
        return ".".join(parts if self.section.is_list else (self.section.attributo, *parts))

    def merge_fields(self) -> dict[str, str]:
        """Every field a save merges, by name, with its merge path (the fields of sub-forms too, such as a source's
        year: a list of sources is merged source by source)."""
        fields = {name: self.path_of(name) for name in self._paths}
        for name in self._paths:
            if isinstance(self._fields[name], FieldList):
                for entry in self._fields[name].entries:
                    fields.update({sub.name: self.path_of(sub.name) for sub in entry.form})
        return fields

    def field_named(self, name: str):
        """A field by its name, a sub-form's too (`fonti-1-anno`), or None."""
        if name in self._fields:
            return self._fields[name]
        found = _SUB_FIELD.fullmatch(name)
        listed = self._fields.get(found[1]) if found else None
        if not isinstance(listed, FieldList):
            return None
        entry = next((e for e in listed.entries if e.name == f"{found[1]}-{found[2]}"), None)
        return entry.form._fields.get(found[3]) if entry is not None else None

    def field_for(self, path: str) -> str:
        """The form field of a document path (`partner[3].sede.cap`, `capofila.sede.cap` or `sede.cap` ->
        `sede_cap`; a source's `fonti[1].anno` or `fonti.1.anno` -> `fonti-1-anno`), or ""."""
        path = re.sub(rf"^{re.escape(self.section.attributo)}(\[\d+\])?\.?", "", path)
        found = _SUB_PATH.fullmatch(path)
        if found is not None and self.field_named(f"{found[1]}-{found[2]}-{found[3]}") is not None:
            return f"{found[1]}-{found[2]}-{found[3]}"
        name = re.sub(r"\[\d+\]", "", path).replace(".", "_")
        return name if name in self._fields else ""

    def label_for(self, name: str) -> str:
        """The label people read for a field: a sub-form's field says which one ("Fonte 2: Anno")."""
        found = _SUB_FIELD.fullmatch(name)
        field = self.field_named(name)
        if field is None:
            return name
        if found is not None and found[1] in self._fields:
            entry = gettext(self.entry_labels.get(found[1], "%(n)s"), n=int(found[2]) + 1)
            return gettext("%(entry)s: %(field)s", entry=entry, field=str(field.label.text))
        return str(field.label.text)

    def display(self, name: str, value: object) -> str:
        """A value of a field as people read it: a choice by its label, a list of sources one per line."""
        field = self.field_named(name)
        choices = dict(_labels(field)) if field is not None else {}
        if choices and isinstance(value, list):
            return ", ".join(str(choices.get(v, v)) for v in value) or shown_value(None)
        if choices and value in choices:
            return str(choices[value]) if value != NOT_CHOSEN else shown_value(None)
        if isinstance(field, FieldList) and isinstance(value, list):
            return "; ".join(", ".join(str(v) for v in item.values() if v not in ("", None)) for item in value
                             if isinstance(item, dict)) or shown_value(None)
        return shown_value(value)

    def rebase(self, values: dict[str, object]) -> list[str]:
        """Show, in the form, the values the merge kept in place of the person's (by merge path); return the names
        of the fields it changed."""
        names = {path: name for name, path in self.merge_fields().items()}
        changed = []
        for path, value in values.items():
            field = self.field_named(names.get(path, ""))
            if field is not None:
                field.process(None, value)
                changed.append(names[path])
        self.refresh()
        return changed

    def refresh(self) -> None:
        """Set again what the fields say of themselves after their values were replaced (see `rebase`)."""

    def add_errors(self, errors: list[tuple[str, str]]) -> None:
        """Put errors from the document or the use cases next to their fields, naming them (or on the form)."""
        for path, message in errors:
            name = self.field_for(path) if "." in path or "[" in path else path
            field = self.field_named(name)
            if isinstance(field, FieldList):
                self.form_errors.append(problem(field, message))
            elif field is not None:
                field.errors = [*field.errors, problem(field, message)]
            else:
                self.form_errors.append(message)


class VersionMixin:
    """The version of the application the form was opened on: a save based on an older one is merged into the
    current version (patti_web.domande.merge). After a conflict, `conflitto` lists the fields that asked which value
    to keep (their answers come as scelta-<field>)."""

    versione = HiddenField()
    conflitto = HiddenField()

    def base_version(self) -> int | None:
        value = str(self.versione.data or "").strip()  # a str when posted, the int of the initial data if not
        return int(value) if value.isdigit() and len(value) < 12 else None


# Field kinds.


class CodesField(StringField):
    """Codes typed in one box, separated by commas or spaces; `data` is the list, in order, without repeats."""

    def process_formdata(self, valuelist):
        if valuelist:
            parts = [p.strip().upper() for p in re.split(r"[,;\s]+", valuelist[0] or "") if p.strip()]
            self.data = list(dict.fromkeys(parts))

    def _value(self) -> str:
        return ", ".join(self.data or [])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        """Checked by the `Choice` validator, with a message that names the field."""


NOT_CHOSEN = ""


class ChoiceField(RadioField):
    """Radio buttons whose first option is an explicit "not chosen yet", ticked until the person chooses: so no
    browser shows (or sends) a choice nobody made. A value not listed is refused by `Choice`."""

    def __init__(self, *args, empty_label=None, **kwargs):
        super().__init__(*args, validate_choice=False, **kwargs)
        self.empty_label = empty_label or _l("Not chosen yet")

    def set_choices(self, choices: list[tuple[str, str]]) -> None:
        self.choices = [(NOT_CHOSEN, self.empty_label), *choices]

    def process_data(self, value):
        self.data = value or NOT_CHOSEN

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = valuelist[0] or NOT_CHOSEN


class YesNoField(ChoiceField):
    """Yes / No / not said yet, as True / False / None."""

    def __init__(self, label, **kwargs):
        super().__init__(label, empty_label=_l("Not said yet"), **kwargs)
        self.set_choices([SelectChoice("si", _l("Yes")), SelectChoice("no", _l("No"))])

    def process_data(self, value):
        self.data = {True: "si", False: "no"}.get(value, NOT_CHOSEN)

    @property
    def answer(self) -> bool | None:
        return {"si": True, "no": False}.get(self.data)


class YearField(IntegerField):
    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        value = valuelist[0].strip()
        if not value.isdigit() or len(value) > 4:
            self.data = None
            raise ValueError(problem(self, gettext("enter the year with 4 digits, e.g. 2022.")))
        self.data = int(value)


_DAY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def _iso_day(text: str) -> str | None:
    """A day as people type it (10/12/1985, 10.12.1985, 10-12-1985) or as the document holds it (1985-12-10), as
    YYYY-MM-DD; None when it is not a date."""
    found = _DAY.match(text)
    try:
        if found is not None:
            return date(int(found[3]), int(found[2]), int(found[1])).isoformat()
        return date.fromisoformat(text).isoformat() if len(text) == 10 else None
    except ValueError:
        return None


class DayField(StringField):
    """A day typed as 10/12/1985; `data` is "1985-12-10" as the document holds it, or what was typed when it is not
    a date (kept in the box, refused by `past_day`)."""

    def process_formdata(self, valuelist):
        if valuelist:
            typed = (valuelist[0] or "").strip()
            self.data = _iso_day(typed) or typed

    def _value(self) -> str:
        iso = _iso_day(self.data or "") if isinstance(self.data, str) else None
        return date.fromisoformat(iso).strftime("%d/%m/%Y") if iso else (self.data or "")


def past_day(form, field):
    """A date that is a date, and has come (a birth, a procura)."""
    if not field.data:
        return
    iso = _iso_day(field.data)
    if iso is None:
        raise FieldError(problem(field, gettext("enter the date as day/month/year, e.g. 10/12/1985.")))
    if date.fromisoformat(iso) > today():
        raise FieldError(problem(field, gettext("enter a date that is not in the future.")))


def year_in_range(form, field):
    """A study is from a year that has come: between 1900 and this year."""
    this_year = today().year
    if field.data is not None and not doc.YEAR_MIN <= field.data <= this_year:
        raise FieldError(problem(field, gettext("enter a year between %(min)s and %(max)s.", min=doc.YEAR_MIN,
                                                max=this_year)))


def a_day_not_after_today(form, field):
    """A day printed on something (a marca da bollo): a date, and not after today."""
    if not field.data:
        return
    day = stamp_date(_iso_day(field.data) or "")
    if day is None:
        raise FieldError(problem(field, gettext("enter the day as printed, e.g. 20/01/2023.")))
    if day > today():
        raise FieldError(problem(field, gettext("the day cannot be after today (%(today)s).",
                                                today=f"{today():%d/%m/%Y}")))


def web_address(form, field):
    if not field.data:
        return
    try:
        parts = urlsplit(field.data)
        labels = (parts.hostname or "").split(".")
    except ValueError:  # a malformed address ("https://[x")
        parts, labels = urlsplit(""), []
    named = labels[1:] if labels[:1] == ["www"] else labels
    if (parts.scheme not in ("http", "https") or len(named) < 2 or not all(named)
            or not (named[-1].isalpha() and len(named[-1]) >= 2) or any(c.isspace() for c in field.data)):
        raise FieldError(problem(field, gettext(
            "enter the whole web address, e.g. https://www.esempio.it/studio.pdf.")))


def province_of_italy(form, field):
    if field.data and field.data not in SIGLE:
        raise FieldError(problem(field, gettext(
            "enter the two letters of an Italian province, e.g. BS (EE for a seat abroad).")))


def text(label, *validators):
    return StringField(label, list(validators), filters=[one_line])


def long_text(label, *validators):
    return TextAreaField(label, list(validators), filters=[strip_lines])


def tax_code(label, *, person: bool = False):
    return StringField(label, [TaxCode(person)], filters=[_tax_code])


CAP = Pattern(r"^\d{5}$", _l("enter 5 digits, e.g. 25121."))
TELEPHONE = Pattern(r"^[0-9 +().-]*$", _l("use digits, spaces, + and brackets only, e.g. 030 3725111."))
REA = Pattern(r"^([A-Z]{2}-?)?\d{1,7}$", _l("enter the province and the number, e.g. BS-123456."))
STAMP_IDENTIFIER = Pattern(rf"^\d{{{STAMP_DIGITS}}}$", _l("enter the 14 digits printed on the stamp under "
                                                          "\u201cidentificativo\u201d, e.g. 01234567890123."))


def _digits(value):
    """An identifier as typed, without the spaces people put between groups of digits."""
    return one_line(value).replace(" ", "") if isinstance(value, str) else value


def _rea(value):
    value = _compact(value)
    return re.sub(r"^([A-Z]{2})(\d)", r"\1-\2", value) if value else value


def _ateco_codes(form, field):
    wrong = [c for c in field.data or [] if not ATECO_RE.match(c)]
    if wrong:
        raise FieldError(problem(field, gettext("%(codes)s: not ATECO codes. Use codes like 25.62 or 28.41.00.",
                                                codes=", ".join(wrong))))


def _with_saved(choices: list[tuple[str, str]], *saved: str) -> list[tuple[str, str]]:
    """The choices, and after them each saved value that is not one of them (an import, an older edition), said to
    be none of the call's: shown, and kept if the person does not change it."""
    known = {value for value, _label in choices}
    extra = [(value, gettext("\u201c%(value)s\u201d (not a choice of the call)", value=value))
             for value in dict.fromkeys(saved) if value and value not in known]
    return [*choices, *extra]


# The ATECO search of a sector's page (and of its own page, /domande/ateco).

ATECO_PAGE = 10


def ateco_matches(query: str, edizione: Edizione, page: int = 1):
    """The best matches of a code or words in the edition's ATECO classification, `page` pages of them, and how
    many there are in all."""
    return search_ateco(query or "", edizione.edizione_ateco, limit=ATECO_PAGE * page)


def ateco_focus(page: int, asked: bool) -> int | None:
    """Where focus goes in the matches: the first new one after "Show more" (its place), the count (-1) after a
    search the user asked for, nowhere while suggestions follow typing (focus stays in the box)."""
    if page > 1:
        return ATECO_PAGE * (page - 1)
    return -1 if asked else None


def results_page(value: str | None) -> int:
    return int(value) if value and value.isdigit() and 0 < int(value) <= 50 else 1


# The forms.


class NewDomandaForm(OneTimeTokenMixin, FlaskForm):
    titolo = StringField(_l("Title of the Patto"), [
        Given(_l("give the Patto a title (you can change it later).")), limits_of(doc.Domanda, "titolo")],
        filters=[one_line])


class ImportForm(OneTimeTokenMixin, FlaskForm):
    documento = FileField(_l("JSON file (patti-web/domanda)"),
                          [FileRequired(message=_l("JSON file: choose a file to import."))])


class DuplicateForm(OneTimeTokenMixin, FlaskForm):
    """The "Duplicate" button: the CSRF token and a one-time token (a double click makes one copy)."""


class RemoveForm(VersionMixin, EmptyForm):
    """The confirmation of a removal: the version its page showed (an item changed since is asked about again)."""


class CapofilaForm(VersionMixin, SectionForm):
    model = doc.Capofila
    sezione = "capofila"

    titolo = StringField(_l("Title of the Patto"), [limits_of(doc.Domanda, "titolo")], filters=[one_line])
    denominazione = text(_l("Name of the lead partner"))
    tipologia = ChoiceField(_l("Type of lead partner"), [Choice()])
    codice_fiscale = tax_code(_l("Codice fiscale of the lead partner"))
    sede_indirizzo = text(_l("Address of the registered office"))
    sede_cap = text(_l("Postcode (CAP) of the registered office"), CAP)
    sede_comune = text(_l("Municipality of the registered office"))
    sede_provincia = SelectField(_l("Province of the registered office"), [Choice()], validate_choice=False)
    pec = text(_l("PEC address of the lead partner"), email_address)
    rappresentanza_descrizione = long_text(_l("Sector or supply chain the association represents"))
    rappresentanza_ateco = CodesField(_l("ATECO codes of the sector it represents"), [_ateco_codes])
    legale_rappresentante_nome = text(_l("First name of the legal representative"))
    legale_rappresentante_cognome = text(_l("Surname of the legal representative"))
    legale_rappresentante_codice_fiscale = tax_code(_l("Codice fiscale of the legal representative"), person=True)
    legale_rappresentante_carica = text(_l("Office held by the legal representative"))
    legale_rappresentante_luogo_nascita = text(_l("Place of birth of the legal representative"))
    legale_rappresentante_data_nascita = DayField(_l("Date of birth of the legal representative"), [past_day])
    procuratore_nome = text(_l("First name of the procuratore"))
    procuratore_cognome = text(_l("Surname of the procuratore"))
    procuratore_codice_fiscale = tax_code(_l("Codice fiscale of the procuratore"), person=True)
    procuratore_luogo_nascita = text(_l("Place of birth of the procuratore"))
    procuratore_data_nascita = DayField(_l("Date of birth of the procuratore"), [past_day])
    procuratore_procura_numero = text(_l("Number of the procura"))
    procuratore_procura_data = DayField(_l("Date of the procura"), [past_day])
    referente_nome = text(_l("First name of the contact person"))
    referente_cognome = text(_l("Surname of the contact person"))
    referente_email = text(_l("Email of the contact person"), email_address)
    referente_telefono = text(_l("Telephone of the contact person"), TELEPHONE)
    bollo_identificativo = StringField(_l("Identifier of the marca da bollo"), [STAMP_IDENTIFIER],
                                       filters=[_digits])
    bollo_data = DayField(_l("Date of the marca da bollo"), [a_day_not_after_today])
    bollo_dichiarazione = BooleanField(_l(
        "I declare, under D.P.R. 445/2000, that this marca da bollo is used for this application only and that the "
        "applicant keeps it in original."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.titolo.flags.needed = is_required("titolo")
        self.bollo_dichiarazione.flags.needed = True

    def prepare(self, domanda: doc.Domanda, edizione: Edizione, stored=None) -> None:
        saved = (stored or {}).get("capofila") or doc.Capofila()
        self.tipologia.set_choices(_with_saved([(t.chiave, t.etichetta) for t in edizione.capofila],
                                               saved.tipologia))
        self.sede_provincia.choices = [("", _l("Choose...")), *_with_saved(
            [(p.chiave, p.etichetta) for p in edizione.province], saved.sede.provincia)]

    def section_value(self) -> dict[str, object]:
        return {"titolo": self.titolo.data or "", "capofila": self.to_model()}

    def page_context(self, domanda: doc.Domanda, edizione: Edizione) -> dict:
        """Whether the marca da bollo is due for the type of lead partner in the form (or saved), and the types that
        owe none (public bodies)."""
        tipo = edizione.tipi_capofila.get(self.tipologia.data or "")
        return {"bollo": stamp_duty_of_type(self.tipologia.data or "", edizione), "importo_bollo": edizione.bollo,
                "tipo_capofila": tipo.nome_breve if tipo is not None else "",
                "esenti_bollo": [t.nome_breve for t in edizione.capofila if t.esente_bollo]}

    def path_of(self, name: str) -> str:
        return "titolo" if name == "titolo" else super().path_of(name)

    def merge_fields(self) -> dict[str, str]:
        return {"titolo": "titolo", **super().merge_fields()}

    def field_for(self, path: str) -> str:
        return "titolo" if path == "titolo" else super().field_for(path)


class PartnerForm(VersionMixin, OneTimeTokenMixin, SectionForm):
    model = doc.Partner
    sezione = "partenariato"
    # Partners are added on the list's own page (htmx: the list and the form come back in place).
    on_the_list = True
    list_fragment = "partner_area"
    # The list alone, as its filter changes (htmx), and where the form is (after an add, the page lands there).
    filter_target, filter_block, add_anchor = "elenco-partner", "partner_list", "aggiungi"
    empty_field, empty_message = "denominazione", _l("write at least the partner's name; the rest can be added later.")

    denominazione = text(_l("Name of the partner"))
    categoria = ChoiceField(_l("Category"), [Choice()])
    rete = YesNoField(_l("Is it a network (or an association of its members)?"))
    codice_fiscale = tax_code(_l("Codice fiscale or partita IVA"))
    rea = StringField(_l("REA number (businesses)"), [REA], filters=[_rea])
    ccnl = text(_l("CCNL signed (trade unions)"))
    sede_indirizzo = text(_l("Address"))
    sede_cap = text(_l("Postcode (CAP)"), CAP)
    sede_comune = text(_l("Municipality"))
    sede_provincia = StringField(_l("Province (abbreviation)"), [province_of_italy], filters=[_compact])
    pec = text(_l("PEC address"), email_address)
    legale_rappresentante_nome = text(_l("First name of the legal representative"))
    legale_rappresentante_cognome = text(_l("Surname of the legal representative"))
    legale_rappresentante_codice_fiscale = tax_code(_l("Codice fiscale of the legal representative"), person=True)
    referente_nome = text(_l("First name of the contact person"))
    referente_cognome = text(_l("Surname of the contact person"))
    referente_email = text(_l("Email of the contact person"), email_address)
    referente_telefono = text(_l("Telephone of the contact person"), TELEPHONE)

    def prepare(self, domanda: doc.Domanda, edizione: Edizione, stored=None) -> None:
        self.categoria.set_choices(_with_saved([(c.chiave, c.etichetta) for c in edizione.categorie_partner.values()],
                                               stored.categoria if stored is not None else ""))

    def to_model(self, **extra) -> doc.Partner:
        return super().to_model(rete=self.rete.answer, **extra)

    def page_context(self, domanda: doc.Domanda, edizione: Edizione) -> dict:
        """The list as the page's filter (in the address: ?nome=&categoria=) shows it; the form to load partners
        from a spreadsheet."""
        import_form = PartnerImportForm(formdata=None)
        import_form.fresh_token()
        return {"filtro": PartnerFilter.of(request.args, domanda, edizione), "import_form": import_form,
                "import_limits": {"max": format_number(limit_of_list("partner")), "size": fogli.size(fogli.MAX_BYTES)}}


NO_CATEGORY = "-"


def limit_of_list(attribute: str) -> int:
    """How many items the document holds at most in a list (1000 partners)."""
    return max_length(doc.Domanda.model_fields[attribute])


@dataclass(frozen=True)
class PartnerFilter:
    """The partners a filter of the list shows: whose name or codice fiscale holds `nome` (case and accents aside)
    and whose category is `categoria` (NO_CATEGORY: none chosen yet; "": any). `options` are the categories of the
    partnership, with how many partners each has, for the filter's list."""

    nome: str
    categoria: str
    shown: list[tuple[int, doc.Partner]]
    total: int
    options: list[tuple[str, str, int]]

    @property
    def active(self) -> bool:
        return bool(self.nome or self.categoria)

    @property
    def query(self) -> dict[str, str]:
        """The filter as the address's arguments (only those set)."""
        return {k: v for k, v in (("nome", self.nome), ("categoria", self.categoria)) if v}

    @classmethod
    def of(cls, args, domanda: doc.Domanda, edizione: Edizione) -> PartnerFilter:
        nome = " ".join(str(args.get("nome", ""))[:100].split())
        categoria = str(args.get("categoria", ""))[:64]
        wanted = _folded(nome)
        counts: dict[str, int] = {}
        for partner in domanda.partner:
            counts[partner.categoria or NO_CATEGORY] = counts.get(partner.categoria or NO_CATEGORY, 0) + 1
        categorie = edizione.categorie_partner
        options = [(key, categorie[key].nome_breve, counts[key]) for key in categorie if key in counts]
        options += [(key, gettext("\u201c%(value)s\u201d (not a choice of the call)", value=key), n)
                    for key, n in counts.items() if key not in categorie and key != NO_CATEGORY]
        if NO_CATEGORY in counts:
            options.append((NO_CATEGORY, gettext("No category yet"), counts[NO_CATEGORY]))
        shown = [(index, p) for index, p in enumerate(domanda.partner, start=1)
                 if (not categoria or (p.categoria or NO_CATEGORY) == categoria)
                 and (not wanted or wanted in _folded(p.denominazione)
                      or wanted.replace(" ", "").upper() in normalize_tax_code(p.codice_fiscale))]
        return cls(nome, categoria, shown, len(domanda.partner), options)


def _folded(text: str) -> str:
    """A text as the filter compares it: lower case, without accents, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


class PartnerImportForm(OneTimeTokenMixin, FlaskForm):
    """The file of partners to load (patti_web.web.domande.partner_import)."""

    foglio = FileField(_l("Spreadsheet (CSV or Excel .xlsx)"),
                       [FileRequired(message=_l("Spreadsheet (CSV or Excel .xlsx): choose the file to load."))])


class TerritorioForm(VersionMixin, SectionForm):
    model = doc.Territorio
    sezione = "territorio"
    # "Check without saving": with htmx, on every change, only this block of the page comes back.
    fragment = "coerenza"
    CHECK = "verifica"

    ambito = ChoiceField(_l("Territorial scope"), [Choice()])
    province = MultiCheckboxField(_l("Provinces"), [Choice()])
    descrizione = long_text(_l("The area in detail"))

    def prepare(self, domanda: doc.Domanda, edizione: Edizione, stored=None) -> None:
        saved = (stored or {}).get("territorio") or doc.Territorio()
        self.ambito.set_choices(_with_saved([(a.chiave, a.etichetta) for a in edizione.ambiti], saved.ambito))
        self.province.choices = _with_saved([(p.chiave, p.etichetta) for p in edizione.province], *saved.province)

    def action(self, pressed: str | None) -> str:
        return self.CHECK if pressed == self.CHECK else SAVE

    def apply(self, action: str, edizione: Edizione) -> dict:
        self.validate()
        return {}

    def page_context(self, domanda: doc.Domanda, edizione: Edizione) -> dict:
        """The coherence rule for what the form holds right now (saved or not), from the rule engine."""
        shown = domanda.territorio
        if self.is_submitted() and not self.errors:
            try:
                shown = self.to_model()
            except Invalid as exc:
                self.add_errors(exc.errors)
        checked = domanda.model_copy(update={"territorio": shown})
        return {"territory_findings": list(check_territory(checked, edizione))}


class SettoreForm(VersionMixin, OneTimeTokenMixin, SectionForm):
    model = doc.Settore
    sezione = "settori"
    empty_field, empty_message = "descrizione", _l("describe the sector or supply chain, or add its ATECO codes.")

    descrizione = long_text(_l("Sector or supply chain"))
    ateco = CodesField(_l("ATECO codes"), [_ateco_codes])
    q = StringField(_l("Search the ATECO classification"), [_Limits(100)], filters=[one_line])
    pagina = StringField()  # how many pages of matches are shown (they stay shown after choosing a code)

    def is_empty(self) -> bool:
        return not (self.descrizione.data or self.ateco.data)

    def action(self, pressed: str | None) -> str:
        if pressed == "invio":  # Enter in a text box: search when a search is typed, else save
            return "cerca" if self.q.data else SAVE
        return pressed or SAVE

    def apply(self, action: str, edizione: Edizione) -> dict:
        """Search, or add or remove a code. The search and its matches stay after a code is added or removed (three
        codes from one list are three clicks); after an add, focus goes to the next match not chosen yet (else to
        the count), after a removal to the chosen codes."""
        verb, _sep, value = action.partition(":")
        if verb == "cerca":
            page = results_page(value)
            matches, total = ateco_matches(self.q.data, edizione, page)
            return {"matches": matches, "total": total, "page": page, "searched": True,
                    "focus_at": ateco_focus(page, True)}
        if verb == "aggiungi" and value:
            self.ateco.data = list(dict.fromkeys([*(self.ateco.data or []), value]))
        elif verb == "togli" and value:
            self.ateco.data = [c for c in self.ateco.data or [] if c != value]
        else:
            return {}
        shown = {"added": value if verb == "aggiungi" else None, "removed": value if verb == "togli" else None}
        if not self.q.data:
            return shown
        page = results_page(self.pagina.data)
        matches, total = ateco_matches(self.q.data, edizione, page)
        focus_at = None
        if verb == "aggiungi":
            codes = [m.code for m in matches]
            after = codes.index(value) + 1 if value in codes else 0
            focus_at = next((n for n in range(after, len(codes)) if codes[n] not in self.ateco.data), -1)
        return {**shown, "matches": matches, "total": total, "page": page, "searched": True, "focus_at": focus_at}

    def page_context(self, domanda: doc.Domanda, edizione: Edizione) -> dict:
        chosen = [(code, ateco_node(code, edizione)) for code in self.ateco.data or [] if ATECO_RE.match(code)]
        return {"matches": [], "total": 0, "page": 1, "searched": False, "focus_at": None, "chosen": chosen,
                "chosen_codes": [code for code, _node in chosen], "added": None, "removed": None}


class FonteForm(Form):
    titolo = text(_l("Title of the analysis, research or study"), limits_of(doc.Fonte, "titolo"))
    autore = text(_l("Author or body"), limits_of(doc.Fonte, "autore"))
    anno = YearField(_l("Year"), [year_in_range])
    url = StringField(_l("Link"), [limits_of(doc.Fonte, "url"), web_address], filters=[_url])

    def is_empty(self) -> bool:
        return not any([self.titolo.data, self.autore.data, self.anno.data, self.url.data])


class FabbisognoForm(VersionMixin, OneTimeTokenMixin, SectionForm):
    model = doc.Fabbisogno
    sezione = "fabbisogni"
    empty_field, empty_message = "titolo", _l("name the skills need; the rest can be added later.")
    entry_labels = {"fonti": N_("Source %(n)s")}

    titolo = text(_l("Title of the skills need"))
    descrizione = long_text(_l("Description of the need"))
    lacune_politiche_attive = long_text(_l("Why current active labour policies do not fully answer it"))
    fonti = FieldList(FormField(FonteForm), _l("Analyses, research and studies"), min_entries=1, max_entries=50)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mark_needed()

    def mark_needed(self) -> None:
        """Say which fields of each source the call asks for (again after a source is added)."""
        for entry in self.fonti:
            for name, field in entry.form._fields.items():
                field.flags.needed = is_required(f"fabbisogni.fonti.{name}")

    def refresh(self) -> None:
        self.mark_needed()

    def action(self, pressed: str | None) -> str:
        return pressed or SAVE

    def apply(self, action: str, edizione: Edizione) -> dict:
        verb, _sep, value = action.partition(":")
        if verb == "aggiungi-fonte" and len(self.fonti) < self.fonti.max_entries:
            self.fonti.append_entry()
            self.mark_needed()
        elif verb == "aggiungi-fonte":  # a page sent with the limit reached (the button is not shown then)
            self.fonti.errors = [problem(self.fonti, gettext(
                "at most %(max)s sources: to add another, remove one.", max=self.fonti.max_entries))]
        elif verb == "togli-fonte":
            self.fonti.entries = [e for e in self.fonti.entries if e.id != value] or self.fonti.entries
        return {}

    def to_model(self, **extra) -> doc.Fabbisogno:
        fonti = [doc.Fonte(titolo=e.titolo.data or "", autore=e.autore.data or "", anno=e.anno.data,
                           url=e.url.data or "") for e in self.fonti if not e.form.is_empty()]
        return super().to_model(fonti=fonti, **extra)

    def is_empty(self) -> bool:
        return not (self.titolo.data or self.descrizione.data or self.lacune_politiche_attive.data
                    or any(not e.form.is_empty() for e in self.fonti))


class InterventoForm(VersionMixin, OneTimeTokenMixin, SectionForm):
    model = doc.Intervento
    sezione = "interventi"
    empty_field, empty_message = "titolo", _l("name the intervention; the rest can be added later.")

    titolo = text(_l("Title of the intervention"))
    descrizione = long_text(_l("Description of the intervention"))
    destinatari = long_text(_l("Who it is for"))
    fabbisogni = MultiCheckboxField(_l("Skills needs it answers"), [Choice()])

    def prepare(self, domanda: doc.Domanda, edizione: Edizione, stored=None) -> None:
        choices = [(n.id, f"{n.id} \u2014 {n.titolo}") for n in domanda.fabbisogni]
        known = {code for code, _label in choices}
        # A need removed meanwhile that this intervention still cites stays ticked, said to be gone (the rules say
        # the intervention refers to a need that does not exist): unticking it is the person's choice.
        for code in (stored.fabbisogni if stored is not None else []):
            if code not in known:
                choices.append((code, gettext("%(code)s (no longer among the skills needs)", code=code)))
                known.add(code)
        # A need ticked on a page opened before someone removed it: still shown ticked, and the person is asked to
        # untick it (validate_fabbisogni), rather than told to pick "one of the options listed" (a value that
        # cannot be a need's code is still that).
        self._removed_meanwhile = [code for code in (self.fabbisogni.data or [])
                                   if code not in known and doc.SAFE_NEED_ID.fullmatch(code or "")]
        choices += [(code, gettext("%(code)s (removed meanwhile)", code=code)) for code in self._removed_meanwhile]
        self.fabbisogni.choices = choices

    def validate_fabbisogni(self, field) -> None:
        if getattr(self, "_removed_meanwhile", None):
            raise FieldError(problem(field, ngettext(
                "the skills need %(codes)s was removed after this page was opened: untick it, or add the need again.",
                "the skills needs %(codes)s were removed after this page was opened: untick them, or add the needs "
                "again.", len(self._removed_meanwhile), codes=", ".join(self._removed_meanwhile))))


# What a change touched, in words (the activity page) --------------------------------------------------------------


def label_of_path(path: str) -> str | None:
    """The label of the form field a JSON Pointer of the document lands in: "/capofila/sede/cap" -> "CAP della sede
    legale", "/partner/3/sede/provincia" -> "Provincia...", "/titolo" -> "Titolo del Patto"; None if no field does."""
    parts = [p for p in path.strip("/").split("/") if p and not p.isdigit()]
    section = sezioni.BY_ATTRIBUTE.get(parts[0]) if parts else None
    if section is None:
        return None
    form = SectionForm.of(section.chiave)
    rest = parts if parts[0] != section.attributo else parts[1:]
    for end in range(len(rest), 0, -1):
        field = getattr(form, "_".join(rest[:end]), None)
        if field is None or not getattr(field, "args", None):
            continue
        if field.field_class is FieldList:  # a list of sub-forms: the field of the sub-form, if the path says it
            sub = getattr(field.args[0].args[0], "_".join(rest[end:]), None) if rest[end:] else None
            if sub is not None:
                return gettext("%(list)s: %(field)s", list=str(field.args[1]), field=str(sub.args[0]))
            return str(field.args[1])
        return str(field.args[0])
    return None
