"""Filing a Patto in a real browser, JavaScript on and off: download the act and each letter as PDF, sign them (in
the test, with a CA it makes), upload them, see them verified, submit, get the receipt and download its PDF.

PATTI_SCREENSHOTS=<folder> keeps screenshots of the page before and after the uploads, of a refused file and of the
receipt, at 1280 and 360 px (for a person to look at; nothing asserts on pixels).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from datetime import date
from pathlib import Path

import pytest
from browser_support import PASSWORD, login, unique_email
from playwright.sync_api import Page, expect

from patti_web import domande
from patti_web.avviso.domanda import read_document
from patti_web.extensions import db
from patti_web.persone import accounts
from patti_web.presentazione import operations
from tests.support.firme import Authority
from tests.support.samples import codice_fiscale

DATA = Path(__file__).resolve().parent.parent / "data"
SHOTS = os.environ.get("PATTI_SCREENSHOTS")


@pytest.fixture
def filing(live_app, tmp_path):
    """A valid application of a new titolare, the window open around today and a CA the portal trusts; restored
    afterwards (the live app serves the whole session)."""
    authority = Authority.make()
    (tmp_path / "ca.pem").write_bytes(authority.pem)
    edition, trusted = live_app.extensions["patti_edizione"], live_app.config.get("PATTI_FIRMA_CA")
    live_app.extensions["patti_edizione"] = edition.with_window(date(2020, 1, 1), date(2099, 12, 31))
    live_app.config["PATTI_FIRMA_CA"] = str(tmp_path / "ca.pem")
    email = unique_email("capofila")
    with live_app.app_context():
        user = accounts.register_user(email, "Lucia Saccardi", PASSWORD, confirmed=True)
        document = json.loads((DATA / "valida.json").read_text(encoding="utf-8"))
        for partner in document["partner"]:  # every letter's signer known by codice fiscale
            person = partner["legale_rappresentante"]
            person["codice_fiscale"] = codice_fiscale(person["cognome"], person["nome"])
        head = domande.import_domanda(read_document(json.dumps(document)), user)
        state = domande.load(head.id, None)
        people = {f"adesione:{p.id}": p.legale_rappresentante for p in state.domanda.partner}
        # In the page's order (the act's numbering): who signs each document.
        signers = {d.key: people.get(d.key, state.domanda.capofila.firmatario) for d in operations.documents(state)}
        db.session.remove()
    yield email, head.id, authority, signers
    live_app.extensions["patti_edizione"], live_app.config["PATTI_FIRMA_CA"] = edition, trusted


def _shot(page: Page, name: str) -> None:
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(Path(SHOTS) / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def _upload(page: Page, key: str, data: bytes, name: str) -> None:
    page.locator("#documento").select_option(key)
    page.locator("#firmato").set_input_files({"name": name, "mimeType": "application/pdf", "buffer": data})
    with page.expect_navigation():
        page.locator("form[action$='/presentazione/carica'] button[type=submit]").click()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_download_sign_upload_submit_and_get_the_receipt(new_context, filing, js):
    email, domanda_id, authority, signers = filing
    context = new_context(java_script_enabled=js)
    page = context.new_page()
    page.set_default_timeout(180_000)  # each PDF is LibreOffice's first conversion of that document
    login(page, email)
    page.goto(f"/domande/{domanda_id}/presentazione")
    expect(page.locator("h1")).to_contain_text("Firma e presentazione")
    expect(page.locator(".missing")).to_contain_text("il file firmato non è ancora stato caricato")
    if js:
        _shot(page, "presentazione-prima")

    rows = page.locator(".table-firme tbody tr")
    keys = list(signers)
    assert rows.count() == len(keys)
    for index, key in enumerate(keys):
        with page.expect_download() as download:
            rows.nth(index).get_by_role("link", name="PDF da firmare").click()
        generated = Path(download.value.path()).read_bytes()
        person = signers[key]
        signer = authority.signer(person.codice_fiscale, person.nome, person.cognome)
        if index == 0:  # first a file signed by the wrong person: refused, each check said
            wrong = authority.signer("BNCGLI80A41B157X", "Giulia", "Bianchi").pades(generated)
            _upload(page, key, wrong, "atto-firmato-male.pdf")
            expect(page.locator(".error-summary")).to_contain_text("BNCGLI80A41B157X")
            expect(page.locator("#esito-titolo")).to_contain_text("atto-firmato-male.pdf")
            if js:
                _shot(page, "presentazione-firma-rifiutata")
        signed = signer.pades(generated) if index % 2 == 0 else signer.cades(generated)
        _upload(page, key, signed, f"{key.replace(':', '-')}.pdf" + ("" if index % 2 == 0 else ".p7m"))
        expect(page.locator(".flash-success")).to_contain_text("firma verificata")
    expect(rows.locator(".tag-verificato")).to_have_count(len(keys))
    if js:
        _shot(page, "presentazione-dopo")

    page.locator("#presenta-conferma").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Presentare la domanda").click()
    receipt = page.locator("#ricevuta")
    expect(receipt).to_contain_text(re.compile(r"Presentata: numero PATTI-\d{4}-\d{7}"))
    number = re.search(r"PATTI-\d{4}-\d{7}", receipt.inner_text()).group(0)
    if js:
        _shot(page, "presentazione-ricevuta")
    with page.expect_download() as download:
        page.get_by_role("link", name="Ricevuta (PDF)").click()
    assert download.value.suggested_filename == f"ricevuta-{number}.pdf"
    text = subprocess.run(["pdftotext", "-layout", download.value.path(), "-"], capture_output=True,
                          check=True, text=True).stdout
    assert number in text and "Ricevuta di presentazione" in text
    if SHOTS:
        Path(SHOTS, f"ricevuta-{'js' if js else 'nojs'}.pdf").write_bytes(Path(download.value.path()).read_bytes())
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Il pacchetto completo")).click()
    manifest = json.loads(subprocess.run(["unzip", "-p", download.value.path(), "manifest.json"],
                                         capture_output=True, check=True).stdout)
    assert manifest["numero"] == number and len(manifest["file_firmati"]) == len(keys)
    # Frozen: the capofila's form is read-only now.
    page.goto(f"/domande/{domanda_id}")
    expect(page.locator(".notice-success")).to_contain_text("Presentata.")
    context.close()
