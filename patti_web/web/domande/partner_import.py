"""Partners loaded from a spreadsheet (CSV or XLSX): the template to download, and a file read into partners.

The columns are the fields of the partner form, named by its labels (the template's first row); a column may also be
named by its field (`codice_fiscale`). Each row goes through the partner form itself (PartnerForm: the same filters,
checks and messages as typing it in), then the check the save makes (patti_web.domande.check_new_items: a member
already in the partnership, or twice in the file). What is wrong is said per row and column, as the spreadsheet
numbers them ("Riga 4, colonna «Codice fiscale o partita IVA»: ..."); nothing is added unless every row is right, and
then all rows are added by one save (patti_web.domande.add_items).

Spreadsheets write some things their own way, read here as people meant them: a category by its short or full name
(or its key), "Sì"/"No" (or TRUE/FALSE) for a network, a partita IVA that lost its leading zeros when kept as a
number (its check digit tells; a CAP that lost them is said to have, since nothing checks it). A cell that starts
with = (or +, - or @, as spreadsheets start formulas) is refused, since a formula is not a value (its result is not
in a CSV, and it would run again if the data were opened in a spreadsheet); a telephone may start with + (the
international prefix).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from patti_web import domande, fogli
from patti_web.avviso import domanda as doc
from patti_web.avviso.edizioni import Edizione
from patti_web.i18n import format_number, ngettext
from patti_web.i18n import gettext as _
from patti_web.web.domande.forms import Invalid, PartnerForm, limit_of_list, problem

SEZIONE = "partenariato"
LIMIT = limit_of_list("partner")
ERRORS_SHOWN = 200
FORMULA_START = ("=", "+", "-", "@")
PLUS_ALLOWED = frozenset({"referente_telefono"})
SCIENTIFIC = re.compile(r"^\d+([.,]\d+)?[eE]\+?\d+$")
YES = frozenset({"si", "sì", "s", "yes", "y", "vero", "true", "x", "1"})
NO = frozenset({"no", "n", "falso", "false", "0"})


def _form(data: MultiDict | None = None) -> PartnerForm:
    return PartnerForm(formdata=data, meta={"csrf": False})


def columns() -> list[tuple[str, str]]:
    """The template's columns: (field of the partner form, its label), in the form's order."""
    form = _form()
    return [(name, str(form[name].label.text)) for name in form.merge_fields()]


def _key(text: str) -> str:
    """A column name or a value as compared: case, accents, spaces, a trailing "*" or "(facoltativo)" ignored."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c)).replace("_", " ").replace("*", " ")
    text = re.sub(r"\((facoltativo|optional)\)", " ", text)
    return " ".join(text.split())


def _categories(edizione: Edizione) -> dict[str, str]:
    names: dict[str, str] = {}
    for category in edizione.categorie_partner.values():
        for name in (category.chiave, category.etichetta, category.nome_breve):
            names[_key(name)] = category.chiave
    return names


# The template -----------------------------------------------------------------------------------------------------


def template(edizione: Edizione) -> tuple[list[str], list[list[str]], dict[int, list[str]], list[tuple[str, str]]]:
    """The template's column names, its example row, the drop-down lists (by column) and the notes."""
    names = [name for name, _label in columns()]
    headers = [label for _name, label in columns()]
    example = {
        "denominazione": "Meccanica Esempio S.r.l.", "categoria": edizione.categorie_partner["imprese"].nome_breve
        if "imprese" in edizione.categorie_partner else "", "rete": _("No"), "codice_fiscale": "01234560173",
        "rea": "BS-123456", "sede_indirizzo": "Via Roma 1", "sede_cap": "25121", "sede_comune": "Brescia",
        "sede_provincia": "BS", "pec": "meccanicaesempio@pec.it", "legale_rappresentante_nome": "Mario",
        "legale_rappresentante_cognome": "Rossi", "legale_rappresentante_codice_fiscale": "RSSMRA85T10A562S",
        "referente_nome": "Anna", "referente_cognome": "Bianchi", "referente_email": "anna.bianchi@example.it",
        "referente_telefono": "030 1234567"}
    categories = [c.nome_breve for c in edizione.categorie_partner.values()]
    choices = {names.index("categoria"): categories, names.index("rete"): [_("Yes"), _("No")]}
    notes = [
        (_("How to fill it in"), _("One row per partner, below the row of the column names (keep it as it is). "
                                   "Replace the example row with your partners.")),
        (_("Checks"), _("Each row is checked as the partner form checks it. If a row has an error nothing is "
                        "loaded, and the page lists each error by row and column.")),
        (_("Limits"), _("At most %(max)s partners in an application, and a file of at most %(size)s.",
                        max=format_number(LIMIT), size=fogli.size(fogli.MAX_BYTES))),
        (_("Formulas"), _("Write values, not formulas: a cell that starts with =, +, - or @ is refused (a "
                          "telephone may start with +).")),
        (str(headers[names.index("categoria")]), ", ".join(categories)),
        (str(headers[names.index("rete")]), _("Yes, No, or empty if not said yet.")),
    ]
    return headers, [[example.get(name, "") for name in names]], choices, notes


def template_file(edizione: Edizione, kind: str) -> bytes:
    headers, rows, choices, notes = template(edizione)
    if kind == fogli.CSV:
        return fogli.write_csv(headers, rows)
    return fogli.write_xlsx(headers, rows, title=_("Partners"), choices=choices, notes=notes, notes_title=_("Notes"))


# Reading a file ---------------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What a file holds: the partners of its rows (when every row is right), the rows each came from, and what is
    wrong: with rows (each message names row and column), or with the file (it cannot be read, its columns are
    not the template's, it holds too many partners)."""

    partners: list[doc.Partner] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # of the rows
    file_errors: list[str] = field(default_factory=list)  # of the file as a whole (its rows were not checked)


def at(row: int, column: str, message: str) -> str:
    return _("Row %(row)s, column \u201c%(column)s\u201d: %(problem)s", row=row, column=column, problem=message)


def _match_columns(headers: list[str]) -> tuple[dict[int, str], list[str]]:
    """Which field each column of the file is (by its place), and what is wrong with the column names."""
    known = {}
    for name, label in columns():
        known[_key(label)] = name
        known[_key(name)] = name
    labels = dict(columns())
    found: dict[int, str] = {}
    errors: list[str] = []
    seen: dict[str, int] = {}
    unknown = []
    for index, header in enumerate(headers):
        if not header:
            continue
        name = known.get(_key(header))
        if name is None:
            unknown.append(f"{_quoted(header)} ({_column_letter(index)})")
        elif name in seen:
            errors.append(_("Columns %(first)s and %(second)s are both \u201c%(name)s\u201d: keep one.",
                            first=_column_letter(seen[name]), second=_column_letter(index), name=labels[name]))
        else:
            seen[name] = index
            found[index] = name
    if unknown:
        errors.append(ngettext(
            "The column %(columns)s is not one of the template's: rename it as in the template, or remove it. The "
            "columns are: %(known)s.",
            "The columns %(columns)s are not among the template's: rename them as in the template, or remove them. "
            "The columns are: %(known)s.", len(unknown), columns=", ".join(unknown),
            known=", ".join(_quoted(label) for _name, label in columns())))
    if "denominazione" not in found.values() and len(unknown) < len([h for h in headers if h]):
        errors.append(_("The column \u201c%(name)s\u201d is missing: every partner needs at least its name.",
                        name=labels["denominazione"]))
    elif not found:
        errors.insert(0, _("The first row must hold the names of the columns, as in the template: none of them was "
                           "recognised."))
    return found, errors


def _quoted(text: str) -> str:
    """A value in the quotation marks of the language (Italian: «»)."""
    return _("\u201c%(text)s\u201d", text=text)


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return _("column %(letter)s", letter=get_column_letter(index + 1))


def _cell(name: str, value: str, categories: dict[str, str], category_names: list[str]) -> tuple[str, str | None]:
    """A cell as the form's field takes it, and what is wrong with it as a spreadsheet's cell (or None)."""
    value = value.strip()
    if value.startswith(FORMULA_START) and not (name in PLUS_ALLOWED and value.startswith("+")):
        shown = value if len(value) <= 40 else value[:40] + "\u2026"
        return "", _("\u201c%(value)s\u201d starts with %(sign)s, as a formula does: it is refused, because a "
                     "formula is not a value (its result is not in the file, and it would run again if these data "
                     "were opened in a spreadsheet). Write the value itself.", value=shown, sign=value[0])
    if name == "categoria" and value:
        if _key(value) not in categories:
            return "", _("\u201c%(value)s\u201d is not a category of the call: write one of %(names)s (as in the "
                         "template's list).", value=value,
                         names=", ".join(_quoted(n) for n in category_names))
        return categories[_key(value)], None
    if name == "rete" and value:
        if _key(value) in YES:
            return "si", None
        if _key(value) in NO:
            return "no", None
        return "", _("write S\u00ec or No (or leave it empty if not said yet).")
    if name == "codice_fiscale" and value.isdigit() and 8 <= len(value) < 11:
        return value.zfill(11), None  # its check digit says whether that was it
    if name == "sede_cap" and value.isdigit() and len(value) < 5:
        return value, _("\u201c%(value)s\u201d has %(n)s digits, a CAP has 5: if it starts with 0, the spreadsheet "
                        "dropped the zero (format the column as Text and write it again).", value=value, n=len(value))
    if name == "codice_fiscale" and SCIENTIFIC.match(value):
        return "", _("\u201c%(value)s\u201d is a number the spreadsheet wrote in scientific notation, without its "
                     "digits: format the column as Text, write the code again and save.", value=value)
    return value, None


def _field_message(form: PartnerForm, name: str, message: str) -> str:
    """A message of the form without the field's label it starts with (the row's message names the column)."""
    prefix = problem(form[name], "")
    return message[len(prefix):] if message.startswith(prefix) else message


def read_partners(content: bytes, domanda: doc.Domanda, edizione: Edizione) -> Outcome:
    """The partners of a CSV or XLSX file, each row checked as the partner form checks what is typed, and as the
    save checks a new partner against the partnership and the rows before it."""
    outcome = Outcome()
    room = LIMIT - len(domanda.partner)
    try:
        table = fogli.read_table(content, LIMIT)
    except fogli.SheetError as error:
        outcome.file_errors.append(error.message)
        return outcome
    mapping, errors = _match_columns(table.headers)
    if errors:
        outcome.file_errors += errors
        return outcome
    if len(table.rows) > room:
        outcome.file_errors.append(ngettext(
            "The file holds %(num)s partners, and the application already has %(n)s: together they are more than "
            "the %(max)s an application can hold. At most %(room)s can be added.",
            "The file holds %(num)s partners, and the application already has %(n)s: together they are more than "
            "the %(max)s an application can hold. At most %(room)s can be added.", len(table.rows),
            n=format_number(len(domanda.partner)), max=format_number(LIMIT), room=format_number(max(room, 0))))
        return outcome
    labels = dict(columns())
    categories = _categories(edizione)
    category_names = [c.nome_breve for c in edizione.categorie_partner.values()]
    found: list[tuple[int, str]] = []  # (row, message), in the order of the rows
    for number, cells in table.rows:
        data = MultiDict()
        for index, name in mapping.items():
            value, wrong = _cell(name, cells[index] if index < len(cells) else "", categories, category_names)
            if wrong is not None:  # said once: the form does not check the value again
                found.append((number, at(number, labels[name], wrong)))
            data[name] = value if wrong is None else ""
        extra = [cell for cell in cells[len(table.headers):] if cell]
        if extra:
            found.append((number, _("Row %(row)s: it has values beyond the last column (%(values)s): is a value split "
                                    "by a separator it contains? Put that value in quotes, or remove it.",
                                    row=number, values=", ".join(_quoted(c) for c in extra[:3]))))
        form = _form(data)
        form.prepare(domanda, edizione)
        form.validate()
        for name, messages in form.errors.items():
            found += [(number, at(number, labels.get(name, name), _field_message(form, name, m))) for m in messages]
        try:  # even a row with errors: the partners twice in the file are said at once
            outcome.partners.append(form.to_model())
            outcome.rows.append(number)
        except Invalid as invalid:
            found += [(number, at(number, labels.get(name, name), message)) for name, message in invalid.errors]
    found += [(row, message) for row, message in problems_by_row(domanda, outcome)]
    outcome.errors = [message for _row, message in sorted(found, key=lambda pair: pair[0])]
    if outcome.errors:
        outcome.partners, outcome.rows = [], []
    return outcome


def problems_by_row(domanda: doc.Domanda, outcome: Outcome,
                    problems: list[domande.ItemProblem] | None = None) -> list[tuple[int, str]]:
    """What the save's checks say of the file's partners (a member already in the partnership, or twice in the
    file): (row, message naming row and column)."""
    if problems is None:
        problems = domande.check_new_items(domanda, SEZIONE, outcome.partners)
    labels = dict(columns())
    messages = []
    for found in problems:
        row = outcome.rows[found.index]
        column = labels.get(found.field, labels["denominazione"])
        if found.other is not None:
            messages.append((row, at(row, column, _("the same as row %(other)s of the file: each partner once.",
                                                    other=outcome.rows[found.other]))))
        else:
            messages.append((row, at(row, column, found.message)))
    return messages
