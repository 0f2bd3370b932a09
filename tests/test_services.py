"""Use cases of patti_web.domande with an app and a database: one document per application, versions, revisions, the
three-way merge of a form opened on an older version, items added once."""

from __future__ import annotations

import json

import jsonpatch
import pytest
from helpers import DATA, document_of
from sqlalchemy import select, update

from patti_web import domande
from patti_web.avviso import domanda as doc
from patti_web.avviso import sezioni
from patti_web.avviso.domanda import read_document, to_document
from patti_web.documenti import downloads
from patti_web.domande import analysis
from patti_web.domande.models import DomandaRecord, Membership, Revision
from patti_web.extensions import db


def save_capofila(domanda_id, user, base, titolo, capofila, keep_theirs=frozenset()):
    return domande.save_section(domanda_id, user, "capofila", base, {"titolo": titolo, "capofila": capofila},
                                keep_theirs)


def save_territorio(domanda_id, user, base, territorio):
    return domande.save_section(domanda_id, user, "territorio", base, {"territorio": territorio})


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
    v1["partner"][0]["id"] = "nuovo"  # the word of the address of a new item's page
    v1["format"] = "patti-web/domanda@2"
    stored = document_of(store(v1).id)
    assert stored.format == doc.FORMAT
    assert all(p.id for p in stored.partner) and len({p.id for p in stored.partner}) == len(stored.partner)
    assert "nuovo" not in {p.id for p in stored.partner}
    assert stored.settori[0].id and stored.interventi[0].id
    assert stored.fabbisogni[0].id == "F1" and stored.interventi[0].fabbisogni == ["F1"]


def test_the_summary_is_kept_current_on_every_save(stored, user):
    head = domande.get_head(stored.id, user)
    assert (head.titolo, head.n_partner, head.n_errori, head.province, head.sezioni_completate) == (
        "Patto per la meccanica bresciana", 6, 0, "BS", len(sezioni.SEZIONI))
    partner = document_of(stored.id).partner[0]
    domande.remove_item(stored.id, user, "partenariato", partner.id)
    head = domande.get_head(stored.id, user)
    assert head.n_partner == 5 and head.n_errori == 1 and head.versione == 2  # the companies category is gone
    assert domande.list_domande(user)[0].n_errori == 1


def test_a_summary_counted_by_other_rules_is_counted_again_when_read(stored, user):
    """A data migration, or an older release, leaves counts the current rules did not make: reading them fixes them
    (and the version does not change)."""
    db.session.execute(update(DomandaRecord).values(n_errori=7, sezioni_completate=0, regole=""))
    db.session.commit()
    (listed,) = domande.list_domande(user)
    assert (listed.n_errori, listed.sezioni_completate, listed.regole, listed.versione) == (
        0, len(sezioni.SEZIONI), analysis.RULES, 1)
    db.session.expire_all()
    assert db.session.get(DomandaRecord, stored.id).n_errori == 0  # written back, not only shown


def test_each_save_is_a_revision_with_a_json_patch_and_its_reverse(stored, user):
    before = to_document(document_of(stored.id))
    saved = save_territorio(stored.id, user, 1, doc.Territorio(ambito="interprovinciale", province=["BS", "BG"]))
    assert saved.state.versione == 2
    revision = db.session.scalars(select(Revision).where(Revision.versione == 2)).one()
    assert (revision.sezione, revision.azione, revision.user_id) == ("territorio", "modifica", user.id)
    after = to_document(document_of(stored.id))
    assert jsonpatch.apply_patch(before, revision.patch) == after
    assert jsonpatch.apply_patch(after, revision.reverse) == before
    assert {op["path"] for op in revision.patch} >= {"/territorio/ambito", "/territorio/province/1"}


def test_a_save_that_changes_nothing_makes_no_version(stored, user):
    territorio = document_of(stored.id).territorio
    assert save_territorio(stored.id, user, 1, territorio).state.versione == 1
    assert db.session.scalar(select(Revision.versione).order_by(Revision.versione.desc())) == 1


def _with(model, **changes):
    """A copy of a part of the document with some fields changed: sede_comune="X" changes sede.comune."""
    data = model.model_dump()
    for name, value in changes.items():
        target = data
        *parents, last = name.split("__")
        for part in parents:
            target = target[part]
        target[last] = value
    return type(model).model_validate(data)


def test_a_colleagues_change_is_kept_yours_applied_and_a_field_you_both_changed_is_asked(stored, user, make_user):
    """A and B open the lead partner at version 1. A changes the address and the phone and saves. B, still on
    version 1, changes the PEC and the phone: the address B never touched stays A's, the PEC is B's, and the phone
    both changed is asked about; nothing is saved until B chooses."""
    colleague = make_user(email="a@example.it", nome="Anna")
    db.session.add(Membership(application_id=stored.id, user_id=colleague.id, ruolo="collaboratore"))
    db.session.commit()
    capofila = document_of(stored.id).capofila
    titolo = document_of(stored.id).titolo
    a = _with(capofila, sede__indirizzo="Via Nuova 1", referente__telefono="030 111")
    save_capofila(stored.id, colleague, 1, titolo, a)
    b = _with(capofila, pec="nuova@pec.it", referente__telefono="030 222")

    with pytest.raises(domande.Conflict) as asked:
        save_capofila(stored.id, user, 1, titolo, b)
    assert [(c.path, c.theirs, c.yours, c.base) for c in asked.value.changes] == [
        ("capofila.referente.telefono", "030 111", "030 222", capofila.referente.telefono)]
    assert (asked.value.versione, asked.value.who) == (2, "Anna")
    assert document_of(stored.id).capofila == a  # nothing of B's saved yet
    # The form B sees again holds A's address (B had not touched it), B's PEC and B's phone, on version 2.
    assert asked.value.kept_theirs == ("capofila.sede.indirizzo",)
    assert asked.value.rebased == {"capofila.sede.indirizzo": "Via Nuova 1"}
    shown_again = _with(capofila, sede__indirizzo="Via Nuova 1", pec="nuova@pec.it", referente__telefono="030 222")

    # B keeps the saved phone: A's address and phone stay, B's PEC goes in.
    saved = save_capofila(stored.id, user, asked.value.versione, titolo, shown_again,
                          keep_theirs=frozenset({"capofila.referente.telefono"}))
    now = document_of(stored.id).capofila
    assert (now.sede.indirizzo, now.pec, now.referente.telefono) == ("Via Nuova 1", "nuova@pec.it", "030 111")
    assert saved.state.versione == 3


def test_choosing_your_value_after_a_conflict_applies_it(stored, user):
    capofila, titolo = document_of(stored.id).capofila, document_of(stored.id).titolo
    save_capofila(stored.id, user, 1, titolo, _with(capofila, pec="prima@pec.it"))
    mine = _with(capofila, pec="mia@pec.it")
    with pytest.raises(domande.Conflict) as asked:
        save_capofila(stored.id, user, 1, titolo, mine)
    save_capofila(stored.id, user, asked.value.versione, titolo, mine)  # the form again, on the version shown
    assert document_of(stored.id).capofila.pec == "mia@pec.it"


def test_a_stale_form_that_changed_nothing_of_theirs_saves_and_says_what_it_kept(stored, user):
    capofila, titolo = document_of(stored.id).capofila, document_of(stored.id).titolo
    save_capofila(stored.id, user, 1, titolo, _with(capofila, pec="nuova@pec.it"))
    saved = save_capofila(stored.id, user, 1, titolo, _with(capofila, referente__telefono="030 1"))
    now = document_of(stored.id).capofila
    assert (now.pec, now.referente.telefono) == ("nuova@pec.it", "030 1")
    assert saved.kept_theirs == ("capofila.pec",)


def test_an_item_is_merged_field_by_field_too(stored, user):
    partner = document_of(stored.id).partner[0]
    domande.update_item(stored.id, user, "partenariato", partner.id, 1, _with(partner, pec="a@pec.it"))
    domande.remove_item(stored.id, user, "partenariato", document_of(stored.id).partner[5].id)
    saved = domande.update_item(stored.id, user, "partenariato", partner.id, 1,
                                _with(partner, denominazione="Officine Rossi"))
    now = document_of(stored.id).partner[0]
    assert (now.denominazione, now.pec, saved.state.versione) == ("Officine Rossi", "a@pec.it", 4)
    with pytest.raises(domande.Conflict) as asked:
        domande.update_item(stored.id, user, "partenariato", partner.id, 1, _with(partner, pec="b@pec.it"))
    assert [c.path for c in asked.value.changes] == ["pec"]


def test_an_edit_based_on_an_old_version_applies_when_its_part_did_not_change(stored, user):
    partners = document_of(stored.id).partner
    save_territorio(stored.id, user, 1, doc.Territorio(ambito="interprovinciale", province=["BS", "MI"]))
    domande.remove_item(stored.id, user, "partenariato", partners[5].id)
    renamed = partners[0].model_copy(update={"denominazione": "Officine Rossi"})
    state = domande.update_item(stored.id, user, "partenariato", partners[0].id, 1, renamed).state
    assert state.versione == 4
    assert [p.denominazione for p in state.domanda.partner][0] == "Officine Rossi"
    assert state.domanda.territorio.province == ["BS", "MI"]


def test_editing_a_removed_item_says_so(stored, user):
    partner = document_of(stored.id).partner[1]
    domande.remove_item(stored.id, user, "partenariato", partner.id)
    with pytest.raises(domande.ItemGone):
        domande.update_item(stored.id, user, "partenariato", partner.id, 1, partner)
    domande.remove_item(stored.id, user, "partenariato", partner.id)  # removing twice is harmless
    assert domande.get_head(stored.id, user).versione == 2


def test_removing_an_item_someone_changed_since_the_page_was_opened_asks_again(stored, user):
    partner = document_of(stored.id).partner[2]
    domande.update_item(stored.id, user, "partenariato", partner.id, 1, _with(partner, denominazione="Rinominato"))
    with pytest.raises(domande.Conflict) as asked:
        domande.remove_item(stored.id, user, "partenariato", partner.id, base_version=1)
    assert [(c.path, c.theirs) for c in asked.value.changes] == [("denominazione", "Rinominato")]
    assert partner.id in {p.id for p in document_of(stored.id).partner}
    domande.remove_item(stored.id, user, "partenariato", partner.id, base_version=asked.value.versione)
    assert partner.id not in {p.id for p in document_of(stored.id).partner}


def test_adds_based_on_an_old_version_are_applied_to_the_current_one(stored, user):
    for n in range(3):
        partner = doc.Partner(denominazione=f"Nuovo {n}", categoria="terzo_settore")
        domande.add_item(stored.id, user, "partenariato", partner)
    assert [p.denominazione for p in document_of(stored.id).partner[-3:]] == ["Nuovo 0", "Nuovo 1", "Nuovo 2"]


def test_a_member_is_in_the_partnership_once_the_lead_partner_included(stored, user):
    for cf in ("00859790172", " 8001 3870 177"):
        with pytest.raises(domande.Refused) as info:
            domande.add_item(stored.id, user, "partenariato", doc.Partner(denominazione="Doppio", codice_fiscale=cf))
        assert info.value.errors[0][0] == "codice_fiscale"
    with pytest.raises(domande.Refused):
        save_capofila(stored.id, user, 1, "Titolo",
                      document_of(stored.id).capofila.model_copy(update={"codice_fiscale": "00859790172"}))


def test_the_same_form_token_adds_once_and_names_what_it_added(stored, user):
    added = domande.add_item(stored.id, user, "fabbisogni", doc.Fabbisogno(titolo="Saldatori"), form_token="tok")
    with pytest.raises(domande.DuplicateSubmission) as again:
        domande.add_item(stored.id, user, "fabbisogni", doc.Fabbisogno(titolo=""), form_token="tok")
    assert (again.value.sezione, again.value.elemento) == ("fabbisogni", added.item.id) == ("fabbisogni", "F2")
    assert domande.added_with(stored.id, user, "tok") == "F2" and domande.added_with(stored.id, user, "x") is None
    assert [f.titolo for f in document_of(stored.id).fabbisogni] == ["Tecnici di automazione industriale", "Saldatori"]


def test_need_codes_never_repeat_one_still_cited(stored, user):
    second = domande.add_item(stored.id, user, "fabbisogni", doc.Fabbisogno(titolo="Secondo")).item
    assert second.id == "F2"
    domande.add_item(stored.id, user, "interventi", doc.Intervento(titolo="Corso", fabbisogni=["F2"]))
    domande.remove_item(stored.id, user, "fabbisogni", "F2")
    third = domande.add_item(stored.id, user, "fabbisogni", doc.Fabbisogno(titolo="Terzo")).item
    assert third.id == "F3"  # F2 is still cited by an intervention: the rules show it lost its need


def test_the_portal_stores_nothing_its_reader_would_refuse(stored, user):
    with pytest.raises(domande.Refused) as info:
        domande.add_item(stored.id, user, "partenariato", doc.Partner.model_construct(denominazione="x" * 301))
    assert info.value.errors[0][0].startswith("partner[6].denominazione")
    limit = doc.Domanda.model_fields["settori"].metadata[0].max_length
    for n in range(limit - 1):
        domande.add_item(stored.id, user, "settori", doc.Settore(descrizione=f"Settore {n}"))
    with pytest.raises(domande.Refused):
        domande.add_item(stored.id, user, "settori", doc.Settore(descrizione="Uno di troppo"))
    assert len(document_of(stored.id).settori) == limit


def test_someone_elses_application_is_not_found(stored, make_user):
    other = make_user()
    with pytest.raises(domande.NotFound):
        domande.load(stored.id, other)
    with pytest.raises(domande.NotFound):
        domande.add_item(stored.id, other, "partenariato", doc.Partner(denominazione="Intruso"))
    with pytest.raises(domande.NotFound):
        domande.load(2**70, None)  # beyond any database id: not found, not an overflow


def test_the_rules_run_once_per_version(stored, user, monkeypatch):
    calls = []
    real = analysis.check_application
    monkeypatch.setattr(analysis, "check_application", lambda *a, **k: calls.append(1) or real(*a, **k))
    domande.load(stored.id, user)
    domande.load(stored.id, user)
    assert calls == []  # computed when the application was stored
    domande.add_item(stored.id, user, "partenariato", doc.Partner(denominazione="Nuovo"))
    domande.load(stored.id, user)
    domande.load(stored.id, user)
    assert calls == [1]


def test_duplicate_and_delete(stored, user):
    copy = domande.duplicate_domanda(stored.id, user)
    assert copy.titolo == "Patto per la meccanica bresciana (copia)" and copy.versione == 1
    assert document_of(copy.id).partner == document_of(stored.id).partner
    assert domande.delete_domanda(copy.id, user) == copy.titolo
    assert db.session.scalar(select(DomandaRecord.id).where(DomandaRecord.id == copy.id)) is None
    assert db.session.scalar(select(Revision.id).where(Revision.application_id == copy.id)) is None


def test_an_empty_document_round_trips(app):
    head = domande.import_domanda(doc.Domanda())
    assert document_of(head.id) == doc.Domanda()
    assert read_document(downloads.json_text(domande.load(head.id, None))[0]) == doc.Domanda()


def test_every_earlier_version_is_rebuilt_exactly_from_the_patches(stored, user):
    """Each kind of save writes its own patch (not a diff of the whole document): all of them compose both ways."""
    seen = {1: to_document(document_of(stored.id))}

    def saw() -> None:
        state = domande.load(stored.id, None)
        seen[state.versione] = to_document(state.domanda)

    d = document_of(stored.id)
    save_capofila(stored.id, user, 1, "Nuovo titolo", d.capofila.model_copy(update={"pec": "x@pec.it"}))
    saw()
    domande.add_item(stored.id, user, "partenariato", doc.Partner(denominazione="Aggiunto"))
    saw()
    partner = document_of(stored.id).partner[2]
    domande.update_item(stored.id, user, "partenariato", partner.id, 3,
                        partner.model_copy(update={"denominazione": "Rinominato", "rete": True}))
    saw()
    domande.remove_item(stored.id, user, "partenariato", document_of(stored.id).partner[0].id)
    saw()
    domande.add_item(stored.id, user, "fabbisogni", doc.Fabbisogno(titolo="Nuovo", fonti=[doc.Fonte(titolo="S")]))
    saw()
    save_territorio(stored.id, user, 6, doc.Territorio(ambito="regionale"))
    saw()
    domande.remove_item(stored.id, user, "fabbisogni", "F1")
    saw()
    assert sorted(seen) == list(range(1, 9))
    # Walk forward with the patches from version 1, and back with the reverse patches.
    current = seen[1]
    for revision in domande.revisions(stored.id, user)[1:]:
        current = jsonpatch.apply_patch(current, revision.patch)
        assert current == seen[revision.versione], revision.versione
        assert jsonpatch.apply_patch(current, revision.reverse) == seen[revision.versione - 1]
    assert current == to_document(document_of(stored.id))


def test_a_need_code_is_never_given_twice_so_an_old_page_cannot_save_into_another_need(stored, user):
    """B opens F2; A removes it and adds another need: it is F3, not F2, and B's save says F2 is gone."""
    old = domande.add_item(stored.id, user, "fabbisogni", doc.Fabbisogno(titolo="Saldatori")).item
    base = domande.load(stored.id, None).versione
    domande.remove_item(stored.id, user, "fabbisogni", old.id)
    new = domande.add_item(stored.id, user, "fabbisogni", doc.Fabbisogno(titolo="Logistica")).item
    assert (old.id, new.id) == ("F2", "F3")
    with pytest.raises(domande.ItemGone):
        domande.update_item(stored.id, user, "fabbisogni", old.id, base, old.model_copy(update={"descrizione": "x"}))
    assert [f.titolo for f in document_of(stored.id).fabbisogni][-1] == "Logistica"
