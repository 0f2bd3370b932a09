"""Forms of an application's sections. They check shape (required, length, format); the call's rules are in rules.py.

Field names are the model's column names, so that `form.populate_obj(row)` stores a section.
"""

from __future__ import annotations

import re
import secrets

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from stdnum.it import codicefiscale
from wtforms import (
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
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from patti_web.calls import Edizione

EMAIL_RE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
ATECO_RE = re.compile(r"^([A-U]|\d{2}(\.\d{1,2}(\.\d{1,2})?)?)$")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _upper(value):
    return value.strip().upper().replace(" ", "") if isinstance(value, str) else value


def required(message=None):
    return DataRequired(message=message or _l("Fill in this field."))


def text(label, max_length: int, *, optional: bool = False, message=None, **kwargs):
    checks = [Optional()] if optional else [required(message)]
    checks.append(Length(max=max_length, message=_l("Use at most %(max)d characters.")))
    return StringField(label, checks + kwargs.pop("validators", []), filters=[_strip], **kwargs)


def long_text(label, max_length: int, *, optional: bool = False, message=None):
    checks = [Optional()] if optional else [required(message)]
    checks.append(Length(max=max_length, message=_l("Use at most %(max)d characters.")))
    return TextAreaField(label, checks, filters=[_strip])


def email(label, *, optional: bool = False):
    return text(label, 254, optional=optional,
                validators=[Regexp(EMAIL_RE, message=_l("Enter an email address like name@example.it."))])


def tax_code(label, *, person: bool = False, optional: bool = False):
    """A codice fiscale (or partita IVA) checked with python-stdnum as typed."""

    def check(form, field):
        if field.data and not codicefiscale.is_valid(field.data):
            raise ValidationError(_l("This codice fiscale is not valid: check every character."))
        if field.data and person and len(field.data) != 16:
            raise ValidationError(_l("Enter the 16-character codice fiscale of the person."))

    checks = [Optional()] if optional else [required()]
    return StringField(label, checks + [Length(max=16, message=_l("Use at most %(max)d characters.")), check],
                       filters=[_upper])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class OneTimeTokenMixin:
    """A hidden one-time token: the same "add" form submitted twice adds one row, not two."""

    form_token = HiddenField()

    def fresh_token(self) -> None:
        self.form_token.data = secrets.token_urlsafe(24)


class NewApplicationForm(FlaskForm):
    titolo = text(_l("Title of the Patto"), 300, message=_l("Give the Patto a title."))


class ImportForm(FlaskForm):
    documento = FileField(_l("JSON file (patti-web/domanda@1)"),
                          [FileRequired(message=_l("Choose a file to import."))])


class EmptyForm(FlaskForm):
    """Buttons that only POST (delete, duplicate): the CSRF token and nothing else."""


class CapofilaForm(FlaskForm):
    titolo = text(_l("Title of the Patto"), 300)
    denominazione = text(_l("Name of the organisation"), 300)
    tipologia = RadioField(_l("Type of lead partner"), validators=[InputRequired(_l("Choose the type."))])
    codice_fiscale = tax_code(_l("Codice fiscale"))
    sede_indirizzo = text(_l("Address"), 200)
    sede_cap = text(_l("Postcode (CAP)"), 10, validators=[Regexp(r"^\d{5}$", message=_l("Enter 5 digits."))])
    sede_comune = text(_l("Municipality"), 100)
    sede_provincia = SelectField(_l("Province"), validators=[InputRequired(_l("Choose the province."))])
    pec = email(_l("PEC address"))
    legale_rappresentante_nome = text(_l("First name"), 100)
    legale_rappresentante_cognome = text(_l("Surname"), 100)
    legale_rappresentante_codice_fiscale = tax_code(_l("Codice fiscale"), person=True)
    referente_nome = text(_l("First name"), 100)
    referente_cognome = text(_l("Surname"), 100)
    referente_email = email(_l("Email"))
    referente_telefono = text(_l("Telephone"), 30, optional=True,
                              validators=[Regexp(r"^[0-9 +().-]*$", message=_l("Use digits, spaces and + only."))])

    def set_choices(self, edizione: Edizione) -> None:
        self.tipologia.choices = [(t.chiave, t.etichetta) for t in edizione.capofila]
        self.sede_provincia.choices = [("", _l("Choose..."))] + [
            (p.chiave, p.etichetta) for p in edizione.province
        ]


class PartnerForm(OneTimeTokenMixin, FlaskForm):
    denominazione = text(_l("Name of the organisation"), 300)
    categoria = RadioField(_l("Category"), validators=[InputRequired(_l("Choose the category of the partner."))])
    codice_fiscale = tax_code(_l("Codice fiscale or partita IVA"))
    sede_indirizzo = text(_l("Address"), 200, optional=True)
    sede_cap = text(_l("Postcode (CAP)"), 10, optional=True,
                    validators=[Regexp(r"^\d{5}$", message=_l("Enter 5 digits."))])
    sede_comune = text(_l("Municipality"), 100)
    sede_provincia = text(_l("Province (abbreviation)"), 2,
                          validators=[Regexp(r"^[A-Za-z]{2}$", message=_l("Enter the two letters, e.g. BS."))])
    pec = email(_l("PEC address"), optional=True)
    referente_nome = text(_l("Contact person: first name"), 100, optional=True)
    referente_cognome = text(_l("Contact person: surname"), 100, optional=True)
    referente_email = email(_l("Contact person: email"), optional=True)
    referente_telefono = text(_l("Contact person: telephone"), 30, optional=True,
                              validators=[Regexp(r"^[0-9 +().-]*$", message=_l("Use digits, spaces and + only."))])

    def set_choices(self, edizione: Edizione) -> None:
        self.categoria.choices = [(c.chiave, c.etichetta) for c in edizione.categorie.values()]

    def validate_sede_provincia(self, field):
        field.data = (field.data or "").upper()


class TerritoryForm(FlaskForm):
    ambito = RadioField(_l("Territorial scope"), validators=[InputRequired(_l("Choose the territorial scope."))])
    province = MultiCheckboxField(_l("Provinces"))

    def set_choices(self, edizione: Edizione) -> None:
        self.ambito.choices = [(a.chiave, a.etichetta) for a in edizione.ambiti]
        self.province.choices = [(p.chiave, p.etichetta) for p in edizione.province]


class SectorForm(OneTimeTokenMixin, FlaskForm):
    descrizione = long_text(_l("Sector or supply chain"), 2000, message=_l("Describe the sector or supply chain."))
    codici = StringField(_l("ATECO codes"), filters=[_strip])
    q = StringField(_l("Search the ATECO classification"), [Optional(), Length(max=100)], filters=[_strip])

    def validate_codici(self, field):
        codes = self.codes()
        wrong = [c for c in codes if not ATECO_RE.match(c)]
        if wrong:
            # Not lazy: Flask-Babel's lazy strings are printed unescaped, and this one holds what the user typed.
            raise ValidationError(gettext("Not an ATECO code: %(codes)s. Use codes like 25.62 or 28.41.00.",
                                          codes=", ".join(wrong)))
        if len(codes) > 50:
            raise ValidationError(_l("At most 50 codes."))

    def codes(self) -> list[str]:
        """The codes typed, in order, without repeats."""
        parts = [p.strip().upper() for p in re.split(r"[,;\s]+", self.codici.data or "") if p.strip()]
        return list(dict.fromkeys(parts))


class SourceForm(Form):
    titolo = text(_l("Title of the analysis, research or study"), 500, optional=True)
    autore = text(_l("Author or body"), 300, optional=True)
    anno = IntegerField(_l("Year"), [Optional(), NumberRange(1900, 2100, message=_l("Enter a year like 2022."))])
    url = text(_l("Link"), 1000, optional=True)

    def is_empty(self) -> bool:
        return not any([self.titolo.data, self.autore.data, self.anno.data, self.url.data])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not self.is_empty():
            for name in ("titolo", "autore", "anno"):
                field = self[name]
                if not field.data and not field.errors:
                    field.errors = [*field.errors, _l("Fill in this field.")]
                    ok = False
        return ok


class NeedForm(OneTimeTokenMixin, FlaskForm):
    titolo = text(_l("Skills need"), 300, message=_l("Name the skills need."))
    descrizione = long_text(_l("Description"), 10000)
    lacune_politiche_attive = long_text(_l("Why current active labour policies do not fully answer it"), 10000)
    fonti = FieldList(FormField(SourceForm), min_entries=1, max_entries=50)


class InterventionForm(OneTimeTokenMixin, FlaskForm):
    titolo = text(_l("Intervention"), 300, message=_l("Name the intervention."))
    descrizione = long_text(_l("Description"), 10000)
    destinatari = long_text(_l("Who it is for"), 2000, optional=True)
    fabbisogni = MultiCheckboxField(_l("Skills needs it answers"))
