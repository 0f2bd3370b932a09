"""The checks of one signed file, offline: a PAdES signature (a signed PDF) or a CAdES one (a `.p7m`, DER or in the
base64 envelope some tools produce), against the PDF the portal generated and the person who must sign.

One `Check` per question, in Italian, so that a user knows exactly what to fix: the file holds one signature; the
signature is intact; it covers the whole file; the signed content is byte for byte the generated PDF (PAdES: the
generated PDF is a prefix of the signed file, the signature added by incremental update; CAdES: the enveloped
content); the signer's codice fiscale (the certificate's subject serialNumber, `TINIT-<CF>` on Italian qualified
certificates) is the expected one; the certificate was valid when it signed; it chains to a trusted root. Without
trusted roots every check but the last is done, and the last says "da verificare" (the office checks the chain).

The signature work is pyHanko's (with pyhanko-certvalidator); nothing here fetches anything from the network.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import logging
import re
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.generic_cms import async_validate_cms_signature
from pyhanko.sign.validation.pdf_embedded import async_validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel, SignatureStatus
from pyhanko_certvalidator import ValidationContext

from patti_web.i18n import format_date
from patti_web.i18n import gettext as _

log = logging.getLogger(__name__)


class _OutcomeNotFault(logging.Filter):
    """pyHanko logs each certificate it cannot validate (expired, from an unknown authority, revoked) as a warning
    with its traceback: an outcome these checks say in words, not a fault of the portal. The line stays in the log;
    the traceback goes (errors keep theirs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.ERROR:
            record.exc_info, record.exc_text = None, None
        return True


logging.getLogger("pyhanko.sign.validation.generic_cms").addFilter(_OutcomeNotFault())

OK, FAILED, TO_CHECK = "ok", "errore", "da verificare"
VERIFIED, TO_BE_CHECKED, REFUSED = "verificato", "certificato da verificare", "rifiutato"
PADES, CADES = "PAdES", "CAdES"
_CF_PREFIX = re.compile(r"^(?:TINIT-|IT:|TIN:IT-)", re.I)


@dataclass(frozen=True)
class Check:
    """One question asked of the file: its key, the answer (OK, FAILED, TO_CHECK) and the Italian sentence."""

    key: str
    outcome: str
    message: str


@dataclass(frozen=True)
class Outcome:
    """Everything the checks found: the format, who signed (codice fiscale and name from the certificate), when,
    and the checks in order."""

    format: str | None
    signer_cf: str = ""
    signer_name: str = ""
    signed_at: datetime | None = None
    checks: list[Check] = field(default_factory=list)

    @property
    def state(self) -> str:
        """VERIFIED when every check passed, TO_BE_CHECKED when only the chain is left to the office, else REFUSED."""
        outcomes = {check.outcome for check in self.checks}
        if FAILED in outcomes or not self.checks:
            return REFUSED
        return TO_BE_CHECKED if TO_CHECK in outcomes else VERIFIED

    @property
    def failures(self) -> list[Check]:
        return [check for check in self.checks if check.outcome == FAILED]

    def as_dict(self) -> dict:
        return {"formato": self.format, "firmatario": self.signer_cf, "nome_firmatario": self.signer_name,
                "firmato_il": self.signed_at.isoformat() if self.signed_at else None, "esito": self.state,
                "controlli": [{"controllo": c.key, "esito": c.outcome, "messaggio": c.message} for c in self.checks]}


@dataclass(frozen=True)
class Expected:
    """What the file must be: the generated PDF, who must sign it (codice fiscale and how to name them), and the
    version the PDF belongs to (for the messages)."""

    pdf: bytes
    signer_cf: str
    signer_label: str
    versione: int


def load_trust_roots(path: str | Path | None) -> list[asn1_x509.Certificate] | None:
    """The trusted CA certificates of PATTI_FIRMA_CA: a PEM or DER file, or a folder of them (.pem, .crt, .cer).
    None when nothing is configured (the chain is then left to the office)."""
    if not path:
        return None
    path = Path(path)
    files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".pem", ".crt", ".cer", ".der")) \
        if path.is_dir() else [path]
    roots = []
    for file in files:
        data = file.read_bytes()
        blocks = re.findall(rb"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", data, re.S)
        for der in ([base64.b64decode(b"".join(block.split())) for block in blocks] if blocks else [data]):
            roots.append(asn1_x509.Certificate.load(der))
    return roots


def _cf_of(certificate: asn1_x509.Certificate) -> str:
    serial = certificate.subject.native.get("serial_number") or ""
    return _CF_PREFIX.sub("", str(serial)).strip().upper()


def _name_of(certificate: asn1_x509.Certificate) -> str:
    subject = certificate.subject.native
    given, surname = subject.get("given_name") or "", subject.get("surname") or ""
    return f"{given} {surname}".strip() or str(subject.get("common_name") or "")


def _context(roots) -> ValidationContext:
    return ValidationContext(trust_roots=roots or [], allow_fetching=False)


def run_async(start: Callable[[], Awaitable]):
    """Run pyHanko's async work to its end and return its result: in this thread, or, where an event loop already
    runs in it (an async server, a test runner's browser), in a thread of its own. `start` makes the coroutine
    there, so that none is made where it cannot be awaited."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_awaited(start))
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="patti-firme") as pool:
        return pool.submit(lambda: asyncio.run(_awaited(start))).result()


async def _awaited(start: Callable[[], Awaitable]):
    return await start()


async def _validated(coroutine: Awaitable, context: ValidationContext):
    """Await a validation, then release what its context opened (nothing, offline; pyHanko's own wrappers do the
    same)."""
    try:
        return await coroutine
    finally:
        await context.aclose()


def verify(data: bytes, expected: Expected, roots: list[asn1_x509.Certificate] | None) -> Outcome:
    """The checks of a signed file against what it must be; never raises for a bad file (its checks say why)."""
    if not data:
        return Outcome(None, checks=[Check("formato", FAILED, _("The file is empty."))])
    if data.lstrip()[:5] == b"%PDF-":
        if b"%%EOF" not in data[-1024:]:  # not a whole PDF (and reading one backwards for its end is slow)
            return Outcome(PADES, checks=[Check("formato", FAILED, _(
                "The PDF is incomplete (it does not end as a PDF does): upload the file the signing program "
                "produced."))])
        return _verify_pades(data, expected, roots)
    signed_data = _cms(data)
    if signed_data is None:
        return Outcome(None, checks=[Check("formato", FAILED, _(
            "The file is neither a signed PDF (PAdES) nor a signed envelope (.p7m, CAdES): sign the PDF downloaded "
            "from the portal with a qualified digital signature and upload the file the signing program produced."))])
    return _verify_cades(signed_data, expected, roots)


def _cms(data: bytes) -> cms.SignedData | None:
    """The SignedData of a .p7m, DER or base64 (with or without PEM armour); None when it is not one."""
    candidates = [data]
    text = re.sub(rb"-----(BEGIN|END) [A-Z0-9 ]+-----", b"", data)
    try:
        candidates.append(base64.b64decode(b"".join(text.split()), validate=True))
    except (binascii.Error, ValueError):
        pass
    for candidate in candidates:
        try:
            info = cms.ContentInfo.load(candidate)
            if info["content_type"].native != "signed_data":
                continue
            signed = info["content"]
            if signed.native is None:  # parsed whole now: a broken structure fails here, not amid the checks
                continue
            return signed
        except (ValueError, TypeError, KeyError):
            continue
    return None


def _verify_pades(data: bytes, expected: Expected, roots) -> Outcome:
    try:
        signatures = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
    except Exception:  # noqa: BLE001 - a PDF pyHanko cannot read: its checks say so
        log.info("unreadable PDF", exc_info=True)
        return Outcome(PADES, checks=[Check("formato", FAILED, _("The PDF cannot be read: upload the file the "
                                                                 "signing program produced."))])
    if not signatures:
        return Outcome(PADES, checks=[Check("formato", FAILED, _(
            "The PDF holds no digital signature: sign it with a qualified digital signature (PAdES) before "
            "uploading it."))])
    checks = [_count(len(signatures))]
    signature = signatures[0]
    context = _context(roots)
    try:
        status = run_async(lambda: _validated(async_validate_pdf_signature(signature, context), context))
    except Exception:  # noqa: BLE001
        log.info("PDF signature not validated", exc_info=True)
        return Outcome(PADES, checks=[*checks, Check("integrita", FAILED, _(
            "The signature cannot be read: sign the PDF again."))])
    checks.append(_intact(status))
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        checks.append(Check("copertura", OK, _("The signature covers the whole file.")))
    else:
        checks.append(Check("copertura", FAILED, _(
            "The PDF was changed after it was signed (for example saved again by a viewer): the signature does not "
            "cover the whole file. Upload the file exactly as the signing program produced it.")))
    checks.append(_same_content(data.startswith(expected.pdf) and _only_a_signature_added(signature, expected.pdf),
                                expected))
    return _about_the_signer(PADES, status, expected, roots, checks)


def _only_a_signature_added(signature, generated: bytes) -> bool:
    """The signature is the first update after the generated PDF, and that update adds the signature and nothing
    else: the pages' contents and resources and every object of the generated PDF are as they were (the catalogue,
    the form and the pages may change only to hold the signature's field)."""
    try:
        base = PdfFileReader(io.BytesIO(generated), strict=False).xrefs.total_revisions
        reader = signature.reader
        if signature.signed_revision != base:
            return False
        before, after = reader.get_historical_resolver(base - 1), reader.get_historical_resolver(base)
        root_before = before.root_ref.get_object()
        # What signing may rewrite: the catalogue, its form and its XMP metadata, and the document information.
        allowed = {before.root_ref.idnum}
        for holder, key in ((root_before, "/AcroForm"), (root_before, "/Metadata"), (before.trailer_view, "/Info")):
            idnum = getattr(holder.raw_get(key), "idnum", None) if key in holder else None
            if idnum is not None:
                allowed.add(idnum)
        existing = {ref.idnum for revision in range(base) for ref in reader.xrefs.explicit_refs_in_revision(revision)}
        for ref in after.explicit_refs_in_revision():
            if ref.idnum not in existing:
                continue  # a new object: the signature, its field, its appearance
            old = before.get_object(generic.Reference(ref.idnum, ref.generation))
            if isinstance(old, generic.DictionaryObject) and old.get("/Type") == "/Page":
                new = after.get_object(generic.Reference(ref.idnum, ref.generation))
                if any(old.raw_get(key) != new.raw_get(key) if key in old else key in new
                       for key in ("/Contents", "/Resources", "/MediaBox", "/Parent")):
                    return False
                continue
            if ref.idnum not in allowed:
                return False
        return root_before.raw_get("/Pages") == after.root_ref.get_object().raw_get("/Pages")
    except Exception:  # noqa: BLE001 - a structure we cannot compare is not the generated PDF
        log.info("revisions not compared", exc_info=True)
        return False


def _verify_cades(signed_data: cms.SignedData, expected: Expected, roots) -> Outcome:
    checks = [_count(len(signed_data["signer_infos"]))]
    content = signed_data["encap_content_info"]["content"].native
    if content is None:
        return Outcome(CADES, checks=[*checks, Check("contenuto", FAILED, _(
            "The envelope holds only the signature, not the PDF (a detached signature): upload the .p7m file that "
            "holds the signed PDF."))])
    context = _context(roots)
    try:
        status = run_async(lambda: _validated(async_validate_cms_signature(signed_data, validation_context=context),
                                              context))
    except Exception:  # noqa: BLE001
        log.info("CMS signature not validated", exc_info=True)
        return Outcome(CADES, checks=[*checks, Check("integrita", FAILED, _(
            "The signature cannot be read: sign the PDF again."))])
    checks.append(_intact(status))
    checks.append(_same_content(bytes(content) == expected.pdf, expected))
    return _about_the_signer(CADES, status, expected, roots, checks, _cms_signing_time(signed_data))


def _count(count: int) -> Check:
    if count == 1:
        return Check("firme", OK, _("The file holds one signature."))
    return Check("firme", FAILED, _("The file holds %(count)s signatures: it must hold only the signature of whoever "
                                    "must sign it. Sign the PDF downloaded from the portal once.", count=count))


def _intact(status: SignatureStatus) -> Check:
    if status.intact and status.valid:
        return Check("integrita", OK, _("The signature is intact: the file has not changed since it was signed."))
    return Check("integrita", FAILED, _("The signature is not intact: the file was changed after it was signed, or "
                                        "the signature is damaged. Sign the PDF again."))


def _same_content(same: bool, expected: Expected) -> Check:
    if same:
        return Check("contenuto", OK, _("The signed PDF is the one of version %(v)s, byte for byte.",
                                        v=expected.versione))
    return Check("contenuto", FAILED, _(
        "The signed PDF is not the one of version %(v)s: the application changed after the download, or another "
        "file was signed. Download the PDF again, sign it and upload it.", v=expected.versione))


def _cms_signing_time(signed_data: cms.SignedData) -> datetime | None:
    """The signing time the signer declared (a signed attribute of its SignerInfo), or None."""
    for attribute in signed_data["signer_infos"][0]["signed_attrs"] or []:
        if attribute["type"].native == "signing_time":
            return attribute["values"][0].native
    return None


def _about_the_signer(kind: str, status: SignatureStatus, expected: Expected, roots, checks: list[Check],
                      declared: datetime | None = None) -> Outcome:
    certificate = status.signing_cert
    cf, name = _cf_of(certificate), _name_of(certificate)
    want = expected.signer_cf.strip().upper()
    if not want:
        checks.append(Check("firmatario", FAILED, _(
            "The application does not say the codice fiscale of %(who)s yet: fill it in, then download, sign and "
            "upload again.", who=expected.signer_label)))
    elif cf == want:
        checks.append(Check("firmatario", OK, _("Signed by %(cf)s, %(who)s, as required.", who=expected.signer_label,
                                                cf=cf)))
    else:
        checks.append(Check("firmatario", FAILED, _(
            "The file was signed by %(signer)s; %(who)s must sign it, %(cf)s.", signer=cf or name or "?",
            who=expected.signer_label, cf=want)))
    declared = getattr(status, "signer_reported_dt", None) or declared
    # The time a signer declares is not proof (the signer writes it): without a trusted timestamp the certificate
    # must be valid now, when the file is checked (right after signing, in practice).
    now = datetime.now(UTC)
    validity = certificate["tbs_certificate"]["validity"]
    start, end = validity["not_before"].native, validity["not_after"].native
    if start <= now <= end:
        checks.append(Check("validita", OK, _("The certificate is valid.")))
    else:
        checks.append(Check("validita", FAILED, _(
            "The certificate is not valid now (valid from %(start)s to %(end)s): sign with a valid certificate.",
            start=format_date(start), end=format_date(end))))
    if roots is None:
        checks.append(Check("catena", TO_CHECK, _(
            "The certificate's authority is left to the office to check (no list of trusted authorities is "
            "configured here).")))
    elif status.trusted:
        checks.append(Check("catena", OK, _("The certificate comes from a trusted certification authority.")))
    elif any(c.outcome == FAILED for c in checks if c.key in ("integrita", "validita")):
        # pyHanko validates no path for a broken signature or an expired certificate: its authority is unknown.
        checks.append(Check("catena", FAILED, _(
            "The certificate's authority could not be confirmed, because of the problem above: once it is solved, "
            "the authority is checked too.")))
    else:
        checks.append(Check("catena", FAILED, _(
            "The certificate does not come from a trusted certification authority: sign with a qualified "
            "certificate.")))
    return Outcome(kind, cf, _printable(name), declared, checks)


def _printable(text: str) -> str:
    """A certificate's name as a page or a column may hold it: without control or invisible characters."""
    return "".join(c for c in text if c.isprintable())[:200]
