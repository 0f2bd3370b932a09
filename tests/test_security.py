"""What keeps out whoever does not belong, each test failing if its protection is removed: links only to ourselves,
sessions that end on the server, limits, headers, invitations, staff, one application per submission."""

from __future__ import annotations

import importlib
import json
import re

import pytest
from helpers import DATA
from sqlalchemy import func, select

from patti_web import domande
from patti_web.domande.models import DomandaRecord, Membership
from patti_web.extensions import db
from patti_web.persone import accounts, inviti
from patti_web.persone.mail import outbox, wait_for_mail
from patti_web.persone.models import LoginSession, User

PASSWORD = "password-di-prova"  # make_user's
NEW_PASSWORD = "una nuova password lunga"


def _mails(app, to: str | None = None) -> list:
    wait_for_mail()
    return [m for m in outbox(app) if to is None or m["To"] == to]


def _link(message, path: str) -> str:
    return re.search(rf"https?://[^/\s]+({re.escape(path)}\S+)", message.get_content()).group(1)


def _log_in(client, email: str, password: str = PASSWORD):
    return client.post("/accedi", data={"email": email, "password": password})


def _session_cookie(client) -> str:
    return client.get_cookie("session").value


# Links only to ourselves ------------------------------------------------------------------------------------------


def test_a_host_header_that_is_not_ours_is_refused_and_mails_no_link(app, client, user):
    response = client.post("/password-dimenticata", data={"email": user.email}, headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert _mails(app) == []
    client.post("/password-dimenticata", data={"email": user.email})  # our own host
    assert _link(_mails(app, user.email)[0], "/reimposta-password/")
    assert "evil.example" not in _mails(app, user.email)[0].get_content()


def test_links_in_mails_come_from_the_configured_base_url(app, client, user):
    app.config["PATTI_BASE_URL"] = "https://patti.example.it"
    client.post("/password-dimenticata", data={"email": user.email})
    assert "https://patti.example.it/reimposta-password/" in _mails(app, user.email)[0].get_content()


def test_the_proxy_headers_count_only_when_a_proxy_is_configured(make_user):
    from patti_web import create_app
    from patti_web.config import TestConfig

    for hops, expected in ((0, "http"), (1, "https")):
        app = create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                          "PATTI_PROXY_FIX": hops})

        @app.get("/schema-di-prova")
        def scheme():
            from flask import request

            return request.scheme

        response = app.test_client().get("/schema-di-prova", headers={"X-Forwarded-Proto": "https"})
        assert response.get_data(as_text=True) == expected


def test_cookies_are_secure_by_default_over_https(monkeypatch):
    from patti_web import config

    try:
        monkeypatch.setenv("PATTI_BASE_URL", "https://patti.example.it")
        assert importlib.reload(config).Config.SESSION_COOKIE_SECURE is True
        monkeypatch.setenv("PATTI_COOKIE_SECURE", "0")
        assert importlib.reload(config).Config.SESSION_COOKIE_SECURE is False
        monkeypatch.delenv("PATTI_COOKIE_SECURE")
        monkeypatch.delenv("PATTI_BASE_URL")
        assert importlib.reload(config).Config.SESSION_COOKIE_SECURE is False
    finally:
        monkeypatch.undo()
        importlib.reload(config)


def test_a_secure_app_sets_secure_httponly_cookies(app, client, user):
    app.config["SESSION_COOKIE_SECURE"] = True
    cookie = _log_in(client, user.email).headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


# Sessions that end on the server ----------------------------------------------------------------------------------


def _replay(app, cookie: str) -> int:
    """A second browser with a copy of the session cookie: the status of "Le mie domande"."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief.get("/domande").status_code


def test_a_cookie_copied_before_logout_opens_nothing_after_it(app, client, user):
    assert _log_in(client, user.email).status_code == 303
    copied = _session_cookie(client)
    assert _replay(app, copied) == 200  # the copy works while the session lives
    client.post("/esci")
    assert _replay(app, copied) == 303  # to the login page


def test_a_cookie_copied_before_a_password_reset_opens_nothing_after_it(app, client, user):
    _log_in(client, user.email)
    copied = _session_cookie(client)
    other = app.test_client()
    other.post("/password-dimenticata", data={"email": user.email})
    link = _link(_mails(app, user.email)[0], "/reimposta-password/")
    assert other.post(link, data={"password": NEW_PASSWORD, "password_conferma": NEW_PASSWORD}).status_code == 303
    assert _replay(app, copied) == 303
    assert other.get("/domande").status_code == 200  # the browser that reset it is logged in afresh


def test_changing_the_password_or_logging_out_everywhere_ends_every_other_session(app, user):
    first, second = app.test_client(), app.test_client()
    _log_in(first, user.email)
    _log_in(second, user.email)
    response = first.post("/account/password", data={"attuale": PASSWORD, "password": NEW_PASSWORD,
                                                     "password_conferma": NEW_PASSWORD})
    assert response.status_code == 303
    assert second.get("/domande").status_code == 303 and first.get("/domande").status_code == 200
    _log_in(second, user.email, NEW_PASSWORD)
    first.post("/account/esci-ovunque")
    assert first.get("/domande").status_code == 303 and second.get("/domande").status_code == 303
    assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 0


def test_login_renews_the_session_and_the_csrf_token(app, client, user):
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/accedi").get_data(as_text=True)
    before = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    with client.session_transaction() as session:
        anonymous_token = session["csrf_token"]
        session["planted"] = "by an attacker"
    assert client.post("/accedi", data={"email": user.email, "password": PASSWORD, "csrf_token": before}
                       ).status_code == 303
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("csrf_token") != anonymous_token


def test_a_login_expires_after_its_hours_whatever_the_cookie(app, client, user):
    _log_in(client, user.email)
    assert client.get("/domande").status_code == 200
    app.config["PATTI_SESSION_ORE"] = 0
    assert client.get("/domande").status_code == 303


# Accounts ---------------------------------------------------------------------------------------------------------


def test_registering_a_known_or_a_new_address_answers_the_same(app, client, user):
    known = client.post("/registrati", data={"nome": "X", "email": user.email, "password": NEW_PASSWORD,
                                             "password_conferma": NEW_PASSWORD})
    new = client.post("/registrati", data={"nome": "X", "email": "nuovo@example.it", "password": NEW_PASSWORD,
                                           "password_conferma": NEW_PASSWORD})
    assert (known.status_code, known.headers["Location"]) == (new.status_code, new.headers["Location"])
    assert len(_mails(app, user.email)) == 1 and len(_mails(app, "nuovo@example.it")) == 1


def test_the_6th_wrong_password_in_a_minute_is_refused_even_with_the_right_one(app, client, user):
    for _ in range(5):
        assert _log_in(client, user.email, "sbagliata-di-sicuro").status_code == 422
    refused = _log_in(client, user.email)
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers and int(refused.headers["Retry-After"]) > 0
    assert "Troppi tentativi" in refused.get_data(as_text=True)
    other = app.test_client()
    assert _log_in(other, "altro@example.it", "sbagliata-di-sicuro").status_code == 422  # another address: fine


def test_right_passwords_do_not_count_towards_the_limit(app, user):
    for _ in range(7):
        client = app.test_client()
        assert _log_in(client, user.email).status_code == 303


def test_reset_mails_to_one_address_are_limited(app, client, user):
    for _ in range(3):
        assert client.post("/password-dimenticata", data={"email": user.email}).status_code == 303
    assert client.post("/password-dimenticata", data={"email": user.email}).status_code == 429
    assert len(_mails(app, user.email)) == 3


# Headers ----------------------------------------------------------------------------------------------------------


def _pages(stored):
    base = f"/domande/{stored.id}"
    return ["/", "/avviso", "/accedi", "/registrati", "/password-dimenticata", "/non-esiste", "/domande", base,
            f"{base}/riepilogo", f"{base}/capofila", f"{base}/partenariato", f"{base}/persone", f"{base}/attivita",
            f"{base}/checklist", f"{base}/manifestazione.docx", f"{base}/domanda.json", "/account"]


def test_every_page_has_the_security_headers(auth_client, stored):
    for url in _pages(stored):
        response = auth_client.get(url)
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        for directive in ("default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'",
                          "form-action 'self'"):
            assert directive in csp, (url, directive)
        assert "unsafe" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin")
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Cache-Control"] == "no-store", url
    static = auth_client.get(re.search(r'href="(/static/patti\.[0-9a-f]+\.css)"',
                                       auth_client.get("/").get_data(as_text=True)).group(1))
    assert "immutable" in static.headers["Cache-Control"] and static.headers["X-Content-Type-Options"] == "nosniff"


def test_htmx_injects_no_style_and_evaluates_nothing(client):
    config = re.search(r'name="htmx-config" content=\'([^\']+)\'', client.get("/").get_data(as_text=True)).group(1)
    assert json.loads(config)["includeIndicatorStyles"] is False and json.loads(config)["allowEval"] is False


# Invitations, roles, hand-over ------------------------------------------------------------------------------------


@pytest.fixture
def owner_client(app, user):
    from tests.support.sandbox import log_in_client

    client = app.test_client()
    log_in_client(client, user)
    return client


def _invite(app, owner_client, stored, email: str, role: str = "collaboratore") -> str:
    response = owner_client.post(f"/domande/{stored.id}/persone/invita", data={"email": email, "ruolo": role})
    assert response.status_code == 303
    return _link(_mails(app, email.lower())[-1], "/invito/")


def test_an_invitation_is_accepted_once_by_the_invited_address_only(app, owner_client, stored, make_user):
    link = _invite(app, owner_client, stored, "Marta@Example.it")
    wrong = app.test_client()
    _log_in(wrong, make_user(email="altra@example.it").email)
    assert "altra@example.it" in wrong.get(link).get_data(as_text=True)
    assert wrong.post(link).status_code == 200  # the page again: not accepted
    assert wrong.get(f"/domande/{stored.id}").status_code == 404
    marta = app.test_client()
    _log_in(marta, make_user(email="marta@example.it").email)
    assert marta.post(link).status_code == 303
    assert marta.get(f"/domande/{stored.id}/capofila").status_code == 200  # a collaboratore edits
    assert marta.post(link).status_code == 400  # once
    assert app.test_client().get(link).status_code == 400


def test_a_revoked_or_replaced_invitation_does_not_work(app, owner_client, stored, make_user):
    first = _invite(app, owner_client, stored, "luca@example.it", "lettore")
    second = _invite(app, owner_client, stored, "luca@example.it", "lettore")  # a new one voids the first
    luca = app.test_client()
    _log_in(luca, make_user(email="luca@example.it").email)
    assert luca.get(first).status_code == 400
    _head, _members, pending = inviti.people(stored.id, db.session.get(User, stored.owner_id))
    owner_client.post(f"/domande/{stored.id}/persone/inviti/{pending[0].id}/revoca")
    assert luca.get(second).status_code == 400


def test_an_expired_invitation_does_not_work(app, owner_client, stored, make_user, monkeypatch):
    link = _invite(app, owner_client, stored, "eva@example.it")
    monkeypatch.setattr(inviti, "INVITATION_MAX_AGE", -1)
    eva = app.test_client()
    _log_in(eva, make_user(email="eva@example.it").email)
    assert eva.get(link).status_code == 400


def test_the_titolare_hands_over_and_stays_as_collaboratore(app, owner_client, stored, user, make_user):
    link = _invite(app, owner_client, stored, "nuovo.titolare@example.it", "lettore")
    heir = make_user(email="nuovo.titolare@example.it")
    heir_client = app.test_client()
    _log_in(heir_client, heir.email)
    heir_client.post(link)
    assert owner_client.post(f"/domande/{stored.id}/persone/{heir.id}/titolare").status_code == 303
    assert db.session.get(DomandaRecord, stored.id).owner_id == heir.id
    assert domande.get_head(stored.id, user).ruolo == "collaboratore"
    assert owner_client.get(f"/domande/{stored.id}/elimina").status_code == 403
    assert heir_client.get(f"/domande/{stored.id}/elimina").status_code == 200


def test_a_member_can_leave_and_the_titolare_can_remove(app, owner_client, stored, make_user):
    for email in ("uno@example.it", "due@example.it"):
        link = _invite(app, owner_client, stored, email, "lettore")
        client = app.test_client()
        _log_in(client, make_user(email=email).email)
        client.post(link)
    uno, due = (db.session.scalar(select(User).where(User.email == e)) for e in ("uno@example.it", "due@example.it"))
    leaver = app.test_client()
    _log_in(leaver, uno.email)
    assert leaver.post(f"/domande/{stored.id}/persone/{due.id}/rimuovi").status_code == 403  # not someone else
    assert leaver.post(f"/domande/{stored.id}/persone/{uno.id}/rimuovi").status_code == 303  # themselves
    assert owner_client.post(f"/domande/{stored.id}/persone/{due.id}/rimuovi").status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Membership)) == 0


# Staff ------------------------------------------------------------------------------------------------------------


def test_staff_are_made_only_from_the_command_line_and_only_read(app, runner, stored, make_user):
    client = app.test_client()
    client.post("/registrati", data={"nome": "X", "email": "staff@example.it", "password": NEW_PASSWORD,
                                     "password_conferma": NEW_PASSWORD, "staff": "1"})
    assert db.session.scalar(select(User.staff).where(User.email == "staff@example.it")) is False
    result = runner.invoke(args=["patti", "create-staff", "controllo@regione.example.it"])
    assert result.exit_code == 0 and "/reimposta-password/" in result.output
    staff = db.session.scalar(select(User).where(User.email == "controllo@regione.example.it"))
    assert staff.staff and staff.email_confermata_at is not None
    reader = app.test_client()
    from tests.support.sandbox import log_in_client

    log_in_client(reader, staff)
    assert stored.titolo in reader.get("/domande").get_data(as_text=True)  # every application
    assert reader.get(f"/domande/{stored.id}/manifestazione.docx").status_code == 200
    assert reader.post(f"/domande/{stored.id}/capofila", data={"titolo": "Cambiato"}).status_code == 403
    assert reader.post("/domande/nuova", data={"titolo": "Mia"}).status_code == 403
    assert runner.invoke(args=["patti", "remove-staff", staff.email]).exit_code == 0
    assert reader.get("/domande").status_code == 303  # the role changed: log in again
    assert runner.invoke(args=["patti", "remove-staff", staff.email]).exit_code == 2


# One application per submission -----------------------------------------------------------------------------------


def _count(user) -> int:
    return len(domande.list_domande(user))


def test_a_double_submit_of_new_duplicate_or_import_creates_one(auth_client, user, stored):
    before = _count(user)
    for _ in range(2):
        assert auth_client.post("/domande/nuova", data={"titolo": "Doppio", "form_token": "t1"}).status_code == 303
    assert _count(user) == before + 1
    auth_client.post("/domande/nuova", data={"titolo": "Un altro titolo", "form_token": "t1"})  # Back, new title
    assert _count(user) == before + 2
    for _ in range(2):
        auth_client.post(f"/domande/{stored.id}/duplica", data={"form_token": "t2"})
    assert _count(user) == before + 3
    content = (DATA / "valida.json").read_bytes()
    for _ in range(2):
        from io import BytesIO

        auth_client.post("/domande/importa", data={"documento": (BytesIO(content), "d.json"), "form_token": "t3"},
                         content_type="multipart/form-data")
    assert _count(user) == before + 4


# Activity ---------------------------------------------------------------------------------------------------------


def test_the_activity_page_says_who_changed_what_and_when_in_italian_time(auth_client, stored, user):
    from datetime import UTC, datetime

    auth_client.post(f"/domande/{stored.id}/capofila", data={
        "titolo": "Patto per la meccanica bresciana", "denominazione": "Camera di Commercio di Brescia",
        "pec": "nuova@pec.it", "versione": "1"})
    html = auth_client.get(f"/domande/{stored.id}/attivita").get_data(as_text=True)
    assert "Giulia Bianchi" in html
    assert re.search(r"Soggetto capofila, campi modificati: [^<]*Indirizzo PEC del capofila", html)
    assert "Ha importato la domanda da un file." in html
    when = db.session.scalar(select(func.max(DomandaRecord.updated_at)))
    rome = when.replace(tzinfo=UTC).astimezone(__import__("zoneinfo").ZoneInfo("Europe/Rome"))
    assert f"{rome:%H:%M}" in html and rome.utcoffset() != datetime.now(UTC).utcoffset()


def test_two_workers_count_the_same_wrong_passwords_in_the_database(tmp_path, make_user):
    """Two apps on one database file, as two gunicorn workers: the default storage counts for both."""
    from tests.support.sandbox import make_sandbox_app

    first = make_sandbox_app(tmp_path, WTF_CSRF_ENABLED=False, RATELIMIT_STORAGE_URI="patti-db://")
    second = make_sandbox_app(tmp_path, WTF_CSRF_ENABLED=False, RATELIMIT_STORAGE_URI="patti-db://")
    with first.app_context():
        accounts.register_user("giulia@example.it", "Giulia", "una password di prova lunga", confirmed=True)
        db.session.commit()
    statuses = []
    for n in range(6):
        worker = (first, second)[n % 2]
        with worker.app_context():
            statuses.append(_log_in(worker.test_client(), "giulia@example.it", "sbagliata-di-sicuro").status_code)
    assert statuses == [422] * 5 + [429]
    with second.app_context():  # counted in the shared file, where another process would read it too
        from patti_web.persone.models import RateLimit

        counters = {row.key: row.count for row in db.session.scalars(select(RateLimit))}
    assert any("giulia@example.it" in key and count >= 5 for key, count in counters.items()), counters
    for worker in (first, second):
        with worker.app_context():
            db.engine.dispose()


# Found by a review: each of these answered 500 or let something through --------------------------------------------


def test_a_json_body_counts_towards_the_limits_per_address(app, user):
    for _ in range(5):
        other_client = app.test_client()  # a new browser each time: only the address in the JSON ties them
        assert other_client.post("/accedi", json={"email": user.email, "password": "sbagliata"}).status_code == 422
    assert app.test_client().post("/accedi", json={"email": user.email, "password": PASSWORD}).status_code == 429
    for _ in range(3):
        app.test_client().post("/password-dimenticata", json={"email": user.email})
    assert app.test_client().post("/password-dimenticata", json={"email": user.email}).status_code == 429
    assert len(_mails(app, user.email)) == 3


@pytest.mark.parametrize("header", [{"Origin": "http://["}, {"Referer": "http://[::1/x"}])
def test_a_malformed_origin_or_referer_is_not_a_500(app, stored, header):
    app.config["WTF_CSRF_ENABLED"] = True
    response = app.test_client().post(f"/domande/{stored.id}/capofila", data={"titolo": "x"}, headers=header)
    assert response.status_code == 303


@pytest.mark.parametrize("address", ["mario@[example.it", "a:b@x.it", "a,b@x.it", "x@localhost"])
def test_an_address_mail_would_not_reach_as_written_is_refused(app, client, owner_client, stored, address):
    response = client.post("/registrati", data={"nome": "X", "email": address, "password": NEW_PASSWORD,
                                                "password_conferma": NEW_PASSWORD})
    assert response.status_code == 422
    assert owner_client.post(f"/domande/{stored.id}/persone/invita",
                             data={"email": address, "ruolo": "lettore"}).status_code == 422
    assert db.session.scalar(select(func.count()).select_from(User)) == 1 and _mails(app) == []


def test_staff_cannot_be_invited_handed_an_application_or_given_a_role(app, owner_client, stored, user, make_user):
    staff = make_user(email="staff@regione.example.it")
    staff.staff = True
    db.session.commit()
    refused = owner_client.post(f"/domande/{stored.id}/persone/invita", data={"email": staff.email,
                                                                                "ruolo": "collaboratore"})
    assert refused.status_code == 422 and "personale dell&#39;ufficio" in refused.get_data(as_text=True)
    assert _mails(app, staff.email) == []
    with pytest.raises(inviti.StaffAccount):
        inviti.invite(stored.id, user, staff.email, "collaboratore")


def test_staff_stay_read_only_whatever_their_account_holds(app, owner_client, stored, user, make_user, runner):
    """An invitation accepted, or a membership made, before the account became staff gives it nothing to edit."""
    later_staff = make_user(email="poi.staff@regione.example.it")
    link = _invite(app, owner_client, stored, later_staff.email)
    staff_client = app.test_client()
    _log_in(staff_client, later_staff.email)
    # Made staff with an invitation still open: the command refuses nothing (no role yet), the invitation dies.
    assert runner.invoke(args=["patti", "create-staff", later_staff.email]).exit_code == 0
    _log_in(staff_client, later_staff.email)
    assert staff_client.post(link).status_code == 400
    # A membership from before (made directly, as an older release could have): still read only.
    db.session.add(Membership(application_id=stored.id, user_id=later_staff.id, ruolo="collaboratore"))
    db.session.commit()
    assert domande.get_head(stored.id, later_staff).ruolo == domande.STAFF
    assert staff_client.get(f"/domande/{stored.id}/capofila").status_code == 403
    assert staff_client.post(f"/domande/{stored.id}/capofila", data={"titolo": "preso"}).status_code == 403
    assert staff_client.post(f"/domande/{stored.id}/duplica", data={"form_token": "s"}).status_code == 403
    # Handing it over to the staff account is refused, and nothing changes.
    handed = owner_client.post(f"/domande/{stored.id}/persone/{later_staff.id}/titolare")
    assert handed.status_code == 409 and "personale dell&#39;ufficio" in handed.get_data(as_text=True)
    assert db.session.get(DomandaRecord, stored.id).owner_id == user.id
    assert staff_client.post(f"/domande/{stored.id}/elimina").status_code == 403
    assert staff_client.post(f"/domande/{stored.id}/persone/invita", data={"email": "x@example.it",
                                                                           "ruolo": "lettore"}).status_code == 403


def test_an_account_with_applications_is_not_made_staff(app, runner, stored, user):
    result = runner.invoke(args=["patti", "create-staff", user.email])
    assert result.exit_code != 0 and "1 domande" in result.output
    assert not db.session.get(User, user.id).staff


def test_logging_out_drops_the_forms_this_browser_kept(app, stored, user):
    from patti_web.persone.models import PendingForm

    app.config["WTF_CSRF_ENABLED"] = True
    browser = app.test_client()
    browser.post(f"/domande/{stored.id}/capofila", data={"denominazione": "Battuto prima"},
                 headers={"Origin": "http://localhost"})
    assert db.session.scalar(select(func.count()).select_from(PendingForm)) == 1
    from tests.support.sandbox import log_in_client

    log_in_client(browser, user)
    app.config["WTF_CSRF_ENABLED"] = False
    response = browser.post("/esci")
    assert any(c.startswith("patti_moduli=;") for c in response.headers.getlist("Set-Cookie"))
    assert db.session.scalar(select(func.count()).select_from(PendingForm)) == 0


# Round two (issue 14): limits that hold, names that are names, links that work once ---------------------------------


def test_a_json_list_of_addresses_counts_towards_the_limit_of_the_address_the_form_reads(app, user):
    statuses = [app.test_client().post("/accedi", json={"email": [user.email], "password": f"sbagliata-{i}"},
                                       environ_base={"REMOTE_ADDR": f"10.0.0.{i}"}).status_code for i in range(25)]
    assert statuses[:5] == [422] * 5 and set(statuses[5:]) == {429}
    right = app.test_client().post("/accedi", json={"email": [user.email], "password": PASSWORD},
                                   environ_base={"REMOTE_ADDR": "10.0.1.1"})
    assert right.status_code == 429
    # Upper case and spaces are the same address to the form, and to the limit.
    assert _log_in(app.test_client(), f"  {user.email.upper()} ").status_code == 429


def test_reset_mails_asked_with_a_json_list_are_limited_too(app, user):
    statuses = [app.test_client().post("/password-dimenticata", json={"email": [user.email, "x@example.it"]},
                                       environ_base={"REMOTE_ADDR": f"10.0.0.{i}"}).status_code for i in range(8)]
    assert statuses == [303] * 3 + [429] * 5
    assert len(_mails(app, user.email)) == 3


def test_one_address_gets_at_most_five_mails_an_hour_whoever_asks(app, make_user):
    """Confirmation, "already registered", reset and invitation mails together: typing somebody's address from many
    clients does not fill their mailbox. Login links have a rhythm of their own: one every 10 minutes."""
    victim = make_user(email="vittima@example.it")
    asks = [("/registrati", {"nome": "Chiunque", "email": victim.email, "password": NEW_PASSWORD,
                             "password_conferma": NEW_PASSWORD}),
            ("/password-dimenticata", {"email": victim.email}), ("/accedi/link", {"email": victim.email})] * 4
    for i, (path, data) in enumerate(asks):
        assert app.test_client().post(path, data=data, environ_base={"REMOTE_ADDR": f"10.0.2.{i}"}).status_code \
            in (303, 429)
    mails = _mails(app, victim.email)
    logins = [m for m in mails if "/accedi/link/" in m.get_content()]
    assert len(mails) - len(logins) == 5 and len(logins) == 1


def test_the_limits_on_mail_count_whether_or_not_the_address_has_an_account(app, client):
    """Else the time a page takes (one more write when the account exists) would tell who has one."""
    app.config["PATTI_MAIL_LIMIT"] = "3/hour"
    for i in range(3):
        app.test_client().post("/password-dimenticata", data={"email": "nessuno@example.it"},
                               environ_base={"REMOTE_ADDR": f"10.0.3.{i}"})
    form = {"nome": "Nessuno", "email": "nessuno@example.it", "password": NEW_PASSWORD,
            "password_conferma": NEW_PASSWORD}
    assert client.post("/registrati", data=form).status_code == 303
    assert _mails(app, "nessuno@example.it") == []  # the three asks above spent this address's share


def test_a_locked_out_owner_gets_in_with_a_login_link(app, user):
    for i in range(5):
        _log_in(app.test_client(), user.email, f"sbagliata-{i}")
    owner = app.test_client()
    limited = _log_in(owner, user.email)
    page = limited.get_data(as_text=True)
    assert limited.status_code == 429 and "Inviatemi un link di accesso" in page
    assert f'value="{user.email}"' in page  # what was typed stays
    assert owner.post("/accedi/link", data={"email": user.email}).status_code == 303
    link = _link(_mails(app, user.email)[-1], "/accedi/link/")
    assert owner.get(link).status_code == 200  # a page with a button: a mail scanner opening it spends nothing
    assert owner.post(link).status_code == 303
    assert owner.get("/domande").status_code == 200
    # Once: the same link again does not log in.
    assert app.test_client().post(link).status_code == 400
    # The password is still limited for whoever keeps guessing.
    assert _log_in(app.test_client(), user.email).status_code == 429


def test_an_attacker_asking_for_links_and_mails_cannot_keep_the_owner_out(app, user):
    """The attacker spends the address's share of mails and its password attempts, and asks for login links
    itself: the link mailed at its request lands in the owner's mailbox, and works for the owner."""
    attacker = [app.test_client() for _ in range(12)]
    attacker[0].post("/accedi/link", data={"email": user.email})
    for i in range(1, 6):
        attacker[i].post("/password-dimenticata", data={"email": user.email}, environ_base={"REMOTE_ADDR": "10.9.0.1"})
    for i in range(6, 12):
        _log_in(attacker[i], user.email, f"sbagliata-{i}")
    owner = app.test_client()
    assert _log_in(owner, user.email).status_code == 429
    assert owner.post("/accedi/link", data={"email": user.email}).status_code == 303  # nothing new: one a moment ago
    links = [m for m in _mails(app, user.email) if "/accedi/link/" in m.get_content()]
    assert len(links) == 1
    assert owner.post(_link(links[0], "/accedi/link/")).status_code == 303
    assert owner.get("/domande").status_code == 200


def test_a_login_link_never_hands_over_an_address_nobody_confirmed(app, client):
    """Someone registers your address (unconfirmed, with their password): a login link must not confirm it for them
    when you use it."""
    form = {"nome": "Intruso", "email": "vittima@example.it", "password": NEW_PASSWORD,
            "password_conferma": NEW_PASSWORD}
    assert client.post("/registrati", data=form).status_code == 303
    before = len(_mails(app, "vittima@example.it"))
    assert app.test_client().post("/accedi/link", data={"email": "vittima@example.it"}).status_code == 303
    assert len(_mails(app, "vittima@example.it")) == before  # no link for an address nobody confirmed
    token = accounts.make_login_link_token(accounts.get_user_by_email("vittima@example.it"))
    assert app.test_client().post(f"/accedi/link/{token}").status_code == 400
    assert accounts.get_user_by_email("vittima@example.it").email_confermata_at is None


def test_a_login_link_dies_with_a_new_password_and_with_its_minutes(app, user, monkeypatch):
    token = accounts.make_login_link_token(user)
    accounts.reset_password(db.session.get(User, user.id), NEW_PASSWORD)
    assert app.test_client().post(f"/accedi/link/{token}").status_code == 400
    token = accounts.make_login_link_token(db.session.get(User, user.id))
    monkeypatch.setattr(accounts, "LOGIN_LINK_MAX_AGE", -1)
    assert app.test_client().post(f"/accedi/link/{token}").status_code == 400


def test_a_confirmation_link_works_once(app, client):
    form = {"nome": "Nuova Persona", "email": "nuova@example.it", "password": NEW_PASSWORD,
            "password_conferma": NEW_PASSWORD}
    assert client.post("/registrati", data=form).status_code == 303
    link = _link(_mails(app, "nuova@example.it")[-1], "/conferma/")
    assert client.post(link, data={"password": NEW_PASSWORD}).status_code == 303
    client.post("/esci")
    again = app.test_client().post(link, data={"password": NEW_PASSWORD})
    assert again.status_code == 400 and "già stato usato" in again.get_data(as_text=True)
    assert app.test_client().get("/domande").status_code == 303


@pytest.mark.parametrize("nome", ["Mario\r\nBcc: x@example.it", "Mario\tRossi", "\u202eissoR oiraM", "Mario \x07",
                                  "Mario\x9bRossi", "Ma\u200brio", "\u3164", "Mario\u2028Rossi", "12345",
                                  "Mario\U000e0041", "Ma\u0301\u0301\u0301rio"])
def test_a_name_that_is_not_a_name_is_refused_next_to_its_field(app, client, nome):
    response = client.post("/registrati", data={"nome": nome, "email": "mario@example.it", "password": NEW_PASSWORD,
                                                "password_conferma": NEW_PASSWORD})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'href="#nome"' in page
    assert db.session.scalar(select(func.count()).select_from(User)) == 0 and _mails(app) == []


@pytest.mark.parametrize("address", ["u1@ex\u0430mple.it", "u1@example.\u0456t", "m\u0430rio@example.it"])
def test_an_address_that_mixes_alphabets_is_refused(app, client, owner_client, stored, user, address):
    response = client.post("/registrati", data={"nome": "Omonimo", "email": address, "password": NEW_PASSWORD,
                                                "password_conferma": NEW_PASSWORD})
    assert response.status_code == 422 and "alfabeti diversi" in response.get_data(as_text=True)
    invited = owner_client.post(f"/domande/{stored.id}/persone/invita", data={"email": address, "ruolo": "lettore"})
    assert invited.status_code == 422 and "alfabeti diversi" in invited.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_an_address_in_one_alphabet_at_a_domain_in_another_is_not_mixed():
    from patti_web.web.persone.forms import mixes_scripts

    assert not mixes_scripts("\u0438\u0432\u0430\u043d@example.it")
    assert not mixes_scripts("giulia.bianchi@comune.brescia.it")
    assert mixes_scripts("giulia@\u0441omune.it")


def test_deleting_an_application_deletes_its_pdfs_and_its_id_is_never_reused(tmp_path, valid_doc):
    from pathlib import Path

    from patti_web.avviso.domanda import read_document
    from tests.support.sandbox import make_sandbox_app

    (tmp_path / "file").mkdir()
    app = make_sandbox_app(tmp_path / "file", WTF_CSRF_ENABLED=False)  # a file database built by the migrations
    with app.app_context():
        owner = accounts.register_user("titolare@example.it", "Titolare", PASSWORD, confirmed=True)
        first = domande.import_domanda(read_document(json.dumps(valid_doc)), owner)
        folder = Path(app.config["PATTI_PDF_CACHE"]) / str(first.id)
        folder.mkdir(parents=True)
        (folder / "kept.pdf").write_bytes(b"%PDF-1.7 of the deleted application")
        client = app.test_client()
        _log_in(client, owner.email)
        assert client.post(f"/domande/{first.id}/elimina").status_code == 303
        assert not folder.exists()
        second = domande.import_domanda(read_document(json.dumps(valid_doc)), owner)
        assert second.id > first.id  # the last row deleted, and still its id is not given again
        db.session.remove()


def test_a_need_with_all_its_sources_says_so_instead_of_adding_one(auth_client, stored):
    from helpers import document_of, form_fields

    need = document_of(stored.id).fabbisogni[0].id
    url = f"/domande/{stored.id}/fabbisogni/{need}"
    form = form_fields(auth_client.get(url).get_data(as_text=True))
    for name in [name for name in form if name.startswith("fonti-")]:
        del form[name]
    form.update({f"fonti-{i}-titolo": f"Studio {i}" for i in range(50)})
    form["azione"] = "aggiungi-fonte"
    response = auth_client.post(url, data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "al massimo 50 fonti" in page
    assert page.count('name="fonti-') >= 50 * 4 and 'value="aggiungi-fonte"' not in page
    assert 'value="Studio 49"' in page  # what was typed stays


@pytest.mark.parametrize("path", ["/accedi", "/registrati", "/password-dimenticata", "/accedi/link"])
def test_a_file_where_a_form_expects_a_text_is_refused_in_words(app, path):
    from io import BytesIO

    response = app.test_client().post(path, data={"email": (BytesIO(b"x@example.it"), "e.txt"), "password": "abc",
                                                  "nome": "X"}, content_type="multipart/form-data")
    assert response.status_code == 400 and "un file dove il modulo si aspetta un testo" in response.get_data(
        as_text=True)


def test_json_nested_deeper_than_the_reader_goes_is_refused_in_words(app):
    response = app.test_client().post("/accedi", data="[" * 5000 + "]" * 5000, content_type="application/json")
    assert response.status_code == 400 and "non sono JSON valido" in response.get_data(as_text=True)
