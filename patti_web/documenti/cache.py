"""The PDF/A of a stored application's documents, converted once: kept by the DOCX's SHA-256 in the application's
folder of PATTI_PDF_CACHE (default instance/pdf-cache). What is older than the application's last change belonged
to an earlier version and goes when a new PDF is made; the whole folder goes when the application is deleted."""

from __future__ import annotations

import hashlib
import logging
import shutil
from datetime import UTC
from pathlib import Path

from flask import current_app

from patti_web.documenti import pdf
from patti_web.domande import State, when_deleted

log = logging.getLogger(__name__)


class NoPdf(Exception):
    """The PDF cannot be made now; `reason` says why: "missing" (no LibreOffice), "busy" or "failed"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _folder(domanda_id: int) -> Path:
    root = Path(current_app.config["PATTI_PDF_CACHE"] or Path(current_app.instance_path) / "pdf-cache")
    return root / str(domanda_id)


@when_deleted
def forget(domanda_id: int):
    """When an application is deleted (patti_web.domande.delete_domanda): what deletes the PDFs kept for it."""
    folder = _folder(domanda_id)
    return lambda: shutil.rmtree(folder) if folder.exists() else None


def pdfs_of(state: State, documents: list[bytes]) -> list[bytes]:
    """The PDF/A of each DOCX of a stored application, converted once (in one LibreOffice run for those missing).

    :raises NoPdf: LibreOffice is missing, busy or failed.
    """
    if not pdf.is_available():
        raise NoPdf("missing")
    folder = _folder(state.id)
    paths = [folder / f"{hashlib.sha256(data).hexdigest()}.pdf" for data in documents]
    missing = [(path, data) for path, data in zip(paths, documents, strict=True) if not path.exists()]
    if missing:
        try:
            converted = pdf.convert_many([data for _path, data in missing],
                                         timeout=current_app.config["PATTI_PDF_TIMEOUT"])
        except pdf.PdfUnavailable:
            raise NoPdf("busy") from None
        except pdf.PdfConversionError:
            log.exception("PDF conversion failed for application %s", state.id)
            raise NoPdf("failed") from None
        folder.mkdir(parents=True, exist_ok=True)
        stale_before = state.head.updated_at.replace(tzinfo=UTC).timestamp()
        for old in folder.glob("*.pdf"):
            if old.stat().st_mtime < stale_before and old not in paths:
                old.unlink(missing_ok=True)
        for (path, _data), result in zip(missing, converted, strict=True):
            partial = path.with_suffix(".part")
            partial.write_bytes(result)
            partial.replace(path)
    return [path.read_bytes() for path in paths]
