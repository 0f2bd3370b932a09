"""What the database's errors mean for the one who asked: a save waiting its turn, or storage that cannot write.

Two kinds are told apart, on SQLite and on PostgreSQL alike:
- contention (`is_contention`): another save holds the lock, a serialization failure, a deadlock. Trying again in a
  moment works: the saves retry, and only then say "many changes are being saved right now".
- storage that cannot write (`is_storage_failure`): a full disk, a read-only database or file system, an I/O
  error, a database that cannot be reached. Retrying does not help: the request answers 503 "the service cannot save
  right now" (patti_web.web.errors), logged at error level with the cause; never a conflict message.

And the health check's write (`probe_write`, for /salute): a database that answers reads but accepts no write is
not healthy.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import Float, insert, update
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Mapped, mapped_column

from patti_web.extensions import db

log = logging.getLogger(__name__)

# SQLite's primary result codes (sqlite3.Error.sqlite_errorcode & 0xFF).
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6
_SQLITE_STORAGE = {
    8: "read-only database",  # SQLITE_READONLY
    10: "I/O error",  # SQLITE_IOERR
    11: "database file corrupt",  # SQLITE_CORRUPT
    13: "database or disk is full",  # SQLITE_FULL
    14: "cannot open the database file",  # SQLITE_CANTOPEN
    26: "not a database",  # SQLITE_NOTADB
}
# PostgreSQL's SQLSTATE: contention, and the classes of storage that cannot write.
_PG_CONTENTION = {"40001", "40P01", "55P03"}  # serialization failure, deadlock, lock not available
_PG_STORAGE_CLASSES = ("53", "58", "08", "57P")  # resources (disk full), system/I/O, connection, shutdown
_PG_STORAGE = {"25006"}  # read-only transaction (a standby, or default_transaction_read_only)


def _sqlite_code(error: BaseException) -> int | None:
    code = getattr(error, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def _sqlstate(error: BaseException) -> str:
    return str(getattr(error, "sqlstate", None) or getattr(error, "pgcode", None) or "")


def _driver_error(error: BaseException) -> BaseException | None:
    return error.orig if isinstance(error, DBAPIError) else None


def is_contention(error: BaseException) -> bool:
    """A lock held by another save, a serialization failure or a deadlock: worth trying again at once."""
    orig = _driver_error(error)
    if orig is None:
        return False
    code = _sqlite_code(orig)
    if code is not None:
        return code in (_SQLITE_BUSY, _SQLITE_LOCKED)
    state = _sqlstate(orig)
    if state:
        return state in _PG_CONTENTION
    return isinstance(error, OperationalError) and "locked" in str(orig).lower()


def storage_failure(error: BaseException) -> str | None:
    """Why the database cannot write (a few words, for the log), or None when `error` is not that. An error raised
    while handling one (a rollback to a savepoint that a full disk already ended) counts as the first."""
    seen = 0
    while error is not None and seen < 5:
        cause = _storage_failure(error)
        if cause is not None:
            return cause
        error, seen = error.__cause__ or error.__context__, seen + 1
    return None


def _storage_failure(error: BaseException) -> str | None:
    orig = _driver_error(error)
    if orig is None:
        return None
    code = _sqlite_code(orig)
    if code is not None:
        return _SQLITE_STORAGE.get(code)
    state = _sqlstate(orig)
    if state in _PG_STORAGE or state.startswith(_PG_STORAGE_CLASSES):
        return f"SQLSTATE {state}: {str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__}"
    if not state and isinstance(error, OperationalError) and not is_contention(error):
        # A driver error with no code (the server went away mid-statement): storage that cannot answer.
        return str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    return None


def is_storage_failure(error: BaseException) -> bool:
    return storage_failure(error) is not None


class Unavailable(RuntimeError):
    """The database cannot write now (a full disk, read-only storage...): `cause` says why, for the log."""

    def __init__(self, cause: str):
        super().__init__(cause)
        self.cause = cause


def unavailable_or_none(error: BaseException) -> Unavailable | None:
    """The Unavailable that `error` means, to raise from it; None when it is something else."""
    cause = storage_failure(error)
    return Unavailable(cause) if cause is not None else None


def committed_or_logged(statement, what: str) -> bool:
    """Run one write and commit it; False, with the session rolled back and an error logged that names `what`, when
    the storage cannot write or the lock stayed busy (any other error is raised as it is). For writes that must not
    fail the request that asks for them (a logout)."""
    try:
        db.session.execute(statement)
        db.session.commit()
    except DBAPIError as error:
        db.session.rollback()
        if not is_storage_failure(error) and not is_contention(error):
            raise
        log.error("%s: not written: %s", what, storage_failure(error) or "busy", exc_info=error)
        return False
    return True


class Probe(db.Model):
    """One row that the health check writes (/salute): the database answers, and accepts a write."""

    __tablename__ = "salute"

    id: Mapped[int] = mapped_column(primary_key=True)
    checked_at: Mapped[float] = mapped_column(Float)


def probe_write() -> str | None:
    """Write the health check's row and commit: None when the database accepted it, else why not (also logged)."""
    try:
        if not db.session.execute(update(Probe).where(Probe.id == 1).values(checked_at=time.time())).rowcount:
            db.session.execute(insert(Probe).values(id=1, checked_at=time.time()))
        db.session.commit()
    except DBAPIError as error:
        db.session.rollback()
        cause = storage_failure(error) or ("busy" if is_contention(error) else type(error.orig).__name__)
        log.error("health check: the database does not accept a write: %s", cause, exc_info=error)
        return cause
    return None
