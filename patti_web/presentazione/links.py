"""A partner's personal link: the partner uploads its own signed letter of adhesion, without an account.

The capofila's titolare or collaboratore makes the link for one partner of one application; it works until it
expires (PATTI_LINK_ADESIONE_GIORNI days) or is revoked, and making a new one for the same partner revokes the old.
The link is a signed token (itsdangerous, its own salt) that carries the row's id and a random key; the row keeps
the key's SHA-256 only, so that neither the database nor the log holds a working link, and it is shown once, to be
copied. Whoever holds it sees that partner's data as its letter states them, downloads that letter and uploads it
signed, through the same use case and checks as the capofila's upload (operations.upload), and nothing else.

Each use case commits once.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from patti_web import domande
from patti_web.avviso import domanda as doc
from patti_web.extensions import db
from patti_web.i18n import gettext as _
from patti_web.persone.models import User
from patti_web.presentazione.models import FileFirmato, LinkAdesione
from patti_web.presentazione.operations import LETTER, Refused, document_of, letter_may_follow

log = logging.getLogger(__name__)

SALT = "link-adesione"
DEFAULT_DAYS = 30
# Statuses of a link that does not work: gone for good (revoked, expired), or never one (tampered, unknown).
GONE, NOT_FOUND = 410, 404


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def link_days() -> int:
    """How many days a new link works (PATTI_LINK_ADESIONE_GIORNI, at least 1)."""
    return max(1, int(current_app.config.get("PATTI_LINK_ADESIONE_GIORNI") or DEFAULT_DAYS))


class LinkRefused(LookupError):
    """A link that does not work: `status` (404 or 410) and the Italian sentence that says why."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class OpenLink:
    """A partner's link that works now, as the capofila's page shows it (never the link itself)."""

    partner_id: str
    creato_at: datetime
    scade_at: datetime
    creato_da: str


@dataclass(frozen=True)
class Opened:
    """A working link, the current version of its application and its partner."""

    link: LinkAdesione
    state: domande.State
    partner: doc.Partner

    @property
    def key(self) -> str:
        return f"{LETTER}{self.partner.id}"


def make_link(domanda_id: int, user, partner_id: str) -> tuple[LinkAdesione, str]:
    """A new personal link for one partner (titolare, collaboratore) and its token; the partner's open link, if
    any, stops working. Commits.

    :raises domande.NotFound: no such application or partner (or no role in it); Forbidden: a lettore.
    :raises Refused: the application has been submitted, or another link was made for the partner meanwhile.
    """
    state = domande.load(domanda_id, user, domande.EDIT, even_if_submitted=True)
    partner = domande.get_item(state, "partenariato", partner_id)
    if state.head.frozen and not letter_may_follow(state, document_of(state, f"{LETTER}{partner.id}")):
        raise Refused(_("The application has been submitted: no personal link can be made for it."))
    now, key = _now(), secrets.token_urlsafe(32)
    _revoke_open(state.id, partner.id, user, now)
    link = LinkAdesione(application_id=state.id, partner_id=partner.id, chiave_sha256=_digest(key),
                        creato_da=user.id, creato_at=now, scade_at=now + timedelta(days=link_days()))
    db.session.add(link)
    try:
        db.session.commit()
    except IntegrityError:  # another link for this partner made at the same moment: that one stands
        db.session.rollback()
        raise Refused(_("Another personal link for this partner was made a moment ago: the page shows it. Make a "
                        "new one if you need to see it.")) from None
    log.info("application %s: personal link %s for partner %s made by user %s", state.id, link.id, partner.id,
             user.id)
    return link, _serializer().dumps({"l": link.id, "k": key})


def _revoke_open(domanda_id: int, partner_id: str, user, now: datetime) -> int:
    return db.session.execute(update(LinkAdesione).where(
        LinkAdesione.application_id == domanda_id, LinkAdesione.partner_id == partner_id,
        LinkAdesione.revoked_at.is_(None)).values(revoked_at=now, revoked_by=user.id)).rowcount


def revoke_link(domanda_id: int, user, partner_id: str) -> bool:
    """Revoke the partner's open link (titolare, collaboratore): it stops working at once. False when there was
    none (revoked meanwhile, in another tab). Commits."""
    # Also once submitted: a link someone should not hold can always be stopped.
    head = domande.get_head(domanda_id, user, domande.EDIT, even_if_submitted=True)
    if not partner_id or len(partner_id) > 20:
        raise domande.NotFound(partner_id)
    revoked = _revoke_open(head.id, partner_id, user, _now())
    db.session.commit()
    if revoked:
        log.info("application %s: personal link of partner %s revoked by user %s", head.id, partner_id, user.id)
    return bool(revoked)


def open_links(state: domande.State) -> dict[str, OpenLink]:
    """The links of the application's partners that work now, by partner id (one query)."""
    rows = db.session.execute(
        select(LinkAdesione.partner_id, LinkAdesione.creato_at, LinkAdesione.scade_at, User.nome)
        .outerjoin(User, User.id == LinkAdesione.creato_da)
        .where(LinkAdesione.application_id == state.id, LinkAdesione.revoked_at.is_(None),
               LinkAdesione.scade_at > _now())).all()
    return {row.partner_id: OpenLink(row.partner_id, row.creato_at, row.scade_at, row.nome or "") for row in rows}


def _not_found() -> LinkRefused:
    return LinkRefused(NOT_FOUND, _("This link is not valid: it may have been copied incompletely. Ask the lead "
                                    "partner of the Patto for the link again."))


def opened(token: str) -> Opened:
    """The link of a token, with its application's current version and its partner.

    :raises LinkRefused: 404 for a token that is not ours (tampered, cut) or whose application or partner is gone;
        410 for a link revoked or expired.
    """
    try:
        data = _serializer().loads(token)
    except BadData:
        raise _not_found() from None
    if not isinstance(data, dict) or not isinstance(data.get("l"), int) or not isinstance(data.get("k"), str) \
            or not domande.is_db_id(data["l"]):
        raise _not_found()
    link = db.session.get(LinkAdesione, data["l"])
    if link is None or not secrets.compare_digest(link.chiave_sha256, _digest(data["k"])):
        raise _not_found()
    if link.revoked_at is not None:
        raise LinkRefused(GONE, _("This link has been revoked (or replaced by a newer one): ask the lead partner "
                                  "of the Patto for a new link."))
    if link.scade_at <= _now():
        raise LinkRefused(GONE, _("This link expired on %(day)s: ask the lead partner of the Patto for a new link.",
                                  day=link.scade_at.strftime("%d/%m/%Y")))
    try:
        state = domande.load(link.application_id, None)
    except domande.NotFound:
        raise LinkRefused(NOT_FOUND, _("The application this link was made for no longer exists.")) from None
    partner = next((p for p in state.domanda.partner if p.id == link.partner_id), None)
    if partner is None:
        raise LinkRefused(NOT_FOUND, _("The partner this link was made for is no longer in the application: ask "
                                       "the lead partner of the Patto."))
    return Opened(link, state, partner)


def latest_upload(opened_link: Opened) -> FileFirmato | None:
    """The latest signed file of the link's partner's letter (whoever uploaded it), or None."""
    return db.session.scalar(select(FileFirmato).where(
        FileFirmato.application_id == opened_link.state.id, FileFirmato.documento == opened_link.key)
        .order_by(FileFirmato.caricato_at.desc(), FileFirmato.id.desc()).limit(1))


@domande.when_deleted
def forget(domanda_id: int) -> None:
    """When an application is deleted, its links go in the deletion's transaction."""
    db.session.execute(delete(LinkAdesione).where(LinkAdesione.application_id == domanda_id))
