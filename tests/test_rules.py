"""The rule engine, without an app: one case per finding code, one valid application per territory type."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from patti_web.avviso.domanda import read_document
from patti_web.avviso.edizioni import EditionError, load_edition, parse_edition
from patti_web.avviso.regole import ERROR, SEVERITY, WARNING, check_application, has_errors

DATA = Path(__file__).parent / "data"
VALID = json.loads((DATA / "valida.json").read_text(encoding="utf-8"))
EDITION = load_edition()
ALL_PROVINCES = [p.chiave for p in EDITION.province]


# A marca da bollo as an association leading the Patto gives it, and the sector it represents.
STAMP = {"identificativo": "01234567890123", "data": "2023-01-20", "dichiarazione": True}
REPRESENTED = {"descrizione": "Meccanica", "ateco": ["25"]}


def domanda(change=None):
    doc = copy.deepcopy(VALID)
    if change is not None:
        change(doc)
    return read_document(json.dumps(doc))


def codes(findings):
    return [(f.code, f.path) for f in findings]


def test_the_sample_application_has_no_finding():
    assert check_application(domanda(), EDITION) == []


def _set(path, value):
    """A change that sets doc[path...] = value; path is a tuple of keys and indices."""

    def change(doc):
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _delete(path):
    def change(doc):
        target = doc
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


def _remove_partners(*categories):
    def change(doc):
        doc["partner"] = [p for p in doc["partner"] if p["categoria"] not in categories]

    return change


def _duplicate_partner(doc):
    doc["partner"].append(copy.deepcopy(doc["partner"][0]) | {"id": "copia", "categoria": "terzo_settore"})


def _partner_like_capofila(doc):
    doc["partner"][3]["codice_fiscale"] = " 800 1387 0177 "


CASES = [
    # (id, change, expected (code, path) in the findings)
    ("titolo vuoto", _set(("titolo",), "  "), ("CAMPO_OBBLIGATORIO", "titolo")),
    ("chiave mancante", _delete(("capofila", "pec")), ("CAMPO_OBBLIGATORIO", "capofila.pec")),
    ("campo annidato", _set(("capofila", "sede", "cap"), ""), ("CAMPO_OBBLIGATORIO", "capofila.sede.cap")),
    ("partner senza nome", _set(("partner", 2, "denominazione"), ""),
     ("CAMPO_OBBLIGATORIO", "partner[2].denominazione")),
    ("fonte senza anno", _set(("fabbisogni", 0, "fonti", 0, "anno"), None),
     ("CAMPO_OBBLIGATORIO", "fabbisogni[0].fonti[0].anno")),
    ("nessun settore", _set(("settori",), []), ("CAMPO_OBBLIGATORIO", "settori")),
    ("nessun intervento", _set(("interventi",), []), ("CAMPO_OBBLIGATORIO", "interventi")),
    ("tipologia mancante", _set(("capofila", "tipologia"), ""), ("CAPOFILA_TIPOLOGIA", "capofila.tipologia")),
    ("tipologia non ammessa", _set(("capofila", "tipologia"), "comune"), ("CAPOFILA_TIPOLOGIA", "capofila.tipologia")),
    ("categoria inventata", _set(("partner", 3, "categoria"), "banche_etiche"),
     ("CATEGORIA_SCONOSCIUTA", "partner[3].categoria")),
    ("manca sindacati", _remove_partners("sindacati"), ("CATEGORIA_OBBLIGATORIA_MANCANTE", "partner")),
    ("due ulteriori", _remove_partners("enti_bilaterali"), ("CATEGORIE_ULTERIORI_INSUFFICIENTI", "partner")),
    ("provinciale con due", _set(("territorio", "province"), ["BS", "BG"]),
     ("TERRITORIO_PROVINCE", "territorio.province")),
    ("ambito inesistente", _set(("territorio", "ambito"), "nazionale"), ("TERRITORIO_PROVINCE", "territorio.ambito")),
    ("provincia TO", _set(("territorio", "province"), ["TO"]),
     ("PROVINCIA_SCONOSCIUTA", "territorio.province[0]")),
    ("sede capofila fuori regione", _set(("capofila", "sede", "provincia"), "TO"),
     ("PROVINCIA_SCONOSCIUTA", "capofila.sede.provincia")),
    ("partner ripetuto", _duplicate_partner, ("SOGGETTO_DUPLICATO", "partner[6].codice_fiscale")),
    ("partner uguale al capofila", _partner_like_capofila, ("SOGGETTO_DUPLICATO", "partner[3].codice_fiscale")),
    ("cf sbagliato", _set(("partner", 0, "codice_fiscale"), "00859790173"),
     ("CODICE_FISCALE_NON_VALIDO", "partner[0].codice_fiscale")),
    ("cf persona sbagliato", _set(("capofila", "legale_rappresentante", "codice_fiscale"), "RSSMRA85T10A562T"),
     ("CODICE_FISCALE_NON_VALIDO", "capofila.legale_rappresentante.codice_fiscale")),
    ("fabbisogno senza fonti", _set(("fabbisogni", 0, "fonti"), []),
     ("FABBISOGNO_SENZA_FONTE", "fabbisogni[0].fonti")),
    ("intervento senza legami", _set(("interventi", 0, "fabbisogni"), []),
     ("INTERVENTO_SENZA_FABBISOGNO", "interventi[0].fabbisogni")),
    ("intervento su fabbisogno inesistente", _set(("interventi", 0, "fabbisogni"), ["F1", "F7"]),
     ("INTERVENTO_SENZA_FABBISOGNO", "interventi[0].fabbisogni[1]")),
    ("fabbisogno senza intervento", _set(("interventi", 0, "fabbisogni"), ["F9"]),
     ("FABBISOGNO_SENZA_INTERVENTO", "fabbisogni[0]")),
    ("ateco inesistente", _set(("settori", 0, "ateco"), ["25.62", "99.99"]),
     ("ATECO_SCONOSCIUTO", "settori[0].ateco[1]")),
    ("ateco non numerico", _set(("settori", 0, "ateco"), ["meccanica"]), ("ATECO_SCONOSCIUTO", "settori[0].ateco[0]")),
    # What patti-web/domanda@2 added.
    ("associazione senza settore rappresentato", lambda doc: _v2(doc, tipologia="associazione_datoriale"),
     ("CAMPO_OBBLIGATORIO", "capofila.rappresentanza.descrizione")),
    ("associazione di un altro settore", lambda doc: _v2(doc, tipologia="associazione_datoriale",
                                                         rappresentanza={"descrizione": "Turismo e ricettività",
                                                                         "ateco": ["55"]}),
     ("RAPPRESENTANZA_NON_COERENTE", "capofila.rappresentanza")),
    ("un comune da solo tra le reti di enti locali", lambda doc: _v2(doc, partner=(3, {
        "categoria": "reti_enti_locali", "rete": False})), ("RETE_ATTESA", "partner[3].rete")),
    ("una scuola da sola", lambda doc: _v2(doc, partner=(4, {"rete": False})), ("RETE_ATTESA", "partner[4].rete")),
    ("partner senza legale rappresentante", lambda doc: _v2(doc, partner=(1, {"legale_rappresentante": {}})),
     ("LEGALE_RAPPRESENTANTE_MANCANTE", "partner[1].legale_rappresentante")),
    ("codice fiscale di un altro", _set(("capofila", "legale_rappresentante", "codice_fiscale"), "RSSMRA85T10A562S"),
     ("CODICE_FISCALE_NON_CORRISPONDE", "capofila.legale_rappresentante.codice_fiscale")),
    ("bollo di 13 cifre", lambda doc: _v2(doc, tipologia="associazione_datoriale", rappresentanza=REPRESENTED,
                                          bollo={**STAMP, "identificativo": "0123456789012"}),
     ("BOLLO_IDENTIFICATIVO_NON_VALIDO", "capofila.bollo.identificativo")),
    ("bollo con una data che non esiste", lambda doc: _v2(doc, tipologia="associazione_datoriale",
                                                          rappresentanza=REPRESENTED,
                                                          bollo={**STAMP, "data": "2023-02-30"}),
     ("BOLLO_DATA_NON_VALIDA", "capofila.bollo.data")),
    ("bollo senza dichiarazione", lambda doc: _v2(doc, tipologia="associazione_datoriale", rappresentanza=REPRESENTED,
                                                  bollo={**STAMP, "dichiarazione": False}),
     ("BOLLO_DICHIARAZIONE_MANCANTE", "capofila.bollo.dichiarazione")),
    ("procuratore senza procura", lambda doc: _with_procuratore(doc, procura_numero=""),
     ("PROCURATORE_INCOMPLETO", "capofila.procuratore.procura_numero")),
    ("cf procuratore sbagliato", lambda doc: _with_procuratore(doc, codice_fiscale="RSSMRA85T10A562T"),
     ("CODICE_FISCALE_NON_VALIDO", "capofila.procuratore.codice_fiscale")),
]

PROCURATORE = {"nome": "Giulia", "cognome": "Bianchi", "codice_fiscale": "BNCGLI80A41B157F",
               "luogo_nascita": "Brescia", "data_nascita": "1980-01-01", "procura_numero": "1234/2024",
               "procura_data": "2024-02-10"}


def _with_procuratore(doc, **changes):
    doc["format"] = "patti-web/domanda@2"
    doc["capofila"]["procuratore"] = PROCURATORE | changes


def test_a_complete_procuratore_has_no_finding_and_each_missing_datum_of_theirs_has_one():
    complete = domanda(_with_procuratore)
    assert not [f for f in check_application(complete, EDITION) if "procuratore" in f.path]
    emptied = domanda(lambda doc: _with_procuratore(doc, nome="", cognome="", codice_fiscale="", procura_numero="",
                                                    procura_data=""))
    found = [(f.code, f.path, f.severity) for f in check_application(emptied, EDITION) if "procuratore" in f.path]
    assert found == [("PROCURATORE_INCOMPLETO", f"capofila.procuratore.{name}", "error")
                     for name in ("nome", "cognome", "codice_fiscale", "procura_numero", "procura_data")]
    message = next(f.message for f in check_application(emptied, EDITION) if f.path.endswith("procura_data"))
    assert "data della procura" in message


def test_no_procuratore_is_not_a_finding():
    assert not [f for f in check_application(domanda(lambda doc: None), EDITION) if "procuratore" in f.path]


def _v2(doc, tipologia=None, rappresentanza=None, partner=None, bollo=None):
    """Make the sample a patti-web/domanda@2 document, with a change in what @2 added."""
    doc["format"] = "patti-web/domanda@2"
    if tipologia:
        doc["capofila"]["tipologia"] = tipologia
    if rappresentanza:
        doc["capofila"]["rappresentanza"] = rappresentanza
    if bollo:
        doc["capofila"]["bollo"] = bollo
    if partner:
        doc["partner"][partner[0]].update(partner[1])


@pytest.mark.parametrize(("change", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_rule_reports_its_finding(change, expected):
    findings = check_application(domanda(change), EDITION)
    assert expected in codes(findings)
    finding = next(f for f in findings if (f.code, f.path) == expected)
    assert finding.severity == SEVERITY[finding.code]
    assert finding.message.strip()


def test_every_finding_code_of_the_contract_has_a_case():
    covered = {expected[0] for *_, expected in CASES} | {"FUORI_FINESTRA"}
    assert covered == set(SEVERITY)


V1 = DATA / "v1"


@pytest.mark.parametrize("name", sorted(json.loads((V1 / "attese.json").read_text(encoding="utf-8"))))
def test_a_v1_document_checks_exactly_as_before(name):
    """The findings of @1 files as the @1 engine gave them (tests/data/v1/attese.json, written before @2): the same
    codes, severities and paths, in the same order. (The contract keeps codes stable, not wording: messages now name
    the item they are about, "Partner 2 «Officine Rossi»: manca la categoria.".)"""
    expected = json.loads((V1 / "attese.json").read_text(encoding="utf-8"))[name]
    found = check_application(read_document((DATA / name).read_bytes()), EDITION)
    assert [(f.code, f.severity, f.path) for f in found] == [(e["code"], e["severity"], e["path"]) for e in expected]
    assert all(f.message and not f.message.startswith("Campo obbligatorio mancante") for f in found)


def test_the_same_document_as_v2_is_asked_for_what_v2_added():
    v1 = json.loads((V1 / "valida.json").read_text(encoding="utf-8"))
    v1["capofila"]["tipologia"] = "associazione_datoriale"
    v1["partner"][5]["categoria"] = "altro_soggetto"
    as_v1 = codes(check_application(read_document(json.dumps(v1)), EDITION))
    as_v2 = codes(check_application(read_document(json.dumps(v1 | {"format": "patti-web/domanda@2"})), EDITION))
    # Its partners have no legal representative: @1 could not say one, @2 asks for it for their letters.
    assert [c for c in as_v2 if c[0] == "LEGALE_RAPPRESENTANTE_MANCANTE"] == [
        ("LEGALE_RAPPRESENTANTE_MANCANTE", f"partner[{n}].legale_rappresentante") for n in range(6)]
    as_v2 = [c for c in as_v2 if c[0] != "LEGALE_RAPPRESENTANTE_MANCANTE"]
    assert as_v1 == [("CATEGORIA_SCONOSCIUTA", "partner[5].categoria"),
                     ("CATEGORIE_ULTERIORI_INSUFFICIENTI", "partner")]
    # In @2 "altro soggetto" is a member counted for no rule, an association says which sector it represents and
    # gives its marca da bollo, and the codice fiscale of its legal representative is compared with the name (this
    # sample's, RSSMRA85T10A562S, is not Roberto Saccà's).
    assert as_v2 == [("CODICE_FISCALE_NON_CORRISPONDE", "capofila.legale_rappresentante.codice_fiscale"),
                     ("CAMPO_OBBLIGATORIO", "capofila.rappresentanza.descrizione"),
                     ("CAMPO_OBBLIGATORIO", "capofila.bollo.identificativo"),
                     ("CAMPO_OBBLIGATORIO", "capofila.bollo.data"),
                     ("BOLLO_DICHIARAZIONE_MANCANTE", "capofila.bollo.dichiarazione"),
                     ("CATEGORIE_ULTERIORI_INSUFFICIENTI", "partner")]


@pytest.mark.parametrize(
    ("rappresentanza", "coherent"),
    [
        ({"descrizione": "Artigianato manifatturiero", "ateco": ["C"]}, True),  # C contains 25.62
        ({"descrizione": "Industria", "ateco": ["25"]}, True),
        ({"descrizione": "Imprese della meccanica", "ateco": []}, True),  # "meccanica" ~ "Meccanica e meccatronica"
        ({"descrizione": "Costruzioni di macchine", "ateco": []}, True),  # the title of 28.41 speaks of macchine
        ({"descrizione": "Commercio al dettaglio", "ateco": ["47"]}, False),
        ({"descrizione": "Imprese e servizi", "ateco": []}, False),  # generic words match nothing
    ],
)
def test_the_represented_sector_is_matched_by_ateco_codes_or_words(rappresentanza, coherent):
    findings = check_application(domanda(lambda doc: _v2(doc, tipologia="associazione_datoriale",
                                                         rappresentanza=rappresentanza, bollo=STAMP)), EDITION)
    assert (("RAPPRESENTANZA_NON_COERENTE", "capofila.rappresentanza") in codes(findings)) is not coherent
    assert not has_errors(findings)


def test_a_network_or_an_unsaid_answer_gets_no_warning():
    for rete in (True, None):
        findings = check_application(domanda(lambda doc, r=rete: _v2(doc, partner=(3, {
            "categoria": "reti_enti_locali", "rete": r}))), EDITION)
        assert "RETE_ATTESA" not in {f.code for f in findings}


def test_warnings_do_not_make_an_application_fail():
    findings = check_application(domanda(_set(("settori", 0, "ateco"), ["99.99"])), EDITION)
    assert [f.severity for f in findings] == [WARNING]
    assert not has_errors(findings)


def test_missing_mandatory_categories_are_one_finding_each_naming_the_category():
    findings = check_application(domanda(_remove_partners("distretti_filiere", "sindacati")), EDITION)
    missing = [f for f in findings if f.code == "CATEGORIA_OBBLIGATORIA_MANCANTE"]
    assert len(missing) == 2
    assert "Distretti del Commercio" in missing[0].message
    assert "Organizzazioni sindacali" in missing[1].message


def test_the_further_categories_message_says_how_many_are_present():
    findings = check_application(domanda(_remove_partners("enti_bilaterali", "universita_ricerca")), EDITION)
    (finding,) = [f for f in findings if f.code == "CATEGORIE_ULTERIORI_INSUFFICIENTI"]
    assert "1" in finding.message and "3" in finding.message


def test_an_employers_association_as_lead_counts_as_the_companies_category():
    def change(doc):
        doc["capofila"]["tipologia"] = "associazione_datoriale"
        doc["capofila"]["rappresentanza"] = {"descrizione": "Meccanica", "ateco": []}
        doc["capofila"]["bollo"] = STAMP
        doc["partner"] = [p for p in doc["partner"] if p["categoria"] != "imprese"]

    assert check_application(domanda(change), EDITION) == []


def test_a_chamber_of_commerce_as_lead_counts_towards_no_category():
    findings = check_application(domanda(_remove_partners("imprese")), EDITION)
    assert ("CATEGORIA_OBBLIGATORIA_MANCANTE", "partner") in codes(findings)


def test_all_findings_come_at_once_not_only_the_first():
    def change(doc):
        doc["titolo"] = ""
        doc["capofila"]["tipologia"] = "comune"
        doc["partner"][0]["categoria"] = "banche"
        doc["territorio"] = {"ambito": "interprovinciale", "province": ["TO"]}
        doc["fabbisogni"][0]["fonti"] = []
        doc["interventi"][0]["fabbisogni"] = []

    found = {f.code for f in check_application(domanda(change), EDITION)}
    assert {"CAMPO_OBBLIGATORIO", "CAPOFILA_TIPOLOGIA", "CATEGORIA_SCONOSCIUTA", "CATEGORIA_OBBLIGATORIA_MANCANTE",
            "PROVINCIA_SCONOSCIUTA", "TERRITORIO_PROVINCE", "FABBISOGNO_SENZA_FONTE",
            "INTERVENTO_SENZA_FABBISOGNO", "FABBISOGNO_SENZA_INTERVENTO"} <= found


@pytest.mark.parametrize(
    ("ambito", "province"),
    [
        ("regionale", []),
        ("regionale", ALL_PROVINCES),
        ("interprovinciale", ["BS", "BG"]),
        ("interprovinciale", ["MI", "MB", "LO", "PV"]),
        ("provinciale", ["BS"]),
        ("provinciale", ["bs"]),
    ],
)
def test_a_valid_application_for_each_territory_type(ambito, province):
    assert check_application(domanda(_set(("territorio",), {"ambito": ambito, "province": province})), EDITION) == []


@pytest.mark.parametrize(
    ("ambito", "province"),
    [
        ("regionale", ["BS"]),
        ("regionale", ALL_PROVINCES[:-1]),
        ("interprovinciale", ["BS"]),
        ("interprovinciale", []),
        ("interprovinciale", ["BS", "BS"]),
        ("provinciale", []),
        ("provinciale", ["BS", "MI"]),
    ],
)
def test_a_province_list_that_does_not_fit_the_scope(ambito, province):
    findings = check_application(domanda(_set(("territorio",), {"ambito": ambito, "province": province})), EDITION)
    assert codes(findings) == [("TERRITORIO_PROVINCE", "territorio.province")]
    assert findings[0].severity == ERROR


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (datetime(2023, 1, 15, 22, 59, tzinfo=UTC), False),  # 23:59 of 15 January in Rome
        (datetime(2023, 1, 15, 23, 0, tzinfo=UTC), True),  # midnight of 16 January in Rome
        (datetime(2023, 2, 28, 22, 59, tzinfo=UTC), True),
        (datetime(2023, 2, 28, 23, 0, tzinfo=UTC), False),  # 1 March in Rome
        (datetime(2026, 11, 25, 10, 0, tzinfo=UTC), False),
    ],
)
def test_the_window_is_checked_only_at_submission_in_rome_time(moment, inside):
    assert check_application(domanda(), EDITION) == []
    findings = check_application(domanda(), EDITION, submitted_at=moment)
    assert codes(findings) == ([] if inside else [("FUORI_FINESTRA", "domanda")])


def test_an_operator_can_set_another_window():
    from datetime import date

    edition = EDITION.with_window(date(2023, 1, 16), date(2023, 3, 15))
    assert check_application(domanda(), edition, submitted_at=datetime(2023, 3, 10, 12, tzinfo=UTC)) == []
    with pytest.raises(EditionError):
        EDITION.with_window(date(2023, 3, 1), date(2023, 2, 1))


@pytest.mark.parametrize(
    ("rome", "inside"),
    [
        ("2023-01-15T23:59:59", False),
        ("2023-01-16T00:00:00", True),  # the first second of the first day
        ("2023-01-16T23:59:59", True),
        ("2023-02-28T00:00:00", True),
        ("2023-02-28T23:59:59", True),  # the last second of the last day
        ("2023-03-01T00:00:00", False),
    ],
)
def test_the_window_edges_are_the_first_and_last_second_in_rome(rome, inside):
    moment = datetime.fromisoformat(rome).replace(tzinfo=ZoneInfo("Europe/Rome"))
    assert EDITION.is_open_at(moment) is inside
    assert EDITION.is_open_at(moment.astimezone(UTC)) is inside  # the same instant, written in UTC
    assert EDITION.is_open_at(moment.replace(microsecond=999_999)) is inside  # counted in whole seconds


@pytest.mark.parametrize(
    ("utc", "inside"),
    [
        # Opens Saturday 25 March 2023 at 09:00 CET (UTC+1); Italy moves to CEST (UTC+2) on Sunday 26 at 02:00.
        ("2023-03-25T07:59:59", False),
        ("2023-03-25T08:00:00", True),
        ("2023-03-26T00:59:59", True),  # 01:59:59 CET, the last second before the change
        ("2023-03-26T01:00:00", True),  # 03:00:00 CEST
        # Closes Sunday 29 October 2023 at 12:00:00 CET, after the change back (03:00 CEST -> 02:00 CET).
        ("2023-10-29T11:00:00", True),
        ("2023-10-29T11:00:01", False),
        ("2023-10-29T10:00:00", True),  # 11:00 CET: an hour before, not the closing (as UTC+2 would say)
    ],
)
def test_a_configured_window_across_daylight_saving_changes(utc, inside):
    edition = EDITION.with_window(datetime(2023, 3, 25, 9, 0, 0), datetime(2023, 10, 29, 12, 0, 0))
    assert (edition.opens_at.utcoffset(), edition.closes_at.utcoffset()) == (timedelta(hours=1), timedelta(hours=1))
    moment = datetime.fromisoformat(utc).replace(tzinfo=UTC)
    assert edition.is_open_at(moment) is inside
    assert codes(check_application(domanda(), edition, submitted_at=moment)) == (
        [] if inside else [("FUORI_FINESTRA", "domanda")])


def test_a_window_closing_at_noon_says_so_to_the_second():
    edition = EDITION.with_window(None, datetime(2023, 2, 28, 12, 0, 0))
    (finding,) = check_application(domanda(), edition, submitted_at=datetime(2023, 2, 28, 11, 0, 1, tzinfo=UTC))
    assert "28 febbraio 2023, 12:00:00" in finding.message and "28 febbraio 2023, 12:00:01" in finding.message
    assert edition.apertura_ora == time(0, 0, 0)  # a day alone keeps the edition's time


def test_a_second_edition_is_a_new_definition_not_new_code():
    edition = parse_edition(DATA / "edizione_prova.toml")
    doc = {
        "format": "patti-web/domanda@2",
        "titolo": "Patto di prova",
        "capofila": copy.deepcopy(VALID["capofila"]) | {"tipologia": "comune_capoluogo"},
        "partner": [
            copy.deepcopy(VALID["partner"][0]) | {"categoria": "scuole"},
            copy.deepcopy(VALID["partner"][1]) | {"categoria": "banche"},
        ],
        "territorio": {"ambito": "comunale", "province": ["X1"]},
        "settori": VALID["settori"],
        "fabbisogni": VALID["fabbisogni"],
        "interventi": VALID["interventi"],
    }
    doc["capofila"]["sede"]["provincia"] = "X1"
    # The made-up lead type "comune_capoluogo" counts as the mandatory "imprese"; "scuole" comes from a partner.
    assert check_application(read_document(json.dumps(doc)), edition) == []
    # The same document under the 2023 edition breaks its rules.
    under_2023 = {f.code for f in check_application(read_document(json.dumps(doc)), EDITION)}
    assert {"CAPOFILA_TIPOLOGIA", "CATEGORIA_SCONOSCIUTA", "TERRITORIO_PROVINCE", "PROVINCIA_SCONOSCIUTA"} <= under_2023
    # And the made-up edition has its own minimum of further categories.
    doc["partner"].pop()
    findings = check_application(read_document(json.dumps(doc)), edition)
    assert codes(findings) == [("CATEGORIE_ULTERIORI_INSUFFICIENTI", "partner")]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("chiave = 'x'", "missing key"),
        ("not toml [", "Expected"),
    ],
)
def test_a_broken_edition_file_is_refused_with_a_reason(tmp_path, text, error):
    path = tmp_path / "rotta.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(EditionError, match=error):
        parse_edition(path)


@pytest.mark.parametrize(("today", "state"), [
    ("2023-01-15", ("prima", 1)), ("2023-01-16", ("aperta", 44)), ("2023-02-28", ("aperta", 1)),
    ("2023-03-01", ("chiusa", 1)), ("2026-11-25", ("chiusa", 1366)),
])
def test_the_window_state_on_a_given_day(today, state):
    from datetime import date

    assert load_edition().window(date.fromisoformat(today)) == state


@pytest.mark.parametrize(("typed", "compact"), [
    ("IT02166180980", "02166180980"), ("it 0216 6180 980", "02166180980"), ("02166180980", "02166180980"),
    ("RSSMRA85T10A562S", "RSSMRA85T10A562S"), ("IT0216618098", "IT0216618098"),  # 10 digits: not a partita IVA
])
def test_a_partita_iva_loses_its_country_prefix(typed, compact):
    from patti_web.avviso.regole import is_valid_tax_code, normalize_tax_code

    assert normalize_tax_code(typed) == compact
    assert is_valid_tax_code(typed) == (compact != "IT0216618098")


def test_every_italian_province_has_its_two_letters():
    from patti_web.avviso.province import SIGLE

    assert len(SIGLE) == 112 and {"BS", "MB", "SU", "EE"} <= SIGLE and "ZZ" not in SIGLE


# The checklist tells the truth ------------------------------------------------------------------------------------


def _blanked_one_at_a_time():
    """The valid sample with one required field emptied (each in turn, in the first item of a list)."""
    from patti_web.avviso.regole import FIELD_LABELS

    for generic in FIELD_LABELS:
        path, target = [], VALID
        for part in generic.split("."):
            if isinstance(target, list):
                path.append(0)
                target = target[0] if target else {}
            path.append(part)
            target = target.get(part) if isinstance(target, dict) else None
        if target is None:  # a part the sample does not hold
            continue
        empty = [] if isinstance(target, list) else (None if isinstance(target, int) else "")
        yield generic, domanda(_set(tuple(path), empty))


CHECKED = [("valida.json", domanda()), ("con_errori.json", read_document((DATA / "con_errori.json").read_bytes())),
           *((f"v1/{p.name}", read_document(p.read_bytes())) for p in sorted((DATA / "v1").glob("*.json"))
             if p.name != "attese.json"),
           *_blanked_one_at_a_time()]


@pytest.mark.parametrize(("name", "document"), CHECKED, ids=[c[0] for c in CHECKED])
def test_the_checklist_is_all_met_only_when_the_rules_find_no_error(name, document):
    from patti_web.avviso.regole import checklist

    findings = check_application(document, EDITION)
    items = checklist(document, EDITION, findings)
    assert all(item.met for item in items) == (not has_errors(findings)), [i for i in items if not i.met]


def test_an_empty_application_meets_no_rule_yet():
    from patti_web.avviso.domanda import Domanda
    from patti_web.avviso.regole import checklist

    empty = Domanda(titolo="Solo il titolo")
    items = checklist(empty, EDITION, check_application(empty, EDITION))
    assert [i.key for i in items if i.met] == []


def test_a_partner_with_only_its_name_leaves_a_rule_unmet_naming_the_section():
    from patti_web.avviso.regole import checklist

    document = domanda(lambda d: d["partner"].append({"denominazione": "Cooperativa Il Ponte"}))
    findings = check_application(document, EDITION)
    dati = next(i for i in checklist(document, EDITION, findings) if i.key == "dati")
    assert not dati.met and dati.sections == (("partenariato", 4),)  # category, codice fiscale, comune, provincia
    messages = [f.message for f in findings if f.path.startswith("partner[6]")]
    assert "Partner 7 \u00abCooperativa Il Ponte\u00bb: manca la categoria." in messages


def test_a_finding_about_an_item_names_it():
    document = domanda(lambda d: d["interventi"].extend([{"descrizione": "x", "fabbisogni": ["F1"]}] * 2))
    messages = [f.message for f in check_application(document, EDITION) if f.code == "CAMPO_OBBLIGATORIO"]
    assert messages == ["Intervento 2: manca il titolo.", "Intervento 3: manca il titolo."]


def test_a_window_closing_inside_the_hour_that_repeats_is_compared_as_instants():
    # 27 October 2024: at 03:00 CEST clocks go back to 02:00 CET, so 02:30 happens twice; the edition's 02:30 is the
    # first (CEST, 00:30 UTC).
    edition = EDITION.with_window(datetime(2024, 10, 1), datetime(2024, 10, 27, 2, 30, 0))
    assert edition.is_open_at(datetime(2024, 10, 27, 0, 30, 0, tzinfo=UTC))
    assert not edition.is_open_at(datetime(2024, 10, 27, 1, 15, 0, tzinfo=UTC))  # 02:15 CET: after the closing


def test_the_further_categories_line_says_how_many_there_are_and_how_many_are_needed():
    from patti_web.avviso.regole import checklist

    further = {c.chiave for c in EDITION.categorie_ulteriori}
    present = {p["categoria"] for p in VALID["partner"]} & further
    assert len(present) >= EDITION.minimo_categorie_ulteriori  # the sample has enough, and may have more
    item = next(i for i in checklist(domanda(), EDITION, check_application(domanda(), EDITION))
                if i.key == "categorie-ulteriori")
    assert item.label == (f"Almeno {EDITION.minimo_categorie_ulteriori} categorie ulteriori: {len(present)} "
                          f"(ne servono {EDITION.minimo_categorie_ulteriori})")
    none = domanda(lambda d: d.update(partner=[p for p in d["partner"] if p["categoria"] not in further]))
    item = next(i for i in checklist(none, EDITION, check_application(none, EDITION))
                if i.key == "categorie-ulteriori")
    assert item.label.endswith(": 0 (ne servono 3)") and not item.met
