"""Use cases of the submission: what is still missing, submit (number and freeze in one transaction), withdraw,
the receipt and the package the office receives. Each use case commits once.

A submission freezes the version it submits: the application's `stato` becomes "presentata" under the row's lock
(SQLite: the one writer's), read again by every save under the same lock (patti_web.domande.versions), so no save
slips in after it. Its number comes from the edition's and year's counter, raised in the same transaction: a
submission that fails takes its number back with it, so numbers have no gaps; a double click, two tabs or two people
give one number (the second finds the application submitted and gets the same submission).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, IntegrityError

from patti_web import documenti, domande
from patti_web.avviso import domanda as doc
from patti_web.avviso.edizioni import Edizione
from patti_web.avviso.regole import ERROR, check_stamp, stamp_date, stamp_due
from patti_web.documenti import ricevuta
from patti_web.domande.models import DomandaRecord, Revision
from patti_web.extensions import db
from patti_web.i18n import N_, format_date, format_datetime
from patti_web.i18n import gettext as _
from patti_web.persone import mail
from patti_web.persone.models import User
from patti_web.portal import current_edition
from patti_web.presentazione import archivio, firme
from patti_web.presentazione.models import FileFirmato, MarcaDaBollo, Numeratore, Presentazione
from patti_web.presentazione.operations import (
    ACT,
    LETTER,
    TO_SIGN,
    TO_SIGN_AGAIN,
    VERIFIED,
    Row,
    documents,
    table,
)
from patti_web.storage import is_contention, unavailable_or_none

log = logging.getLogger(__name__)

# How many times a submission waits again for the database's write lock (SQLite) before giving up.
MAX_ATTEMPTS = 20


class NotReady(ValueError):
    """The application cannot be submitted now: `reasons` says what is missing, one Italian sentence each."""

    def __init__(self, reasons: list[str]):
        super().__init__(reasons)
        self.reasons = reasons


class Changed(ValueError):
    """The application changed after the page that submits it was shown: the person must look at it again.
    `reason`: "versione" (saved, or withdrawn, meanwhile) or "titolare" (handed over to someone else meanwhile)."""

    def __init__(self, domanda_id: int, reason: str = "versione"):
        super().__init__(domanda_id, reason)
        self.reason = reason


class MissingFile(OSError):
    """A signed file of the submission is not in the archive (a storage fault): the package cannot be made whole."""


@dataclass(frozen=True)
class Submitted:
    """A submission and whether this request made it (False: it was made already, by another click or person)."""

    presentazione: Presentazione
    new: bool


def number(anno: int, progressivo: int) -> str:
    """The submission's number as printed: PATTI-2023-0000123 (seven digits, restarting each year)."""
    return f"PATTI-{anno}-{progressivo:07d}"


def _now() -> datetime:
    return datetime.now(UTC)


def missing(state: domande.State, rows: list[Row], edizione: Edizione, now: datetime) -> list[str]:
    """What still stands between this version and its submission, in the order to fix it (empty: it can go)."""
    reasons = []
    if not edizione.is_open_at(now):
        reasons.append(window_message(edizione, now))
    if state.errors:
        reasons.append(_("The application still has %(n)s errors: correct them (see the checklist), then download "
                         "and sign the documents again.", n=len(state.errors)))
    else:  # what only the day of submission decides: the stamp's date against it (the window is said above)
        day = now.astimezone(edizione.zona).date()
        reasons.extend(f.message for f in check_stamp(state.domanda, edizione, day) if f.severity == ERROR)
    for row in rows:
        if row.document.key != ACT and not edizione.lettere_alla_presentazione:
            continue
        if not row.document.signer_cf.strip() and row.state != VERIFIED:
            reasons.append(_("%(document)s: the codice fiscale of who must sign it (%(who)s) is not given: add it "
                             "to the application, then download the PDF, have it signed and upload it.",
                             document=row.document.label, who=row.document.signer_name or row.document.signer_role))
        elif row.state == TO_SIGN:
            reasons.append(_("%(document)s: the signed file has not been uploaded yet.", document=row.document.label))
        elif row.state == TO_SIGN_AGAIN:
            reasons.append(_("%(document)s: the signed file signs version %(old)s; the application is now at version "
                             "%(v)s: download the PDF again, sign it and upload it.", document=row.document.label,
                             old=row.latest.versione, v=state.versione))
    return reasons


def window_message(edizione: Edizione, now: datetime) -> str:
    if now < edizione.opens_at:
        return _("Submissions open on %(start)s (Italian time) and close on %(end)s.",
                 start=format_datetime(edizione.opens_at, seconds=True),
                 end=format_datetime(edizione.closes_at, seconds=True))
    return _("The submission window closed on %(end)s (Italian time): applications can no longer be submitted or "
             "withdrawn.", end=format_datetime(edizione.closes_at, seconds=True))


def current(domanda_id: int) -> Presentazione | None:
    """The submission in force (not withdrawn), if any."""
    return db.session.scalars(select(Presentazione).where(Presentazione.application_id == domanda_id,
                                                          Presentazione.ritirata_at.is_(None))
                              .order_by(Presentazione.id.desc()).limit(1)).first()


def history(domanda_id: int) -> list[Presentazione]:
    """Every submission of the application, the latest first (withdrawn ones included)."""
    return list(db.session.scalars(select(Presentazione).where(Presentazione.application_id == domanda_id)
                                   .order_by(Presentazione.id.desc())))


def _next_number(edizione: str, anno: int) -> int:
    """Raise the counter of the edition and year by one inside the caller's transaction and return it."""
    dialect = db.session.get_bind().dialect.name
    statement = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(Numeratore).values(
        edizione=edizione, anno=anno, ultimo=1)
    statement = statement.on_conflict_do_update(index_elements=["edizione", "anno"],
                                                set_={"ultimo": Numeratore.ultimo + 1}).returning(Numeratore.ultimo)
    return db.session.execute(statement).scalar_one()


def _retrying(attempt_once):
    """Run `attempt_once()` (one transaction) again while the database's write lock stays busy (SQLite)."""
    for attempt in range(MAX_ATTEMPTS):
        try:
            return attempt_once()
        except DBAPIError as exc:
            db.session.rollback()
            if not is_contention(exc):
                unavailable = unavailable_or_none(exc)
                raise unavailable or exc from exc
            log.info("submission: retry %s after %s", attempt + 1, type(exc).__name__)
            time.sleep(0.01 * (attempt + 1))
    raise domande.Busy("submission")


def submit(domanda_id: int, user, versione: int | None, *, now: datetime | None = None) -> Submitted:
    """Submit the application's current version (titolare only), as the page that asked showed it (`versione`).

    :raises NotReady: something is missing (errors, a signed file, the window); nothing changes.
    :raises Changed: the application is not at `versione` any more (saved, or withdrawn and saved, meanwhile).
    """
    head = domande.get_head(domanda_id, user, domande.MANAGE)
    edizione = current_edition()
    if head.stato == domande.PRESENTATA:
        found = current(head.id)
        if found is not None:
            return Submitted(found, False)
    if versione != head.versione:  # None: a form that did not say which version it showed
        raise Changed(head.id)
    state = domande.load(domanda_id, user, domande.MANAGE)
    reasons = missing(state, table(state), edizione, now or _now())
    if reasons:
        raise NotReady(reasons)
    impronta = doc.fingerprint(state.domanda)
    db.session.rollback()  # the checks' reads end here: the submission's transaction starts with the lock

    def attempt_once() -> Submitted:
        frozen = db.session.execute(
            update(DomandaRecord).where(DomandaRecord.id == head.id, DomandaRecord.versione == state.versione,
                                        DomandaRecord.stato == domande.BOZZA,
                                        DomandaRecord.owner_id == head.owner_id)
            .values(stato=domande.PRESENTATA).execution_options(synchronize_session=False)).rowcount
        if not frozen:  # submitted by another click or person, changed or handed over, meanwhile
            db.session.rollback()
            again = domande.get_head(domanda_id, user)
            found = current(head.id) if again.stato == domande.PRESENTATA else None
            if found is not None:
                return Submitted(found, False)
            raise Changed(head.id, "titolare" if again.owner_id != head.owner_id else "versione")
        moment = now or _now()  # the moment of the transaction, with the lock held
        if not edizione.is_open_at(moment):
            db.session.rollback()
            raise NotReady([window_message(edizione, moment)])
        if not _signed_for(head.id, state.versione, needed_keys(state, edizione)):
            db.session.rollback()  # read again under the lock: what the checks saw must still hold
            raise Changed(head.id)
        anno = moment.astimezone(edizione.zona).year
        progressivo = _next_number(head.edizione, anno)
        stamp = stamp_of(state.domanda, edizione)
        if stamp and not _stamp_is_ours(stamp, head.id):
            db.session.rollback()
            raise NotReady([_("The stamp %(id)s has already been used for another application: each stamp serves "
                              "one application only.", id=stamp)])
        row = Presentazione(application_id=head.id, edizione=head.edizione, anno=anno, progressivo=progressivo,
                            numero=number(anno, progressivo), versione=state.versione, impronta=impronta,
                            presentata_at=moment.astimezone(UTC).replace(tzinfo=None),
                            presentata_da=user.id if user else None)
        db.session.add(row)
        db.session.commit()
        return Submitted(row, True)

    submitted = _retrying(attempt_once)
    if submitted.new:
        log.info("application %s submitted as %s (version %s)", head.id, submitted.presentazione.numero,
                 state.versione)
    return submitted


def needed_keys(state: domande.State, edizione: Edizione) -> list[str]:
    """The documents whose signed file the submission needs: the act, and the letters when the edition wants them."""
    return [d.key for d in documents(state) if d.key == ACT or edizione.lettere_alla_presentazione]


def _signed_for(domanda_id: int, versione: int, keys: list[str]) -> bool:
    """Does every document of `keys` have a kept signed file of `versione` (read inside the transaction)?"""
    have = set(db.session.scalars(select(FileFirmato.documento).where(
        FileFirmato.application_id == domanda_id, FileFirmato.versione == versione,
        FileFirmato.esito.in_((firme.VERIFIED, firme.TO_BE_CHECKED)))))
    return set(keys) <= have


def stamp_of(domanda: doc.Domanda, edizione: Edizione) -> str:
    """The stamp's identifier the application declares when it owes one (empty otherwise)."""
    return domanda.capofila.bollo.identificativo.strip() if stamp_due(domanda, edizione) else ""


def _stamp_is_ours(identificativo: str, domanda_id: int) -> bool:
    """Claim the stamp for this application inside the transaction; False when another application holds it."""
    owner = db.session.scalar(select(MarcaDaBollo.application_id)
                              .where(MarcaDaBollo.identificativo == identificativo))
    if owner is None:
        try:
            db.session.execute(insert(MarcaDaBollo).values(identificativo=identificativo, application_id=domanda_id,
                                                           usata_at=_now().replace(tzinfo=None)))
        except IntegrityError:  # PostgreSQL: another application's submission claimed it at the same moment
            return False
        return True
    return owner == domanda_id


@domande.when_deleted
def _kept_on_record(domanda_id: int):
    """An application submitted at least once stays in the office's register (its numbers, its stamp): refused."""
    if db.session.scalar(select(func.count()).where(Presentazione.application_id == domanda_id)):
        raise domande.OnRecord(domanda_id)
    return None


def withdraw(domanda_id: int, user, *, now: datetime | None = None) -> Presentazione:
    """Withdraw the submission in force (titolare only, while the window is open): the application becomes a draft
    again at a new version (its signed files are then to be signed again); the submission stays in the history.

    :raises NotReady: the window has closed.
    :raises Changed: the application is not submitted (withdrawn meanwhile).
    """
    head = domande.get_head(domanda_id, user, domande.MANAGE)
    edizione = current_edition()
    db.session.rollback()

    def attempt_once() -> Presentazione:
        moment = now or _now()
        if not edizione.is_open_at(moment):
            raise NotReady([window_message(edizione, moment)])
        stamp = moment.astimezone(UTC).replace(tzinfo=None)
        thawed = db.session.execute(
            update(DomandaRecord).where(DomandaRecord.id == head.id, DomandaRecord.stato == domande.PRESENTATA,
                                        DomandaRecord.owner_id == head.owner_id)
            .values(stato=domande.BOZZA, versione=DomandaRecord.versione + 1, updated_at=stamp)
            .returning(DomandaRecord.versione)).scalar_one_or_none()
        if thawed is None:
            db.session.rollback()
            raise Changed(head.id)
        found = current(head.id)
        if found is None:  # a submitted application always has its submission: never leave one without it
            db.session.rollback()
            raise Changed(head.id)
        found.ritirata_at, found.ritirata_da = stamp, user.id if user else None
        db.session.execute(insert(Revision).values(
            application_id=head.id, versione=thawed, user_id=user.id if user else None, created_at=stamp,
            sezione="documento", azione="ritiro", elemento="", form_token=None, patch=[], reverse=[]))
        db.session.commit()
        return found

    withdrawn = _retrying(attempt_once)
    log.info("application %s: submission %s withdrawn", head.id, withdrawn.numero)
    return withdrawn


# The receipt and the package ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filed:
    """A signed file as the receipt and the manifest list it."""

    document: str
    name: str
    row: FileFirmato


def filed(state: domande.State, presentazione: Presentazione, *, at_submission: bool = False) -> list[Filed]:
    """The signed files of the submitted version, in the act's order: for each document the latest kept file (the
    receipt: the latest kept by the moment of the submission; the package: letters that followed included)."""
    query = select(FileFirmato).where(FileFirmato.application_id == state.id,
                                      FileFirmato.versione == presentazione.versione,
                                      FileFirmato.esito.in_((firme.VERIFIED, firme.TO_BE_CHECKED)))
    if at_submission:
        query = query.where(FileFirmato.caricato_at <= presentazione.presentata_at)
    latest = {row.documento: row for row in db.session.scalars(query.order_by(FileFirmato.caricato_at,
                                                                               FileFirmato.id))}
    return [Filed(d.label, latest[d.key].nome_file, latest[d.key]) for d in documents(state) if d.key in latest]


OUTCOMES = {firme.VERIFIED: N_("signature verified, certificate chained to a trusted authority"),
            firme.TO_BE_CHECKED: N_("signature verified; the certificate's authority is left to the office to check")}


def receipt_of(state: domande.State, presentazione: Presentazione) -> ricevuta.Receipt:
    """What the receipt of a submission states, from the submission, the frozen version and the edition."""
    edizione = current_edition()
    capofila = state.domanda.capofila
    stamp = stamp_of(state.domanda, edizione)
    stamp_day = stamp_date(capofila.bollo.data) if stamp else None
    return ricevuta.Receipt(
        numero=presentazione.numero, presentata_at=presentazione.presentata_at.replace(tzinfo=UTC),
        domanda_id=state.id, titolo=state.domanda.titolo, capofila=capofila.denominazione,
        capofila_cf=capofila.codice_fiscale, presentata_da=submitter_name(presentazione), ente=edizione.ente,
        avviso=f"{edizione.titolo} — {edizione.riferimento}" if edizione.riferimento else edizione.titolo,
        ufficio=edizione.ufficio, versione=presentazione.versione, impronta=presentazione.impronta,
        files=tuple(ricevuta.SignedFile(item.document, item.name, item.row.sha256, item.row.firmatario,
                                        item.row.nome_firmatario, _(OUTCOMES.get(item.row.esito, item.row.esito)))
                    for item in filed(state, presentazione, at_submission=True)),
        bollo=stamp, bollo_data=format_date(stamp_day) if stamp_day else "",
        dopo=edizione.dopo_la_presentazione,
    )


def submitter_name(presentazione: Presentazione) -> str:
    if presentazione.presentata_da is None:
        return ""
    return db.session.scalar(select(User.nome).where(User.id == presentazione.presentata_da)) or ""


def mail_receipt(domanda_id: int, presentazione: Presentazione, link: str) -> None:
    """The receipt by mail to the titolare and the capofila's referente (once each), with the `link` to the page of
    the submission; a mail that cannot go is logged, the submission stands."""
    state = domande.load(domanda_id, None)
    owner = db.session.scalar(select(User.email).where(User.id == state.head.owner_id)) if state.head.owner_id else None
    referente = state.domanda.capofila.referente.email.strip()
    edizione = current_edition()
    body = "\n".join([
        _("The application \u201c%(title)s\u201d has been submitted.", title=state.head.titolo),
        "",
        _("Number: %(number)s", number=presentazione.numero),
        _("Submitted on: %(when)s (Italian time)", when=format_datetime(presentazione.presentata_at, seconds=True)),
        _("Lead partner: %(name)s", name=state.domanda.capofila.denominazione),
        _("Received by: %(office)s", office=", ".join(edizione.ufficio or (edizione.ente,))),
        _("Fingerprint of version %(v)s (SHA-256): %(sha)s", v=presentazione.versione, sha=presentazione.impronta),
        "",
        _("The receipt (PDF) and the package of the submission: %(link)s", link=link),
    ])
    subject = _("Receipt %(number)s: %(title)s", number=presentazione.numero, title=state.head.titolo[:120])
    for to in dict.fromkeys(a for a in (owner, referente) if a):
        if not mail.send_mail(to, subject, body):
            log.warning("application %s: the receipt mail to %s was not sent", state.id, to)


def manifest(state: domande.State, presentazione: Presentazione, files: list[tuple[str, Filed]],
             receipt_names: list[str]) -> dict:
    """What the package holds: each file with its SHA-256, signer and check outcomes."""
    return {
        "numero": presentazione.numero,
        "domanda": state.id,
        "presentata_il": presentazione.presentata_at.replace(tzinfo=UTC).isoformat(),
        "versione": presentazione.versione,
        "impronta": presentazione.impronta,
        "documento": f"domanda-v{presentazione.versione}.json",
        "ricevuta": receipt_names,
        "file_firmati": [{
            "file": path, "documento": item.document, "nome_originale": item.name, "sha256": item.row.sha256,
            "dimensione": item.row.dimensione, "formato": item.row.formato, "firmatario": item.row.firmatario,
            "nome_firmatario": item.row.nome_firmatario, "esito": item.row.esito, "controlli": item.row.controlli,
        } for path, item in files],
    }


def package_files(state: domande.State, presentazione: Presentazione,
                  receipts: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """The files of the package, in a fixed order: the signed act, the signed letters (the act's order), the receipt,
    the JSON of the frozen version (its SHA-256 is the fingerprint) and the manifest."""
    signed: list[tuple[str, Filed, bytes]] = []
    order = documenti.act_order(state.domanda, current_edition())
    width = documenti.number_width(order)
    letters = {f"{LETTER}{partner.id}": documenti.adesione_stem(n, partner, width) for n, partner in order}
    for item in filed(state, presentazione):
        extension = "pdf" if item.row.formato == firme.PADES else "p7m"
        if item.row.documento == ACT:
            path = f"01-manifestazione-firmata.{extension}"
        else:  # named as the letter's download is, by its number in the act
            path = f"02-adesioni/{letters[item.row.documento]}.{extension}"
        try:
            data = archivio.get(item.row.sha256)
        except OSError:
            log.error("application %s: signed file %s (%s) is missing from the archive", state.id, item.row.id,
                      item.row.sha256)
            raise MissingFile(item.name) from None
        signed.append((path, item, data))
    frozen = doc.canonical_json(state.domanda)
    listed = [(path, item) for path, item, _data in signed]
    manifest_data = manifest(state, presentazione, listed, [name for name, _ in receipts])
    return [*((path, data) for path, _item, data in signed), *receipts,
            (f"domanda-v{presentazione.versione}.json", frozen),
            ("manifest.json", (json.dumps(manifest_data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
             .encode())]


def frozen_state(domanda_id: int, user) -> tuple[domande.State, Presentazione] | None:
    """The submitted version and its submission, for anyone with a role in the application; None when it is not
    submitted.

    :raises domande.NotFound: no role in the application.
    """
    state = domande.load(domanda_id, user)
    found = current(state.id) if state.head.stato == domande.PRESENTATA else None
    if found is None or found.versione != state.versione:
        return None
    return state, found
