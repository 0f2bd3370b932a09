"""DOCX to PDF/A-2b through LibreOffice headless, then finished with pikepdf: the document's own metadata, Italian,
and the same bytes for the same document (its SHA-256 identifies it).

LibreOffice runs in a subprocess with its own profile and a timeout; several documents convert in one run.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import tempfile
import threading
import zipfile
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pikepdf
from lxml import etree

# PDF/A-2b: what Italian public administrations accept for PAdES signatures and long-term archiving.
PDFA2_FILTER = 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'
DEFAULT_TIMEOUT = 90
LANGUAGE = "it-IT"
CREATOR_TOOL = "Patti Web"
# Two cores: more conversions at once would only queue inside the machine; callers wait a bounded time for a slot.
_SLOTS = threading.BoundedSemaphore(2)
_CORE = {"dc": "http://purl.org/dc/elements/1.1/", "dcterms": "http://purl.org/dc/terms/",
         "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"}


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
    """Return the finished PDF/A-2b of one DOCX (see `convert_many`)."""
    return convert_many([docx], timeout=timeout, wait=wait)[0]


def convert_many(documents: list[bytes], *, timeout: float = DEFAULT_TIMEOUT, wait: float = 30) -> list[bytes]:
    """Return the finished PDF/A-2b of each DOCX, in order, converted by one LibreOffice run.

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
            sources = []
            for n, data in enumerate(documents):
                source = work / f"documento-{n:04d}.docx"
                source.write_bytes(data)
                sources.append(source)
            out = work / "out"
            # One LibreOffice profile per conversion: two processes sharing one make one of them fail silently.
            command = [
                soffice, "--headless", "--norestore", "--nolockcheck", "--nodefault",
                f"-env:UserInstallation={(work / 'profile').as_uri()}",
                "--convert-to", PDFA2_FILTER, "--outdir", str(out), *map(str, sources),
            ]
            env = {**os.environ, "HOME": tmp, "TMPDIR": tmp}
            try:
                result = subprocess.run(command, capture_output=True, timeout=timeout, env=env, check=False,
                                        start_new_session=True)
            except subprocess.TimeoutExpired:
                raise PdfConversionError(f"LibreOffice took more than {timeout} s") from None
            pdfs = [out / source.with_suffix(".pdf").name for source in sources]
            if result.returncode != 0 or not all(pdf.exists() for pdf in pdfs):
                detail = (result.stderr or result.stdout).decode(errors="replace")[-500:]
                raise PdfConversionError(f"LibreOffice exit {result.returncode}: {detail}")
            return [finish_pdf(pdf.read_bytes(), data) for pdf, data in zip(pdfs, documents, strict=True)]
    finally:
        _SLOTS.release()


def _core_properties(docx: bytes) -> dict[str, str]:
    """Title, author, subject, keywords and creation date of a DOCX (docProps/core.xml)."""
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        root = etree.fromstring(archive.read("docProps/core.xml"))

    def text(path: str) -> str:
        found = root.find(path, _CORE)
        return (found.text or "").strip() if found is not None else ""

    return {"title": text("dc:title"), "author": text("dc:creator"), "subject": text("dc:subject"),
            "keywords": text("cp:keywords"), "created": text("dcterms:created")}


def _day(created: str) -> date:
    try:
        return datetime.fromisoformat(created.replace("Z", "+00:00")).date()
    except ValueError:
        return date(2000, 1, 1)


def finish_pdf(pdf: bytes, docx: bytes) -> bytes:
    """The PDF LibreOffice made, with the DOCX's metadata (XMP and document information agreeing), Italian as its
    language, and every date set to the document's own date: converting the same DOCX twice gives the same bytes.
    """
    props = _core_properties(docx)
    moment = datetime.combine(_day(props["created"]), time(), ZoneInfo("Europe/Rome"))
    keywords = [k.strip() for k in props["keywords"].split(";") if k.strip()]
    with pikepdf.open(io.BytesIO(pdf)) as document:
        with document.open_metadata(set_pikepdf_as_editor=False, update_docinfo=True) as meta:
            for key in [k for k in meta if "DocumentID" in k or "InstanceID" in k]:
                del meta[key]
            meta["dc:title"] = props["title"]
            meta["dc:creator"] = [props["author"]] if props["author"] else []
            meta["dc:description"] = props["subject"]
            meta["dc:subject"] = keywords
            meta["dc:language"] = [LANGUAGE]
            meta["pdf:Keywords"] = "; ".join(keywords)
            meta["xmp:CreatorTool"] = CREATOR_TOOL
            for key in ("xmp:CreateDate", "xmp:ModifyDate", "xmp:MetadataDate"):
                meta[key] = moment.isoformat()
        document.Root.Lang = pikepdf.String(LANGUAGE)
        if "/DocChecksum" in document.trailer:
            del document.trailer["/DocChecksum"]
        # The file identifier: from the DOCX (qpdf's deterministic id replaces only its second half).
        identifier = pikepdf.String(hashlib.sha256(docx).digest()[:16])
        document.trailer.ID = pikepdf.Array([identifier, identifier])
        # LibreOffice's sRGB output intent carries the moment of conversion in its header (bytes 24-35).
        for intent in document.Root.get("/OutputIntents", []):
            profile = intent.get("/DestOutputProfile")
            if profile is not None:
                data = bytearray(profile.read_bytes())
                stamp = [moment.year, moment.month, moment.day, 0, 0, 0]
                data[24:36] = b"".join(part.to_bytes(2, "big") for part in stamp)
                profile.write(bytes(data))
        out = io.BytesIO()
        document.save(out, deterministic_id=True, compress_streams=True)
    return out.getvalue()
