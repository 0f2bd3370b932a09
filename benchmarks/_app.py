"""A throwaway portal for benchmarks: SQLite file in a temp dir, migrations applied, one user, one application."""

from __future__ import annotations

import tempfile
from pathlib import Path

from patti_web import domande
from patti_web.persone import accounts
from patti_web.portal import current_edition
from tests.support.samples import sample_domanda
from tests.support.sandbox import LoggedInClient, make_sandbox_app


def portal_with_application(partners: int):
    """Return (app, logged-in test client, application id) for a valid application with `partners` partners."""
    app = make_sandbox_app(Path(tempfile.mkdtemp(prefix="patti-bench-")), TESTING=False, WTF_CSRF_ENABLED=False)
    app.test_client_class = LoggedInClient
    with app.app_context():
        user = accounts.register_user("bench@example.it", "Bench", "una password lunga", confirmed=True)
        domanda_id = domande.import_domanda(sample_domanda(current_edition(), partners), user).id
        client = app.test_client(user=user)
    return app, client, domanda_id
