"""Render the made-up application with N partners to DOCX, PDF/A and PNG pages (for docs/img/).

    .venv/bin/python scripts/sample_pages.py --partners 60 --out docs/img/manifestazione-60
    -> docs/img/manifestazione-60-1.png, -2.png (pdftoppm -png -r 60 -f 1 -l 2)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from patti_web.calls import load_edition  # noqa: E402
from patti_web.documents import build_manifestazione_docx  # noqa: E402
from patti_web.documents.pdf import convert_docx_to_pdf  # noqa: E402
from patti_web.samples import sample_domanda  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--partners", type=int, default=60)
    parser.add_argument("--out", required=True, help="prefix of the PNG files")
    parser.add_argument("--draft", action="store_true", help="break two rules, to show the BOZZA mark")
    args = parser.parse_args()
    edition = load_edition()
    domanda = sample_domanda(edition, args.partners)
    if args.draft:
        domanda.fabbisogni[0].fonti = []
        domanda.partner = [p for p in domanda.partner if p.categoria != "sindacati"]
    pdf = convert_docx_to_pdf(build_manifestazione_docx(domanda, edition, date(2026, 11, 24)))
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(pdf)
        fh.flush()
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "2", fh.name, args.out], check=True)
    print("\n".join(str(p) for p in sorted(Path(args.out).parent.glob(Path(args.out).name + "-*.png"))))


if __name__ == "__main__":
    main()
