"""A person's codice fiscale against their name, and the marca da bollo: pure rules, without an app."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from stdnum.it import codicefiscale

from patti_web.avviso.codice_fiscale import (
    cf_matches_name,
    expected_letters,
    is_person_code,
    name_letters,
    surname_letters,
)
from patti_web.avviso.domanda import read_document
from patti_web.avviso.edizioni import EditionError, load_edition, parse_edition
from patti_web.avviso.regole import (
    STAMP_DUE,
    STAMP_EXEMPT,
    STAMP_NOT_ASKED,
    STAMP_UNDECIDED,
    check_application,
    checklist,
    stamp_due,
    stamp_duty,
)

DATA = Path(__file__).parent / "data"
VALID = json.loads((DATA / "valida.json").read_text(encoding="utf-8"))
EDITION = load_edition()
STAMP = {"identificativo": "01234567890123", "data": "2023-01-20", "dichiarazione": True}


def _doc(**capofila):
    doc = copy.deepcopy(VALID)
    doc["capofila"].update(capofila)
    return doc


def _read(doc):
    return read_document(json.dumps(doc))


def _association(**bollo):
    """The sample led by an employers' association (which owes the stamp), with its stamp as given."""
    return _read(_doc(tipologia="associazione_datoriale", rappresentanza={"descrizione": "Meccanica", "ateco": []},
                      bollo={**STAMP, **bollo}))


def _codes(findings):
    return [(f.code, f.path) for f in findings]


@pytest.mark.parametrize(("cognome", "letters"), [
    ("Saccà", "SCC"),
    ("Rossi", "RSS"),
    ("D'Angelo", "DNG"),  # the apostrophe does not count
    ("De Luca", "DLC"),  # nor the space
    ("dell'Acqua", "DLL"),
    ("Fo", "FOX"),  # one consonant, then the vowel, then X
    ("Oe", "OEX"),
    ("Wu", "WUX"),
    ("Hòa", "HOA"),  # accented vowels are vowels
    ("Nuñez", "NNZ"),
])
def test_the_surname_gives_its_consonants_then_its_vowels_then_x(cognome, letters):
    assert surname_letters(cognome) == letters


@pytest.mark.parametrize(("nome", "letters"), [
    ("Roberto", "RRT"),  # four consonants R B R T: the 1st, 3rd and 4th
    ("Giovanni", "GNN"),
    ("Maria Grazia", "MGR"),  # both names together: M R G R Z
    ("Marco", "MRC"),  # three consonants: all of them
    ("Mario", "MRA"),
    ("Luca", "LCU"),
    ("Nicolò", "NCL"),
    ("Ea", "EAX"),
    ("Jo", "JOX"),
    ("Anna Maria", "NMR"),
])
def test_the_name_takes_the_first_third_and_fourth_consonant_when_it_has_four(nome, letters):
    assert name_letters(nome) == letters


def test_roberto_sacca_is_not_rssmra():
    assert not cf_matches_name("RSSMRA85T10A562S", "Roberto", "Saccà")
    assert expected_letters("Roberto", "Saccà") == "SCC RRT"
    assert cf_matches_name("SCCRRT85T10A562X", "Roberto", "Saccà")
    assert cf_matches_name("RSSMRA85T10A562S", "Mario", "Rossi")


def test_the_code_is_compared_as_people_type_it():
    assert cf_matches_name(" sccrrt85t10a562x ", " roberto ", "SACCA'")
    assert cf_matches_name("SCC RRT 85T10 A562X", "ROBERTO", "saccà")


def test_an_omocodic_code_is_compared_the_same_way():
    # Omocodia replaces digits from the right (0->L ... 9->V): the date and place change, the letters of the name
    # do not. A562 -> A56N (2 -> N), with its own check character.
    body = "SCCRRT85T10A56N"
    omocodic = body + codicefiscale.calc_check_digit(body)
    assert codicefiscale.is_valid(omocodic)
    assert cf_matches_name(omocodic, "Roberto", "Saccà")
    assert not cf_matches_name(omocodic, "Mario", "Rossi")


@pytest.mark.parametrize(("cf", "nome", "cognome"), [
    ("80013870177", "Roberto", "Saccà"),  # an organisation's 11 digits: not a person
    ("", "Roberto", "Saccà"),
    ("RSSMRA85T10A562S", "", "Saccà"),
    ("RSSMRA85T10A562S", "Roberto", ""),
    ("RSSMRA85T10A562S", "'", "-"),  # no letters to compare
])
def test_nothing_to_compare_is_no_mismatch(cf, nome, cognome):
    assert cf_matches_name(cf, nome, cognome)


def test_a_person_code_has_sixteen_characters_starting_with_six_letters():
    assert is_person_code("SCCRRT85T10A562X")
    assert not is_person_code("80013870177")
    assert not is_person_code("12345678901234AB")


# The rule: a warning naming both, for every person of the application.


def test_a_mismatch_is_a_warning_naming_the_code_the_person_and_the_letters():
    findings = check_application(_read(_doc(legale_rappresentante={
        "nome": "Roberto", "cognome": "Saccà", "codice_fiscale": "RSSMRA85T10A562S"})), EDITION)
    (finding,) = findings
    assert (finding.code, finding.severity, finding.path) == (
        "CODICE_FISCALE_NON_CORRISPONDE", "warning", "capofila.legale_rappresentante.codice_fiscale")
    assert "RSSMRA85T10A562S" in finding.message and "Roberto Saccà" in finding.message
    assert "SCC RRT" in finding.message


def test_each_partners_legal_representative_is_checked_too():
    doc = copy.deepcopy(VALID)
    doc["partner"][0]["legale_rappresentante"]["codice_fiscale"] = "SCCRRT85T10A562X"  # Carlo Rossi's is RSSCRL...
    doc["partner"][1]["legale_rappresentante"]["codice_fiscale"] = "RSSCRL60A01B157X"  # a wrong check character
    findings = check_application(_read(doc), EDITION)
    assert _codes(findings) == [
        ("CODICE_FISCALE_NON_CORRISPONDE", "partner[0].legale_rappresentante.codice_fiscale"),
        ("CODICE_FISCALE_NON_VALIDO", "partner[1].legale_rappresentante.codice_fiscale"),
    ]
    assert findings[0].message.startswith("Partner 1 «") and "Carlo Rossi" in findings[0].message


def test_an_omocodic_code_or_an_organisations_code_gets_no_warning():
    body = "SCCRRT85T10A56N"
    for cf in (body + codicefiscale.calc_check_digit(body), "80013870177"):
        doc = _doc(legale_rappresentante={"nome": "Roberto", "cognome": "Saccà", "codice_fiscale": cf})
        assert check_application(_read(doc), EDITION) == []


def test_a_v1_document_is_not_compared():
    doc = json.loads((DATA / "v1" / "valida.json").read_text(encoding="utf-8"))
    assert doc["capofila"]["legale_rappresentante"]["codice_fiscale"] == "RSSMRA85T10A562S"
    assert "CODICE_FISCALE_NON_CORRISPONDE" not in {f.code for f in check_application(_read(doc), EDITION)}


# The marca da bollo.


@pytest.mark.parametrize(("tipologia", "duty"), [
    ("associazione_datoriale", STAMP_DUE),
    ("camera_commercio", STAMP_EXEMPT),  # public bodies: acts between them owe no stamp
    ("provincia_citta_metropolitana", STAMP_EXEMPT),
    ("", STAMP_UNDECIDED),
    ("comune", STAMP_UNDECIDED),
])
def test_the_stamp_is_due_as_the_edition_says_for_the_type_of_lead_partner(tipologia, duty):
    domanda = _read(_doc(tipologia=tipologia))
    assert stamp_duty(domanda, EDITION) == duty
    assert stamp_due(domanda, EDITION) is (duty == STAMP_DUE)


def test_an_edition_without_stamp_duty_asks_for_none():
    edition = load_edition(str(DATA / "edizione_prova.toml"))
    assert edition.bollo is None
    assert stamp_duty(_read(_doc(tipologia="comune_capoluogo")), edition) == STAMP_NOT_ASKED
    assert EDITION.bollo == 16


def test_a_complete_stamp_has_no_finding_and_its_checklist_line_is_met():
    domanda = _association()
    findings = check_application(domanda, EDITION)
    assert findings == []
    items = {item.key: item.met for item in checklist(domanda, EDITION, findings)}
    assert items["bollo"] is True


def test_a_missing_stamp_is_three_errors_and_an_unmet_line():
    domanda = _association(identificativo="", data="", dichiarazione=False)
    findings = check_application(domanda, EDITION)
    assert _codes(findings) == [("CAMPO_OBBLIGATORIO", "capofila.bollo.identificativo"),
                                ("CAMPO_OBBLIGATORIO", "capofila.bollo.data"),
                                ("BOLLO_DICHIARAZIONE_MANCANTE", "capofila.bollo.dichiarazione")]
    assert all(f.severity == "error" and f.section == "capofila" for f in findings)
    items = {item.key: item for item in checklist(domanda, EDITION, findings)}
    assert items["bollo"].met is False and items["dati"].met is True  # the line stands for its own errors


def test_an_exempt_lead_partner_is_asked_nothing_and_has_no_checklist_line():
    domanda = _read(_doc(bollo={"identificativo": "", "data": "", "dichiarazione": False}))
    findings = check_application(domanda, EDITION)
    assert findings == []
    assert "bollo" not in {item.key for item in checklist(domanda, EDITION, findings)}


@pytest.mark.parametrize("identificativo", ["0123456789012", "012345678901234", "0123456789012A",
                                            "\uff10" * 14])  # fullwidth digits are not the stamp's
def test_the_identifier_has_fourteen_digits(identificativo):
    assert _codes(check_application(_association(identificativo=identificativo), EDITION)) == [
        ("BOLLO_IDENTIFICATIVO_NON_VALIDO", "capofila.bollo.identificativo")]


@pytest.mark.parametrize("data", ["20/01/2023", "2023-13-01", "2023-1-20", "ieri"])
def test_the_date_is_a_date(data):
    findings = check_application(_association(data=data), EDITION)
    assert _codes(findings) == [("BOLLO_DATA_NON_VALIDA", "capofila.bollo.data")]
    assert data in findings[0].message


def test_at_submission_the_stamp_may_not_be_dated_after_the_day():
    rome = ZoneInfo("Europe/Rome")
    domanda = _association(data="2023-01-21")
    # 20 January at 23:59:59 in Rome (22:59:59 UTC): the stamp of the 21st is not yet; on the 21st it is fine.
    late = check_application(domanda, EDITION, submitted_at=datetime(2023, 1, 20, 23, 59, 59, tzinfo=rome))
    assert _codes(late) == [("BOLLO_DATA_NON_VALIDA", "capofila.bollo.data")]
    assert "21/01/2023" in late[0].message or "21 gennaio 2023" in late[0].message
    assert check_application(domanda, EDITION, submitted_at=datetime(2023, 1, 21, 0, 0, tzinfo=rome)) == []
    # Drafting (no submission) does not depend on the day: the form refuses a future date as typed.
    assert check_application(domanda, EDITION) == []


def test_a_v1_document_owes_no_stamp():
    doc = json.loads((DATA / "v1" / "valida.json").read_text(encoding="utf-8"))
    doc["capofila"]["tipologia"] = "associazione_datoriale"
    domanda = _read(doc)
    assert stamp_duty(domanda, EDITION) == STAMP_NOT_ASKED
    assert not {f.code for f in check_application(domanda, EDITION)} & {"BOLLO_DICHIARAZIONE_MANCANTE"}


@pytest.mark.parametrize("table", ['[bollo]\ndovuto = "sì"\n', "[bollo]\ndovuto = true\n",
                                   "[bollo]\ndovuto = true\nimporto = -1\n", 'bollo = "16"\n'])
def test_an_edition_with_a_wrong_stamp_table_is_refused(tmp_path, table):
    text = (DATA / "edizione_prova.toml").read_text(encoding="utf-8")
    head, rest = text.split("[finestra]", 1)
    path = tmp_path / "edizione.toml"
    path.write_text(f"{head}{table}\n[finestra]{rest}", encoding="utf-8")
    with pytest.raises(EditionError, match="bollo"):
        parse_edition(path)
