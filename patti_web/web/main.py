"""Home page, the call, and a health check."""

from __future__ import annotations

from flask import Blueprint, render_template

from patti_web import storage

bp = Blueprint("main", __name__)


@bp.get("/")
def home():
    """What the portal is for, and where to start."""
    return render_template("main/home.html")


@bp.get("/avviso")
def call():
    """The call this portal serves: who may lead, the partner categories, the territory and the window."""
    return render_template("main/call.html")


@bp.get("/salute")
def health():
    """For a load balancer or a monitor: 200 when the database answers and accepts a write, else 503 (the cause is
    in the log)."""
    if storage.probe_write() is not None:
        return {"stato": "non disponibile", "database": "non accetta scritture"}, 503, {"Retry-After": "30"}
    return {"stato": "ok", "database": "accetta scritture"}
