"""What keeps out whoever does not belong, in one place: trusted hosts and links built from our own address, the
reverse proxy's headers when configured, and the security headers of every response.

Headers (every response): a strict Content-Security-Policy (scripts, styles, images and requests from this site
only, no frames, forms posted only here), `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin`,
`X-Frame-Options: DENY` for browsers without CSP, `Cross-Origin-Opener-Policy: same-origin`, and `Cache-Control:
no-store` on everything but the fingerprinted static files: pages are private (the user's data, a CSRF token) and a
shared computer must not keep them. Over HTTPS, Strict-Transport-Security too.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, request, url_for
from werkzeug.middleware.proxy_fix import ProxyFix

CSP = "; ".join((
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
))
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000"


def external_url(endpoint: str, **values) -> str:
    """An absolute link to one of our pages, for a mail: from PATTI_BASE_URL when set, never from a Host header
    that is not one of TRUSTED_HOSTS (Werkzeug refuses the request before it gets here)."""
    base = current_app.config.get("PATTI_BASE_URL")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def safe_next(target: str | None) -> str | None:
    """Return `target` if it is a path on this site ("/domande?x=1"), else None: no open redirects."""
    if not target or len(target) > 2000 or not target.isprintable() or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _secure_headers(response):
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if not response.cache_control.public:  # everything but the fingerprinted static files
        response.headers["Cache-Control"] = "no-store"
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def register_security(app: Flask) -> None:
    hops = int(app.config.get("PATTI_PROXY_FIX") or 0)
    if hops > 0:
        # Only behind a proxy that sets these headers: otherwise anyone could claim any address or host.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    base = app.config.get("PATTI_BASE_URL")
    if base:
        host = urlsplit(base).hostname
        trusted = list(app.config.get("TRUSTED_HOSTS") or [])
        if host and host not in trusted:
            app.config["TRUSTED_HOSTS"] = [*trusted, host]
    app.after_request(_secure_headers)
