"""Blueprints, one per area."""

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from patti_web.views import documents, main

    app.register_blueprint(main.bp)
    app.register_blueprint(documents.bp)
