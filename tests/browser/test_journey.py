"""The whole journey of a partnership in a real browser, with JavaScript on (htmx) and off (plain forms).

Register, create an application, fill every section, see the checklist go from unmet to met, and download the
manifestazione di interesse (DOCX), read back with python-docx.
"""

from __future__ import annotations

import html
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import docx
import pytest
from browser_support import create_application, follow, ngettext, path_of, register, t, unique_email
from playwright.sync_api import Page, Response, expect

TITOLO = "Patto per la meccanica bresciana & la sua filiera"


@dataclass(frozen=True)
class PartnerData:
    denominazione: str
    categoria: str
    codice_fiscale: str
    comune: str
    provincia: str
    referente_nome: str
    referente_cognome: str


# One partner per category: the 3 mandatory ones, then 3 further ones. Distinct, valid partite IVA.
PARTNERS = [
    PartnerData("Officine Meccaniche Bresciane S.p.A.", "imprese", "00859790172", "Brescia", "BS",
                "Anna", "Saccomanno"),
    PartnerData("Distretto del Commercio di Brescia & Franciacorta", "distretti_filiere", "00761890177",
                "Brescia", "BS", "Marco", "Saccheri"),
    PartnerData("CISL Brescia", "sindacati", "80016330179", "Brescia", "BS", "Elena", "Saccone"),
    PartnerData("Università degli Studi di Brescia", "universita_ricerca", "98007650173", "Brescia", "BS",
                "Luca", "Saccà"),
    PartnerData("Fondazione ITS Machina Lonati", "istruzione_formazione", "98156940177", "Brescia", "BS",
                "Sara", "Saccardo"),
    PartnerData("Ente Bilaterale dell'Artigianato Lombardo", "enti_bilaterali", "97185800154", "Milano", "MI",
                "Piero", "Sacchini"),
]

CAPOFILA = {
    "#denominazione": "Camera di Commercio di Brescia",
    "#codice_fiscale": "80013870177",
    "#sede_indirizzo": "Via Luigi Einaudi 23",
    "#sede_cap": "25121",
    "#sede_comune": "Brescia",
    "#pec": "cciaa.brescia@bs.legalmail.camcom.it",
    "#legale_rappresentante_nome": "Lucia",
    "#legale_rappresentante_cognome": "Saccardi",
    "#legale_rappresentante_codice_fiscale": "SCCLCU85T50A562T",
    "#referente_nome": "Paolo",
    "#referente_cognome": "Sacchetti",
    "#referente_email": "paolo.sacchetti@example.it",
    "#referente_telefono": "030 3725 1",
}

SECTIONS = ("capofila", "partenariato", "territorio", "settori", "fabbisogni", "interventi", "riepilogo")


def _journey_page(request: pytest.FixtureRequest, js: bool) -> Page:
    return request.getfixturevalue("page" if js else "nojs_page")


def _fill_partner(page: Page, partner: PartnerData) -> None:
    form = page.locator("#partner_area form")
    form.locator("#denominazione").fill(partner.denominazione)
    form.locator(f"input[name=categoria][value={partner.categoria}]").check()
    form.locator("#codice_fiscale").fill(partner.codice_fiscale)
    form.locator("#sede_comune").fill(partner.comune)
    form.locator("#sede_provincia").fill(partner.provincia)
    form.locator("#referente_nome").fill(partner.referente_nome)
    form.locator("#referente_cognome").fill(partner.referente_cognome)


def _partner_rows(page: Page):
    return page.locator("#partner_area table tbody tr")


def _add_partner_with_htmx(page: Page, partner: PartnerData, count: int) -> None:
    """JS on: the add form goes with hx-post; its answer swaps the partner area and, out of band, the checklist."""
    checklist = page.locator("#checklist")
    before = checklist.inner_text()
    url = page.url
    page.evaluate("() => { window.__marker = 1 }")
    _fill_partner(page, partner)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(f"{r.method} {r.url}"))

    def is_post(response: Response) -> bool:
        return response.request.method == "POST" and response.url.endswith("/partenariato")

    with page.expect_response(is_post) as post_info:
        page.locator("#partner_area form button[type=submit]").click()
    post = post_info.value
    assert post.status == 200
    headers = post.request.headers
    assert headers.get("hx-request") == "true" and "hx-boosted" not in headers, headers
    expect(_partner_rows(page)).to_have_count(count)
    expect(checklist).not_to_have_text(before)  # each partner of the journey meets one more rule
    # One request: the checklist came with the answer (no GET of /checklist), and no full navigation.
    assert [r for r in requests if r.startswith("GET") and "/checklist" in r] == []
    assert page.evaluate("() => window.__marker") == 1
    assert page.url == url


def _add_partner_plain(page: Page, partner: PartnerData, count: int) -> None:
    """JS off: a plain form POST, 303 back to the partnership page."""
    _fill_partner(page, partner)
    page.locator("#partner_area form button[type=submit]").click()
    expect(_partner_rows(page)).to_have_count(count)
    expect(page.locator(".flash-success")).to_contain_text(partner.denominazione)


def _docx_text(path: Path) -> tuple[str, set[str], str]:
    """Body paragraphs, table cells, and the raw XML of every part (headers and footers included)."""
    document = docx.Document(str(path))
    body = "\n".join(p.text for p in document.paragraphs)
    cells = {cell.text.strip() for table in document.tables for row in table.rows for cell in row.cells}
    with zipfile.ZipFile(path) as archive:
        xml = "".join(archive.read(name).decode("utf-8") for name in archive.namelist() if name.endswith(".xml"))
    return body, cells, xml


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_the_whole_journey_from_registration_to_the_document(request, live_app, js: bool, tmp_path: Path) -> None:
    page = _journey_page(request, js)
    checklist = page.locator("#checklist")

    # Register, confirm the address from the mail, log in: lands on "Le mie domande"; create the application: lands
    # on its task list.
    register(page, live_app, unique_email("percorso-js" if js else "percorso-nojs"), nome="Lucia Saccardi")
    app = create_application(page, TITOLO)
    for key in SECTIONS[:-1]:
        expect(page.locator(f"#stato-{key}")).to_have_class(re.compile(r"\btag-da_completare\b"))

    # Capofila: every field, valid.
    follow(page, page.locator(f".task-list a[href='{app}/capofila']"),
           page.locator("#legale_rappresentante_codice_fiscale"))
    expect(page.locator("#titolo")).to_have_value(TITOLO)
    for selector, value in CAPOFILA.items():
        page.locator(selector).fill(value)
    page.locator("input[name=tipologia][value=camera_commercio]").check()
    page.locator("#sede_provincia").select_option("BS")
    page.locator("form:has(#denominazione) button[type=submit]").click()
    expect(page.locator("#stato-capofila")).to_have_class(re.compile(r"\btag-completato\b"))
    expect(page).to_have_url(re.compile(re.escape(app) + "$"))

    # Partenariato: six partners, one per category; the checklist goes from unmet to met.
    follow(page, page.locator(f".task-list a[href='{app}/partenariato']"), page.locator("#partner_area form"))
    expect(checklist.locator("li.unmet").first).to_be_visible()
    for n, partner in enumerate(PARTNERS, start=1):
        if js:
            _add_partner_with_htmx(page, partner, n)
        else:
            _add_partner_plain(page, partner, n)
        if n == 2:
            expect(checklist).to_contain_text("✗")
            expect(checklist.locator("li.unmet").first).to_be_visible()
            expect(checklist.locator("#regola-categoria-sindacati")).to_have_class("unmet")
            expect(checklist.locator("#regola-categorie-ulteriori")).to_have_class("unmet")
    for key in ("capofila", "categoria-imprese", "categoria-distretti_filiere", "categoria-sindacati",
                "categorie-ulteriori", "soggetti"):
        expect(checklist.locator(f"#regola-{key}")).to_have_class("met")
    follow(page, page.locator(f"nav.breadcrumbs a[href='{app}']"), page.locator("#stato-capofila"))
    expect(page.locator("#stato-partenariato")).to_have_class(re.compile(r"\btag-completato\b"))

    # Territorio: provincial scope, Brescia.
    follow(page, page.locator(f".task-list a[href='{app}/territorio']"), page.locator("#coerenza"))
    page.locator("input[name=ambito][value=provinciale]").check()
    page.locator("input[name=province][value=BS]").check()
    if js:  # each change is checked on the spot (hx-post, azione=verifica)
        expect(page.locator("#coerenza .inline-check-ok")).to_be_visible()
    page.locator("form:has(#coerenza) button[type=submit]:not([name])").click()
    expect(page.locator("#stato-territorio")).to_have_class(re.compile(r"\btag-completato\b"))

    # Settori: one sector, ATECO 25.62 found with the search box.
    follow(page, page.locator(f".task-list a[href='{app}/settori']"), page.locator(f"a[href='{app}/settori/nuovo']"))
    follow(page, page.locator(f"a[href='{app}/settori/nuovo']"), page.locator("#ateco"))
    page.locator("#descrizione").fill("Meccanica e meccatronica: lavorazioni meccaniche di precisione")
    results = page.locator("#ateco_risultati")
    add_code = results.locator("button[name=azione][value='aggiungi:25.62']")
    if js:  # suggestions as you type (hx-get, delay 400 ms)
        page.locator("#q").press_sequentially("meccanica generale")
    else:
        page.locator("#q").fill("meccanica generale")
        page.locator("button[name=azione][value=cerca]").click()
    expect(add_code).to_be_visible()
    add_code.click()
    expect(page.locator("#ateco")).to_have_value("25.62")
    expect(page.locator("#descrizione")).to_have_value(re.compile("^Meccanica e meccatronica"))
    page.locator("button.button[name=azione][value=salva]").click()
    expect(page.locator(f"a[href^='{app}/settori/'][href$='/rimuovi']")).to_have_count(1)
    expect(page.locator("main")).to_contain_text("25.62")

    # Fabbisogni: one need, one source; a second (empty) source block is added and left empty.
    follow(page, page.locator(f"nav.breadcrumbs a[href='{app}']"), page.locator("#stato-capofila"))
    expect(page.locator("#stato-settori")).to_have_class(re.compile(r"\btag-completato\b"))
    follow(page, page.locator(f".task-list a[href='{app}/fabbisogni']"),
           page.locator(f"a[href='{app}/fabbisogni/nuovo']"))
    follow(page, page.locator(f"a[href='{app}/fabbisogni/nuovo']"), page.locator("#lacune_politiche_attive"))
    page.locator("#titolo").fill("Tecnici di manutenzione predittiva")
    page.locator("#descrizione").fill("Le imprese meccaniche bresciane non trovano tecnici di manutenzione.")
    page.locator("#lacune_politiche_attive").fill("I corsi esistenti non coprono la sensoristica industriale.")
    page.locator("#fonti-0-titolo").fill("Indagine Excelsior sui fabbisogni professionali")
    page.locator("#fonti-0-autore").fill("Unioncamere")
    page.locator("#fonti-0-anno").fill("2022")
    expect(page.locator("fieldset#fonti-1")).to_have_count(0)
    page.locator("button[name=azione][value=aggiungi-fonte]").click()
    expect(page.locator("fieldset#fonti-1")).to_be_visible()
    expect(page.locator("#fonti-1-titolo")).to_have_value("")
    expect(page.locator("#fonti-0-titolo")).to_have_value("Indagine Excelsior sui fabbisogni professionali")
    expect(page.locator("#fonti-0-anno")).to_have_value("2022")
    page.locator("button.button[name=azione][value=salva]").click()
    expect(page.locator(f"a[href^='{app}/fabbisogni/'][href$='/rimuovi']")).to_have_count(1)
    expect(page.locator("main")).to_contain_text(ngettext("%(num)s source", "%(num)s sources", 1))

    # Interventi: one intervention tied to the need F1.
    follow(page, page.locator(f"nav.breadcrumbs a[href='{app}']"), page.locator("#stato-capofila"))
    follow(page, page.locator(f".task-list a[href='{app}/interventi']"),
           page.locator(f"a[href='{app}/interventi/nuovo']"))
    follow(page, page.locator(f"a[href='{app}/interventi/nuovo']"), page.locator("#destinatari"))
    page.locator("#titolo").fill("Percorso ITS in manutenzione 4.0")
    page.locator("#descrizione").fill("Un percorso biennale con stage nelle imprese del partenariato.")
    page.locator("#destinatari").fill("Giovani diplomati e lavoratori da riqualificare")
    page.locator("input[name=fabbisogni][value=F1]").check()
    page.locator("form:has(#destinatari) button[type=submit]").click()
    expect(page.locator(f"a[href^='{app}/interventi/'][href$='/rimuovi']")).to_have_count(1)

    # Task list: every section completed, every rule met.
    follow(page, page.locator(f"nav.breadcrumbs a[href='{app}']"), page.locator("#stato-capofila"))
    for key in SECTIONS:
        expect(page.locator(f"#stato-{key}")).to_have_class(re.compile(r"\btag-completato\b"))
    expect(checklist.locator("li")).not_to_have_count(0)
    expect(checklist.locator("li.unmet")).to_have_count(0)

    # Riepilogo: the partners are listed; the DOCX is final (no BOZZA) and holds what was typed.
    follow(page, page.locator(f".task-list a[href='{app}/riepilogo']"),
           page.locator(f"a[href='{app}/manifestazione.docx']"))
    assert path_of(page) == f"{app}/riepilogo"
    for partner in PARTNERS:
        expect(page.get_by_role("cell", name=partner.denominazione, exact=True)).to_be_visible()
    with page.expect_download() as download_info:
        page.locator(f"a[href='{app}/manifestazione.docx']").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".docx")
    target = tmp_path / download.suggested_filename
    download.save_as(target)

    body, cells, xml = _docx_text(target)
    assert TITOLO in body
    assert "Camera di Commercio di Brescia" in body
    assert "Lucia Saccardi" in body and "Sacchetti" in body
    assert "SCCLCU85T50A562T" in body
    for partner in PARTNERS:
        assert partner.denominazione in cells, partner.denominazione
        assert partner.codice_fiscale in cells
        assert any(partner.referente_cognome in cell for cell in cells), partner.referente_cognome
    assert "25.62" in cells
    assert "Tecnici di manutenzione predittiva" in body
    assert "Percorso ITS in manutenzione 4.0" in body
    assert "BOZZA" not in xml.upper()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_a_double_submission_of_the_add_partner_form_adds_one_partner(request, live_app, js: bool) -> None:
    page = _journey_page(request, js)
    register(page, live_app, unique_email("doppio-js" if js else "doppio-nojs"))
    app = create_application(page, "Patto del doppio clic")
    follow(page, page.locator(f".task-list a[href='{app}/partenariato']"), page.locator("#partner_area form"))
    _fill_partner(page, PARTNERS[0])
    submit = page.locator("#partner_area form button[type=submit]")
    posts = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" else None)

    if js:
        submit.dblclick()
        expect(_partner_rows(page)).to_have_count(1)
    else:
        submit.click()
        expect(_partner_rows(page)).to_have_count(1)
        # 1. Back, and submit the form again. Playwright's Chromium has no back-forward cache: the page is fetched
        # again with a fresh one-time token and Chromium restores the typed fields, so the partner's codice fiscale
        # says it is already in the partnership instead of a copy being added.
        page.go_back()
        expect(page.locator("#partner_area form #denominazione")).to_have_value(PARTNERS[0].denominazione)
        page.locator("#partner_area form button[type=submit]").click()
        expect(page.locator("#partner_area #riepilogo-errori, #messaggi .flash-info").first).to_be_visible()
        expect(page.locator("#partner_area form #codice_fiscale")).to_have_value(PARTNERS[0].codice_fiscale)
        expect(_partner_rows(page)).to_have_count(1)
        # 2. The very same form once more: replay the browser's first POST byte for byte (same token, cookies).
        first = posts[0]
        assert first.url.endswith(f"{app}/partenariato")
        again = page.request.post(first.url, data=first.post_data_buffer,
                                  headers={"content-type": first.headers["content-type"]})
        assert again.ok and again.url.endswith(f"{app}/partenariato"), again.url
        assert t("This form had already added an item: nothing was added again.") in html.unescape(again.text())
        again.dispose()

    for post in posts:  # every POST that left has been answered before we look at the stored state
        assert post.response() is not None
    page.goto(f"{app}/partenariato")
    expect(_partner_rows(page)).to_have_count(1)

