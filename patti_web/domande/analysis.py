"""What the rules say of one version of an application, computed once and kept by each worker; the summary columns
that lists read, derived from it.

Findings, checklist and section states are computed once per version: each worker keeps the analysis of the newest
version of its most recent applications (PATTI_CACHE_SIZE), the least recently used going first. The summary
columns (errors, warnings, sections done) are written on every save with the fingerprint of the rules that counted
them (`RULES`); a row counted by other rules (an older release, or a data migration, which knows no rules) is
counted again and rewritten when it is read, so that every page shows the same numbers.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path

from flask import current_app
from sqlalchemy import bindparam, select, update

from patti_web import avviso
from patti_web.avviso import domanda as doc
from patti_web.avviso.regole import (
    ERROR,
    ChecklistItem,
    Finding,
    check_application,
    checklist,
    section_statuses,
    sections_done,
)
from patti_web.domande.access import COLUMNS, READ, Head, get_head, heads_of
from patti_web.domande.models import DomandaRecord
from patti_web.extensions import db
from patti_web.portal import current_edition


def _rules_fingerprint() -> str:
    """The rules as code and data: the pure core's files and the versions of the packages it asks (check digits,
    the ATECO classification). It changes when the summaries the rules count could."""
    digest = hashlib.sha256()
    folder = Path(avviso.__file__).resolve().parent
    for path in sorted([*folder.rglob("*.py"), *folder.rglob("*.toml")]):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    for package in ("ateco", "python-stdnum"):
        digest.update(f"{package}={metadata.version(package)}".encode())
    return digest.hexdigest()[:12]


RULES = _rules_fingerprint()


@dataclass(frozen=True)
class Analysis:
    """What the rules say of one version: computed once, shared by every page that shows it. Never mutate it."""

    domanda: doc.Domanda
    findings: list[Finding]
    checklist: list[ChecklistItem]
    statuses: dict[str, str]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]


@dataclass(frozen=True)
class State:
    """One version of an application as pages show it: its columns and what the rules say of its document."""

    head: Head
    analysis: Analysis

    @property
    def id(self) -> int:
        return self.head.id

    @property
    def versione(self) -> int:
        return self.head.versione

    @property
    def domanda(self) -> doc.Domanda:
        return self.analysis.domanda

    @property
    def findings(self) -> list[Finding]:
        return self.analysis.findings

    @property
    def errors(self) -> list[Finding]:
        return self.analysis.errors

    @property
    def checklist(self) -> list[ChecklistItem]:
        return self.analysis.checklist

    @property
    def statuses(self) -> dict[str, str]:
        return self.analysis.statuses


def analyse(domanda: doc.Domanda) -> Analysis:
    """Run the rule engine once over a document (drafting: the window is not checked)."""
    edizione = current_edition()
    findings = check_application(domanda, edizione)
    return Analysis(domanda, findings, checklist(domanda, edizione, findings), section_statuses(domanda, findings))


def summary_of(analysis: Analysis) -> dict[str, object]:
    """The columns that summarise a document, for lists and filters (kept current on every save)."""
    domanda = analysis.domanda
    warnings = sum(f.severity != ERROR for f in analysis.findings)
    return {
        "titolo": domanda.titolo,
        "capofila_denominazione": domanda.capofila.denominazione,
        "capofila_tipologia": domanda.capofila.tipologia,
        "ambito": domanda.territorio.ambito,
        "province": ",".join(domanda.territorio.province)[:100],
        "n_partner": len(domanda.partner),
        "n_errori": len(analysis.findings) - warnings,
        "n_avvertenze": warnings,
        "sezioni_completate": sections_done(analysis.statuses),
        "regole": RULES,
    }


class VersionCache:
    """The analysis of the newest version seen of recent applications, shared by the threads of a worker.

    One entry per application (an older version is never asked for again once a newer one is stored), at most
    `size` applications, the least recently used going first.
    """

    def __init__(self, size: int):
        self.size, self._items, self._lock = size, OrderedDict(), threading.Lock()

    def get(self, head: Head) -> Analysis | None:
        with self._lock:
            found = self._items.get(head.id)
            if found is None or found[0] != (head.versione, head.updated_at):
                return None
            self._items.move_to_end(head.id)
            return found[1]

    def put(self, head: Head, analysis: Analysis) -> None:
        with self._lock:
            current = self._items.get(head.id)
            if current is not None and current[0][0] > head.versione:
                return  # a slower request must not replace a newer version's analysis
            self._items[head.id] = ((head.versione, head.updated_at), analysis)
            self._items.move_to_end(head.id)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def forget(self, domanda_id: int) -> None:
        """Drop what is kept of a deleted application."""
        with self._lock:
            self._items.pop(domanda_id, None)


def cache() -> VersionCache:
    """This app's cache (tests build many apps whose ids restart at 1: one cache per app)."""
    return current_app.extensions.setdefault("patti_versioni", VersionCache(current_app.config["PATTI_CACHE_SIZE"]))


_DOCUMENT_OF = select(COLUMNS.documento).where(COLUMNS.id == bindparam("id"))


def stored_document(domanda_id: int) -> dict:
    """The stored document of an application, as JSON data."""
    return db.session.connection().execute(_DOCUMENT_OF, {"id": domanda_id}).scalar_one()


def _analysis(head: Head) -> Analysis:
    analysis = cache().get(head)
    if analysis is None:
        analysis = analyse(doc.Domanda.model_validate(stored_document(head.id)))
        cache().put(head, analysis)
    return analysis


def load(domanda_id: int, user, allowed: frozenset[str] = READ, *, even_if_submitted: bool = False) -> State:
    """The current version of an application and what the rules say of it (one SELECT when already analysed).

    See `access.get_head` for NotFound and Forbidden.
    """
    head = get_head(domanda_id, user, allowed, even_if_submitted=even_if_submitted)
    analysis = _analysis(head)
    return State(head if head.regole == RULES else _recount(head, analysis), analysis)


def list_domande(user) -> list[Head]:
    """The applications the user has a role in (staff: every one), last changed first, with their summaries (one
    query, whatever their number; a summary counted by other rules is counted again first)."""
    return [h if h.regole == RULES else _recount(h, _analysis(h)) for h in heads_of(user)]


def _recount(head: Head, analysis: Analysis) -> Head:
    """Write the summary these rules count for the version `head` is (nothing if it has changed since); commits."""
    summary = summary_of(analysis)
    db.session.execute(update(DomandaRecord).where(DomandaRecord.id == head.id,
                                                   DomandaRecord.versione == head.versione)
                       .values(**summary).execution_options(synchronize_session=False))
    db.session.commit()
    return replace(head, **summary)
