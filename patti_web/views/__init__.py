"""Blueprints, one per area."""

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from patti_web.views import applications, auth, documents, main, people

    app.register_blueprint(main.bp)
    app.register_blueprint(documents.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(applications.bp)
    app.register_blueprint(people.bp)
