"""Services with an app and a database: one document per application, versions, revisions, conflicts."""

from __future__ import annotations

import json

import jsonpatch
import pytest
from helpers import DATA, document_of
from sqlalchemy import select

from patti_web import domanda as doc
from patti_web import services
from patti_web.domanda import read_document, to_document
from patti_web.extensions import db
from patti_web.models import Application, Revision


def test_a_document_round_trips_through_the_database(store, valid_doc):
    valid_doc["titolo"] = "Patto \u00abSacc\u00e0\u00bb & <soci> \u20ac \u2713"
    valid_doc["partner"].append(to_document(doc.Domanda(partner=[doc.Partner(id="solo", denominazione="Solo nome")]))
                                ["partner"][0])
    valid_doc["fabbisogni"][0]["fonti"].append({"titolo": "Studio", "autore": "Ente", "anno": None, "url": ""})
    valid_doc["interventi"][0]["fabbisogni"] = ["F1", "F-che-non-c'e"]
    head = store(valid_doc)
    db.session.expunge_all()
    assert to_document(document_of(head.id)) == valid_doc


def test_a_v1_document_is_stored_as_v2_with_ids_on_every_list_item(store):
    v1 = json.loads((DATA / "v1" / "valida.json").read_text(encoding="utf-8"))
    v1["fabbisogni"][0]["id"] = "F 1"  # a code that could not name a page
    v1["interventi"][0]["fabbisogni"] = ["F 1"]
    stored = document_of(store(v1).id)
    assert stored.format == doc.FORMAT
    assert all(p.id for p in stored.partner) and len({p.id for p in stored.partner}) == len(stored.partner)
    assert stored.settori[0].id and stored.interventi[0].id
    assert stored.fabbisogni[0].id == "F1" and stored.interventi[0].fabbisogni == ["F1"]


def test_the_summary_is_kept_current_on_every_save(stored, user):
    head = services.get_head(stored.id, user)
    assert (head.titolo, head.n_partner, head.n_errori, head.province, head.sezioni_completate) == (
        "Patto per la meccanica bresciana", 6, 0, "BS", 6)
    partner = document_of(stored.id).partner[0]
    services.remove_item(stored.id, user, "partenariato", partner.id)
    head = services.get_head(stored.id, user)
    assert head.n_partner == 5 and head.n_errori == 1 and head.versione == 2  # the companies category is gone
    assert services.list_applications(user)[0].n_errori == 1


def test_each_save_is_a_revision_with_a_json_patch_and_its_reverse(stored, user):
    before = to_document(document_of(stored.id))
    state = services.update_territory(stored.id, user, 1, doc.Territorio(ambito="interprovinciale",
                                                                         province=["BS", "BG"]))
    assert state.versione == 2
    revision = db.session.scalars(select(Revision).where(Revision.versione == 2)).one()
    assert (revision.sezione, revision.azione, revision.user_id) == ("territorio", "modifica", user.id)
    after = to_document(document_of(stored.id))
    assert jsonpatch.apply_patch(before, revision.patch) == after
    assert jsonpatch.apply_patch(after, revision.reverse) == before
    assert {op["path"] for op in revision.patch} >= {"/territorio/ambito", "/territorio/province/1"}


def test_a_save_that_changes_nothing_makes_no_version(stored, user):
    territorio = document_of(stored.id).territorio
    state = services.update_territory(stored.id, user, 1, territorio)
    assert state.versione == 1
    assert db.session.scalar(select(Revision.versione).order_by(Revision.versione.desc())) == 1


def test_a_stale_edit_is_refused_field_by_field_and_the_newer_value_survives(stored, user):
    capofila = document_of(stored.id).capofila
    newer = capofila.model_copy(update={"pec": "nuova@pec.it"})
    services.update_capofila(stored.id, user, 1, "Patto per la meccanica bresciana", newer)
    stale = capofila.model_copy(update={"referente": capofila.referente.model_copy(update={"telefono": "030 1"})})
    with pytest.raises(services.Conflict) as info:
        services.update_capofila(stored.id, user, 1, "Patto per la meccanica bresciana", stale)
    assert [(c.path, c.theirs, c.yours) for c in info.value.changes] == [
        ("capofila.pec", "nuova@pec.it", "protocollo@bs.legalmail.camcom.it")]
    assert info.value.versione == 2 and info.value.who == user.nome
    assert document_of(stored.id).capofila.pec == "nuova@pec.it"
    # Saving again on the version the conflict showed is a deliberate choice: it applies.
    services.update_capofila(stored.id, user, info.value.versione, "Patto per la meccanica bresciana", stale)
    assert document_of(stored.id).capofila.referente.telefono == "030 1"


def test_an_edit_based_on_an_old_version_applies_when_its_part_did_not_change(stored, user):
    partners = document_of(stored.id).partner
    services.update_territory(stored.id, user, 1, doc.Territorio(ambito="interprovinciale", province=["BS", "MI"]))
    services.remove_item(stored.id, user, "partenariato", partners[5].id)
    renamed = partners[0].model_copy(update={"denominazione": "Officine Rossi"})
    state = services.update_item(stored.id, user, "partenariato", partners[0].id, 1, renamed)
    assert state.versione == 4
    assert [p.denominazione for p in state.domanda.partner][0] == "Officine Rossi"
    assert state.domanda.territorio.province == ["BS", "MI"]


def test_editing_a_removed_item_says_so(stored, user):
    partner = document_of(stored.id).partner[1]
    services.remove_item(stored.id, user, "partenariato", partner.id)
    with pytest.raises(services.ItemGone):
        services.update_item(stored.id, user, "partenariato", partner.id, 1, partner)
    services.remove_item(stored.id, user, "partenariato", partner.id)  # removing twice is harmless
    assert services.get_head(stored.id, user).versione == 2


def test_adds_based_on_an_old_version_are_applied_to_the_current_one(stored, user):
    for n in range(3):
        partner = doc.Partner(denominazione=f"Nuovo {n}", categoria="terzo_settore")
        services.add_item(stored.id, user, "partenariato", partner)
    assert [p.denominazione for p in document_of(stored.id).partner[-3:]] == ["Nuovo 0", "Nuovo 1", "Nuovo 2"]


def test_a_member_is_in_the_partnership_once_the_lead_partner_included(stored, user):
    for cf in ("00859790172", " 8001 3870 177"):
        with pytest.raises(services.Refused) as info:
            services.add_item(stored.id, user, "partenariato", doc.Partner(denominazione="Doppio", codice_fiscale=cf))
        assert info.value.errors[0][0] == "codice_fiscale"
    with pytest.raises(services.Refused):
        services.update_capofila(stored.id, user, 1, "Titolo", document_of(stored.id).capofila.model_copy(
            update={"codice_fiscale": "00859790172"}))


def test_the_same_form_token_adds_once(stored, user):
    services.add_item(stored.id, user, "fabbisogni", doc.Fabbisogno(titolo="Saldatori"), form_token="tok")
    with pytest.raises(services.DuplicateSubmission):
        services.add_item(stored.id, user, "fabbisogni", doc.Fabbisogno(titolo="Saldatori"), form_token="tok")
    assert [f.titolo for f in document_of(stored.id).fabbisogni] == ["Tecnici di automazione industriale", "Saldatori"]


def test_need_codes_never_repeat_one_still_cited(stored, user):
    state, second = services.add_item(stored.id, user, "fabbisogni", doc.Fabbisogno(titolo="Secondo"))
    assert second.id == "F2"
    services.add_item(stored.id, user, "interventi", doc.Intervento(titolo="Corso", fabbisogni=["F2"]))
    services.remove_item(stored.id, user, "fabbisogni", "F2")
    _state, third = services.add_item(stored.id, user, "fabbisogni", doc.Fabbisogno(titolo="Terzo"))
    assert third.id == "F3"  # F2 is still cited by an intervention: the rules show it lost its need


def test_the_portal_stores_nothing_its_reader_would_refuse(stored, user):
    with pytest.raises(services.Refused) as info:
        services.add_item(stored.id, user, "partenariato", doc.Partner.model_construct(denominazione="x" * 301))
    assert info.value.errors[0][0].startswith("partner[6].denominazione")
    limit = doc.Domanda.model_fields["settori"].metadata[0].max_length
    for n in range(limit - 1):
        services.add_item(stored.id, user, "settori", doc.Settore(descrizione=f"Settore {n}"))
    with pytest.raises(services.Refused):
        services.add_item(stored.id, user, "settori", doc.Settore(descrizione="Uno di troppo"))
    assert len(document_of(stored.id).settori) == limit


def test_someone_elses_application_is_not_found(stored, make_user):
    other = make_user()
    with pytest.raises(services.NotFound):
        services.load(stored.id, other)
    with pytest.raises(services.NotFound):
        services.add_item(stored.id, other, "partenariato", doc.Partner(denominazione="Intruso"))
    with pytest.raises(services.NotFound):
        services.load(2**70, None)  # beyond any database id: not found, not an overflow


def test_the_analysis_is_computed_once_per_version(stored, user, monkeypatch):
    calls = []
    real = services.analyse
    monkeypatch.setattr(services, "analyse", lambda d: calls.append(1) or real(d))
    services.load(stored.id, user)
    services.load(stored.id, user)
    assert calls == []  # computed when the application was stored
    services.add_item(stored.id, user, "partenariato", doc.Partner(denominazione="Nuovo"))
    services.load(stored.id, user)
    services.load(stored.id, user)
    assert calls == [1]


def test_duplicate_and_delete(stored, user):
    copy = services.duplicate_application(stored.id, user)
    assert copy.titolo == "Patto per la meccanica bresciana (copia)" and copy.versione == 1
    assert document_of(copy.id).partner == document_of(stored.id).partner
    assert services.delete_application(copy.id, user) == copy.titolo
    assert db.session.scalar(select(Application.id).where(Application.id == copy.id)) is None
    assert db.session.scalar(select(Revision.id).where(Revision.application_id == copy.id)) is None


def test_an_empty_document_round_trips(app):
    head = services.import_application(doc.Domanda())
    assert document_of(head.id) == doc.Domanda()
    assert read_document(services.export_text(services.load(head.id, None))[0]) == doc.Domanda()


def test_every_earlier_version_is_rebuilt_exactly_from_the_patches(stored, user):
    """Each kind of save writes its own patch (not a diff of the whole document): all of them compose both ways."""
    seen = {1: to_document(document_of(stored.id))}
    d = document_of(stored.id)
    services.update_capofila(stored.id, user, 1, "Nuovo titolo", d.capofila.model_copy(update={"pec": "x@pec.it"}))
    services.add_item(stored.id, user, "partenariato", doc.Partner(denominazione="Aggiunto"))
    partner = document_of(stored.id).partner[2]
    services.update_item(stored.id, user, "partenariato", partner.id, 3,
                         partner.model_copy(update={"denominazione": "Rinominato", "rete": True}))
    services.remove_item(stored.id, user, "partenariato", document_of(stored.id).partner[0].id)
    services.add_item(stored.id, user, "fabbisogni", doc.Fabbisogno(titolo="Nuovo", fonti=[doc.Fonte(titolo="S")]))
    services.update_territory(stored.id, user, 6, doc.Territorio(ambito="regionale"))
    services.remove_item(stored.id, user, "fabbisogni", "F1")
    for versione in range(2, 9):
        seen[versione] = to_document(services.Draft(stored.id, 8, to_document(document_of(stored.id))).at(versione))
    # Walk forward with the patches from version 1, and compare with what the draft rebuilt backwards.
    current = seen[1]
    for revision in services.revisions(stored.id, user)[1:]:
        current = jsonpatch.apply_patch(current, revision.patch)
        assert current == seen[revision.versione], revision.versione
        assert jsonpatch.apply_patch(current, revision.reverse) == seen[revision.versione - 1]
    assert current == to_document(document_of(stored.id))
