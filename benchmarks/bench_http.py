"""Requests per second of three pages under load, against a bare Flask page of the same size, in one run.

    .venv/bin/python -m benchmarks.bench_http [--partners 100] [--seconds 10] [--connections 20]

Both apps run under the same gunicorn settings (gunicorn.conf.py: `-w 2` sync workers, the machine has 2 cores) on
127.0.0.1; wrk
(Debian package `wrk`) loads each page in turn with `-t2 -c20`. Our app is the real portal (`wsgi:app`) on a
SQLite file with migrations applied, one logged-in user and a valid application with 100 partners; the pages:

- checklist update: `GET /domande/<id>/checklist` with `HX-Request: true` (the fragment a page reloads);
- task list: `GET /domande/<id>`;
- partenariato: `GET /domande/<id>/partenariato`, the full page with 100 partners.

The baseline (benchmarks/bare_flask.py) renders a Jinja page of the same number of bytes with no session, no
database and no extension. Prints a Markdown table for docs/benchmarks.md. Goals (issue 7): at least 33%, 25% and
10% of the baseline's requests per second.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


SECRET = "benchmark-secret-key"
PASSWORD = "una password di prova lunga"
USER_AGENT = "wrk-benchmark"
GOALS = {"checklist update": 0.33, "task list": 0.25, "partenariato": 0.10}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(folder: Path, partners: int) -> tuple[str, int]:
    """Build the database; return (session cookie of the logged-in user, application id)."""
    os.environ.update(DATABASE_URL=f"sqlite:///{folder / 'patti.sqlite3'}", SECRET_KEY=SECRET)
    from flask_migrate import upgrade

    from patti_web import create_app, domande
    from patti_web.persone import accounts
    from patti_web.portal import current_edition
    from tests.support.samples import sample_domanda

    app = create_app({"WTF_CSRF_ENABLED": False})
    with app.app_context():
        upgrade()
        user = accounts.register_user("bench@example.it", "Bench", PASSWORD, confirmed=True)
        application_id = domande.import_domanda(sample_domanda(current_edition(), partners), user).id
    # Log in through the form, from the address and browser wrk will use (Flask-Login binds the session to them).
    client = app.test_client()
    response = client.post("/accedi", data={"email": "bench@example.it", "password": PASSWORD},
                           headers={"User-Agent": USER_AGENT}, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert response.status_code == 303, response.status_code
    cookie = client.get_cookie("session")
    return f"session={cookie.value}", application_id


def serve(module: str, port: int, chdir: Path, env: dict) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "-c", str(ROOT / "gunicorn.conf.py"), "-w", "2", "-b", f"127.0.0.1:{port}", "--chdir",
         str(chdir), "--log-level", "warning", module], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)  # noqa: S310 - loopback only
            return process
        except urllib.error.HTTPError:
            return process  # it answers (404 on the bare app's root)
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"gunicorn {module} did not start: {process.stderr.read().decode()[-2000:]}")


def fetch(url: str, headers: dict) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **headers})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
        assert response.status == 200, (url, response.status)
        return response.read()


def wrk(url: str, headers: dict, seconds: int, connections: int) -> tuple[float, str]:
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", f"User-Agent: {USER_AGENT}"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    if re.search(r"Non-2xx or 3xx responses", out):
        raise RuntimeError(f"errors under load on {url}:\n{out}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)
    return rate, p50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=20)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    folder = Path(tempfile.mkdtemp(prefix="patti-http-"))
    cookie, application_id = prepare(folder, args.partners)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder / 'patti.sqlite3'}", "SECRET_KEY": SECRET}
    ours_port, bare_port = free_port(), free_port()
    servers = [serve("wsgi:app", ours_port, ROOT, env), serve("bare_flask:app", bare_port, ROOT / "benchmarks", env)]
    base = f"http://127.0.0.1:{ours_port}/domande/{application_id}"
    pages = {
        "checklist update": (f"{base}/checklist", {"Cookie": cookie, "HX-Request": "true"}),
        "task list": (base, {"Cookie": cookie}),
        "partenariato": (f"{base}/partenariato", {"Cookie": cookie}),
    }
    rows = []
    try:
        for name, (url, headers) in pages.items():
            size = len(fetch(url, headers))
            bare_url = f"http://127.0.0.1:{bare_port}/pagina/{size}"
            bare_size = len(fetch(bare_url, {}))
            wrk(url, headers, 2, args.connections)  # warm-up: both workers analysed the version, templates compiled
            wrk(bare_url, {}, 2, args.connections)
            ours, ours_p50 = wrk(url, headers, args.seconds, args.connections)
            bare, bare_p50 = wrk(bare_url, {}, args.seconds, args.connections)
            rows.append((name, size, bare_size, ours, ours_p50, bare, bare_p50, ours / bare))
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
    print(f"gunicorn -w 2 (sync), wrk -t2 -c{args.connections} -d{args.seconds}s, {args.partners} partners, "
          f"{os.cpu_count()} CPUs")
    print()
    print("| page | bytes (ours / bare) | ours req/s | p50 | bare Flask req/s | p50 | ratio | goal |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, size, bare_size, ours, ours_p50, bare, bare_p50, ratio in rows:
        print(f"| {name} | {size:,} / {bare_size:,} | {ours:,.0f} | {ours_p50} | {bare:,.0f} | {bare_p50} | "
              f"**{ratio:.0%}** | {GOALS[name]:.0%} |")


if __name__ == "__main__":
    main()
