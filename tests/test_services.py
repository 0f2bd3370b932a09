"""Services with an app and a database: a document goes in and comes out without loss."""

from __future__ import annotations

import json
from dataclasses import fields, is_dataclass

import pytest
from sqlalchemy import String, inspect

from patti_web import domanda as doc
from patti_web import models
from patti_web.domanda import read_document, to_document
from patti_web.extensions import db
from patti_web.services import (
    NotFound,
    check_stored_application,
    fill_application,
    get_application,
    import_application,
    to_domanda,
)


def _reload(application_id):
    db.session.commit()
    db.session.expunge_all()
    return get_application(application_id)


def test_a_document_round_trips_through_the_database(app, valid_doc):
    valid_doc["titolo"] = "Patto \u00abSacc\u00e0\u00bb & <soci> \U0001f600"
    valid_doc["partner"].append(
        {"denominazione": "Solo nome", "categoria": "", "codice_fiscale": "",
         "sede": {"indirizzo": "", "comune": "", "provincia": "", "cap": ""}, "pec": "",
         "referente": {"nome": "", "cognome": "", "email": "", "telefono": ""}}
    )
    valid_doc["fabbisogni"][0]["fonti"].append({"titolo": "Studio", "autore": "Ente", "anno": None, "url": ""})
    valid_doc["interventi"][0]["fabbisogni"] = ["F1", "F-che-non-c'e"]
    stored = import_application(read_document(json.dumps(valid_doc)))
    again = _reload(stored.id)
    assert to_document(to_domanda(again)) == valid_doc


def test_order_of_every_list_is_kept(app, valid_doc):
    valid_doc["partner"].reverse()
    valid_doc["territorio"] = {"ambito": "interprovinciale", "province": ["VA", "BG", "MI"]}
    valid_doc["settori"][0]["ateco"] = ["28.41", "25.62", "C"]
    stored = import_application(read_document(json.dumps(valid_doc)))
    assert to_document(to_domanda(_reload(stored.id))) == valid_doc


def test_an_empty_document_round_trips(app):
    stored = import_application(doc.Domanda())
    assert to_domanda(_reload(stored.id)) == doc.Domanda()


def test_refilling_replaces_every_part(app, valid_doc):
    stored = import_application(read_document(json.dumps(valid_doc)))
    fill_application(stored, doc.Domanda(titolo="Nuovo"))
    again = _reload(stored.id)
    assert to_domanda(again) == doc.Domanda(titolo="Nuovo")
    assert db.session.query(models.Partner).count() == 0
    assert db.session.query(models.NeedSource).count() == 0


def test_the_stored_application_is_checked_by_the_same_rules(app, valid_doc):
    valid_doc["territorio"]["province"] = ["TO"]
    stored = import_application(read_document(json.dumps(valid_doc)))
    assert [f.code for f in check_stored_application(stored)] == ["PROVINCIA_SCONOSCIUTA", "TERRITORIO_PROVINCE"]


def test_an_unknown_id_is_not_found(app):
    with pytest.raises(NotFound):
        get_application(999)


@pytest.mark.parametrize(
    ("model", "cls", "prefix_map"),
    [
        (models.LeadPartner, doc.Capofila, {}),
        (models.Partner, doc.Partner, {}),
        (models.NeedSource, doc.Fonte, {}),
        (models.Need, doc.Fabbisogno, {"id": "codice"}),
        (models.Application, doc.Domanda, {}),
        (models.Intervention, doc.Intervento, {}),
    ],
)
def test_column_lengths_match_the_document_limits(app, model, cls, prefix_map):
    """A text the reader accepts always fits its column (PostgreSQL enforces varchar lengths)."""
    columns = {c.name: c for c in inspect(model).columns}
    checked = 0

    def walk(klass, prefix=""):
        nonlocal checked
        for f in fields(klass):
            default = f.default_factory() if callable(f.default_factory) else f.default
            if is_dataclass(default):
                walk(type(default), f"{prefix}{f.name}_")
                continue
            name = prefix_map.get(f.name, f"{prefix}{f.name}")
            if "max_length" in f.metadata and name in columns:
                column_type = columns[name].type
                if isinstance(column_type, String) and column_type.length:
                    assert column_type.length >= f.metadata["max_length"], name
                    checked += 1

    walk(cls)
    assert checked > 0
