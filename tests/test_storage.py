"""Storage that cannot write tells the truth (issue 14): a full disk or a read-only database answers 503 "the service
cannot save right now", logged at error level with the cause; never a conflict message, never a 500; logout still
ends the browser's session; /salute says whether the database accepts a write. On a SQLite file built by the
migrations (the disk made full with `max_page_count`, read-only with `query_only`) and on PostgreSQL (read-only with
`default_transaction_read_only`)."""

from __future__ import annotations

import logging
import sqlite3

import pytest
from flask_migrate import downgrade
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from patti_web import domande, storage
from patti_web.extensions import db
from patti_web.persone import accounts
from patti_web.portal import current_edition
from tests.support.samples import sample_domanda
from tests.support.sandbox import make_sandbox_app

PASSWORD = "una password lunga"
UNAVAILABLE = "Il servizio non può salvare in questo momento"
BUSY = "si stanno salvando molte modifiche"


# What the errors mean, without an app --------------------------------------------------------------------------


def _sqlite_error(path, pragma: str, statement: str) -> OperationalError:
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("create table t (x text)"))
    with engine.connect() as connection:
        connection.execute(text(pragma))
        with pytest.raises(OperationalError) as caught:
            connection.execute(text(statement))
            connection.commit()
    engine.dispose()
    return caught.value


def test_a_read_only_or_full_sqlite_is_a_storage_failure_and_a_lock_is_contention(tmp_path):
    read_only = _sqlite_error(tmp_path / "r.sqlite3", "pragma query_only = on", "insert into t values ('x')")
    assert storage.storage_failure(read_only) == "read-only database" and not storage.is_contention(read_only)
    full = _sqlite_error(tmp_path / "f.sqlite3", "pragma max_page_count = 2",
                         "insert into t select hex(randomblob(5000))")
    assert storage.storage_failure(full) == "database or disk is full" and not storage.is_contention(full)
    locked = OperationalError("x", {}, sqlite3.OperationalError("database is locked"))
    locked.orig.sqlite_errorcode = 5
    assert storage.is_contention(locked) and storage.storage_failure(locked) is None


# The portal on a SQLite file whose disk is full, or read-only ---------------------------------------------------


@pytest.fixture
def portal(tmp_path):
    """(app, the application's id, a logged-in client of its titolare, switch): switch("full"|"read-only"|None)
    makes the database's storage fail that way from the next connection on. Full: the file is filled up to a page
    limit that every connection then has (`max_page_count`), so that whatever needs a new page fails as on a full
    disk; read-only: `query_only`. The rate limits are counted in the database, as in production."""
    # As in production: an error after the view (a limit counted when the response is known) reaches the handlers.
    app = make_sandbox_app(tmp_path, WTF_CSRF_ENABLED=False, RATELIMIT_STORAGE_URI="patti-db://",
                           PROPAGATE_EXCEPTIONS=False, SQLALCHEMY_ENGINE_OPTIONS={"poolclass": NullPool})
    path = tmp_path / "patti.sqlite3"
    mode = {"now": None, "pages": 0}

    with app.app_context():
        @event.listens_for(db.engine, "connect")
        def _fail_like_a_disk(connection, record):
            cursor = connection.cursor()
            if mode["now"] == "full":
                cursor.execute(f"pragma max_page_count = {mode['pages']}")
            elif mode["now"] == "read-only":
                cursor.execute("pragma query_only = on")
            cursor.close()

    domanda_id, client = _giulia_and_her_application(app)

    def switch(now):
        if now == "full":
            mode["pages"] = _fill(path)
        mode["now"] = now
        with app.app_context():
            db.session.remove()

    yield app, domanda_id, client, switch
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _giulia_and_her_application(app):
    """(the id of a valid application with 6 partners, a client logged in as its titolare through the login page)."""
    with app.app_context():
        user = accounts.register_user("giulia@example.it", "Giulia", PASSWORD, confirmed=True)
        domanda_id = domande.import_domanda(sample_domanda(current_edition(), 6), user).id
        db.session.remove()
    client = app.test_client()
    assert client.post("/accedi", data={"email": "giulia@example.it", "password": PASSWORD}).status_code == 303
    return domanda_id, client


def _fill(path) -> int:
    """Fill the database file up to a page limit, with no free page left below it; return the limit."""
    connection = sqlite3.connect(path)
    connection.execute("vacuum")  # every table's pages packed: a new row needs a new page
    connection.execute("create table if not exists riempimento (x blob)")
    limit = connection.execute("pragma page_count").fetchone()[0] + 50
    connection.execute(f"pragma max_page_count = {limit}")
    for size in (100_000, 10_000, 1_000, 100, 10, 1):
        try:
            while True:
                connection.execute("insert into riempimento values (randomblob(?))", (size,))
                connection.commit()
        except sqlite3.OperationalError as error:
            assert "full" in str(error)
            connection.rollback()
    connection.execute("pragma wal_checkpoint(truncate)")
    connection.close()
    return limit


def _first_line(response) -> str:
    import re

    page = response.get_data(as_text=True)
    found = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S)
    return re.sub(r"<[^>]+>", "", found.group(1)).strip() if found else page[:200]


def _big_capofila(client, domanda_id):
    """The capofila form with a long description: the save needs new pages of the database."""
    from helpers import form_fields

    form = form_fields(client.get(f"/domande/{domanda_id}/capofila").get_data(as_text=True))
    form["titolo"] = ("Patto " + "ampliato " * 30).strip()
    return form


def test_a_full_disk_says_it_cannot_save_not_that_others_are_saving(portal, caplog):
    app, domanda_id, client, switch = portal
    form = _big_capofila(client, domanda_id)
    switch("full")
    with caplog.at_level(logging.INFO):
        response = client.post(f"/domande/{domanda_id}/capofila", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and UNAVAILABLE in page and BUSY not in page
    assert form["titolo"] in page  # what was typed is still in the form
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert errors and "database or disk is full" in errors[0].getMessage()
    assert not [r for r in caplog.records if "retry" in r.getMessage()]  # no retries: waiting cures nothing
    switch(None)
    with app.app_context():
        assert domande.load(domanda_id, None).domanda.titolo != form["titolo"]
        db.session.remove()


@pytest.mark.parametrize("mode", ["full", "read-only"])
def test_every_write_answers_503_in_italian_when_storage_fails(portal, mode):
    app, domanda_id, client, switch = portal
    switch(mode)
    tries = 40 if mode == "full" else 1  # read-only: the very first write is refused
    answers = {
        "create": _until_refused(lambda i: client.post("/domande/nuova", data={
            "titolo": f"Nuovo patto {i} " + "x" * 250, "form_token": f"t{i}"}), tries),
        "register": _until_refused(lambda i: app.test_client().post("/registrati", data={
            "nome": f"Nuova Persona {i} " + "n" * 150, "email": f"nuova.persona.{i}@example.it",
            "password": "una nuova password lunga", "password_conferma": "una nuova password lunga"}), tries),
        "wrong login": _until_refused(lambda i: app.test_client().post("/accedi", data={
            "email": f"chi.{i}@example.it", "password": "no"}, environ_base={"REMOTE_ADDR": f"10.1.0.{i}"}),
            tries, saved=422),
        "partner": _until_refused(lambda i: client.post(f"/domande/{domanda_id}/partenariato", headers={
            "HX-Request": "true"}, data={"denominazione": f"Officine {i} " + "o" * 250, "form_token": f"p{i}"}),
            tries, saved=200),
    }
    for name, response in answers.items():
        assert response.status_code == 503, (name, response.status_code, _first_line(response))
        assert UNAVAILABLE in response.get_data(as_text=True), name
        assert response.headers.get("Retry-After")


def _until_refused(post, tries: int, saved: int = 303):
    """What a write answers once the disk is full: a small one may still fit in a page's free space (as on a real
    full disk), so write until one is refused; each before it must have been done (`saved`), none may be a 500."""
    for i in range(tries):
        response = post(i)
        if response.status_code != saved:
            return response
    raise AssertionError(f"{tries} writes all done: the disk never got full")


def test_logout_ends_the_session_even_when_the_database_cannot_write(portal, monkeypatch):
    from patti_web.persone.models import LoginSession

    app, domanda_id, client, switch = portal
    copied = client.get_cookie("session").value  # a copy of the cookie, taken before the logout
    switch("read-only")
    response = client.post("/esci", follow_redirects=True)
    assert response.status_code == 200 and "non ha potuto chiudere" in response.get_data(as_text=True)
    assert client.get("/domande").status_code == 303  # this browser is logged out
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/domande").status_code == 303  # and the copy opens nothing either
    switch(None)
    monkeypatch.setattr(accounts, "RETRY_ENDING", 0)
    assert thief.get("/domande").status_code == 303
    with app.app_context():  # once the database writes again, the login's row is gone too
        assert db.session.scalar(db.select(db.func.count()).select_from(LoginSession)) == 0
        db.session.remove()


def test_health_says_whether_the_database_accepts_a_write(portal):
    app, _domanda_id, client, switch = portal
    ok = client.get("/salute")
    assert ok.status_code == 200 and ok.json == {"stato": "ok", "database": "accetta scritture"}
    switch("read-only")
    down = client.get("/salute")
    assert down.status_code == 503 and down.json["stato"] == "non disponibile"
    login = app.test_client().post("/accedi", data={"email": "giulia@example.it", "password": PASSWORD})
    assert login.status_code == 503 and UNAVAILABLE in login.get_data(as_text=True)


# PostgreSQL read-only ------------------------------------------------------------------------------------------


@pytest.fixture
def pg_read_only():
    from test_postgres import fresh_postgres_app

    app = fresh_postgres_app()
    domanda_id, client = _giulia_and_her_application(app)
    read_only = {"on": False}
    with app.app_context():
        @event.listens_for(db.engine, "connect")
        def _read_only(connection, record):
            if read_only["on"]:
                with connection.cursor() as cursor:
                    cursor.execute("set default_transaction_read_only = on")
                connection.commit()

    def switch(on: bool):
        read_only["on"] = on
        with app.app_context():
            db.session.remove()
            db.engine.dispose()

    yield app, domanda_id, client, switch
    switch(False)
    with app.app_context():
        downgrade(revision="base")
        db.engine.dispose()


def test_a_read_only_postgresql_answers_503_and_health_says_so(pg_read_only):
    app, domanda_id, client, switch = pg_read_only
    form = _big_capofila(client, domanda_id)
    switch(True)
    saved = client.post(f"/domande/{domanda_id}/capofila", data=form)
    assert saved.status_code == 503 and UNAVAILABLE in saved.get_data(as_text=True)
    assert BUSY not in saved.get_data(as_text=True)
    assert client.get("/salute").status_code == 503
    assert app.test_client().post("/accedi", data={"email": "giulia@example.it",
                                                   "password": PASSWORD}).status_code == 503
    out = client.post("/esci", follow_redirects=True)
    assert "non ha potuto chiudere" in out.get_data(as_text=True) and client.get("/domande").status_code == 303
    switch(False)
    assert client.get("/salute").status_code == 200
