"""The forms as lynx and w3m show them (their own -dump of the pages the portal serves): a choice the call asks for
starts on "not chosen yet" in both, never on a first option nobody chose (lynx shows, and sends, the first radio of a
group with nothing ticked as chosen: a trade union was once saved as a business that way)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from helpers import document_of, missing

from patti_web.i18n import gettext as _

BROWSERS = {
    "lynx": ["lynx", "-dump", "-force_html", "-nolist", "-width=200", "-display_charset=UTF-8"],
    "w3m": ["w3m", "-dump", "-T", "text/html", "-cols", "200", "-O", "UTF-8"],
}


def dump(browser: str, html: str, tmp_path) -> str:
    if shutil.which(browser) is None:
        pytest.skip(f"{browser} is not installed (apt-get install {browser})")
    page = tmp_path / "pagina.html"
    page.write_text(html, encoding="utf-8")
    return subprocess.run([*BROWSERS[browser], str(page)], capture_output=True, text=True, check=True,
                          timeout=30).stdout


def ticked(text: str) -> list[str]:
    """The label after each ticked radio button, "(*) Label" in both browsers."""
    return [label.strip() for label in re.findall(r"\(\*\)\s*([^()\n]+?)(?=\s+\(|\s{2,}|$)", text, re.M)]


@pytest.mark.parametrize("browser", sorted(BROWSERS))
@pytest.mark.parametrize(("path", "expected"), [
    ("partenariato", ["Not chosen yet", "Not said yet"]),  # the category, and network or not
    ("territorio", ["Not chosen yet"]),
])
def test_a_required_choice_starts_unchosen_in_text_browsers(auth_client, user, browser, path, expected, tmp_path):
    auth_client.post("/domande/nuova", data={"titolo": "Patto"})
    html = auth_client.get(f"/domande/1/{path}").get_data(as_text=True)
    assert ticked(dump(browser, html, tmp_path)) == [_(label) for label in expected]


@pytest.mark.parametrize("browser", sorted(BROWSERS))
def test_the_lead_partners_type_starts_unchosen_and_a_saved_one_shows_chosen(auth_client, stored, browser, tmp_path):
    html = auth_client.get(f"/domande/{stored.id}/capofila").get_data(as_text=True)
    assert ticked(dump(browser, html, tmp_path)) == ["Camera di Commercio, Industria, Artigianato e Agricoltura"]
    auth_client.post("/domande/nuova", data={"titolo": "Vuota"})
    html = auth_client.get("/domande/2/capofila").get_data(as_text=True)
    assert ticked(dump(browser, html, tmp_path)) == [_("Not chosen yet")]


def test_what_a_text_browser_sends_for_nothing_chosen_is_no_choice(auth_client, stored):
    """The ticked "not chosen yet" sends an empty value: stored empty, and the rules say the category is missing."""
    response = auth_client.post(f"/domande/{stored.id}/partenariato", data={
        "denominazione": "Sindacato Nuovo", "categoria": "", "rete": "", "form_token": "lynx"})
    assert response.status_code == 303
    partner = document_of(stored.id).partner[-1]
    assert (partner.categoria, partner.rete) == ("", None)
    page = auth_client.get(f"/domande/{stored.id}/partenariato").get_data(as_text=True)
    assert missing("Partner 7 \u00abSindacato Nuovo\u00bb", "the category") in page
