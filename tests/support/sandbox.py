"""A throwaway portal on a SQLite file, schema built by the migrations: for browser tests, screenshots, benchmarks."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from patti_web import create_app
from patti_web.config import TestConfig


def make_sandbox_app(folder: Path, **overrides) -> Flask:
    """The portal as in production, but with its database and PDF cache in `folder` and test settings.

    Real CSRF protection, unlike the unit tests' TestConfig; `overrides` change any setting.
    """
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    config.update(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{Path(folder) / 'patti.sqlite3'}",
        WTF_CSRF_ENABLED=True,
        PATTI_PDF_CACHE=str(Path(folder) / "pdf-cache"),
        PATTI_ARCHIVIO=str(Path(folder) / "firmati"),
        SERVER_NAME=None,
    )
    config.update(overrides)
    app = create_app(config)
    with app.app_context():
        upgrade()
    return app


def log_in_client(client: FlaskClient, user) -> None:
    """Log a test client in as `user` without the login form: a real server-side session (accounts.start_session)
    whose key goes in the session cookie, as the login page does. For tests and benchmarks."""
    from patti_web.persone.accounts import start_session

    with client.application.app_context():
        account = start_session(user)
    with client.session_transaction() as session:
        session.clear()
        session["_user_id"] = account.get_id()
        session["_fresh"] = True


class LoggedInClient(FlaskClient):
    """A test client logged in as `user=` (see log_in_client)."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            log_in_client(self, user)
