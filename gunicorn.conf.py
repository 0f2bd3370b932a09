"""Settings of gunicorn, the portal's production server: `.venv/bin/gunicorn` from this folder reads them.

Two sync workers (the machine kind has two cores); environment: BIND (default 127.0.0.1:8000), WEB_CONCURRENCY.
"""

import gc
import os

wsgi_app = "wsgi:app"
bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
accesslog = os.environ.get("ACCESS_LOG") or None
# A request may wait for LibreOffice: the PDF/A letters of 200 partners take about 20 s (docs/benchmarks.md).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))


def post_worker_init(worker):
    """Load what every request reads (the ATECO classification and its search index, half a second to build), then
    leave it out of the garbage collector's full passes: with it scanned, one save in twenty took three times as
    long (benchmarks/bench_checklist.py)."""
    edizione = getattr(worker.wsgi, "extensions", {}).get("patti_edizione")
    if edizione is not None:  # the portal (benchmarks run a bare Flask app with these settings too)
        from patti_web.avviso.ateco import index
        from patti_web.avviso.regole import is_known_ateco

        is_known_ateco("01", edizione)
        index(edizione.edizione_ateco)
    gc.freeze()
