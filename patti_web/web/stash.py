"""Keeping typed work, safely: a form POSTed when the session had expired is kept for the same browser only.

What was typed is stored server-side (patti_web.persone.pending) under a random key; the key goes in a signed,
HttpOnly cookie of that browser, never in an address. After logging in, the form's page takes it back once, and
only for a user who may edit that application (the page checks the role before it asks). It is kept only when the
POST came from one of our pages (Origin or Referer), has at most MAX_VALUES values and MAX_BYTES bytes, and the
client has not kept PER_CLIENT already; a browser holds at most MAX_PER_BROWSER such forms, for PENDING_HOURS.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, after_this_request, current_app, request
from itsdangerous import BadData, URLSafeSerializer
from limits import parse

from patti_web.extensions import limiter
from patti_web.persone import pending

COOKIE = "patti_moduli"
SALT = "stashed-forms"
MAX_VALUES = 300
MAX_BYTES = 64 * 1024
MAX_PER_BROWSER = 3
MAX_PATH = 500  # the column that keeps it (pages of the portal are far shorter)
PER_CLIENT = parse("10/hour")


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _keys() -> list[str]:
    """The keys this browser's cookie holds (none if the cookie is missing or was not signed by us)."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return []
    try:
        keys = _serializer().loads(raw)
    except BadData:
        return []
    return [k for k in keys if isinstance(k, str)][-MAX_PER_BROWSER:] if isinstance(keys, list) else []


def _same_origin() -> bool:
    """Did the POST come from one of our own pages? (Never keep what another site POSTed in the user's name.)"""
    source = request.headers.get("Origin") or request.headers.get("Referer") or ""
    try:
        return bool(source) and urlsplit(source).netloc == request.host
    except ValueError:  # "http://[": not an address at all
        return False


def keep_this_form() -> str | None:
    """Keep what was typed into the form being POSTed, for this browser; return its key, or None if not kept."""
    rule = request.url_rule
    if rule is None or "GET" not in rule.methods or len(request.path) > MAX_PATH or not _same_origin():
        return None
    values = [(k, v) for k, v in request.form.items(multi=True) if k != "csrf_token" and "password" not in k]
    if not values or len(values) > MAX_VALUES or sum(len(k) + len(v) for k, v in values) > MAX_BYTES:
        return None
    if limiter.enabled and not limiter.limiter.hit(PER_CLIENT, "stash", request.remote_addr or ""):
        return None
    return pending.keep_form(request.path, values)


def remember(response: Response, key: str | None) -> None:
    """Add the key of a kept form to this browser's cookie (the oldest goes beyond MAX_PER_BROWSER)."""
    if key:
        _set(response, [*_keys(), key][-MAX_PER_BROWSER:])


def _set(response: Response, keys: list[str]) -> None:
    if not keys:
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="Lax",
                               secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
        return
    response.set_cookie(COOKIE, _serializer().dumps(keys), max_age=int(pending.PENDING_MAX_AGE.total_seconds()),
                        path="/", httponly=True, samesite="Lax",
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", False))


def _forgetting(left: list[str]):
    def forget(response: Response) -> Response:
        _set(response, left)
        return response

    return forget


def take(path: str) -> list[tuple[str, str]] | None:
    """Take back, once, what this browser kept for the form at `path` (the caller has checked the user may edit
    it), and drop its key from the cookie."""
    keys = _keys()
    for key in keys:
        data = pending.take_form(key, path)
        if data is not None:
            after_this_request(_forgetting([k for k in keys if k != key]))
            return data
    return None


def forget_all() -> None:
    """Drop this browser's kept forms (logging out: the next person at this browser gets none of them)."""
    keys = _keys()
    if keys:
        pending.forget_forms(keys)
        after_this_request(_forgetting([]))
