"""The app factory: configuration, extensions, blueprints, error handlers, command line, template helpers."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

from flask import Flask
from htmx_flask import Htmx
from sqlalchemy import event

from patti_web.avviso.edizioni import load_edition
from patti_web.config import Config
from patti_web.extensions import babel, compress, csrf, db, limiter, login_manager, migrate
from patti_web.i18n import TRANSLATIONS_DIR, select_locale

ROOT = Path(__file__).resolve().parent.parent.parent


def _secret_key(app: Flask) -> str:
    """A random key kept in the instance folder, so that a development portal needs no setup."""
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _sqlite_wal(connection, record) -> None:
    """A SQLite file in WAL mode: pages read while a save is written, and one sync per save instead of several."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _build_id() -> str:
    """A short fingerprint of the code, templates and catalogue, for ETags that change when the pages would."""
    digest = hashlib.sha256()
    for folder, pattern in ((ROOT / "patti_web", "**/*.py"), (ROOT / "patti_web", "**/*.toml"),
                            (ROOT / "templates", "**/*.html"), (ROOT / "translations", "**/*.mo")):
        for path in sorted(folder.glob(pattern)):
            digest.update(path.relative_to(ROOT).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def create_app(test_config: type | dict | None = None) -> Flask:
    """Build the portal: configuration, extensions, blueprints, error handlers, CLI, template helpers."""
    # Static files are served by patti_web.web.assets (fingerprinted names, long caching), not Flask's own route.
    app = Flask("patti_web", root_path=str(ROOT / "patti_web"), template_folder=str(ROOT / "templates"),
                instance_path=str(ROOT / "instance"), static_folder=None, static_url_path="/static")
    app.config.from_object(Config)
    if isinstance(test_config, dict):
        app.config.update(test_config)
    elif test_config is not None:
        app.config.from_object(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'patti.sqlite3'}"
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS_DIR)
    app.config.setdefault("PATTI_BUILD", _build_id())

    app.extensions["patti_edizione"] = load_edition(app.config["PATTI_EDIZIONE"]).with_window(
        app.config.get("PATTI_FINESTRA_APERTURA"), app.config.get("PATTI_FINESTRA_CHIUSURA")
    )

    # Every model, so that the metadata the migrations compare with is whole.
    import patti_web.domande.models  # noqa: F401
    import patti_web.persone.models  # noqa: F401
    import patti_web.presentazione.models  # noqa: F401
    import patti_web.storage  # noqa: F401 (the health check's row)

    db.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        with app.app_context():
            event.listen(db.engine, "connect", _sqlite_wal)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    compress.init_app(app)
    import patti_web.persone.ratelimit  # noqa: F401 (registers the patti-db:// storage of the limits)

    limiter.init_app(app)
    Htmx(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the login page says why itself

    from patti_web.cli import register_cli
    from patti_web.persone.accounts import load_account
    from patti_web.web.assets import register_assets
    from patti_web.web.bodies import register_bodies
    from patti_web.web.errors import register_error_handlers
    from patti_web.web.security import register_security
    from patti_web.web.templating import register_template_helpers

    login_manager.user_loader(load_account)
    register_security(app)
    register_bodies(app)
    register_assets(app)
    _register_blueprints(app)
    register_error_handlers(app)
    register_template_helpers(app)
    register_cli(app)
    return app


def _register_blueprints(app: Flask) -> None:
    """One blueprint per area."""
    from patti_web.web import main
    from patti_web.web.adesione import views as adesione
    from patti_web.web.documenti import views as documenti
    from patti_web.web.domande import views as domande
    from patti_web.web.persone import auth
    from patti_web.web.persone import views as persone
    from patti_web.web.presentazione import views as presentazione

    for module in (main, documenti, auth, domande, persone, presentazione, adesione):
        app.register_blueprint(module.bp)
