"""The access matrix: every route of the portal, GET and POST, for six kinds of visitor (anonymous, another user,
lettore, collaboratore, titolare, staff), the status each gets, checked against the policy below and written to
docs/security.md (`PATTI_WRITE_DOCS=1 ./run-tests tests/test_access.py` rewrites it; otherwise the test fails when
the file is not what the portal does).

Each request runs on an application made fresh for it, so a titolare's delete or a collaboratore's removal does not
change what the next visitor meets. PDFs are switched off (LibreOffice would take seconds per request): the PDF
routes answer 503 "PDF not available" to whoever may download them, after the access check.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from patti_web import domande
from patti_web.avviso import sezioni
from patti_web.avviso.domanda import read_document
from patti_web.domande.models import Membership
from patti_web.extensions import db, limiter
from patti_web.persone import accounts, inviti
from patti_web.web.domande.forms import SectionForm
from tests.support.sandbox import log_in_client

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "security.md"
VISITORS = ("anonimo", "altro utente", "lettore", "collaboratore", "titolare", "staff")

# Who may use each endpoint: public (anyone), token (anyone holding a mailed link), login (any account), read (a
# role on the application: lettore and up, staff), edit (collaboratore, titolare), manage (titolare).
POLICY = {
    "main.home": "public", "main.call": "public", "main.health": "public", "favicon": "public", "static": "public",
    "auth.login": "public", "auth.register": "public", "auth.forgot_password": "public", "auth.logout": "public",
    "auth.ask_login_link": "public",
    "auth.confirm": "token", "auth.reset_password": "token", "auth.login_link": "token", "persone.accept": "token",
    "adesione.page": "token", "adesione.letter_pdf": "token", "adesione.upload": "token",
    "auth.account": "login", "auth.change_password": "login", "auth.logout_everywhere": "login",
    "domande.index": "login", "domande.ateco_search": "login",
    "domande.create": "author", "domande.import_json": "author",
    "domande.tasks": "read", "domande.checklist": "read", "domande.riepilogo": "read",
    "domande.export_json": "read", "persone.people": "read", "persone.activity": "read",
    "documenti.docx": "read", "documenti.pdf": "read", "documenti.letters_zip": "read",
    "documenti.letters_pdf_zip": "read", "documenti.letter_docx": "read", "documenti.letter_pdf": "read",
    "presentazione.page": "read", "presentazione.signed_file": "read", "presentazione.upload": "edit",
    "presentazione.receipt_pdf": "read", "presentazione.receipt_docx": "read", "presentazione.package": "read",
    "presentazione.submit": "manage", "presentazione.withdraw": "manage",
    "presentazione.make_link": "edit", "presentazione.revoke_link": "edit",
    "domande.remove": "edit", "domande.duplicate": "edit",
    "domande.partner_template": "read", "domande.import_partners": ("read", "edit"),
    "domande.delete": "manage", "persone.invite": "manage", "persone.revoke": "manage",
    "persone.change_role": "manage", "persone.remove": "manage", "persone.hand_over": "manage",
}
# Every section's pages, from the registry: a single section's form is for who edits; a list is read by every role
# (and, where its form is on the list, such as the partners', POSTed by who edits), its items' pages are for who edits.
for _part in sezioni.SEZIONI:
    if not _part.is_list:
        POLICY[f"domande.{_part.chiave}"] = "edit"
        continue
    POLICY[f"domande.{_part.chiave}"] = ("read", "edit") if getattr(SectionForm.of(_part.chiave), "on_the_list",
                                                                     False) else "read"
    POLICY[f"domande.{_part.elemento}"] = "edit"
WHO = {"public": "anyone", "token": "who holds the link", "login": "any account", "author": "any account but staff",
       "read": "every role, staff", "edit": "collaboratore, titolare", "manage": "titolare"}
ROLE_OF = {"lettore": domande.LETTORE, "collaboratore": domande.COLLABORATORE, "titolare": domande.TITOLARE,
           "staff": domande.STAFF}
ALLOWED = {
    "read": domande.READ, "edit": domande.EDIT, "manage": domande.MANAGE,
}
# A form a visitor may send: whatever it says (saved, refused field by field, a conflict), never these.
DENIED = {401, 403, 404}
POST_DATA = {
    "auth.login": {"email": "nessuno@example.it", "password": "sbagliata-di-sicuro"},
    "auth.register": {"nome": "X"},
    "auth.forgot_password": {"email": "nessuno@example.it"},
    "auth.ask_login_link": {"email": "nessuno@example.it"},
    "auth.change_password": {"attuale": "x"},
    "applications.create": {"titolo": "Nuova"},
    "applications.partnership": {"denominazione": "Officine Nuove", "form_token": "m1"},
    "applications.capofila": {"titolo": "Patto", "versione": "1"},
    "applications.territory": {"ambito": "provinciale", "versione": "1"},
    "applications.partner_edit": {"denominazione": "Officine", "versione": "1"},
    "applications.sector_edit": {"descrizione": "Meccanica", "azione": "salva", "versione": "1"},
    "applications.need_edit": {"titolo": "Saldatori", "azione": "salva", "versione": "1"},
    "applications.intervention_edit": {"titolo": "Corso", "versione": "1"},
    "inviti.invite": {"email": "nuova@example.it", "ruolo": "lettore"},
    "auth.reset_password": {"password": "x"},
    "auth.confirm": {"password": "x"},
    "presentazione.upload": {"documento": "manifestazione"},
    "presentazione.submit": {"presenta-conferma": "y", "presenta-versione": "1"},
    "presentazione.withdraw": {"ritiro-conferma": "y"},
    "inviti.change_role": {"ruolo": "collaboratore"},
}


@dataclass
class World:
    users: dict[str, object]  # visitor -> user (None for anonymous)
    target: object  # a second lettore: the member that role changes, removal and hand-over act on


def _world(make_user) -> World:
    users = {"anonimo": None}
    for name in VISITORS[1:]:
        users[name] = make_user(email=f"{name.replace(' ', '-')}@example.it", nome=name.title())
    users["staff"].staff = True
    db.session.commit()
    return World(users, make_user(email="secondo-lettore@example.it", nome="Secondo Lettore"))


def _application(world: World, valid_doc: dict) -> dict:
    """A fresh application of the titolare, with a lettore, a collaboratore, a second lettore and an open invitation;
    the values its routes need."""
    import json

    owner = world.users["titolare"]
    head = domande.import_domanda(read_document(json.dumps(valid_doc)), owner)
    for name, role in (("lettore", "lettore"), ("collaboratore", "collaboratore")):
        db.session.add(Membership(application_id=head.id, user_id=world.users[name].id, ruolo=role))
    db.session.add(Membership(application_id=head.id, user_id=world.target.id, ruolo="lettore"))
    db.session.commit()
    invitation, token = inviti.invite(head.id, owner, "invitato@example.it", "lettore")
    d = domande.load(head.id, None).domanda
    lettore = world.users["lettore"]
    # A signed file of the act (any bytes: the route only serves what was kept).
    from patti_web.presentazione import archivio
    from patti_web.presentazione.models import FileFirmato

    signed = FileFirmato(application_id=head.id, documento="manifestazione", versione=1,
                         sha256=archivio.put(b"%PDF-1.7 firmato"), nome_file="firmato.pdf", dimensione=16,
                         formato="PAdES", firmatario="RSSMRA85T10A562S", esito="verificato", controlli={})
    db.session.add(signed)
    db.session.commit()
    # A partner's personal link (for the first partner).
    from patti_web.presentazione import links

    _link, partner_token = links.make_link(head.id, owner, d.partner[0].id)
    # A confirmation link works once: the one of an address not confirmed yet.
    unconfirmed = accounts.register_user(f"da-confermare-{head.id}@example.it", "Da Confermare", "password-di-prova")
    return {"domanda_id": head.id, "partner_id": d.partner[0].id, "sezione": "partenariato",
            # An item of each list section, for its page; the removal page removes a partner.
            "items": {"domande.remove": d.partner[0].id,
                      **{f"domande.{part.elemento}": part.items(d)[0].id for part in sezioni.LISTS}},
            "user_id": world.target.id, "invitation_id": invitation.id, "filename": "patti.css", "formato": "csv",
            "file_id": signed.id,
            # Each link's own valid token (an invitation to an address none of the visitors has).
            "tokens": {"persone.accept": token, "auth.confirm": accounts.make_confirmation_token(unconfirmed),
                       "auth.reset_password": accounts.make_reset_token(lettore),
                       "auth.login_link": accounts.make_login_link_token(lettore),
                       **dict.fromkeys(("adesione.page", "adesione.letter_pdf", "adesione.upload"), partner_token)}}


def _url(rule, values: dict, app) -> str:
    with app.test_request_context():
        from flask import url_for

        special = {"token": values["tokens"].get(rule.endpoint), "item_id": values["items"].get(rule.endpoint)}
        args = {name: special[name] if name in special else values[name]
                for name in rule.arguments if name not in (rule.defaults or {})}
        return url_for(rule.endpoint, **args)


def _expected(policy: str, visitor: str, method: str) -> set[int] | str:
    """The statuses a visitor may get, or "ok" (anything but a denial: the page, a redirect, a refused form)."""
    if policy in ("public", "token"):
        return "ok"
    if visitor == "anonimo":
        return {303}  # to the login page (a POST's typing kept for that browser)
    if policy == "login":
        return "ok"
    if policy == "author":
        return {403} if visitor == "staff" else "ok"
    if visitor == "altro utente":
        return {404}
    return "ok" if ROLE_OF[visitor] in ALLOWED[policy] else {403}


def _rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_has_a_policy(app):
    assert {rule.endpoint for rule in app.url_map.iter_rules()} == set(POLICY)


def test_the_access_matrix(app, make_user, valid_doc, monkeypatch):
    from patti_web.documenti import pdf

    monkeypatch.setattr(pdf, "soffice_path", lambda: None)
    monkeypatch.setattr(limiter, "enabled", False)  # the limits have their own tests
    world = _world(make_user)
    lines, wrong = [], []
    for rule, method in _rules(app):
        policy = POLICY[rule.endpoint]
        policy = policy[0 if method == "GET" else 1] if isinstance(policy, tuple) else policy
        statuses = []
        for visitor in VISITORS:
            values = _application(world, valid_doc)
            client = app.test_client()
            if world.users[visitor] is not None:
                log_in_client(client, world.users[visitor])
            url = _url(rule, values, app)
            headers = {"Origin": "http://localhost"}
            response = (client.get(url) if method == "GET"
                        else client.post(url, data=POST_DATA.get(rule.endpoint, {}), headers=headers))
            status = response.status_code
            response.close()
            expected = _expected(policy, visitor, method)
            if status >= 500 and status != 503 or (expected == "ok" and status in DENIED) or (
                    expected != "ok" and status not in expected):
                wrong.append(f"{method} {rule.rule} as {visitor}: {status}, expected {expected}")
            if visitor == "anonimo" and expected == {303}:
                assert re.match(r"^/accedi", _location(response)), (method, rule.rule)
            statuses.append(status)
        lines.append(f"| {method} | `{rule.rule}` | {WHO[policy]} | " + " | ".join(map(str, statuses)) + " |")
    assert wrong == [], "\n".join(wrong)
    _check_doc(lines)


def _location(response) -> str:
    from urllib.parse import urlsplit

    return urlsplit(response.headers.get("Location", "")).path


def _check_doc(lines: list[str]) -> None:
    table = "\n".join(["| method | route | who may | " + " | ".join(VISITORS) + " |",
                       "|---|---|---|" + "---:|" * len(VISITORS), *lines])
    start, end = "<!-- access-matrix:start -->", "<!-- access-matrix:end -->"
    text = DOC.read_text(encoding="utf-8")
    before, after = text[:text.index(start) + len(start)], text[text.index(end):]
    current = text[len(before):text.index(end)].strip()
    if os.environ.get("PATTI_WRITE_DOCS") == "1":
        DOC.write_text(f"{before}\n{table}\n{after}", encoding="utf-8")
        return
    assert current == table, "docs/security.md is out of date: PATTI_WRITE_DOCS=1 ./run-tests tests/test_access.py"


def test_ids_beyond_the_databases_range_are_404_never_500(auth_client, stored):
    for rule, method in _rules(auth_client.application):
        if "domanda_id" not in rule.arguments:
            continue
        values = {"domanda_id": 2**63, "partner_id": "x", "sezione": "partenariato", "user_id": 2**64,
                  "invitation_id": 10**30, "file_id": 2**70, "formato": "xlsx", "tokens": {},
                  "items": {rule.endpoint: "x"}}
        url = _url(rule, values, auth_client.application)
        response = auth_client.get(url) if method == "GET" else auth_client.post(url, data={})
        assert response.status_code == 404, (method, url, response.status_code)
    for url in ("/domande/1/persone/99999999999999999999/rimuovi",
                "/domande/1/persone/inviti/10000000000000000000/revoca"):
        assert auth_client.post(url).status_code == 404
    assert auth_client.get(f"/domande/{stored.id}/firmati/{2**70}").status_code == 404


def test_a_member_who_may_not_is_refused_and_nothing_changes(app, make_user, valid_doc):
    world = _world(make_user)
    values = _application(world, valid_doc)
    lettore = app.test_client()
    log_in_client(lettore, world.users["lettore"])
    base = f"/domande/{values['domanda_id']}"
    assert lettore.post(f"{base}/capofila", data={"titolo": "Cambiato dal lettore"}).status_code == 403
    assert lettore.post(f"{base}/elimina").status_code == 403
    assert lettore.get(f"{base}/riepilogo").status_code == 200
    assert domande.load(values["domanda_id"], None).domanda.titolo == valid_doc["titolo"]
    members = db.session.scalars(select(Membership.user_id).where(
        Membership.application_id == values["domanda_id"])).all()
    assert len(members) == 3
