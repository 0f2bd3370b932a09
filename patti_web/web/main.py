"""Home page, the call, and a health check."""

from __future__ import annotations

from flask import Blueprint, render_template

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
    return {"stato": "ok"}
