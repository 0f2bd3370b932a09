"""Configuration: the only place that reads the environment."""

from __future__ import annotations

import os
from datetime import date, datetime


def _date(name: str) -> date | None:
    value = os.environ.get(name)
    return date.fromisoformat(value) if value else None


def _date_or_time(name: str) -> date | datetime | None:
    """An ISO day ("2023-02-28") or day and time ("2023-02-28T12:00:00", in the edition's time zone)."""
    value = (os.environ.get(name) or "").strip()
    if not value:
        return None
    return datetime.fromisoformat(value) if "T" in value or " " in value else date.fromisoformat(value)


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in ("1", "true", "yes", "on")


def _list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def _database_url() -> str | None:
    url = os.environ.get("DATABASE_URL")
    if url and url.startswith(("postgres://", "postgresql://")):
        # Hosting platforms hand out postgres:// URLs; we talk to PostgreSQL through psycopg 3.
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class Config:
    # None means: the factory keeps a random key in instance/secret_key (see create_app).
    SECRET_KEY = os.environ.get("SECRET_KEY")
    # None means: SQLite file instance/patti.sqlite3.
    SQLALCHEMY_DATABASE_URI = _database_url()
    # Which edition of the call the portal serves (a file in patti_web/avviso/edizioni/), and another window.
    PATTI_EDIZIONE = os.environ.get("PATTI_EDIZIONE", "lombardia_2023")
    PATTI_FINESTRA_APERTURA = _date_or_time("PATTI_FINESTRA_APERTURA")
    PATTI_FINESTRA_CHIUSURA = _date_or_time("PATTI_FINESTRA_CHIUSURA")
    # The day the portal takes as today (ISO date), e.g. to check how the window reads before it opens.
    PATTI_OGGI = _date("PATTI_OGGI")
    # Seconds LibreOffice may take for one PDF.
    PATTI_PDF_TIMEOUT = int(os.environ.get("PATTI_PDF_TIMEOUT", "90"))
    # Where finished PDFs are kept (one per application); None means instance/pdf-cache.
    PATTI_PDF_CACHE = os.environ.get("PATTI_PDF_CACHE")
    # For how many applications each worker keeps the analysis of the newest version (findings, checklist, states).
    PATTI_CACHE_SIZE = int(os.environ.get("PATTI_CACHE_SIZE", "256"))
    # Compressed answers for clients that accept them (gzip for old browsers, brotli for new ones).
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_BR_LEVEL = 5
    BABEL_DEFAULT_LOCALE = "it"
    BABEL_DEFAULT_TIMEZONE = "Europe/Rome"
    MAX_CONTENT_LENGTH = 6 * 1024 * 1024
    # Signed files (the act, the letters of adhesion): at most this large (the upload page alone accepts them).
    PATTI_UPLOAD_MAX_BYTES = int(os.environ.get("PATTI_UPLOAD_MAX_BYTES", str(20 * 1024 * 1024)))
    # The trusted certification authorities for the signatures: a PEM file or a folder of CA certificates. Unset:
    # every check but the chain is done, and the file is marked "certificato da verificare" for the office.
    PATTI_FIRMA_CA = os.environ.get("PATTI_FIRMA_CA")
    # For how many days a partner's personal link works (it uploads that partner's signed letter of adhesion).
    PATTI_LINK_ADESIONE_GIORNI = int(os.environ.get("PATTI_LINK_ADESIONE_GIORNI", "30"))
    # Where the signed files are kept, by their SHA-256 (default instance/firmati).
    PATTI_ARCHIVIO = os.environ.get("PATTI_ARCHIVIO")
    SESSION_COOKIE_HTTPONLY = True
    # A CSRF token lives as long as the session, so a long form typed slowly is not refused.
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_SAMESITE = "Lax"
    # Where the portal is reached, e.g. https://patti.example.it: links in mails are built from it, never from the
    # Host header of a request. Without it, links use the request's host, which must then be one of TRUSTED_HOSTS.
    PATTI_BASE_URL = os.environ.get("PATTI_BASE_URL", "").rstrip("/") or None
    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME") or (
        "https" if (PATTI_BASE_URL or "").startswith("https://") else "http")
    # Host names the portal answers to (Werkzeug answers 400 to any other): PATTI_TRUSTED_HOSTS, comma separated,
    # plus the base URL's host; by default only this machine (./run and the tests).
    TRUSTED_HOSTS = _list("PATTI_TRUSTED_HOSTS") or ["127.0.0.1", "localhost"]
    # Cookies only over HTTPS: on by default when the portal is served over HTTPS.
    SESSION_COOKIE_SECURE = _flag("PATTI_COOKIE_SECURE", PREFERRED_URL_SCHEME == "https")
    # Behind a reverse proxy: how many proxies set X-Forwarded-For/-Proto/-Host (0: none, trust no such header).
    PATTI_PROXY_FIX = int(os.environ.get("PATTI_PROXY_FIX", "0"))
    # How long a login lasts (hours), whatever the browser does with its cookie.
    PATTI_SESSION_ORE = float(os.environ.get("PATTI_SESSION_ORE", "12"))
    # Rate limits (Flask-Limiter): counted in the portal's database (patti_web.persone.ratelimit), so that every worker
    # counts the same attempts; memory:// (per worker) or redis://host:6379 instead if set.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "patti-db://")
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_ENABLED = _flag("RATELIMIT_ENABLED", True)
    # At most this many mails to one address, whatever their kind (confirmation, reset, invitation, login link) and
    # whoever asked: typing somebody's address again and again does not fill their mailbox.
    PATTI_MAIL_LIMIT = os.environ.get("PATTI_MAIL_LIMIT", "5/hour;20/day")
    # Login links (for an owner whose address is limited) apart: one every 10 minutes to one address.
    PATTI_LOGIN_LINK_LIMIT = os.environ.get("PATTI_LOGIN_LINK_LIMIT", "1/10 minutes")
    # Outgoing mail (password reset links). Without MAIL_SERVER the mail is written to the log (development).
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "").lower() in ("1", "true", "yes", "on")  # STARTTLS
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "Patti Web <noreply@localhost>")
    # How passwords are hashed (werkzeug's method string): scrypt; the tests set a cheap one.
    PASSWORD_HASH = "scrypt"
    # Seconds a password reset link stays valid.
    PASSWORD_RESET_MAX_AGE = int(os.environ.get("PASSWORD_RESET_MAX_AGE", "3600"))


class TestConfig(Config):
    TESTING = True
    # Hundreds of accounts are made by the tests: a cheap hash (scrypt is meant to be slow, and it is).
    PASSWORD_HASH = "pbkdf2:sha256:1000"
    MAIL_SERVER = None  # tests that send mail start their own SMTP server
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    WTF_CSRF_ENABLED = False
    PATTI_FINESTRA_APERTURA = None
    PATTI_FINESTRA_CHIUSURA = None
    PATTI_OGGI = None
    RATELIMIT_STORAGE_URI = "memory://"  # the in-memory test database is one connection: tests/test_security.py
    # checks the database storage on a file shared by two apps
