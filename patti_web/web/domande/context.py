"""What the pages of an application share: the application for the logged-in user, what every page shows beside
its own content (the findings, the checklist, the sections' states), and a form's data (posted, or kept across an
expired session)."""

from __future__ import annotations

from flask import flash, request
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from patti_web import domande
from patti_web.i18n import gettext as _
from patti_web.web import stash


def state_for(domanda_id: int, allowed: frozenset[str] = domande.READ) -> domande.State:
    """The application for the logged-in user: 404 if they have no role in it, 403 if theirs cannot do this
    (domande.NotFound and Forbidden become those pages in patti_web.web.errors)."""
    return domande.load(domanda_id, current_user, allowed)


def formdata(state: domande.State) -> MultiDict | None:
    """The submitted form, or on a GET what this browser typed before its session expired (patti_web.web.stash),
    if the user may edit the application; else None."""
    if request.method == "POST":
        return request.form
    if not state.head.can_edit:
        return None
    data = stash.take(request.path)
    if data is None:
        return None
    flash(_("What you typed before logging in again has been kept: check it and save."), "info")
    return MultiDict(data)


def page_context(state: domande.State, **extra) -> dict:
    """What every page of an application shows: its findings, the checklist and the section states."""
    return {
        "head": state.head,
        "domanda": state.domanda,
        "findings": state.findings,
        "errors": state.errors,
        "checklist": state.checklist,
        "statuses": state.statuses,
        "can_edit": state.head.can_edit,
        "can_manage": state.head.can_manage,
        **extra,
    }
