"""Forms typed while a session had expired, kept server-side (under a random key) until the user logs in again: the
storage behind patti_web.web.stash, which ties a key to one browser."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete

from patti_web.extensions import db
from patti_web.persone.models import PendingForm
from patti_web.storage import committed_or_logged

PENDING_MAX_AGE = timedelta(hours=12)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def keep_form(path: str, data: list[tuple[str, str]]) -> str:
    """Keep what was typed into the form at `path` (without the CSRF token) and return a one-time key; commits."""
    token = secrets.token_urlsafe(32)
    kept = [(k, v) for k, v in data if k != "csrf_token"]
    db.session.add(PendingForm(id=token, path=path, data=json.dumps(kept, ensure_ascii=False)))
    db.session.execute(delete(PendingForm).where(PendingForm.created_at < _now() - PENDING_MAX_AGE))
    db.session.commit()
    return token


def take_form(token: str, path: str | None) -> list[tuple[str, str]] | None:
    """Take back (once) what was typed into the form at `path` (None: whatever form), or None; commits."""
    pending = db.session.get(PendingForm, token) if token else None
    if pending is None or (path is not None and pending.path != path):
        return None
    fresh = pending.created_at >= _now() - PENDING_MAX_AGE
    data = json.loads(pending.data) if fresh else None
    db.session.delete(pending)
    db.session.commit()
    return [tuple(pair) for pair in data] if data is not None else None


def forget_forms(tokens: list[str]) -> bool:
    """Drop the forms these keys name (logging out); commits. False when the database could not write: the keys
    then only go with the browser's cookie, and the rows with their 12 hours."""
    return committed_or_logged(delete(PendingForm).where(PendingForm.id.in_(tokens)), "logout: dropping the kept forms")
