"""Benchmark: server time of the checklist after a change, for applications of 100 and 900 partners (+100 added).

    .venv/bin/python -m benchmarks.bench_checklist [--partners 100 900] [--requests 100]

Through the WSGI app (session, login, the application's row, the rules, the templates), without the network:

- add a partner with htmx: the POST that saves the partner (a new version: rules run once) and answers with the
  partner area and, out of band, the checklist: no second request;
- checklist fragment: `GET .../checklist` with `HX-Request: true` on an unchanged version (analysed once, kept);
- conditional GET: the same with `If-None-Match`, answered 304.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time

from benchmarks._app import portal_with_application
from tests.support.samples import partita_iva


def timed(function, requests: int) -> list[float]:
    times = []
    for n in range(requests):
        start = time.perf_counter()
        function(n)
        times.append((time.perf_counter() - start) * 1000)
    return sorted(times)


def row(what: str, partners: int, times: list[float]) -> str:
    p95 = times[int(len(times) * 0.95) - 1]
    return (f"| {what} | {partners} | {len(times)} | {statistics.median(times):.1f} ms | {p95:.1f} ms "
            f"| {times[-1]:.1f} ms |")


def measure(partners: int, requests: int) -> list[str]:
    """The three rows of the table for an application of `partners` partners."""
    _, client, application_id = portal_with_application(partners)
    base = f"/domande/{application_id}"
    hx = {"HX-Request": "true"}
    for _ in range(20):  # warm-up: templates compiled, catalogue and ATECO data loaded
        assert client.get(f"{base}/checklist", headers=hx).status_code == 200
    gc.freeze()  # as gunicorn.conf.py does in each worker once the app is loaded

    def add(n: int) -> None:
        data = {"denominazione": f"Nuovo partner {n}", "categoria": "terzo_settore",
                "codice_fiscale": partita_iva(900_000 + n), "form_token": f"bench-{n}"}
        response = client.post(f"{base}/partenariato", data=data, headers=hx)
        assert response.status_code == 200 and b'hx-swap-oob="true"' in response.data, response.status_code

    writes = timed(add, requests)
    reads = timed(lambda n: client.get(f"{base}/checklist", headers=hx), requests)
    etag = client.get(f"{base}/checklist", headers=hx).headers["ETag"]

    def conditional(n: int) -> None:
        assert client.get(f"{base}/checklist", headers={**hx, "If-None-Match": etag}).status_code == 304

    return [row("add a partner with htmx (save + checklist out of band)", partners, writes),
            row("checklist fragment, unchanged version", partners, reads),
            row("checklist, conditional GET (304)", partners, timed(conditional, requests))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, nargs="+", default=[100, 900])
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    print("| what | partners before | requests | median | p95 | max |")
    print("|---|---:|---:|---:|---:|---:|")
    for partners in args.partners:
        print("\n".join(measure(partners, args.requests)))


if __name__ == "__main__":
    main()
