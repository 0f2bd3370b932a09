"""Home page, the call page, static htmx and the error pages, with the test client."""

from __future__ import annotations

import re
from pathlib import Path

STATIC = Path(__file__).resolve().parent.parent / "patti_web" / "web" / "static"


def test_the_home_page_is_italian_and_says_what_the_portal_is_for(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="it">' in html
    assert "manifestazione di interesse" in html
    assert "Patti territoriali per le competenze e per l&#39;occupazione" in html
    assert "16 gennaio 2023" in html and "28 febbraio 2023" in html
    assert 'href="/avviso"' in html


def test_htmx_is_served_from_our_static_folder_never_a_cdn(client):
    html = client.get("/").get_data(as_text=True)
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
    # htmx, then the portal's own few lines (the progress of an upload), both from our static folder.
    assert len(scripts) == 2 and re.fullmatch(r"/static/htmx-2\.0\.11\.min\.[0-9a-f]{10}\.js", scripts[0])
    assert re.fullmatch(r"/static/patti\.[0-9a-f]{10}\.js", scripts[1])
    assert client.get(scripts[1]).data == (STATIC / "patti.js").read_bytes()
    response = client.get(scripts[0])
    assert response.status_code == 200
    assert response.data == (STATIC / "htmx-2.0.11.min.js").read_bytes()
    assert b'version:"2.0.11"' in response.data
    response.close()


def test_no_inline_script_or_event_handler_attributes(client):
    for url in ("/", "/avviso", "/non-esiste"):
        html = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert not re.search(r"\son[a-z]+\s*=", html), url


def test_the_call_page_lists_the_rules_from_the_edition(client, edition):
    html = client.get("/avviso").get_data(as_text=True)
    for voce in (*edition.capofila, *edition.categorie_obbligatorie, *edition.categorie_ulteriori, *edition.ambiti):
        assert voce.etichetta.replace("'", "&#39;") in html
    assert "Monza e della Brianza" in html
    assert "almeno 3" in html


def test_an_unknown_page_is_an_italian_404(client):
    response = client.get("/non-esiste")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Pagina non trovata" in html
    assert '<html lang="it">' in html


def test_an_unexpected_error_is_an_italian_page_without_a_trace(app):
    @app.get("/guasto")
    def broken():
        raise RuntimeError("segreto interno")

    response = app.test_client().get("/guasto")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "segreto interno" not in html and "Traceback" not in html
    assert "errore imprevisto" in html


def test_a_post_without_csrf_token_is_refused_in_italian(app):
    app.config["WTF_CSRF_ENABLED"] = True

    @app.post("/prova-csrf")
    def target():
        return "ok"

    response = app.test_client().post("/prova-csrf", data={"x": "1"})
    assert response.status_code == 400
    assert "modulo" in response.get_data(as_text=True)


def test_health(client):
    assert client.get("/salute").get_json() == {"stato": "ok", "database": "accetta scritture"}
