"""Filling it in on any device, in Chromium with JavaScript on and off, at 1280 and 360 px (under the portal's own CSP,
so waits use Playwright's locators, not evaluated strings): Enter does what the user
means, focus goes to the error summary after a failed save and to the new status after an htmx swap, the summary's
links move focus to their field, the focus ring stands out, and no page scrolls sideways on a phone."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from browser_support import PASSWORD, logged_in_storage, unique_email
from flask import Flask
from playwright.sync_api import Page, expect

TESTS = Path(__file__).resolve().parent.parent
WIDTHS = {"1280": {"width": 1280, "height": 900}, "360": {"width": 360, "height": 740}}


@dataclass(frozen=True)
class Filled:
    email: str
    app: str  # "/domande/3"
    application_id: int
    partner_id: str
    sector_id: str
    need_id: str
    intervention_id: str


@pytest.fixture(scope="module")
def filled(live_app: Flask) -> Filled:
    """A user with the valid sample, plus partners up to 30 (a long table), made with the app's domande."""
    from patti_web import domande
    from patti_web.avviso.domanda import read_document
    from patti_web.extensions import db
    from patti_web.persone import accounts

    doc = copy.deepcopy(json.loads((TESTS / "data" / "valida.json").read_text(encoding="utf-8")))
    email = unique_email("device")
    with live_app.app_context():
        user = accounts.register_user(email, "Giulia Bianchi", PASSWORD, confirmed=True)
        head = domande.import_domanda(read_document(json.dumps(doc)), user)
        d = domande.load(head.id, user).domanda
        made = Filled(email, f"/domande/{head.id}", head.id, d.partner[0].id, d.settori[0].id, d.fabbisogni[0].id,
                      d.interventi[0].id)
        db.session.remove()
    return made


def _document(live_app: Flask, application_id: int):
    from patti_web import domande
    from patti_web.extensions import db

    with live_app.app_context():
        d = domande.load(application_id, None).domanda
        db.session.remove()
    return d


@pytest.fixture(scope="module")
def logged_in_state(browser, browser_context_args: dict, filled: Filled) -> dict:
    """The cookies of a session logged in through the form, once for the module."""
    return logged_in_storage(browser, browser_context_args, filled.email)


@pytest.fixture(params=[True, False], ids=["js", "nojs"])
def js(request) -> bool:
    return request.param


@pytest.fixture(params=list(WIDTHS), ids=[f"{w}px" for w in WIDTHS])
def width(request) -> str:
    return request.param


@pytest.fixture
def user_page(new_context, logged_in_state: dict, js: bool, width: str) -> Page:
    context = new_context(storage_state=logged_in_state, java_script_enabled=js, viewport=WIDTHS[width])
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def focused_id(page: Page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id || ''")


def wait_loaded(page: Page) -> None:
    page.wait_for_load_state("load")
    expect(page.locator(".htmx-request")).to_have_count(0)  # no htmx request left (JS on)


# Enter ------------------------------------------------------------------------------------------------------------


def test_enter_in_the_ateco_search_box_searches_and_removes_no_code(user_page: Page, filled: Filled, live_app):
    page = user_page
    before = _document(live_app, filled.application_id).settori[0].ateco
    page.goto(f"{filled.app}/settori/{filled.sector_id}")
    page.locator("#q").fill("ristorazione")
    page.locator("#q").press("Enter")
    expect(page.locator("#ateco_risultati")).to_contain_text("56.10")
    wait_loaded(page)
    assert page.locator(".ateco-chosen strong").all_inner_texts() == before  # nothing removed on screen
    assert _document(live_app, filled.application_id).settori[0].ateco == before  # nor saved
    # Focus goes to the count of matches, then "Show more" puts it on the first new match.
    expect(page.locator("#ateco_risultati p.hint")).to_be_focused()
    page.locator("#ateco_risultati button[value^='cerca:']").click()
    expect(page.locator("#ateco_risultati li")).to_have_count(20)
    eleventh = page.locator("#ateco_risultati li").nth(10).locator("button").get_attribute("value")
    expect(page.locator(f"#ateco_risultati button[value='{eleventh}']")).to_be_focused()


def test_suggestions_while_typing_leave_focus_in_the_search_box(page: Page, logged_in_state, new_context,
                                                                 filled: Filled):
    page = new_context(storage_state=logged_in_state).new_page()
    page.goto(f"{filled.app}/settori/nuovo")
    page.locator("#q").press_sequentially("meccanica")
    expect(page.locator("#ateco_risultati li").first).to_be_visible()
    wait_loaded(page)
    assert focused_id(page) == "q"


def test_enter_in_a_need_title_saves_it_and_adds_no_empty_source(user_page: Page, filled: Filled, live_app, js):
    page = user_page
    title = f"Saldatori {'js' if js else 'nojs'} {page.viewport_size['width']}"
    page.goto(f"{filled.app}/fabbisogni/nuovo")
    page.locator("#titolo").fill(title)
    page.locator("#titolo").press("Enter")
    expect(page).to_have_url(re.compile(rf"{filled.app}/fabbisogni$"))
    need = next(n for n in _document(live_app, filled.application_id).fabbisogni if n.titolo == title)
    assert need.fonti == []


# Focus ------------------------------------------------------------------------------------------------------------


def test_a_failed_save_puts_focus_on_the_error_summary_whose_links_reach_the_fields(user_page: Page, filled: Filled):
    page = user_page
    page.goto(f"{filled.app}/capofila")
    page.locator("#sede_cap").fill("123")
    page.locator("#pec").fill("non-una-pec")
    page.locator("form:has(#denominazione) button[type=submit]").click()
    expect(page.locator("#riepilogo-errori")).to_be_visible()
    expect(page.locator("#riepilogo-errori")).to_be_focused()
    assert page.locator("#sede_cap").input_value() == "123"  # what was typed stays
    links = page.locator("#riepilogo-errori a")
    assert links.count() == 2
    targets = [links.nth(n).get_attribute("href").lstrip("#") for n in range(links.count())]
    assert sorted(targets) == ["pec", "sede_cap"]
    for n, target in enumerate(targets):
        links.nth(n).click()
        expect(page.locator(f"#{target}")).to_be_focused()
    page.keyboard.press("Tab")  # the next Tab goes on from the field, not to the end of the page
    assert page.evaluate("document.activeElement.tagName") != "BODY"


def test_after_adding_a_partner_focus_goes_to_the_status_message(user_page: Page, filled: Filled, js, width):
    page = user_page
    page.goto(f"{filled.app}/partenariato")
    page.locator("#partner_area #denominazione").fill(f"Officine {js} {width}")
    page.locator("#partner_area #categoria-0").check()
    page.locator("#partner_area form button[type=submit]").click()
    # With htmx the partner area comes back with its status; without, the next page lands on the same status,
    # beside the add form (issue 16: not at the top of the page).
    status = page.locator("#esito-aggiunta")
    expect(status).to_contain_text(f"Officine {js} {width}")
    expect(status).to_be_in_viewport()
    if js:
        expect(status).to_be_focused()
        assert page.evaluate("document.activeElement.textContent").strip().startswith(f"Officine {js} {width}")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") != "BODY"


def test_after_a_refused_partner_focus_goes_to_the_error_summary(user_page: Page, filled: Filled):
    page = user_page
    page.goto(f"{filled.app}/partenariato")
    page.locator("#partner_area #codice_fiscale").fill("123")
    page.locator("#partner_area form button[type=submit]").click()
    expect(page.locator("#partner_area #riepilogo-errori")).to_be_visible()
    expect(page.locator("#riepilogo-errori")).to_be_focused()
    assert page.locator("#partner_area #codice_fiscale").input_value() == "123"


def _luminance(rgb: str) -> float:
    r, g, b = (int(v) / 255 for v in re.findall(r"\d+", rgb)[:3])
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _background(page: Page, selector: str) -> str:
    """The colour around the element: the outline is drawn outside it, over its container's background."""
    return page.evaluate("""(sel) => { let el = document.querySelector(sel).parentElement;
        while (el) { const c = getComputedStyle(el).backgroundColor;
          if (c && c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') return c; el = el.parentElement; }
        return 'rgb(255, 255, 255)'; }""", selector)


@pytest.mark.parametrize("selector", ["main a[href]", "#titolo", "main button.button", ".site-header a"])
def test_the_focus_ring_has_at_least_3_to_1_against_its_background(new_context, logged_in_state, selector):
    page = new_context(storage_state=logged_in_state).new_page()
    page.goto("/domande")
    page.locator(selector).first.focus()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineColor")
    width = page.evaluate("parseFloat(getComputedStyle(document.activeElement).outlineWidth)")
    assert width >= 2
    assert _contrast(outline, _background(page, selector)) >= 3, (outline, _background(page, selector))


# Phones -----------------------------------------------------------------------------------------------------------


PAGES = ["/", "/avviso", "/accedi", "/registrati", "/password-dimenticata", "/domande", "/domande/importa",
         "{app}", "{app}/riepilogo", "{app}/checklist", "{app}/capofila", "{app}/partenariato",
         "{app}/partenariato/{partner}", "{app}/partenariato/{partner}/rimuovi", "{app}/territorio",
         "{app}/settori", "{app}/settori/nuovo", "{app}/settori/{sector}", "{app}/fabbisogni",
         "{app}/fabbisogni/nuovo", "{app}/fabbisogni/{need}", "{app}/interventi", "{app}/interventi/nuovo",
         "{app}/interventi/{intervention}", "{app}/elimina", "/domande/ateco?q=commercio", "/non-esiste",
         "{app}/persone", "{app}/attivita", "/account"]


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_no_page_scrolls_sideways_at_360_px(new_context, logged_in_state, filled: Filled, js):
    page = new_context(storage_state=logged_in_state, java_script_enabled=js, viewport=WIDTHS["360"]).new_page()
    wide = {}
    for pattern in PAGES:
        url = pattern.format(app=filled.app, partner=filled.partner_id, sector=filled.sector_id, need=filled.need_id,
                             intervention=filled.intervention_id)
        page.goto(url)
        scroll = page.evaluate("document.documentElement.scrollWidth")
        if scroll > 360:
            wide[url] = scroll
    # A form with errors and the conflict page are wider than the empty form: try them too.
    page.goto(f"{filled.app}/capofila")
    page.locator("#sede_cap").fill("1")
    page.locator("form:has(#denominazione) button[type=submit]").click()
    expect(page.locator("#riepilogo-errori")).to_be_visible()
    if page.evaluate("document.documentElement.scrollWidth") > 360:
        wide["capofila con errori"] = page.evaluate("document.documentElement.scrollWidth")
    assert wide == {}
