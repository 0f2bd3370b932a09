"""A throwaway portal for benchmarks: SQLite file in a temp dir, migrations applied, one user, one application."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_login import FlaskLoginClient  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from patti_web import create_app  # noqa: E402
from patti_web.config import TestConfig  # noqa: E402
from patti_web.extensions import db  # noqa: E402
from patti_web.models import User  # noqa: E402
from patti_web.samples import sample_domanda  # noqa: E402
from patti_web.services import current_edition, import_application  # noqa: E402


def portal_with_application(partners: int):
    """Return (app, logged-in test client, application id) for a valid application with `partners` partners."""
    folder = Path(tempfile.mkdtemp(prefix="patti-bench-"))
    settings = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    settings.update(SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'bench.sqlite3'}", TESTING=False)
    app = create_app(settings)
    app.test_client_class = FlaskLoginClient
    with app.app_context():
        upgrade()
        user = User(email="bench@example.it", nome="Bench", password_hash=generate_password_hash("x"))
        db.session.add(user)
        application = import_application(sample_domanda(current_edition(), partners), user)
        db.session.commit()
        application_id, user_id = application.id, user.id
    with app.app_context():
        client = app.test_client(user=db.session.get(User, user_id))
    return app, client, application_id
