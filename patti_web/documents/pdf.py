"""DOCX to PDF/A-2b through LibreOffice headless, in a subprocess with its own profile and a timeout."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

# PDF/A-2b: what Italian public administrations accept for PAdES signatures and long-term archiving.
PDFA2_FILTER = 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'
DEFAULT_TIMEOUT = 90
# Two cores: more conversions at once would only queue inside the machine; callers wait a bounded time for a slot.
_SLOTS = threading.BoundedSemaphore(2)


class PdfUnavailable(RuntimeError):
    """LibreOffice is not installed, or every conversion slot stayed busy."""


class PdfConversionError(RuntimeError):
    """LibreOffice ran but produced no PDF (or took too long)."""


def soffice_path() -> str | None:
    """Where LibreOffice's `soffice` is, or None when it is not installed."""
    return os.environ.get("PATTI_SOFFICE") or shutil.which("soffice") or shutil.which("libreoffice")


def is_available() -> bool:
    return soffice_path() is not None


def convert_docx_to_pdf(docx: bytes, *, timeout: float = DEFAULT_TIMEOUT, wait: float = 30) -> bytes:
    """Return the PDF/A-2b rendering of `docx`.

    :raises PdfUnavailable: no LibreOffice, or no free slot within `wait` seconds.
    :raises PdfConversionError: LibreOffice failed or exceeded `timeout` seconds.
    """
    soffice = soffice_path()
    if soffice is None:
        raise PdfUnavailable("soffice not found")
    if not _SLOTS.acquire(timeout=wait):
        raise PdfUnavailable("all conversion slots busy")
    try:
        with tempfile.TemporaryDirectory(prefix="patti-pdf-") as tmp:
            work = Path(tmp)
            source = work / "manifestazione.docx"
            source.write_bytes(docx)
            out = work / "out"
            # One LibreOffice profile per conversion: two processes sharing one make one of them fail silently.
            command = [
                soffice, "--headless", "--norestore", "--nolockcheck", "--nodefault",
                f"-env:UserInstallation={(work / 'profile').as_uri()}",
                "--convert-to", PDFA2_FILTER, "--outdir", str(out), str(source),
            ]
            env = {**os.environ, "HOME": tmp, "TMPDIR": tmp}
            try:
                result = subprocess.run(command, capture_output=True, timeout=timeout, env=env, check=False,
                                        start_new_session=True)
            except subprocess.TimeoutExpired:
                raise PdfConversionError(f"LibreOffice took more than {timeout} s") from None
            pdf = out / "manifestazione.pdf"
            if result.returncode != 0 or not pdf.exists():
                detail = (result.stderr or result.stdout).decode(errors="replace")[-500:]
                raise PdfConversionError(f"LibreOffice exit {result.returncode}: {detail}")
            return pdf.read_bytes()
    finally:
        _SLOTS.release()
