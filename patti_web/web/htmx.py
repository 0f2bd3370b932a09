"""Full page or fragment: decided here, once, and said in the response (`Vary`)."""

from __future__ import annotations

from flask import redirect, render_template, request
from htmx_flask import make_response
from jinja2_fragments.flask import render_block


def is_partial_request() -> bool:
    """True for an htmx request that wants a piece of a page (not boosted navigation, not a history restore)."""
    htmx = request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(template: str, block: str | None = None, *, status: int = 200, trigger: str | dict | None = None,
           **context):
    """Render `template`, or only its `block` for an htmx request; add `Vary` when the answer depends on it.

    :param trigger: client-side events to fire (HX-Trigger).
    """
    if block is not None and is_partial_request():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status, trigger=trigger)
    if block is not None:
        response.vary.add("HX-Request")
        response.vary.add("HX-Boosted")
    return response


def redirect_to(url: str):
    """A redirect (303) that also works for an htmx request (HX-Redirect: the whole page goes, not a fragment)."""
    response = make_response("", 200, redirect=url) if is_partial_request() else redirect(url, 303)
    response.vary.add("HX-Request")
    return response
