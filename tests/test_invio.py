"""Submission (issue 15): what is missing, submit inside the window with a number in the same transaction as the
freeze, one number for a double click, a frozen version nobody changes, withdraw and submit again with a new number,
the receipt (page, DOCX, PDF, mail) and the package the office receives.

Signed files are stood in for by rows of verified files (their checks have tests of their own in test_presentazione
and test_firme); the browser journey (tests/browser) signs for real.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import zipfile
from datetime import UTC, date, datetime

import pytest
from docx import Document
from helpers import form_fields

from patti_web import domande
from patti_web.avviso.domanda import fingerprint
from patti_web.extensions import db
from patti_web.persone.mail import outbox, wait_for_mail
from patti_web.presentazione import archivio, invio, operations
from patti_web.presentazione.models import FileFirmato, Presentazione


@pytest.fixture
def open_window(app):
    """The window open around today (the edition's own closed in 2023)."""
    app.extensions["patti_edizione"] = app.extensions["patti_edizione"].with_window(date(2020, 1, 1),
                                                                                  date(2099, 12, 31))
    return app.extensions["patti_edizione"]


def sign_all(domanda_id: int, *, only: set[str] | None = None) -> list[FileFirmato]:
    """A verified signed file, by whoever must sign it, for each document of the current version."""
    state = domande.load(domanda_id, None)
    rows = []
    for document in operations.documents(state):
        if only is not None and document.key not in only:
            continue
        data = f"%PDF-1.7 firmato {document.key} v{state.versione}".encode()
        rows.append(FileFirmato(
            application_id=state.id, documento=document.key, versione=state.versione, sha256=archivio.put(data),
            nome_file=f"{document.key.replace(':', '-')}-firmato.pdf", dimensione=len(data), formato="PAdES",
            firmatario=document.signer_cf, nome_firmatario=document.signer_name, esito="verificato", controlli={
                "firme": {"esito": "ok", "messaggio": "una firma"}}))
    db.session.add_all(rows)
    db.session.commit()
    return rows


def _submit(client, stored, versione=1, confirm=True):
    data = {"presenta-versione": str(versione), **({"presenta-conferma": "y"} if confirm else {})}
    return client.post(f"/domande/{stored.id}/presentazione/presenta", data=data)


def _page(client, stored) -> str:
    return client.get(f"/domande/{stored.id}/presentazione").get_data(as_text=True)


def test_the_page_says_what_is_missing_and_refuses_to_submit_without_it(auth_client, stored, open_window):
    page = _page(auth_client, stored)
    assert "Manca ancora, prima di poter presentare la domanda:" in page
    assert "(l&#39;atto): il file firmato non è ancora stato caricato." in page
    assert f'action="/domande/{stored.id}/presentazione/presenta"' not in page  # no button to press in vain
    response = _submit(auth_client, stored)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and 'class="error-summary"' in body
    assert "il file firmato non è ancora stato caricato" in body
    assert db.session.query(Presentazione).count() == 0


def test_the_letters_are_needed_unless_the_edition_lets_them_follow(app, auth_client, stored, open_window):
    sign_all(stored.id, only={operations.ACT})
    assert _submit(auth_client, stored).status_code == 422
    app.extensions["patti_edizione"] = dataclasses.replace(open_window, lettere_alla_presentazione=False)
    assert "le lettere di adesione dei partner possono seguire" in _page(auth_client, stored)
    assert _submit(auth_client, stored).status_code == 303


def test_a_submission_gets_a_number_freezes_the_version_and_gives_a_receipt(app, auth_client, stored, open_window):
    sign_all(stored.id)
    response = _submit(auth_client, stored)
    assert response.status_code == 303 and response.headers["Location"].endswith("/presentazione#ricevuta")
    year = datetime.now(open_window.zona).year
    number = f"PATTI-{year}-0000001"
    page = _page(auth_client, stored)
    assert f"Presentata: numero {number}" in page
    state = domande.load(stored.id, None)
    assert state.head.stato == "presentata" and fingerprint(state.domanda) in page
    assert "Ritirare la domanda" in page and "Caricare un file firmato" not in page
    row = db.session.query(Presentazione).one()
    assert (row.numero, row.versione, row.impronta) == (number, 1, fingerprint(state.domanda))
    # The receipt by mail, to the titolare and to the capofila's referente.
    wait_for_mail()
    mails = [m for m in outbox(app) if number in m["Subject"]]
    assert sorted(m["To"] for m in mails) == sorted({"giulia@example.it", state.domanda.capofila.referente.email})
    assert fingerprint(state.domanda) in mails[0].get_content()


def test_a_frozen_application_refuses_every_change_and_keeps_what_was_typed(auth_client, stored, open_window):
    form = form_fields(auth_client.get(f"/domande/{stored.id}/capofila").get_data(as_text=True))
    sign_all(stored.id)
    assert _submit(auth_client, stored).status_code == 303
    form["titolo"] = "Cambiato dopo la presentazione"
    refused = auth_client.post(f"/domande/{stored.id}/capofila", data=form, headers={"Origin": "http://localhost"})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "La domanda è stata presentata" in body
    assert "Quanto scritto è stato conservato" in body
    htmx = auth_client.post(f"/domande/{stored.id}/capofila", data=form, headers={"HX-Request": "true"})
    assert htmx.status_code == 409 and htmx.headers["HX-Retarget"] == "#messaggi"
    assert auth_client.post(f"/domande/{stored.id}/elimina").status_code == 409
    state = domande.load(stored.id, None)
    assert state.versione == 1 and state.domanda.titolo != "Cambiato dopo la presentazione"
    opened = auth_client.get(f"/domande/{stored.id}/capofila")  # a form's page: the summary, read-only
    assert opened.status_code == 303 and opened.headers["Location"].endswith(f"/domande/{stored.id}/riepilogo")
    summary = auth_client.get(opened.headers["Location"]).get_data(as_text=True)
    assert "si può leggere qui, non modificare" in summary and "Cambiato dopo la presentazione" not in summary
    with pytest.raises(domande.Frozen):
        domande.save_section(stored.id, None, "capofila", 1, {"titolo": "x"}, set(), lambda value: value)


def test_a_double_click_and_a_second_tab_give_one_number(auth_client, stored, open_window):
    sign_all(stored.id)
    assert _submit(auth_client, stored).status_code == 303
    again = _submit(auth_client, stored)
    assert again.status_code == 303
    page = auth_client.get(again.headers["Location"]).get_data(as_text=True)
    assert "è già presentata: la sua ricevuta è qui sotto" in page
    assert db.session.query(Presentazione).count() == 1


def test_a_page_shown_before_a_save_cannot_submit_the_newer_version(auth_client, stored, open_window):
    sign_all(stored.id)
    response = _submit(auth_client, stored, versione=7)
    assert response.status_code == 303
    assert "è cambiata dopo che questa pagina è stata mostrata" in auth_client.get(
        response.headers["Location"]).get_data(as_text=True)
    assert db.session.query(Presentazione).count() == 0


def test_the_box_must_be_ticked(auth_client, stored, open_window):
    sign_all(stored.id)
    response = _submit(auth_client, stored, confirm=False)
    assert response.status_code == 422 and 'href="#presenta-conferma"' in response.get_data(as_text=True)


def test_outside_the_window_nothing_is_submitted_and_the_window_is_said(app, auth_client, stored):
    sign_all(stored.id)  # the edition's own window closed on 28 February 2023
    response = _submit(auth_client, stored)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "La finestra per la presentazione si è chiusa il 28 febbraio 2023, 23:59:59 (ora italiana)" in body
    assert db.session.query(Presentazione).count() == 0


def test_the_window_is_checked_at_the_moment_of_the_transaction(app, stored, user, open_window):
    sign_all(stored.id)
    closing = open_window.with_window(None, datetime(2023, 2, 28, 23, 59, 59))
    app.extensions["patti_edizione"] = closing
    last_second = datetime(2023, 2, 28, 22, 59, 59, 900_000, tzinfo=UTC)
    with pytest.raises(invio.NotReady) as late:
        invio.submit(stored.id, user, 1, now=datetime(2023, 2, 28, 23, 0, 0, tzinfo=UTC))
    assert "28 febbraio 2023, 23:59:59" in late.value.reasons[0]
    done = invio.submit(stored.id, user, 1, now=last_second)
    assert done.new and done.presentazione.numero == "PATTI-2023-0000001"


def test_withdraw_unlocks_makes_signatures_stale_and_a_new_submission_gets_a_new_number(auth_client, stored,
                                                                                         open_window):
    sign_all(stored.id)
    assert _submit(auth_client, stored).status_code == 303
    assert auth_client.post(f"/domande/{stored.id}/presentazione/ritira").status_code == 422  # not confirmed
    response = auth_client.post(f"/domande/{stored.id}/presentazione/ritira", data={"ritiro-conferma": "y"})
    assert response.status_code == 303
    state = domande.load(stored.id, None)
    assert state.head.stato == "bozza" and state.versione == 2
    page = _page(auth_client, stored)
    assert "Da firmare di nuovo" in page and "ritirata il" in page
    assert {r.state for r in operations.table(state)} == {operations.TO_SIGN_AGAIN}
    activity = auth_client.get(f"/domande/{stored.id}/attivita").get_data(as_text=True)
    assert "Ha ritirato la domanda presentata" in activity
    sign_all(stored.id)
    assert _submit(auth_client, stored, versione=2).status_code == 303
    numbers = [p.numero for p in db.session.query(Presentazione).order_by(Presentazione.id)]
    assert [n[-7:] for n in numbers] == ["0000001", "0000002"]
    assert [p.ritirata_at is not None for p in db.session.query(Presentazione).order_by(Presentazione.id)] == [
        True, False]


def test_who_is_not_the_titolare_cannot_submit_or_withdraw(app, stored, make_user, open_window):
    from patti_web.domande.models import Membership
    from tests.support.sandbox import LoggedInClient

    collaboratore = make_user(email="collaboratrice@example.it")
    db.session.add(Membership(application_id=stored.id, user_id=collaboratore.id, ruolo="collaboratore"))
    db.session.commit()
    sign_all(stored.id)
    app.test_client_class = LoggedInClient
    client = app.test_client(user=collaboratore)
    assert "il titolare della domanda può presentarla" in _page(client, stored)
    assert _submit(client, stored).status_code == 403
    assert db.session.query(Presentazione).count() == 0


def test_the_receipt_and_the_package_hold_what_was_filed(app, auth_client, stored, open_window, monkeypatch):
    import patti_web.web.presentazione.views as views

    monkeypatch.setattr(views, "pdfs_of", lambda state, documents: [b"%PDF-1.7 ricevuta" for _ in documents])
    signed = sign_all(stored.id)
    assert _submit(auth_client, stored).status_code == 303
    row = db.session.query(Presentazione).one()
    docx = auth_client.get(f"/domande/{stored.id}/ricevuta.docx")
    assert docx.status_code == 200 and f"ricevuta-{row.numero}.docx" in docx.headers["Content-Disposition"]
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.data)).paragraphs)
    cells = "\n".join(c.text for t in Document(io.BytesIO(docx.data)).tables for r in t.rows for c in r.cells)
    assert "Ricevuta di presentazione" in text and row.numero in cells and row.impronta in cells
    assert "Regione Lombardia" in cells and all(f.sha256 in cells for f in signed)
    assert auth_client.get(f"/domande/{stored.id}/ricevuta.docx").data == docx.data  # deterministic
    package = auth_client.get(f"/domande/{stored.id}/pacchetto.zip")
    assert package.status_code == 200
    with zipfile.ZipFile(io.BytesIO(package.data)) as zipped:
        names = zipped.namelist()
        manifest = json.loads(zipped.read("manifest.json"))
        frozen = zipped.read("domanda-v1.json")
        act = zipped.read(names[0])
    assert names[0] == "01-manifestazione-firmata.pdf" and act == archivio.get(signed[0].sha256)
    assert sum(n.startswith("02-adesioni/") for n in names) == len(signed) - 1
    assert names[1].startswith("02-adesioni/adesione-02-")  # named by the letter's number in the act
    assert {f"ricevuta-{row.numero}.pdf", f"ricevuta-{row.numero}.docx", "manifest.json"} <= set(names)
    assert hashlib.sha256(frozen).hexdigest() == row.impronta == manifest["impronta"]
    assert {f["sha256"] for f in manifest["file_firmati"]} == {f.sha256 for f in signed}
    for entry in manifest["file_firmati"]:
        with zipfile.ZipFile(io.BytesIO(package.data)) as zipped:
            assert hashlib.sha256(zipped.read(entry["file"])).hexdigest() == entry["sha256"]


def test_a_receipt_of_an_application_not_submitted_sends_back_to_the_page(auth_client, stored):
    response = auth_client.get(f"/domande/{stored.id}/pacchetto.zip")
    assert response.status_code == 303 and response.headers["Location"].endswith("/presentazione")


def test_the_receipt_pdf_states_the_moment_to_the_second(app, stored, user, open_window):
    import shutil
    import subprocess

    from patti_web.documenti.pdf import convert_docx_to_pdf
    from patti_web.documenti.ricevuta import build_receipt_docx

    if shutil.which("soffice") is None and shutil.which("libreoffice") is None:
        pytest.skip("LibreOffice is not installed")
    sign_all(stored.id)
    done = invio.submit(stored.id, user, 1, now=datetime(2023, 2, 10, 8, 30, 5, tzinfo=UTC))
    state = domande.load(stored.id, None)
    pdf = convert_docx_to_pdf(build_receipt_docx(invio.receipt_of(state, done.presentazione)))
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    text = text.decode()
    assert "PATTI-2023-0000001" in text and "10 febbraio 2023, 09:30:05 (ora italiana)" in text
    assert done.presentazione.impronta[:32] in text.replace(" ", "").replace("\n", "")


def _owing_a_stamp(valid_doc: dict, identificativo: str) -> dict:
    """The sample led by an employers' association, which owes the marca da bollo, with the stamp given."""
    valid_doc["capofila"].update(tipologia="associazione_datoriale",
                                 rappresentanza={"descrizione": "Meccanica", "ateco": []},
                                 bollo={"identificativo": identificativo, "data": "2023-01-20", "dichiarazione": True})
    return valid_doc


def test_one_stamp_serves_one_application_only(app, store, user, valid_doc, open_window):
    import copy

    first = store(_owing_a_stamp(copy.deepcopy(valid_doc), "01234567890123"), user)
    second = store(_owing_a_stamp(copy.deepcopy(valid_doc), "01234567890123"), user)
    assert domande.load(first.id, None).errors == []
    for application in (first, second):
        sign_all(application.id)
    done = invio.submit(first.id, user, 1)
    assert done.new
    with pytest.raises(invio.NotReady) as refused:
        invio.submit(second.id, user, 1)
    assert "La marca da bollo 01234567890123 è già stata usata per un'altra domanda" in refused.value.reasons[0]
    assert domande.load(second.id, None).head.stato == "bozza"  # nothing frozen, no number spent
    assert db.session.query(Presentazione).count() == 1
    receipt = invio.receipt_of(domande.load(first.id, None), done.presentazione)
    assert (receipt.bollo, receipt.bollo_data) == ("01234567890123", "20 gennaio 2023")
    # The same application, withdrawn and submitted again, keeps its own stamp.
    invio.withdraw(first.id, user)
    sign_all(first.id)
    assert invio.submit(first.id, user, 2).new


def test_a_stamp_dated_after_the_submission_is_refused_at_submission(app, store, user, valid_doc, open_window):
    application = store(_owing_a_stamp(valid_doc, "01234567890123"), user)
    sign_all(application.id)
    with pytest.raises(invio.NotReady) as refused:
        invio.submit(application.id, user, 1, now=datetime(2023, 1, 19, 12, tzinfo=UTC))
    assert "20 gennaio 2023" in " ".join(refused.value.reasons)


# What an attack on the first version found, each held now ------------------------------------------------------


def test_another_edition_in_the_same_year_numbers_from_one_without_a_clash(app, store, user, valid_doc, open_window):
    from patti_web.domande.models import DomandaRecord

    first, second = store(valid_doc, user), store(valid_doc, user)
    db.session.execute(db.update(DomandaRecord).where(DomandaRecord.id == second.id).values(edizione="altra_2023"))
    db.session.commit()
    for application in (first, second):
        sign_all(application.id)
    a, b = invio.submit(first.id, user, 1), invio.submit(second.id, user, 1)
    assert a.presentazione.numero == b.presentazione.numero  # the same number, in two editions
    assert (a.presentazione.edizione, b.presentazione.edizione) == ("lombardia_2023", "altra_2023")


def test_a_file_checked_while_the_application_was_submitted_is_not_kept(app, stored, user, ca, stand_in_pdfs,
                                                                          open_window):
    from patti_web.domande.models import DomandaRecord

    state = domande.load(stored.id, user)  # the page that uploads read the application before the submission...
    person = state.domanda.capofila.legale_rappresentante
    generated = operations.expected(state, operations.document_of(state, operations.ACT)).pdf
    db.session.execute(db.update(DomandaRecord).values(stato="presentata"))  # ...which froze it meanwhile
    db.session.commit()
    with pytest.raises(operations.Refused, match="è cambiata mentre il file veniva controllato"):
        operations.upload(state, user, operations.ACT, "tardivo.pdf",
                          ca.signer(person.codice_fiscale, person.nome, person.cognome).pades(generated))
    assert db.session.query(FileFirmato).count() == 0


def test_when_letters_may_follow_they_come_after_the_submission_and_the_receipt_stays_as_filed(
        app, auth_client, stored, user, ca, stand_in_pdfs, open_window):
    app.extensions["patti_edizione"] = dataclasses.replace(open_window, lettere_alla_presentazione=False)
    sign_all(stored.id, only={operations.ACT})
    assert _submit(auth_client, stored).status_code == 303
    state = domande.load(stored.id, None)
    page = _page(auth_client, stored)
    assert "Caricare un file firmato" in page and 'value="manifestazione"' not in page  # letters only
    partner = state.domanda.partner[0]
    person = partner.legale_rappresentante
    generated = operations.expected(state, operations.document_of(state, f"adesione:{partner.id}")).pdf
    response = auth_client.post(f"/domande/{stored.id}/presentazione/carica", content_type="multipart/form-data",
                                data={"documento": f"adesione:{partner.id}", "firmato": (
                                    io.BytesIO(ca.signer(person.codice_fiscale, person.nome,
                                                         person.cognome).cades(generated)), "lettera.p7m")})
    assert response.status_code == 303
    submitted = db.session.query(Presentazione).one()
    receipt = invio.receipt_of(domande.load(stored.id, None), submitted)
    assert [f.document for f in receipt.files] == ["Manifestazione di interesse (l'atto)"]  # as it was filed
    assert len(invio.filed(domande.load(stored.id, None), submitted)) == 2  # the package: the letter that followed


def test_an_application_once_submitted_stays_on_record(auth_client, stored, open_window):
    sign_all(stored.id)
    assert _submit(auth_client, stored).status_code == 303
    assert auth_client.post(f"/domande/{stored.id}/presentazione/ritira",
                            data={"ritiro-conferma": "y"}).status_code == 303
    refused = auth_client.post(f"/domande/{stored.id}/elimina")
    assert refused.status_code == 409 and "resta nel registro dell" in refused.get_data(as_text=True)
    assert domande.load(stored.id, None).head.stato == "bozza"


def test_a_letter_whose_signer_has_no_codice_fiscale_is_named_in_what_is_missing(auth_client, stored, open_window,
                                                                                  valid_doc):
    page = _page(auth_client, stored)  # the sample's partners p2-p6 give no codice fiscale of their representative
    assert "manca il codice fiscale di chi deve firmarla" in page


def test_a_file_over_the_limit_says_the_limit_and_leads_back(app, auth_client, stored):
    app.config["PATTI_UPLOAD_MAX_BYTES"] = 100 * 1024  # (a small limit: a larger body spools to a temporary file)
    response = auth_client.post(f"/domande/{stored.id}/presentazione/carica", content_type="multipart/form-data",
                                data={"documento": "manifestazione", "firmato": (io.BytesIO(b"x" * 200_000),
                                                                                  "grande.pdf")})
    body = response.get_data(as_text=True)
    assert response.status_code == 413 and "supera 100 KB" in body
    assert f'href="/domande/{stored.id}/presentazione"' in body


def test_the_lists_say_an_application_is_submitted(auth_client, stored, open_window):
    sign_all(stored.id)
    assert _submit(auth_client, stored).status_code == 303
    tasks = auth_client.get(f"/domande/{stored.id}").get_data(as_text=True)
    assert "Presentata." in tasks and 'id="stato-presentazione"' in tasks
    assert f'href="/domande/{stored.id}/riepilogo" aria-describedby="stato-capofila"' in tasks  # read, not a form
    assert '<strong class="tag tag-done">presentata</strong>' in auth_client.get("/domande").get_data(as_text=True)
