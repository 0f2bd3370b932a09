"""Benchmark: median time to render the manifestazione DOCX for 10, 60 and 200 partners, and the PDF for 60.

    .venv/bin/python benchmarks/bench_docx.py [--repeat 21] [--pdf-repeat 3]

Not a test: it prints a Markdown table for docs/benchmarks.md. Goal: 200 partners under 300 ms on the CI machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from patti_web.calls import load_edition  # noqa: E402
from patti_web.documents import build_manifestazione_docx  # noqa: E402
from patti_web.documents.pdf import convert_docx_to_pdf, is_available  # noqa: E402
from patti_web.samples import sample_domanda  # noqa: E402

DAY = date(2026, 11, 24)


def measure(function, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--pdf-repeat", type=int, default=3)
    args = parser.parse_args()
    edition = load_edition()
    build_manifestazione_docx(sample_domanda(edition, 10), edition, DAY)  # warm-up: template, ATECO data, catalogue
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.platform()}")
    print()
    print("| what | partners | runs | median | p90 | max | size |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for partners in (10, 60, 200):
        domanda = sample_domanda(edition, partners)
        data = build_manifestazione_docx(domanda, edition, DAY)
        times = sorted(measure(lambda d=domanda: build_manifestazione_docx(d, edition, DAY), args.repeat))
        p90 = times[int(len(times) * 0.9) - 1]
        print(f"| DOCX render | {partners} | {args.repeat} | {statistics.median(times):.0f} ms | {p90:.0f} ms "
              f"| {times[-1]:.0f} ms | {len(data) // 1024} KiB |")
    if is_available():
        data = build_manifestazione_docx(sample_domanda(edition, 60), edition, DAY)
        times = sorted(measure(lambda: convert_docx_to_pdf(data), args.pdf_repeat))
        pdf = convert_docx_to_pdf(data)
        print(f"| PDF/A-2b conversion (LibreOffice) | 60 | {args.pdf_repeat} | {statistics.median(times):.0f} ms "
              f"| \u2013 | {times[-1]:.0f} ms | {len(pdf) // 1024} KiB |")
    else:
        print("| PDF/A-2b conversion | 60 | \u2013 | LibreOffice not installed | | | |")


if __name__ == "__main__":
    main()
