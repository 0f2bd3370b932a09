"""The marca da bollo on the capofila's page: asked only when due, refused field by field when malformed, kept when
the page does not ask for it; and its findings on the page."""

from __future__ import annotations

import re
from html import unescape

import pytest
from helpers import document_of, form_fields

from patti_web.i18n import gettext as _
from patti_web.portal import today


@pytest.fixture
def client(auth_client):
    return auth_client


def _page(client, stored) -> str:
    return client.get(f"/domande/{stored.id}/capofila").get_data(as_text=True)


def _post(client, stored, html: str, **changes):
    """Post the capofila form as the browser sends what the page shows, with some fields changed."""
    data = form_fields(html)
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return client.post(f"/domande/{stored.id}/capofila", data=data)


def _as_association(client, stored):
    """The sample led by an employers' association (which owes the stamp), saved through the page."""
    response = _post(client, stored, _page(client, stored), tipologia="associazione_datoriale",
                     rappresentanza_descrizione="Meccanica")
    assert response.status_code == 303


def test_a_public_body_as_lead_is_asked_no_stamp_and_told_why(client, stored):
    html = _page(client, stored)  # the sample's lead is a Chamber of Commerce
    assert 'id="bollo_identificativo"' not in html and 'id="bollo_dichiarazione"' not in html
    text = unescape(html)
    assert _("No marca da bollo is due: the lead partner (%(type)s) is a public body, and acts between public bodies "
             "are exempt from stamp duty (D.P.R. 642/1972, Tabella B, art. 16).", type="Camera di Commercio") in text


def test_an_association_as_lead_gives_the_stamp_and_it_is_saved_as_the_document_holds_it(client, stored):
    _as_association(client, stored)
    html = _page(client, stored)
    assert 'id="bollo_identificativo"' in html and 'type="checkbox"' in html
    assert "16,00\xa0€" in unescape(html)
    # Before: the rules ask for it, in the page's findings.
    assert "BOLLO_DICHIARAZIONE_MANCANTE" not in html  # codes are not shown to people...
    assert _("declare, under D.P.R. 445/2000, that the stamp is used for this application only and kept.") in \
        unescape(html)  # ...their messages are
    response = _post(client, stored, html, bollo_identificativo="0123 4567 8901 23", bollo_data="20/1/2023",
                     bollo_dichiarazione="y")
    assert response.status_code == 303
    bollo = document_of(stored.id).capofila.bollo
    assert (bollo.identificativo, bollo.data, bollo.dichiarazione) == ("01234567890123", "2023-01-20", True)
    html = _page(client, stored)
    assert 'value="20/01/2023"' in html and 'value="01234567890123"' in html
    checklist = client.get(f"/domande/{stored.id}/checklist").get_data(as_text=True)
    assert _("The marca da bollo is given and declared") in unescape(checklist)


@pytest.mark.parametrize(("field", "typed", "message"), [
    ("bollo_identificativo", "12345", "enter the 14 digits printed on the stamp under \u201cidentificativo\u201d, "
                                      "e.g. 01234567890123."),
    ("bollo_data", "31/02/2023", "enter the day as printed, e.g. 20/01/2023."),
    ("bollo_data", "domani", "enter the day as printed, e.g. 20/01/2023."),
    ("bollo_data", "01/01/2100", None),  # after today
])
def test_a_malformed_stamp_is_refused_beside_its_field_keeping_what_was_typed(app, client, stored, field, typed,
                                                                             message):
    _as_association(client, stored)
    response = _post(client, stored, _page(client, stored), **{field: typed, "bollo_dichiarazione": "y"})
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))
    label = {"bollo_identificativo": _("Identifier of the marca da bollo"),
             "bollo_data": _("Date of the marca da bollo")}[field]
    errors = re.findall(rf'<p class="error-message" id="{field}-error">(.*?)</p>', html, re.S)
    assert len(errors) == 1 and label in errors[0]
    with app.app_context():
        expected = _(message) if message else _("the day cannot be after today (%(today)s).",
                                                today=f"{today():%d/%m/%Y}")
    assert expected in errors[0]
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    assert f'href="#{field}"' in summary
    assert f'value="{typed}"' in html  # what was typed stays in the form
    assert document_of(stored.id).capofila.bollo.identificativo == ""  # nothing saved


def test_a_stamp_given_then_a_public_body_chosen_is_kept_and_not_asked(client, stored):
    _as_association(client, stored)
    response = _post(client, stored, _page(client, stored), bollo_identificativo="01234567890123",
                     bollo_data="20/01/2023", bollo_dichiarazione="y")
    assert response.status_code == 303
    response = _post(client, stored, _page(client, stored), tipologia="provincia_citta_metropolitana")
    assert response.status_code == 303
    html = _page(client, stored)
    assert 'id="bollo_identificativo"' not in html
    # Saved again as the page stands (the stamp travels in hidden fields): nothing of it is lost.
    assert _post(client, stored, html, denominazione="Provincia di Brescia").status_code == 303
    saved = document_of(stored.id).capofila
    assert saved.denominazione == "Provincia di Brescia"
    assert (saved.bollo.identificativo, saved.bollo.data, saved.bollo.dichiarazione) == (
        "01234567890123", "2023-01-20", True)


def test_the_declaration_unticked_is_an_error_of_the_lead_partners_section(client, stored):
    _as_association(client, stored)
    _post(client, stored, _page(client, stored), bollo_identificativo="01234567890123", bollo_data="20/01/2023",
          bollo_dichiarazione="y")
    assert _post(client, stored, _page(client, stored), bollo_dichiarazione=None).status_code == 303
    assert document_of(stored.id).capofila.bollo.dichiarazione is False
    tasks = client.get(f"/domande/{stored.id}").get_data(as_text=True)
    assert 'class="tag tag-con_errori" id="stato-capofila"' in tasks


def test_the_summary_shows_the_stamp_or_why_none_is_due(client, stored):
    riepilogo = f"/domande/{stored.id}/riepilogo"
    assert _("not due (public body)") in unescape(client.get(riepilogo).get_data(as_text=True))
    _as_association(client, stored)
    _post(client, stored, _page(client, stored), bollo_identificativo="01234567890123", bollo_data="20/01/2023",
          bollo_dichiarazione="y")
    html = unescape(client.get(riepilogo).get_data(as_text=True))
    assert "01234567890123 · 20 gennaio 2023 · " + _("declared for this application only") in html
