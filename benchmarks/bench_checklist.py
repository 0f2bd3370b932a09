"""Benchmark: server time of one checklist update (GET .../checklist as htmx) for an application with 100 partners.

    .venv/bin/python benchmarks/bench_checklist.py [--partners 100] [--requests 300]

Each request runs the whole server path through the WSGI app (session, login, loading the application and its
parts from SQLite, the rule engine, rendering the block) without the network. Goal: p95 under 25 ms.
"""

from __future__ import annotations

import argparse
import statistics
import time

from _app import portal_with_application


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=100)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    _, client, application_id = portal_with_application(args.partners)
    url = f"/domande/{application_id}/checklist"
    headers = {"HX-Request": "true"}
    for _ in range(20):  # warm-up: templates compiled, catalogue and ATECO data loaded
        assert client.get(url, headers=headers).status_code == 200
    times = []
    for _ in range(args.requests):
        start = time.perf_counter()
        response = client.get(url, headers=headers)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200 and b'id="checklist"' in response.data
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    print(f"| checklist update (htmx fragment) | {args.partners} | {args.requests} | "
          f"{statistics.median(times):.1f} ms | {p95:.1f} ms | {times[-1]:.1f} ms |")


if __name__ == "__main__":
    main()
