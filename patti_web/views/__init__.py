"""Blueprints, one per area."""

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from patti_web.views import main

    app.register_blueprint(main.bp)
