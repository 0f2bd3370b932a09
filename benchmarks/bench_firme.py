"""Benchmark: how long the checks of a signed file take (patti_web.presentazione.firme.verify), for the act of a
200-partner application and for its 200 letters of adhesion, PAdES and CAdES, with a test CA as the trusted root.

    .venv/bin/python -m benchmarks.bench_firme [--partners 200] [--repeat 20]

The PDFs are the real ones (LibreOffice, converted once before timing); the signatures are made by a CA the script
makes (tests/support/firme.py). Only the checks are timed: reading the signature, its integrity and coverage, the
byte comparison with the generated PDF, the signer and the chain.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date

from benchmarks.bench_docx import measure
from patti_web.avviso.edizioni import load_edition
from patti_web.documenti import build_adesioni, build_manifestazione_docx, pdf
from patti_web.presentazione import firme
from tests.support.firme import Authority
from tests.support.samples import sample_domanda


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    edition = load_edition()
    domanda = sample_domanda(edition, args.partners)
    day = date(2023, 2, 10)
    started = time.perf_counter()
    act = pdf.convert_docx_to_pdf(build_manifestazione_docx(domanda, edition, day), timeout=600)
    letters = pdf.convert_many([data for _name, data in build_adesioni(domanda, edition, day)], timeout=900)
    print(f"PDFs made in {time.perf_counter() - started:.0f} s: act {len(act) // 1024} KB, {len(letters)} letters")
    ca = Authority.make()
    lead = domanda.capofila.legale_rappresentante.codice_fiscale
    signer = ca.signer(lead)
    pades, cades = signer.pades(act), signer.cades(act)
    expected = firme.Expected(act, lead, "il legale rappresentante del capofila", 1)
    rows = []
    for kind, signed in (("PAdES", pades), ("CAdES", cades)):
        times = measure(lambda signed=signed: firme.verify(signed, expected, [ca.root]), args.repeat)
        assert firme.verify(signed, expected, [ca.root]).state == firme.VERIFIED
        rows.append(f"| the act, {args.partners} partners ({len(act) // 1024} KB), {kind} | {args.repeat} | "
                    f"{statistics.median(times):.0f} ms | {times[-1]:.0f} ms |")
    signed_letters = []
    for partner, letter in zip(domanda.partner, letters, strict=True):
        cf = partner.legale_rappresentante.codice_fiscale or lead
        signed_letters.append((ca.signer(cf).pades(letter), firme.Expected(letter, cf, "il legale rappresentante", 1)))
    start = time.perf_counter()
    states = [firme.verify(signed, want, [ca.root]).state for signed, want in signed_letters]
    total = (time.perf_counter() - start) * 1000
    assert set(states) == {firme.VERIFIED}, set(states)
    rows.append(f"| {len(letters)} letters of adhesion, PAdES, one after the other | 1 | {total / 1000:.1f} s in "
                f"all ({total / len(letters):.0f} ms each) | |")
    print("| file | runs | median | slowest |\n|---|---:|---:|---:|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
