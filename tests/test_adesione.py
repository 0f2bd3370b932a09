"""A partner's personal link (issue 15, item 2): the capofila makes it on Firma e presentazione (shown once), the
partner opens it without an account, sees its own data and letter only, uploads the letter signed (checked as the
capofila's upload is); a link expired, revoked, tampered, for a removed partner or a deleted application is refused
with a clear page (410 or 404, never a 500). Signatures made with a test CA (conftest.py `ca`, `stand_in_pdfs`)."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import g
from sqlalchemy import select, update

from patti_web import domande
from patti_web.domande.models import DomandaRecord, Membership
from patti_web.extensions import db
from patti_web.presentazione import links, operations
from patti_web.presentazione.models import FileFirmato, LinkAdesione

LETTER_SIGNER = "RSSCRL60A01B157U"  # the legal representative of partner p1
P1, P2 = "Officine Meccaniche Rossi &amp; Figli S.r.l.", "Distretto del Commercio di Brescia Centro"
OTHER_PARTNERS = (P2, "CISL Brescia", "Università degli Studi di Brescia", "Fondazione ITS Machina Lonati")


def _generated(stored, key: str) -> bytes:
    state = domande.load(stored.id, None)
    return operations.expected(state, operations.document_of(state, key)).pdf


def _make_link(auth_client, stored, partner_id: str = "p1") -> str:
    """Make the partner's link from the capofila's page and return its path, as the page shows it once."""
    response = auth_client.post(f"/domande/{stored.id}/presentazione/link/{partner_id}")
    assert response.status_code == 303
    page = auth_client.get(f"/domande/{stored.id}/presentazione").get_data(as_text=True)
    found = re.search(r'value="https?://[^/"]+(/adesione/[^"]+)"', page)
    assert found, "the new link is shown once on the page"
    return found.group(1)


def _upload(client, path: str, data: bytes, name: str = "adesione-firmata.pdf.p7m", **extra):
    return client.post(f"{path}/carica", content_type="multipart/form-data",
                       data={"firmato": (io.BytesIO(data), name), **extra})


@pytest.fixture
def partner(app):
    """The partner's browser: no account, no login."""
    return app.test_client()


def test_the_link_is_shown_once_and_the_page_says_which_partners_have_one(auth_client, stored):
    path = _make_link(auth_client, stored)
    again = auth_client.get(f"/domande/{stored.id}/presentazione").get_data(as_text=True)
    assert path not in again and "/adesione/" not in again
    assert again.count("Attivo fino al") == 1 and "Revoca il link" in again
    assert db.session.scalar(select(LinkAdesione.chiave_sha256)) not in path  # the row keeps a digest only


def test_the_partner_sees_its_own_data_and_letter_and_no_other_partner(auth_client, stored, partner):
    path = _make_link(auth_client, stored)
    response = partner.get(path)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response.headers["Cache-Control"]
    assert P1 in page and "00859790172" in page and "Carlo Rossi" in page and LETTER_SIGNER in page
    assert not [name for name in OTHER_PARTNERS if name in page]
    assert f"/domande/{stored.id}" not in page  # no way into the application itself
    assert f'action="{path}/carica"' in page


def test_a_good_letter_uploaded_through_the_link_is_verified_and_the_table_says_by_whom(auth_client, stored,
                                                                                        partner, ca, stand_in_pdfs):
    path = _make_link(auth_client, stored)
    signed = ca.signer(LETTER_SIGNER, "Carlo", "Rossi").cades(_generated(stored, "adesione:p1"))
    response = _upload(partner, path, signed)
    assert response.status_code == 303
    page = partner.get(path).get_data(as_text=True)
    assert "firma verificata" in page and "Verificato" in page
    rows = {row.document.key: row for row in operations.table(domande.load(stored.id, None))}
    assert rows["adesione:p1"].state == operations.VERIFIED
    assert rows["adesione:p1"].uploaded_by == "il partner, tramite link personale"
    assert rows["adesione:p1"].latest.caricato_da is None and rows["adesione:p1"].latest.link_id is not None
    table = auth_client.get(f"/domande/{stored.id}/presentazione").get_data(as_text=True)
    assert "dal partner stesso, tramite link personale" in table


def test_another_partners_letter_is_refused_check_by_check_and_nothing_is_kept(auth_client, stored, partner, ca,
                                                                               stand_in_pdfs, tmp_path):
    path = _make_link(auth_client, stored)
    wrong = ca.signer(LETTER_SIGNER, "Carlo", "Rossi").pades(_generated(stored, "adesione:p2"))
    response = _upload(partner, path, wrong, "lettera-p2.pdf", documento="adesione:p2")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "lettera-p2.pdf non è stato accettato" in page and "non è quello della versione 1" in page
    assert page.count("<li>✓") >= 2 and "<li>✗" in page  # one line per check, passed or failed
    assert 'href="#firmato"' in page  # and in the error summary
    assert db.session.scalar(select(FileFirmato.id)) is None and not (tmp_path / "firmati").exists()


def test_the_use_case_refuses_a_link_for_another_document(auth_client, stored, ca, stand_in_pdfs):
    _make_link(auth_client, stored)
    link = db.session.scalar(select(LinkAdesione))
    state = domande.load(stored.id, None)
    signed = ca.signer(LETTER_SIGNER).cades(_generated(stored, "manifestazione"))
    for key in ("manifestazione", "adesione:p2"):
        with pytest.raises(operations.Refused, match="altro documento"):
            operations.upload(state, link, key, "x.p7m", signed)


@pytest.mark.parametrize("how", ["revoked", "replaced", "expired"])
def test_a_revoked_replaced_or_expired_link_is_gone_with_a_clear_page(auth_client, stored, partner, ca,
                                                                     stand_in_pdfs, how):
    path = _make_link(auth_client, stored)
    if how == "revoked":
        assert auth_client.post(f"/domande/{stored.id}/presentazione/link/p1/revoca").status_code == 303
        assert "Nessun link attivo" in auth_client.get(f"/domande/{stored.id}/presentazione").get_data(as_text=True)
    elif how == "replaced":
        newer = _make_link(auth_client, stored)
        assert partner.get(newer).status_code == 200
    else:
        db.session.execute(update(LinkAdesione).values(scade_at=datetime.now(UTC).replace(tzinfo=None)
                                                       - timedelta(minutes=1)))
        db.session.commit()
    signed = ca.signer(LETTER_SIGNER).cades(_generated(stored, "adesione:p1"))
    for response in (partner.get(path), _upload(partner, path, signed), partner.get(f"{path}/lettera.pdf")):
        page = response.get_data(as_text=True)
        assert response.status_code == 410 and "chiedere al capofila" in page.lower(), page
    assert db.session.scalar(select(FileFirmato.id)) is None


def test_the_partner_downloads_the_pdf_of_its_own_letter(app, auth_client, stored, partner, stand_in_pdfs,
                                                        monkeypatch):
    from patti_web.web.documenti import views as documenti

    monkeypatch.setattr(documenti, "pdfs_of", operations.pdfs_of)  # the stand-in PDFs, for the download too
    path = _make_link(auth_client, stored)
    response = partner.get(f"{path}/lettera.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.data == _generated(stored, "adesione:p1") != _generated(stored, "adesione:p2")


def test_a_link_revoked_while_its_file_is_checked_keeps_nothing(auth_client, stored, partner, ca, stand_in_pdfs,
                                                                 monkeypatch, user):
    from patti_web.presentazione import firme

    path = _make_link(auth_client, stored)
    signed = ca.signer(LETTER_SIGNER).cades(_generated(stored, "adesione:p1"))
    verify = firme.verify

    def revoked_meanwhile(*args):
        outcome = verify(*args)
        links.revoke_link(stored.id, user, "p1")
        return outcome

    monkeypatch.setattr(firme, "verify", revoked_meanwhile)
    response = _upload(partner, path, signed)
    assert response.status_code == 422 and "mentre il file veniva controllato" in response.get_data(as_text=True)
    assert db.session.scalar(select(FileFirmato.id)) is None


def test_the_link_lasts_the_configured_days(app, auth_client, stored):
    app.config["PATTI_LINK_ADESIONE_GIORNI"] = 3
    _make_link(auth_client, stored)
    link = db.session.scalar(select(LinkAdesione))
    assert link.scade_at - link.creato_at == timedelta(days=3) and link.creato_da is not None


def test_a_tampered_or_cut_link_is_not_found(auth_client, stored, partner):
    path = _make_link(auth_client, stored)
    token = path.rsplit("/", 1)[1]
    tampered = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    for bad in (tampered, token[:20], "x", "." * 50, token.replace(".", "", 1)):
        response = partner.get(f"/adesione/{bad}")
        assert response.status_code == 404 and "non è valido" in response.get_data(as_text=True)


def test_a_removed_partner_or_a_deleted_application_makes_the_link_not_found(app, auth_client, stored, partner,
                                                                            user):
    path = _make_link(auth_client, stored)
    domande.remove_item(stored.id, user, "partenariato", "p1")
    response = partner.get(path)
    assert response.status_code == 404 and "non fa più parte" in response.get_data(as_text=True)
    other = _make_link(auth_client, stored, "p2")
    assert auth_client.post(f"/domande/{stored.id}/elimina").status_code == 303
    assert partner.get(other).status_code == 404
    assert db.session.scalar(select(LinkAdesione.id)) is None


def test_after_the_submission_no_upload_and_no_new_link(auth_client, stored, partner, ca, stand_in_pdfs):
    path = _make_link(auth_client, stored)
    db.session.execute(update(DomandaRecord).values(stato="presentata"))
    db.session.commit()
    signed = ca.signer(LETTER_SIGNER).cades(_generated(stored, "adesione:p1"))
    response = _upload(partner, path, signed)
    assert response.status_code == 422 and "è stata presentata" in response.get_data(as_text=True)
    capofila = auth_client.post(f"/domande/{stored.id}/presentazione/carica", content_type="multipart/form-data",
                                data={"documento": "adesione:p1", "firmato": (io.BytesIO(signed), "a.p7m")})
    assert capofila.status_code == 409 and "è stata presentata" in capofila.get_data(as_text=True)
    assert "è stata presentata" in partner.get(path).get_data(as_text=True)
    made = auth_client.post(f"/domande/{stored.id}/presentazione/link/p2")
    assert made.status_code == 303 and "è stata presentata" in auth_client.get(made.headers["Location"]).get_data(
        as_text=True)
    assert db.session.scalar(select(LinkAdesione.id).where(LinkAdesione.partner_id == "p2")) is None
    assert db.session.scalar(select(FileFirmato.id)) is None


def test_a_lettore_sees_the_links_but_may_not_make_or_revoke_one(app, stored, make_user, auth_client):
    from tests.support.sandbox import LoggedInClient

    _make_link(auth_client, stored)
    reader = make_user(email="lettore@example.it")
    db.session.add(Membership(application_id=stored.id, user_id=reader.id, ruolo="lettore"))
    db.session.commit()
    app.test_client_class = LoggedInClient
    client = app.test_client(user=reader)
    page = client.get(f"/domande/{stored.id}/presentazione").get_data(as_text=True)
    assert "Attivo fino al" in page and "Revoca il link" not in page
    assert client.post(f"/domande/{stored.id}/presentazione/link/p1").status_code == 403
    assert client.post(f"/domande/{stored.id}/presentazione/link/p1/revoca").status_code == 403
    assert client.post(f"/domande/{stored.id}/presentazione/link/nessuno").status_code == 403
    assert auth_client.post(f"/domande/{stored.id}/presentazione/link/nessuno").status_code == 404


def test_the_link_upload_needs_its_csrf_token_and_keeps_the_body_limit(app, auth_client, stored, partner, ca,
                                                                       stand_in_pdfs):
    path = _make_link(auth_client, stored)
    signed = ca.signer(LETTER_SIGNER).cades(_generated(stored, "adesione:p1"))
    app.config["WTF_CSRF_ENABLED"] = True
    g.pop("csrf_token", None)  # the tests' app context outlives each request: the capofila's token is cached there
    assert _upload(partner, path, signed).status_code == 400
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', partner.get(path).get_data(as_text=True))
    app.config["PATTI_UPLOAD_MAX_BYTES"] = 1000
    assert _upload(partner, path, b"%PDF-" + b"x" * 200_000, csrf_token=token.group(1)).status_code == 413
    app.config["PATTI_UPLOAD_MAX_BYTES"] = 20 * 2**20
    assert _upload(partner, path, signed, csrf_token=token.group(1)).status_code == 303


def test_the_link_pages_are_rate_limited(app, auth_client, stored, partner):
    from patti_web.extensions import limiter

    path = _make_link(auth_client, stored)
    limiter.reset()
    statuses = [partner.get(path).status_code for _ in range(61)]
    assert statuses[:60] == [200] * 60 and statuses[60] == 429


def test_the_links_use_cases_answer_for_unknown_and_foreign_tokens(app, stored):
    with pytest.raises(links.LinkRefused) as refused:
        links.opened(links._serializer().dumps({"l": 2**70, "k": "x"}))
    assert refused.value.status == 404
    with pytest.raises(links.LinkRefused):
        links.opened(links._serializer().dumps([1, 2]))


def test_a_link_can_be_revoked_after_the_submission(auth_client, stored, partner):
    path = _make_link(auth_client, stored)
    db.session.execute(update(DomandaRecord).values(stato="presentata"))
    db.session.commit()
    assert auth_client.post(f"/domande/{stored.id}/presentazione/link/p1/revoca").status_code == 303
    assert partner.get(path).status_code == 410
