"""The portal's application pages with the test client: full pages and htmx fragments, ownership, forms."""

from __future__ import annotations

import io
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from flask_login import FlaskLoginClient

from patti_web.domanda import read_document
from patti_web.extensions import db
from patti_web.i18n import gettext as _
from patti_web.models import Application, Partner, PendingForm
from patti_web.services import import_application

HX = {"HX-Request": "true"}

VALID_PARTNER = {
    "denominazione": "Officine Rossi S.r.l.",
    "categoria": "imprese",
    "codice_fiscale": "00859790172",
    "sede_comune": "Lumezzane",
    "sede_provincia": "bs",
}


@pytest.fixture
def stored(app, user, valid_doc):
    application = import_application(read_document(json.dumps(valid_doc)), user)
    db.session.commit()
    return application


@pytest.fixture
def client(auth_client):
    return auth_client


def page_urls(a):
    p, s, n, i = a.partner[0].id, a.settori[0].id, a.fabbisogni[0].id, a.interventi[0].id
    base = f"/domande/{a.id}"
    return [base, f"{base}/checklist", f"{base}/riepilogo", f"{base}/capofila", f"{base}/partenariato",
            f"{base}/partenariato/{p}", f"{base}/partenariato/{p}/rimuovi", f"{base}/territorio", f"{base}/settori",
            f"{base}/settori/nuovo", f"{base}/settori/{s}", f"{base}/settori/{s}/rimuovi", f"{base}/fabbisogni",
            f"{base}/fabbisogni/nuovo", f"{base}/fabbisogni/{n}", f"{base}/fabbisogni/{n}/rimuovi",
            f"{base}/interventi", f"{base}/interventi/nuovo", f"{base}/interventi/{i}",
            f"{base}/interventi/{i}/rimuovi", f"{base}/elimina", f"{base}/domanda.json"]


def test_every_page_renders_for_its_owner(client, stored):
    for url in ["/domande", "/domande/importa", *page_urls(stored)]:
        response = client.get(url)
        assert response.status_code == 200, url
        if response.mimetype == "text/html":
            html = response.get_data(as_text=True)
            assert '<html lang="it">' in html, url
            assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
            assert not re.search(r"\son[a-z]+\s*=", html), url


def test_someone_elses_application_is_404_everywhere(app, stored, make_user):
    app.test_client_class = FlaskLoginClient
    other = app.test_client(user=make_user(email="intruso@example.it"))
    for url in page_urls(stored):
        assert other.get(url).status_code == 404, url
    for url in (f"/domande/{stored.id}/capofila", f"/domande/{stored.id}/partenariato",
                f"/domande/{stored.id}/duplica", f"/domande/{stored.id}/elimina"):
        assert other.post(url, data={"titolo": "x"}).status_code == 404, url
    assert Application.query.count() == 1
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


def test_the_ateco_search_suggests_from_the_istat_2022_list(client):
    response = client.get("/domande/ateco?q=meccanica generale", headers=HX)
    body = response.get_data(as_text=True)
    assert 'value="aggiungi:25.62"' in body and "Lavori di meccanica generale" in body
    assert "HX-Request" in response.headers["Vary"]
    assert client.get("/domande/ateco?q=25.62").get_data(as_text=True).startswith("<!doctype html>")


def test_create_then_list_shows_draft_with_last_change(client, user):
    response = client.post("/domande/nuova", data={"titolo": "Patto per il turismo"})
    assert response.status_code == 303
    application = Application.query.one()
    assert response.headers["Location"] == f"/domande/{application.id}"
    assert application.owner_id == user.id
    html = client.get("/domande").get_data(as_text=True)
    assert "Patto per il turismo" in html and _("draft") in html
    assert re.search(r"\d{1,2} \w+ \d{4}, \d\d:\d\d", html)


def test_a_complete_application_is_listed_as_complete(client, stored):
    assert _("complete") in client.get("/domande").get_data(as_text=True)


def test_an_empty_title_is_refused_with_a_message(client):
    response = client.post("/domande/nuova", data={"titolo": "  "})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'class="error-summary"' in html and 'href="#titolo"' in html
    assert Application.query.count() == 0


def test_duplicate_and_delete_with_confirmation(client, stored):
    response = client.post(f"/domande/{stored.id}/duplica")
    assert response.status_code == 303
    assert Application.query.count() == 2
    copy = Application.query.filter(Application.id != stored.id).one()
    assert len(copy.partner) == len(stored.partner) and copy.titolo.startswith(stored.titolo)
    assert client.get(f"/domande/{copy.id}/elimina").status_code == 200  # the confirmation page
    assert Application.query.count() == 2
    assert client.post(f"/domande/{copy.id}/elimina").status_code == 303
    assert Application.query.count() == 1


def test_import_and_export_json(client, valid_doc):
    data = {"documento": (io.BytesIO(json.dumps(valid_doc).encode()), "domanda.json")}
    response = client.post("/domande/importa", data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    application = Application.query.one()
    exported = client.get(f"/domande/{application.id}/domanda.json")
    assert exported.headers["Content-Disposition"].startswith("attachment; filename=manifestazione-interesse-")
    assert json.loads(exported.data) == valid_doc


def test_a_bad_import_file_says_why_next_to_the_field(client):
    data = {"documento": (io.BytesIO(b"[1, 2]"), "lista.json")}
    response = client.post("/domande/importa", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="documento-error"' in html and 'href="#documento"' in html
    assert Application.query.count() == 0


def test_task_list_marks_sections(client, user):
    client.post("/domande/nuova", data={"titolo": "Patto"})
    application = Application.query.one()
    html = client.get(f"/domande/{application.id}").get_data(as_text=True)
    assert html.count("tag-da_completare") == 7
    client.post(f"/domande/{application.id}/partenariato", data={**VALID_PARTNER, "form_token": "t1"})
    html = client.get(f"/domande/{application.id}").get_data(as_text=True)
    assert 'class="tag tag-con_errori" id="stato-partenariato"' in html


def test_capofila_errors_keep_everything_typed(client, stored):
    typed = {"titolo": "Patto <nuovo> & \u00e0", "denominazione": "Ente \u00abprova\u00bb",
             "tipologia": "camera_commercio", "codice_fiscale": "80013870178", "sede_cap": "2512",
             "pec": "non-una-email", "sede_indirizzo": "Via Roma 1", "sede_comune": "Brescia", "sede_provincia": "BS",
             "legale_rappresentante_nome": ""}  # a browser sends every field, empty ones too
    response = client.post(f"/domande/{stored.id}/capofila", data=typed)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for field in ("codice_fiscale", "sede_cap", "pec", "legale_rappresentante_nome"):
        assert f'href="#{field}"' in html, field
        assert f'id="{field}-error"' in html, field
    assert 'value="Patto &lt;nuovo&gt; &amp; \u00e0"' in html
    assert 'value="80013870178"' in html and 'value="2512"' in html
    assert re.search(r'<input checked[^>]*value="camera_commercio"', html)
    db.session.refresh(stored)
    assert stored.titolo == "Patto per la meccanica bresciana"


def test_capofila_saves_and_goes_back_to_the_task_list(client, stored, valid_doc):
    c = valid_doc["capofila"]
    data = {"titolo": "Nuovo titolo", "denominazione": c["denominazione"], "tipologia": "associazione_datoriale",
            "codice_fiscale": "80013870177", "sede_indirizzo": "Via X 1", "sede_cap": "25121",
            "sede_comune": "Brescia", "sede_provincia": "BS", "pec": "a@pec.it", "legale_rappresentante_nome": "R",
            "legale_rappresentante_cognome": "S", "legale_rappresentante_codice_fiscale": "rssmra85t10a562s",
            "referente_nome": "G", "referente_cognome": "B", "referente_email": "g@b.it"}
    response = client.post(f"/domande/{stored.id}/capofila", data=data)
    assert response.status_code == 303 and response.headers["Location"] == f"/domande/{stored.id}"
    db.session.refresh(stored)
    assert stored.titolo == "Nuovo titolo" and stored.capofila.tipologia == "associazione_datoriale"
    assert stored.capofila.legale_rappresentante_codice_fiscale == "RSSMRA85T10A562S"


def test_partner_codice_fiscale_is_checked_as_typed(client, stored):
    response = client.post(f"/domande/{stored.id}/partenariato",
                           data={**VALID_PARTNER, "codice_fiscale": "00859790173", "form_token": "x"})
    assert response.status_code == 422
    assert 'id="codice_fiscale-error"' in response.get_data(as_text=True)


def test_adding_a_partner_with_htmx_returns_the_area_and_triggers_the_checklist(client, user):
    client.post("/domande/nuova", data={"titolo": "Patto"})
    application = Application.query.one()
    response = client.post(f"/domande/{application.id}/partenariato",
                           data={**VALID_PARTNER, "form_token": "tok-1"}, headers=HX)
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "domanda-cambiata"
    body = response.get_data(as_text=True).strip()
    assert body.startswith('<div id="partner_area"') and "Officine Rossi S.r.l." in body
    assert 'name="form_token"' in body and "tok-1" not in body  # a fresh token for the next partner
    assert application.partner[0].sede_provincia == "BS"
    panel = client.get(f"/domande/{application.id}/checklist", headers=HX).get_data(as_text=True)
    assert 'class="met" id="regola-categoria-imprese"' in panel
    assert 'class="unmet" id="regola-categoria-sindacati"' in panel


def test_a_double_submit_adds_one_partner(client, stored):
    before = len(stored.partner)
    data = {**VALID_PARTNER, "codice_fiscale": "02166180980", "denominazione": "Doppio clic", "form_token": "same"}
    first = client.post(f"/domande/{stored.id}/partenariato", data=data)
    second = client.post(f"/domande/{stored.id}/partenariato", data=data)
    assert first.status_code == second.status_code == 303
    assert Partner.query.filter_by(denominazione="Doppio clic").count() == 1
    assert Partner.query.count() == before + 1


def test_a_member_already_in_the_partnership_is_not_added_again(client, stored):
    before = Partner.query.count()
    for cf in ("00859790172", " 8001 3870 177"):  # a partner's, then the lead partner's (typed with spaces)
        response = client.post(f"/domande/{stored.id}/partenariato",
                               data={**VALID_PARTNER, "codice_fiscale": cf, "form_token": f"dup-{cf}"})
        assert response.status_code == 422
        assert 'id="codice_fiscale-error"' in response.get_data(as_text=True)
    assert Partner.query.count() == before


def test_edit_and_remove_a_partner(client, stored):
    partner = stored.partner[0]
    response = client.post(f"/domande/{stored.id}/partenariato/{partner.id}",
                           data={**VALID_PARTNER, "denominazione": "Rinominata"})
    assert response.status_code == 303
    assert db.session.get(Partner, partner.id).denominazione == "Rinominata"
    assert client.post(f"/domande/{stored.id}/partenariato/{partner.id}/rimuovi").status_code == 303
    assert db.session.get(Partner, partner.id) is None
    assert client.get(f"/domande/{stored.id}/partenariato/{partner.id}").status_code == 404


def test_territory_coherence_is_shown_inline_and_saved(client, stored):
    url = f"/domande/{stored.id}/territorio"
    check = client.post(url, data={"ambito": "provinciale", "province": ["BS", "MI"], "azione": "verifica"}, headers=HX)
    assert check.status_code == 200
    assert "inline-check-error" in check.get_data(as_text=True)
    db.session.refresh(stored)
    assert [p.sigla for p in stored.province] == ["BS"]  # checking does not save
    saved = client.post(url, data={"ambito": "interprovinciale", "province": ["BS", "MI"]})
    assert saved.status_code == 303
    db.session.refresh(stored)
    assert stored.territorio_ambito == "interprovinciale" and [p.sigla for p in stored.province] == ["BS", "MI"]


def test_sector_codes_are_added_from_the_search_without_javascript(client, stored):
    url = f"/domande/{stored.id}/settori/nuovo"
    found = client.post(url, data={"descrizione": "Meccanica", "q": "meccanica generale", "azione": "cerca",
                                   "form_token": "s1"})
    html = found.get_data(as_text=True)
    assert 'value="aggiungi:25.62"' in html and "Meccanica</textarea>" in html
    added = client.post(url, data={"descrizione": "Meccanica", "codici": "28.41", "azione": "aggiungi:25.62",
                                   "form_token": "s1"})
    assert 'value="28.41, 25.62"' in added.get_data(as_text=True)
    saved = client.post(url, data={"descrizione": "Meccanica", "codici": "28.41, 25.62", "azione": "salva",
                                   "form_token": "s1"})
    assert saved.status_code == 303
    db.session.refresh(stored)
    assert [a.codice for a in stored.settori[-1].ateco] == ["28.41", "25.62"]


def test_a_malformed_ateco_code_is_refused_and_echoed_escaped(client, stored):
    response = client.post(f"/domande/{stored.id}/settori/nuovo",
                           data={"descrizione": "X", "codici": "meccanica <b>x</b>", "azione": "salva",
                                 "form_token": "s2"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="codici-error"' in html
    assert "<B>X</B>" not in html and "&lt;B&gt;X&lt;/B&gt;" in html


def test_a_need_with_sources_added_one_more_at_a_time(client, stored):
    url = f"/domande/{stored.id}/fabbisogni/nuovo"
    base = {"titolo": "Saldatori", "descrizione": "Mancano saldatori.", "lacune_politiche_attive": "Nessun corso.",
            "fonti-0-titolo": "Indagine", "fonti-0-autore": "CCIAA", "fonti-0-anno": "2022", "form_token": "n1"}
    more = client.post(url, data={**base, "azione": "aggiungi-fonte"})
    assert more.status_code == 200
    html = more.get_data(as_text=True)
    assert 'name="fonti-1-titolo"' in html and 'value="Indagine"' in html
    incomplete = client.post(url, data={**base, "fonti-1-titolo": "Solo titolo", "azione": "salva"})
    assert incomplete.status_code == 422
    assert 'id="fonti-1-autore-error"' in incomplete.get_data(as_text=True)
    assert 'href="#fonti-1-autore"' in incomplete.get_data(as_text=True)
    saved = client.post(url, data={**base, "fonti-1-titolo": "", "azione": "salva"})
    assert saved.status_code == 303
    db.session.refresh(stored)
    need = stored.fabbisogni[-1]
    assert need.codice == "F2" and [s.titolo for s in need.fonti] == ["Indagine"]


def test_an_intervention_is_tied_to_needs_by_checkbox(client, stored):
    url = f"/domande/{stored.id}/interventi/nuovo"
    html = client.get(url).get_data(as_text=True)
    assert 'type="checkbox"' in html and 'value="F1"' in html
    response = client.post(url, data={"titolo": "Corso", "descrizione": "Un corso.", "fabbisogni": ["F1"],
                                      "form_token": "i1"})
    assert response.status_code == 303
    db.session.refresh(stored)
    assert [n.codice for n in stored.interventi[-1].fabbisogni] == ["F1"]


def test_summary_shows_every_section_with_change_links_and_downloads(client, stored, valid_doc):
    html = client.get(f"/domande/{stored.id}/riepilogo").get_data(as_text=True)
    for endpoint in ("capofila", "partenariato", "territorio", "settori", "fabbisogni", "interventi"):
        assert f'href="/domande/{stored.id}/{endpoint}"' in html
    for partner in valid_doc["partner"]:
        assert partner["denominazione"].replace("&", "&amp;") in html
    assert re.search(rf'href="/domande/{stored.id}/manifestazione.docx" hx-boost="false"', html)
    assert 'media="print"' in html


def test_csrf_is_refused_without_a_token(app, stored, user):
    app.config["WTF_CSRF_ENABLED"] = True
    app.test_client_class = FlaskLoginClient
    client = app.test_client(user=user)
    response = client.post(f"/domande/{stored.id}/capofila", data={"titolo": "Cambiato"})
    assert response.status_code == 303  # back to the form, nothing saved
    db.session.refresh(stored)
    assert stored.titolo == "Patto per la meccanica bresciana"
    assert client.post("/domande/nuova", data={"titolo": "x"}).status_code == 303
    assert Application.query.count() == 1


def test_a_post_after_the_session_expired_keeps_what_was_typed(app, stored, user):
    """The session is gone (no cookie): login, then back to the form with the typing restored."""
    app.config["WTF_CSRF_ENABLED"] = True
    visitor = app.test_client()
    url = f"/domande/{stored.id}/partenariato"
    typed = {**VALID_PARTNER, "denominazione": "Scritto prima della scadenza", "csrf_token": "stale"}
    response = visitor.post(url, data=typed, headers={"Origin": "http://localhost"})
    assert response.status_code == 303
    login = urlsplit(response.headers["Location"])
    assert login.path == "/accedi"
    next_url = parse_qs(login.query)["next"][0]
    assert next_url.startswith(f"{url}?ripristina=")
    assert PendingForm.query.count() == 1
    app.test_client_class = FlaskLoginClient
    back = app.test_client(user=user).get(next_url)
    html = back.get_data(as_text=True)
    assert 'value="Scritto prima della scadenza"' in html and re.search(r'<input checked[^>]*value="imprese"', html)
    assert PendingForm.query.count() == 0  # used once
    assert Partner.query.filter_by(denominazione="Scritto prima della scadenza").count() == 0  # not saved by itself


def test_a_cross_site_post_is_not_kept(app, stored):
    app.config["WTF_CSRF_ENABLED"] = True
    response = app.test_client().post(f"/domande/{stored.id}/partenariato", data={"denominazione": "Attacco"},
                                      headers={"Origin": "https://evil.example"})
    assert response.status_code == 303
    assert PendingForm.query.count() == 0


@pytest.mark.parametrize(
    ("path", "data", "model"),
    [
        ("settori/nuovo", {"descrizione": "Doppio", "azione": "salva"}, "Sector"),
        ("fabbisogni/nuovo", {"titolo": "Doppio", "descrizione": "d", "lacune_politiche_attive": "l",
                              "azione": "salva"}, "Need"),
        ("interventi/nuovo", {"titolo": "Doppio", "descrizione": "d"}, "Intervention"),
    ],
)
def test_a_double_submit_adds_one_row_in_every_list(client, stored, path, data, model):
    from patti_web import models

    table = getattr(models, model)
    before = table.query.count()
    for _click in range(2):
        response = client.post(f"/domande/{stored.id}/{path}", data={**data, "form_token": f"twice-{model}"})
        assert response.status_code == 303
    assert table.query.count() == before + 1
