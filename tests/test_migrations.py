"""The migrations build the schema the models describe: upgrade an empty SQLite, then nothing is pending."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect

from patti_web import create_app
from patti_web.config import TestConfig
from patti_web.extensions import db


def test_upgrade_on_an_empty_database_leaves_no_pending_model_change(tmp_path):
    url = f"sqlite:///{tmp_path / 'vuoto.sqlite3'}"
    app = create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                      "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        engine = create_engine(url)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
        assert {"application", "partner", "need_source", "intervention_need"} <= set(inspect(engine).get_table_names())
        downgrade(revision="base")
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
        engine.dispose()
