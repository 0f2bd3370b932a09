"""The activity of an application: its saves, newest first, read off the revisions (who, when, which section, what
it touched). Revisions are never changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from patti_web.domande.access import READ, Head, get_head
from patti_web.domande.models import Revision
from patti_web.extensions import db
from patti_web.persone.models import User

ACTIVITY_SHOWN = 500


@dataclass(frozen=True)
class Change:
    versione: int
    when: datetime
    who: str
    sezione: str
    azione: str
    elemento: str
    paths: tuple[str, ...]  # JSON Pointers the change touched, e.g. "/capofila/pec"
    value: dict | None  # the item added or removed (its name is in it)
    index: int = 0  # its place in its list


def activity(domanda_id: int, user) -> tuple[Head, list[Change]]:
    """The application's columns and its saves, newest first (the last ACTIVITY_SHOWN): who, when (UTC), which
    section, what; anyone with a role may see them."""
    head = get_head(domanda_id, user, READ)
    rows = db.session.execute(
        select(Revision.versione, Revision.created_at, User.nome, Revision.sezione, Revision.azione,
               Revision.elemento, Revision.patch, Revision.reverse)
        .outerjoin(User, User.id == Revision.user_id)
        .where(Revision.application_id == head.id).order_by(Revision.versione.desc()).limit(ACTIVITY_SHOWN))
    changes = []
    for versione, when, who, sezione, azione, elemento, patch, reverse in rows:
        # The item an addition added (in its patch) or a removal removed (in the patch that undoes it).
        ops = patch if azione == "aggiunta" else reverse if azione == "rimozione" else []
        item = next((op for op in ops if op.get("op") == "add" and isinstance(op.get("value"), dict)), None)
        index = int(item["path"].rsplit("/", 1)[1]) if item and item["path"].rsplit("/", 1)[1].isdigit() else 0
        paths = tuple(dict.fromkeys(op.get("path", "") for op in patch)) if azione == "modifica" else ()
        changes.append(Change(versione, when, who or "", sezione, azione, elemento, paths,
                              item["value"] if item else None, index))
    return head, changes
