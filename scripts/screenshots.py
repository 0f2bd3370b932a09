"""Full-page screenshots of the portal, JavaScript on and off, for the documentation (docs/img/).

    .venv/bin/python -m scripts.screenshots            # from the repository root
    -> docs/img/task-list-js.png, task-list-nojs.png, partenariato-js.png, partenariato-nojs.png,
       riepilogo-js.png, riepilogo-nojs.png, conflitto-js.png, conflitto-nojs.png (1100 px wide), and the same at
       360 px, a phone: task-list-360-js.png, ..., conflitto-360-nojs.png

The conflict: the lead partner's page is opened, someone else saves a new address and phone meanwhile, and the page
is saved with a new PEC and phone: the page that asks which phone to keep (the address already theirs).

The portal runs as in the browser tests: the real app on a temporary SQLite file (migrated, real CSRF), served on
127.0.0.1 by werkzeug in a thread. A user and an application are made with the app's use cases: the lead partner
filled in and a partnership with the three mandatory categories only, so that the checklist is half met ("further
categories" unmet). Chromium is Debian's /usr/bin/chromium, driven by Playwright (never `playwright install`).
"""

from __future__ import annotations

import argparse
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import WSGIRequestHandler, make_server

from patti_web import domande
from patti_web.avviso.domanda import Domanda, Territorio
from patti_web.avviso.edizioni import load_edition
from patti_web.extensions import db
from patti_web.persone import accounts
from tests.support.samples import sample_domanda
from tests.support.sandbox import make_sandbox_app

ROOT = Path(__file__).resolve().parent.parent

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"]
WIDTHS = {"": 1100, "-360": 360}  # file name suffix -> viewport width
EMAIL = "giulia.bianchi@example.it"
PASSWORD = "una password di prova lunga"


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code="-", size="-") -> None:
        pass


def sample() -> Domanda:
    """The shared sample's lead partner and its three mandatory partners only: the rest of the rules are unmet."""
    edition = load_edition()
    domanda = sample_domanda(edition, 6)
    mandatory = {c.chiave for c in edition.categorie_obbligatorie}
    return domanda.model_copy(update={"partner": [p for p in domanda.partner if p.categoria in mandatory],
                                      "territorio": Territorio(), "settori": [], "fabbisogni": [],
                                      "interventi": []})


def prepare(app) -> str:
    """Create the user and the application; return the application's path ("/domande/1")."""
    with app.app_context():
        user = accounts.register_user(EMAIL, "Giulia Bianchi", PASSWORD, confirmed=True)
        application = domande.import_domanda(sample(), user)
        path = f"/domande/{application.id}"
        db.session.remove()
    return path


def _conflict(app, page, application: str) -> None:
    """Open the lead partner's page, let someone else save meanwhile, then save this page: the conflict."""
    page.goto(f"{application}/capofila")
    with app.app_context():
        state = domande.load(int(application.rsplit("/", 1)[1]), None)
        capofila = state.domanda.capofila
        newer = capofila.model_copy(update={
            "sede": capofila.sede.model_copy(update={"indirizzo": f"Via Nuova {state.versione}"}),
            "referente": capofila.referente.model_copy(update={"telefono": f"030 {state.versione}11"})})
        domande.save_section(state.id, None, "capofila", state.versione,
                             {"titolo": state.domanda.titolo, "capofila": newer})
        db.session.remove()
    page.locator("#pec").fill("nuova.pec@legalmail.it")
    page.locator("#referente_telefono").fill("030 222 333")
    page.locator("form:has(#sede_indirizzo) button.button").click()


def take(app, base_url: str, application: str, out: Path) -> list[Path]:
    pages = {
        "task-list": (application, "#stato-capofila"),
        "partenariato": (f"{application}/partenariato", "#checklist li.unmet"),
        "riepilogo": (f"{application}/riepilogo", f"a[href='{application}/manifestazione.docx']"),
        "conflitto": (None, ".conflict"),
    }
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # Log in once through the form; both contexts start from that session.
            context = browser.new_context(base_url=base_url)
            page = context.new_page()
            page.goto("/accedi")
            page.locator("#email").fill(EMAIL)
            page.locator("#password").fill(PASSWORD)
            page.locator("form[action='/accedi'] button[type=submit]").click()
            expect(page.locator("form[action='/domande/nuova']")).to_be_visible()
            state = context.storage_state()
            context.close()
            for size, width in WIDTHS.items():
                for suffix, js in (("js", True), ("nojs", False)):
                    context = browser.new_context(base_url=base_url, storage_state=state, java_script_enabled=js,
                                                  viewport={"width": width, "height": 800})
                    page = context.new_page()
                    for name, (url, ready) in pages.items():
                        if url is None:
                            _conflict(app, page, application)
                        else:
                            page.goto(url)
                        expect(page.locator(ready).first).to_be_visible()
                        page.wait_for_load_state("load")
                        target = out / f"{name}{size}-{suffix}.png"
                        page.screenshot(path=str(target), full_page=True, animations="disabled", caret="hide")
                        written.append(target)
                    context.close()
        finally:
            browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img", help="folder of the PNG files")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="patti-screenshots-") as folder:
        app = make_sandbox_app(Path(folder))
        application = prepare(app)
        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
        thread = threading.Thread(target=server.serve_forever, name="screenshots-server", daemon=True)
        thread.start()
        try:
            written = take(app, f"http://127.0.0.1:{server.server_port}", application, args.out)
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)
            with app.app_context():
                db.engine.dispose()
    for path in written:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


if __name__ == "__main__":
    main()
