"""A spreadsheet of partners read into partners (patti_web.web.domande.partner_import): the template's columns are
the partner form's, each row is checked by the partner form itself and by the save's check of members, and what is
wrong is said by row and column, in Italian; nothing is taken from a file with an error."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from patti_web import fogli
from patti_web.i18n import gettext as _
from patti_web.web.domande import partner_import
from patti_web.web.domande.forms import PartnerForm

HEADER = ["Denominazione del partner", "Categoria", "Codice fiscale o partita IVA", "CAP", "Telefono del referente"]


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


@pytest.fixture
def domanda(make_domanda):
    return make_domanda()


def _csv(rows: list[list[str]], header=HEADER, delimiter=";", encoding="utf-8-sig") -> bytes:
    return "\n".join(delimiter.join(row) for row in [header, *rows]).encode(encoding)


def _read(content: bytes, domanda, edition):
    return partner_import.read_partners(content, domanda, edition)


def test_the_templates_columns_are_the_partner_forms_fields_named_by_their_labels(ctx, edition):
    form = PartnerForm(formdata=None, meta={"csrf": False})
    headers, rows, choices, notes = partner_import.template(edition)
    assert headers == [str(form[name].label.text) for name in form.merge_fields()]
    assert headers[0] == "Denominazione del partner" and "Codice fiscale o partita IVA" in headers
    assert len(rows) == 1 and len(rows[0]) == len(headers)  # one example row, every column filled in or empty
    assert choices[headers.index("Categoria")] == [c.nome_breve for c in edition.categorie_partner.values()]
    assert any("formule" in text.casefold() for _title, text in notes)


@pytest.mark.parametrize("kind", [fogli.CSV, fogli.XLSX])
def test_the_template_as_downloaded_loads_its_example_partner(ctx, domanda, edition, kind):
    outcome = _read(partner_import.template_file(edition, kind), domanda, edition)
    assert outcome.errors == [] and outcome.file_errors == []
    [partner] = outcome.partners
    assert (partner.denominazione, partner.categoria, partner.codice_fiscale, partner.rete, partner.sede.cap) == (
        "Meccanica Esempio S.r.l.", "imprese", "01234560173", False, "25121")
    assert partner.legale_rappresentante.codice_fiscale == "RSSMRA85T10A562S"


def test_the_xlsx_template_has_a_list_to_choose_the_category_and_text_cells(ctx, edition):
    workbook = load_workbook(io.BytesIO(partner_import.template_file(edition, fogli.XLSX)))
    sheet = workbook.worksheets[0]
    assert [c.value for c in sheet[1]][:2] == ["Denominazione del partner", "Categoria"]
    lists = [str(v.sqref) for v in sheet.data_validations.dataValidation]
    assert "B2:B1001" in lists
    assert sheet["H2"].number_format == "@"  # the CAP column keeps its leading zeros
    assert workbook.worksheets[1].title == "Note"


def test_a_broken_file_is_listed_row_by_row_and_column_by_column(ctx, domanda, edition):
    content = _csv([
        ["Società Ùno S.r.l.", "Imprese", "01234560173", "25121", "+39 030 1234567"],
        ["=SOMMA(A1:A3)", "Organizzazioni sindacali", "123", "25121", ""],
        ["Cooperativa Due", "Sindacato", "02345670984", "2512", ""],
        ["Terza S.p.A.", "Terzo settore", "01234560173", "25100", "-1"],
        ["Quarta", "Imprese", "00859790172", "25121", ""],  # the sample's first partner
    ])
    outcome = _read(content, domanda, edition)
    assert outcome.partners == [] and outcome.file_errors == []
    cf_invalid = _("this codice fiscale is not valid (wrong length, characters or check character): copy it again "
                   "from a document.")
    assert outcome.errors == [
        "Riga 3, colonna «Denominazione del partner»: «=SOMMA(A1:A3)» comincia con =, come una formula: viene "
        "rifiutato, perché una formula non è un valore (il suo risultato non è nel file, e verrebbe eseguita di "
        "nuovo se questi dati fossero aperti in un foglio di calcolo). Scrivere il valore.",
        f"Riga 3, colonna «Codice fiscale o partita IVA»: {cf_invalid}",
        "Riga 4, colonna «Categoria»: «Sindacato» non è una categoria dell'avviso: scrivere una tra "
        + ", ".join(f"«{c.nome_breve}»" for c in edition.categorie_partner.values())
        + " (come nell'elenco del modello).",
        "Riga 4, colonna «CAP»: «2512» ha 4 cifre, un CAP ne ha 5: se comincia con 0, il foglio di calcolo ha tolto "
        "lo zero (formattare la colonna come Testo e scriverlo di nuovo).",
        "Riga 5, colonna «Telefono del referente»: «-1» comincia con -, come una formula: viene rifiutato, perché una "
        "formula non è un valore (il suo risultato non è nel file, e verrebbe eseguita di nuovo se questi dati "
        "fossero aperti in un foglio di calcolo). Scrivere il valore.",
        "Riga 5, colonna «Codice fiscale o partita IVA»: è lo stesso della riga 2 del file: ogni partner una volta "
        "sola.",
        "Riga 6, colonna «Codice fiscale o partita IVA»: questo codice fiscale è già presente nel partenariato "
        "(Officine Meccaniche Rossi & Figli S.r.l.).",
    ]


def test_each_row_says_what_the_partner_form_says_of_the_same_values(ctx, domanda, edition):
    """The same checks and messages as typing into the form, without the label (the column names it)."""
    form = PartnerForm(formdata=None, meta={"csrf": False})
    values = {"PEC": ("pec", "posta"), "Provincia (sigla)": ("sede_provincia", "ZZ"),
              "Email del referente": ("referente_email", "anna@"), "Numero REA (imprese)": ("rea", "123x")}
    content = _csv([["Rossi", *[value for _name, value in values.values()]]],
                   header=["Denominazione del partner", "Indirizzo PEC", *list(values)[1:]])
    outcome = _read(content, domanda, edition)
    posted = PartnerForm(formdata=_multidict({name: value for name, value in values.values()}), meta={"csrf": False})
    posted.prepare(domanda, edition)
    assert not posted.validate()
    expected = []
    for column, (name, _value) in values.items():
        label = str(form[name].label.text)
        for message in posted.errors[name]:
            expected.append(f"Riga 2, colonna «{label if column == 'PEC' else column}»: "
                            + message.removeprefix(f"{label}: "))
    assert sorted(outcome.errors) == sorted(expected) and len(expected) == 4


def _multidict(data):
    from werkzeug.datastructures import MultiDict

    return MultiDict(data)


def test_spreadsheet_ways_are_read_as_meant(ctx, domanda, edition):
    header = ["denominazione", "CATEGORIA", "È una rete (o un'associazione dei suoi membri)?", "codice_fiscale"]
    content = _csv([["Rete Comuni Valtrompia", "Reti di enti locali territoriali (Comuni)", "sì", "2345670984"],
                    ["Fondo", "fondi_interprofessionali", "FALSO", ""]], header=header, delimiter=",")
    outcome = _read(content, domanda, edition)
    assert outcome.errors == []
    first, second = outcome.partners
    assert (first.categoria, first.rete, first.codice_fiscale) == ("reti_enti_locali", True, "02345670984")
    assert (second.categoria, second.rete) == ("fondi_interprofessionali", False)


def test_a_latin1_csv_keeps_its_accents(ctx, domanda, edition):
    content = _csv([["Società Agricola «Àlto Garda»", "Imprese", "", "", ""]], encoding="cp1252")
    [partner] = _read(content, domanda, edition).partners
    assert partner.denominazione == "Società Agricola «Àlto Garda»"


def test_a_value_split_by_a_separator_it_contains_is_said(ctx, domanda, edition):
    content = b"Denominazione del partner,Categoria\nRossi, Bianchi & C.,Imprese\n"
    outcome = _read(content, domanda, edition)
    assert any(m.startswith("Riga 2: ha valori oltre l'ultima colonna («Imprese»)") for m in outcome.errors)


def test_wrong_columns_are_named_and_the_template_columns_listed(ctx, domanda, edition):
    outcome = _read(_csv([["Rossi", "x"]], header=["Denominazione del partner", "Fax"]), domanda, edition)
    [message] = outcome.file_errors
    assert message.startswith("La colonna «Fax» (colonna B) non è tra quelle del modello")
    assert "«Codice fiscale o partita IVA»" in message
    twice = _read(_csv([["Rossi", "Bianchi"]], header=["Denominazione del partner", "denominazione"]), domanda,
                  edition).file_errors
    assert twice == ["La colonna A e la colonna B sono entrambe «Denominazione del partner»: tenerne una."]
    missing = _read(_csv([["Imprese"]], header=["Categoria"]), domanda, edition).file_errors
    assert missing == ["Manca la colonna «Denominazione del partner»: ogni partner ha almeno la denominazione."]
    data_first = _read(_csv([["Bianchi", "Imprese"]], header=["Rossi", "Imprese"]), domanda, edition).file_errors
    assert data_first[0] == ("La prima riga deve contenere i nomi delle colonne, come nel modello: non ne è stato "
                             "riconosciuto nessuno.")


def test_a_formula_in_an_xlsx_is_refused_as_in_a_csv(ctx, domanda, edition):
    workbook = Workbook()
    workbook.active.append(["Denominazione del partner", "Telefono del referente"])
    workbook.active.append(["Rossi", "+39 030 1234567"])
    workbook.active.append(["@Bianchi", "030 1"])
    cell = workbook.active.cell(row=4, column=1, value="=HYPERLINK(\"http://x\")")
    cell.data_type = "s"  # kept as the text the cell shows
    out = io.BytesIO()
    workbook.save(out)
    outcome = _read(out.getvalue(), domanda, edition)
    assert [m.split(":")[0] for m in outcome.errors] == ["Riga 3, colonna «Denominazione del partner»",
                                                         "Riga 4, colonna «Denominazione del partner»"]
    assert all("come una formula" in m for m in outcome.errors)


def test_more_partners_than_the_application_can_hold(ctx, make_domanda, edition):
    from patti_web.avviso import domanda as doc

    full = make_domanda()
    full.partner += [doc.Partner(id=f"x{n}", denominazione=f"P{n}") for n in range(995 - len(full.partner))]
    outcome = _read(_csv([[f"Nuovo {n}", "", "", "", ""] for n in range(10)]), full, edition)
    assert outcome.file_errors == ["Il file contiene 10 partner e la domanda ne ha già 995: insieme superano i 1.000 "
                                   "che una domanda può contenere. Se ne possono aggiungere al massimo 5."]
    ten_thousand = _read(_csv([[f"Nuovo {n}", "", "", "", ""] for n in range(10_000)]), make_domanda(), edition)
    assert ten_thousand.file_errors[0].startswith("Il file contiene più di 1.000 righe di partner")


@pytest.mark.parametrize(("content", "start"), [
    (b"", "Il file è vuoto"),
    (b"%PDF-1.4\n\x00\x00\x01\x02binary", "Questo file non è un foglio di calcolo"),
    (b"Denominazione del partner;Categoria\n", "Il file non contiene partner"),
])
def test_a_file_that_holds_no_partners_says_why(ctx, domanda, edition, content, start):
    outcome = _read(content, domanda, edition)
    assert outcome.file_errors[0].startswith(start) and outcome.partners == []
