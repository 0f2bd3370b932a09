"""The three-way merge of a form opened on an older version (patti_web.domande.merge), with no app: a table of the
cases, then the parts of the document it works on."""

from __future__ import annotations

import pytest

from patti_web.avviso import domanda as doc
from patti_web.domande.merge import flatten, merge, unflatten

BASE = {"pec": "old@pec.it", "sede.cap": "25121", "telefono": "030 1", "province": ["BS"]}


@pytest.mark.parametrize(
    ("theirs", "mine", "values", "conflicts", "kept"),
    [
        # Nobody changed anything.
        ({}, {}, BASE, [], []),
        # Only someone else changed the PEC: it stays theirs (the person's old copy never goes back).
        ({"pec": "a@pec.it"}, {}, {**BASE, "pec": "a@pec.it"}, [], ["pec"]),
        # Only the person changed it: theirs goes in.
        ({}, {"pec": "b@pec.it"}, {**BASE, "pec": "b@pec.it"}, [], []),
        # Both changed it to the same value: no question.
        ({"pec": "x@pec.it"}, {"pec": "x@pec.it"}, {**BASE, "pec": "x@pec.it"}, [], []),
        # Both changed it, differently: asked, not applied.
        ({"telefono": "030 2"}, {"telefono": "030 3"}, None, ["telefono"], []),
        # Different fields changed by each: both kept.
        ({"sede.cap": "25122"}, {"pec": "b@pec.it"}, {**BASE, "sede.cap": "25122", "pec": "b@pec.it"}, [],
         ["sede.cap"]),
        # A list is one field: both adding a province is a question, not a silent union.
        ({"province": ["BS", "BG"]}, {"province": ["BS", "MI"]}, None, ["province"], []),
    ],
)
def test_the_three_way_merge(theirs, mine, values, conflicts, kept):
    result = merge(BASE, {**BASE, **theirs}, {**BASE, **mine})
    assert [c.path for c in result.conflicts] == conflicts
    if values is not None:
        assert result.values == values
    assert result.kept_theirs == kept


def test_a_conflict_says_the_saved_value_the_persons_and_the_one_the_form_had():
    (change,) = merge(BASE, {**BASE, "telefono": "030 2"}, {**BASE, "telefono": "030 3"}).conflicts
    assert (change.path, change.theirs, change.yours, change.base) == ("telefono", "030 2", "030 3", "030 1")


def test_the_person_may_keep_the_saved_value_of_a_field_in_conflict():
    result = merge(BASE, {**BASE, "telefono": "030 2"}, {**BASE, "telefono": "030 3"}, keep_theirs={"telefono"})
    assert result.conflicts == [] and result.values["telefono"] == "030 2"


def test_without_the_base_every_difference_is_asked():
    result = merge(None, {**BASE, "pec": "a@pec.it"}, {**BASE, "telefono": "030 3"})
    assert sorted(c.path for c in result.conflicts) == ["pec", "telefono"]


def test_parts_of_the_document_flatten_and_come_back():
    capofila = doc.Capofila(denominazione="CCIAA", sede=doc.Sede(cap="25121"), rappresentanza=doc.Rappresentanza(
        ateco=["25", "28"]))
    flat = flatten({"titolo": "Patto", "capofila": capofila})
    assert flat["capofila.sede.cap"] == "25121" and flat["capofila.rappresentanza.ateco"] == ["25", "28"]
    assert doc.Capofila.model_validate(unflatten(flat)["capofila"]) == capofila
    need = doc.Fabbisogno(id="F1", fonti=[doc.Fonte(titolo="Studio", anno=2022)])
    assert doc.Fabbisogno.model_validate(unflatten(flatten(need))) == need
