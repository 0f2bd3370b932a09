"""Use cases of filing: what must be signed and by whom, upload a signed file (checked against the PDF of the current
version), and the table of every document's state. Each use case commits once.

A signed file belongs to the version it signed: a later change of the application makes it stale ("da rifirmare",
shown for the version it signed), never deletes it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import delete, func, select, update

from patti_web import domande
from patti_web.avviso.regole import has_errors
from patti_web.documenti import act_order, downloads
from patti_web.documenti.cache import NoPdf, pdfs_of
from patti_web.domande.models import DomandaRecord
from patti_web.extensions import db
from patti_web.i18n import gettext as _
from patti_web.persone.models import User
from patti_web.portal import current_edition
from patti_web.presentazione import archivio, firme
from patti_web.presentazione.models import FileFirmato, LinkAdesione

log = logging.getLogger(__name__)

ACT = "manifestazione"
LETTER = "adesione:"
# States of a document in the table.
TO_SIGN, UPLOADED, VERIFIED, TO_SIGN_AGAIN = "da firmare", "caricato", "verificato", "da rifirmare"
DEFAULT_MAX_BYTES = 20 * 1024 * 1024


class Refused(ValueError):
    """The upload cannot be checked at all (no such document, a draft, an empty or too large file, no PDF now);
    the message says why, in Italian."""


@dataclass(frozen=True)
class ToSign:
    """A document of the application that must come back signed: its key, its name, who must sign it."""

    key: str
    label: str
    signer_cf: str
    signer_name: str
    signer_role: str
    partner_id: str | None = None


@dataclass(frozen=True)
class Row:
    """A line of the table: the document, its state, and the latest signed file uploaded for it (if any)."""

    document: ToSign
    state: str
    latest: FileFirmato | None
    uploaded_by: str = ""


def max_bytes() -> int:
    return int(current_app.config.get("PATTI_UPLOAD_MAX_BYTES") or DEFAULT_MAX_BYTES)


def _person(person) -> str:
    return f"{person.nome} {person.cognome}".strip()


def documents(state: domande.State) -> list[ToSign]:
    """The act (signed by the capofila's procuratore when one is given, otherwise by its legal representative), then
    each partner's letter of adhesion (signed by the partner's), in the act's order and by its numbers."""
    capofila = state.domanda.capofila
    role = (_("the procuratore of the lead partner") if capofila.procuratore.is_given
            else _("the legal representative of the lead partner"))
    found = [ToSign(ACT, _("Expression of interest (the act)"), capofila.firmatario.codice_fiscale,
                    _person(capofila.firmatario), role)]
    for number, partner in act_order(state.domanda, current_edition()):
        found.append(ToSign(f"{LETTER}{partner.id}", _("Letter of adhesion %(n)s: %(name)s", n=number,
                                                        name=partner.denominazione or partner.id),
                            partner.legale_rappresentante.codice_fiscale, _person(partner.legale_rappresentante),
                            _("the legal representative of %(name)s", name=partner.denominazione or partner.id),
                            partner.id))
    return found


def document_of(state: domande.State, key: str) -> ToSign:
    found = next((d for d in documents(state) if d.key == key), None)
    if found is None:
        raise Refused(_("There is no such document to sign in this application."))
    return found


def expected(state: domande.State, document: ToSign) -> firme.Expected:
    """The PDF the portal generates for the current version of that document, and who must sign it.

    :raises Refused: the application has errors (its documents are drafts, not to be signed), or no PDF now.
    """
    if has_errors(state.findings):
        raise Refused(_("The application still has errors: its documents are drafts that cannot be signed. Correct "
                        "them, then download the PDF again and sign it."))
    docx = downloads.act(state)[0] if document.key == ACT else downloads.letter(state, document.partner_id)[0]
    try:
        (pdf,) = pdfs_of(state, [docx])
    except NoPdf as no_pdf:
        raise Refused(_("The PDF of the current version cannot be produced right now, so the file cannot be "
                        "checked: try again in a few minutes.")) from no_pdf
    who = f"{document.signer_role} ({document.signer_name})" if document.signer_name else document.signer_role
    return firme.Expected(pdf, document.signer_cf, who, state.versione)


def trust_roots():
    """The trusted authorities of PATTI_FIRMA_CA, or None (the chain is then left to the office, and the log says
    so: anyone can make a certificate with a codice fiscale in it)."""
    path = current_app.config.get("PATTI_FIRMA_CA")
    if not path:
        log.warning("PATTI_FIRMA_CA is not set: signed files are checked but their certificate's authority is not")
    return firme.load_trust_roots(path)


def upload(state: domande.State, by, key: str, filename: str,
           data: bytes) -> tuple[ToSign, FileFirmato | None, firme.Outcome]:
    """Check a signed file for one document of the application's current version `state`; keep it when no check
    failed (verified, or with only the chain left to the office). `by` is who uploads: a user whose right to edit
    the caller has checked, or a partner's personal link (its own letter only). Returns the document, the row kept
    (None when refused) and the checks. Commits.

    :raises Refused: the application submitted, no such document (or not the link's), an empty or too large file,
        a draft, no PDF now.
    """
    via_link = isinstance(by, LinkAdesione)
    if via_link and (by.application_id != state.id or key != f"{LETTER}{by.partner_id}"):
        raise Refused(_("This link is for another document."))
    document = document_of(state, key)
    follows = letter_may_follow(state, document)
    if state.head.frozen and not follows:
        raise Refused(_("The application has been submitted: its signed files can no longer be changed. To change "
                        "them the titolare must first withdraw the submission."))
    if not data:
        raise Refused(_("The file %(name)s is empty.", name=filename))
    if len(data) > max_bytes():
        raise Refused(_("The file %(name)s is larger than %(mb)s MB.", name=filename, mb=max_bytes() // 2**20))
    outcome = firme.verify(data, expected(state, document), trust_roots())
    if outcome.state == firme.REFUSED:
        log.info("application %s: signed %s refused (%s)", state.id, key, [c.key for c in outcome.failures])
        return document, None, outcome
    if via_link and not _still_open(by):
        raise Refused(_("This link was revoked, or expired, while the file was being checked: ask the lead partner "
                        "of the Patto for a new link."))
    # Under the row's lock (SQLite: the one writer's), the application must still be the version and the state
    # checked: a submission, a withdrawal or a save made while the file was being checked keeps it out.
    if not db.session.execute(update(DomandaRecord).where(
            DomandaRecord.id == state.id, DomandaRecord.versione == state.versione,
            DomandaRecord.stato == (domande.PRESENTATA if follows else domande.BOZZA))
            .values(versione=DomandaRecord.versione).execution_options(synchronize_session=False)).rowcount:
        db.session.rollback()
        raise Refused(_("The application changed while the file was being checked (it was saved, submitted or "
                        "withdrawn meanwhile): nothing was kept. Look at the page again, and upload the file if it "
                        "is still needed."))
    sha256 = archivio.put(data)
    row = FileFirmato(application_id=state.id, documento=key, versione=state.versione, sha256=sha256,
                      nome_file=file_name(filename), dimensione=len(data), formato=outcome.format or "",
                      firmatario=outcome.signer_cf[:16], nome_firmatario=outcome.signer_name[:200],
                      esito=outcome.state, controlli=outcome.as_dict(),
                      caricato_da=None if via_link else by.id, link_id=by.id if via_link else None)
    db.session.add(row)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        if not db.session.scalar(select(func.count()).where(FileFirmato.sha256 == sha256)):
            archivio.delete(sha256)  # kept for nothing: no row names it
        raise
    log.info("application %s: signed %s kept for version %s (%s), uploaded by %s", state.id, key, state.versione,
             outcome.state, f"link {by.id}" if via_link else f"user {by.id}")
    return document, row, outcome


def letter_may_follow(state: domande.State, document: ToSign) -> bool:
    """A partner's letter that may still come after the submission: the edition lets letters follow, and the
    application is submitted (the letter signs the submitted version)."""
    return (document.partner_id is not None and state.head.stato == domande.PRESENTATA
            and not current_edition().lettere_alla_presentazione)


def _still_open(link: LinkAdesione) -> bool:
    """Whether a link still works now (the checks of a file take seconds: it may have been revoked meanwhile)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    return bool(db.session.scalar(select(func.count()).where(
        LinkAdesione.id == link.id, LinkAdesione.revoked_at.is_(None), LinkAdesione.scade_at > now)))


def file_name(name: str) -> str:
    """An uploaded file's name as it is kept and shown: its last part, printable, at most 200 characters with its
    extension kept."""
    name = "".join(c for c in name.replace("\\", "/").rsplit("/", 1)[-1] if c.isprintable()).strip() or "firmato"
    if len(name) <= 200:
        return name
    stem, dot, extension = name.rpartition(".")
    return (stem[:190] + dot + extension[:9]) if dot and len(extension) <= 9 else name[:200]


def table(state: domande.State) -> list[Row]:
    """Each document, who must sign it, its state and the latest signed file (one query for all of them)."""
    latest: dict[str, FileFirmato] = {}
    for row in db.session.scalars(select(FileFirmato).where(FileFirmato.application_id == state.id)
                                  .order_by(FileFirmato.caricato_at, FileFirmato.id)):
        latest[row.documento] = row
    names = dict(db.session.execute(select(User.id, User.nome).where(
        User.id.in_({row.caricato_da for row in latest.values() if row.caricato_da})) ).all()) if latest else {}
    rows = []
    for document in documents(state):
        found = latest.get(document.key)
        if found is None:
            rows.append(Row(document, TO_SIGN, None))
            continue
        if found.versione != state.versione:
            current = TO_SIGN_AGAIN
        else:
            current = VERIFIED if found.esito == firme.VERIFIED else UPLOADED
        by = _("the partner, through its personal link") if found.link_id else names.get(found.caricato_da, "")
        rows.append(Row(document, current, found, by))
    return rows


def signed_file(domanda_id: int, user, file_id: int) -> tuple[FileFirmato, bytes]:
    """A signed file of the application, for anyone with a role in it."""
    head = domande.get_head(domanda_id, user)
    row = db.session.get(FileFirmato, file_id) if domande.is_db_id(file_id) else None
    if row is None or row.application_id != head.id:
        raise domande.NotFound(file_id)
    try:
        return row, archivio.get(row.sha256)
    except OSError:
        log.error("application %s: signed file %s (%s) is missing from the archive", head.id, row.id, row.sha256)
        raise domande.NotFound(file_id) from None


@domande.when_deleted
def forget(domanda_id: int):
    """When an application is deleted: its rows go in the deletion's transaction; afterwards each signed file goes
    too, unless another application holds the same bytes."""
    shas = set(db.session.scalars(select(FileFirmato.sha256).where(FileFirmato.application_id == domanda_id)))
    db.session.execute(delete(FileFirmato).where(FileFirmato.application_id == domanda_id))

    def delete_files() -> None:
        for sha in shas:
            if not db.session.scalar(select(func.count()).where(FileFirmato.sha256 == sha)):
                archivio.delete(sha)

    return delete_files
