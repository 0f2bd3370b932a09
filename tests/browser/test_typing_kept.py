"""Typing survives the paths where it used to be lost, in a real browser: Back and Save again on a new item's page,
and a session that expires while the ATECO suggestions come in; two people on one section in two browsers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from browser_support import PASSWORD, follow, login, t, unique_email
from playwright.sync_api import Page, expect

TESTS = Path(__file__).resolve().parent.parent


@pytest.fixture
def owner(live_app):
    """A user with the valid sample (one need, F1): (email, path of the application, user id)."""
    from patti_web import domande
    from patti_web.avviso.domanda import read_document
    from patti_web.extensions import db
    from patti_web.persone import accounts

    email = unique_email("typing")
    with live_app.app_context():
        user = accounts.register_user(email, "Giulia Bianchi", PASSWORD, confirmed=True)
        document = json.loads((TESTS / "data" / "valida.json").read_text(encoding="utf-8"))
        head = domande.import_domanda(read_document(json.dumps(document)), user)
        found = (email, f"/domande/{head.id}", user.id)
        db.session.remove()
    return found


def _interventions(live_app, path: str) -> list[str]:
    from patti_web import domande
    from patti_web.extensions import db

    with live_app.app_context():
        titles = [i.titolo for i in domande.load(int(path.rsplit("/", 1)[1]), None).domanda.interventi]
        db.session.remove()
    return titles


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_back_and_save_again_on_a_new_item_adds_nothing_and_links_what_it_added(request, live_app, owner, js):
    page: Page = request.getfixturevalue("page" if js else "nojs_page")
    email, app, _user = owner
    login(page, email)
    page.goto(f"{app}/interventi")
    follow(page, page.locator(f"a[href='{app}/interventi/nuovo']"), page.locator("#destinatari"))
    assert re.search(r"/interventi/nuovo\?modulo=[\w-]+$", page.url)  # the page's one-time token is in its address
    page.locator("#titolo").fill("Corso serale di saldatura")
    page.locator("input[name=fabbisogni][value=F1]").check()
    page.locator("form:has(#destinatari) button[type=submit]").click()
    expect(page.locator(f"a[href^='{app}/interventi/'][href$='/rimuovi']")).to_have_count(2)
    before = _interventions(live_app, app)

    page.go_back()  # the form again, as the browser restores it (what was typed and ticked)
    expect(page.locator("#destinatari")).to_be_visible()
    if not js:  # no field opts out of the browser's restoring (autocomplete="off" would)
        expect(page.locator("#titolo")).to_have_value("Corso serale di saldatura")
    expect(page.locator(".notice")).to_contain_text("Corso serale di saldatura")  # said before saving
    page.locator("form:has(#destinatari) button[type=submit]").click()
    expect(page.locator(".flash-info, .notice[tabindex]").first).to_be_visible()  # one answer or the other
    if page.locator(".flash-info").count():  # the form came back empty (htmx): the list says what it had added
        expect(page.locator(".flash-info")).to_contain_text(
            t("This form had already added an item: nothing was added again."))
        page.locator(".flash-info a").click()
    else:  # what the browser restored is kept on the page, nothing added, and the first item linked
        expect(page.locator(".notice")).to_contain_text("Corso serale di saldatura")
        page.locator(".notice a").first.click()
    assert _interventions(live_app, app) == before  # no "(ancora senza titolo)" item
    expect(page.locator("#titolo")).to_have_value("Corso serale di saldatura")


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_a_session_expiring_during_the_ateco_search_keeps_the_sector_form(request, live_app, owner, js):
    from patti_web.persone import accounts

    page: Page = request.getfixturevalue("page" if js else "nojs_page")
    email, app, user_id = owner
    login(page, email)
    page.goto(f"{app}/settori/nuovo")
    page.locator("#descrizione").fill("Legno e arredo della Brianza")
    with live_app.app_context():
        accounts.log_out_everywhere(user_id)  # the session ends on the server, as after 12 hours
    if js:
        page.locator("#q").press_sequentially("mobili")  # suggestions while typing: the piece says it expired
        expect(page.locator("#ateco_risultati[role=alert]")).to_be_visible()
        expect(page.locator("#descrizione")).to_have_value("Legno e arredo della Brianza")  # nothing lost
        page.locator("#ateco_risultati button[value=salva]").click()
    else:
        page.locator("#q").fill("mobili")
        page.locator("button[name=azione][value=cerca]").click()
    expect(page.locator("form[action^='/accedi']")).to_be_visible()
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("form[action^='/accedi'] button[type=submit]").click()
    expect(page.locator("#descrizione")).to_have_value("Legno e arredo della Brianza")
    assert re.search(rf"{re.escape(app)}/settori/nuovo", page.url)


def test_two_people_on_the_lead_partner_in_two_browsers(browser, browser_context_args, live_app, owner):
    """A and B open Soggetto capofila; A saves a new address and phone; B, on the page opened before, a new PEC and
    phone: B is asked about the phone only, chooses, and A's address stays."""
    from patti_web import domande
    from patti_web.domande.models import Membership
    from patti_web.extensions import db
    from patti_web.persone import accounts

    email, app, _user = owner
    other = unique_email("anna")
    with live_app.app_context():
        anna = accounts.register_user(other, "Anna Verdi", PASSWORD, confirmed=True)
        db.session.add(Membership(application_id=int(app.rsplit("/", 1)[1]), user_id=anna.id, ruolo="collaboratore"))
        db.session.commit()
        db.session.remove()
    pages = []
    for who in (email, other):
        page = browser.new_context(**browser_context_args).new_page()
        login(page, who)
        page.goto(f"{app}/capofila")
        pages.append(page)
    b, a = pages
    a.locator("#sede_indirizzo").fill("Via Nuova 1")
    a.locator("#referente_telefono").fill("030 111")
    a.locator("form:has(#sede_indirizzo) button.button").click()
    expect(a.locator("#stato-capofila")).to_be_visible()

    b.locator("#pec").fill("nuova@pec.it")
    b.locator("#referente_telefono").fill("030 222")
    b.locator("form:has(#sede_indirizzo) button.button").click()
    expect(b.locator(".conflict")).to_contain_text("Anna Verdi")
    expect(b.locator("#sede_indirizzo")).to_have_value("Via Nuova 1")  # A's, now in B's form
    expect(b.locator("#pec")).to_have_value("nuova@pec.it")
    b.locator("#scelta-referente_telefono-salvato").check()
    b.locator("form:has(#sede_indirizzo) button.button").click()
    expect(b.locator("#stato-capofila")).to_be_visible()
    with live_app.app_context():
        saved = domande.load(int(app.rsplit("/", 1)[1]), None).domanda.capofila
        db.session.remove()
    assert (saved.sede.indirizzo, saved.pec, saved.referente.telefono) == ("Via Nuova 1", "nuova@pec.it", "030 111")
    for page in pages:
        page.context.close()
