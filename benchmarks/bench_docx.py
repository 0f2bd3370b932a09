"""Benchmark: export times of the manifestazione (DOCX, PDF/A) and of the letters of adhesion, 10, 60, 200 partners.

    .venv/bin/python -m benchmarks.bench_docx [--repeat 11] [--pdf-repeat 3]

Not a test: it prints a Markdown table for docs/benchmarks.md. The DOCX time is one call of the builder (rule engine,
docxtpl, the zip re-packed for stable bytes); the PDF time is one LibreOffice run plus the pikepdf finishing (the
letters of every partner convert in one run).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from datetime import date

from patti_web.avviso.edizioni import load_edition
from patti_web.documenti import build_adesioni, build_manifestazione_docx, zip_documents
from patti_web.documenti.pdf import convert_many, is_available
from tests.support.samples import sample_domanda

DAY = date(2026, 11, 24)


def measure(function, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return sorted(times)


def row(what: str, partners: int, times: list[float], size: int) -> str:
    return (f"| {what} | {partners} | {len(times)} | {statistics.median(times):,.0f} ms | {times[-1]:,.0f} ms "
            f"| {size // 1024} KiB |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--pdf-repeat", type=int, default=3)
    args = parser.parse_args()
    edition = load_edition()
    build_manifestazione_docx(sample_domanda(edition, 10), edition, DAY)  # warm-up: templates, ATECO data, catalogue
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.platform()}")
    print()
    print("| what | partners | runs | median | max | size |")
    print("|---|---:|---:|---:|---:|---:|")
    for partners in (10, 60, 200):
        domanda = sample_domanda(edition, partners)
        act = build_manifestazione_docx(domanda, edition, DAY)
        print(row("act, DOCX", partners,
                  measure(lambda d=domanda: build_manifestazione_docx(d, edition, DAY), args.repeat), len(act)))
        letters = build_adesioni(domanda, edition, DAY)
        print(row("letters of adhesion, DOCX in a ZIP", partners,
                  measure(lambda d=domanda: zip_documents(build_adesioni(d, edition, DAY)), args.repeat),
                  len(zip_documents(letters))))
        if not is_available():
            continue
        (pdf,) = convert_many([act])
        print(row("act, PDF/A-2b", partners, measure(lambda a=act: convert_many([a]), args.pdf_repeat), len(pdf)))
        pdfs = convert_many([data for _name, data in letters])
        print(row("letters of adhesion, PDF/A-2b (one LibreOffice run)", partners,
                  measure(lambda ls=letters: convert_many([data for _name, data in ls]), 1),
                  sum(len(p) for p in pdfs)))
    if not is_available():
        print("| PDF/A-2b | – | – | LibreOffice not installed | | |")


if __name__ == "__main__":
    main()
