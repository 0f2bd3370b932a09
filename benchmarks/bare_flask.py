"""The baseline: a bare Flask app that renders a Jinja page of a chosen size, served by the same gunicorn settings.

    gunicorn -w 2 --chdir benchmarks bare_flask:app      then GET /pagina/<bytes>

No session, no database, no extension: a template file (compiled once, as Flask does) rendered on every request.
What our pages cost is measured against this, in the same run.
"""

from flask import Flask, render_template

app = Flask(__name__)
ROW_BYTES = 64


@app.get("/pagina/<int:size>")
def page(size: int):
    """About `size` bytes of HTML, rendered by Jinja on every request."""
    return render_template("pagina.html", rows=max(size // ROW_BYTES, 1), testo="x" * 25)
