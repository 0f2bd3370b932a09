"""Filling it in on any device, with the test client: Enter does what the user means, every error names its field and
says what to do in Italian, truthful optional labels, real provinces, no future years, checked links, the partita
IVA's "IT", the window's state, compressed pages and fingerprinted static files, the favicon."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import brotli
import pytest
from helpers import document_of

from patti_web.i18n import gettext as _

HX = {"HX-Request": "true"}


@pytest.fixture
def client(auth_client):
    return auth_client


def html_of(response) -> str:
    return response.get_data(as_text=True)


def summary_links(response) -> list[tuple[str, str]]:
    """(target id, text) of each link of the error summary."""
    box = re.search(r'<div class="error-summary".*?</div>', html_of(response), re.S)
    assert box, "no error summary"
    return [(href, unescape(re.sub(r"<[^>]+>", "", text)).strip())
            for href, text in re.findall(r'<a href="#([^"]+)"[^>]*>(.*?)</a>', box.group(0), re.S)]


def labels_of(html: str) -> dict[str, str]:
    """Each form control's id and the text of its label (or its group's legend)."""
    found = {for_: unescape(re.sub(r"<[^>]+>", "", text)).strip()
             for for_, text in re.findall(r'<label[^>]*for="([^"]+)"[^>]*>(.*?)</label>', html, re.S)}
    for fieldset in re.findall(r"<fieldset.*?</fieldset>", html, re.S):  # a group of radios or checkboxes
        legend = re.search(r"<legend[^>]*>(.*?)</legend>", fieldset, re.S)
        first = re.search(r'<input[^>]*id="([^"]+)"', fieldset)
        if legend and first:
            found[first.group(1)] = unescape(re.sub(r"<[^>]+>", "", legend.group(1))).strip()
    return found


def first_button(html: str) -> str:
    """The first submit button of the page's main form: the one Enter presses."""
    return re.search(r'<form method="post" novalidate>.*?(<button[^>]*>)', html, re.S).group(1)


def assert_every_error_names_its_field(response):
    html = html_of(response)
    links = summary_links(response)
    assert links
    labels = labels_of(html)
    for target, text in links:
        assert f'id="{target}"' in html, f"the link to #{target} leads nowhere"
        label = re.sub(r"\s*\((facoltativo|optional)\)$", "", labels[target])
        assert text.startswith(label.rstrip("*").strip() + ":"), (text, label)
        what_to_do = text.split(":", 1)[1].strip()
        assert what_to_do and what_to_do != _("This field is required."), text
    messages = [t for _, t in links]
    assert len(set(messages)) == len(messages), "two errors read alike"
    english = re.search(r"Expecting value|is not a valid|Not a valid|This field|Invalid", html)
    assert not english, "English reached the page"


# Enter does what the user means -----------------------------------------------------------------------------------


def test_enter_in_the_search_box_searches_and_removes_no_code(client, stored):
    sector = document_of(stored.id).settori[0]
    before = list(sector.ateco)
    page = html_of(client.get(f"/domande/{stored.id}/settori/{sector.id}"))
    assert 'value="invio"' in first_button(page)  # what Enter presses, before any "Remove"
    response = client.post(f"/domande/{stored.id}/settori/{sector.id}", data={
        "descrizione": sector.descrizione, "ateco": ", ".join(before), "q": "ristorazione", "azione": "invio",
        "versione": "1"})
    assert response.status_code == 200
    assert "56.10" in html_of(response) and document_of(stored.id).settori[0].ateco == before
    assert all(f"<strong>{code}</strong>" in html_of(response) for code in before)


def test_enter_elsewhere_in_the_sector_form_saves(client, stored):
    sector = document_of(stored.id).settori[0]
    response = client.post(f"/domande/{stored.id}/settori/{sector.id}", data={
        "descrizione": "Meccanica di precisione", "ateco": "25.62", "q": "", "azione": "invio", "versione": "1"})
    assert response.status_code == 303
    assert document_of(stored.id).settori[0].descrizione == "Meccanica di precisione"


def test_enter_in_a_need_title_saves_and_adds_no_source(client, stored):
    page = html_of(client.get(f"/domande/{stored.id}/fabbisogni/nuovo", follow_redirects=True))
    assert 'value="salva"' in first_button(page)
    before = len(document_of(stored.id).fabbisogni)
    response = client.post(f"/domande/{stored.id}/fabbisogni/nuovo", data={
        "titolo": "Saldatori", "azione": "salva", "form_token": "enter-1", "versione": "1"})
    assert response.status_code == 303
    needs = document_of(stored.id).fabbisogni
    assert len(needs) == before + 1 and needs[-1].titolo == "Saldatori" and needs[-1].fonti == []


def test_search_results_are_counted_and_offer_more_instead_of_a_silent_cut(client, stored):
    response = client.get("/domande/ateco?q=commercio+al+dettaglio", headers=HX)
    html = html_of(response)
    assert re.search(r"\d+ codici ATECO trovati", html) and "Sono mostrati i primi" in html
    assert "Mostra altri" in html and "pagina=2" in html
    more = html_of(client.get("/domande/ateco?q=commercio+al+dettaglio&pagina=2", headers=HX))
    assert more.count('class="ateco-code"') > html.count('class="ateco-code"') or more.count("<li") > html.count("<li")
    nothing = html_of(client.get("/domande/ateco?q=zzzzqqq", headers=HX))
    assert "Nessun codice ATECO corrisponde a “zzzzqqq”" in nothing


# Errors name their field ------------------------------------------------------------------------------------------


def test_every_error_of_the_capofila_names_its_field(client, stored):
    response = client.post(f"/domande/{stored.id}/capofila", data={
        "denominazione": "x" * 400, "codice_fiscale": "123", "pec": "posta", "sede_cap": "1", "sede_provincia": "ZZ",
        "tipologia": "nessuna", "versione": "1"})
    assert response.status_code == 422
    assert_every_error_names_its_field(response)
    assert 'value="posta"' in html_of(response)  # what was typed stays


def test_every_error_of_a_partner_names_its_field(client, stored):
    response = client.post(f"/domande/{stored.id}/partenariato", data={
        "denominazione": "Officine", "categoria": "banche_del_tempo", "codice_fiscale": "IT0123",
        "sede_provincia": "ZZ", "form_token": "p-err"})
    assert response.status_code == 422
    assert_every_error_names_its_field(response)


def test_every_error_of_a_need_names_its_field_with_its_source(client, stored):
    response = client.post(f"/domande/{stored.id}/fabbisogni/nuovo", data={
        "titolo": "Saldatori", "fonti-0-titolo": "Indagine", "fonti-0-anno": "2031", "fonti-0-url": "www.esempio",
        "fonti-1-anno": "venti", "azione": "salva", "form_token": "n-err", "versione": "1"})
    assert response.status_code == 422
    assert_every_error_names_its_field(response)
    texts = [t for _, t in summary_links(response)]
    assert any("2031" not in t and "1900" in t for t in texts)  # says which years are accepted


def test_an_unknown_choice_is_refused_in_italian_naming_the_field(client, stored):
    response = client.post(f"/domande/{stored.id}/interventi/nuovo", data={
        "titolo": "Corso", "fabbisogni": ["F8"], "form_token": "i-err", "versione": "1"})
    assert response.status_code == 422
    assert_every_error_names_its_field(response)


def test_a_malformed_json_file_gets_an_italian_message_not_pythons(client):
    from io import BytesIO

    response = client.post("/domande/importa", data={"file": (BytesIO(b"{not json"), "domanda.json")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    html = html_of(response)
    assert "Expecting" not in html and "line 1 column" not in html
    assert summary_links(response)[0][0] == "documento"


def test_the_checklist_counts_in_italian_plurals(client, store, user):
    client.post("/domande/nuova", data={"titolo": "Patto"})
    from patti_web import domande

    head = domande.list_domande(user)[0]
    html = html_of(client.get(f"/domande/{head.id}/checklist", headers=HX))
    count = re.search(r"(\d+) (regola rispettata|regole rispettate) su (\d+)", html)
    assert count and (count.group(2) == "regola rispettata") == (count.group(1) == "1")


# Truthful labels and checked values -------------------------------------------------------------------------------


def test_optional_labels_are_only_on_optional_fields(client, stored):
    html = html_of(client.get(f"/domande/{stored.id}/fabbisogni/nuovo", follow_redirects=True))
    for field in ("autore", "anno"):
        label = re.search(rf'<label[^>]*for="fonti-0-{field}"[^>]*>(.*?)</label>', html, re.S).group(1)
        assert "facoltativo" not in label  # a source is named by its title, author and year
    assert "facoltativo" in re.search(r'<label[^>]*for="fonti-0-url"[^>]*>(.*?)</label>', html, re.S).group(1)


@pytest.mark.parametrize(("typed", "stored_as"), [("IT02166180980", "02166180980"), ("it 02166180980", "02166180980")])
def test_a_partita_iva_with_its_country_prefix_is_accepted_and_stored_without_it(client, stored, typed, stored_as):
    response = client.post(f"/domande/{stored.id}/partenariato", data={
        "denominazione": "Officine Rossi S.r.l.", "categoria": "imprese", "codice_fiscale": typed,
        "sede_comune": "Lumezzane", "sede_provincia": "bs", "form_token": f"it-{typed}"})
    assert response.status_code == 303
    assert document_of(stored.id).partner[-1].codice_fiscale == stored_as


def test_a_province_that_does_not_exist_is_refused_and_a_real_one_kept(client, stored):
    data = {"denominazione": "Officine", "categoria": "imprese", "form_token": "prov"}
    refused = client.post(f"/domande/{stored.id}/partenariato", data={**data, "sede_provincia": "ZZ"})
    assert refused.status_code == 422 and 'value="ZZ"' in html_of(refused)
    assert client.post(f"/domande/{stored.id}/partenariato", data={**data, "sede_provincia": "mb"}).status_code == 303
    assert document_of(stored.id).partner[-1].sede.provincia == "MB"


def test_a_link_without_its_scheme_is_completed_and_a_broken_one_refused(client, stored, app):
    ok = client.post(f"/domande/{stored.id}/fabbisogni/nuovo", data={
        "titolo": "Saldatori", "fonti-0-titolo": "Indagine", "fonti-0-autore": "CCIAA", "fonti-0-anno": "2022",
        "fonti-0-url": "www.esempio.it/studio.pdf", "azione": "salva", "form_token": "url-ok", "versione": "1"})
    assert ok.status_code == 303
    assert document_of(stored.id).fabbisogni[-1].fonti[0].url == "https://www.esempio.it/studio.pdf"
    for url in ("www.esempio", "esempio", "https://esempio", "http://www.esempio.1", "ftp://esempio.it", "https://[x"):
        refused = client.post(f"/domande/{stored.id}/fabbisogni/nuovo", data={
            "titolo": "Saldatori", "fonti-0-titolo": "Indagine", "fonti-0-url": url, "azione": "salva",
            "form_token": f"url-{url}", "versione": "1"})
        assert refused.status_code == 422, url


def test_a_year_that_has_not_come_is_refused(client, stored, app):
    app.config["PATTI_OGGI"] = date(2026, 11, 25)
    data = {"titolo": "Saldatori", "fonti-0-titolo": "Indagine", "azione": "salva", "versione": "1"}
    assert client.post(f"/domande/{stored.id}/fabbisogni/nuovo",
                       data={**data, "fonti-0-anno": "2027", "form_token": "y1"}).status_code == 422
    assert client.post(f"/domande/{stored.id}/fabbisogni/nuovo",
                       data={**data, "fonti-0-anno": "2026", "form_token": "y2"}).status_code == 303


# The window -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("today", "expected"), [
    (date(2023, 1, 10), "Non ancora aperto. Le domande si possono presentare dal 16 gennaio 2023 al 28 febbraio 2023: "
                        "la finestra si apre tra 6 giorni."),
    (date(2023, 1, 16), "Aperto. Le domande si possono presentare fino al 28 febbraio 2023: restano 44 giorni, oggi "
                        "compreso."),
    (date(2023, 2, 28), "Aperto. Le domande si possono presentare fino al 28 febbraio 2023: resta 1 giorno, oggi "
                        "compreso."),
    (date(2026, 11, 25), "Chiuso. Le domande si potevano presentare dal 16 gennaio 2023 al 28 febbraio 2023; la "
                         "finestra si è chiusa il 28 febbraio 2023."),
])
def test_the_window_state_is_said_on_home_call_page_and_task_list(client, stored, app, today, expected):
    app.config["PATTI_OGGI"] = today
    for url in ("/", "/avviso", f"/domande/{stored.id}"):
        html = html_of(client.get(url))
        text = " ".join(unescape(re.sub(r"<[^>]+>", " ", re.search(r'<p class="window[^>]*>(.*?)</p>', html,
                                                                            re.S).group(1))).split())
        assert text.startswith(expected), (url, text)


def test_the_window_state_without_a_configured_day_is_today_in_rome(client, app):
    app.config["PATTI_OGGI"] = None
    assert "window-chiusa" in html_of(client.get("/"))  # the 2023 window, seen from 2026 or later


# Slow links -------------------------------------------------------------------------------------------------------


def test_pages_are_sent_compressed_to_who_accepts_it(client, stored):
    plain = client.get(f"/domande/{stored.id}/riepilogo")
    squeezed = client.get(f"/domande/{stored.id}/riepilogo", headers={"Accept-Encoding": "br, gzip"})
    assert squeezed.headers["Content-Encoding"] == "br" and "Accept-Encoding" in squeezed.headers["Vary"]
    assert brotli.decompress(squeezed.data) == plain.data and len(squeezed.data) < len(plain.data) / 3
    assert "Content-Encoding" not in plain.headers


def test_static_files_have_hashed_names_cached_for_a_year(client):
    html = html_of(client.get("/"))
    css = re.search(r'href="(/static/patti\.[0-9a-f]{10}\.css)"', html).group(1)
    response = client.get(css, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
    assert "immutable" in response.headers["Cache-Control"] and "max-age=31536000" in response.headers["Cache-Control"]
    again = client.get(css, headers={"Accept-Encoding": "gzip", "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    plain_name = client.get("/static/patti.css")
    assert plain_name.status_code == 200 and "no-cache" in plain_name.headers["Cache-Control"]
    assert client.get("/static/patti.0000000000.css").status_code == 404


def test_the_favicon_is_there(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
    assert 'rel="icon"' in html_of(client.get("/"))
