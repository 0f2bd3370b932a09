"""The portal's application pages with the test client: full pages and htmx fragments, ownership, forms, drafts,
versions (a stale form is refused field by field), out-of-band checklist and conditional GETs."""

from __future__ import annotations

import io
import json
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from helpers import DATA, document_of, form_fields, missing
from sqlalchemy import func, select

from patti_web import domande
from patti_web.avviso import sezioni
from patti_web.avviso.domanda import read_document
from patti_web.domande.models import DomandaRecord, Revision
from patti_web.extensions import db
from patti_web.i18n import gettext as _
from patti_web.i18n import ngettext
from patti_web.persone.models import PendingForm
from tests.support.sandbox import LoggedInClient, log_in_client

HX = {"HX-Request": "true"}

VALID_PARTNER = {
    "denominazione": "Officine Rossi S.r.l.",
    "categoria": "imprese",
    "codice_fiscale": "02166180980",
    "sede_comune": "Lumezzane",
    "sede_provincia": "bs",
}


@pytest.fixture
def client(auth_client):
    return auth_client


def errors_of(response) -> list[str]:
    """The error messages next to the fields, as the user reads them."""
    html = response.get_data(as_text=True)
    return [unescape(re.sub(r"<[^>]+>", "", m)).replace(_("Error:"), "").strip()
            for m in re.findall(r'class="error-message"[^>]*>(.*?)</p>', html, re.S)]


def summary_of(response) -> list[str]:
    html = response.get_data(as_text=True)
    box = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    return [unescape(re.sub(r"<[^>]+>", "", m)).strip() for m in re.findall(r"<li>(.*?)</li>", box.group(0), re.S)]


def page_urls(head):
    d = document_of(head.id)
    p, s, n, i = d.partner[0].id, d.settori[0].id, d.fabbisogni[0].id, d.interventi[0].id
    base = f"/domande/{head.id}"
    return [base, f"{base}/checklist", f"{base}/riepilogo", f"{base}/capofila", f"{base}/partenariato",
            f"{base}/partenariato/{p}", f"{base}/partenariato/{p}/rimuovi", f"{base}/territorio", f"{base}/settori",
            f"{base}/settori/nuovo", f"{base}/settori/{s}", f"{base}/settori/{s}/rimuovi", f"{base}/fabbisogni",
            f"{base}/fabbisogni/nuovo", f"{base}/fabbisogni/{n}", f"{base}/fabbisogni/{n}/rimuovi",
            f"{base}/interventi", f"{base}/interventi/nuovo", f"{base}/interventi/{i}",
            f"{base}/interventi/{i}/rimuovi", f"{base}/elimina", f"{base}/domanda.json"]


def capofila_form(valid_doc, **changes) -> dict:
    """The capofila page's fields as a browser sends them (every field, empty ones too)."""
    c = valid_doc["capofila"]
    data = {"titolo": valid_doc["titolo"], "versione": "1", "denominazione": c["denominazione"],
            "tipologia": c["tipologia"], "codice_fiscale": c["codice_fiscale"], "pec": c["pec"],
            "rappresentanza_descrizione": "", "rappresentanza_ateco": "",
            **{f"sede_{k}": v for k, v in c["sede"].items()},
            **{f"legale_rappresentante_{k}": v for k, v in c["legale_rappresentante"].items()},
            **{f"referente_{k}": v for k, v in c["referente"].items()}}
    return {**data, **changes}


def test_every_page_renders_for_its_owner(client, stored):
    for url in ["/domande", "/domande/importa", *page_urls(stored)]:
        response = client.get(url, follow_redirects=url.endswith("/nuovo"))
        assert response.status_code == 200, url
        if response.mimetype == "text/html":
            html = response.get_data(as_text=True)
            assert '<html lang="it">' in html, url
            assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
            assert not re.search(r"\son[a-z]+\s*=", html), url


def test_someone_elses_application_is_404_everywhere(app, stored, make_user):
    app.test_client_class = LoggedInClient
    other = app.test_client(user=make_user(email="intruso@example.it"))
    for url in page_urls(stored):
        assert other.get(url).status_code == 404, url
        assert other.post(url, data={"titolo": "x", "denominazione": "x"}).status_code in (404, 405), url
    for url in (f"/domande/{stored.id}/duplica", f"/domande/{2**64}", f"/domande/{2**64}/capofila"):
        assert other.post(url, data={"titolo": "x"}).status_code in (404, 405), url
        assert other.get(url).status_code in (404, 405), url
    assert db.session.scalar(select(func.count()).select_from(DomandaRecord)) == 1
    assert domande.get_head(stored.id, None).versione == 1
    assert f'href="/domande/{stored.id}"' not in other.get("/domande").get_data(as_text=True)


def test_a_visitor_is_sent_to_log_in(app, stored):
    response = app.test_client().get(f"/domande/{stored.id}/partenariato")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/accedi?next=/domande/{stored.id}/partenariato"


@pytest.mark.parametrize(
    ("path", "block_id"),
    [("checklist", "checklist"), ("partenariato", "partner_area"), ("territorio", "coerenza")],
)
def test_htmx_requests_get_only_the_named_block_and_responses_vary(client, stored, path, block_id):
    url = f"/domande/{stored.id}/{path}"
    full = client.get(url)
    fragment = client.get(url, headers=HX)
    assert "HX-Request" in full.headers["Vary"] and "HX-Request" in fragment.headers["Vary"]
    assert full.get_data(as_text=True).startswith("<!doctype html>")
    body = fragment.get_data(as_text=True).strip()
    assert body.startswith(f'<div id="{block_id}"')
    assert "<html" not in body
    boosted = client.get(url, headers={**HX, "HX-Boosted": "true"})
    assert boosted.get_data(as_text=True).startswith("<!doctype html>")


def test_an_unchanged_checklist_answers_304_to_a_conditional_get(client, stored):
    url = f"/domande/{stored.id}/checklist"
    first = client.get(url, headers=HX)
    etag = first.headers["ETag"]
    again = client.get(url, headers={**HX, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == "no-store" and "HX-Request" in again.headers["Vary"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 200  # the full page is another entity
    client.post(f"/domande/{stored.id}/partenariato", data={**VALID_PARTNER, "form_token": "t-304"})
    changed = client.get(url, headers={**HX, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_the_ateco_search_suggests_from_the_istat_2022_list(client):
    response = client.get("/domande/ateco?q=meccanica generale", headers=HX)
    body = response.get_data(as_text=True)
    assert 'value="aggiungi:25.62"' in body and "Lavori di meccanica generale" in body
    assert "HX-Request" in response.headers["Vary"]
    assert client.get("/domande/ateco?q=25.62").get_data(as_text=True).startswith("<!doctype html>")


def test_create_then_list_shows_the_summary(client, user):
    response = client.post("/domande/nuova", data={"titolo": "Patto per il turismo"})
    assert response.status_code == 303
    head = domande.list_domande(user)[0]
    assert response.headers["Location"] == f"/domande/{head.id}"
    assert head.owner_id == user.id and head.versione == 1
    html = client.get("/domande").get_data(as_text=True)
    assert "Patto per il turismo" in html and _("draft") in html
    assert re.search(r"\d{1,2} \w+ \d{4}, \d\d:\d\d", html)


def test_a_complete_application_is_listed_as_complete_with_its_lead_partner(client, stored, valid_doc):
    html = client.get("/domande").get_data(as_text=True)
    assert _("complete") in html and valid_doc["capofila"]["denominazione"] in html


def test_an_empty_title_is_refused_with_a_message_naming_the_field(client):
    response = client.post("/domande/nuova", data={"titolo": "  "})
    assert response.status_code == 422
    assert 'href="#titolo"' in response.get_data(as_text=True)
    assert summary_of(response) == [_("%(field)s: %(problem)s", field=_("Title of the Patto"),
                                      problem=_("give the Patto a title (you can change it later)."))]
    assert db.session.scalar(select(func.count()).select_from(DomandaRecord)) == 0


def test_duplicate_and_delete_with_confirmation(client, stored, user):
    assert client.post(f"/domande/{stored.id}/duplica").status_code == 303
    copy = next(h for h in domande.list_domande(user) if h.id != stored.id)
    assert copy.n_partner == stored.n_partner and copy.titolo.startswith(stored.titolo)
    assert client.get(f"/domande/{copy.id}/elimina").status_code == 200  # the confirmation page
    assert len(domande.list_domande(user)) == 2
    assert client.post(f"/domande/{copy.id}/elimina").status_code == 303
    assert [h.id for h in domande.list_domande(user)] == [stored.id]


def test_import_and_export_json(client, user, valid_doc):
    data = {"documento": (io.BytesIO(json.dumps(valid_doc).encode()), "domanda.json")}
    response = client.post("/domande/importa", data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    head = domande.list_domande(user)[0]
    exported = client.get(f"/domande/{head.id}/domanda.json")
    assert exported.headers["Content-Disposition"].startswith("attachment; filename=manifestazione-")
    assert json.loads(exported.data) == valid_doc


def test_a_bad_import_file_says_why_next_to_the_field(client):
    data = {"documento": (io.BytesIO(b"[1, 2]"), "lista.json")}
    response = client.post("/domande/importa", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="documento-error"' in html and 'href="#documento"' in html
    assert db.session.scalar(select(func.count()).select_from(DomandaRecord)) == 0


def test_task_list_marks_sections(client, user):
    client.post("/domande/nuova", data={"titolo": "Patto"})
    head = domande.list_domande(user)[0]
    html = client.get(f"/domande/{head.id}").get_data(as_text=True)
    assert html.count("tag-da_completare") == len(sezioni.SEZIONI) + 1  # and the summary
    client.post(f"/domande/{head.id}/partenariato", data={**VALID_PARTNER, "form_token": "t1"})
    html = client.get(f"/domande/{head.id}").get_data(as_text=True)
    assert 'class="tag tag-con_errori" id="stato-partenariato"' in html


def test_a_half_filled_lead_partner_is_saved_as_a_draft(client, stored, valid_doc):
    """An association without its legal representative's codice fiscale today saves what it has."""
    blank = {k: "" for k in capofila_form(valid_doc) if k not in ("versione", "tipologia")}
    data = {**blank, "titolo": "Patto per l'ospitalità", "denominazione": "Confcommercio Brescia",
            "tipologia": "associazione_datoriale", "legale_rappresentante_nome": "Carlo", "versione": "1"}
    response = client.post(f"/domande/{stored.id}/capofila", data=data)
    assert response.status_code == 303
    saved = document_of(stored.id)
    assert saved.capofila.denominazione == "Confcommercio Brescia" and saved.capofila.codice_fiscale == ""
    assert saved.capofila.legale_rappresentante.nome == "Carlo"
    html = client.get(f"/domande/{stored.id}/capofila").get_data(as_text=True)
    assert 'value="Confcommercio Brescia"' in html
    # What is missing is for the rules to say, on the page, not for the form to refuse.
    assert missing(_("Lead partner"), "the codice fiscale") in unescape(html)
    assert missing(_("Lead partner"), "the name of the organisation") not in unescape(html)


def test_malformed_values_are_refused_field_by_field_keeping_everything_typed(client, stored, valid_doc):
    typed = capofila_form(valid_doc, titolo="Patto <nuovo> & \u00e0", codice_fiscale="80013870178",
                          sede_cap="2512", pec="non-una-email", legale_rappresentante_codice_fiscale="RSSMRA85",
                          denominazione="Ente \u00abprova\u00bb")
    response = client.post(f"/domande/{stored.id}/capofila", data=typed)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for field in ("codice_fiscale", "sede_cap", "pec", "legale_rappresentante_codice_fiscale"):
        assert f'href="#{field}"' in html, field
        assert f'id="{field}-error"' in html, field
    messages = summary_of(response)
    assert messages == errors_of(response)
    assert len(messages) == 4 and len(set(messages)) == 4  # each names its own field
    assert _("%(field)s: %(problem)s", field=_("Postcode (CAP) of the registered office"),
             problem=_("enter 5 digits, e.g. 25121.")) in messages
    assert "Compilare questo campo" not in html
    assert 'value="Patto &lt;nuovo&gt; &amp; \u00e0"' in html
    assert 'value="80013870178"' in html and 'value="2512"' in html
    assert re.search(r'<input checked[^>]*value="camera_commercio"', html)
    assert _("What the call still asks for") not in html  # no findings of the saved version under a typed form
    assert document_of(stored.id).titolo == "Patto per la meccanica bresciana"


def test_the_forms_share_the_readers_limits(client, stored, valid_doc):
    response = client.post(f"/domande/{stored.id}/capofila",
                           data=capofila_form(valid_doc, denominazione="Ente\x01nullo", titolo="T" * 301))
    assert response.status_code == 422
    box = re.search(r'<div class="error-summary".*?</div>', response.get_data(as_text=True), re.S).group(0)
    assert set(re.findall(r'href="#(\w+)"', box)) == {"denominazione", "titolo"}
    assert domande.get_head(stored.id, None).versione == 1
    # A NUL, which no form sends (and PostgreSQL refuses in any text), is refused before the form is read.
    nul = client.post(f"/domande/{stored.id}/capofila", data=capofila_form(valid_doc, denominazione="Ente\x00nullo"))
    assert nul.status_code == 400 and "carattere nullo" in nul.get_data(as_text=True)
    assert domande.get_head(stored.id, None).versione == 1


def test_the_lead_partner_saves_and_goes_back_to_the_task_list(client, stored, valid_doc):
    data = capofila_form(valid_doc, titolo="Nuovo titolo", tipologia="associazione_datoriale",
                         legale_rappresentante_codice_fiscale="rssmra85t10a562s",
                         rappresentanza_descrizione="Meccanica", rappresentanza_ateco="25, 28")
    response = client.post(f"/domande/{stored.id}/capofila", data=data)
    assert response.status_code == 303 and response.headers["Location"] == f"/domande/{stored.id}"
    saved = document_of(stored.id)
    assert saved.titolo == "Nuovo titolo" and saved.capofila.tipologia == "associazione_datoriale"
    assert saved.capofila.legale_rappresentante.codice_fiscale == "RSSMRA85T10A562S"
    assert saved.capofila.rappresentanza.ateco == ["25", "28"]


def _colleague(app, stored, make_user, nome="Anna Verdi"):
    """A second person, collaboratore on the application, in a browser of her own."""
    from patti_web.domande.models import Membership

    colleague = make_user(email="anna@example.it", nome=nome)
    db.session.add(Membership(application_id=stored.id, user_id=colleague.id, ruolo="collaboratore"))
    db.session.commit()
    app.test_client_class = LoggedInClient
    return app.test_client(user=colleague)


def test_two_people_on_the_lead_partner_keep_each_others_changes(app, client, stored, valid_doc, make_user):
    """A and B open Soggetto capofila at version 1. A changes the address and the phone; B, on the old page, the PEC
    and the phone. B is asked about the phone only (the address is A's, untouched by B, and stays), must choose,
    and A's address never goes back to the old one."""
    url = f"/domande/{stored.id}/capofila"
    anna = _colleague(app, stored, make_user)
    a = anna.post(url, data=capofila_form(valid_doc, sede_indirizzo="Via Nuova 1", referente_telefono="030 111"))
    assert a.status_code == 303
    b = client.post(url, data=capofila_form(valid_doc, pec="nuova@pec.it", referente_telefono="030 222"))
    assert b.status_code == 409
    html = unescape(b.get_data(as_text=True))
    assert _("Someone else changed this meanwhile") in html and "Anna Verdi" in html
    rows = re.findall(r'<th scope="row">([^<]+)</th><td data-label="[^"]+">([^<]*)</td><td data-label="[^"]+">([^<]*)'
                      r"</td>", html)
    assert rows == [(_("Telephone of the contact person"), "030 111", "030 222")]  # only what both changed
    shown = form_fields(b.get_data(as_text=True)).to_dict()
    assert (shown["sede_indirizzo"], shown["pec"], shown["referente_telefono"]) == (
        "Via Nuova 1", "nuova@pec.it", "030 222")  # A's address now in B's form, B's typing kept
    assert (shown["versione"], shown["conflitto"]) == ("2", "referente_telefono")
    choice = re.search(r'<fieldset class="conflict-choice".*?</fieldset>', html, re.S).group(0)
    assert re.findall(r'name="scelta-referente_telefono"[^>]*value="(\w*)" checked', choice) == [""]  # no choice made
    assert shown["scelta-referente_telefono"] == ""  # and what a browser sends for it is none
    assert document_of(stored.id).capofila.pec == valid_doc["capofila"]["pec"]  # nothing of B's yet

    # Saving again without choosing is not a choice.
    unchosen = client.post(url, data=shown)
    assert unchosen.status_code == 422
    assert any(_("choose whether to keep your value or the one saved meanwhile.") in m for m in errors_of(unchosen))
    assert document_of(stored.id).capofila.pec == valid_doc["capofila"]["pec"]

    chosen = client.post(url, data={**shown, "scelta-referente_telefono": "salvato"})
    assert chosen.status_code == 303
    saved = document_of(stored.id).capofila
    assert (saved.sede.indirizzo, saved.pec, saved.referente.telefono) == ("Via Nuova 1", "nuova@pec.it", "030 111")


def test_keeping_your_value_after_a_conflict_saves_it(client, stored, valid_doc):
    url = f"/domande/{stored.id}/capofila"
    client.post(url, data=capofila_form(valid_doc, pec="prima@pec.it"))
    asked = client.post(url, data=capofila_form(valid_doc, pec="mia@pec.it"))
    assert asked.status_code == 409
    again = client.post(url, data={**form_fields(asked.get_data(as_text=True)).to_dict(), "scelta-pec": "mio"})
    assert again.status_code == 303 and document_of(stored.id).capofila.pec == "mia@pec.it"


def test_a_stale_form_that_touched_other_fields_saves_and_says_whose_changes_it_kept(client, stored, valid_doc):
    url = f"/domande/{stored.id}/capofila"
    client.post(url, data=capofila_form(valid_doc, pec="nuova@pec.it"))
    stale = client.post(url, data=capofila_form(valid_doc, referente_telefono="030 999"), follow_redirects=True)
    saved = document_of(stored.id).capofila
    assert (saved.pec, saved.referente.telefono) == ("nuova@pec.it", "030 999")
    assert _("PEC address of the lead partner") in unescape(stale.get_data(as_text=True))  # said, not silent


def test_a_colleague_saving_the_same_partner_is_merged_and_asked_field_by_field(app, client, stored, make_user):
    partner = document_of(stored.id).partner[0]
    url = f"/domande/{stored.id}/partenariato/{partner.id}"
    anna = _colleague(app, stored, make_user)
    page = client.get(url).get_data(as_text=True)  # B opens it at version 1
    anna_form = form_fields(anna.get(url).get_data(as_text=True)).to_dict()
    assert anna.post(url, data={**anna_form, "pec": "anna@pec.it", "sede_cap": "25065"}).status_code == 303
    b = client.post(url, data={**form_fields(page).to_dict(), "pec": "b@pec.it", "ccnl": "CCNL Metalmeccanici"})
    assert b.status_code == 409
    shown = form_fields(b.get_data(as_text=True)).to_dict()
    assert (shown["sede_cap"], shown["ccnl"], shown["conflitto"]) == ("25065", "CCNL Metalmeccanici", "pec")
    assert client.post(url, data={**shown, "scelta-pec": "mio"}).status_code == 303
    saved = document_of(stored.id).partner[0]
    assert (saved.pec, saved.sede.cap, saved.ccnl) == ("b@pec.it", "25065", "CCNL Metalmeccanici")


def test_removing_a_partner_a_colleague_changed_meanwhile_asks_again(app, client, stored, make_user):
    partner = document_of(stored.id).partner[3]
    url = f"/domande/{stored.id}/partenariato/{partner.id}"
    confirm = client.get(f"{url}/rimuovi").get_data(as_text=True)
    anna = _colleague(app, stored, make_user)
    anna_form = form_fields(anna.get(url).get_data(as_text=True)).to_dict()
    assert anna.post(url, data={**anna_form, "denominazione": "Rinominata da Anna"}).status_code == 303
    asked = client.post(f"{url}/rimuovi", data=form_fields(confirm))
    assert asked.status_code == 409 and "Rinominata da Anna" in unescape(asked.get_data(as_text=True))
    assert partner.id in {p.id for p in document_of(stored.id).partner}
    again = client.post(f"{url}/rimuovi", data=form_fields(asked.get_data(as_text=True)))
    assert again.status_code == 303 and partner.id not in {p.id for p in document_of(stored.id).partner}


def test_partner_codice_fiscale_is_checked_as_typed(client, stored):
    response = client.post(f"/domande/{stored.id}/partenariato",
                           data={**VALID_PARTNER, "codice_fiscale": "00859790173", "form_token": "x"})
    assert response.status_code == 422
    assert 'id="codice_fiscale-error"' in response.get_data(as_text=True)


def test_an_empty_partner_form_adds_nothing(client, stored):
    response = client.post(f"/domande/{stored.id}/partenariato", data={"form_token": "vuoto"})
    assert response.status_code == 422
    assert summary_of(response)[0].startswith(_("Name of the partner"))
    assert domande.get_head(stored.id, None).n_partner == 6


def test_adding_a_partner_with_htmx_answers_with_the_area_and_the_checklist_out_of_band(client, user):
    client.post("/domande/nuova", data={"titolo": "Patto"})
    head = domande.list_domande(user)[0]
    response = client.post(f"/domande/{head.id}/partenariato", data={**VALID_PARTNER, "form_token": "tok-1"},
                           headers=HX)
    assert response.status_code == 200
    assert "HX-Trigger" not in response.headers  # no second request for the checklist
    body = response.get_data(as_text=True).strip()
    assert body.startswith('<div id="partner_area"') and "Officine Rossi S.r.l." in body
    assert 'name="form_token"' in body and "tok-1" not in body  # a fresh token for the next partner
    oob = body[body.index('<div id="checklist" data-hx-swap-oob="true">'):]
    assert 'class="met" id="regola-categoria-imprese"' in oob
    assert 'class="unmet" id="regola-categoria-sindacati"' in oob
    assert document_of(head.id).partner[0].sede.provincia == "BS"


def test_a_double_submit_adds_one_partner(client, stored):
    data = {**VALID_PARTNER, "denominazione": "Doppio clic", "form_token": "same"}
    first = client.post(f"/domande/{stored.id}/partenariato", data=data)
    second = client.post(f"/domande/{stored.id}/partenariato", data=data)
    assert first.status_code == second.status_code == 303
    assert [p.denominazione for p in document_of(stored.id).partner].count("Doppio clic") == 1


@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
def test_something_else_typed_on_a_partner_form_that_already_added_one_is_kept_and_can_be_added(client, stored,
                                                                                                 headers):
    """The add form of the list page, as a browser kept it (Back) and the person typed another partner into it."""
    url = f"/domande/{stored.id}/partenariato"
    client.post(url, data={**VALID_PARTNER, "denominazione": "Coop Due", "form_token": "kept"})
    other = {**VALID_PARTNER, "denominazione": "Coop Tre", "codice_fiscale": "", "form_token": "kept"}
    response = client.post(url, data=other, headers=headers)
    assert response.status_code == 409
    html = unescape(response.get_data(as_text=True))
    assert "Coop Due" in html[html.index('class="notice"'):] and _("Open it") in html
    shown = form_fields(response.get_data(as_text=True), action=url).to_dict()
    assert shown["denominazione"] == "Coop Tre" and shown["form_token"] not in ("", "kept")
    assert [p.denominazione for p in document_of(stored.id).partner].count("Coop Tre") == 0
    assert client.post(url, data=shown, headers=headers).status_code in (200, 303)
    names = [p.denominazione for p in document_of(stored.id).partner]
    assert (names.count("Coop Due"), names.count("Coop Tre")) == (1, 1)


def test_a_member_already_in_the_partnership_is_not_added_again(client, stored):
    for cf in ("00859790172", " 8001 3870 177"):  # a partner's, then the lead partner's (typed with spaces)
        response = client.post(f"/domande/{stored.id}/partenariato",
                               data={**VALID_PARTNER, "codice_fiscale": cf, "form_token": f"dup-{cf}"})
        assert response.status_code == 422
        assert 'id="codice_fiscale-error"' in response.get_data(as_text=True)
    assert domande.get_head(stored.id, None).n_partner == 6


def test_edit_and_remove_a_partner(client, stored):
    partner = document_of(stored.id).partner[0]
    response = client.post(f"/domande/{stored.id}/partenariato/{partner.id}",
                           data={**VALID_PARTNER, "denominazione": "Rinominata", "versione": "1",
                                 "legale_rappresentante_nome": "Carla", "rea": "bs 123456", "rete": "no"})
    assert response.status_code == 303
    saved = document_of(stored.id).partner[0]
    assert (saved.id, saved.denominazione, saved.legale_rappresentante.nome, saved.rea, saved.rete) == (
        partner.id, "Rinominata", "Carla", "BS-123456", False)
    assert client.post(f"/domande/{stored.id}/partenariato/{partner.id}/rimuovi").status_code == 303
    assert partner.id not in {p.id for p in document_of(stored.id).partner}
    assert client.get(f"/domande/{stored.id}/partenariato/{partner.id}").status_code == 404


def test_saving_a_partner_removed_in_another_tab_keeps_the_typing_and_offers_to_add_it_again(client, stored):
    partner = document_of(stored.id).partner[5]
    client.post(f"/domande/{stored.id}/partenariato/{partner.id}/rimuovi")
    typed = {**VALID_PARTNER, "denominazione": "Ente bilaterale, corretto", "versione": "1"}
    response = client.post(f"/domande/{stored.id}/partenariato/{partner.id}", data=typed)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert _("This has been removed meanwhile") in unescape(html)
    assert 'value="Ente bilaterale, corretto"' in html
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', html).group(1)
    assert f'formaction="/domande/{stored.id}/partenariato"' in html
    again = client.post(f"/domande/{stored.id}/partenariato", data={**typed, "form_token": token})
    assert again.status_code == 303
    assert document_of(stored.id).partner[-1].denominazione == "Ente bilaterale, corretto"


def test_adding_a_source_on_the_page_of_a_need_removed_meanwhile_still_says_it_was_removed(client, stored):
    url = f"/domande/{stored.id}/fabbisogni/F1"
    mine = _page_of(client, url)
    client.post(f"{url}/rimuovi", data={"versione": "1"})
    gone = client.post(url, data={**mine, "azione": "salva", "titolo": "Ancora qui"})
    assert gone.status_code == 409
    response = client.post(url, data={**form_fields(gone.get_data(as_text=True)).to_dict(), "azione": "aggiungi-fonte"})
    assert response.status_code == 409
    html = unescape(response.get_data(as_text=True))
    assert _("This has been removed meanwhile") in html and 'value="Ancora qui"' in html
    assert f'formaction="/domande/{stored.id}/fabbisogni/nuovo"' in html


def test_territory_coherence_is_shown_inline_and_saved(client, stored):
    url = f"/domande/{stored.id}/territorio"
    check = client.post(url, data={"ambito": "provinciale", "province": ["BS", "MI"], "azione": "verifica",
                                   "versione": "1"}, headers=HX)
    assert check.status_code == 200
    assert "inline-check-error" in check.get_data(as_text=True)
    assert document_of(stored.id).territorio.province == ["BS"]  # checking does not save
    saved = client.post(url, data={"ambito": "interprovinciale", "province": ["BS", "MI"], "versione": "1",
                                   "descrizione": "Valle Trompia e Milano est"})
    assert saved.status_code == 303
    territorio = document_of(stored.id).territorio
    assert (territorio.ambito, territorio.province, territorio.descrizione) == (
        "interprovinciale", ["BS", "MI"], "Valle Trompia e Milano est")


def test_a_value_that_is_not_a_choice_is_refused_naming_the_field(client, stored):
    response = client.post(f"/domande/{stored.id}/territorio", data={"ambito": "nazionale", "province": ["ZZ"],
                                                                     "versione": "1"})
    assert response.status_code == 422
    messages = summary_of(response)
    assert len(messages) == 2 and all(m.endswith(_("choose one of the options listed.")) for m in messages)
    assert "not a valid choice" not in response.get_data(as_text=True)


def test_sector_codes_are_added_from_the_search_without_javascript(client, stored):
    url = f"/domande/{stored.id}/settori/nuovo"
    found = client.post(url, data={"descrizione": "Meccanica", "q": "meccanica generale", "azione": "cerca",
                                   "form_token": "s1"})
    html = found.get_data(as_text=True)
    assert 'value="aggiungi:25.62"' in html and "Meccanica</textarea>" in html
    added = client.post(url, data={"descrizione": "Meccanica", "ateco": "28.41", "azione": "aggiungi:25.62",
                                   "form_token": "s1"})
    assert 'value="28.41, 25.62"' in added.get_data(as_text=True)
    saved = client.post(url, data={"descrizione": "Meccanica", "ateco": "28.41, 25.62", "azione": "salva",
                                   "form_token": "s1"})
    assert saved.status_code == 303
    assert document_of(stored.id).settori[-1].ateco == ["28.41", "25.62"]


def test_a_malformed_ateco_code_is_refused_and_echoed_escaped(client, stored):
    response = client.post(f"/domande/{stored.id}/settori/nuovo",
                           data={"descrizione": "X", "ateco": "meccanica <b>x</b>", "azione": "salva",
                                 "form_token": "s2"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="ateco-error"' in html
    assert "<B>X</B>" not in html and "&lt;B&gt;X&lt;/B&gt;" in html


def test_a_need_with_sources_added_one_more_at_a_time(client, stored):
    url = f"/domande/{stored.id}/fabbisogni/nuovo"
    base = {"titolo": "Saldatori", "descrizione": "Mancano saldatori.", "lacune_politiche_attive": "Nessun corso.",
            "fonti-0-titolo": "Indagine", "fonti-0-autore": "CCIAA", "fonti-0-anno": "2022", "form_token": "n1"}
    more = client.post(url, data={**base, "azione": "aggiungi-fonte"})
    assert more.status_code == 200
    html = more.get_data(as_text=True)
    assert 'name="fonti-1-titolo"' in html and 'value="Indagine"' in html
    bad_year = client.post(url, data={**base, "fonti-1-titolo": "Solo titolo", "fonti-1-anno": "22x",
                                      "azione": "salva"})
    assert bad_year.status_code == 422
    assert 'href="#fonti-1-anno"' in bad_year.get_data(as_text=True)
    saved = client.post(url, data={**base, "fonti-1-titolo": "Solo titolo", "azione": "salva"})
    assert saved.status_code == 303  # a source with a title only is a draft: the rules say what it lacks
    need = document_of(stored.id).fabbisogni[-1]
    assert need.id == "F2" and [s.titolo for s in need.fonti] == ["Indagine", "Solo titolo"]
    html = client.get(f"/domande/{stored.id}/fabbisogni").get_data(as_text=True)
    where = _("%(need)s, source %(n)s", need=_("Need") + " F2 \u00abSaldatori\u00bb", n=2)
    assert missing(where, "the author or body") in unescape(html)


def test_an_intervention_is_tied_to_needs_by_checkbox(client, stored):
    url = f"/domande/{stored.id}/interventi/nuovo"
    html = client.get(url, follow_redirects=True).get_data(as_text=True)
    assert 'type="checkbox"' in html and 'value="F1"' in html
    response = client.post(url, data={"titolo": "Corso", "descrizione": "Un corso.", "fabbisogni": ["F1"],
                                      "form_token": "i1"})
    assert response.status_code == 303
    assert document_of(stored.id).interventi[-1].fabbisogni == ["F1"]


def test_summary_shows_every_section_with_change_links_and_downloads(client, stored, valid_doc):
    html = client.get(f"/domande/{stored.id}/riepilogo").get_data(as_text=True)
    for endpoint in ("capofila", "partenariato", "territorio", "settori", "fabbisogni", "interventi"):
        assert f'href="/domande/{stored.id}/{endpoint}"' in html
    for partner in valid_doc["partner"]:
        assert partner["denominazione"].replace("&", "&amp;") in html
    assert "Carlo Rossi" in html  # a partner's legal representative
    assert re.search(rf'href="/domande/{stored.id}/manifestazione.docx" data-hx-boost="false"', html)
    assert 'media="print"' in html


def test_csrf_is_refused_without_a_token(app, stored, user):
    app.config["WTF_CSRF_ENABLED"] = True
    app.test_client_class = LoggedInClient
    client = app.test_client(user=user)
    response = client.post(f"/domande/{stored.id}/capofila", data={"titolo": "Cambiato"})
    assert response.status_code == 303  # back to the form, nothing saved
    assert document_of(stored.id).titolo == "Patto per la meccanica bresciana"
    assert client.post("/domande/nuova", data={"titolo": "x"}).status_code == 303
    assert len(domande.list_domande(user)) == 1


def test_a_post_after_the_session_expired_keeps_what_was_typed_for_this_browser(app, stored, user):
    """The session is gone: login, then back to the form with the typing restored, once, in the same browser."""
    app.config["WTF_CSRF_ENABLED"] = True
    browser = app.test_client()
    url = f"/domande/{stored.id}/partenariato"
    typed = {**VALID_PARTNER, "denominazione": "Scritto prima della scadenza", "csrf_token": "stale"}
    response = browser.post(url, data=typed, headers={"Origin": "http://localhost"})
    assert response.status_code == 303
    login = urlsplit(response.headers["Location"])
    assert login.path == "/accedi" and parse_qs(login.query)["next"] == [url]  # no key in any address
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("patti_moduli=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert PendingForm.query.count() == 1
    log_in_client(browser, user)
    html = browser.get(url).get_data(as_text=True)
    assert 'value="Scritto prima della scadenza"' in html and re.search(r'<input checked[^>]*value="imprese"', html)
    assert PendingForm.query.count() == 0  # used once
    assert "Scritto prima della scadenza" not in browser.get(url).get_data(as_text=True)
    assert domande.get_head(stored.id, None).n_partner == 6  # not saved by itself


def test_a_strangers_stash_never_reaches_the_owner(app, stored, user, make_user):
    """A stranger POSTs to the owner's form: it is kept for the stranger's browser only, and the stranger, once
    logged in, may not edit that application, so it is never shown to anyone."""
    app.config["WTF_CSRF_ENABLED"] = True
    stranger = app.test_client()
    url = f"/domande/{stored.id}/capofila"
    stranger.post(url, data={"denominazione": "Valore dello sconosciuto", "csrf_token": "x"},
                  headers={"Origin": "http://localhost"})
    assert PendingForm.query.count() == 1
    owner = app.test_client()
    log_in_client(owner, user)
    assert "Valore dello sconosciuto" not in owner.get(url).get_data(as_text=True)  # another browser: nothing
    log_in_client(stranger, make_user(email="sconosciuto@example.it"))
    assert stranger.get(url).status_code == 404  # not theirs: the stash is not even looked at
    assert PendingForm.query.count() == 1


def test_what_is_kept_is_capped_in_size_and_per_client(app, stored):
    app.config["WTF_CSRF_ENABLED"] = True
    url = f"/domande/{stored.id}/capofila"
    visitor = app.test_client()
    huge = visitor.post(url, data={"denominazione": "x" * 70_000}, headers={"Origin": "http://localhost"})
    assert "patti_moduli" not in huge.headers.get("Set-Cookie", "") and PendingForm.query.count() == 0
    for n in range(12):
        app.test_client().post(url, data={"denominazione": f"n{n}"}, headers={"Origin": "http://localhost"})
    assert PendingForm.query.count() == 10  # ten an hour from one client


def test_a_cross_site_post_is_not_kept(app, stored):
    app.config["WTF_CSRF_ENABLED"] = True
    response = app.test_client().post(f"/domande/{stored.id}/partenariato", data={"denominazione": "Attacco"},
                                      headers={"Origin": "https://evil.example"})
    assert response.status_code == 303
    assert PendingForm.query.count() == 0
    messages = app.test_client()
    messages.post(f"/domande/{stored.id}/partenariato", data={"denominazione": "Attacco"})
    page = messages.get("/accedi").get_data(as_text=True)
    assert "conservato" not in page  # said to be kept only when it was


@pytest.mark.parametrize(
    ("path", "data", "section"),
    [
        ("settori/nuovo", {"descrizione": "Doppio", "azione": "salva"}, "settori"),
        ("fabbisogni/nuovo", {"titolo": "Doppio", "descrizione": "d", "lacune_politiche_attive": "l",
                              "azione": "salva"}, "fabbisogni"),
        ("interventi/nuovo", {"titolo": "Doppio", "descrizione": "d"}, "interventi"),
    ],
)
def test_a_double_submit_adds_one_item_in_every_list(client, stored, path, data, section):
    before = len(getattr(document_of(stored.id), section))
    for _click in range(2):
        response = client.post(f"/domande/{stored.id}/{path}", data={**data, "form_token": f"twice-{section}"})
        assert response.status_code == 303
    assert len(getattr(document_of(stored.id), section)) == before + 1


def test_every_change_is_a_revision_of_the_user(client, stored, user):
    client.post(f"/domande/{stored.id}/partenariato", data={**VALID_PARTNER, "form_token": "rev"})
    revision = db.session.scalars(select(Revision).where(Revision.application_id == stored.id)
                                  .order_by(Revision.versione.desc())).first()
    assert (revision.versione, revision.sezione, revision.azione, revision.user_id) == (
        2, "partenariato", "aggiunta", user.id)
    assert revision.elemento == document_of(stored.id).partner[-1].id
    assert revision.patch[0]["op"] == "add" and revision.patch[0]["path"] == "/partner/6"


def test_labels_say_optional_only_where_the_call_does_not_ask(client, stored):
    html = client.get(f"/domande/{stored.id}/capofila").get_data(as_text=True)
    optional = set(re.findall(r'<label for="(\w+)">[^<]*<span class="optional">', html))
    optional |= set(re.findall(r'<fieldset id="(\w+)"[^>]*>\s*<legend>[^<]*<span class="optional">', html))
    # The signatory's office and birth are optional; a procuratore's name, codice fiscale and procura are asked for
    # (when there is one: the page says so).
    assert optional == {"referente_telefono", "rappresentanza_ateco", "legale_rappresentante_carica",
                        "legale_rappresentante_luogo_nascita", "legale_rappresentante_data_nascita",
                        "procuratore_luogo_nascita", "procuratore_data_nascita"}
    html = client.get(f"/domande/{stored.id}/partenariato").get_data(as_text=True)
    optional = set(re.findall(r'<label for="(\w+)">[^<]*<span class="optional">', html))
    optional |= set(re.findall(r'<fieldset id="(\w+)"[^>]*>\s*<legend>[^<]*<span class="optional">', html))
    assert {"denominazione", "categoria", "codice_fiscale", "sede_comune", "sede_provincia"}.isdisjoint(optional)
    assert {"rea", "ccnl", "rete", "pec", "sede_cap", "legale_rappresentante_nome"} <= optional


def test_a_v1_file_is_imported_and_said_to_be_upgraded(client, user):
    v1 = (DATA / "v1" / "valida.json").read_bytes()
    response = client.post("/domande/importa", data={"documento": (io.BytesIO(v1), "vecchia.json")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200
    assert "patti-web/domanda@1" in unescape(response.get_data(as_text=True))
    head = domande.list_domande(user)[0]
    assert json.loads(client.get(f"/domande/{head.id}/domanda.json").data)["format"] == "patti-web/domanda@2"


@pytest.mark.parametrize(("value", "expected"), [("Ente \u202eatroppus", "U+202E"), ("Patto \U0001f680", "\U0001f680")],
                         ids=["bidi override", "emoji"])
def test_what_the_act_cannot_print_faithfully_is_refused_naming_the_field(client, stored, value, expected):
    response = client.post(f"/domande/{stored.id}/partenariato",
                           data={**VALID_PARTNER, "denominazione": value, "form_token": "car"})
    assert response.status_code == 422
    (message,) = summary_of(response)
    assert message.startswith(_("Name of the partner") + ":") and expected in message
    assert domande.get_head(stored.id, None).n_partner == 6


def test_an_ateco_search_after_the_session_expired_keeps_the_sector_form(app, stored, user):
    """The suggestions under a sector's form come with htmx: an expired session does not take the page away (the
    typing would be lost, and after login the user would land on a bare search page). The piece says so and offers
    the form's Save, whose POST keeps the typing for this browser; after login the form comes back filled in."""
    app.config["WTF_CSRF_ENABLED"] = True
    browser = app.test_client()
    page = f"/domande/{stored.id}/settori/nuovo?modulo=abc"
    response = browser.get("/domande/ateco?q=mobili", headers={
        **HX, "HX-Target": "ateco_risultati", "HX-Current-URL": f"http://localhost{page}"})
    assert response.status_code == 200 and "HX-Redirect" not in response.headers
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="ateco_risultati"')
    login = re.search(r'<a href="([^"]+)"', body).group(1)
    assert urlsplit(unescape(login)).path == "/accedi" and parse_qs(urlsplit(unescape(login)).query)["next"] == [page]
    assert 'name="azione" value="salva"' in body
    # The form's Save, in the expired session: kept, then back after login.
    typed = {"descrizione": "Mobili e arredo in legno", "ateco": "31.09", "q": "mobili", "azione": "salva",
             "form_token": "abc", "csrf_token": "scaduto"}
    kept = browser.post(f"/domande/{stored.id}/settori/nuovo?modulo=abc", data=typed,
                        headers={"Origin": "http://localhost"})
    assert kept.status_code == 303 and urlsplit(kept.headers["Location"]).path == "/accedi"
    log_in_client(browser, user)
    html = browser.get(f"/domande/{stored.id}/settori/nuovo?modulo=abc").get_data(as_text=True)
    assert "Mobili e arredo in legno</textarea>" in html and 'value="31.09"' in html


def test_every_page_counts_the_same_errors_and_sections(client, stored):
    """A draft with errors: "Le mie domande", the checklist and the Riepilogo say the same number of errors, the
    task list and "Le mie domande" the same number of sections done, and the checklist is not all met."""
    client.post(f"/domande/{stored.id}/partenariato", data={"denominazione": "Cooperativa Il Ponte", "form_token": "c"})
    state = domande.load(stored.id, None)
    n = len(state.errors)
    assert n == 4 and state.head.n_errori == n
    listed = unescape(client.get("/domande").get_data(as_text=True))
    tasks = unescape(client.get(f"/domande/{stored.id}").get_data(as_text=True))
    summary = unescape(client.get(f"/domande/{stored.id}/riepilogo").get_data(as_text=True))
    errors = ngettext("%(num)s error", "%(num)s errors", n)
    assert errors in listed
    assert ngettext("%(num)s error to correct", "%(num)s errors to correct", n) in tasks
    assert ngettext("The application still has %(num)s error: the documents are DRAFTS that cannot be signed.",
                    "The application still has %(num)s errors: the documents are DRAFTS that cannot be signed.",
                    n) in summary
    done = state.head.sezioni_completate
    total = len(sezioni.SEZIONI)
    assert ngettext("%(num)s of %(total)s section", "%(num)s of %(total)s sections", done, total=total) in listed
    assert ngettext("%(num)s of %(total)s section completed.", "%(num)s of %(total)s sections completed.", done,
                    total=total) in tasks
    met = sum(item.met for item in state.checklist)
    assert met < len(state.checklist)
    assert ngettext("%(num)s rule met out of %(total)s", "%(num)s rules met out of %(total)s", met,
                    total=len(state.checklist)) in tasks
    assert "Partner 7 \u00abCooperativa Il Ponte\u00bb: manca la categoria." in unescape(
        client.get(f"/domande/{stored.id}/partenariato").get_data(as_text=True))


# What a review of the merge found (each reproduced first, then fixed) ------------------------------------------------


def _page_of(client, url) -> dict:
    """The fields a browser sends of a page's form as it is shown."""
    return form_fields(client.get(url).get_data(as_text=True)).to_dict()


def test_keeping_the_saved_value_holds_through_a_second_conflict(app, client, stored, valid_doc, make_user):
    url = f"/domande/{stored.id}/capofila"
    anna = _colleague(app, stored, make_user)
    assert anna.post(url, data={**_page_of(anna, url), "denominazione": "Alfa"}).status_code == 303
    first = client.post(url, data=capofila_form(valid_doc, denominazione="Beta", pec="beta@pec.it"))
    assert first.status_code == 409
    shown = form_fields(first.get_data(as_text=True)).to_dict()
    assert anna.post(url, data={**_page_of(anna, url), "pec": "alfa@pec.it"}).status_code == 303
    second = client.post(url, data={**shown, "scelta-denominazione": "salvato"})
    assert second.status_code == 409  # now the PEC both changed
    shown = form_fields(second.get_data(as_text=True)).to_dict()
    assert (shown["denominazione"], shown["conflitto"]) == ("Alfa", "pec")  # the saved one, as chosen
    assert client.post(url, data={**shown, "scelta-pec": "salvato"}).status_code == 303
    saved = document_of(stored.id).capofila
    assert (saved.denominazione, saved.pec) == ("Alfa", "alfa@pec.it")


def test_a_new_conflict_on_a_field_asks_again_with_nothing_chosen(app, client, stored, valid_doc, make_user):
    url = f"/domande/{stored.id}/capofila"
    anna = _colleague(app, stored, make_user)
    anna.post(url, data={**_page_of(anna, url), "denominazione": "Alfa"})
    shown = form_fields(client.post(url, data=capofila_form(valid_doc, denominazione="Beta")).get_data(
        as_text=True)).to_dict()
    anna.post(url, data={**_page_of(anna, url), "denominazione": "Gamma"})
    again = client.post(url, data={**shown, "scelta-denominazione": "mio"})
    assert again.status_code == 409 and "Gamma" in unescape(again.get_data(as_text=True))
    assert form_fields(again.get_data(as_text=True))["scelta-denominazione"] == ""  # not the old "mine"


def test_a_saved_value_the_form_would_tidy_is_not_taken_for_a_change(client, user, valid_doc):
    """A file imported with a lower-case province: the select keeps it, and saving only a new PEC keeps it too."""
    valid_doc["capofila"]["sede"]["provincia"] = "bs"
    head = domande.import_domanda(read_document(json.dumps(valid_doc)), user)
    url = f"/domande/{head.id}/capofila"
    shown = _page_of(client, url)
    assert shown["sede_provincia"] == "bs"
    assert client.post(url, data={**shown, "pec": "nuova@pec.it"}).status_code == 303
    saved = document_of(head.id).capofila
    assert (saved.sede.provincia, saved.pec) == ("bs", "nuova@pec.it")


def test_a_colleagues_change_of_a_tidied_field_is_not_a_conflict(app, client, user, valid_doc, make_user):
    valid_doc["partner"][0]["sede"]["provincia"] = "bs"
    head = domande.import_domanda(read_document(json.dumps(valid_doc)), user)
    stored_ = domande.get_head(head.id, None)
    url = f"/domande/{head.id}/partenariato/p1"
    mine = _page_of(client, url)  # opened before the colleague saves
    anna = _colleague(app, stored_, make_user)
    assert anna.post(url, data={**_page_of(anna, url), "sede_provincia": "BG"}).status_code == 303
    assert client.post(url, data={**mine, "pec": "mia@pec.it"}).status_code == 303  # no conflict on the province
    saved = document_of(head.id).partner[0]
    assert (saved.sede.provincia, saved.pec) == ("BG", "mia@pec.it")


def test_two_people_editing_different_sources_of_a_need_keep_both(app, client, stored, make_user):
    url = f"/domande/{stored.id}/fabbisogni/F1"
    page = _page_of(client, url)
    client.post(url, data={**page, "azione": "salva", "fonti-1-titolo": "Rapporto Polis", "fonti-1-autore": "Polis"})
    mine = _page_of(client, url)
    anna = _colleague(app, stored, make_user)
    theirs = _page_of(anna, url)
    assert anna.post(url, data={**theirs, "azione": "salva", "fonti-0-autore": "Unioncamere"}).status_code == 303
    response = client.post(url, data={**mine, "azione": "salva", "fonti-1-anno": "2023"})
    assert response.status_code == 303, unescape(response.get_data(as_text=True))[-3000:]
    fonti = document_of(stored.id).fabbisogni[0].fonti
    assert (fonti[0].autore, fonti[1].anno) == ("Unioncamere", 2023)


def test_a_conflict_on_a_choice_shows_its_label_not_its_key(app, client, stored, make_user):
    url = f"/domande/{stored.id}/partenariato/p2"
    mine = _page_of(client, url)
    anna = _colleague(app, stored, make_user)
    anna.post(url, data={**_page_of(anna, url), "categoria": "sindacati"})
    response = client.post(url, data={**mine, "categoria": "terzo_settore"})
    assert response.status_code == 409
    table = re.search(r'<table class="table">.*?</table>', response.get_data(as_text=True), re.S).group(0)
    assert "Organizzazioni sindacali" in unescape(table) and "sindacati<" not in table


def test_an_intervention_keeps_citing_a_need_removed_meanwhile(client, stored):
    url = f"/domande/{stored.id}/interventi/i1"
    mine = form_fields(client.get(url).get_data(as_text=True))
    client.post(f"/domande/{stored.id}/fabbisogni/F1/rimuovi", data={"versione": "1"})
    response = client.post(url, data={**mine.to_dict(flat=False), "titolo": ["Corso rinominato"]})
    assert response.status_code == 303
    assert document_of(stored.id).interventi[0].fabbisogni == ["F1"]  # the rules say F1 is gone
    assert "F1" in unescape(client.get(url).get_data(as_text=True))


def test_ticking_a_need_removed_meanwhile_asks_to_untick_it_and_keeps_the_typing(client, store, user, valid_doc):
    valid_doc["fabbisogni"].append({**valid_doc["fabbisogni"][0], "id": "F2", "titolo": "Logistica"})
    stored = store(valid_doc, user)
    url = f"/domande/{stored.id}/interventi/i1"
    mine = form_fields(client.get(url).get_data(as_text=True)).to_dict(flat=False)
    assert mine["fabbisogni"] == ["F1"]
    client.post(f"/domande/{stored.id}/fabbisogni/F2/rimuovi", data={"versione": "1"})
    response = client.post(url, data={**mine, "titolo": ["Corso rinominato"], "fabbisogni": ["F1", "F2"]})
    assert response.status_code == 422
    assert any("F2" in m and "rimosso" in m for m in errors_of(response))
    shown = form_fields(response.get_data(as_text=True)).to_dict(flat=False)
    assert (shown["titolo"], shown["fabbisogni"]) == (["Corso rinominato"], ["F1", "F2"])
    assert document_of(stored.id).interventi[0].titolo != "Corso rinominato"


def test_the_removal_page_of_a_need_names_the_interventions_that_answer_it(client, stored):
    html = unescape(client.get(f"/domande/{stored.id}/fabbisogni/F1/rimuovi").get_data(as_text=True))
    cited_by = [i for i in document_of(stored.id).interventi if "F1" in i.fabbisogni]
    assert cited_by and all(f"\u00ab{i.titolo}\u00bb" in html for i in cited_by)
    html = unescape(client.get(f"/domande/{stored.id}/partenariato/p2/rimuovi").get_data(as_text=True))
    assert 'class="notice"' not in html


def test_a_form_token_longer_than_its_column_is_cut(client, stored):
    client.post(f"/domande/{stored.id}/partenariato", data={**VALID_PARTNER, "form_token": "x" * 500})
    tokens = db.session.scalars(select(Revision.form_token).where(Revision.form_token.is_not(None))).all()
    assert tokens == ["x" * 64]


def test_removing_twice_says_it_is_gone(client, stored):
    url = f"/domande/{stored.id}/partenariato/p3/rimuovi"
    confirm = form_fields(client.get(url).get_data(as_text=True))
    assert client.post(url, data=confirm).status_code == 303
    again = client.post(url, data=confirm, follow_redirects=True)
    assert again.status_code == 200 and _("This has already been removed.") in unescape(again.get_data(as_text=True))


def test_a_choice_made_after_a_conflict_survives_an_error_elsewhere(app, client, stored, valid_doc, make_user):
    url = f"/domande/{stored.id}/capofila"
    anna = _colleague(app, stored, make_user)
    anna.post(url, data={**_page_of(anna, url), "pec": "anna@pec.it"})
    shown = form_fields(client.post(url, data=capofila_form(valid_doc, pec="mia@pec.it")).get_data(
        as_text=True)).to_dict()
    wrong = client.post(url, data={**shown, "scelta-pec": "mio", "sede_cap": "2512"})
    assert wrong.status_code == 422
    kept = form_fields(wrong.get_data(as_text=True)).to_dict()
    assert (kept["scelta-pec"], kept["conflitto"]) == ("mio", "pec")  # still asked, the answer kept
    assert client.post(url, data={**kept, "sede_cap": "25121"}).status_code == 303
    assert document_of(stored.id).capofila.pec == "mia@pec.it"


def test_your_own_save_in_another_tab_is_said_to_be_yours(client, stored, valid_doc):
    url = f"/domande/{stored.id}/capofila"
    client.post(url, data=capofila_form(valid_doc, pec="prima@pec.it"))
    other_tab = client.post(url, data=capofila_form(valid_doc, pec="seconda@pec.it"))
    assert _("You saved a change in another tab or on another device on %(when)s, after this page was opened.",
             when="").split("%")[0][:30] in unescape(other_tab.get_data(as_text=True))


def test_the_activity_names_a_removed_item(client, stored):
    client.post(f"/domande/{stored.id}/partenariato/p2/rimuovi", data={"versione": "1"})
    html = unescape(client.get(f"/domande/{stored.id}/attivita").get_data(as_text=True))
    assert "rimosso \u00abDistretto" in html


def test_the_territory_check_after_the_session_expired_keeps_the_page_and_the_typing(app, stored, user):
    app.config["WTF_CSRF_ENABLED"] = True
    browser = app.test_client()
    url = f"/domande/{stored.id}/territorio"
    response = browser.post(url, data={"ambito": "regionale", "descrizione": "Tutta la Lombardia", "azione": "verifica",
                                       "csrf_token": "scaduto"},
                            headers={**HX, "HX-Target": "coerenza", "HX-Current-URL": f"http://localhost{url}",
                                     "Origin": "http://localhost"})
    assert response.status_code == 200 and "HX-Redirect" not in response.headers
    assert response.get_data(as_text=True).lstrip().startswith('<div id="coerenza"')
    assert "patti_moduli=" in response.headers.get("Set-Cookie", "")
    log_in_client(browser, user)
    assert "Tutta la Lombardia" in browser.get(url).get_data(as_text=True)


def test_a_text_of_several_lines_sent_back_with_a_browsers_line_breaks_is_not_a_change(app, client, store, user,
                                                                                      valid_doc, make_user):
    """Imported text ends its lines in LF, a browser sends them in CR LF: the same text, not the person's change."""
    valid_doc["fabbisogni"][0]["descrizione"] = "Riga uno\nRiga due\n\nRiga quattro"
    head = store(valid_doc, user)
    url = f"/domande/{head.id}/fabbisogni/F1"
    mine = _page_of(client, url)
    shown = mine["descrizione"].removeprefix("\r\n")  # a browser drops a text area's first line break
    assert shown == "Riga uno\nRiga due\n\nRiga quattro"
    anna = _colleague(app, head, make_user)
    assert anna.post(url, data={**_page_of(anna, url), "azione": "salva", "descrizione": "Di Anna"}).status_code == 303
    as_sent = {**mine, "azione": "salva", "titolo": "Titolo di Giulia",
               "descrizione": shown.replace("\n", "\r\n")}
    response = client.post(url, data=as_sent)
    assert response.status_code == 303, unescape(response.get_data(as_text=True))[-3000:]
    saved = document_of(head.id).fabbisogni[0]
    assert (saved.titolo, saved.descrizione) == ("Titolo di Giulia", "Di Anna")


def test_a_procuratore_is_saved_with_dates_typed_the_italian_way_and_the_act_names_the_procura(client, stored,
                                                                                                valid_doc):
    import docx

    typed = capofila_form(valid_doc, procuratore_nome="Giulia", procuratore_cognome="Bianchi",
                          procuratore_codice_fiscale="bncgli80a41b157f", procuratore_luogo_nascita="Brescia",
                          procuratore_data_nascita="1/1/1980", procuratore_procura_numero="1234/2024",
                          procuratore_procura_data="10/02/2024")
    assert client.post(f"/domande/{stored.id}/capofila", data=typed).status_code == 303
    procuratore = document_of(stored.id).capofila.procuratore
    assert (procuratore.codice_fiscale, procuratore.data_nascita, procuratore.procura_data) == (
        "BNCGLI80A41B157F", "1980-01-01", "2024-02-10")
    html = client.get(f"/domande/{stored.id}/capofila").get_data(as_text=True)
    assert 'value="10/02/2024"' in html and 'value="01/01/1980"' in html
    act = docx.Document(io.BytesIO(client.get(f"/domande/{stored.id}/manifestazione.docx").data))
    body = "\n".join(p.text for p in act.paragraphs)
    assert "Il/La sottoscritto/a Giulia Bianchi, nato/a a Brescia il 1 gennaio 1980, codice fiscale " \
           "BNCGLI80A41B157F, in qualità di procuratore, giusta procura n. 1234/2024 del 10 febbraio 2024, del " \
           "soggetto denominato Camera di Commercio" in body
    cells = [p.text for t in act.tables for row in t.rows for cell in row.cells for p in cell.paragraphs]
    assert "Il procuratore" in cells and "Giulia Bianchi" in cells and "Il legale rappresentante" not in cells


def test_a_date_that_is_not_one_is_refused_beside_its_field_and_kept_as_typed(client, stored, valid_doc):
    typed = capofila_form(valid_doc, procuratore_nome="Giulia", procuratore_procura_data="31/02/2024",
                          legale_rappresentante_data_nascita="10/12/2999")
    response = client.post(f"/domande/{stored.id}/capofila", data=typed)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert summary_of(response) == errors_of(response)
    assert _("%(field)s: %(problem)s", field=_("Date of the procura"),
             problem=_("enter the date as day/month/year, e.g. 10/12/1985.")) in summary_of(response)
    assert _("%(field)s: %(problem)s", field=_("Date of birth of the legal representative"),
             problem=_("enter a date that is not in the future.")) in summary_of(response)
    assert 'value="31/02/2024"' in html and 'value="10/12/2999"' in html
    assert document_of(stored.id).capofila.procuratore.nome == ""


def test_a_procuratore_without_their_procura_is_an_error_of_the_lead_partner(client, stored, valid_doc):
    client.post(f"/domande/{stored.id}/capofila", data=capofila_form(valid_doc, procuratore_nome="Giulia"))
    html = unescape(client.get(f"/domande/{stored.id}/capofila").get_data(as_text=True))
    assert "manca il numero della procura" in html and "manca la data della procura" in html


def test_a_partner_pasted_from_word_is_saved_with_single_spaces_and_its_codes_valid(client, stored):
    pasted = {**VALID_PARTNER, "denominazione": "Officine\tRossi\u00a0\u00a0S.r.l.\u00ad",
              "codice_fiscale": "\u200b021\u00a066180\u00a0980\t", "sede_comune": " Lume\u00adzzane ",
              "sede_provincia": "b\u00a0s", "form_token": "t-paste"}
    response = client.post(f"/domande/{stored.id}/partenariato", data=pasted)
    assert response.status_code == 303, errors_of(response)
    added = document_of(stored.id).partner[-1]
    assert (added.denominazione, added.codice_fiscale, added.sede.comune, added.sede.provincia) == (
        "Officine Rossi S.r.l.", "02166180980", "Lumezzane", "BS")


def html_of(response) -> str:
    return response.get_data(as_text=True)


@pytest.mark.parametrize("headers", [{}, {**HX, "HX-Boosted": "true"}], ids=["no-js", "htmx-boosted"])
def test_choosing_codes_keeps_the_search_and_its_matches_and_focus_goes_to_the_next_match(client, stored, headers):
    url = f"/domande/{stored.id}/settori/nuovo"
    typed = {"descrizione": "Meccanica", "q": "officina", "form_token": "s3"}
    found = client.post(url, data={**typed, "azione": "cerca"}, headers=headers).get_data(as_text=True)
    codes = re.findall(r'value="aggiungi:([^"]+)"', found)
    assert codes[:2] == ["25.62", "45.20"]
    chosen: list[str] = []
    for code in codes[:3]:  # three codes from one list: three clicks, no search in between
        response = client.post(url, data={**typed, "ateco": ", ".join(chosen), "pagina": "1",
                                          "azione": f"aggiungi:{code}"}, headers=headers)
        html = response.get_data(as_text=True)
        chosen.append(code)
        assert response.status_code == 200 and html.lstrip().lower().startswith("<!doctype html>")
        assert f'value="{", ".join(chosen)}"' in html  # the codes box
        assert 'value="officina"' in html  # the search box keeps its text
        offered = re.findall(r'value="aggiungi:([^"]+)"', html)
        assert offered == [c for c in codes if c not in chosen]  # the same matches, the chosen ones said added
        assert _("%(code)s added to the sector's codes.", code=code) in html
        autofocused = re.findall(r'<button[^>]*value="aggiungi:([^"]+)"[^>]*autofocus', html)
        assert autofocused == [offered[0]]  # focus on the next match not chosen yet, never the body


def test_removing_a_chosen_code_keeps_the_matches_and_focuses_the_chosen_list(client, stored):
    url = f"/domande/{stored.id}/settori/nuovo"
    html = html_of(client.post(url, data={"descrizione": "Meccanica", "q": "officina", "ateco": "25.62, 45.20",
                                          "pagina": "1", "azione": "togli:25.62", "form_token": "s4"}))
    assert 'value="45.20"' in html and 'value="aggiungi:25.62"' in html and 'value="officina"' in html
    assert re.search(r'<ul class="ateco-chosen"[^>]*autofocus', html)


def test_matches_shown_on_two_pages_stay_two_pages_after_a_code_is_added(client, stored):
    url = f"/domande/{stored.id}/settori/nuovo"
    html = html_of(client.post(url, data={"descrizione": "Commercio", "q": "commercio al dettaglio", "pagina": "2",
                                          "azione": "aggiungi:47.19", "form_token": "s5"}))
    assert html.count('value="aggiungi:') == 19 and 'name="pagina" value="2"' in html


def test_the_suggestions_fragment_of_a_sector_form_carries_its_page(client):
    fragment = client.get("/domande/ateco?q=officina&pagina=2", headers=HX).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="ateco_risultati"')
    assert 'name="pagina" value="2"' in fragment and fragment.count('value="aggiungi:') == 20
