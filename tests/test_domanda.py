"""The JSON document reader and writer, without an app: every bad file gets one clear Italian line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from patti_web.avviso import sezioni
from patti_web.avviso.domanda import (
    FORMAT,
    FORMAT_V1,
    MAX_DOCUMENT_BYTES,
    DocumentError,
    Domanda,
    read_document,
    to_document,
    write_document,
)
from patti_web.avviso.regole import check_application

DATA = Path(__file__).parent / "data"


def error_of(data) -> str:
    with pytest.raises(DocumentError) as info:
        read_document(data)
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def doc(**body) -> str:
    return json.dumps({"format": FORMAT, **body})


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "vuoto"),
        (b"   \n", "vuoto"),
        ("{\"format\": \"patti-web/domanda@1\", \"titolo\": \"Citt\u00e0\"}".encode("latin-1"), "UTF-8"),
        (b"\xff\xfe{}", "UTF-8"),
        (b"{\"format\": ", "JSON"),
        (b"not json at all", "JSON"),
        (b"{\"format\": \"patti-web/domanda@1\", \"titolo\": NaN}", "NaN"),
        (b"[1, 2, 3]", "oggetto"),
        (b"\"una stringa\"", "oggetto"),
        (b"{}", "format"),
        (doc().replace(FORMAT, "patti-web/domanda@3").encode(), "patti-web/domanda@3"),
        (json.dumps({"format": 7}).encode(), "7"),
        (b"[" * 100_000 + b"]" * 100_000, "annidamento"),
        (b"{\"a\":" * 50_000 + b"1" + b"}" * 50_000, "annidamento"),
    ],
    ids=["empty", "blank", "latin-1", "utf-16", "truncated", "prose", "nan", "list", "string", "no format",
         "other format", "format not text", "deep list", "deep object"],
)
def test_a_file_that_is_not_a_document_gets_one_italian_line(data, expected):
    assert expected in error_of(data)


def test_a_50_mb_file_is_refused_before_parsing():
    data = b" " * (50 * 1024 * 1024)
    message = error_of(data)
    assert "troppo grande" in message and "50" in message
    assert len(data) > MAX_DOCUMENT_BYTES


@pytest.mark.parametrize(
    ("body", "path", "expected"),
    [
        ({"titolo": 12}, "titolo", "testo"),
        ({"titolo": ["a"]}, "titolo", "elenco"),
        ({"capofila": []}, "capofila", "oggetto"),
        ({"capofila": {"sede": "Brescia"}}, "capofila.sede", "oggetto"),
        ({"partner": {"denominazione": "x"}}, "partner", "elenco"),
        ({"partner": [{"denominazione": "x"}, 3]}, "partner[1]", "oggetto"),
        ({"territorio": {"province": "BS"}}, "territorio.province", "elenco"),
        ({"territorio": {"province": [1]}}, "territorio.province[0]", "testo"),
        ({"fabbisogni": [{"fonti": [{"anno": "2022"}]}]}, "fabbisogni[0].fonti[0].anno", "numero"),
        ({"fabbisogni": [{"fonti": [{"anno": 2022.5}]}]}, "fabbisogni[0].fonti[0].anno", "numero"),
        ({"fabbisogni": [{"fonti": [{"anno": True}]}]}, "fabbisogni[0].fonti[0].anno", "vero/falso"),
        ({"fabbisogni": [{"fonti": [{"anno": 20222}]}]}, "fabbisogni[0].fonti[0].anno", "1900"),
    ],
)
def test_wrong_types_name_the_path_and_what_was_expected(body, path, expected):
    message = error_of(doc(**body))
    assert message.startswith(path + ":")
    assert expected in message


@pytest.mark.parametrize(
    ("body", "path", "key"),
    [
        ({"titulo": "x"}, "", "titulo"),
        ({"capofila": {"nome": "x"}}, "capofila", "nome"),
        ({"partner": [{"sede": {"via": "x"}}]}, "partner[0].sede", "via"),
    ],
)
def test_unknown_keys_are_refused_by_name(body, path, key):
    message = error_of(doc(**body))
    assert f"\u201c{key}\u201d" in message
    assert message.startswith(path) and "chiav" in message


def test_too_long_texts_and_control_characters_are_refused():
    assert "troppo lungo" in error_of(doc(titolo="x" * 301))
    assert "controllo" in error_of(doc(titolo="a\x00b"))
    assert "troppi elementi" in error_of(doc(partner=[{}] * 1001))


def test_two_needs_with_the_same_id_are_refused():
    assert "F1" in error_of(doc(fabbisogni=[{"id": "F1"}, {"id": "F1"}]))


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"partner": [{"rete": "si"}]}, "partner[0].rete: atteso vero o falso"),
        ({"partner": [{"id": "a/b"}]}, "partner[0].id: "),
        ({"partner": [{"id": "p1"}, {"id": "p1"}]}, "partner: "),
        ({"settori": [{"id": "x" * 21}]}, "settori[0].id: "),
        ({"titolo": "\ud800"}, "titolo: "),
        ({"territorio": {"descrizione": "a\x07b"}}, "territorio.descrizione: "),
    ],
)
def test_what_v2_added_is_checked_like_the_rest(body, expected):
    assert error_of(doc(**body)).startswith(expected)


def test_a_huge_number_is_refused_before_python_builds_it():
    message = error_of(doc(fabbisogni=[{"fonti": [{"anno": 1}]}]).replace('"anno": 1', '"anno": ' + "9" * 4301))
    assert "4301" in message


def test_a_v1_file_reads_but_may_not_hold_what_only_v2_has():
    v1 = json.dumps({"format": FORMAT_V1, "partner": [{"denominazione": "x"}]})
    assert read_document(v1).is_v1
    message = error_of(json.dumps({"format": FORMAT_V1, "partner": [{"rea": "BS-1"}]}))
    assert message.startswith("partner[0]: ") and "\u201crea\u201d" in message and "ccnl" not in message


def test_a_v1_file_is_written_back_as_v2_with_every_field(valid_doc):
    v1 = (DATA / "v1" / "valida.json").read_bytes()
    written = json.loads(write_document(read_document(v1)))
    assert written["format"] == FORMAT
    assert written["partner"][0]["rete"] is None and written["territorio"]["descrizione"] == ""
    assert read_document(json.dumps(written)) == read_document(v1).model_copy(update={"format": FORMAT})


def test_missing_keys_are_findings_not_crashes(edition):
    domanda = read_document(doc())
    assert domanda == Domanda()
    found = {(f.code, f.path) for f in check_application(domanda, edition)}
    assert ("CAMPO_OBBLIGATORIO", "titolo") in found
    assert ("CAMPO_OBBLIGATORIO", "capofila.denominazione") in found
    assert ("CAPOFILA_TIPOLOGIA", "capofila.tipologia") in found
    assert ("CAMPO_OBBLIGATORIO", "territorio.ambito") in found


def test_null_counts_as_missing():
    domanda = read_document(doc(titolo=None, partner=None, capofila={"sede": None}))
    assert domanda == Domanda()


def test_a_bom_and_accents_are_read():
    data = "\ufeff".encode() + doc(titolo="Patto per l\u2019ospitalit\u00e0").encode("utf-8")
    assert read_document(data).titolo == "Patto per l\u2019ospitalit\u00e0"


def test_a_category_that_does_not_exist_and_a_province_to_are_findings(valid_doc, edition):
    valid_doc["partner"][0]["categoria"] = "astronauti"
    valid_doc["territorio"]["province"] = ["TO"]
    found = {(f.code, f.path) for f in check_application(read_document(json.dumps(valid_doc)), edition)}
    assert ("CATEGORIA_SCONOSCIUTA", "partner[0].categoria") in found
    assert ("PROVINCIA_SCONOSCIUTA", "territorio.province[0]") in found


def test_the_writer_round_trips_every_field(valid_doc):
    domanda = read_document(json.dumps(valid_doc))
    assert to_document(domanda) == valid_doc
    text = write_document(domanda)
    assert read_document(text) == domanda
    assert text == write_document(read_document(text))
    assert list(json.loads(text))[0] == "format"


def test_the_writer_keeps_accents_and_symbols_readable(valid_doc):
    valid_doc["titolo"] = "Patto \u00abSacc\u00e0\u00bb & <soci> \u20ac \u2713 \u05e9\u05dc\u05d5\u05dd"
    text = write_document(read_document(json.dumps(valid_doc)))
    assert "Patto \u00abSacc\u00e0\u00bb & <soci> \u20ac \u2713 \u05e9\u05dc\u05d5\u05dd" in text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Ente \u202eatroppus\u202c", "U+202E"),  # right-to-left override: the act would show reversed text
        ("Ente \u2066isolato\u2069", "U+2066"),
        ("Patto \U0001f600", "\U0001f600"),
        ("Bandiera \U0001f1ee\U0001f1f9", "\U0001f1ee"),
        ("Tab\x0bverticale", "controllo"),
    ],
    ids=["bidi override", "bidi isolate", "emoji", "flag", "control"],
)
def test_what_a_signed_act_cannot_print_faithfully_is_refused_naming_it(value, expected):
    message = error_of(doc(partner=[{"denominazione": value}]))
    assert message.startswith("partner[0].denominazione: ") and expected in message


@pytest.mark.parametrize("attributo", [s.attributo for s in sezioni.LISTS])
def test_two_items_of_a_list_with_one_id_are_refused_in_words(attributo):
    message = error_of(doc(**{attributo: [{"id": "x1"}, {"id": "x1"}]}).encode())
    assert "\u201cx1\u201d" in message and "usato da pi\u00f9 di un" in message
