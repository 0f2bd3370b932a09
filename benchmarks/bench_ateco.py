"""Benchmark and hit table of the ATECO search: every query of tests/data/ateco_ricerche.csv, where its expected code
comes, and how long a query takes (the index is built once per process, timed apart).

    .venv/bin/python -m benchmarks.bench_ateco [--repeat 50]

Prints a Markdown table (query, expected code, its place, first result), the hit rate at first place and within the
place each query allows, and the time of one query: median, 95th percentile and maximum over every query repeated.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time
from pathlib import Path

from patti_web.avviso.ateco import index, search
from patti_web.avviso.edizioni import load_edition

ROOT = Path(__file__).resolve().parent.parent


def cases() -> list[tuple[str, str, int]]:
    with (ROOT / "tests" / "data" / "ateco_ricerche.csv").open(encoding="utf-8") as fh:
        rows = [line for line in fh if not line.startswith("#")]
    return [(r["query"], r["atteso"], int(r["entro"])) for r in csv.DictReader(rows)]


def hit(code: str, expected: str) -> bool:
    return code.startswith(expected[:-1]) if expected.endswith("*") else code == expected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    edition = load_edition().edizione_ateco
    start = time.perf_counter()
    index(edition)
    print(f"Index built in {(time.perf_counter() - start) * 1000:.0f} ms (once per worker).\n")
    table = cases()
    print("| query | expected | place | first result |\n|---|---|---|---|")
    first = within = 0
    for query, expected, allowed in table:
        results, total = search(query, edition, limit=10)
        place = next((n for n, r in enumerate(results, 1) if hit(r.code, expected)), None)
        first += place == 1
        within += place is not None and place <= allowed
        top = f"{results[0].code} {results[0].title[:50]}" if results else "-"
        print(f"| {query} | {expected} | {place or 'missing'} (of {total}) | {top} |")
    print(f"\nHit rate: first place {first}/{len(table)} ({first / len(table):.0%}); "
          f"within the allowed place {within}/{len(table)} ({within / len(table):.0%}).")
    times = []
    for _ in range(args.repeat):
        for query, _expected, _allowed in table:
            t = time.perf_counter()
            search(query, edition, limit=10)
            times.append((time.perf_counter() - t) * 1000)
    times.sort()
    print(f"One query ({len(times)} timed): median {statistics.median(times):.3f} ms, "
          f"p95 {times[int(len(times) * 0.95) - 1]:.3f} ms, max {times[-1]:.3f} ms.")


if __name__ == "__main__":
    main()
