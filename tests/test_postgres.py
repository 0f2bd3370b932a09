"""The same schema and round trip on PostgreSQL (DATABASE_URL in production). Runs when CI starts a server:

    PATTI_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:54329/postgres
"""

from __future__ import annotations

import json
import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from patti_web import create_app, domande
from patti_web.avviso.domanda import read_document, to_document
from patti_web.config import TestConfig
from patti_web.extensions import db

URL = os.environ.get("PATTI_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not URL, reason="no PostgreSQL server (set PATTI_TEST_POSTGRES_URL)")


def postgres_app():
    """The portal on the test server's database, schema built by the migrations from scratch."""
    url = URL.replace("postgresql://", "postgresql+psycopg://", 1)
    return create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                       "SQLALCHEMY_DATABASE_URI": url})


def fresh_postgres_app():
    """The portal on the test server's database, emptied and built again by the migrations; skips the test when
    there is no server (CI always starts one, and PATTI_NO_SKIP fails a skip there)."""
    if not URL:
        pytest.skip("no PostgreSQL server (set PATTI_TEST_POSTGRES_URL)")
    app = postgres_app()
    with app.app_context():
        downgrade(revision="base")
        upgrade()
    return app


@pytest.fixture
def pg_app():
    app = postgres_app()
    with app.app_context():
        downgrade(revision="base")  # a clean start even if an earlier run stopped halfway
        upgrade()
        yield app
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()


def test_migrations_match_the_models_on_postgresql(pg_app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []
        column = connection.execute(text("select data_type from information_schema.columns "
                                         "where table_name = 'application' and column_name = 'documento'")).scalar()
    assert column == "jsonb"
    assert {"application", "revision", "user_account"} <= set(inspect(db.engine).get_table_names())


def test_a_document_round_trips_through_postgresql(pg_app, valid_doc):
    # The longest texts the reader accepts are stored whole, accents and all.
    valid_doc["titolo"] = "T" * 300
    valid_doc["partner"][0]["denominazione"] = "\u00e0" * 300
    valid_doc["fabbisogni"][0]["descrizione"] = "Lungo & <testo> " * 600
    head = domande.import_domanda(read_document(json.dumps(valid_doc)))
    db.session.expunge_all()
    assert to_document(domande.load(head.id, None).domanda) == valid_doc
    assert domande.get_head(head.id, None).titolo == "T" * 300


def test_rate_limit_counters_work_on_postgresql(pg_app):
    import time

    from patti_web.persone.ratelimit import DatabaseStorage

    storage = DatabaseStorage("patti-db://")
    assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3] and storage.get("k") == 3
    assert 55 < storage.get_expiry("k") - time.time() <= 60
    assert storage.incr("spent", -1) == 1 and storage.incr("spent", 60) == 1  # an expired window starts again
    storage.clear("k")
    assert storage.get("k") == 0 and storage.check()


def test_long_addresses_and_paths_fit_their_columns_on_postgresql(pg_app, make_user):
    """PostgreSQL enforces column lengths (SQLite does not): a 251-character address in a rate-limit key, a
    600-character path of a form kept after the session expired."""
    from patti_web.extensions import limiter

    pg_app.config["RATELIMIT_STORAGE_URI"] = "patti-db://"
    limiter.init_app(pg_app)
    address = "a" * 240 + "@example.it"
    client = pg_app.test_client()
    for _ in range(5):
        assert client.post("/accedi", data={"email": address, "password": "sbagliata"}).status_code == 422
    assert client.post("/accedi", data={"email": address, "password": "sbagliata"}).status_code == 429
    pg_app.config["WTF_CSRF_ENABLED"] = True
    response = pg_app.test_client().post("/domande/1/partenariato/" + "p" * 600, data={"denominazione": "x"},
                                         headers={"Origin": "http://localhost"})
    assert response.status_code == 303
