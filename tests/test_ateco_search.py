"""The ATECO search answers ordinary words: a table of plain queries (tests/data/ateco_ricerche.csv) and the code
each must find among its first results, plus the ranking and paging rules, with no app."""

from __future__ import annotations

import csv

import pytest
from helpers import DATA

from patti_web.avviso.ateco import search
from patti_web.avviso.edizioni import load_edition

EDITION = load_edition().edizione_ateco


def _cases() -> list[tuple[str, str, int]]:
    with (DATA / "ateco_ricerche.csv").open(encoding="utf-8") as fh:
        rows = [line for line in fh if not line.startswith("#")]
    return [(row["query"], row["atteso"], int(row["entro"])) for row in csv.DictReader(rows)]


def _hit(code: str, expected: str) -> bool:
    return code.startswith(expected[:-1]) if expected.endswith("*") else code == expected


def rank_of(query: str, expected: str) -> int | None:
    """Where the expected code comes in the first ten results (1-based), None if it does not."""
    results, _ = search(query, EDITION, limit=10)
    return next((n for n, r in enumerate(results, 1) if _hit(r.code, expected)), None)


CASES = _cases()


def test_the_table_keeps_at_least_twenty_plain_word_queries():
    plain_words = {q for q, _, _ in CASES if not any(c.isdigit() for c in q) and len(q) > 1}
    assert len(plain_words) >= 20


@pytest.mark.parametrize(("query", "expected", "within"), CASES, ids=[f"{q}->{e}" for q, e, _ in CASES])
def test_a_plain_query_finds_its_code(query, expected, within):
    rank = rank_of(query, expected)
    assert rank is not None and rank <= within, (query, expected, rank, search(query, EDITION, limit=5)[0])


def test_hit_rate_of_the_table_at_first_place():
    first = sum(rank_of(q, e) == 1 for q, e, _ in CASES)
    assert first / len(CASES) >= 0.9


def test_accents_case_and_word_order_do_not_matter():
    def codes(q):
        return [r.code for r in search(q, EDITION, limit=10)[0]]
    assert codes("Lavorazione del CAFFÈ") == codes("caffe lavorazione")
    assert codes("ALBERGHI") == codes("alberghi")


def test_a_code_lists_itself_then_its_classes_never_a_code_that_only_contains_it():
    results, total = search("47", EDITION, limit=200)
    assert results[0].code == "47"
    assert all(r.code.startswith("47") for r in results) and total == len(results)
    assert "01.47" not in [r.code for r in search("47", EDITION, limit=500)[0]]


def test_a_title_repeated_down_the_levels_shows_once_as_the_class():
    codes = [r.code for r in search("bar", EDITION, limit=50)[0]]
    assert "56.30" in codes
    assert not {"56.3", "56.30.0", "56.30.00"} & set(codes)


def test_classes_come_before_whole_divisions_and_sections():
    results, _ = search("commercio al dettaglio", EDITION, limit=5)
    assert all(r.level == "class" for r in results)


def test_more_results_than_shown_are_counted_not_cut():
    first, total = search("commercio al dettaglio", EDITION, limit=10)
    more, same_total = search("commercio al dettaglio", EDITION, limit=20)
    assert len(first) == 10 and total == same_total > 20
    assert more[:10] == first


@pytest.mark.parametrize("query", ["", " ", "di", "il la", "zzzzqqq", "(", "%", "47.99.99.99", "😀"])
def test_queries_that_mean_nothing_find_nothing_and_do_not_fail(query):
    results, total = search(query, EDITION)
    assert results == [] and total == 0


def test_a_single_letter_is_a_section():
    assert [r.code for r in search("a", EDITION)[0]] == ["A"]


@pytest.mark.parametrize(("query", "activities"), [
    ("officina", ["25.62", "45.20"]),  # a machine shop or a car repair shop
    ("metalmeccanica", ["25.", "28"]),
    ("edilizia", ["41.20", "43"]),
    ("turismo", ["55.10", "79.11"]),
    ("cooperativa sociale", ["88.", "87."]),
])
def test_a_word_for_several_activities_shows_each_among_the_first_results(query, activities):
    """The activities' results are taken in turn: the first result of each comes first, in the table's order."""
    codes = [r.code for r in search(query, EDITION, limit=len(activities))[0]]
    assert all(code.startswith(a) for code, a in zip(codes, activities, strict=True)), codes


def test_a_sector_word_finds_its_division_and_the_words_as_typed_still_count():
    codes = [r.code for r in search("agricoltura", EDITION, limit=3)[0]]
    assert "01" in codes and all(c.startswith("01") for c in codes)
    # "edilizia" still finds the titles that say it, after the building trades.
    results, _ = search("edilizia", EDITION, limit=100)
    assert {"23.61", "22.23"} <= {r.code for r in results}


def test_scrap_trade_and_office_furniture_never_come_first_for_mechanics():
    for query in ("meccanica", "lavorazioni meccaniche", "tornitura", "officina meccanica"):
        first = search(query, EDITION, limit=1)[0][0]
        assert first.code == "25.62", (query, first)
