"""The registry of sections (patti_web.avviso.sezioni) is the one list every section-by-section reader uses: it covers
the whole document, and each entry has what its readers need (a form, templates, routes, Italian labels)."""

from __future__ import annotations

import typing
from pathlib import Path

from flask import url_for

from patti_web.avviso import domanda as doc
from patti_web.avviso import sezioni
from patti_web.avviso.regole import check_application, section_statuses
from patti_web.i18n import translations
from patti_web.web.domande.forms import SectionForm

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "domande"


def test_every_part_of_the_document_is_in_one_section():
    held = [name for part in sezioni.SEZIONI for name in part.attributi]
    assert sorted(held) == sorted(set(doc.Domanda.model_fields) - {"format"})
    assert len({part.chiave for part in sezioni.SEZIONI}) == len(sezioni.SEZIONI)


def test_items_are_named_by_their_place_or_their_code():
    partenariato, fabbisogni = sezioni.BY_KEY["partenariato"], sezioni.BY_KEY["fabbisogni"]
    assert partenariato.item_name(doc.Partner(denominazione="Cooperativa Il Ponte"), 3) == (
        "Partner 4 \u00abCooperativa Il Ponte\u00bb")
    assert partenariato.item_name(doc.Partner(), 0) == "Partner 1"
    assert fabbisogni.item_name(doc.Fabbisogno(id="F7", titolo="Saldatori"), 0) == "Fabbisogno F7 \u00abSaldatori\u00bb"
    long = "Una descrizione molto lunga " * 5
    assert len(sezioni.BY_KEY["settori"].item_name(doc.Settore(descrizione=long), 0)) < 80


def test_the_task_list_states_come_from_the_registry():
    domanda = doc.Domanda(titolo="Solo il titolo")
    statuses = section_statuses(domanda, check_application(domanda, _edition()))
    assert list(statuses) == [*(part.chiave for part in sezioni.SEZIONI), sezioni.RIEPILOGO]
    assert set(statuses.values()) == {"da_completare"}  # the title alone starts nothing


def _edition():
    from patti_web.avviso.edizioni import load_edition

    return load_edition()


def test_every_section_has_its_form_templates_routes_and_italian_label(app):
    catalogue = translations()
    with app.test_request_context():
        for part in sezioni.SEZIONI:
            form = SectionForm.of(part.chiave)
            if part.is_list:
                inner = typing.get_args(doc.Domanda.model_fields[part.attributo].annotation)[0]
                assert form.model is inner, part.chiave
                assert (TEMPLATES / f"{part.elemento}.html").exists(), part.elemento
                assert url_for(f"domande.{part.elemento}", domanda_id=1, item_id="x").endswith(f"/{part.chiave}/x")
                assert url_for("domande.remove", domanda_id=1, sezione=part.chiave, item_id="x")
                assert catalogue.gettext(part.etichetta_elemento) != part.etichetta_elemento or part.elemento == (
                    "partner")
            else:
                assert form.model is doc.Domanda.model_fields[part.attributo].annotation, part.chiave
            assert (TEMPLATES / f"{part.chiave}.html").exists(), part.chiave
            assert url_for(f"domande.{part.chiave}", domanda_id=1).endswith(f"/domande/1/{part.chiave}")
            assert catalogue.gettext(part.etichetta) != part.etichetta, part.chiave  # translated
