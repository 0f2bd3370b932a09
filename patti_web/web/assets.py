"""Static files with their content's fingerprint in the name, cached by browsers for a year.

`asset("patti.css")` gives `/static/patti.3f2a9c1b7e.css`: a change of the file changes its name, so the name can be
cached as immutable, and a page never waits to revalidate its CSS and JavaScript on a slow link. The plain name still
works (revalidated on every use). The files are read at start-up and compressed (brotli, gzip) once per process
(tests build many apps), and sent compressed to clients that accept it.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import brotli
from flask import Flask, Response, abort, current_app, request

FOLDER = Path(__file__).resolve().parent / "static"
YEAR = 365 * 24 * 3600


@dataclass(frozen=True)
class Asset:
    data: bytes
    mimetype: str
    fingerprint: str
    hashed_name: str
    # The same bytes compressed once at start-up (text files), by content coding: "br", "gzip".
    encoded: dict[str, bytes]


@lru_cache(maxsize=32)
def _encodings(data: bytes, mimetype: str) -> dict[str, bytes]:
    if not (mimetype.startswith("text/") or "javascript" in mimetype):
        return {}
    return {"br": brotli.compress(data, quality=11), "gzip": gzip.compress(data, 9, mtime=0)}


def _load(folder: Path) -> dict[str, Asset]:
    assets = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        data = path.read_bytes()
        fingerprint = hashlib.sha256(data).hexdigest()[:10]
        stem, dot, suffix = name.rpartition(".")
        hashed = f"{stem}.{fingerprint}.{suffix}" if dot else f"{name}.{fingerprint}"
        mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if mimetype.startswith("text/") or mimetype == "application/javascript":
            mimetype += "; charset=utf-8"
        assets[name] = Asset(data, mimetype, fingerprint, hashed, _encodings(data, mimetype))
    return assets


def asset(name: str) -> str:
    """The address of a static file under its fingerprinted name."""
    found = current_app.extensions["patti_assets"].get(name)
    if found is None:
        raise KeyError(f"no static file {name!r}")
    return f"{current_app.static_url_path}/{found.hashed_name}"


def _serve(filename: str):
    assets: dict[str, Asset] = current_app.extensions["patti_assets"]
    by_hash = current_app.extensions["patti_assets_by_hash"]
    immutable = filename in by_hash
    found = by_hash.get(filename) or assets.get(filename)
    if found is None:
        abort(404)
    coding = request.accept_encodings.best_match(list(found.encoded)) if found.encoded else None
    response = Response(found.encoded[coding] if coding else found.data, mimetype=found.mimetype)
    if coding:
        response.content_encoding = coding  # Flask-Compress leaves an encoded answer as it is
    response.vary.add("Accept-Encoding")
    response.set_etag(f"{found.fingerprint}-{coding or 'identity'}")
    if immutable:
        response.cache_control.public = True
        response.cache_control.max_age = YEAR
        response.cache_control.immutable = True
    else:
        response.cache_control.public = True
        response.cache_control.no_cache = True
    return response.make_conditional(request)


def _favicon():
    return _serve("favicon.ico")


def register_assets(app: Flask) -> None:
    """Serve the static folder under /static (plain and fingerprinted names) and /favicon.ico."""
    assets = _load(FOLDER)
    app.extensions["patti_assets"] = assets
    app.extensions["patti_assets_by_hash"] = {a.hashed_name: a for a in assets.values()}
    app.add_url_rule(f"{app.static_url_path}/<path:filename>", endpoint="static", view_func=_serve)
    app.add_url_rule("/favicon.ico", endpoint="favicon", view_func=_favicon)
    app.add_template_global(asset, "asset")
