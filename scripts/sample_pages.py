"""Render the made-up application to PDF/A and PNG pages, for docs/img/ (looked at before each change of the
templates): page 1 and the last page of a valid act and of a draft, and one letter of adhesion.

    .venv/bin/python -m scripts.sample_pages [--partners 60] [--out docs/img] [--dpi 60]
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import tempfile
from datetime import date
from pathlib import Path

from patti_web.avviso.edizioni import load_edition
from patti_web.documenti import Identita, act_order, build_adesione_docx, build_manifestazione_docx
from patti_web.documenti.pdf import convert_many
from tests.support.samples import sample_domanda

DAY = date(2026, 11, 24)


def pages(pdf: bytes, first: int, last: int | None, prefix: Path, dpi: int) -> list[Path]:
    """PNG files of pages first..last (None: the last page) of `pdf`, named prefix-N.png."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(pdf)
        fh.flush()
        count = int(next(line.split()[-1] for line in subprocess.run(
            ["pdfinfo", fh.name], capture_output=True, text=True, check=True).stdout.splitlines()
            if line.startswith("Pages:")))
        page = count if last is None else first
        subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile",
                        fh.name, str(prefix)], check=True)
    return [prefix.with_suffix(".png")]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--partners", type=int, default=60)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "docs" / "img")
    parser.add_argument("--dpi", type=int, default=60)
    args = parser.parse_args()
    edition = load_edition()
    valid = sample_domanda(edition, args.partners)
    broken = valid.model_copy(deep=True)
    broken.fabbisogni[0].fonti = []
    broken.partner = [p for p in broken.partner if p.categoria != "sindacati"]
    # As the portal prints a stored application: its number and version beside the fingerprint on every page.
    documents = {
        "manifestazione": build_manifestazione_docx(valid, edition, DAY, Identita.of(valid, 42, 3)),
        "manifestazione-bozza": build_manifestazione_docx(broken, edition, DAY, Identita.of(broken, 43, 1)),
        "adesione": build_adesione_docx(valid, edition, DAY, act_order(valid, edition)[2][1],
                                        identita=Identita.of(valid, 42, 3)),
    }
    pdfs = dict(zip(documents, convert_many(list(documents.values())), strict=True))
    written = [*pages(pdfs["manifestazione"], 1, 1, args.out / "manifestazione-p1", args.dpi),
               *pages(pdfs["manifestazione"], 0, None, args.out / "manifestazione-ultima", args.dpi),
               *pages(pdfs["manifestazione-bozza"], 1, 1, args.out / "manifestazione-bozza-p1", args.dpi),
               *pages(pdfs["manifestazione-bozza"], 0, None, args.out / "manifestazione-bozza-ultima", args.dpi),
               *pages(pdfs["adesione"], 1, 1, args.out / "adesione-p1", args.dpi)]
    for name, pdf in pdfs.items():
        print(f"{name}.pdf sha256 {hashlib.sha256(pdf).hexdigest()}")
    print("\n".join(str(path) for path in written))


if __name__ == "__main__":
    main()
