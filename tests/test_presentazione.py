"""Firma e presentazione (issue 15, first part): the documents to sign and who signs them, signed files uploaded and
checked against the PDF of the current version, kept by their SHA-256, stale after a later change. Signatures made
with a CA the test makes (tests/support/firme.py). The PDF the portal generates is stood in for by a small
deterministic PDF per document (LibreOffice is slow; the fixtures `ca` and `stand_in_pdfs` are in conftest.py),
except in the last test, which signs the real one."""

from __future__ import annotations

import hashlib
import io
import shutil

import pytest
from helpers import document_of

from patti_web.presentazione import operations

ACT_SIGNER = "SCCRRT85T10A562X"  # the sample's capofila legal representative
LETTER_SIGNER = "RSSCRL60A01B157U"  # the legal representative of partner p1


def _generated(app, stored, key: str) -> bytes:
    from patti_web import domande

    state = domande.load(stored.id, None)
    return operations.expected(state, operations.document_of(state, key)).pdf


def _upload(client, stored, key: str, data: bytes, name: str = "manifestazione-firmata.pdf"):
    return client.post(f"/domande/{stored.id}/presentazione/carica", content_type="multipart/form-data",
                       data={"documento": key, "firmato": (io.BytesIO(data), name)})


def test_the_page_lists_every_document_and_who_must_sign_it(auth_client, stored):
    page = auth_client.get(f"/domande/{stored.id}/presentazione").get_data(as_text=True)
    assert "Manifestazione di interesse" in page and "SCCRRT85T10A562X" in page
    assert page.count("Da firmare") >= 1 + len(document_of(stored.id).partner)
    assert "Officine Meccaniche Rossi &amp; Figli S.r.l." in page


def test_the_act_signed_by_the_legal_representative_is_verified_and_kept(app, auth_client, stored, ca,
                                                                          stand_in_pdfs, tmp_path):
    signed = ca.signer(ACT_SIGNER, "Roberto", "Saccà").pades(_generated(app, stored, "manifestazione"))
    response = _upload(auth_client, stored, "manifestazione", signed)
    assert response.status_code == 303
    page = auth_client.get(f"/domande/{stored.id}/presentazione").get_data(as_text=True)
    assert "firma verificata" in page and "Verificato" in page and "manifestazione-firmata.pdf" in page
    kept = tmp_path / "firmati" / hashlib.sha256(signed).hexdigest()[:2] / hashlib.sha256(signed).hexdigest()
    assert kept.read_bytes() == signed
    file_id = operations.table(_state(stored))[0].latest.id
    assert auth_client.get(f"/domande/{stored.id}/firmati/{file_id}").data == signed


def _state(stored):
    from patti_web import domande

    return domande.load(stored.id, None)


def test_a_letter_signed_in_cades_by_the_partners_representative_is_verified(app, auth_client, stored, ca,
                                                                             stand_in_pdfs):
    signed = ca.signer(LETTER_SIGNER, "Carlo", "Rossi").cades(_generated(app, stored, "adesione:p1"))
    assert _upload(auth_client, stored, "adesione:p1", signed, "adesione-p1.pdf.p7m").status_code == 303
    rows = {row.document.key: row.state for row in operations.table(_state(stored))}
    assert rows["adesione:p1"] == operations.VERIFIED and rows["manifestazione"] == operations.TO_SIGN


def test_the_wrong_signer_is_refused_naming_both_and_nothing_is_kept(app, auth_client, stored, ca, stand_in_pdfs,
                                                                     tmp_path):
    signed = ca.signer("BNCGLI80A41B157X", "Giulia", "Bianchi").pades(_generated(app, stored, "manifestazione"))
    response = _upload(auth_client, stored, "manifestazione", signed)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "BNCGLI80A41B157X" in page and "SCCRRT85T10A562X" in page and 'href="#firmato"' in page
    assert operations.table(_state(stored))[0].latest is None and not (tmp_path / "firmati").exists()


def test_a_later_change_makes_the_signed_act_to_sign_again(app, auth_client, stored, ca, stand_in_pdfs):
    from helpers import form_fields

    signed = ca.signer(ACT_SIGNER).pades(_generated(app, stored, "manifestazione"))
    assert _upload(auth_client, stored, "manifestazione", signed).status_code == 303
    form = form_fields(auth_client.get(f"/domande/{stored.id}/capofila").get_data(as_text=True))
    form["titolo"] = "Patto cambiato dopo la firma"
    assert auth_client.post(f"/domande/{stored.id}/capofila", data=form).status_code == 303
    page = auth_client.get(f"/domande/{stored.id}/presentazione").get_data(as_text=True)
    assert "Da firmare di nuovo" in page and "il file firma la versione 1" in page
    again = _upload(auth_client, stored, "manifestazione", signed)  # the old file against the new version
    assert again.status_code == 422 and "non è quello della versione 2" in again.get_data(as_text=True)


def test_without_trusted_authorities_the_file_is_kept_for_the_office_to_check(app, auth_client, stored, ca,
                                                                              stand_in_pdfs):
    app.config["PATTI_FIRMA_CA"] = None
    signed = ca.signer(ACT_SIGNER).pades(_generated(app, stored, "manifestazione"))
    assert _upload(auth_client, stored, "manifestazione", signed).status_code == 303
    assert operations.table(_state(stored))[0].state == operations.UPLOADED
    assert "certificato da verificare" in operations.table(_state(stored))[0].latest.esito


@pytest.mark.parametrize("data", [b"", b"%PDF-1.7 not signed at all", b"just text"])
def test_an_empty_unsigned_or_foreign_file_is_refused_in_words(auth_client, stored, ca, stand_in_pdfs, data):
    response = _upload(auth_client, stored, "manifestazione", data, "prova.pdf")
    assert response.status_code == 422 and "prova.pdf" in response.get_data(as_text=True)


def test_a_file_too_large_is_refused_before_its_checks(app, auth_client, stored, ca, stand_in_pdfs):
    app.config["PATTI_UPLOAD_MAX_BYTES"] = 1000
    response = _upload(auth_client, stored, "manifestazione", b"%PDF-" + b"x" * 2000)
    assert response.status_code in (413, 422)


def test_who_may_only_read_cannot_upload(app, stored, make_user, ca, stand_in_pdfs):
    from patti_web.domande.models import Membership
    from patti_web.extensions import db
    from tests.support.sandbox import LoggedInClient

    reader = make_user(email="lettore@example.it")
    db.session.add(Membership(application_id=stored.id, user_id=reader.id, ruolo="lettore"))
    db.session.commit()
    app.test_client_class = LoggedInClient
    client = app.test_client(user=reader)
    assert client.get(f"/domande/{stored.id}/presentazione").status_code == 200
    signed = ca.signer(ACT_SIGNER).pades(_generated(app, stored, "manifestazione"))
    assert _upload(client, stored, "manifestazione", signed).status_code == 403


def test_deleting_the_application_deletes_its_signed_files(app, auth_client, stored, ca, stand_in_pdfs, tmp_path):
    signed = ca.signer(ACT_SIGNER).pades(_generated(app, stored, "manifestazione"))
    assert _upload(auth_client, stored, "manifestazione", signed).status_code == 303
    assert auth_client.post(f"/domande/{stored.id}/elimina").status_code == 303
    assert not list((tmp_path / "firmati").rglob("*" + hashlib.sha256(signed).hexdigest()))


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_the_real_act_downloaded_signed_and_uploaded_is_verified(auth_client, stored, ca):
    downloaded = auth_client.get(f"/domande/{stored.id}/manifestazione.pdf")
    assert downloaded.status_code == 200
    signed = ca.signer(ACT_SIGNER, "Roberto", "Saccà").pades(downloaded.data)
    assert _upload(auth_client, stored, "manifestazione", signed).status_code == 303
    assert operations.table(_state(stored))[0].state == operations.VERIFIED


def test_the_office_command_checks_a_file_and_exits_0_1_or_2(app, runner, stored, ca, stand_in_pdfs, tmp_path):
    good = tmp_path / "buono.pdf"
    good.write_bytes(ca.signer(ACT_SIGNER).pades(_generated(app, stored, "manifestazione")))
    result = runner.invoke(args=["patti", "verifica-firma", str(good), "--domanda", str(stored.id)])
    assert result.exit_code == 0 and "✓ Firmato da SCCRRT85T10A562X" in result.output and "verificato" in result.output
    wrong = tmp_path / "sbagliato.p7m"
    wrong.write_bytes(ca.signer("RSSCRL60A01B157U").cades(_generated(app, stored, "manifestazione")))
    result = runner.invoke(args=["patti", "verifica-firma", str(wrong), "--domanda", str(stored.id),
                                 "--format", "json"])
    assert result.exit_code == 1 and '"esito": "rifiutato"' in result.output
    letter = tmp_path / "adesione.p7m"
    letter.write_bytes(ca.signer(LETTER_SIGNER).cades(_generated(app, stored, "adesione:p1")))
    assert runner.invoke(args=["patti", "verifica-firma", str(letter), "--domanda", str(stored.id),
                               "--partner", "p1"]).exit_code == 0
    junk = tmp_path / "foto.jpg"
    junk.write_bytes(b"\xff\xd8\xff not a signature")
    assert runner.invoke(args=["patti", "verifica-firma", str(junk), "--domanda", str(stored.id)]).exit_code == 2
    assert runner.invoke(args=["patti", "verifica-firma", str(tmp_path / "manca.pdf"),
                               "--domanda", str(stored.id)]).exit_code == 2


def test_a_file_name_with_a_nul_is_refused_and_a_long_one_keeps_its_extension(app, auth_client, stored, ca,
                                                                              stand_in_pdfs):
    signed = ca.signer(ACT_SIGNER).pades(_generated(app, stored, "manifestazione"))
    assert _upload(auth_client, stored, "manifestazione", signed, "a\x00b.pdf").status_code == 400
    assert _upload(auth_client, stored, "manifestazione", signed, "n" * 300 + ".pdf").status_code == 303
    name = operations.table(_state(stored))[0].latest.nome_file
    assert name.endswith(".pdf") and len(name) <= 200


def test_a_missing_codice_fiscale_is_said_before_anyone_signs(auth_client, stored):
    page = auth_client.get(f"/domande/{stored.id}/presentazione").get_data(as_text=True)
    assert "codice fiscale mancante" in page  # partners p2..p6 of the sample give none


PROCURATORE_CF = "BNCGLI80A41B157F"


def test_with_a_procuratore_the_act_is_theirs_to_sign_and_the_legal_representatives_signature_is_refused(
        app, auth_client, stored, ca, stand_in_pdfs, valid_doc, store, user):
    valid_doc["capofila"]["procuratore"] = {"nome": "Giulia", "cognome": "Bianchi", "codice_fiscale": PROCURATORE_CF,
                                            "procura_numero": "1234/2024", "procura_data": "2024-02-10"}
    with_procuratore = store(valid_doc, user)
    act = operations.documents(_state(with_procuratore))[0]
    assert (act.signer_cf, act.signer_name, act.signer_role) == (PROCURATORE_CF, "Giulia Bianchi",
                                                                 "il procuratore del capofila")
    by_the_representative = ca.signer(ACT_SIGNER, "Roberto", "Saccà").pades(
        _generated(app, with_procuratore, "manifestazione"))
    refused = _upload(auth_client, with_procuratore, "manifestazione", by_the_representative)
    assert refused.status_code == 422 and PROCURATORE_CF in refused.get_data(as_text=True)
    by_the_procuratore = ca.signer(PROCURATORE_CF, "Giulia", "Bianchi").pades(
        _generated(app, with_procuratore, "manifestazione"))
    assert _upload(auth_client, with_procuratore, "manifestazione", by_the_procuratore).status_code == 303
    # Without one, the legal representative signs.
    plain = operations.documents(_state(stored))[0]
    assert (plain.signer_cf, plain.signer_role) == (ACT_SIGNER, "il legale rappresentante del capofila")


def test_the_letters_are_listed_by_their_number_in_the_act(stored):
    from patti_web.documenti import act_order
    from patti_web.portal import current_edition

    state = _state(stored)
    letters = operations.documents(state)[1:]
    order = act_order(state.domanda, current_edition())
    assert [d.partner_id for d in letters] == [p.id for _n, p in order]
    assert [d.label for d in letters] == [f"Lettera di adesione {n}: {p.denominazione}" for n, p in order]
    assert [p.id for _n, p in order] != [p.id for p in state.domanda.partner]  # the sample's order is not the act's
