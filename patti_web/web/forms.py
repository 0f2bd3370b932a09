"""What every form of the portal shares: the CSRF-only form of a button, the one-time token of an "add" form, and
the filters that trim what was typed."""

from __future__ import annotations

import secrets

from flask_wtf import FlaskForm
from wtforms import HiddenField


def strip(value):
    """What was typed, without the spaces around it (not a text: as it is)."""
    return value.strip() if isinstance(value, str) else value


def strip_lines(value):
    """A text of several lines as typed, trimmed, with one kind of line break: browsers send a text area's lines
    ending in CR LF, a file or a script in LF, and the same text must not look changed between the two."""
    return strip(value.replace("\r\n", "\n").replace("\r", "\n")) if isinstance(value, str) else value


class EmptyForm(FlaskForm):
    """Buttons that only POST (delete, duplicate, remove, log out everywhere): the CSRF token and nothing else."""


TOKEN_LENGTH = 64  # the column that keeps a form's token (a longer one, which no page of ours sends, is cut)


def _token(value):
    return value[:TOKEN_LENGTH] if isinstance(value, str) else value


class OneTimeTokenMixin:
    """A hidden one-time token: the same "add" form submitted twice adds one item, not two."""

    form_token = HiddenField(filters=[_token])

    def fresh_token(self) -> None:
        self.form_token.data = new_token()


def new_token() -> str:
    return secrets.token_urlsafe(24)
