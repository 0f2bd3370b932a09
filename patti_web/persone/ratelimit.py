"""A storage for Flask-Limiter (the `limits` package) in the portal's own database: `patti-db://`, the default.

In memory, each gunicorn worker would count its own attempts (two workers: ten wrong passwords a minute instead of
five); in the database every worker counts the same ones, with nothing more to run. `RATELIMIT_STORAGE_URI` can
still name redis:// or memory://. Fixed windows only (Flask-Limiter's default strategy): a counter per key and the
moment it expires; an expired counter starts again at the next hit.
"""

from __future__ import annotations

import hashlib
import time

from limits.storage import Storage
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from patti_web.extensions import db
from patti_web.persone.models import RateLimit

_TABLE = RateLimit.__table__
_C = _TABLE.c


def _upsert(connection):
    return (postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert)(_TABLE)


def _short(key: str) -> str:
    """A key that fits its column whatever the address typed in it: long ones, and ones with characters a text
    column may refuse, by their SHA-256."""
    if len(key) <= 200 and key.isprintable():
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class DatabaseStorage(Storage):
    STORAGE_SCHEME = ["patti-db"]

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        key, now = _short(key), time.time()
        with db.engine.begin() as connection:
            if connection.execute(update(_TABLE).where(_C.key == key, _C.expires > now)
                                  .values(count=_C.count + amount)).rowcount:
                return connection.execute(select(_C.count).where(_C.key == key)).scalar_one()
            # No counter, or an expired one: this hit starts a new window (only one worker resets it; the others
            # then count on it), and windows of other keys long gone are dropped.
            connection.execute(delete(_TABLE).where(_C.expires < now - 86400))
            if not connection.execute(update(_TABLE).where(_C.key == key, _C.expires <= now)
                                      .values(count=amount, expires=now + expiry)).rowcount:
                # A new counter; if another worker made it a moment ago, this hit counts on it (one statement, no
                # savepoint: SQLite ends the whole transaction on a full disk, and the error must stay that one).
                connection.execute(_upsert(connection).values(key=key, count=amount, expires=now + expiry)
                                   .on_conflict_do_update(index_elements=[_C.key],
                                                          set_={"count": _C.count + amount}))
            return connection.execute(select(_C.count).where(_C.key == key)).scalar_one()

    def get(self, key: str) -> int:
        with db.engine.connect() as connection:
            row = connection.execute(select(_C.count, _C.expires).where(_C.key == _short(key))).one_or_none()
        return row.count if row is not None and row.expires > time.time() else 0

    def get_expiry(self, key: str) -> float:
        with db.engine.connect() as connection:
            expires = connection.execute(select(_C.expires).where(_C.key == _short(key))).scalar_one_or_none()
        return expires if expires is not None and expires > time.time() else time.time()

    def check(self) -> bool:
        try:
            with db.engine.connect() as connection:
                connection.execute(select(_C.key).limit(1))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with db.engine.begin() as connection:
            return connection.execute(delete(_TABLE)).rowcount

    def clear(self, key: str) -> None:
        with db.engine.begin() as connection:
            connection.execute(delete(_TABLE).where(_C.key == _short(key)))
