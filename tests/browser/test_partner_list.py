"""A long partner list in a real browser, JavaScript on and off: the add form is a few Tabs from the top of the page
(a link past the list), the list filters by name and category (as one types with JavaScript, with the filter's
button without), after an add focus and scroll stay at the form, where what was added is said, and a spreadsheet
loads all its partners or lists its errors (real CSRF, a real file input)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from browser_support import PASSWORD, login, ngettext, t, unique_email
from openpyxl import Workbook
from playwright.sync_api import Page, expect

TESTS = Path(__file__).resolve().parent.parent
MAX_TABS = 10
# Eleven more partners for the valid sample's six: 17, the size at which the page had become hard to work with.
MORE = [("CISL Lecco", "sindacati"), ("CGIL Brescia", "sindacati"), ("UIL Lombardia", "sindacati"),
        ("Comune di Lumezzane", "reti_enti_locali"), ("Fondimpresa", "fondi_interprofessionali"),
        ("Ente Bilaterale Artigianato", "enti_bilaterali"), ("Ordine degli Ingegneri", "ordini_professionali"),
        ("Banca di Credito Cooperativo", "istituti_credito"), ("Fondazione Comunità Bresciana", "fondazioni_bancarie"),
        ("Politecnico di Milano", "universita_ricerca"), ("Cooperativa Sociale Il Ponte", "terzo_settore")]


@pytest.fixture
def seventeen(live_app):
    """A user with an application of 17 partners: (email, path of its partner page)."""
    from patti_web import domande
    from patti_web.avviso import domanda as doc
    from patti_web.avviso.domanda import read_document
    from patti_web.extensions import db
    from patti_web.persone import accounts

    email = unique_email("partner")
    with live_app.app_context():
        user = accounts.register_user(email, "Giulia Bianchi", PASSWORD, confirmed=True)
        document = json.loads((TESTS / "data" / "valida.json").read_text(encoding="utf-8"))
        head = domande.import_domanda(read_document(json.dumps(document)), user)
        for name, category in MORE:
            domande.add_item(head.id, user, "partenariato", doc.Partner(denominazione=name, categoria=category))
        assert len(domande.load(head.id, user).domanda.partner) == 17
        found = (email, f"/domande/{head.id}/partenariato")
        db.session.remove()
    return found


def _page(request, js: bool) -> Page:
    return request.getfixturevalue("page" if js else "nojs_page")


def _focused(page: Page) -> str:
    return page.evaluate("() => document.activeElement ? (document.activeElement.id || "
                         "document.activeElement.getAttribute('href') || document.activeElement.tagName) : ''")


def _tab_until(page: Page, wanted: str, most: int) -> int:
    for tabs in range(1, most + 1):
        page.keyboard.press("Tab")
        if _focused(page) == wanted:
            return tabs
    raise AssertionError(f"{wanted} not reached in {most} Tabs (focus on {_focused(page)})")


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_the_name_of_a_new_partner_is_a_few_tabs_from_the_top_at_17_partners(request, seventeen, js):
    page = _page(request, js)
    email, partners = seventeen
    login(page, email)
    page.goto(partners)
    expect(page.locator("#partner_area tbody tr")).to_have_count(17)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    to_link = _tab_until(page, "#aggiungi", MAX_TABS)  # the first Tab goes from the top of the document
    expect(page.locator("a[href='#aggiungi']")).to_have_text(t("Add a partner"))
    page.keyboard.press("Enter")
    expect(page.locator("#aggiungi")).to_be_focused()
    to_field = _tab_until(page, "denominazione", MAX_TABS)
    assert to_link + to_field <= MAX_TABS, (to_link, to_field)
    expect(page.locator("#denominazione")).to_be_in_viewport()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_after_an_add_focus_and_scroll_stay_at_the_form(request, seventeen, js):
    page = _page(request, js)
    email, partners = seventeen
    login(page, email)
    page.goto(partners)
    page.locator("#denominazione").fill("Confartigianato Lecco")
    page.locator("input[name=categoria][value=imprese]").check()
    page.locator("#partner_area form button[type=submit]").click()
    status = page.locator("#esito-aggiunta[role=status]")
    expect(status).to_contain_text("Confartigianato Lecco")
    expect(page.locator("#partner_area tbody tr")).to_have_count(18)
    expect(page.locator("#messaggi")).to_be_empty()  # not at the top of the page, 6,000 px away
    expect(status).to_be_in_viewport()
    expect(page.locator("#denominazione")).to_be_in_viewport()
    expect(page.locator("#denominazione")).to_have_value("")  # ready for the next one
    assert page.evaluate("() => window.scrollY") > 1000  # still down at the form, not back at the top
    if js:
        expect(status).to_be_focused()  # htmx honours its autofocus: read at once, and the next Tab is the name
    else:
        assert page.url.endswith(f"{partners}#aggiungi")  # the redirect lands at the form
        expect(page.locator("#aggiungi")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#denominazione")).to_be_focused()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_after_a_refused_add_errors_are_beside_the_form_and_nothing_typed_is_lost(request, seventeen, js):
    page = _page(request, js)
    email, partners = seventeen
    login(page, email)
    page.goto(partners)
    page.locator("#denominazione").fill("Artigiani Uniti")
    page.locator("#codice_fiscale").fill("123")
    page.locator("#partner_area form button[type=submit]").click()
    summary = page.locator("#partner_area #riepilogo-errori")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(page.locator("#codice_fiscale-error")).to_be_visible()
    expect(page.locator("#denominazione")).to_have_value("Artigiani Uniti")
    expect(page.locator("#codice_fiscale")).to_have_value("123")
    assert page.evaluate("() => document.getElementById('riepilogo-errori').getBoundingClientRect().top"
                         " - document.getElementById('aggiungi').getBoundingClientRect().top") < 200
    expect(page.locator("#partner_area tbody tr")).to_have_count(17)


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_the_list_filters_by_name_and_category_and_the_filter_is_in_the_address(request, seventeen, js):
    page = _page(request, js)
    email, partners = seventeen
    login(page, email)
    page.goto(partners)
    rows = page.locator("#partner_area tbody tr")
    box = page.locator("#filtro-nome")
    if js:  # as one types: only the list comes back, focus stays in the box
        box.press_sequentially("lecco")
        expect(rows).to_have_count(1)
        expect(box).to_be_focused()
        expect(page).to_have_url(re.compile(r"\?nome=lecco(&categoria=)?$"))
    else:
        box.fill("lecco")
        box.press("Enter")
        expect(rows).to_have_count(1)
        expect(page).to_have_url(re.compile(r"\?nome=lecco(&categoria=)?$"))
    expect(rows.first).to_contain_text("CISL Lecco")
    expect(page.locator("#esito-filtro")).to_have_text(
        ngettext("%(num)s partner of %(total)s matches the filter.", "%(num)s partners of %(total)s match the filter.",
                 1, total=17))

    box.fill("")
    if not js:
        box.press("Enter")
    page.locator("#filtro-categoria").select_option("sindacati")
    if not js:
        page.locator("form[role=search] button[type=submit]").click()
    expect(rows).to_have_count(4)  # the sample's trade union and the three added
    expect(page).to_have_url(re.compile(r"categoria=sindacati"))
    page.reload()  # the address keeps the filter
    expect(rows).to_have_count(4)
    expect(page.locator("#filtro-categoria")).to_have_value("sindacati")


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_a_spreadsheet_loads_all_its_partners_or_lists_its_errors(request, seventeen, js, tmp_path):
    page = _page(request, js)
    email, partners = seventeen
    login(page, email)
    broken = tmp_path / "partner.csv"
    broken.write_bytes("Denominazione del partner;Categoria;CAP\nConfcommercio Lecco;Imprese;2390\n"
                       "=A2;Imprese;23900\n".encode("cp1252"))
    page.goto(f"{partners}#importa")
    page.locator("#foglio").set_input_files(str(broken))
    page.locator(f"form[action='{partners}/importa'] button[type=submit]").click()
    expect(page.locator(".import-errors li")).to_have_count(2)
    expect(page.locator(".import-errors li").first).to_contain_text(
        t("Row %(row)s, column \u201c%(column)s\u201d: %(problem)s", row=2, column="CAP", problem=""))
    expect(page.locator(".import-partners #riepilogo-errori")).to_be_focused()
    expect(page.locator("#partner_area tbody tr")).to_have_count(17)  # nothing half-loaded

    good = tmp_path / "partner.xlsx"
    workbook = Workbook()
    workbook.active.append(["Denominazione del partner", "Categoria", "CAP"])
    workbook.active.append(["Confcommercio Lecco", "Imprese", "23900"])
    workbook.active.append(["Comune di Merate", "Reti di enti locali", "23807"])
    workbook.save(good)
    page.locator("#foglio").set_input_files(str(good))
    page.locator(f"form[action='{partners}/importa'] button[type=submit]").click()
    expect(page.locator("#messaggi")).to_contain_text(
        ngettext("%(num)s partner loaded from the file.", "%(num)s partners loaded from the file.", 2))
    expect(page.locator("#partner_area tbody tr")).to_have_count(19)
