"""The same schema and round trip on PostgreSQL (DATABASE_URL in production). Runs when CI starts a server:

    PATTI_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:54329/postgres
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from patti_web import create_app
from patti_web.config import TestConfig
from patti_web.domanda import read_document, to_document
from patti_web.extensions import db
from patti_web.services import get_application, import_application, to_domanda

URL = os.environ.get("PATTI_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not URL, reason="no PostgreSQL server (set PATTI_TEST_POSTGRES_URL)")
DATA = Path(__file__).parent / "data"


@pytest.fixture
def pg_app():
    url = URL.replace("postgresql://", "postgresql+psycopg://", 1)
    app = create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                      "SQLALCHEMY_DATABASE_URI": url})
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
    assert {"application", "partner", "user_account"} <= set(inspect(db.engine).get_table_names())


def test_a_document_round_trips_through_postgresql(pg_app, valid_doc):
    # The longest texts the reader accepts must fit the columns (PostgreSQL enforces varchar lengths).
    valid_doc["titolo"] = "T" * 300
    valid_doc["partner"][0]["denominazione"] = "\u00e0" * 300
    valid_doc["fabbisogni"][0]["descrizione"] = "Lungo & <testo> " * 600
    application_id = import_application(read_document(json.dumps(valid_doc))).id
    db.session.commit()
    db.session.expunge_all()
    assert to_document(to_domanda(get_application(application_id))) == valid_doc
