"""A throwaway portal for benchmarks: SQLite file in a temp dir, migrations applied, one user, one application."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from werkzeug.security import generate_password_hash  # noqa: E402

from patti_web.extensions import db  # noqa: E402
from patti_web.models import User  # noqa: E402
from patti_web.samples import sample_domanda  # noqa: E402
from patti_web.sandbox import (
    LoggedInClient,  # noqa: E402
    make_sandbox_app,  # noqa: E402
)
from patti_web.services import current_edition, import_application  # noqa: E402


def portal_with_application(partners: int):
    """Return (app, logged-in test client, application id) for a valid application with `partners` partners."""
    app = make_sandbox_app(Path(tempfile.mkdtemp(prefix="patti-bench-")), TESTING=False, WTF_CSRF_ENABLED=False)
    app.test_client_class = LoggedInClient
    with app.app_context():
        user = User(email="bench@example.it", nome="Bench", password_hash=generate_password_hash("x"))
        db.session.add(user)
        db.session.commit()
        application = import_application(sample_domanda(current_edition(), partners), user)
        application_id, user_id = application.id, user.id
    with app.app_context():
        client = app.test_client(user=db.session.get(User, user_id))
    return app, client, application_id
