"""The partner page of a long partnership with the test client: the links past the list, the filter (a full page, and
with htmx the list alone), an add said beside the form (htmx fragment, and the redirect to the form's anchor), the
spreadsheet's template and import (all or nothing, one save, per row and column errors, never a 500)."""

from __future__ import annotations

import io
import re
from html import unescape

import jsonpatch
import pytest
from helpers import document_of
from sqlalchemy import select

from patti_web import domande, fogli
from patti_web.avviso import domanda as doc
from patti_web.domande.models import Revision
from patti_web.extensions import db
from patti_web.web.domande import partner_import

HX = {"HX-Request": "true"}
HEADER = "Denominazione del partner;Categoria;Codice fiscale o partita IVA\n"


@pytest.fixture
def client(auth_client):
    return auth_client


@pytest.fixture
def seventeen(stored, user):
    for n in range(11):
        domande.add_item(stored.id, user, "partenariato",
                         doc.Partner(denominazione=f"Sindacato di prova {n + 1}", categoria="sindacati"))
    return stored


def html_of(response) -> str:
    return response.get_data(as_text=True)


def rows_of(html: str) -> list[str]:
    table = re.search(r'<div id="elenco-partner">(.*?)</div>', html, re.S)
    return [unescape(t) for t in re.findall(r'<td class="row-title">(.*?)</td>', table.group(1) if table else "")]


def _upload(client, stored, content: bytes, name="partner.csv", token="imp-1", **headers):
    return client.post(f"/domande/{stored.id}/partenariato/importa", headers=headers,
                       content_type="multipart/form-data",
                       data={"foglio": (io.BytesIO(content), name), "form_token": token})


def _revisions(application_id: int) -> list[Revision]:
    return list(db.session.scalars(select(Revision).where(Revision.application_id == application_id)
                                   .order_by(Revision.versione)))


# The page and its filter ---------------------------------------------------------------------------------------


def test_the_page_links_past_the_list_to_the_add_form_and_the_import(client, seventeen):
    html = html_of(client.get(f"/domande/{seventeen.id}/partenariato"))
    links = html.index('href="#aggiungi"'), html.index('href="#importa"')
    assert max(links) < html.index('<div id="elenco-partner">') < html.index('id="aggiungi"')
    assert 'id="aggiungi" tabindex="-1"' in html and 'id="importa" tabindex="-1"' in html
    assert len(rows_of(html)) == 17


def test_the_filter_by_name_and_by_category_is_a_plain_get_form(client, seventeen):
    base = f"/domande/{seventeen.id}/partenariato"
    html = html_of(client.get(base))
    form = re.search(r'<form method="get" action="([^"]+)"[^>]*role="search"', html)
    assert form and form.group(1) == base
    assert re.search(r'<option value="sindacati">Organizzazioni sindacali \(12\)</option>', html)
    by_name = html_of(client.get(f"{base}?nome=DI+PROVA+1"))  # case and spaces do not matter
    assert rows_of(by_name) == ["Sindacato di prova 1", "Sindacato di prova 10", "Sindacato di prova 11"]
    assert "3 partner su 17 corrispondono al filtro." in by_name and 'value="DI PROVA 1"' in by_name
    assert rows_of(html_of(client.get(f"{base}?nome=universita"))) == ["Università degli Studi di Brescia"]
    assert rows_of(html_of(client.get(f"{base}?nome=00859790172"))) == ["Officine Meccaniche Rossi & Figli S.r.l."]
    by_category = html_of(client.get(f"{base}?categoria=imprese"))
    assert rows_of(by_category) == ["Officine Meccaniche Rossi & Figli S.r.l."]
    assert '<option value="imprese" selected>' in by_category
    nothing = html_of(client.get(f"{base}?categoria=sindacati&nome=zzz"))
    assert rows_of(nothing) == [] and "Nessun partner corrisponde al filtro" in nothing
    # The add form keeps the filter, so that the list after an add is still the filtered one.
    assert f'action="{base}?nome=zzz&amp;categoria=sindacati"' in nothing


def test_with_htmx_the_filter_brings_back_the_list_alone_and_its_count_out_of_band(client, seventeen):
    response = client.get(f"/domande/{seventeen.id}/partenariato?categoria=sindacati",
                          headers={**HX, "HX-Target": "elenco-partner"})
    html = html_of(response)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert "<html" not in html and 'id="denominazione"' not in html and 'role="search"' not in html
    assert len(rows_of(html)) == 12
    assert re.search(r'<p id="esito-filtro" data-hx-swap-oob="innerHTML">\s*12 partner su 17 corrispondono', html)


def test_a_new_partner_is_said_beside_the_form_and_without_js_the_page_lands_there(client, seventeen):
    base = f"/domande/{seventeen.id}/partenariato"
    response = client.post(f"{base}?categoria=sindacati", data={"denominazione": "CISL Lecco", "form_token": "a-1",
                                                                "categoria": "sindacati"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"{base}?categoria=sindacati#aggiungi"
    html = html_of(client.get(response.headers["Location"]))
    status = re.search(r'<div id="esito-aggiunta" role="status" tabindex="-1" autofocus>(.*?)</div>', html, re.S)
    assert status and "CISL Lecco: aggiunto." in status.group(1) and "flash-success" in status.group(1)
    assert re.search(r'<div id="messaggi" role="status">\s*</div>', html)  # nothing at the top of the page
    assert "CISL Lecco" in rows_of(html)


def test_with_htmx_an_add_answers_the_list_and_an_empty_form_with_the_status_beside_it(client, seventeen):
    response = client.post(f"/domande/{seventeen.id}/partenariato", headers=HX,
                           data={"denominazione": "CISL Lecco", "form_token": "a-2", "categoria": "sindacati"})
    html = html_of(response)
    assert response.status_code == 200 and html.lstrip().startswith('<div id="partner_area">')
    status = re.search(r'<div id="esito-aggiunta" role="status" tabindex="-1" autofocus>(.*?)</div>', html, re.S)
    assert status and "CISL Lecco: aggiunto." in status.group(1)
    assert html.index('id="aggiungi"') < html.index('id="esito-aggiunta"') < html.index('id="denominazione"')
    assert re.search(r'<input[^>]*id="denominazione"[^>]*value=""', html)  # ready for the next partner
    assert 'hx-swap-oob="true"' in html  # the checklist, out of band
    assert len(rows_of(html)) == 18


def test_a_refused_add_keeps_what_was_typed_with_the_summary_at_the_form(client, seventeen):
    response = client.post(f"/domande/{seventeen.id}/partenariato", headers=HX,
                           data={"denominazione": "Artigiani", "codice_fiscale": "123", "form_token": "a-3"})
    html = html_of(response)
    assert response.status_code == 422
    assert html.index('id="aggiungi"') < html.index('id="riepilogo-errori"') < html.index('id="denominazione"')
    assert 'href="#codice_fiscale"' in html and 'id="codice_fiscale-error"' in html
    assert 'value="Artigiani"' in html and 'value="123"' in html
    assert 'id="esito-aggiunta" role="status">' in html  # empty: nothing was added


# The template ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("formato", "mimetype"), [
    ("csv", "text/csv"), ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")])
def test_the_template_downloads_in_both_formats(client, stored, formato, mimetype):
    response = client.get(f"/domande/{stored.id}/partenariato/modello.{formato}")
    assert response.status_code == 200 and response.mimetype == mimetype
    assert f"partenariato-modello.{formato}" in response.headers["Content-Disposition"]
    table = fogli.read_table(response.data, 10)
    assert table.headers[:3] == ["Denominazione del partner", "Categoria",
                                 "È una rete (o un'associazione dei suoi membri)?"]


def test_the_page_links_both_templates_and_posts_the_file_without_htmx(client, stored):
    html = html_of(client.get(f"/domande/{stored.id}/partenariato"))
    assert f'href="/domande/{stored.id}/partenariato/modello.xlsx"' in html
    assert f'href="/domande/{stored.id}/partenariato/modello.csv"' in html
    assert re.search(rf'<form method="post" action="/domande/{stored.id}/partenariato/importa" '
                     r'enctype="multipart/form-data" novalidate data-hx-boost="false">', html)


# The import -------------------------------------------------------------------------------------------------------


def test_a_good_file_adds_every_partner_in_one_save_that_its_reverse_undoes(client, stored, user):
    before = document_of(stored.id)
    content = (HEADER + "CISL Lecco;Organizzazioni sindacali;\nComune di Lumezzane;Reti di enti locali;\n"
               "Fondimpresa;Fondi interprofessionali;97278470584\n").encode()
    response = _upload(client, stored, content)
    assert response.status_code == 303 and response.headers["Location"] == f"/domande/{stored.id}/partenariato"
    after = document_of(stored.id)
    assert [p.denominazione for p in after.partner] == [p.denominazione for p in before.partner] + [
        "CISL Lecco", "Comune di Lumezzane", "Fondimpresa"]
    assert len({p.id for p in after.partner}) == 9
    revision = _revisions(stored.id)[-1]
    assert (revision.versione, revision.sezione, revision.azione, revision.user_id) == (
        2, "partenariato", "importazione", user.id)
    stored_after = doc.Domanda.model_validate(after.model_dump(mode="json")).model_dump(mode="json")
    undone = jsonpatch.apply_patch(stored_after, revision.reverse)
    assert undone == before.model_dump(mode="json")
    assert jsonpatch.apply_patch(before.model_dump(mode="json"), revision.patch) == stored_after
    html = html_of(client.get(response.headers["Location"]))
    assert "3 partner caricati dal file." in html


def test_the_same_file_sent_twice_by_one_form_adds_once(client, stored):
    content = (HEADER + "CISL Lecco;Organizzazioni sindacali;\n").encode()
    assert _upload(client, stored, content, token="twice").status_code == 303
    again = _upload(client, stored, content, token="twice")
    assert again.status_code == 303
    assert [p.denominazione for p in document_of(stored.id).partner].count("CISL Lecco") == 1
    assert "Questo file era già stato caricato" in html_of(client.get(again.headers["Location"]))


def test_a_broken_file_adds_nothing_and_lists_its_errors_by_row_and_column(client, stored):
    content = (HEADER + "Buona S.r.l.;Imprese;01234560173\n=1+2;Imprese;\nTerza;Boh;123\n"
               "Quarta;Terzo settore;01234560173\n").encode("cp1252")
    response = _upload(client, stored, content)
    html = html_of(response)
    assert response.status_code == 422
    assert len(document_of(stored.id).partner) == 6 and len(_revisions(stored.id)) == 1
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    assert 'href="#foglio"' in summary and "il file ha 4 errori e non è stato caricato nulla" in unescape(summary)
    listing = [unescape(re.sub(r"<[^>]+>", "", item)) for item in
               re.findall(r"<li>(.*?)</li>", re.search(r'<ul class="import-errors">(.*?)</ul>', html, re.S).group(1))]
    assert [item.split(":")[0] for item in listing] == [
        "Riga 3, colonna «Denominazione del partner»", "Riga 4, colonna «Categoria»",
        "Riga 4, colonna «Codice fiscale o partita IVA»", "Riga 5, colonna «Codice fiscale o partita IVA»"]
    assert listing[3].endswith("è lo stesso della riga 2 del file: ogni partner una volta sola.")
    assert 'aria-invalid="true"' in html and 'aria-describedby="foglio-hint foglio-error"' in html


@pytest.mark.parametrize(("content", "name", "message"), [
    (b"", "vuoto.csv", "il file è vuoto"),
    (b"%PDF-1.7\n\x00\x01\x02\x03 binary", "lettera.pdf", "questo file non è un foglio di calcolo"),
    (b"Nome;Fax\nRossi;030\n", "altro.csv", "la prima riga deve contenere i nomi delle colonne"),
    ((HEADER + "".join(f"P{n};Imprese;\n" for n in range(10_000))).encode(), "grande.csv",
     "il file contiene più di 1.000 righe di partner"),
], ids=["empty", "pdf", "columns", "10000-rows"])
def test_a_file_that_cannot_be_loaded_says_why_next_to_the_field(client, stored, content, name, message):
    response = _upload(client, stored, content, name=name)
    html = unescape(html_of(response))
    assert response.status_code == 422
    error = re.search(r'<div class="error-message" id="foglio-error">(.*?)</div>', html, re.S).group(1)
    assert f"Foglio di calcolo (CSV o Excel .xlsx): {message}" in error.casefold().replace(
        "foglio di calcolo (csv o excel .xlsx)", "Foglio di calcolo (CSV o Excel .xlsx)")
    assert len(document_of(stored.id).partner) == 6


def test_a_file_larger_than_a_spreadsheet_of_partners_may_be(client, stored, monkeypatch):
    monkeypatch.setattr(fogli, "MAX_BYTES", 100 * 1024)  # (a small limit: a larger body spools to a temporary file)
    response = _upload(client, stored, b"Denominazione del partner\n" + b"x" * 150_000)
    assert response.status_code == 422
    assert ("Foglio di calcolo (CSV o Excel .xlsx): il file supera 100 KB, la dimensione massima che si può "
            "caricare."
            in unescape(html_of(response)))


def test_a_file_above_the_portals_request_limit_is_a_page_that_says_so(client, stored, app):
    app.config["MAX_CONTENT_LENGTH"] = 100 * 1024  # (a small limit: a larger body spools to a temporary file)
    response = _upload(client, stored, b"x" * 200_000)
    body = unescape(html_of(response))
    assert response.status_code == 413
    assert "Il file inviato supera 100 KB, la dimensione massima di un foglio di partner" in body
    assert f'href="/domande/{stored.id}/partenariato#importa"' in body


def test_no_file_chosen(client, stored):
    response = client.post(f"/domande/{stored.id}/partenariato/importa", data={"form_token": "x"})
    assert response.status_code == 422
    assert "Foglio di calcolo (CSV o Excel .xlsx): scegliere il file da caricare." in unescape(html_of(response))


def test_a_partner_added_meanwhile_refuses_the_whole_file_by_row(client, stored, user, monkeypatch):
    """The rows are checked again on the version written: a partner someone added after the file was read."""
    real = partner_import.read_partners

    def read_then_someone_adds(*args):
        outcome = real(*args)
        domande.add_item(stored.id, user, "partenariato", doc.Partner(denominazione="Altro", codice_fiscale=""))
        return outcome

    content = (HEADER + "CISL Lecco;Organizzazioni sindacali;\nAltro;Imprese;\n").encode()
    monkeypatch.setattr(partner_import, "read_partners", read_then_someone_adds)
    response = _upload(client, stored, content)
    assert response.status_code == 422
    assert "Riga 3, colonna «Denominazione del partner»: un soggetto con questa denominazione" in unescape(
        html_of(response))
    assert "CISL Lecco" not in [p.denominazione for p in document_of(stored.id).partner]


def test_who_only_reads_the_application_may_download_the_template_but_not_import(app, stored, make_user):
    from patti_web.domande.models import Membership
    from tests.support.sandbox import LoggedInClient

    reader = make_user(email="lettore@example.it")
    db.session.add(Membership(application_id=stored.id, user_id=reader.id, ruolo=domande.LETTORE))
    db.session.commit()
    app.test_client_class = LoggedInClient
    other = app.test_client(user=reader)
    assert other.get(f"/domande/{stored.id}/partenariato/modello.csv").status_code == 200
    assert 'href="#importa"' not in html_of(other.get(f"/domande/{stored.id}/partenariato"))
    assert _upload(other, stored, (HEADER + "X;Imprese;\n").encode()).status_code == 403
    assert len(document_of(stored.id).partner) == 6


# The save of a list -------------------------------------------------------------------------------------------------


def test_add_items_adds_all_or_nothing_and_says_which_item_clashes(stored, user):
    partners = [doc.Partner(denominazione="Uno", codice_fiscale="01234560173"),
                doc.Partner(denominazione="Due", codice_fiscale="01234560173"),
                doc.Partner(denominazione="Tre", codice_fiscale="00859790172")]
    with pytest.raises(domande.ItemsRefused) as refused:
        domande.add_items(stored.id, user, "partenariato", partners)
    assert [(p.index, p.field, p.other) for p in refused.value.problems] == [
        (1, "codice_fiscale", 0), (2, "codice_fiscale", None)]
    assert len(document_of(stored.id).partner) == 6
    saved = domande.add_items(stored.id, user, "partenariato", partners[:1])
    assert [p.denominazione for p in saved.item] == ["Uno"] and saved.state.versione == 2


def test_add_items_keeps_the_limit_of_the_document(stored, user, monkeypatch):
    from patti_web.domande import operations

    monkeypatch.setattr(operations, "_limit", lambda section: 7)
    with pytest.raises(domande.Refused) as refused:
        domande.add_items(stored.id, user, "partenariato", [doc.Partner(denominazione="A"),
                                                             doc.Partner(denominazione="B")])
    assert "al massimo 7" in refused.value.errors[0][1]
    assert len(document_of(stored.id).partner) == 6
