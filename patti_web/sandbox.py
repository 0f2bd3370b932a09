"""A throwaway portal on a SQLite file, schema built by the migrations: for browser tests, screenshots, benchmarks."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
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
        SERVER_NAME=None,
    )
    config.update(overrides)
    app = create_app(config)
    with app.app_context():
        upgrade()
    return app
