"""Every page is valid HTML for the W3C's Nu Html Checker (vnu.jar, from the npm package vnu-jar, run with Java).

./run-tests installs vnu.jar into .venv/vnu when npm and Java are there (CI has both); without them this test is
skipped. The pages are those of every state a user meets: public and account pages, every page of an application,
forms with errors, a conflict, search results, an error page.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.sandbox import LoggedInClient

ROOT = Path(__file__).resolve().parent.parent
VNU = ROOT / ".venv" / "vnu" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
pytestmark = pytest.mark.skipif(not VNU.exists() or shutil.which("java") is None,
                                reason="vnu.jar or Java missing (./run-tests installs vnu.jar with npm)")


def _pages(app, stored, user) -> dict[str, str]:
    from helpers import document_of

    visitor = app.test_client()
    pages = {name: visitor.get(url).get_data(as_text=True) for name, url in (
        ("home", "/"), ("avviso", "/avviso"), ("accedi", "/accedi"), ("registrati", "/registrati"),
        ("password-dimenticata", "/password-dimenticata"), ("404", "/non-esiste"))}
    pages["registrati-con-errori"] = visitor.post("/registrati", data={"email": "x"}).get_data(as_text=True)
    app.test_client_class = LoggedInClient
    client = app.test_client(user=user)
    d = document_of(stored.id)
    base = f"/domande/{stored.id}"
    for name, url in (("domande", "/domande"), ("importa", "/domande/importa"), ("task-list", base),
                      ("checklist", f"{base}/checklist"), ("riepilogo", f"{base}/riepilogo"),
                      ("capofila", f"{base}/capofila"), ("partenariato", f"{base}/partenariato"),
                      ("partner", f"{base}/partenariato/{d.partner[0].id}"), ("territorio", f"{base}/territorio"),
                      ("settori", f"{base}/settori"), ("settore-nuovo", f"{base}/settori/nuovo"),
                      ("fabbisogni", f"{base}/fabbisogni"), ("fabbisogno", f"{base}/fabbisogni/F1"),
                      ("interventi", f"{base}/interventi"), ("intervento-nuovo", f"{base}/interventi/nuovo"),
                      ("rimuovi", f"{base}/partenariato/{d.partner[0].id}/rimuovi"), ("elimina", f"{base}/elimina"),
                      ("ateco", "/domande/ateco?q=commercio+al+dettaglio"), ("persone", f"{base}/persone"),
                      ("attivita", f"{base}/attivita"), ("account", "/account")):
        pages[name] = client.get(url).get_data(as_text=True)
    pages["capofila-con-errori"] = client.post(f"{base}/capofila", data={"sede_cap": "1", "pec": "x", "versione": "1",
                                                                         "tipologia": "nessuna"}).get_data(as_text=True)
    pages["capofila-conflitto"] = client.post(f"{base}/capofila", data={"denominazione": "Altro", "versione": "0"}
                                              ).get_data(as_text=True)
    pages["partenariato-con-errori"] = client.post(f"{base}/partenariato", data={"codice_fiscale": "1"}
                                                   ).get_data(as_text=True)
    pages["settore-ricerca"] = client.post(f"{base}/settori/nuovo", data={"q": "bar", "azione": "cerca"}
                                           ).get_data(as_text=True)
    pages["fabbisogno-con-errori"] = client.post(f"{base}/fabbisogni/nuovo", data={
        "titolo": "X", "fonti-0-anno": "20", "fonti-0-url": "esempio", "azione": "salva"}).get_data(as_text=True)
    from patti_web.persone import inviti

    _invitation, token = inviti.invite(stored.id, user, "invitata@example.it", "lettore")
    pages["invito"] = visitor.get(f"/invito/{token}").get_data(as_text=True)
    pages["invito-accesso"] = client.get(f"/invito/{token}").get_data(as_text=True)
    pages["persone-con-errori"] = client.post(f"{base}/persone/invita", data={"email": "x"}).get_data(as_text=True)
    pages["account-con-errori"] = client.post("/account/password", data={"password": "corta"}).get_data(as_text=True)
    pages["conferma-non-valida"] = visitor.get("/conferma/x").get_data(as_text=True)
    # Firma e presentazione with a partner's new link shown once, and the partner's pages.
    client.post(f"{base}/presentazione/link/{d.partner[0].id}")
    pages["presentazione"] = client.get(f"{base}/presentazione").get_data(as_text=True)
    link = re.search(r'value="https?://[^/"]+(/adesione/[^"]+)"', pages["presentazione"]).group(1)
    pages["adesione"] = visitor.get(link).get_data(as_text=True)
    pages["adesione-con-errori"] = visitor.post(f"{link}/carica", data={}).get_data(as_text=True)
    pages["adesione-non-valida"] = visitor.get("/adesione/x").get_data(as_text=True)
    return pages


def test_every_page_is_valid_html(app, stored, user, tmp_path, store, valid_doc):
    store(valid_doc, user)  # two applications: "Le mie domande" repeats its row forms
    pages = _pages(app, stored, user)
    for name, html in pages.items():
        assert html.lstrip().startswith("<!doctype html>"), name
        (tmp_path / f"{name}.html").write_text(html, encoding="utf-8")
    result = subprocess.run(["java", "-jar", str(VNU), "--errors-only", "--format", "json",
                             *sorted(str(p) for p in tmp_path.glob("*.html"))],
                            capture_output=True, text=True, timeout=300, check=False)
    messages = json.loads(result.stderr or result.stdout)["messages"]
    errors = [f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m.get('message')} | {m.get('extract', '')!r}"
              for m in messages if m.get("type") == "error"]
    assert not errors, f"{len(errors)} errors in {len(pages)} pages:\n" + "\n".join(errors)
    print(f"\n{len(pages)} pages checked by the Nu Html Checker: 0 errors")
